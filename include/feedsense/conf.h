/*
 * conf: the reader for feedsense's sectioned key = value files
 * (categories.conf, rules.conf, and the pipeline configuration).
 *
 * Unlike common INI parsers it hands every key to the caller with its line
 * number, so every error can name "file:line", and it allows repeated keys.
 */
#ifndef FEEDSENSE_CONF_H
#define FEEDSENSE_CONF_H

#include <stddef.h>

#include "feedsense/err.h"

/**
 * Called for each "[section]" header (key == NULL) and each "key = value"
 * line. Strings are NUL-terminated copies valid during the call; the value
 * is trimmed. Return FS_OK to go on, anything else to stop with that error
 * (the callback fills errstr).
 */
typedef fs_err_t (*fs_conf_fn)(void *opaque, const char *section, const char *key, const char *value, unsigned line,
			       char *errstr, size_t errstr_size);

/**
 * @brief Parse @p len bytes of @p data named @p name.
 * @returns FS_OK, the callback's error, or FS_ERR_PARSE for a malformed line
 *          ("name:line: expected key = value").
 */
fs_err_t fs_conf_parse(const char *name, const char *data, size_t len, fs_conf_fn fn, void *opaque, char *errstr,
		       size_t errstr_size);

#endif
