/*
 * test_batch: unit tests of the offline scorer fs_batch_run
 * (include/feedsense/batch.h) on temporary files under /tmp.
 *
 * Covers NDJSON input with one event per good line in input order (1 and 2
 * threads over 20000 lines, so several batches run), an undecodable line
 * skipped with exit status 0, or 1 in strict mode, plain-text mode, gzip
 * input, gzip output, lines longer than max_line, several input files, and
 * status 2 for a missing input file or an output that cannot be created.
 */
#include <jansson.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

#include "feedsense/batch.h"
#include "feedsense/buf.h"

static fs_engine_t *engine;

#define MAX_TEMPS 8

typedef struct bstate {
	char *paths[MAX_TEMPS];
	unsigned npaths;
	json_t **ev; /* parsed output lines */
	size_t nev;
} bstate_t;

static int group_setup(void **state)
{
	(void)state;
	engine = tu_engine_new();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fs_engine_destroy(engine);
	return 0;
}

static int setup(void **state)
{
	bstate_t *st = calloc(1, sizeof(*st));
	if (!st) {
		return -1;
	}
	*state = st;
	return 0;
}

static void free_events(bstate_t *st)
{
	size_t i;
	for (i = 0; i < st->nev; i++) {
		json_decref(st->ev[i]);
	}
	free(st->ev);
	st->ev = NULL;
	st->nev = 0;
}

/* Remove every temporary file the test created. */
static int teardown(void **state)
{
	bstate_t *st = *state;
	unsigned i;

	for (i = 0; i < st->npaths; i++) {
		unlink(st->paths[i]);
		free(st->paths[i]);
	}
	free_events(st);
	free(st);
	return 0;
}

/* A new empty temporary file named /tmp/fs_batch_XXXXXX<suffix>. */
static const char *temp_path(bstate_t *st, const char *suffix)
{
	char tmpl[64];
	int fd;

	assert_true(st->npaths < MAX_TEMPS);
	snprintf(tmpl, sizeof(tmpl), "/tmp/fs_batch_XXXXXX%s", suffix);
	fd = mkstemps(tmpl, (int)strlen(suffix));
	assert_true(fd >= 0);
	close(fd);
	st->paths[st->npaths] = strdup(tmpl);
	assert_non_null(st->paths[st->npaths]);
	return st->paths[st->npaths++];
}

static const char *write_temp(bstate_t *st, const char *data, size_t len)
{
	const char *path = temp_path(st, "");
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static const char *write_temp_gz(bstate_t *st, const char *data, size_t len)
{
	const char *path = temp_path(st, ".gz");
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
	return path;
}

/* Read a whole file (gzip or plain, zlib reads both) and parse its lines. */
static size_t read_events(bstate_t *st, const char *path)
{
	fs_buf_t buf = FS_BUF_INIT;
	char chunk[65536];
	gzFile gz = gzopen(path, "rb");
	const char *p, *end;
	size_t cap = 0;
	int n;

	free_events(st);
	assert_non_null(gz);
	while ((n = gzread(gz, chunk, sizeof(chunk))) > 0) {
		fs_buf_append(&buf, chunk, (size_t)n);
	}
	assert_int_equal(n, 0);
	gzclose(gz);
	assert_false(buf.oom);
	p = buf.p;
	end = buf.p + buf.len;
	/* every event ends with a newline */
	assert_true(buf.len == 0 || end[-1] == '\n');
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		json_error_t jerr;
		json_t *ev;
		assert_non_null(nl);
		ev = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &jerr);
		if (!ev) {
			print_error("output line %zu is not JSON: %s\n", st->nev + 1, jerr.text);
		}
		assert_non_null(ev);
		if (st->nev == cap) {
			json_t **v;
			cap = cap ? cap * 2 : 64;
			v = realloc(st->ev, cap * sizeof(*v));
			assert_non_null(v);
			st->ev = v;
		}
		st->ev[st->nev++] = ev;
		p = nl + 1;
	}
	fs_buf_free(&buf);
	return st->nev;
}

static const char *ev_id(bstate_t *st, size_t i)
{
	json_t *id = json_object_get(st->ev[i], "id");
	return json_is_string(id) ? json_string_value(id) : NULL;
}

static const char *ev_text(bstate_t *st, size_t i)
{
	return json_string_value(json_object_get(st->ev[i], "text"));
}

static int run(const fs_batch_opts_t *opts, const char *input)
{
	const char *files[1];
	files[0] = input;
	return fs_batch_run(engine, opts, files, 1);
}

