/*
 * fuzz_util: helpers shared by the libFuzzer targets in tests/fuzz.
 *
 * - FUZZ_CHECK(): an invariant. On failure it prints what broke and aborts,
 *   which libFuzzer reports as a crash and saves the input that caused it.
 * - fuzz_engine_load(): the engine from the shipped lexicon directory
 *   ("lexicons", run from the repository root; FEEDSENSE_LEXICONS overrides).
 * - fuzz_check_result(): the invariants of an fs_result_t.
 * - fuzz_check_event(): the scored event written by fs_event_write_scored()
 *   parses as one JSON object whose text and explanations match the input.
 *
 * Everything here is static inline so that each target includes only what
 * it uses without unused-function warnings.
 */
#ifndef FEEDSENSE_FUZZ_UTIL_H
#define FEEDSENSE_FUZZ_UTIL_H

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/buf.h"
#include "feedsense/event.h"
#include "feedsense/score.h"
#include "feedsense/text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                                          \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "\nFUZZ CHECK FAILED %s:%d: %s\n  ", __FILE__, __LINE__, #cond);               \
			fprintf(stderr, __VA_ARGS__);                                                                  \
			fputc('\n', stderr);                                                                           \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* The engine of the shipped lexicons, loaded once per process; exits on failure. */
static inline fs_engine_t *fuzz_engine_load(void)
{
	const char *dir = getenv("FEEDSENSE_LEXICONS");
	fs_engine_opts_t opts;
	fs_engine_t *engine = NULL;
	char errstr[512];

	fs_engine_opts_init(&opts);
	opts.lexicon_dir = dir && *dir ? dir : "lexicons";
	if (fs_engine_new(&opts, &engine, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr,
			"fuzz: cannot load the engine from %s: %s\n"
			"fuzz: run from the repository root or set FEEDSENSE_LEXICONS\n",
			opts.lexicon_dir, errstr);
		exit(2);
	}
	return engine;
}

