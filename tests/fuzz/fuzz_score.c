/*
 * fuzz_score: fs_score() with the shipped lexicons on arbitrary bytes, then
 * the scored event written for it.
 *
 * The engine is loaded once in LLVMFuzzerInitialize() from "lexicons" (run
 * from the repository root; FEEDSENSE_LEXICONS overrides). Checks, for
 * every input:
 *  - invalid UTF-8 is refused with the position fs_utf8_valid() finds;
 *  - the result's invariants (fuzz_check_result(): compound in [-1, 1],
 *    pos + neu + neg = 1 within 1e-3, explanation spans inside the text);
 *  - a second scratch that scored another text just before gives the same
 *    result bit for bit (no state leaks from one message to the next);
 *  - the scored event is one JSON object that jansson parses, carrying the
 *    text and the explanations unchanged (fuzz_check_event()).
 */
#include <stdint.h>
#include <string.h>

#include "feedsense/event.h"
#include "feedsense/score.h"
#include "fuzz_util.h"

static fs_engine_t *engine;
static fs_scratch_t *scratch, *other;
static fs_buf_t out = FS_BUF_INIT;

/* Scored by the second scratch before each input, to leave state behind. */
static const char prime[] = "Although the app is NOT bad, I'm sooooo disappointed!!! Charged twice, refund me?? "
			    "#fail :( \xF0\x9F\x98\xA1 but thanks anyway, if it ever works...";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	engine = fuzz_engine_load();
	scratch = fs_scratch_new(engine);
	other = fs_scratch_new(engine);
	if (!scratch || !other) {
		fprintf(stderr, "fuzz_score: out of memory\n");
		exit(2);
	}
	return 0;
}

static void check_same(const fs_result_t *a, const fs_result_t *b)
{
	size_t k;

	FUZZ_CHECK(a->compound == b->compound && a->pos == b->pos && a->neu == b->neu && a->neg == b->neg &&
		       a->label == b->label && a->flags == b->flags && a->ntokens == b->ntokens,
		   "second scratch: compound %g vs %g, flags 0x%x vs 0x%x", a->compound, b->compound, a->flags,
		   b->flags);
	FUZZ_CHECK(a->nexplain == b->nexplain && a->ncats == b->ncats,
		   "second scratch: %zu vs %zu explanations, %zu vs %zu categories", a->nexplain, b->nexplain, a->ncats,
		   b->ncats);
	for (k = 0; k < a->nexplain; k++) {
		const fs_explain_t *x = &a->explain[k], *y = &b->explain[k];
		FUZZ_CHECK(x->kind == y->kind && x->mods == y->mods && x->start == y->start && x->end == y->end &&
			       x->what_len == y->what_len && memcmp(x->what, y->what, x->what_len) == 0 &&
			       x->valence == y->valence && x->local == y->local && x->score == y->score,
			   "second scratch: explanation %zu differs", k);
	}
	for (k = 0; k < a->ncats; k++) {
		FUZZ_CHECK(a->cats[k].id == b->cats[k].id && a->cats[k].compound == b->cats[k].compound,
			   "second scratch: category %zu differs", k);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const fs_result_t *res = NULL, *res2 = NULL;
	fs_event_in_t in;
	size_t errpos = SIZE_MAX, vpos = SIZE_MAX;
	char errstr[256];
	fs_err_t err;

	err = fs_score(engine, scratch, text, size, &res, &errpos);
	if (err == FS_ERR_UTF8) {
		FUZZ_CHECK(!fs_utf8_valid(text, size, &vpos) && errpos == vpos, "UTF-8 error at %zu, expected %zu",
			   errpos, vpos);
		return 0;
	}
	FUZZ_CHECK(err == FS_OK, "fs_score: %s", fs_err2str(err));
	fuzz_check_result(engine, res, text, size);

	err = fs_score(engine, other, prime, sizeof(prime) - 1, &res2, &errpos);
	FUZZ_CHECK(err == FS_OK, "priming text: %s", fs_err2str(err));
	err = fs_score(engine, other, text, size, &res2, &errpos);
	FUZZ_CHECK(err == FS_OK, "second scratch: %s", fs_err2str(err));
	check_same(res, res2);

	err = fs_event_decode_plain(text, size, &in, &errpos, errstr, sizeof(errstr));
	FUZZ_CHECK(err == FS_OK, "fs_event_decode_plain refused what fs_score accepted: %s", errstr);
	fuzz_check_event(&out, engine, res, &in, "text");
	fs_event_in_clear(&in);
	return 0;
}
