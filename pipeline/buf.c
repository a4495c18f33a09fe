/*
 * buf: growable byte buffer and hand-written JSON output primitives.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/buf.h"

fs_err_t fs_buf_reserve(fs_buf_t *buf, size_t extra)
{
	size_t need = buf->len + extra + 1;
	size_t cap;
	char *p;

	if (buf->oom) {
		return FS_ERR_NOMEM;
	}
	if (need <= buf->cap) {
		return FS_OK;
	}
	cap = buf->cap ? buf->cap : 256;
	while (cap < need) {
		cap *= 2;
	}
	p = realloc(buf->p, cap);
	if (!p) {
		buf->oom = 1;
		return FS_ERR_NOMEM;
	}
	buf->p = p;
	buf->cap = cap;
	return FS_OK;
}

void fs_buf_free(fs_buf_t *buf)
{
	free(buf->p);
	buf->p = NULL;
	buf->len = buf->cap = 0;
	buf->oom = 0;
}

void fs_buf_append(fs_buf_t *buf, const void *data, size_t len)
{
	if (fs_buf_reserve(buf, len) != FS_OK) {
		return;
	}
	memcpy(buf->p + buf->len, data, len);
	buf->len += len;
	buf->p[buf->len] = '\0';
}

void fs_buf_puts(fs_buf_t *buf, const char *s)
{
	fs_buf_append(buf, s, strlen(s));
}

void fs_buf_putc(fs_buf_t *buf, char c)
{
	if (fs_buf_reserve(buf, 1) != FS_OK) {
		return;
	}
	buf->p[buf->len++] = c;
	buf->p[buf->len] = '\0';
}

void fs_buf_printf(fs_buf_t *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || fs_buf_reserve(buf, (size_t)n) != FS_OK) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf->p + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
}

void fs_buf_json_str(fs_buf_t *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, run = 0;
	char *o;

	/* worst case: every byte becomes \u00XX */
	if (fs_buf_reserve(buf, len * 6 + 2) != FS_OK) {
		return;
	}
	o = buf->p + buf->len;
	*o++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = u[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		if (run) {
			memcpy(o, s + i - run, run);
			o += run;
			run = 0;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	if (run) {
		memcpy(o, s + len - run, run);
		o += run;
	}
	*o++ = '"';
	*o = '\0';
	buf->len = (size_t)(o - buf->p);
}

void fs_buf_u64(fs_buf_t *buf, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (fs_buf_reserve(buf, (size_t)n) != FS_OK) {
		return;
	}
	while (n) {
		buf->p[buf->len++] = tmp[--n];
	}
	buf->p[buf->len] = '\0';
}

void fs_buf_i64(fs_buf_t *buf, int64_t v)
{
	if (v < 0) {
		fs_buf_putc(buf, '-');
		fs_buf_u64(buf, (uint64_t)0 - (uint64_t)v);
	} else {
		fs_buf_u64(buf, (uint64_t)v);
	}
}

void fs_buf_json_num(fs_buf_t *buf, double v)
{
	int64_t scaled;
	uint64_t frac;
	int digits = 4;

	if (!isfinite(v)) {
		fs_buf_putc(buf, '0');
		return;
	}
	if (v > 1e14) {
		v = 1e14; /* beyond llround's range after scaling */
	} else if (v < -1e14) {
		v = -1e14;
	}
	scaled = (int64_t)llround(v * 10000.0);
	if (scaled < 0) {
		fs_buf_putc(buf, '-');
		scaled = -scaled;
	}
	fs_buf_u64(buf, (uint64_t)scaled / 10000);
	frac = (uint64_t)scaled % 10000;
	if (!frac) {
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	fs_buf_putc(buf, '.');
	{
		char tmp[4];
		int i;
		for (i = digits - 1; i >= 0; i--) {
			tmp[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		fs_buf_append(buf, tmp, (size_t)digits);
	}
}

fs_err_t fs_buf_read_file(fs_buf_t *buf, const char *path, char *errstr, size_t errstr_size)
{
	FILE *fp = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	fs_buf_reset(buf);
	if (!fp) {
		return fs_seterr(errstr, errstr_size, FS_ERR_IO, "%s: %s", path, strerror(errno));
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		fs_buf_append(buf, chunk, n);
	}
	if (ferror(fp)) {
		int e = errno;
		fclose(fp);
		return fs_seterr(errstr, errstr_size, FS_ERR_IO, "%s: %s", path, strerror(e));
	}
	fclose(fp);
	if (buf->oom) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: out of memory", path);
	}
	if (fs_buf_reserve(buf, 0) != FS_OK) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: out of memory", path);
	}
	buf->p[buf->len] = '\0';
	return FS_OK;
}
