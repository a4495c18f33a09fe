/*
 * err: names and descriptions of fs_err_t codes, and the errstr helper.
 */
#include <stdarg.h>
#include <stdio.h>

#include "feedsense/err.h"

const char *fs_err2class(fs_err_t err)
{
	switch (err) {
	case FS_OK: return "ok";
	case FS_ERR_NOMEM: return "out_of_memory";
	case FS_ERR_IO: return "io_error";
	case FS_ERR_PARSE: return "parse_error";
	case FS_ERR_UTF8: return "invalid_utf8";
	case FS_ERR_JSON: return "invalid_json";
	case FS_ERR_NO_TEXT: return "missing_text";
	case FS_ERR_TEXT_TYPE: return "text_not_string";
	case FS_ERR_TOO_LARGE: return "too_large";
	case FS_ERR_GZIP: return "corrupt_gzip";
	case FS_ERR_ARG: return "invalid_argument";
	case FS_ERR_REGEX: return "invalid_regex";
	case FS_ERR_EMPTY: return "empty_text";
	case FS_ERR_KAFKA: return "kafka_error";
	}
	return "unknown_error";
}

const char *fs_err2str(fs_err_t err)
{
	switch (err) {
	case FS_OK: return "success";
	case FS_ERR_NOMEM: return "out of memory";
	case FS_ERR_IO: return "I/O error";
	case FS_ERR_PARSE: return "malformed file";
	case FS_ERR_UTF8: return "text is not valid UTF-8";
	case FS_ERR_JSON: return "input is not a valid JSON object";
	case FS_ERR_NO_TEXT: return "the text field is missing";
	case FS_ERR_TEXT_TYPE: return "the text field is not a string";
	case FS_ERR_TOO_LARGE: return "input exceeds the size limit";
	case FS_ERR_GZIP: return "corrupt or truncated gzip data";
	case FS_ERR_ARG: return "invalid argument";
	case FS_ERR_REGEX: return "regular expression failed to compile";
	case FS_ERR_EMPTY: return "the message or its text is empty";
	case FS_ERR_KAFKA: return "Kafka client error";
	}
	return "unknown error";
}

fs_err_t fs_seterr(char *errstr, size_t errstr_size, fs_err_t err, const char *fmt, ...)
{
	va_list ap;

	if (errstr && errstr_size > 0) {
		va_start(ap, fmt);
		vsnprintf(errstr, errstr_size, fmt, ap);
		va_end(ap);
	}
	return err;
}
