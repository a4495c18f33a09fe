/*
 * testutil: helpers shared by the cmocka unit tests.
 *
 * - tu_engine_new(): the engine loaded from the fixture lexicon directory
 *   tests/unit/fixtures/lex (values fixed for the tests; the tests run from
 *   the repository root).
 * - assert_approx(): approximate equality with tolerance 1e-3 that prints
 *   both values on failure.
 * - tu_lookup(): look a normalised key up in a lexicon table.
 * - tu_squash(): s / sqrt(s^2 + 15), the compound formula, for readability
 *   of expectations that are otherwise written out by hand.
 */
#ifndef FEEDSENSE_TESTUTIL_H
#define FEEDSENSE_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feedsense/lexicon.h"
#include "feedsense/score.h"

#define TU_FIXTURE_DIR "tests/unit/fixtures/lex"
#define TU_EPS 1e-3

/* Approximate equality; prints the expression and both values on failure. */
#define assert_approx(actual, expected)                                                                          \
	tu_assert_approx((double)(actual), (double)(expected), TU_EPS, #actual, __FILE__, __LINE__)
#define assert_approx_eps(actual, expected, eps)                                                                 \
	tu_assert_approx((double)(actual), (double)(expected), (eps), #actual, __FILE__, __LINE__)

static inline void tu_assert_approx(double actual, double expected, double eps, const char *expr, const char *file,
				    int line)
{
	if (!(fabs(actual - expected) <= eps)) {
		print_error("%s = %.6f, expected %.6f (tolerance %g)\n", expr, actual, expected, eps);
		_fail(file, line);
	}
}

/* Assert that a NUL-terminated string starts with a prefix. */
#define assert_prefix(str, prefix) tu_assert_prefix((str), (prefix), __FILE__, __LINE__)

static inline void tu_assert_prefix(const char *s, const char *prefix, const char *file, int line)
{
	if (!s || strncmp(s, prefix, strlen(prefix)) != 0) {
		print_error("\"%s\" does not start with \"%s\"\n", s ? s : "(null)", prefix);
		_fail(file, line);
	}
}

/* Assert that a NUL-terminated string contains a substring. */
#define assert_contains(str, sub) tu_assert_contains((str), (sub), __FILE__, __LINE__)

static inline void tu_assert_contains(const char *s, const char *sub, const char *file, int line)
{
	if (!s || !strstr(s, sub)) {
		print_error("\"%s\" does not contain \"%s\"\n", s ? s : "(null)", sub);
		_fail(file, line);
	}
}

/* The compound formula of the engine: s / sqrt(s^2 + 15). */
static inline double tu_squash(double s)
{
	return s / sqrt(s * s + 15.0);
}

/* Load the fixture engine with default options (fails the test on error). */
static inline fs_engine_t *tu_engine_new_opts(fs_engine_opts_t *opts)
{
	fs_engine_t *engine = NULL;
	char errstr[512] = "";
	fs_err_t err;

	opts->lexicon_dir = TU_FIXTURE_DIR;
	err = fs_engine_new(opts, &engine, errstr, sizeof(errstr));
	if (err != FS_OK) {
		print_error("loading %s: %s\n", TU_FIXTURE_DIR, errstr);
	}
	assert_int_equal(err, FS_OK);
	assert_non_null(engine);
	return engine;
}

static inline fs_engine_t *tu_engine_new(void)
{
	fs_engine_opts_t opts;
	fs_engine_opts_init(&opts);
	return tu_engine_new_opts(&opts);
}

/* Entry for a normalised key, or NULL. */
static inline const fs_lexent_t *tu_lookup(const fs_lexicon_t *lex, const char *key)
{
	size_t n = strlen(key);
	return fs_lexicon_get(lex, fs_hash_update(FS_HASH_INIT, key, n), key, n);
}

/* Compare a (pointer, length) string with a NUL-terminated one. */
static inline int tu_streq_n(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/*
 * The fixture engine and one scratch, shared by a test group:
 * defines `engine`, `scratch`, group_setup() and group_teardown().
 */
#define TU_ENGINE_FIXTURE()                                                                                          \
	static fs_engine_t *engine;                                                                                  \
	static fs_scratch_t *scratch;                                                                                \
	static int group_setup(void **state)                                                                         \
	{                                                                                                            \
		(void)state;                                                                                         \
		engine = tu_engine_new();                                                                            \
		scratch = fs_scratch_new(engine);                                                                    \
		return scratch ? 0 : -1;                                                                             \
	}                                                                                                            \
	static int group_teardown(void **state)                                                                      \
	{                                                                                                            \
		(void)state;                                                                                         \
		fs_scratch_destroy(scratch);                                                                         \
		fs_engine_destroy(engine);                                                                           \
		return 0;                                                                                            \
	}

#endif
