/*
 * err: feedsense's one error convention.
 *
 * Every function that can fail returns an fs_err_t: FS_OK (0) on success,
 * a negative code otherwise. Loaders and constructors also fill a caller's
 * errstr buffer with a human message ("file:line: reason").
 */
#ifndef FEEDSENSE_ERR_H
#define FEEDSENSE_ERR_H

#include <stddef.h>

typedef enum fs_err {
	FS_OK = 0,
	FS_ERR_NOMEM = -1,     /**< allocation failed */
	FS_ERR_IO = -2,        /**< file could not be read or written */
	FS_ERR_PARSE = -3,     /**< a lexicon, rule or config file is malformed */
	FS_ERR_UTF8 = -4,      /**< text is not valid UTF-8 */
	FS_ERR_JSON = -5,      /**< input is not a JSON object */
	FS_ERR_NO_TEXT = -6,   /**< the text field is missing */
	FS_ERR_TEXT_TYPE = -7, /**< the text field is not a string */
	FS_ERR_TOO_LARGE = -8, /**< input exceeds the size limit */
	FS_ERR_GZIP = -9,      /**< corrupt or truncated gzip data */
	FS_ERR_ARG = -10,      /**< invalid argument */
	FS_ERR_REGEX = -11,    /**< a regular expression failed to compile */
	FS_ERR_EMPTY = -12,    /**< the message or its text is empty */
	FS_ERR_KAFKA = -13,    /**< a Kafka client error */
} fs_err_t;

/**
 * @brief Stable, lower-case, machine-friendly name of an error ("invalid_utf8").
 *        Used as the DLQ error class. Never NULL.
 */
const char *fs_err2class(fs_err_t err);

/**
 * @brief Human-readable description of an error. Never NULL.
 */
const char *fs_err2str(fs_err_t err);

/**
 * @brief printf into errstr (if errstr_size > 0); returns err unchanged so
 *        callers can write `return fs_seterr(es, esz, FS_ERR_PARSE, ...)`.
 */
fs_err_t fs_seterr(char *errstr, size_t errstr_size, fs_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
