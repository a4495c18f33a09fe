/*
 * Unit tests of the log module: the plain and JSON line formats (stderr is
 * redirected to a file and read back), JSON escaping, level filtering, and
 * the masking of registered secrets, also where the mask is longer than
 * the secret at the end of a full line.
 */
#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

#include "testutil.h"

#include "feedsense/buf.h"
#include "feedsense/log.h"

static char path[] = "/tmp/feedsense-test-log-XXXXXX";
static int saved_fd = -1;

/* Redirect stderr to an empty temporary file. */
static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0) {
		return -1;
	}
	fflush(stderr);
	saved_fd = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fs_log_set_format(FS_LOG_PLAIN);
	fs_log_set_level(FS_LOG_INFO);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	unlink(path);
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	fs_log_set_format(FS_LOG_PLAIN);
	return 0;
}

/* Everything logged so far; the caller frees. */
static char *logged(void)
{
	fs_buf_t buf = FS_BUF_INIT;
	char es[256];

	assert_int_equal(fs_buf_read_file(&buf, path, es, sizeof(es)), FS_OK);
	return buf.p ? buf.p : strdup("");
}

static void test_plain(void **state)
{
	char *text;

	(void)state;
	fs_log(FS_LOG_INFO, "run", "consumed %d messages", 42);
	fs_log(FS_LOG_DEBUG, "run", "not shown at info");
	text = logged();
	assert_int_equal(strlen(text) - strlen(strchr(text, ' ')), 24); /* 2026-11-25T21:04:05.123Z */
	assert_contains(text, "Z INFO  [run] consumed 42 messages\n");
	assert_null(strstr(text, "not shown"));
	free(text);
}

static void test_json(void **state)
{
	char *text, *nl;
	json_t *obj;
	json_error_t jerr;

	(void)state;
	fs_log_set_format(FS_LOG_JSON);
	fs_log(FS_LOG_WARN, "rdkafka", "quote \" backslash \\ tab \t newline \n bell \a end");
	text = logged();
	nl = strchr(text, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0'); /* one line */
	obj = json_loadb(text, (size_t)(nl - text), 0, &jerr);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(obj, "module")), "rdkafka");
	assert_string_equal(json_string_value(json_object_get(obj, "msg")),
			    "quote \" backslash \\ tab \t newline \n bell \a end");
	assert_int_equal(strlen(json_string_value(json_object_get(obj, "ts"))), 24);
	json_decref(obj);
	free(text);
}

static void test_secrets_masked(void **state)
{
	char *text, big[3000];

	(void)state;
	assert_int_equal(fs_log_add_secret("abc"), 0); /* too short: not registered */
	assert_int_equal(fs_log_add_secret("s3cr3t"), 0);
	assert_int_equal(fs_log_add_secret("s3cr3t"), 0); /* once is enough */
	fs_log(FS_LOG_INFO, "rdkafka", "sasl.password=s3cr3t, again s3cr3ts3cr3t, abc stays");
	fs_log_set_format(FS_LOG_JSON);
	fs_log(FS_LOG_ERROR, "run", "failed with s3cr3t");
	/* a full line ending in the secret: the longer mask must not overflow */
	memset(big, 'x', sizeof(big));
	memcpy(big + 2047 - 6, "s3cr3t", 6);
	big[2047] = '\0';
	fs_log(FS_LOG_INFO, "run", "%s", big);
	text = logged();
	assert_null(strstr(text, "s3cr3t"));
	assert_contains(text, "sasl.password=********, again ****************, abc stays\n");
	assert_contains(text, "\"msg\":\"failed with ********\"}\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secrets_masked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
