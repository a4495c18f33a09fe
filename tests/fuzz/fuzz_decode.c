/*
 * fuzz_decode: fs_ingest_decode() on arbitrary payloads, then scoring and
 * the scored event for what decodes.
 *
 * The first byte chooses the options, the rest is the Kafka payload:
 *   bits 0-1  input format: 0 auto, 1 json, 2 plain, 3 auto
 *   bits 2-3  field names: 0 none given (text_field "text"), 1 the defaults,
 *             2 renamed ("comment", "ref", no channel field ...),
 *             3 the id field named like the text field
 * Limits are small (64 KiB messages, 16 KiB texts) so that gzip bombs stay
 * cheap. One fs_ingest_t is reused across inputs, like a pipeline worker's.
 *
 * Checks: an error is one of the documented classes with a message and a
 * position inside the (inflated) payload, and leaves nothing to free; a
 * success gives a non-blank UTF-8 text within the limit, which then scores
 * within the result invariants and writes a scored event that parses.
 */
#include <stdint.h>
#include <string.h>

#include "feedsense/config.h"
#include "feedsense/event.h"
#include "feedsense/ingest.h"
#include "fuzz_util.h"

#define MAX_MESSAGE (64 * 1024)
#define MAX_TEXT    (16 * 1024)

static const fs_event_fields_t renamed = {"comment", "ref", "ts", "", "customer", "lang", "stars"};
static const fs_event_fields_t id_is_text = {"text", "text", "timestamp", "channel", "customer_id", "locale", "rating"};

static fs_engine_t *engine;
static fs_scratch_t *scratch;
static fs_ingest_t ing;
static fs_buf_t out = FS_BUF_INIT;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	engine = fuzz_engine_load();
	scratch = fs_scratch_new(engine);
	if (!scratch) {
		fprintf(stderr, "fuzz_decode: out of memory\n");
		exit(2);
	}
	fs_ingest_init(&ing);
	return 0;
}

static int documented_error(fs_err_t err)
{
	return err == FS_ERR_EMPTY || err == FS_ERR_TOO_LARGE || err == FS_ERR_GZIP || err == FS_ERR_UTF8 ||
	       err == FS_ERR_JSON || err == FS_ERR_NO_TEXT || err == FS_ERR_TEXT_TYPE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int formats[] = {FS_FORMAT_AUTO, FS_FORMAT_JSON, FS_FORMAT_PLAIN, FS_FORMAT_AUTO};
	const fs_event_fields_t *field_sets[] = {NULL, &fs_event_fields_default, &renamed, &id_is_text};
	fs_ingest_opts_t opts;
	fs_event_in_t in;
	const fs_result_t *res = NULL;
	const char *text_field;
	char errstr[512];
	size_t errpos = 0, k;
	fs_err_t err;

	if (size < 1) {
		return 0;
	}
	memset(&opts, 0, sizeof(opts));
	opts.format = formats[data[0] & 3];
	opts.fields = field_sets[(data[0] >> 2) & 3];
	opts.text_field = opts.fields ? opts.fields->text : "text";
	opts.max_text_bytes = MAX_TEXT;
	opts.max_message_bytes = MAX_MESSAGE;
	text_field = opts.text_field;
	data++;
	size--;

	errstr[0] = '\0';
	err = fs_ingest_decode(&ing, &opts, data, size, &in, &errpos, errstr, sizeof(errstr));
	if (err != FS_OK) {
		size_t limit = ing.compressed ? ing.inflated.len : size;
		FUZZ_CHECK(documented_error(err), "undocumented error %d (%s): %s", err, fs_err2str(err), errstr);
		FUZZ_CHECK(errstr[0] != '\0', "error %s without a message", fs_err2class(err));
		FUZZ_CHECK(errpos == SIZE_MAX || errpos <= limit, "%s at byte %zu of %zu", fs_err2class(err), errpos,
			   limit);
		FUZZ_CHECK(in.root == NULL && in.text == NULL, "%s left a decoded message behind", fs_err2class(err));
		return 0;
	}
	FUZZ_CHECK(in.text && in.text_len >= 1 && in.text_len <= MAX_TEXT, "decoded text of %zu bytes", in.text_len);
	FUZZ_CHECK(fs_utf8_valid(in.text, in.text_len, &k), "decoded text is not UTF-8 at byte %zu", k);
	for (k = 0; k < in.text_len; k++) {
		char c = in.text[k];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
	}
	FUZZ_CHECK(k < in.text_len, "blank text accepted");
	FUZZ_CHECK(!ing.compressed || ing.inflated.len <= MAX_MESSAGE, "inflated to %zu bytes", ing.inflated.len);
	if (opts.format == FS_FORMAT_PLAIN) {
		FUZZ_CHECK(in.root == NULL, "plain text decoded as JSON");
	}

	err = fs_score(engine, scratch, in.text, in.text_len, &res, &errpos);
	FUZZ_CHECK(err == FS_OK, "decoded text does not score: %s", fs_err2str(err));
	fuzz_check_result(engine, res, in.text, in.text_len);
	fuzz_check_event(&out, engine, res, &in, text_field);

	fs_event_in_clear(&in);
	fs_event_in_clear(&in); /* documented as safe */
	return 0;
}
