/*
 * test_event: unit tests of message decoding and of the scored-event writer
 * (include/feedsense/event.h).
 *
 * Covers fs_event_decode_json (string and numeric ids, invalid and truncated
 * JSON with an error position, non-object roots, missing / null / non-string
 * text, duplicate keys, invalid UTF-8 with its position, embedded \u0000),
 * fs_event_decode_plain, and fs_event_write_scored, whose output is parsed
 * back with jansson: schema, id, text, sentiment, categories, flags,
 * explanation items, engine version, the other input fields carried under
 * "input" unchanged (without text and id), and "source".
 */
#include <jansson.h>

#include "testutil.h"

#include "feedsense/buf.h"
#include "feedsense/event.h"

TU_ENGINE_FIXTURE()

static fs_err_t decode(const char *json, fs_event_in_t *in, size_t *errpos, char *es, size_t esz)
{
	return fs_event_decode_json(json, strlen(json), "text", in, errpos, es, esz);
}

static void test_decode_string_id(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(decode("{\"id\":\"r-17\",\"text\":\"good \\u00e9 \\\"q\\\"\",\"lang\":\"en\"}", &in, &errpos, es,
				sizeof(es)),
			 FS_OK);
	assert_non_null(in.text);
	assert_int_equal(in.text_len, 11);
	assert_memory_equal(in.text, "good \xC3\xA9 \"q\"", 11);
	assert_non_null(in.id);
	assert_true(tu_streq_n(in.id, in.id_len, "r-17"));
	assert_non_null(in.root);
	fs_event_in_clear(&in);
	assert_null(in.root);
	assert_null(in.text);
	/* clearing twice is safe */
	fs_event_in_clear(&in);
}

static void test_decode_numeric_id(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(decode("{\"text\":\"ok\",\"id\":9007199254740993}", &in, &errpos, es, sizeof(es)), FS_OK);
	assert_non_null(in.id);
	assert_true(tu_streq_n(in.id, in.id_len, "9007199254740993"));
	fs_event_in_clear(&in);

	assert_int_equal(decode("{\"text\":\"ok\",\"id\":-42}", &in, &errpos, es, sizeof(es)), FS_OK);
	assert_true(tu_streq_n(in.id, in.id_len, "-42"));
	fs_event_in_clear(&in);

	/* no id */
	assert_int_equal(decode("{\"text\":\"ok\"}", &in, &errpos, es, sizeof(es)), FS_OK);
	assert_null(in.id);
	fs_event_in_clear(&in);
}

