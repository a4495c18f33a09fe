/*
 * score: the analysis engine. An fs_engine_t is the immutable, shared set of
 * lexicons, modifiers, categories and rules loaded from a directory, with
 * the content hash that names its version. fs_score() turns one text into
 * an fs_result_t: compound sentiment, proportions, label, categories with
 * their own sentiment, flags, and the explanation of every contribution.
 *
 * Threads share one engine and each use their own fs_scratch_t; the result
 * lives in the scratch until the next call, and steady-state scoring
 * allocates nothing.
 */
#ifndef FEEDSENSE_SCORE_H
#define FEEDSENSE_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/err.h"
#include "feedsense/lexicon.h"
#include "feedsense/rules.h"
#include "feedsense/tag.h"

typedef struct fs_engine fs_engine_t;
typedef struct fs_scratch fs_scratch_t;

typedef enum fs_label {
	FS_LABEL_NEGATIVE = -1,
	FS_LABEL_NEUTRAL = 0,
	FS_LABEL_POSITIVE = 1,
} fs_label_t;

/** @brief "negative", "neutral" or "positive". */
const char *fs_label_name(fs_label_t label);

typedef struct fs_engine_opts {
	const char *lexicon_dir;          /**< NULL: FS_DEFAULT_LEXICON_DIR */
	const char *const *user_lexicons; /**< "[vader:|afinn:]PATH", loaded last */
	size_t n_user_lexicons;
	double pos_threshold; /**< compound >= this is positive (0.05) */
	double neg_threshold; /**< compound <= this is negative (-0.05) */
	uint32_t match_limit; /**< PCRE2 match limit per rule and text */
	uint32_t depth_limit; /**< PCRE2 depth limit */
	fs_diag_t *diag;      /**< lint mode: report and keep going */
} fs_engine_opts_t;

#ifndef FS_DEFAULT_LEXICON_DIR
#define FS_DEFAULT_LEXICON_DIR "lexicons"
#endif

/** The files an engine loads from its directory, in order. */
#define FS_LEXICON_FILES                                                                                               \
	{                                                                                                              \
		"sentiment.tsv", "domain.tsv", "idioms.tsv", "emoji.tsv"                                               \
	}
#define FS_MODIFIERS_FILE  "modifiers.tsv"
#define FS_CATEGORIES_FILE "categories.conf"
#define FS_RULES_FILE      "rules.conf"

/** @brief Defaults for every option. */
void fs_engine_opts_init(fs_engine_opts_t *opts);

/**
 * @brief Load an engine. @returns FS_OK and *enginep, or an error with errstr
 *        naming the file and line.
 */
fs_err_t fs_engine_new(const fs_engine_opts_t *opts, fs_engine_t **enginep, char *errstr, size_t errstr_size);
/** @brief Free an engine. NULL is a no-op. No scratch may be in use. */
void fs_engine_destroy(fs_engine_t *engine);

/** @brief Version of the loaded set: "lx-" + 16 hex digits of its content hash. */
const char *fs_engine_version(const fs_engine_t *engine);
const fs_lexicon_t *fs_engine_lexicon(const fs_engine_t *engine);
const fs_tags_t *fs_engine_tags(const fs_engine_t *engine);
const fs_rules_t *fs_engine_rules(const fs_engine_t *engine);

/* explanation item kinds */
typedef enum fs_xkind {
	FS_X_TERM = 0, /**< lexicon word or phrase */
	FS_X_EMOJI,    /**< emoji or emoticon */
	FS_X_RULE,     /**< regex rule */
	FS_X_EXCLAIM,  /**< "!" emphasis of a sentence */
	FS_X_QMARKS,   /**< "??" emphasis of a sentence */
} fs_xkind_t;