/* NDJSON of n lines with ids 0..n-1 and a few different texts. */
static char *make_ndjson(size_t n, size_t *lenp)
{
	static const char *const texts[] = {
		"good", "not good", "the delivery was fast but the charger broke", "on hold for two hours!!",
		"I will cancel my subscription", "",
	};
	fs_buf_t buf = FS_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		fs_buf_printf(&buf, "{\"id\":%zu,\"text\":\"%s\",\"n\":%zu}\n", i, texts[i % 6], i);
	}
	assert_false(buf.oom);
	*lenp = buf.len;
	return buf.p;
}

static void check_order(void **state, int threads)
{
	bstate_t *st = *state;
	size_t len, i, n = 20000;
	char *data = make_ndjson(n, &len);
	const char *in = write_temp(st, data, len);
	const char *out = temp_path(st, ".ndjson");
	fs_batch_opts_t opts;
	char want[32];

	free(data);
	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.threads = threads;
	assert_int_equal(run(&opts, in), 0);
	assert_int_equal(read_events(st, out), n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%zu", i);
		if (!ev_id(st, i) || strcmp(ev_id(st, i), want) != 0) {
			print_error("event %zu has id %s\n", i, ev_id(st, i) ? ev_id(st, i) : "(none)");
			fail();
		}
		assert_int_equal(json_integer_value(json_object_get(json_object_get(st->ev[i], "input"), "n")), i);
	}
	/* spot-check the scores: "good" is 0.458831, "not good" -0.361158 */
	assert_approx(json_number_value(json_object_get(json_object_get(st->ev[0], "sentiment"), "compound")), 0.458831);
	assert_approx(json_number_value(json_object_get(json_object_get(st->ev[1], "sentiment"), "compound")),
		      -0.361158);
	/* line 5 has an empty text: neutral, 0 */
	assert_approx(json_number_value(json_object_get(json_object_get(st->ev[5], "sentiment"), "compound")), 0.0);
	/* 19999 % 6 == 1: "not good" */
	assert_approx(json_number_value(json_object_get(json_object_get(st->ev[n - 1], "sentiment"), "compound")),
		      -0.361158);
}

static void test_order_one_thread(void **state)
{
	check_order(state, 1);
}

static void test_order_two_threads(void **state)
{
	check_order(state, 2);
}

static void test_bad_line_skipped(void **state)
{
	bstate_t *st = *state;
	const char *data = "{\"id\":\"a\",\"text\":\"good\"}\n"
			   "{\"id\":\"b\",\"text\": oops}\n"
			   "{\"id\":\"c\",\"text\":\"bad\"}\n";
	const char *in = write_temp(st, data, strlen(data));
	const char *out = temp_path(st, ".ndjson");
	fs_batch_opts_t opts;

	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.threads = 1;
	assert_int_equal(run(&opts, in), 0);
	assert_int_equal(read_events(st, out), 2);
	assert_string_equal(ev_id(st, 0), "a");
	assert_string_equal(ev_id(st, 1), "c");

	opts.strict = 1;
	assert_int_equal(run(&opts, in), 1);
	/* the good lines are still written */
	assert_int_equal(read_events(st, out), 2);
	assert_string_equal(ev_id(st, 1), "c");
}

static void test_strict_all_good(void **state)
{
	bstate_t *st = *state;
	const char *data = "{\"text\":\"good\"}\n{\"text\":\"bad\"}";
	const char *in = write_temp(st, data, strlen(data));
	const char *out = temp_path(st, ".ndjson");
	fs_batch_opts_t opts;

	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.strict = 1;
	opts.threads = 2;
	assert_int_equal(run(&opts, in), 0);
	/* a last line without a newline counts */
	assert_int_equal(read_events(st, out), 2);
	assert_string_equal(ev_text(st, 1), "bad");
}

static void test_plain_mode(void **state)
{
	bstate_t *st = *state;
	const char *data = "good\r\nnot \"good\" {at all}\n\nbad";
	const char *in = write_temp(st, data, strlen(data));
	const char *out = temp_path(st, ".ndjson");
	fs_batch_opts_t opts;

	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.plain = 1;
	opts.threads = 1;
	assert_int_equal(run(&opts, in), 0);
	assert_int_equal(read_events(st, out), 3);
	assert_string_equal(ev_text(st, 0), "good");
	assert_string_equal(ev_text(st, 1), "not \"good\" {at all}");
	assert_string_equal(ev_text(st, 2), "bad");
	assert_null(ev_id(st, 0));
	assert_null(json_object_get(st->ev[0], "input"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(st->ev[2], "sentiment"), "label")),
			    "negative");
}

static void test_plain_invalid_utf8(void **state)
{
	bstate_t *st = *state;
	const char *data = "good\nbad \xC0\x80 line\nfine\n";
	const char *in = write_temp(st, data, strlen(data));
	const char *out = temp_path(st, ".ndjson");
	fs_batch_opts_t opts;

	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.plain = 1;
	assert_int_equal(run(&opts, in), 0);
	assert_int_equal(read_events(st, out), 2);
	assert_string_equal(ev_text(st, 1), "fine");
	opts.strict = 1;
	assert_int_equal(run(&opts, in), 1);
}

