/*
 * text: UTF-8 validation, normalisation and tokenisation of feedback text.
 *
 * fs_text_process() turns raw bytes into a normalised copy (lower case,
 * ASCII apostrophes/quotes/dashes, HTML entities decoded, whitespace runs
 * collapsed, elongations "sooooo" cut to two letters, emoji variation
 * selectors and skin tones dropped) with a byte map back to the original,
 * and a token array over it. An fs_text_t is per-thread scratch: reuse it
 * and steady-state processing allocates nothing.
 */
#ifndef FEEDSENSE_TEXT_H
#define FEEDSENSE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/err.h"

typedef enum fs_tok_kind {
	FS_TOK_WORD = 0, /**< letters/digits with inner apostrophes */
	FS_TOK_EMOJI,    /**< one emoji (ZWJ sequences kept whole) */
	FS_TOK_EMOTICON, /**< ASCII emoticon such as ":)" or "<3" */
	FS_TOK_PUNCT,    /**< sentence or clause punctuation */
} fs_tok_kind_t;

/* token flags */
#define FS_TOKF_CAPS       0x01 /**< written in capitals in the original ("NEVER") */
#define FS_TOKF_ELONG      0x02 /**< elongated in the original ("sooooo") */
#define FS_TOKF_HASHTAG    0x04 /**< came from a #hashtag */
#define FS_TOKF_SENT_END   0x08 /**< PUNCT that ends a sentence (. ! ? newline) */
#define FS_TOKF_CLAUSE_END 0x10 /**< PUNCT that ends a clause (, ; : parentheses) */
#define FS_TOKF_QUOTED     0x20 /**< WORD inside a short quotation ('premium', "we care") */

typedef struct fs_token {
	uint32_t start, end;   /**< byte span in the normalised text */
	uint32_t ostart, oend; /**< byte span in the original text */
	uint8_t kind;          /**< fs_tok_kind_t */
	uint8_t flags;         /**< FS_TOKF_* */
	uint8_t nexcl;         /**< PUNCT: number of '!' (capped at 255) */
	uint8_t nquest;        /**< PUNCT: number of '?' (capped at 255) */
} fs_token_t;

typedef struct fs_text {
	char *norm; /**< normalised text, NUL-terminated */
	size_t norm_len;
	uint32_t *map; /**< map[k]: original offset where norm byte k's source starts;
			    map[k + 1] is where it ends (map has norm_len + 1 entries) */
	size_t norm_cap;
	fs_token_t *tok;
	size_t ntok, tok_cap;
	uint32_t *elong; /**< norm offsets where an elongation was cut */
	size_t nelong, elong_cap;
	unsigned ncaps_words;  /**< words written all in capitals */
	unsigned nlower_words; /**< words with a lower-case letter (counted when ncaps_words > 0) */
	int caps_pairs;        /**< the original has two adjacent ASCII capitals somewhere */
} fs_text_t;

/** @brief Initialise empty scratch (no allocation). */
void fs_text_init(fs_text_t *text);
/** @brief Free scratch memory. Safe on an initialised, unused fs_text_t. */
void fs_text_free(fs_text_t *text);

/**
 * @brief Validate, normalise and tokenise @p len bytes at @p s.
 * @returns FS_OK; FS_ERR_UTF8 with *errpos set to the offending byte offset;
 *          FS_ERR_NOMEM. On error the token array is empty.
 */
fs_err_t fs_text_process(fs_text_t *text, const char *s, size_t len, size_t *errpos);

/**
 * @brief Check that @p s is valid UTF-8 (no overlongs, surrogates or code
 *        points above U+10FFFF). @returns 1 if valid, else 0 and *errpos.
 */
int fs_utf8_valid(const char *s, size_t len, size_t *errpos);

/** @brief Pointer to a token's normalised bytes. */
static inline const char *fs_tok_ptr(const fs_text_t *text, const fs_token_t *tok)
{
	return text->norm + tok->start;
}
static inline size_t fs_tok_len(const fs_token_t *tok)
{
	return tok->end - tok->start;
}

#endif