/* modifiers that acted on an item */
#define FS_XM_NEGATED            0x0001
#define FS_XM_BOOSTED            0x0002
#define FS_XM_DAMPENED           0x0004
#define FS_XM_CAPS               0x0008
#define FS_XM_ELONG              0x0010
#define FS_XM_BEFORE_CONTRAST    0x0020 /**< before "but": weighs less */
#define FS_XM_AFTER_CONTRAST     0x0040 /**< after "but": weighs more */
#define FS_XM_CONCESSION         0x0080 /**< inside an "although" clause */
#define FS_XM_QUESTION           0x0100 /**< damped: neutral question */
#define FS_XM_POLITE             0x0200 /**< courtesy ignored in a complaint */
#define FS_XM_HYPOTHETICAL       0x0400 /**< inside an "if" clause */
#define FS_XM_NEGATION_CANCELLED 0x0800 /**< double negation */
#define FS_XM_VERDICT            0x1000 /**< damped: the writer's own verdict is balanced */
#define FS_XM_IRONY              0x2000 /**< turned over: an irony mark (🙃, 🙄) says the praise is sarcastic */
#define FS_XM_QUOTED             0x4000 /**< damped: inside a quotation, someone else's word ('premium') */

/** @brief Names of the FS_XM_* bits, lowest bit first; NULL-terminated. */
extern const char *const fs_xm_names[];

typedef struct fs_explain {
	uint8_t kind;        /**< fs_xkind_t */
	uint16_t mods;       /**< FS_XM_* */
	uint32_t start, end; /**< byte span in the original text */
	const char *what;    /**< lexicon key or rule name (not NUL-terminated) */
	uint32_t what_len;
	float valence; /**< base valence from the lexicon or rule */
	float local;   /**< after negation, boosters and emphasis */
	float score;   /**< final contribution, after clause weights */
	uint32_t tok;  /**< first token (internal) */
	uint32_t ntok; /**< tokens covered (internal) */
} fs_explain_t;

#define FS_CAT_MATCHED_MAX 8

typedef struct fs_cat_result {
	unsigned id;
	double compound;
	fs_label_t label;
	unsigned nmatched;
	const char *matched[FS_CAT_MATCHED_MAX]; /**< keys or rule names */
	uint32_t matched_len[FS_CAT_MATCHED_MAX];
} fs_cat_result_t;

typedef struct fs_result {
	double compound;      /**< -1..1 */
	double pos, neu, neg; /**< proportions, sum to 1 */
	fs_label_t label;
	const fs_explain_t *explain;
	size_t nexplain;
	const fs_cat_result_t *cats;
	size_t ncats;
	uint32_t flags;            /**< bit i: fs_rules_flag_name(rules, i) */
	unsigned limit_hits;       /**< rules skipped because they hit a PCRE2 limit */
	unsigned rules_run;        /**< regex rules evaluated */
	const uint32_t *rules_hit; /**< ids (fs_rules_get) of the rules that matched, once each */
	unsigned nrules_hit;
	unsigned ntokens;
	double length_factor; /**< divisor applied to long texts (1 for short ones) */
} fs_result_t;

/** @brief New per-thread scratch for @p engine. NULL on allocation failure. */
fs_scratch_t *fs_scratch_new(const fs_engine_t *engine);
void fs_scratch_destroy(fs_scratch_t *scratch);

/**
 * @brief Score @p len bytes of UTF-8 @p text.
 * @returns FS_OK and *resultp (valid until the next call with this scratch);
 *          FS_ERR_UTF8 with *errpos; FS_ERR_NOMEM.
 */
fs_err_t fs_score(const fs_engine_t *engine, fs_scratch_t *scratch, const char *text, size_t len,
		  const fs_result_t **resultp, size_t *errpos);

/**
 * @brief Run the rules' self-tests (`example` and `counter` lines of the
 *        rule file, named @p rules_name in messages): each failure is an
 *        error "FILE:LINE: rule NAME: why" through @p diag; a rule without
 *        an example is an error when @p require, else a warning.
 * @returns FS_OK once every example was checked (failures are in @p diag),
 *          FS_ERR_NOMEM when they could not all be.
 */
fs_err_t fs_engine_check_examples(const fs_engine_t *engine, const char *rules_name, int require, fs_diag_t *diag);

/** @brief Label for a compound under the engine's thresholds. */
fs_label_t fs_engine_label(const fs_engine_t *engine, double compound);

#endif
