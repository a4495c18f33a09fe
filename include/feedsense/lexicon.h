/*
 * lexicon: the vocabulary table. Sentiment terms and phrases with their
 * valence, modifiers (boosters, negators, contrast words ...), and the
 * trigger words that wake up category tags and regex rules, all in one hash
 * table so that scoring costs one lookup per token.
 *
 * Keys are stored normalised exactly like text (fs_text_process) with tokens
 * joined by single spaces, so "Rip-off", "rip off" and "RIP OFF" are one key.
 * A table is built once by the loaders, then frozen and shared read-only.
 */
#ifndef FEEDSENSE_LEXICON_H
#define FEEDSENSE_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/err.h"

typedef struct fs_lexicon fs_lexicon_t;

typedef enum fs_mod {
	FS_MOD_NONE = 0,
	FS_MOD_BOOSTER,            /**< intensifier (value > 0) or dampener (value < 0) */
	FS_MOD_NEGATOR,            /**< not, never, no, without, nobody ... */
	FS_MOD_CONTRAST,           /**< but, however: later part weighs more */
	FS_MOD_CONCESSIVE,         /**< although, even though: its own clause weighs less */
	FS_MOD_POLITE,             /**< please, thanks: does not dilute a complaint */
	FS_MOD_INTERROGATIVE,      /**< how, can, where: opens a neutral question */
	FS_MOD_HYPOTHETICAL,       /**< if, in case: its clause is not a statement of fact */
	FS_MOD_IGNORE,             /**< phrase that cancels the modifiers inside it ("not only") */
	FS_MOD_REQUEST,            /**< please, kindly: marks a request, never makes one positive */
	FS_MOD_OPENER,             /**< hi, hello, and: may come before a question's interrogative */
	FS_MOD_VERDICT,            /**< mixed bag, swings and roundabouts: a balanced overall verdict damps the text */
	FS_MOD_IRONY,              /**< upside-down face, eye roll: the text's praise words are sarcastic */
	FS_MOD_LAST = FS_MOD_IRONY /**< the highest kind: keep it the last one above */
} fs_mod_t;

/* Triggers: what a word wakes up. Bit 31 set = category id, else rule id. */
#define FS_TRIG_CATEGORY 0x80000000u

typedef enum fs_lexfmt {
	FS_LEXFMT_NATIVE = 0, /**< term TAB valence(-4..4) [TAB ignored...] */
	FS_LEXFMT_VADER,      /**< term TAB mean(-4..4) TAB sd TAB ratings (extra columns ignored) */
	FS_LEXFMT_AFINN,      /**< term TAB integer(-5..5), rescaled by 4/5 */
} fs_lexfmt_t;

typedef struct fs_lexent {
	uint64_t hash;
	uint32_t key_off; /**< offset of the key in the table's key arena */
	uint32_t keylen;
	float valence;
	float modval; /**< booster strength */
	uint8_t has_valence;
	uint8_t mod;        /**< fs_mod_t */
	uint8_t ntoks;      /**< tokens in the key */
	uint8_t phrase_max; /**< longest key (in tokens) that starts with this single-token key */
	uint16_t file;      /**< index of the file that defined the valence */
	uint16_t ntrig;
	uint32_t line; /**< line in that file */
	uint32_t trig_off;
} fs_lexent_t;

/**
 * Diagnostics sink for loaders. With keep_going set, a loader reports every
 * problem and skips the bad line instead of stopping at the first error
 * (`feedsense lexicon check`). Warnings are only ever reported here.
 */
typedef struct fs_diag {
	void (*fn)(void *opaque, int is_error, const char *msg);
	void *opaque;
	int keep_going;
	unsigned nerrors, nwarnings;
} fs_diag_t;

