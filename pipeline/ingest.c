/*
 * ingest: payload decoding for the streaming pipeline.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "feedsense/config.h"
#include "feedsense/ingest.h"

void fs_ingest_init(fs_ingest_t *ing)
{
	memset(ing, 0, sizeof(*ing));
}

void fs_ingest_free(fs_ingest_t *ing)
{
	if (ing->zs) {
		inflateEnd((z_stream *)ing->zs);
		free(ing->zs);
	}
	fs_buf_free(&ing->inflated);
	memset(ing, 0, sizeof(*ing));
}

/* Inflate a gzip payload into ing->inflated, refusing to grow past @p limit. */
static fs_err_t gunzip(fs_ingest_t *ing, const unsigned char *p, size_t len, size_t limit, char *errstr,
		       size_t errstr_size)
{
	z_stream *zs = ing->zs;
	int rc;

	if (!zs) {
		zs = calloc(1, sizeof(*zs));
		if (!zs || inflateInit2(zs, 15 + 16) != Z_OK) {
			free(zs);
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		}
		ing->zs = zs;
	} else if (inflateReset2(zs, 15 + 16) != Z_OK) {
		return fs_seterr(errstr, errstr_size, FS_ERR_GZIP, "cannot reset the inflater");
	}
	fs_buf_reset(&ing->inflated);
	zs->next_in = (Bytef *)p;
	zs->avail_in = (uInt)len;
	do {
		size_t room;
		if (ing->inflated.len >= limit) {
			return fs_seterr(errstr, errstr_size, FS_ERR_TOO_LARGE,
					 "gzip payload inflates past the %zu-byte limit", limit);
		}
		room = len * 4 + 4096;
		if (room > limit - ing->inflated.len) {
			room = limit - ing->inflated.len + 1; /* one more byte tells "too large" */
		}
		if (fs_buf_reserve(&ing->inflated, room) != FS_OK) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		}
		zs->next_out = (Bytef *)ing->inflated.p + ing->inflated.len;
		zs->avail_out = (uInt)room;
		rc = inflate(zs, Z_NO_FLUSH);
		ing->inflated.len += room - zs->avail_out;
		if (rc == Z_STREAM_END) {
			break;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			return fs_seterr(errstr, errstr_size, FS_ERR_GZIP,
					 "corrupt gzip data at compressed byte %zu: %s", len - zs->avail_in,
					 zs->msg ? zs->msg : "inflate failed");
		}
		if (rc == Z_BUF_ERROR && zs->avail_in == 0) {
			return fs_seterr(errstr, errstr_size, FS_ERR_GZIP, "truncated gzip data (%zu bytes)", len);
		}
	} while (1);
	if (ing->inflated.len > limit) {
		return fs_seterr(errstr, errstr_size, FS_ERR_TOO_LARGE, "gzip payload inflates past the %zu-byte limit",
				 limit);
	}
	if (zs->avail_in != 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_GZIP, "%u bytes of trailing data after the gzip stream",
				 zs->avail_in);
	}
	ing->inflated.p[ing->inflated.len] = '\0';
	return FS_OK;
}

fs_err_t fs_ingest_decode(fs_ingest_t *ing, const fs_ingest_opts_t *opts, const void *payload, size_t len,
			  fs_event_in_t *in, size_t *errpos, char *errstr, size_t errstr_size)
{
	const unsigned char *p = payload;
	fs_err_t err;
	size_t i, bom = 0;
	int json;

	memset(in, 0, sizeof(*in));
	*errpos = SIZE_MAX;
	ing->compressed = 0;
	if (!p || !len) {
		return fs_seterr(errstr, errstr_size, FS_ERR_EMPTY, "empty message");
	}
	if (len > opts->max_message_bytes) {
		return fs_seterr(errstr, errstr_size, FS_ERR_TOO_LARGE,
				 "message of %zu bytes exceeds the %zu-byte limit", len, opts->max_message_bytes);
	}
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		ing->compressed = 1;
		if ((err = gunzip(ing, p, len, opts->max_message_bytes, errstr, errstr_size)) != FS_OK) {
			return err;
		}
		p = (const unsigned char *)ing->inflated.p;
		len = ing->inflated.len;
		if (!len) {
			return fs_seterr(errstr, errstr_size, FS_ERR_EMPTY, "empty message (after gzip)");
		}
	}
	/* a UTF-8 byte order mark is no part of the content (RFC 8259 lets a JSON
	 * reader ignore it): without this, auto format would take a BOM-prefixed
	 * JSON object for plain text; error positions still count it */
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		bom = 3;
		p += bom;
		len -= bom;
	}
	for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'); i++) {
	}
	if (i == len) {
		return fs_seterr(errstr, errstr_size, FS_ERR_EMPTY, "message has only whitespace");
	}
	json = opts->format == FS_FORMAT_JSON || (opts->format == FS_FORMAT_AUTO && p[i] == '{');
	if (json) {
		if (opts->fields) {
			err = fs_event_decode_json_fields((const char *)p, len, opts->fields, in, errpos, errstr,
							  errstr_size);
		} else {
			err = fs_event_decode_json((const char *)p, len, opts->text_field, in, errpos, errstr,
						   errstr_size);
		}
	} else {
		err = fs_event_decode_plain((const char *)p, len, in, errpos, errstr, errstr_size);
	}
	if (err != FS_OK) {
		if (*errpos != SIZE_MAX) {
			*errpos += bom;
		}
		return err;
	}
	if (in->text_len > opts->max_text_bytes) {
		size_t n = in->text_len;
		fs_event_in_clear(in);
		return fs_seterr(errstr, errstr_size, FS_ERR_TOO_LARGE, "text of %zu bytes exceeds the %zu-byte limit",
				 n, opts->max_text_bytes);
	}
	for (i = 0; i < in->text_len; i++) {
		char c = in->text[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
	}
	if (i == in->text_len) {
		fs_event_in_clear(in);
		return fs_seterr(errstr, errstr_size, FS_ERR_EMPTY, "the text is empty");
	}
	return FS_OK;
}
