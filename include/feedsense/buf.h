/*
 * buf: a growable byte buffer and the JSON writing primitives built on it.
 *
 * feedsense writes its JSON events by hand into an fs_buf_t that is reused
 * from message to message, so steady-state output allocates nothing.
 */
#ifndef FEEDSENSE_BUF_H
#define FEEDSENSE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/err.h"

typedef struct fs_buf {
	char *p;    /**< data, NUL-terminated when non-NULL */
	size_t len; /**< bytes used, excluding the terminating NUL */
	size_t cap; /**< bytes allocated */
	int oom;    /**< set when an append failed; later appends are no-ops */
} fs_buf_t;

#define FS_BUF_INIT                                                                                                    \
	{                                                                                                              \
		NULL, 0, 0, 0                                                                                          \
	}

/** @brief Make room for @p extra more bytes. @returns FS_OK or FS_ERR_NOMEM. */
fs_err_t fs_buf_reserve(fs_buf_t *buf, size_t extra);
/** @brief Forget the contents, keep the allocation. */
static inline void fs_buf_reset(fs_buf_t *buf)
{
	buf->len = 0;
	buf->oom = 0;
	if (buf->p) {
		buf->p[0] = '\0';
	}
}
/** @brief Release the allocation. */
void fs_buf_free(fs_buf_t *buf);

void fs_buf_append(fs_buf_t *buf, const void *data, size_t len);
void fs_buf_puts(fs_buf_t *buf, const char *s);
void fs_buf_putc(fs_buf_t *buf, char c);
void fs_buf_printf(fs_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** @brief Append a JSON string literal (with quotes) for UTF-8 @p s. */
void fs_buf_json_str(fs_buf_t *buf, const char *s, size_t len);
/** @brief Append a JSON number with up to 4 decimals, no exponent ("-0.6124"). */
void fs_buf_json_num(fs_buf_t *buf, double v);
/** @brief Append an unsigned integer in decimal. */
void fs_buf_u64(fs_buf_t *buf, uint64_t v);
/** @brief Append a signed integer in decimal. */
void fs_buf_i64(fs_buf_t *buf, int64_t v);

/**
 * @brief Replace @p buf's contents with the whole file at @p path.
 * @returns FS_OK, or FS_ERR_IO / FS_ERR_NOMEM with errstr "path: reason".
 */
fs_err_t fs_buf_read_file(fs_buf_t *buf, const char *path, char *errstr, size_t errstr_size);

#endif