/** @brief Report one diagnostic "file:line: msg" through @p diag (may be NULL). */
void fs_diag_report(fs_diag_t *diag, int is_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** @brief 64-bit FNV-1a, the hash every key and token goes through. */
static inline uint64_t fs_hash_update(uint64_t h, const void *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= u[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FS_HASH_INIT 0xcbf29ce484222325ULL

/** @brief New empty table. @returns NULL on allocation failure. */
fs_lexicon_t *fs_lexicon_new(void);
/** @brief Free a table. NULL is a no-op. */
void fs_lexicon_destroy(fs_lexicon_t *lex);

/**
 * @brief Load a lexicon file's contents. @p name is used in messages and
 *        identifies the file for override rules: a later file overrides an
 *        earlier one; a key repeated inside one file with a different value
 *        is an error.
 * @returns FS_OK or FS_ERR_PARSE / FS_ERR_NOMEM with errstr "name:line: reason".
 */
fs_err_t fs_lexicon_load(fs_lexicon_t *lex, const char *name, const char *data, size_t len, fs_lexfmt_t fmt,
			 fs_diag_t *diag, char *errstr, size_t errstr_size);

/** @brief Load a modifiers file (term TAB kind [TAB value]). Same conventions. */
fs_err_t fs_lexicon_load_modifiers(fs_lexicon_t *lex, const char *name, const char *data, size_t len, fs_diag_t *diag,
				   char *errstr, size_t errstr_size);

/**
 * @brief Make @p term (a word, a phrase, or "prefix*") wake up @p trigger.
 *        Used by the category and rule loaders.
 * @returns FS_OK, FS_ERR_PARSE if the term has no words (errstr set), FS_ERR_NOMEM.
 */
fs_err_t fs_lexicon_add_trigger(fs_lexicon_t *lex, const char *term, size_t len, uint32_t trigger, char *errstr,
				size_t errstr_size);

/** @brief Build trigger arrays and phrase lengths; call once after loading. */
fs_err_t fs_lexicon_freeze(fs_lexicon_t *lex);

/**
 * @brief Could @p hash be a phrase key, or the start of one, of two or more
 *        tokens? False means no phrase starts this way (a filter: true may be
 *        a false positive). Lets the scorer extend phrases token by token
 *        with incremental hashes and stop at once in the common case.
 */
int fs_lexicon_phrase_maybe(const fs_lexicon_t *lex, uint64_t hash);

/**
 * @brief Find an entry by hash only, confirming the key with @p eq (which
 *        compares the key to the caller's tokens). @returns NULL if absent.
 */
const fs_lexent_t *fs_lexicon_get_hash(const fs_lexicon_t *lex, uint64_t hash,
				       int (*eq)(void *opaque, const char *key, size_t len), void *opaque);

/** @brief Find an entry by hash and key bytes. @returns NULL if absent. */
const fs_lexent_t *fs_lexicon_get(const fs_lexicon_t *lex, uint64_t hash, const char *key, size_t len);

/**
 * @brief Find prefix entries ("deliver*") matching word @p w; calls @p fn for each.
 *        Cheap when no prefix shares the word's first three bytes.
 */
void fs_lexicon_prefixes(const fs_lexicon_t *lex, const char *w, size_t len,
			 void (*fn)(void *opaque, const fs_lexent_t *ent), void *opaque);

/** @brief The key text of an entry (not NUL-terminated; use ent->keylen). */
const char *fs_lexicon_key(const fs_lexicon_t *lex, const fs_lexent_t *ent);
/** @brief Trigger list of an entry. */
const uint32_t *fs_lexicon_triggers(const fs_lexicon_t *lex, const fs_lexent_t *ent);
/** @brief Name of the file with index @p file. */
const char *fs_lexicon_file_name(const fs_lexicon_t *lex, unsigned file);
/** @brief Number of entries that carry a valence. */
size_t fs_lexicon_count(const fs_lexicon_t *lex);
/** @brief Longest phrase length (tokens) in the table. */
unsigned fs_lexicon_max_phrase(const fs_lexicon_t *lex);

/** @brief Parse a modifier kind name ("booster"). @returns -1 if unknown. */
int fs_mod_parse(const char *s, size_t len);
/** @brief Name of a modifier kind. */
const char *fs_mod_name(fs_mod_t mod);

#endif
