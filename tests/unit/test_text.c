/*
 * test_text: unit tests of the UTF-8 validator, normaliser and tokenizer
 * (include/feedsense/text.h).
 *
 * Covers contractions (ASCII and typographic apostrophes, with offsets back
 * into the original), elongation, "!"/"?" runs, HTML entities, skipped URLs,
 * e-mail addresses and @mentions, emoticons, emoji (skin tones, ZWJ
 * sequences), hashtags, the ALL-CAPS flag, decimal numbers, newlines as
 * sentence ends, whitespace collapsing, invalid UTF-8 with its error
 * position, NUL bytes and empty input.
 */
#include "testutil.h"

#include "feedsense/text.h"

typedef struct {
	fs_text_t t;
} tstate_t;

static int setup(void **state)
{
	tstate_t *st = calloc(1, sizeof(*st));
	if (!st) {
		return -1;
	}
	fs_text_init(&st->t);
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	tstate_t *st = *state;
	fs_text_free(&st->t);
	free(st);
	return 0;
}

/* Process a NUL-terminated string and require success. */
static fs_text_t *process_ok(void **state, const char *s)
{
	tstate_t *st = *state;
	size_t errpos = SIZE_MAX;
	assert_int_equal(fs_text_process(&st->t, s, strlen(s), &errpos), FS_OK);
	return &st->t;
}

/* Assert that token k has kind @p kind and normalised text @p s. */
#define assert_tok(t, k, kind_, s) tu_assert_tok((t), (k), (kind_), (s), __FILE__, __LINE__)

static void tu_assert_tok(const fs_text_t *t, size_t k, int kind, const char *s, const char *file, int line)
{
	if (k >= t->ntok) {
		print_error("token %zu missing: only %zu tokens\n", k, t->ntok);
		_fail(file, line);
		return;
	}
	if (t->tok[k].kind != kind || !tu_streq_n(fs_tok_ptr(t, &t->tok[k]), fs_tok_len(&t->tok[k]), s)) {
		print_error("token %zu is kind %d \"%.*s\", expected kind %d \"%s\"\n", k, t->tok[k].kind,
			    (int)fs_tok_len(&t->tok[k]), fs_tok_ptr(t, &t->tok[k]), kind, s);
		_fail(file, line);
	}
}

static void test_contraction_ascii(void **state)
{
	fs_text_t *t = process_ok(state, "I didn't like it");

	assert_int_equal(t->ntok, 4);
	assert_tok(t, 0, FS_TOK_WORD, "i");
	assert_tok(t, 1, FS_TOK_WORD, "didn't");
	assert_tok(t, 2, FS_TOK_WORD, "like");
	assert_tok(t, 3, FS_TOK_WORD, "it");
	/* "didn't" is bytes 2..8 of the original */
	assert_int_equal(t->tok[1].ostart, 2);
	assert_int_equal(t->tok[1].oend, 8);
}

static void test_contraction_typographic(void **state)
{
	/* "it isn’t ok": ’ is E2 80 99, so "isn’t" is original bytes 3..10 */
	const char *s = "it isn\xE2\x80\x99t ok";
	fs_text_t *t = process_ok(state, s);

	assert_string_equal(t->norm, "it isn't ok");
	assert_int_equal(t->ntok, 3);
	assert_tok(t, 1, FS_TOK_WORD, "isn't");
	assert_int_equal(t->tok[1].ostart, 3);
	assert_int_equal(t->tok[1].oend, 10);
	/* the "'" byte maps back to the whole 3-byte apostrophe */
	assert_int_equal(t->norm[6], '\'');
	assert_int_equal(t->map[6], 6);
	assert_int_equal(t->map[7], 9);
	/* the token after it is shifted by the two extra bytes */
	assert_tok(t, 2, FS_TOK_WORD, "ok");
	assert_int_equal(t->tok[2].start, 9);
	assert_int_equal(t->tok[2].ostart, 11);
	assert_int_equal(t->tok[2].oend, 13);
	assert_memory_equal(s + t->tok[2].ostart, "ok", 2);
}

static void test_elongation(void **state)
{
	fs_text_t *t = process_ok(state, "sooooo good");

	assert_int_equal(t->ntok, 2);
	assert_tok(t, 0, FS_TOK_WORD, "soo");
	assert_true(t->tok[0].flags & FS_TOKF_ELONG);
	/* the token still covers every original byte of "sooooo" */
	assert_int_equal(t->tok[0].ostart, 0);
	assert_int_equal(t->tok[0].oend, 6);
	assert_tok(t, 1, FS_TOK_WORD, "good");
	assert_false(t->tok[1].flags & FS_TOKF_ELONG);
	assert_int_equal(t->tok[1].ostart, 7);
	assert_int_equal(t->tok[1].oend, 11);
}