static inline int fuzz_finite_in(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

/*
 * Invariants of a successful fs_score() over @p len bytes: compound in
 * [-1, 1], proportions that sum to 1, explanation spans inside the text
 * that cut it at UTF-8 boundaries, categories and flags that name
 * something the engine knows.
 */
static inline void fuzz_check_result(const fs_engine_t *engine, const fs_result_t *res, const char *text, size_t len)
{
	const fs_tags_t *tags = fs_engine_tags(engine);
	const fs_rules_t *rules = fs_engine_rules(engine);
	size_t k;
	unsigned b;

	FUZZ_CHECK(fuzz_finite_in(res->compound, -1, 1), "compound %g", res->compound);
	FUZZ_CHECK(fuzz_finite_in(res->pos, 0, 1) && fuzz_finite_in(res->neu, 0, 1) && fuzz_finite_in(res->neg, 0, 1),
		   "pos %g neu %g neg %g", res->pos, res->neu, res->neg);
	FUZZ_CHECK(fabs(res->pos + res->neu + res->neg - 1.0) <= 1e-3, "pos %g + neu %g + neg %g != 1", res->pos,
		   res->neu, res->neg);
	FUZZ_CHECK(res->label == fs_engine_label(engine, res->compound), "label %d for compound %g", res->label,
		   res->compound);
	FUZZ_CHECK(isfinite(res->length_factor) && res->length_factor >= 1, "length_factor %g", res->length_factor);
	FUZZ_CHECK(res->nexplain == 0 || res->explain, "nexplain %zu without items", res->nexplain);
	for (k = 0; k < res->nexplain; k++) {
		const fs_explain_t *x = &res->explain[k];
		size_t pos;
		FUZZ_CHECK(x->kind <= FS_X_QMARKS, "explain[%zu].kind %u", k, x->kind);
		FUZZ_CHECK(x->start <= x->end && x->end <= len,
			   "explain[%zu] span [%u, %u) outside the text of %zu bytes", k, x->start, x->end, len);
		FUZZ_CHECK(fs_utf8_valid(text + x->start, x->end - x->start, &pos),
			   "explain[%zu] span [%u, %u) cuts a UTF-8 sequence (byte %zu)", k, x->start, x->end, pos);
		FUZZ_CHECK(x->what && x->what_len > 0, "explain[%zu] names nothing", k);
		FUZZ_CHECK(fs_utf8_valid(x->what, x->what_len, &pos), "explain[%zu].what is not UTF-8", k);
		FUZZ_CHECK(isfinite(x->valence) && isfinite(x->local) && isfinite(x->score),
			   "explain[%zu] valence %g local %g score %g", k, (double)x->valence, (double)x->local,
			   (double)x->score);
		FUZZ_CHECK(x->ntok >= 1 && (size_t)x->tok + x->ntok <= res->ntokens,
			   "explain[%zu] tokens [%u, +%u) of %u", k, x->tok, x->ntok, res->ntokens);
	}
	FUZZ_CHECK(res->ncats <= FS_TAG_MAX && (res->ncats == 0 || res->cats), "ncats %zu", res->ncats);
	for (k = 0; k < res->ncats; k++) {
		const fs_cat_result_t *c = &res->cats[k];
		unsigned m;
		FUZZ_CHECK(c->id < fs_tags_count(tags), "category id %u of %u", c->id, fs_tags_count(tags));
		FUZZ_CHECK(fuzz_finite_in(c->compound, -1, 1), "category %u compound %g", c->id, c->compound);
		FUZZ_CHECK(c->nmatched >= 1 && c->nmatched <= FS_CAT_MATCHED_MAX, "category %u nmatched %u", c->id,
			   c->nmatched);
		for (m = 0; m < c->nmatched; m++) {
			FUZZ_CHECK(c->matched[m] && c->matched_len[m] > 0, "category %u matched[%u] empty", c->id, m);
		}
	}
	for (b = 0; b < FS_FLAGS_MAX; b++) {
		if (res->flags & (1u << b)) {
			FUZZ_CHECK(fs_rules_flag_name(rules, b) != NULL, "flag bit %u has no name", b);
		}
	}
}

/*
 * Write the scored event for @p in and check it: one JSON object (jansson
 * must parse it, embedded NULs allowed, duplicate keys refused) whose
 * "text" is the input text byte for byte, whose explanations are as many
 * as @p res has with the same spans, and whose compound is the result's
 * rounded to 4 decimals.
 */
static inline void fuzz_check_event(fs_buf_t *out, const fs_engine_t *engine, const fs_result_t *res,
				    const fs_event_in_t *in, const char *text_field)
{
	static const fs_event_source_t src = {"feedback", 3, 42, 1700000000000};
	json_error_t jerr;
	json_t *root, *v, *explain;
	size_t k;

	fs_buf_reset(out);
	fs_event_write_scored(out, engine, res, in, text_field, &src);
	FUZZ_CHECK(!out->oom && out->p, "event writer ran out of memory");
	FUZZ_CHECK(memchr(out->p, '\n', out->len) == NULL, "event is not one line");
	root = json_loadb(out->p, out->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	FUZZ_CHECK(root != NULL, "event is not JSON: %s at byte %d: %.*s", jerr.text, jerr.position,
		   (int)(out->len > 2000 ? 2000 : out->len), out->p);
	FUZZ_CHECK(json_is_object(root), "event is not an object");
	v = json_object_get(root, "text");
	FUZZ_CHECK(json_is_string(v) && json_string_length(v) == in->text_len &&
		       memcmp(json_string_value(v), in->text, in->text_len) == 0,
		   "event text differs from the input text");
	v = json_object_get(json_object_get(root, "sentiment"), "compound");
	FUZZ_CHECK(json_is_number(v) && fabs(json_number_value(v) - res->compound) <= 0.5e-4 + 1e-9,
		   "event compound %g, result %g", json_number_value(v), res->compound);
	explain = json_object_get(root, "explain");
	FUZZ_CHECK(json_is_array(explain) && json_array_size(explain) == res->nexplain,
		   "event has %zu explanations, result %zu", json_array_size(explain), res->nexplain);
	for (k = 0; k < res->nexplain; k++) {
		const fs_explain_t *x = &res->explain[k];
		json_t *it = json_array_get(explain, k);
		json_t *start = json_object_get(it, "start"), *end = json_object_get(it, "end");
		json_t *text = json_object_get(it, "text");
		FUZZ_CHECK(json_is_integer(start) && json_integer_value(start) == (json_int_t)x->start &&
			       json_is_integer(end) && json_integer_value(end) == (json_int_t)x->end,
			   "explain[%zu] span differs", k);
		FUZZ_CHECK(json_is_string(text) && json_string_length(text) == x->end - x->start &&
			       memcmp(json_string_value(text), in->text + x->start, x->end - x->start) == 0,
			   "explain[%zu] text differs from the input span", k);
	}
	json_decref(root);
}

#endif
