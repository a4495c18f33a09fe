/*
 * fuzz_text: fs_text_process() on arbitrary bytes.
 *
 * Checks, for every input:
 *  - invalid UTF-8 is reported exactly where fs_utf8_valid() finds it, with
 *    an empty token array; valid UTF-8 is always accepted;
 *  - the normalised text is NUL-terminated valid UTF-8 (the rules match it
 *    with PCRE2_NO_UTF_CHECK) and its byte map has norm_len + 1 entries
 *    that never decrease and never pass the end of the input;
 *  - every token lies inside the normalised text (start < end <= norm_len),
 *    after the previous one, with ostart <= oend <= len taken from the map;
 *    word, emoji and emoticon tokens hold no blank (lexicon keys join
 *    tokens with single spaces);
 *  - elongation cuts are increasing offsets inside the normalised text;
 *  - a scratch reused from the previous input gives the same result as a
 *    fresh one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/text.h"
#include "fuzz_util.h"

#define KNOWN_FLAGS                                                                                                    \
	(FS_TOKF_CAPS | FS_TOKF_ELONG | FS_TOKF_HASHTAG | FS_TOKF_SENT_END | FS_TOKF_CLAUSE_END | FS_TOKF_QUOTED)

static fs_text_t reused; /* keeps its buffers from one input to the next, like a worker's scratch */

static void check_text(const fs_text_t *t, const char *s, size_t len)
{
	size_t k, pos = 0, words = 0;

	FUZZ_CHECK(t->norm && t->map, "no buffers after success");
	FUZZ_CHECK(t->norm_len < t->norm_cap, "norm_len %zu, capacity %zu", t->norm_len, t->norm_cap);
	FUZZ_CHECK(t->norm[t->norm_len] == '\0', "normalised text not NUL-terminated");
	FUZZ_CHECK(fs_utf8_valid(t->norm, t->norm_len, &pos), "normalised text is not UTF-8 at byte %zu", pos);
	for (k = 0; k <= t->norm_len; k++) {
		FUZZ_CHECK(t->map[k] <= len, "map[%zu] = %u past the input (%zu bytes)", k, t->map[k], len);
		if (k) {
			FUZZ_CHECK(t->map[k - 1] <= t->map[k], "map decreases at %zu: %u then %u", k, t->map[k - 1],
				   t->map[k]);
		}
	}
	for (k = 0; k < t->nelong; k++) {
		FUZZ_CHECK(t->elong[k] < t->norm_len, "elong[%zu] = %u past norm_len %zu", k, t->elong[k], t->norm_len);
		FUZZ_CHECK(!k || t->elong[k - 1] < t->elong[k], "elong not increasing at %zu", k);
	}
	FUZZ_CHECK(t->ntok <= t->tok_cap && (t->ntok == 0 || t->tok), "ntok %zu, capacity %zu", t->ntok, t->tok_cap);
	for (k = 0; k < t->ntok; k++) {
		const fs_token_t *tok = &t->tok[k];
		FUZZ_CHECK(tok->start < tok->end && tok->end <= t->norm_len,
			   "token %zu: [%u, %u) in %zu normalised bytes", k, tok->start, tok->end, t->norm_len);
		FUZZ_CHECK(tok->ostart <= tok->oend && tok->oend <= len, "token %zu: original [%u, %u) in %zu bytes", k,
			   tok->ostart, tok->oend, len);
		FUZZ_CHECK(tok->ostart == t->map[tok->start] && tok->oend == t->map[tok->end],
			   "token %zu: original span [%u, %u) is not the map's [%u, %u)", k, tok->ostart, tok->oend,
			   t->map[tok->start], t->map[tok->end]);
		FUZZ_CHECK(!k || t->tok[k - 1].end <= tok->start, "token %zu overlaps token %zu", k, k - 1);
		FUZZ_CHECK(tok->kind <= FS_TOK_PUNCT, "token %zu: kind %u", k, tok->kind);
		FUZZ_CHECK(!(tok->flags & ~KNOWN_FLAGS), "token %zu: flags 0x%x", k, tok->flags);
		FUZZ_CHECK(!(tok->flags & FS_TOKF_QUOTED) || tok->kind == FS_TOK_WORD, "token %zu: quoted but kind %u",
			   k, tok->kind);
		FUZZ_CHECK(fs_utf8_valid(fs_tok_ptr(t, tok), fs_tok_len(tok), &pos), "token %zu cuts a UTF-8 sequence",
			   k);
		if (tok->kind == FS_TOK_PUNCT) {
			FUZZ_CHECK(!(tok->flags & (FS_TOKF_CAPS | FS_TOKF_ELONG | FS_TOKF_HASHTAG | FS_TOKF_QUOTED)),
				   "punctuation token %zu has word flags 0x%x", k, tok->flags);
			continue;
		}
		FUZZ_CHECK(!memchr(fs_tok_ptr(t, tok), ' ', fs_tok_len(tok)) &&
			       !memchr(fs_tok_ptr(t, tok), '\n', fs_tok_len(tok)),
			   "token %zu holds a blank: \"%.*s\"", k, (int)fs_tok_len(tok), fs_tok_ptr(t, tok));
		if (tok->kind == FS_TOK_WORD) {
			words++;
		}
		if (tok->flags & FS_TOKF_CAPS) {
			unsigned upper = 0, lower = 0;
			uint32_t j;
			for (j = tok->ostart; j < tok->oend; j++) {
				upper += s[j] >= 'A' && s[j] <= 'Z';
				lower += s[j] >= 'a' && s[j] <= 'z';
			}
			FUZZ_CHECK(tok->kind == FS_TOK_WORD && upper >= 2 && !lower,
				   "token %zu marked as capitals: \"%.*s\"", k, (int)(tok->oend - tok->ostart),
				   s + tok->ostart);
		}
	}
	FUZZ_CHECK(t->ncaps_words <= words && t->nlower_words <= words, "caps %u lower %u of %zu words", t->ncaps_words,
		   t->nlower_words, words);
}