static void test_exclamations(void **state)
{
	fs_text_t *t = process_ok(state, "great!!!!");

	assert_int_equal(t->ntok, 2);
	assert_tok(t, 1, FS_TOK_PUNCT, "!!!!");
	assert_int_equal(t->tok[1].nexcl, 4);
	assert_int_equal(t->tok[1].nquest, 0);
	assert_true(t->tok[1].flags & FS_TOKF_SENT_END);
}

static void test_mixed_question_exclamation(void **state)
{
	fs_text_t *t = process_ok(state, "really?!? yes");

	assert_int_equal(t->ntok, 3);
	assert_tok(t, 1, FS_TOK_PUNCT, "?!?");
	assert_int_equal(t->tok[1].nexcl, 1);
	assert_int_equal(t->tok[1].nquest, 2);
	assert_true(t->tok[1].flags & FS_TOKF_SENT_END);
	assert_tok(t, 2, FS_TOK_WORD, "yes");
}

static void test_html_entities(void **state)
{
	fs_text_t *t = process_ok(state, "a &amp; b &#39; c &#x2019; d &quot;e&quot;");

	assert_string_equal(t->norm, "a & b ' c ' d \"e\"");

	/* decoded once only */
	t = process_ok(state, "x &amp;amp; y");
	assert_string_equal(t->norm, "x &amp; y");

	/* "&lt;3" is the emoticon "<3", spanning the whole entity */
	t = process_ok(state, "&lt;3");
	assert_int_equal(t->ntok, 1);
	assert_tok(t, 0, FS_TOK_EMOTICON, "<3");
	assert_int_equal(t->tok[0].ostart, 0);
	assert_int_equal(t->tok[0].oend, 5);
}

static void test_html_entity_in_word(void **state)
{
	/* "don&#39;t" is one word "don't" spanning original bytes 0..9 */
	const char *s = "don&#39;t go";
	fs_text_t *t = process_ok(state, s);

	assert_int_equal(t->ntok, 2);
	assert_tok(t, 0, FS_TOK_WORD, "don't");
	assert_int_equal(t->tok[0].ostart, 0);
	assert_int_equal(t->tok[0].oend, 9);
	assert_tok(t, 1, FS_TOK_WORD, "go");
	assert_int_equal(t->tok[1].ostart, 10);
	assert_int_equal(t->tok[1].oend, 12);
}

static void test_urls_skipped(void **state)
{
	fs_text_t *t = process_ok(state, "http://example.com/a?b=c https://x.org/");

	assert_int_equal(t->ntok, 0);

	t = process_ok(state, "see https://example.com/page now");
	assert_int_equal(t->ntok, 2);
	assert_tok(t, 0, FS_TOK_WORD, "see");
	assert_tok(t, 1, FS_TOK_WORD, "now");
}

static void test_www_url_skipped(void **state)
{
	/* "www." URLs are skipped like http ones: no words, no "." sentence ends */
	fs_text_t *t = process_ok(state, "www.shop.com");

	assert_int_equal(t->ntok, 0);

	t = process_ok(state, "see www.shop.com/help now");
	assert_int_equal(t->ntok, 2);
	assert_tok(t, 0, FS_TOK_WORD, "see");
	assert_tok(t, 1, FS_TOK_WORD, "now");
}

static void test_email_and_mention_skipped(void **state)
{
	fs_text_t *t = process_ok(state, "bob@example.com @alice");

	assert_int_equal(t->ntok, 0);

	t = process_ok(state, "mail bob.smith@example.co.uk or ask @alice_b today");
	assert_int_equal(t->ntok, 4);
	assert_tok(t, 0, FS_TOK_WORD, "mail");
	assert_tok(t, 1, FS_TOK_WORD, "or");
	assert_tok(t, 2, FS_TOK_WORD, "ask");
	assert_tok(t, 3, FS_TOK_WORD, "today");
}

static void test_emoticons(void **state)
{
	static const char *const emo[] = {":)", ":-(", "<3", "(:"};
	size_t i;
	fs_text_t *t;

	for (i = 0; i < sizeof(emo) / sizeof(emo[0]); i++) {
		t = process_ok(state, emo[i]);
		assert_int_equal(t->ntok, 1);
		assert_tok(t, 0, FS_TOK_EMOTICON, emo[i]);
	}
	t = process_ok(state, "love it :) <3 (: :-(");
	assert_int_equal(t->ntok, 6);
	assert_tok(t, 2, FS_TOK_EMOTICON, ":)");
	assert_tok(t, 3, FS_TOK_EMOTICON, "<3");
	assert_tok(t, 4, FS_TOK_EMOTICON, "(:");
	assert_tok(t, 5, FS_TOK_EMOTICON, ":-(");
}