static void test_decode_invalid_json(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	/* the offending '}' is byte 9 */
	assert_int_equal(decode("{\"text\": }", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_true(errpos >= 9 && errpos <= 10);
	assert_true(es[0] != '\0');
	assert_null(in.root);

	/* the second ',' is byte 19 */
	assert_int_equal(decode("{\"id\":1,\"text\":\"a\",,}", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_true(errpos >= 19 && errpos <= 20);

	assert_int_equal(decode("", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_int_equal(decode("not json", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_int_equal(decode("{\"text\":\"a\"} trailing", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
}

static void test_decode_truncated(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(decode("{\"text\":\"abc\"", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_true(errpos != SIZE_MAX && errpos <= 13);
	assert_int_equal(decode("{\"text\":\"ab", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_null(in.root);
}

static void test_decode_non_object_root(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(decode("[{\"text\":\"good\"}]", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_null(in.root);
	assert_int_equal(decode("\"good\"", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_int_equal(decode("42", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_int_equal(decode("null", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
}

static void test_decode_text_missing_or_wrong(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(decode("{\"id\":1,\"body\":\"good\"}", &in, &errpos, es, sizeof(es)), FS_ERR_NO_TEXT);
	assert_contains(es, "text");
	assert_null(in.root);
	assert_int_equal(decode("{\"id\":1,\"text\":null}", &in, &errpos, es, sizeof(es)), FS_ERR_NO_TEXT);
	assert_int_equal(decode("{\"id\":1,\"text\":5}", &in, &errpos, es, sizeof(es)), FS_ERR_TEXT_TYPE);
	assert_null(in.root);
	assert_int_equal(decode("{\"text\":{\"en\":\"good\"}}", &in, &errpos, es, sizeof(es)), FS_ERR_TEXT_TYPE);
	assert_int_equal(decode("{\"text\":[\"good\"]}", &in, &errpos, es, sizeof(es)), FS_ERR_TEXT_TYPE);
	assert_int_equal(decode("{\"text\":true}", &in, &errpos, es, sizeof(es)), FS_ERR_TEXT_TYPE);

	/* another field name */
	assert_int_equal(fs_event_decode_json("{\"body\":\"good\"}", 15, "body", &in, &errpos, es, sizeof(es)), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "good"));
	fs_event_in_clear(&in);
}

static void test_decode_duplicate_keys(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(decode("{\"text\":\"good\",\"text\":\"bad\"}", &in, &errpos, es, sizeof(es)), FS_ERR_JSON);
	assert_null(in.root);
	assert_int_equal(decode("{\"text\":\"good\",\"m\":{\"a\":1,\"a\":2}}", &in, &errpos, es, sizeof(es)),
			 FS_ERR_JSON);
}

static void test_decode_invalid_utf8(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	/* {"text":"a is bytes 0..9, the bad byte is 10 */
	assert_int_equal(decode("{\"text\":\"a\xFF\"}", &in, &errpos, es, sizeof(es)), FS_ERR_UTF8);
	assert_int_equal(errpos, 10);
	assert_null(in.root);
	/* a surrogate in the raw bytes */
	assert_int_equal(decode("{\"id\":\"\xED\xA0\x80\",\"text\":\"a\"}", &in, &errpos, es, sizeof(es)), FS_ERR_UTF8);
	assert_int_equal(errpos, 7);

	assert_int_equal(fs_event_decode_plain("ok \xC0\x80", 5, &in, &errpos, es, sizeof(es)), FS_ERR_UTF8);
	assert_int_equal(errpos, 3);
}

static void test_decode_embedded_nul(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(decode("{\"text\":\"a\\u0000b\"}", &in, &errpos, es, sizeof(es)), FS_OK);
	assert_int_equal(in.text_len, 3);
	assert_memory_equal(in.text, "a\0b", 3);
	fs_event_in_clear(&in);
}

static void test_decode_plain(void **state)
{
	fs_event_in_t in;
	size_t errpos = 0;
	char es[256] = "";

	(void)state;
	assert_int_equal(fs_event_decode_plain("plain good text", 15, &in, &errpos, es, sizeof(es)), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "plain good text"));
	assert_null(in.id);
	assert_null(in.root);
	fs_event_in_clear(&in);
}

/* Decode, score and write one event; returns the parsed output. */
static json_t *round_trip(const char *json, const fs_event_source_t *src, fs_buf_t *out)
{
	fs_event_in_t in;
	const fs_result_t *res;
	size_t errpos = 0;
	char es[256] = "";
	json_error_t jerr;
	json_t *root;

	assert_int_equal(decode(json, &in, &errpos, es, sizeof(es)), FS_OK);
	assert_int_equal(fs_score(engine, scratch, in.text, in.text_len, &res, &errpos), FS_OK);
	fs_buf_reset(out);
	fs_event_write_scored(out, engine, res, &in, "text", src);
	assert_false(out->oom);
	assert_non_null(out->p);
	/* one line */
	assert_null(memchr(out->p, '\n', out->len));
	root = json_loadb(out->p, out->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		print_error("output is not JSON (%s): %s\n", jerr.text, out->p);
	}
	assert_non_null(root);
	fs_event_in_clear(&in);
	return root;
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static double jnum(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	assert_non_null(v);
	assert_true(json_is_number(v));
	return json_number_value(v);
}

static json_t *find_named(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		json_t *n = json_object_get(v, "name");
		if (json_is_string(n) && !strcmp(json_string_value(n), name)) {
			return v;
		}
	}
	return NULL;
}

static void test_write_scored(void **state)
{
	fs_buf_t out = FS_BUF_INIT;
	const char *text = "the delivery was fast but the charger broke";
	json_t *root, *sent, *cats, *c, *flags, *explain, *x, *eng, *input, *meta;
	json_error_t jerr;
	size_t i;
	char json[512];

	(void)state;
	snprintf(json, sizeof(json),
		 "{\"id\":\"fb-1\",\"text\":\"%s\",\"meta\":{\"a\":[1,2.5,{\"b\":null}],\"s\":\"\\u00e9\"},"
		 "\"rating\":2,\"channel\":\"app\",\"tags\":[]}",
		 text);
	root = round_trip(json, NULL, &out);

	assert_string_equal(jstr(root, "schema"), "feedsense.scored.v1");
	assert_string_equal(jstr(root, "id"), "fb-1");
	assert_string_equal(jstr(root, "text"), text);

	/* overall: -2.25 -> -0.502331 (see test_score) */
	sent = json_object_get(root, "sentiment");
	assert_true(json_is_object(sent));
	assert_string_equal(jstr(sent, "label"), "negative");
	assert_approx(jnum(sent, "compound"), -0.502331);
	assert_approx_eps(jnum(sent, "pos") + jnum(sent, "neu") + jnum(sent, "neg"), 1.0, 2e-4);
	assert_true(jnum(sent, "pos") > 0);
	assert_true(jnum(sent, "neg") > jnum(sent, "pos"));

	cats = json_object_get(root, "categories");
	assert_true(json_is_array(cats));
	assert_int_equal(json_array_size(cats), 2);
	c = find_named(cats, "delivery");
	assert_non_null(c);
	assert_string_equal(jstr(json_object_get(c, "sentiment"), "label"), "positive");
	assert_approx(jnum(json_object_get(c, "sentiment"), "compound"), 0.361158);
	assert_true(json_is_array(json_object_get(c, "matched")));
	assert_true(json_array_size(json_object_get(c, "matched")) >= 1);
	c = find_named(cats, "product_quality");
	assert_non_null(c);
	assert_string_equal(jstr(json_object_get(c, "sentiment"), "label"), "negative");
	assert_approx(jnum(json_object_get(c, "sentiment"), "compound"), -0.458831);

	flags = json_object_get(root, "flags");
	assert_true(json_is_array(flags));
	assert_int_equal(json_array_size(flags), 0);

	explain = json_object_get(root, "explain");
	assert_true(json_is_array(explain));
	assert_int_equal(json_array_size(explain), 2);
	json_array_foreach(explain, i, x)
	{
		size_t start = (size_t)jnum(x, "start"), end = (size_t)jnum(x, "end");
		const char *term = jstr(x, "term");
		assert_string_equal(jstr(x, "type"), "term");
		assert_true(start < end && end <= strlen(text));
		/* the span is the term in the original text */
		assert_int_equal(end - start, strlen(term));
		assert_memory_equal(text + start, term, end - start);
		if (!strcmp(term, "fast")) {
			assert_approx(jnum(x, "score"), 0.75); /* 1.5 * 0.5 */
		} else {
			assert_string_equal(term, "broke");
			assert_approx(jnum(x, "score"), -3.0); /* -2.0 * 1.5 */
		}
	}

	eng = json_object_get(root, "engine");
	assert_true(json_is_object(eng));
	assert_prefix(jstr(eng, "version"), "lx-");
	assert_int_equal(strlen(jstr(eng, "version")), 19);
	assert_string_equal(jstr(eng, "version"), fs_engine_version(engine));

	/* other input fields unchanged under "input"; text and id not repeated */
	input = json_object_get(root, "input");
	assert_true(json_is_object(input));
	assert_null(json_object_get(input, "text"));
	assert_null(json_object_get(input, "id"));
	assert_int_equal(json_object_size(input), 4);
	meta = json_loads("{\"a\":[1,2.5,{\"b\":null}],\"s\":\"\\u00e9\"}", 0, &jerr);
	assert_non_null(meta);
	assert_true(json_equal(json_object_get(input, "meta"), meta));
	json_decref(meta);
	assert_true(json_is_integer(json_object_get(input, "rating")));
	assert_int_equal(json_integer_value(json_object_get(input, "rating")), 2);
	assert_string_equal(jstr(input, "channel"), "app");
	assert_true(json_is_array(json_object_get(input, "tags")));

	/* no source given */
	assert_null(json_object_get(root, "source"));

	json_decref(root);
	fs_buf_free(&out);
}

static void test_write_scored_flags_rule_and_source(void **state)
{
	fs_buf_t out = FS_BUF_INIT;
	fs_event_source_t src = {"feedback", 3, 1234567, 1700000000123LL};
	json_t *root, *flags, *explain, *x, *source;

	(void)state;
	root = round_trip("{\"id\":77,\"text\":\"on hold for two hours\"}", &src, &out);
	assert_string_equal(jstr(root, "id"), "77");

	flags = json_object_get(root, "flags");
	assert_true(json_is_array(flags));
	assert_int_equal(json_array_size(flags), 1);
	assert_string_equal(json_string_value(json_array_get(flags, 0)), "urgent");

	explain = json_object_get(root, "explain");
	assert_int_equal(json_array_size(explain), 1);
	x = json_array_get(explain, 0);
	assert_string_equal(jstr(x, "type"), "rule");
	assert_int_equal((int)jnum(x, "start"), 0);
	assert_int_equal((int)jnum(x, "end"), 21);
	assert_approx(jnum(x, "score"), -2.5);

	/* only text and id in the input: no "input" object, or an empty one */
	assert_true(json_object_get(root, "input") == NULL || json_object_size(json_object_get(root, "input")) == 0);

	source = json_object_get(root, "source");
	assert_true(json_is_object(source));
	assert_string_equal(jstr(source, "topic"), "feedback");
	assert_int_equal(json_integer_value(json_object_get(source, "partition")), 3);
	assert_int_equal(json_integer_value(json_object_get(source, "offset")), 1234567);
	assert_int_equal(json_integer_value(json_object_get(source, "timestamp")), 1700000000123LL);

	json_decref(root);
	fs_buf_free(&out);
}

static void test_write_scored_escapes(void **state)
{
	fs_buf_t out = FS_BUF_INIT;
	json_t *root;
	const char *t;

	(void)state;
	/* control characters, quotes, backslashes and an embedded NUL survive the round trip */
	root = round_trip("{\"id\":\"a\\\"b\",\"text\":\"good\\n\\t\\\\ \\\"x\\\" \\u0001 \\u0000 end\"}", NULL, &out);
	assert_string_equal(jstr(root, "id"), "a\"b");
	t = json_string_value(json_object_get(root, "text"));
	assert_non_null(t);
	assert_int_equal(json_string_length(json_object_get(root, "text")), 19);
	assert_memory_equal(t, "good\n\t\\ \"x\" \x01 \0 end", 19);
	json_decref(root);
	fs_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_string_id),
		cmocka_unit_test(test_decode_numeric_id),
		cmocka_unit_test(test_decode_invalid_json),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_non_object_root),
		cmocka_unit_test(test_decode_text_missing_or_wrong),
		cmocka_unit_test(test_decode_duplicate_keys),
		cmocka_unit_test(test_decode_invalid_utf8),
		cmocka_unit_test(test_decode_embedded_nul),
		cmocka_unit_test(test_decode_plain),
		cmocka_unit_test(test_write_scored),
		cmocka_unit_test(test_write_scored_flags_rule_and_source),
		cmocka_unit_test(test_write_scored_escapes),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