static void test_gzip_input(void **state)
{
	bstate_t *st = *state;
	size_t len, i, n = 300;
	char *data = make_ndjson(n, &len);
	const char *in = write_temp_gz(st, data, len);
	const char *out = temp_path(st, ".ndjson");
	fs_batch_opts_t opts;
	char want[32];
	unsigned char magic[2];
	FILE *fp;

	free(data);
	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.threads = 2;
	assert_int_equal(run(&opts, in), 0);
	/* the output is plain text */
	fp = fopen(out, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(magic, 1, 1, fp), 1);
	fclose(fp);
	assert_int_equal(magic[0], '{');
	assert_int_equal(read_events(st, out), n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%zu", i);
		assert_string_equal(ev_id(st, i), want);
	}
}

static void test_gzip_output(void **state)
{
	bstate_t *st = *state;
	size_t len, i, n = 500;
	char *data = make_ndjson(n, &len);
	const char *in = write_temp(st, data, len);
	const char *out = temp_path(st, ".ndjson.gz");
	fs_batch_opts_t opts;
	unsigned char magic[2];
	char want[32];
	FILE *fp;

	free(data);
	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.threads = 1;
	assert_int_equal(run(&opts, in), 0);
	fp = fopen(out, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(magic, 1, 2, fp), 2);
	fclose(fp);
	assert_int_equal(magic[0], 0x1f);
	assert_int_equal(magic[1], 0x8b);
	assert_int_equal(read_events(st, out), n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%zu", i);
		assert_string_equal(ev_id(st, i), want);
	}
}

static void test_line_too_long(void **state)
{
	bstate_t *st = *state;
	fs_buf_t buf = FS_BUF_INIT;
	const char *in, *out = temp_path(st, ".ndjson");
	fs_batch_opts_t opts;
	size_t i;

	fs_buf_puts(&buf, "{\"id\":\"short1\",\"text\":\"good\"}\n{\"id\":\"long\",\"text\":\"");
	for (i = 0; i < 200; i++) {
		fs_buf_putc(&buf, 'a');
	}
	fs_buf_puts(&buf, "\"}\n{\"id\":\"short2\",\"text\":\"bad\"}\n");
	in = write_temp(st, buf.p, buf.len);
	fs_buf_free(&buf);

	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.max_line = 64;
	opts.threads = 1;
	assert_int_equal(run(&opts, in), 0);
	assert_int_equal(read_events(st, out), 2);
	assert_string_equal(ev_id(st, 0), "short1");
	assert_string_equal(ev_id(st, 1), "short2");

	opts.strict = 1;
	assert_int_equal(run(&opts, in), 1);
}

static void test_several_files(void **state)
{
	bstate_t *st = *state;
	const char *da = "{\"id\":\"a1\",\"text\":\"good\"}\n{\"id\":\"a2\",\"text\":\"bad\"}\n";
	const char *db = "{\"id\":\"b1\",\"text\":\"fast\"}\n";
	const char *a = write_temp(st, da, strlen(da));
	const char *b = write_temp_gz(st, db, strlen(db));
	const char *out = temp_path(st, ".ndjson");
	const char *files[2];
	fs_batch_opts_t opts;

	files[0] = a;
	files[1] = b;
	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.threads = 2;
	assert_int_equal(fs_batch_run(engine, &opts, files, 2), 0);
	assert_int_equal(read_events(st, out), 3);
	assert_string_equal(ev_id(st, 0), "a1");
	assert_string_equal(ev_id(st, 1), "a2");
	assert_string_equal(ev_id(st, 2), "b1");
}

static void test_missing_input(void **state)
{
	bstate_t *st = *state;
	const char *out = temp_path(st, ".ndjson");
	const char *missing = temp_path(st, ".missing");
	fs_batch_opts_t opts;

	unlink(missing);
	fs_batch_opts_init(&opts);
	opts.output = out;
	opts.threads = 1;
	assert_int_equal(run(&opts, missing), 2);
}

static void test_output_not_writable(void **state)
{
	bstate_t *st = *state;
	const char *data = "{\"text\":\"good\"}\n";
	const char *in = write_temp(st, data, strlen(data));
	fs_batch_opts_t opts;

	fs_batch_opts_init(&opts);
	opts.output = "/nonexistent-dir-feedsense/out.ndjson";
	opts.threads = 1;
	assert_int_equal(run(&opts, in), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_one_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_two_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_line_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict_all_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_invalid_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_not_writable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
