/*
 * test_ingest: unit tests of Kafka payload decoding
 * (include/feedsense/ingest.h).
 *
 * Covers empty, NULL and whitespace-only payloads, plain text and JSON
 * objects under the auto format, the forced json and plain formats,
 * invalid UTF-8 with its position, the text and raw-message size limits
 * (at and one past the limit), gzip payloads (built here with zlib,
 * windowBits 15 + 16) carrying JSON or plain text, corrupt, truncated and
 * trailing-garbage gzip, a gzip bomb (10 MB of zeros against a 1 MB limit:
 * refused quickly with bounded memory), the inflated-size limit at its
 * exact boundary, gzip inflating to nothing, JSON whose text is only
 * spaces, a leading UTF-8 byte order mark, and reuse of one fs_ingest_t
 * across many payloads.
 */
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

#include "feedsense/config.h"
#include "feedsense/ingest.h"

static char es[512];

static void opts_default(fs_ingest_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->format = FS_FORMAT_AUTO;
	o->text_field = "text";
	o->max_text_bytes = 1048576;
	o->max_message_bytes = 10485760;
}

static fs_err_t dec(fs_ingest_t *ing, const fs_ingest_opts_t *o, const void *p, size_t len, fs_event_in_t *in,
		    size_t *errpos)
{
	es[0] = '\0';
	*errpos = 12345; /* must be overwritten */
	return fs_ingest_decode(ing, o, p, len, in, errpos, es, sizeof(es));
}

static fs_err_t dec_str(fs_ingest_t *ing, const fs_ingest_opts_t *o, const char *s, fs_event_in_t *in,
			size_t *errpos)
{
	return dec(ing, o, s, strlen(s), in, errpos);
}

/* Gzip @p len bytes (one gzip member, as a Kafka producer would send). */
static unsigned char *gz_level(const void *data, size_t len, int level, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	size_t bound;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	bound = deflateBound(&zs, (uLong)len) + 64;
	out = malloc(bound);
	assert_non_null(out);
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = bound - zs.avail_out;
	deflateEnd(&zs);
	assert_true(*outlen >= 18);
	assert_int_equal(out[0], 0x1f);
	assert_int_equal(out[1], 0x8b);
	return out;
}

static unsigned char *gz(const void *data, size_t len, size_t *outlen)
{
	return gz_level(data, len, Z_DEFAULT_COMPRESSION, outlen);
}

static unsigned char *gz_str(const char *s, size_t *outlen)
{
	return gz(s, strlen(s), outlen);
}