static void test_emoji_skin_tone(void **state)
{
	/* 👍🏽 = U+1F44D U+1F3FD: one emoji token, the modifier dropped */
	fs_text_t *t = process_ok(state, "ok \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD");

	assert_int_equal(t->ntok, 2);
	assert_tok(t, 1, FS_TOK_EMOJI, "\xF0\x9F\x91\x8D");
	assert_int_equal(t->tok[1].ostart, 3);
	/* the span ends after the thumb (7) or after the dropped modifier (11) */
	assert_true(t->tok[1].oend == 7 || t->tok[1].oend == 11);
}

static void test_emoji_zwj_family(void **state)
{
	/* 👨‍👩‍👧 = U+1F468 ZWJ U+1F469 ZWJ U+1F467, 18 bytes, one token */
	const char *fam = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
	char buf[64];
	fs_text_t *t;

	snprintf(buf, sizeof(buf), "%s happy", fam);
	t = process_ok(state, buf);
	assert_int_equal(t->ntok, 2);
	assert_tok(t, 0, FS_TOK_EMOJI, fam);
	assert_int_equal(t->tok[0].ostart, 0);
	assert_int_equal(t->tok[0].oend, 18);
	assert_tok(t, 1, FS_TOK_WORD, "happy");
}

static void test_hashtag(void **state)
{
	fs_text_t *t = process_ok(state, "#fail again");

	assert_int_equal(t->ntok, 2);
	assert_tok(t, 0, FS_TOK_WORD, "fail");
	assert_true(t->tok[0].flags & FS_TOKF_HASHTAG);
	assert_int_equal(t->tok[0].ostart, 1);
	assert_int_equal(t->tok[0].oend, 5);
	assert_false(t->tok[1].flags & FS_TOKF_HASHTAG);
}

static void test_caps_flag(void **state)
{
	fs_text_t *t = process_ok(state, "I LOVE it A OK Good");

	assert_int_equal(t->ntok, 6);
	assert_false(t->tok[0].flags & FS_TOKF_CAPS); /* "I": one capital */
	assert_true(t->tok[1].flags & FS_TOKF_CAPS);  /* "LOVE" */
	assert_false(t->tok[2].flags & FS_TOKF_CAPS); /* "it" */
	assert_false(t->tok[3].flags & FS_TOKF_CAPS); /* "A": one capital */
	assert_true(t->tok[4].flags & FS_TOKF_CAPS);  /* "OK": two capitals */
	assert_false(t->tok[5].flags & FS_TOKF_CAPS); /* "Good": mixed */
	assert_int_equal(t->ncaps_words, 2);
	assert_tok(t, 1, FS_TOK_WORD, "love");
}

/* the words of a short quotation are marked; apostrophes of contractions
 * and plural possessives open nothing, nor does an unclosed quote */
static void test_quoted_words(void **state)
{
	fs_text_t *t = process_ok(state, "the customers' \u201cpremium\u201d seat, don't 'fast' it");

	assert_int_equal(t->ntok, 8);
	assert_tok(t, 0, FS_TOK_WORD, "the");
	assert_tok(t, 1, FS_TOK_WORD, "customers");
	assert_false(t->tok[1].flags & FS_TOKF_QUOTED);
	assert_tok(t, 2, FS_TOK_WORD, "premium"); /* typographic quotes normalised to '"' */
	assert_true(t->tok[2].flags & FS_TOKF_QUOTED);
	assert_false(t->tok[3].flags & FS_TOKF_QUOTED); /* "seat" */
	assert_tok(t, 5, FS_TOK_WORD, "don't");
	assert_false(t->tok[5].flags & FS_TOKF_QUOTED);
	assert_tok(t, 6, FS_TOK_WORD, "fast");
	assert_true(t->tok[6].flags & FS_TOKF_QUOTED);
	assert_false(t->tok[7].flags & FS_TOKF_QUOTED);

	t = process_ok(state, "said it was \"all sorted now\" again");
	assert_int_equal(t->ntok, 7);
	assert_false(t->tok[2].flags & FS_TOKF_QUOTED); /* "was" */
	assert_true(t->tok[3].flags & FS_TOKF_QUOTED);
	assert_true(t->tok[4].flags & FS_TOKF_QUOTED);
	assert_true(t->tok[5].flags & FS_TOKF_QUOTED);
	assert_false(t->tok[6].flags & FS_TOKF_QUOTED); /* "again" */

	/* an emoji is no word: the quote after it opens */
	t = process_ok(state, "\xF0\x9F\x98\x80'great' seat");
	assert_int_equal(t->ntok, 3);
	assert_tok(t, 1, FS_TOK_WORD, "great");
	assert_true(t->tok[1].flags & FS_TOKF_QUOTED);
	assert_false(t->tok[2].flags & FS_TOKF_QUOTED);

	t = process_ok(state, "'90s style, great");
	assert_false(t->tok[0].flags & FS_TOKF_QUOTED);
	assert_false(t->tok[3].flags & FS_TOKF_QUOTED);
}

