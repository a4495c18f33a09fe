/*
 * rules: regular-expression rules (rules.conf) compiled with PCRE2 and JIT.
 *
 * A rule has a name, a pattern matched against normalised text, trigger
 * words that decide whether it runs at all, and actions: a valence, category
 * tags and flags. Every match runs under PCRE2 match and depth limits; a
 * rule that hits one is skipped for that text and counted, never fatal.
 */
#ifndef FEEDSENSE_RULES_H
#define FEEDSENSE_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/err.h"
#include "feedsense/lexicon.h"
#include "feedsense/tag.h"

#define FS_FLAGS_MAX 32 /**< distinct flag names */

typedef struct fs_rules fs_rules_t;
typedef struct fs_rules_scratch fs_rules_scratch_t;

typedef struct fs_rule {
	const char *name;
	float valence;
	uint8_t has_valence;
	uint8_t negatable;
	uint8_t always; /**< no trigger words: runs on every text */
	uint32_t flags; /**< bit i = flag i */
	uint64_t cats;  /**< bit i = category i */
	unsigned line;
} fs_rule_t;

/** A rule's self-test from its file: a text it must match (`example`) or must not (`counter`). */
typedef struct fs_rule_example {
	const char *text;
	unsigned line;
	uint8_t counter;
} fs_rule_example_t;

typedef enum fs_rules_rc {
	FS_RULES_NOMATCH = 0,
	FS_RULES_MATCH = 1,
	FS_RULES_LIMIT = -1, /**< match or depth limit hit: skip the rule */
	FS_RULES_ERROR = -2, /**< other matching error: skip the rule */
} fs_rules_rc_t;

/** @brief New empty rule set with the built-in flag names. NULL on failure. */
fs_rules_t *fs_rules_new(void);
/** @brief Free. NULL is a no-op. */
void fs_rules_destroy(fs_rules_t *rules);

/**
 * @brief Load rules.conf contents. Category names resolve through @p tags,
 *        trigger words are registered in @p lex.
 * @returns FS_OK or FS_ERR_PARSE / FS_ERR_REGEX with errstr "name:line: reason".
 */
fs_err_t fs_rules_load(fs_rules_t *rules, fs_lexicon_t *lex, const fs_tags_t *tags, const char *name, const char *data,
		       size_t len, fs_diag_t *diag, char *errstr, size_t errstr_size);

/** @brief Set the PCRE2 match limit and depth limit used by new scratch areas. */
void fs_rules_set_limits(fs_rules_t *rules, uint32_t match_limit, uint32_t depth_limit);

unsigned fs_rules_count(const fs_rules_t *rules);
const fs_rule_t *fs_rules_get(const fs_rules_t *rules, unsigned id);
/** @brief The `example` and `counter` texts of rule @p id, in file order; *n of them. */
const fs_rule_example_t *fs_rules_examples(const fs_rules_t *rules, unsigned id, unsigned *n);
/** @brief Name of flag bit @p bit, or NULL. */
const char *fs_rules_flag_name(const fs_rules_t *rules, unsigned bit);
/** @brief Bit number of flag @p name, or -1. */
int fs_rules_flag_find(const fs_rules_t *rules, const char *name);
/** @brief Ids of the rules that run on every text. */
const uint32_t *fs_rules_always(const fs_rules_t *rules, unsigned *n);

/** @brief Per-thread matching state (match data, JIT stack). */
fs_rules_scratch_t *fs_rules_scratch_new(const fs_rules_t *rules);
void fs_rules_scratch_destroy(fs_rules_scratch_t *scr);

/**
 * @brief Find the next match of rule @p id in @p subject starting at @p start.
 *        The subject must be valid UTF-8. On FS_RULES_MATCH, [*ms, *me) is the match.
 */
fs_rules_rc_t fs_rules_match(const fs_rules_t *rules, fs_rules_scratch_t *scr, unsigned id, const char *subject,
			     size_t len, size_t start, size_t *ms, size_t *me);

/**
 * @brief Start a new text for fs_rules_may_match(): @p subject (borrowed
 *        until the next call) is the text fs_rules_match() will be given.
 */
void fs_rules_set_subject(const fs_rules_t *rules, fs_rules_scratch_t *scr, const char *subject, size_t len);

/**
 * @brief The literal prefilter: can rule @p id match the subject given to
 *        fs_rules_set_subject()?
 * @returns 0 when the subject lacks every string of one of the sets of
 *          literals the rule's pattern requires: fs_rules_match() would find
 *          no match in it from any start offset (it could only hit a limit),
 *          and the rule need not run; 1 when the rule may match.
 */
int fs_rules_may_match(const fs_rules_t *rules, fs_rules_scratch_t *scr, unsigned id);

/**
 * @brief The literals rule @p id requires, for tests and diagnostics: each
 *        set in parentheses, its strings as JSON strings separated by " | "
 *        ("(\"on hold \") (\"hour\" | \"hours\")"); empty when the rule
 *        has no prefilter. Writes at most @p size bytes with the NUL.
 * @returns the full length, as snprintf() does.
 */
size_t fs_rules_required(const fs_rules_t *rules, unsigned id, char *buf, size_t size);

/**
 * @brief Compile @p pattern the way rules are compiled and report whether it
 *        is usable (compiles, cannot match the empty string).
 * @returns FS_OK or FS_ERR_REGEX with errstr.
 */
fs_err_t fs_rules_check_pattern(const char *pattern, char *errstr, size_t errstr_size);

#endif