/* A few KB of varied text, so a gzip body has real deflate data. */
static char *varied_text(size_t n, unsigned seed)
{
	static const char *words[] = {"the", "delivery", "was", "late", "but", "support", "fixed", "it",
				      "quickly", "great", "awful", "refund", "never", "again", "love", "app"};
	char *s = malloc(n + 1);
	size_t i = 0;

	assert_non_null(s);
	while (i < n) {
		const char *w;
		size_t k;
		seed = seed * 1103515245u + 12345u;
		w = words[(seed >> 16) % 16];
		for (k = 0; w[k] && i < n; k++) {
			s[i++] = w[k];
		}
		if (i < n) {
			s[i++] = ' ';
		}
	}
	s[0] = 'x'; /* not whitespace, not '{' */
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------------ */
/* empty and whitespace                                                */

static void test_empty(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	assert_int_equal(dec(&ing, &o, "", 0, &in, &errpos), FS_ERR_EMPTY);
	assert_true(errpos == SIZE_MAX);
	assert_true(es[0] != '\0');
	assert_null(in.text);
	assert_null(in.root);
	assert_int_equal(dec(&ing, &o, NULL, 0, &in, &errpos), FS_ERR_EMPTY);
	assert_true(errpos == SIZE_MAX);
	assert_int_equal(dec(&ing, &o, NULL, 17, &in, &errpos), FS_ERR_EMPTY);
	/* the same in every format */
	o.format = FS_FORMAT_JSON;
	assert_int_equal(dec(&ing, &o, "", 0, &in, &errpos), FS_ERR_EMPTY);
	o.format = FS_FORMAT_PLAIN;
	assert_int_equal(dec(&ing, &o, NULL, 0, &in, &errpos), FS_ERR_EMPTY);
	assert_string_equal(fs_err2class(FS_ERR_EMPTY), "empty_text");
	fs_ingest_free(&ing);
}

static void test_whitespace_only(void **state)
{
	static const char *ws[] = {" ", "\n", " \t\r\n  \t", "\r\n\r\n"};
	static const int formats[] = {FS_FORMAT_AUTO, FS_FORMAT_JSON, FS_FORMAT_PLAIN};
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, i, f;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	for (f = 0; f < 3; f++) {
		o.format = formats[f];
		for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
			assert_int_equal(dec_str(&ing, &o, ws[i], &in, &errpos), FS_ERR_EMPTY);
			assert_true(errpos == SIZE_MAX);
			assert_null(in.text);
			fs_event_in_clear(&in);
		}
	}
	/* plain text that is whitespace around a word is not empty */
	o.format = FS_FORMAT_AUTO;
	assert_int_equal(dec_str(&ing, &o, "  ok\n", &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "  ok\n"));
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

/* ------------------------------------------------------------------ */
/* plain and JSON                                                      */

static void test_plain_auto(void **state)
{
	static const char msg[] = "The delivery was late but support was great";
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	assert_int_equal(dec(&ing, &o, msg, sizeof(msg) - 1, &in, &errpos), FS_OK);
	assert_true(errpos == SIZE_MAX);
	/* plain text is a view of the payload itself */
	assert_ptr_equal(in.text, msg);
	assert_int_equal(in.text_len, sizeof(msg) - 1);
	assert_null(in.id);
	assert_null(in.root);
	assert_int_equal(ing.compressed, 0);
	fs_event_in_clear(&in);

	/* JSON that is not an object is plain text under auto */
	assert_int_equal(dec_str(&ing, &o, "[\"not\", \"an object\"]", &in, &errpos), FS_OK);
	assert_null(in.root);
	assert_true(tu_streq_n(in.text, in.text_len, "[\"not\", \"an object\"]"));
	fs_event_in_clear(&in);

	/* UTF-8 plain text, not NUL-terminated: only len bytes are taken */
	assert_int_equal(dec(&ing, &o, "caf\xC3\xA9 ok!!!", 8, &in, &errpos), FS_OK);
	assert_int_equal(in.text_len, 8);
	assert_memory_equal(in.text, "caf\xC3\xA9 ok", 8);
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_json_auto(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	assert_int_equal(dec_str(&ing, &o, "{\"id\":\"r-17\",\"text\":\"love it \\u00e9\",\"rating\":5}", &in, &errpos),
			 FS_OK);
	assert_non_null(in.root);
	assert_true(tu_streq_n(in.text, in.text_len, "love it \xC3\xA9"));
	assert_non_null(in.id);
	assert_true(tu_streq_n(in.id, in.id_len, "r-17"));
	assert_int_equal(ing.compressed, 0);
	fs_event_in_clear(&in);

	/* numeric id; leading whitespace before '{' still means JSON */
	assert_int_equal(dec_str(&ing, &o, " \n\t{\"text\":\"meh\",\"id\":99}", &in, &errpos), FS_OK);
	assert_non_null(in.root);
	assert_true(tu_streq_n(in.text, in.text_len, "meh"));
	assert_true(tu_streq_n(in.id, in.id_len, "99"));
	fs_event_in_clear(&in);

	/* no id */
	assert_int_equal(dec_str(&ing, &o, "{\"text\":\"fine\"}", &in, &errpos), FS_OK);
	assert_null(in.id);
	fs_event_in_clear(&in);

	/* a configured text field */
	o.text_field = "body";
	assert_int_equal(dec_str(&ing, &o, "{\"text\":\"no\",\"body\":\"yes\"}", &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "yes"));
	fs_event_in_clear(&in);
	assert_int_equal(dec_str(&ing, &o, "{\"text\":\"no\"}", &in, &errpos), FS_ERR_NO_TEXT);
	assert_contains(es, "body");
	fs_event_in_clear(&in);
	o.text_field = "text";

	/* the JSON errors reach the caller */
	assert_int_equal(dec_str(&ing, &o, "{\"text\":42}", &in, &errpos), FS_ERR_TEXT_TYPE);
	fs_event_in_clear(&in);
	assert_int_equal(dec_str(&ing, &o, "{\"text\":null}", &in, &errpos), FS_ERR_NO_TEXT);
	fs_event_in_clear(&in);
	assert_int_equal(dec_str(&ing, &o, "{\"text\": \"x\",", &in, &errpos), FS_ERR_JSON);
	assert_true(errpos != SIZE_MAX);
	assert_true(errpos <= strlen("{\"text\": \"x\","));
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

/* Regression: a UTF-8 byte order mark before a JSON object made the auto
 * format take the object for plain text (its id lost, the JSON scored as
 * prose). The BOM is skipped; error positions still count it. */
static void test_bom(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	assert_int_equal(dec_str(&ing, &o, "\xEF\xBB\xBF{\"id\":\"b1\",\"text\":\"awful\"}", &in, &errpos), FS_OK);
	assert_non_null(in.root);
	assert_true(tu_streq_n(in.id, in.id_len, "b1"));
	assert_true(tu_streq_n(in.text, in.text_len, "awful"));
	fs_event_in_clear(&in);
	/* plain text: the BOM is not part of the text */
	assert_int_equal(dec_str(&ing, &o, "\xEF\xBB\xBFslow refund", &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "slow refund"));
	fs_event_in_clear(&in);
	/* a BOM alone is an empty message; positions count the BOM */
	assert_int_equal(dec_str(&ing, &o, "\xEF\xBB\xBF", &in, &errpos), FS_ERR_EMPTY);
	fs_event_in_clear(&in);
	assert_int_equal(dec_str(&ing, &o, "\xEF\xBB\xBFnice\xFFproduct", &in, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 7);
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_format_json(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	o.format = FS_FORMAT_JSON;
	assert_int_equal(dec_str(&ing, &o, "great product, thanks", &in, &errpos), FS_ERR_JSON);
	assert_true(errpos != SIZE_MAX);
	assert_true(es[0] != '\0');
	fs_event_in_clear(&in);
	/* a JSON value that is not an object */
	assert_int_equal(dec_str(&ing, &o, "[1,2,3]", &in, &errpos), FS_ERR_JSON);
	fs_event_in_clear(&in);
	assert_int_equal(dec_str(&ing, &o, "\"text\"", &in, &errpos), FS_ERR_JSON);
	fs_event_in_clear(&in);
	/* objects still decode */
	assert_int_equal(dec_str(&ing, &o, "{\"text\":\"ok then\"}", &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "ok then"));
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_format_plain(void **state)
{
	static const char msg[] = "{\"id\":1,\"text\":\"hello\"}";
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	o.format = FS_FORMAT_PLAIN;
	assert_int_equal(dec(&ing, &o, msg, sizeof(msg) - 1, &in, &errpos), FS_OK);
	/* the whole payload is the text, not parsed */
	assert_null(in.root);
	assert_null(in.id);
	assert_ptr_equal(in.text, msg);
	assert_int_equal(in.text_len, sizeof(msg) - 1);
	fs_event_in_clear(&in);
	/* even broken JSON */
	assert_int_equal(dec_str(&ing, &o, "{oops", &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "{oops"));
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_invalid_utf8(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	/* plain: a stray 0xFF at byte 4 */
	assert_int_equal(dec_str(&ing, &o, "nice\xFFproduct", &in, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 4);
	assert_string_equal(fs_err2class(FS_ERR_UTF8), "invalid_utf8");
	fs_event_in_clear(&in);
	/* plain: truncated sequence at the very end */
	assert_int_equal(dec_str(&ing, &o, "caf\xC3", &in, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 3);
	fs_event_in_clear(&in);
	/* forced plain format checks too */
	o.format = FS_FORMAT_PLAIN;
	assert_int_equal(dec_str(&ing, &o, "{\"a\":\"\xC0\xAF\"}", &in, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 6);
	fs_event_in_clear(&in);
	/* JSON: a bad continuation byte inside the text string, byte 10 */
	o.format = FS_FORMAT_AUTO;
	assert_int_equal(dec_str(&ing, &o, "{\"text\":\"a\xC3(\"}", &in, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 10);
	assert_null(in.root);
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_text_too_large(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos;
	char big[600];

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	o.max_text_bytes = 16;
	/* plain: exactly at the limit, then one past */
	assert_int_equal(dec_str(&ing, &o, "0123456789abcdef", &in, &errpos), FS_OK);
	assert_int_equal(in.text_len, 16);
	fs_event_in_clear(&in);
	assert_int_equal(dec_str(&ing, &o, "0123456789abcdefg", &in, &errpos), FS_ERR_TOO_LARGE);
	assert_null(in.text);
	assert_null(in.root);
	assert_string_equal(fs_err2class(FS_ERR_TOO_LARGE), "too_large");
	fs_event_in_clear(&in);

	/* JSON: the limit is on the decoded text, not on the payload */
	memcpy(big, "{\"text\":\"short\",\"extra\":\"", 25);
	memset(big + 25, 'z', 500);
	memcpy(big + 525, "\"}", 3);
	assert_int_equal(dec_str(&ing, &o, big, &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "short"));
	fs_event_in_clear(&in);
	/* 9 x U+00E9: 54 bytes of JSON escapes, 18 bytes decoded > 16 */
	assert_int_equal(dec_str(&ing, &o,
				 "{\"text\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
				 &in, &errpos),
			 FS_ERR_TOO_LARGE);
	assert_null(in.root); /* released on the error */
	fs_event_in_clear(&in);
	/* 8 of them: 16 bytes, at the limit */
	assert_int_equal(dec_str(&ing, &o, "{\"text\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
				 &in, &errpos),
			 FS_OK);
	assert_int_equal(in.text_len, 16);
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_message_too_large(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen;
	char buf[65];
	unsigned char *z;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	o.max_message_bytes = 64;
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(dec(&ing, &o, buf, 64, &in, &errpos), FS_OK);
	assert_int_equal(in.text_len, 64);
	fs_event_in_clear(&in);
	assert_int_equal(dec(&ing, &o, buf, 65, &in, &errpos), FS_ERR_TOO_LARGE);
	assert_true(errpos == SIZE_MAX);
	assert_null(in.text);
	fs_event_in_clear(&in);
	/* also for JSON, whatever the size of the text */
	assert_int_equal(dec_str(&ing, &o,
				 "{\"text\":\"ok\",\"pad\":\"..................................................\"}", &in,
				 &errpos),
			 FS_ERR_TOO_LARGE);
	fs_event_in_clear(&in);
	/* and for gzip: the raw (compressed) size is checked first */
	{
		char *t = varied_text(2000, 3);
		z = gz(t, 2000, &zlen);
		free(t);
	}
	assert_true(zlen > 64);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_TOO_LARGE);
	fs_event_in_clear(&in);
	free(z);
	fs_ingest_free(&ing);
}

/* ------------------------------------------------------------------ */
/* gzip                                                                */

static void test_gzip_json(void **state)
{
	static const char json[] = "{\"id\":7,\"text\":\"the food was great\",\"channel\":\"app\"}";
	static const char plain[] = "gzip plain text, positive and upbeat";
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen;
	unsigned char *z;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	z = gz_str(json, &zlen);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_int_equal(ing.compressed, 1);
	assert_non_null(in.root);
	assert_true(tu_streq_n(in.text, in.text_len, "the food was great"));
	assert_true(tu_streq_n(in.id, in.id_len, "7"));
	fs_event_in_clear(&in);
	free(z);

	/* every compression level, including stored blocks (level 0) */
	{
		int level;
		for (level = 0; level <= 9; level++) {
			z = gz_level(json, sizeof(json) - 1, level, &zlen);
			assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
			assert_true(tu_streq_n(in.text, in.text_len, "the food was great"));
			fs_event_in_clear(&in);
			free(z);
		}
	}

	/* gzip of plain text: the text is the inflated bytes */
	z = gz_str(plain, &zlen);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_int_equal(ing.compressed, 1);
	assert_null(in.root);
	assert_true(tu_streq_n(in.text, in.text_len, plain));
	fs_event_in_clear(&in);
	/* gzip is detected whatever the format; plain keeps '{' raw */
	free(z);
	z = gz_str(json, &zlen);
	o.format = FS_FORMAT_PLAIN;
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_null(in.root);
	assert_true(tu_streq_n(in.text, in.text_len, json));
	fs_event_in_clear(&in);
	o.format = FS_FORMAT_JSON;
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_non_null(in.root);
	fs_event_in_clear(&in);
	free(z);
	fs_ingest_free(&ing);
}

static void test_gzip_with_header_fields(void **state)
{
	/* a gzip member with a file name and comment in its header (FNAME,
	 * FCOMMENT), as `gzip` the tool writes */
	static const char json[] = "{\"text\":\"named member\"}";
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen;
	unsigned char out[512];
	gz_header h;
	z_stream zs;

	(void)state;
	memset(&zs, 0, sizeof(zs));
	memset(&h, 0, sizeof(h));
	h.name = (Bytef *)"feedback.json";
	h.comment = (Bytef *)"exported";
	h.os = 3;
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	assert_int_equal(deflateSetHeader(&zs, &h), Z_OK);
	zs.next_in = (Bytef *)json;
	zs.avail_in = sizeof(json) - 1;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	zlen = sizeof(out) - zs.avail_out;
	deflateEnd(&zs);

	fs_ingest_init(&ing);
	opts_default(&o);
	assert_int_equal(dec(&ing, &o, out, zlen, &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "named member"));
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_gzip_utf8_position(void **state)
{
	/* positions are in the inflated bytes */
	static const char bad[] = "fine words then \xFE here";
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen;
	unsigned char *z;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	z = gz_str(bad, &zlen);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 16);
	fs_event_in_clear(&in);
	free(z);
	/* the same JSON error at the same position, compressed or not */
	{
		static const char badjson[] = "{\"text\": \"ok\" \"missing comma\"}";
		size_t plainpos;
		assert_int_equal(dec_str(&ing, &o, badjson, &in, &plainpos), FS_ERR_JSON);
		fs_event_in_clear(&in);
		assert_true(plainpos > 0 && plainpos < sizeof(badjson));
		z = gz_str(badjson, &zlen);
		assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_JSON);
		assert_int_equal(errpos, plainpos);
		fs_event_in_clear(&in);
	}
	free(z);
	fs_ingest_free(&ing);
}

static void test_gzip_corrupt(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen, i;
	unsigned char *z, *c;
	char *t = varied_text(4000, 11);

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	z = gz(t, 4000, &zlen);
	assert_true(zlen > 100);
	c = malloc(zlen);
	assert_non_null(c);

	/* the intact payload decodes */
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_int_equal(in.text_len, 4000);
	fs_event_in_clear(&in);

	/* flip bytes in the middle of the deflate data */
	memcpy(c, z, zlen);
	for (i = zlen / 2 - 4; i < zlen / 2 + 4; i++) {
		c[i] ^= 0xA5;
	}
	assert_int_equal(dec(&ing, &o, c, zlen, &in, &errpos), FS_ERR_GZIP);
	assert_true(es[0] != '\0');
	assert_null(in.text);
	assert_string_equal(fs_err2class(FS_ERR_GZIP), "corrupt_gzip");
	fs_event_in_clear(&in);

	/* a single flipped bit anywhere after the header is caught (by the
	 * deflate decoder or by the CRC-32 / length trailer) */
	for (i = 10; i < zlen; i += 7) {
		memcpy(c, z, zlen);
		c[i] ^= 0x10;
		if (dec(&ing, &o, c, zlen, &in, &errpos) != FS_ERR_GZIP) {
			print_error("bit flip at byte %zu of %zu not detected: %s\n", i, zlen, es);
			fail();
		}
		fs_event_in_clear(&in);
	}

	/* a bad CRC-32, a bad length */
	memcpy(c, z, zlen);
	c[zlen - 8] ^= 0x01;
	assert_int_equal(dec(&ing, &o, c, zlen, &in, &errpos), FS_ERR_GZIP);
	fs_event_in_clear(&in);
	memcpy(c, z, zlen);
	c[zlen - 1] ^= 0x01;
	assert_int_equal(dec(&ing, &o, c, zlen, &in, &errpos), FS_ERR_GZIP);
	fs_event_in_clear(&in);

	/* the magic with an unknown compression method */
	memcpy(c, z, zlen);
	c[2] = 7;
	assert_int_equal(dec(&ing, &o, c, zlen, &in, &errpos), FS_ERR_GZIP);
	fs_event_in_clear(&in);

	/* the engine still works afterwards */
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_memory_equal(in.text, t, 4000);
	fs_event_in_clear(&in);

	free(c);
	free(z);
	free(t);
	fs_ingest_free(&ing);
}

static void test_gzip_truncated(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen, n;
	unsigned char *z;
	char *t = varied_text(3000, 5);

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	z = gz(t, 3000, &zlen);
	/* the magic alone */
	assert_int_equal(dec(&ing, &o, z, 2, &in, &errpos), FS_ERR_GZIP);
	fs_event_in_clear(&in);
	/* cut in the middle */
	assert_int_equal(dec(&ing, &o, z, zlen / 2, &in, &errpos), FS_ERR_GZIP);
	assert_contains(es, "truncated");
	fs_event_in_clear(&in);
	/* without its trailer, or part of it */
	assert_int_equal(dec(&ing, &o, z, zlen - 8, &in, &errpos), FS_ERR_GZIP);
	fs_event_in_clear(&in);
	assert_int_equal(dec(&ing, &o, z, zlen - 1, &in, &errpos), FS_ERR_GZIP);
	fs_event_in_clear(&in);
	/* every other cut as well */
	for (n = 2; n < zlen; n++) {
		if (dec(&ing, &o, z, n, &in, &errpos) != FS_ERR_GZIP) {
			print_error("gzip cut to %zu of %zu bytes not refused: %s\n", n, zlen, es);
			fail();
		}
		fs_event_in_clear(&in);
	}
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	fs_event_in_clear(&in);
	free(z);
	free(t);
	fs_ingest_free(&ing);
}

static void test_gzip_trailing_garbage(void **state)
{
	static const char json[] = "{\"text\":\"trailing\"}";
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen;
	unsigned char *z, *c;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	z = gz_str(json, &zlen);
	c = malloc(zlen + 16);
	assert_non_null(c);
	memcpy(c, z, zlen);
	memcpy(c + zlen, "garbage!", 8);
	assert_int_equal(dec(&ing, &o, c, zlen + 8, &in, &errpos), FS_ERR_GZIP);
	assert_contains(es, "trailing");
	assert_null(in.root);
	fs_event_in_clear(&in);
	/* a single trailing byte */
	c[zlen] = '\n';
	assert_int_equal(dec(&ing, &o, c, zlen + 1, &in, &errpos), FS_ERR_GZIP);
	fs_event_in_clear(&in);
	/* the exact stream decodes */
	assert_int_equal(dec(&ing, &o, c, zlen, &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "trailing"));
	fs_event_in_clear(&in);
	free(c);
	free(z);
	fs_ingest_free(&ing);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_gzip_bomb(void **state)
{
	const size_t big = 10 * 1000 * 1000;
	const size_t limit = 1000 * 1000;
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen, slen;
	unsigned char *z, *small;
	char *zeros = calloc(1, big);
	double t0, dt;

	(void)state;
	assert_non_null(zeros);
	z = gz_level(zeros, big, 9, &zlen);
	free(zeros);
	assert_true(zlen < limit / 10); /* a bomb: ~10 KB inflating to 10 MB */

	fs_ingest_init(&ing);
	opts_default(&o);
	o.max_message_bytes = limit;
	o.max_text_bytes = limit;
	t0 = now_s();
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_TOO_LARGE);
	dt = now_s() - t0;
	assert_contains(es, "inflate");
	assert_null(in.text);
	fs_event_in_clear(&in);
	/* quickly: it stops at the limit instead of inflating 10 MB */
	if (dt > 1.0) {
		print_error("gzip bomb took %.3f s\n", dt);
		fail();
	}
	/* bounded memory: it inflated at most one byte past the limit, into a
	 * buffer of about the limit (the buffer grows by doubling, so at most
	 * the next power of two) */
	assert_true(ing.inflated.len <= limit + 1);
	if (ing.inflated.cap > 2 * limit) {
		print_error("inflate buffer of %zu bytes for a %zu-byte limit\n", ing.inflated.cap, limit);
		fail();
	}

	/* the same inflater decodes a normal payload next */
	small = gz_str("{\"text\":\"after the bomb\"}", &slen);
	assert_int_equal(dec(&ing, &o, small, slen, &in, &errpos), FS_OK);
	assert_true(tu_streq_n(in.text, in.text_len, "after the bomb"));
	fs_event_in_clear(&in);
	free(small);
	free(z);
	fs_ingest_free(&ing);
}

static void test_gzip_inflated_limit_boundary(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen, s, found = 0;
	unsigned char *z = NULL;
	char *t;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);

	/* small limit: inflating to exactly the limit is fine, one more is not */
	t = varied_text(300, 9);
	z = gz(t, 100, &zlen);
	o.max_message_bytes = 100;
	assert_true(zlen <= 100);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_int_equal(in.text_len, 100);
	fs_event_in_clear(&in);
	free(z);
	z = gz(t, 101, &zlen);
	assert_true(zlen <= 100); /* refused for its inflated size */
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_TOO_LARGE);
	fs_event_in_clear(&in);
	free(z);
	free(t);

	/* a payload whose inflated size is exactly the limit and a whole
	 * number of the inflater's output chunks (4 x compressed + 4096), so
	 * the output buffer is full exactly when the stream ends */
	t = malloc(64 * 1024);
	assert_non_null(t);
	memset(t, 'a', 64 * 1024);
	for (s = 4096; s < 64 * 1024 && !found; s++) {
		size_t room;
		z = gz(t, s, &zlen);
		room = 4 * zlen + 4096;
		if (s % room == 0) {
			found = s;
		} else {
			free(z);
			z = NULL;
		}
	}
	assert_true(found > 0);
	o.max_message_bytes = found;
	o.max_text_bytes = found;
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_OK);
	assert_int_equal(in.text_len, found);
	fs_event_in_clear(&in);
	o.max_message_bytes = found - 1;
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_TOO_LARGE);
	fs_event_in_clear(&in);
	free(z);
	free(t);
	fs_ingest_free(&ing);
}

static void test_gzip_empty(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zlen;
	unsigned char *z;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	/* inflates to nothing */
	z = gz("", 0, &zlen);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_EMPTY);
	assert_int_equal(ing.compressed, 1);
	assert_null(in.text);
	fs_event_in_clear(&in);
	free(z);
	/* inflates to whitespace */
	z = gz_str(" \n\t ", &zlen);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_EMPTY);
	fs_event_in_clear(&in);
	free(z);
	/* inflates to JSON with an empty text */
	z = gz_str("{\"text\":\"   \"}", &zlen);
	assert_int_equal(dec(&ing, &o, z, zlen, &in, &errpos), FS_ERR_EMPTY);
	assert_null(in.root);
	fs_event_in_clear(&in);
	free(z);
	fs_ingest_free(&ing);
}

static void test_json_blank_text(void **state)
{
	static const char *blank[] = {
		"{\"text\":\"     \"}",
		"{\"text\":\"\"}",
		"{\"text\":\" \\t\\r\\n \",\"id\":\"x\"}",
	};
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, i;

	(void)state;
	fs_ingest_init(&ing);
	opts_default(&o);
	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		assert_int_equal(dec_str(&ing, &o, blank[i], &in, &errpos), FS_ERR_EMPTY);
		/* the parsed object was released (LeakSanitizer checks it) */
		assert_null(in.root);
		assert_null(in.text);
		fs_event_in_clear(&in);
	}
	/* one visible character is enough */
	assert_int_equal(dec_str(&ing, &o, "{\"text\":\"   .   \"}", &in, &errpos), FS_OK);
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
}

static void test_reuse(void **state)
{
	fs_ingest_t ing;
	fs_ingest_opts_t o;
	fs_event_in_t in;
	size_t errpos, zj, zp, zbig, zbad;
	unsigned char *gj, *gp, *gbig, *gbad;
	char *bigtext = varied_text(50000, 21);
	static const char plain[] = "plain payload between gzip ones";
	static const char json[] = "{\"id\":\"a1\",\"text\":\"compressed json\"}";
	int round;

	(void)state;
	gj = gz_str(json, &zj);
	gp = gz_str("compressed plain", &zp);
	gbig = gz(bigtext, 50000, &zbig);
	gbad = gz_str(json, &zbad);
	gbad[zbad / 2] ^= 0xFF;
	gbad[zbad / 2 + 1] ^= 0xFF;

	fs_ingest_init(&ing);
	opts_default(&o);
	/* plain before any gzip: no inflater yet */
	assert_int_equal(dec_str(&ing, &o, plain, &in, &errpos), FS_OK);
	assert_null(ing.zs);
	fs_event_in_clear(&in);
	for (round = 0; round < 200; round++) {
		assert_int_equal(dec(&ing, &o, gj, zj, &in, &errpos), FS_OK);
		assert_int_equal(ing.compressed, 1);
		assert_true(tu_streq_n(in.text, in.text_len, "compressed json"));
		assert_true(tu_streq_n(in.id, in.id_len, "a1"));
		fs_event_in_clear(&in);

		assert_int_equal(dec(&ing, &o, plain, sizeof(plain) - 1, &in, &errpos), FS_OK);
		assert_int_equal(ing.compressed, 0);
		assert_ptr_equal(in.text, plain);
		assert_int_equal(in.text_len, sizeof(plain) - 1);
		fs_event_in_clear(&in);

		if (round % 10 == 0) {
			/* a large one, then a small one: no stale bytes */
			assert_int_equal(dec(&ing, &o, gbig, zbig, &in, &errpos), FS_OK);
			assert_int_equal(in.text_len, 50000);
			assert_memory_equal(in.text, bigtext, 50000);
			fs_event_in_clear(&in);
		}
		if (round % 7 == 3) {
			assert_int_equal(dec(&ing, &o, gbad, zbad, &in, &errpos), FS_ERR_GZIP);
			fs_event_in_clear(&in);
		}

		assert_int_equal(dec(&ing, &o, gp, zp, &in, &errpos), FS_OK);
		assert_int_equal(ing.compressed, 1);
		assert_true(tu_streq_n(in.text, in.text_len, "compressed plain"));
		fs_event_in_clear(&in);

		assert_int_equal(dec_str(&ing, &o, "{\"text\":\"json plain\"}", &in, &errpos), FS_OK);
		assert_int_equal(ing.compressed, 0);
		assert_true(tu_streq_n(in.text, in.text_len, "json plain"));
		fs_event_in_clear(&in);
	}
	fs_ingest_free(&ing);
	assert_null(ing.zs);
	/* free twice, and init after free, are safe */
	fs_ingest_free(&ing);
	fs_ingest_init(&ing);
	assert_int_equal(dec(&ing, &o, gp, zp, &in, &errpos), FS_OK);
	fs_event_in_clear(&in);
	fs_ingest_free(&ing);
	free(gj);
	free(gp);
	free(gbig);
	free(gbad);
	free(bigtext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_whitespace_only),
		cmocka_unit_test(test_plain_auto),
		cmocka_unit_test(test_json_auto),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_format_json),
		cmocka_unit_test(test_format_plain),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_text_too_large),
		cmocka_unit_test(test_message_too_large),
		cmocka_unit_test(test_gzip_json),
		cmocka_unit_test(test_gzip_with_header_fields),
		cmocka_unit_test(test_gzip_utf8_position),
		cmocka_unit_test(test_gzip_corrupt),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_gzip_trailing_garbage),
		cmocka_unit_test(test_gzip_bomb),
		cmocka_unit_test(test_gzip_inflated_limit_boundary),
		cmocka_unit_test(test_gzip_empty),
		cmocka_unit_test(test_json_blank_text),
		cmocka_unit_test(test_reuse),
	};

	/* a watchdog: a livelock in the code under test fails the run
	 * instead of hanging it */
	alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