static void test_decimal_number(void **state)
{
	fs_text_t *t = process_ok(state, "rated 4.5 stars.");

	assert_int_equal(t->ntok, 4);
	assert_tok(t, 1, FS_TOK_WORD, "4.5");
	assert_tok(t, 3, FS_TOK_PUNCT, ".");
	assert_true(t->tok[3].flags & FS_TOKF_SENT_END);
}

static void test_newline_sentence_end(void **state)
{
	fs_text_t *t = process_ok(state, "good\nbad");

	assert_int_equal(t->ntok, 3);
	assert_tok(t, 0, FS_TOK_WORD, "good");
	assert_int_equal(t->tok[1].kind, FS_TOK_PUNCT);
	assert_true(t->tok[1].flags & FS_TOKF_SENT_END);
	assert_tok(t, 2, FS_TOK_WORD, "bad");
}

static void test_whitespace_collapse(void **state)
{
	/* spaces, tabs, a no-break space (C2 A0) and a leading/trailing run */
	fs_text_t *t = process_ok(state, "  a \t\t b\xC2\xA0\xC2\xA0   c  ");

	assert_string_equal(t->norm, "a b c");
	assert_int_equal(t->norm_len, 5);
	assert_int_equal(t->ntok, 3);
	assert_int_equal(t->tok[0].ostart, 2);
	assert_int_equal(t->tok[1].ostart, 7);
	assert_int_equal(t->tok[2].ostart, 15);
}

/* Invalid UTF-8 must be rejected at the offending byte, with no tokens. */
static void check_invalid(void **state, const char *s, size_t len, size_t want_pos)
{
	tstate_t *st = *state;
	size_t errpos = SIZE_MAX, vpos = SIZE_MAX;

	/* leave tokens from a valid text behind first */
	process_ok(state, "good text here");
	assert_int_equal(fs_text_process(&st->t, s, len, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, want_pos);
	assert_int_equal(st->t.ntok, 0);
	assert_int_equal(fs_utf8_valid(s, len, &vpos), 0);
	assert_int_equal(vpos, want_pos);
}

static void test_invalid_utf8_overlong(void **state)
{
	check_invalid(state, "ab\xC0\x80", 4, 2);
}

static void test_invalid_utf8_surrogate(void **state)
{
	check_invalid(state, "x \xED\xA0\x80 y", 7, 2);
}

static void test_invalid_utf8_truncated(void **state)
{
	check_invalid(state, "abc\xE2\x82", 5, 3);
}

static void test_invalid_utf8_above_max(void **state)
{
	check_invalid(state, "ok \xF4\x90\x80\x80", 7, 3);
}

static void test_invalid_utf8_lone_continuation(void **state)
{
	check_invalid(state, "fine \x80 fine", 11, 5);
}

static void test_valid_utf8_edges(void **state)
{
	/* U+10FFFF (F4 8F BF BF), U+0080 (C2 80) and U+FFFD are valid */
	const char *s = "\xF4\x8F\xBF\xBF \xC2\x80 \xEF\xBF\xBD";
	size_t pos = SIZE_MAX;

	(void)state;
	assert_int_equal(fs_utf8_valid(s, strlen(s), &pos), 1);
}

static void test_nul_is_whitespace(void **state)
{
	tstate_t *st = *state;
	static const char s[] = "good\0bad";
	size_t errpos = SIZE_MAX;

	assert_int_equal(fs_text_process(&st->t, s, sizeof(s) - 1, &errpos), FS_OK);
	assert_int_equal(st->t.ntok, 2);
	assert_tok(&st->t, 0, FS_TOK_WORD, "good");
	assert_tok(&st->t, 1, FS_TOK_WORD, "bad");
	assert_int_equal(st->t.tok[1].ostart, 5);
	assert_string_equal(st->t.norm, "good bad");
}

static void test_empty(void **state)
{
	tstate_t *st = *state;
	size_t errpos = SIZE_MAX;

	process_ok(state, "leave some tokens");
	assert_int_equal(fs_text_process(&st->t, "", 0, &errpos), FS_OK);
	assert_int_equal(st->t.ntok, 0);
	assert_int_equal(st->t.norm_len, 0);

	assert_int_equal(fs_text_process(&st->t, " \t\n ", 4, &errpos), FS_OK);
	assert_int_equal(st->t.ntok, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contraction_ascii, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quoted_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contraction_typographic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elongation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclamations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_question_exclamation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_entities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_entity_in_word, setup, teardown),
		cmocka_unit_test_setup_teardown(test_urls_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_www_url_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_email_and_mention_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emoticons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emoji_skin_tone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emoji_zwj_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hashtag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decimal_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_sentence_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whitespace_collapse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_overlong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_surrogate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_above_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_lone_continuation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_utf8_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_is_whitespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