static void check_same(const fs_text_t *a, const fs_text_t *b)
{
	FUZZ_CHECK(a->norm_len == b->norm_len && memcmp(a->norm, b->norm, a->norm_len) == 0,
		   "reused and fresh scratch normalise differently");
	FUZZ_CHECK(memcmp(a->map, b->map, (a->norm_len + 1) * sizeof(*a->map)) == 0,
		   "reused and fresh scratch map differently");
	FUZZ_CHECK(a->ntok == b->ntok && (a->ntok == 0 || memcmp(a->tok, b->tok, a->ntok * sizeof(*a->tok)) == 0),
		   "reused and fresh scratch tokenise differently (%zu vs %zu tokens)", a->ntok, b->ntok);
	FUZZ_CHECK(a->ncaps_words == b->ncaps_words && a->nlower_words == b->nlower_words,
		   "reused and fresh scratch count capitals differently");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fs_text_init(&reused);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	fs_text_t fresh;
	size_t errpos = SIZE_MAX, vpos = SIZE_MAX;
	int valid = fs_utf8_valid(s, size, &vpos);
	fs_err_t err = fs_text_process(&reused, s, size, &errpos);

	if (err == FS_ERR_UTF8) {
		FUZZ_CHECK(!valid, "valid UTF-8 refused at byte %zu", errpos);
		FUZZ_CHECK(errpos == vpos, "error at byte %zu, fs_utf8_valid says %zu", errpos, vpos);
		FUZZ_CHECK(reused.ntok == 0, "%zu tokens after an error", reused.ntok);
		return 0;
	}
	FUZZ_CHECK(err == FS_OK, "fs_text_process: %s", fs_err2str(err));
	FUZZ_CHECK(valid, "invalid UTF-8 at byte %zu accepted", vpos);
	check_text(&reused, s, size);

	fs_text_init(&fresh);
	err = fs_text_process(&fresh, s, size, &errpos);
	FUZZ_CHECK(err == FS_OK, "fresh scratch: %s", fs_err2str(err));
	check_same(&reused, &fresh);
	fs_text_free(&fresh);
	return 0;
}
