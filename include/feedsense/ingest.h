/*
 * ingest: turning a raw Kafka payload into a decoded input message:
 * gzip detection and bounded inflation (zlib), size limits, JSON or plain
 * text, with a stable error class and, where known, the byte position of
 * the error for the dead-letter record.
 */
#ifndef FEEDSENSE_INGEST_H
#define FEEDSENSE_INGEST_H

#include <stddef.h>

#include "feedsense/buf.h"
#include "feedsense/event.h"

typedef struct fs_ingest_opts {
	int format;                      /**< fs_input_format_t: auto, json, plain */
	const char *text_field;          /**< "text" */
	const fs_event_fields_t *fields; /**< all field names; NULL: defaults with text_field */
	size_t max_text_bytes;           /**< decoded text limit */
	size_t max_message_bytes;        /**< raw payload and inflated payload limit */
} fs_ingest_opts_t;

/** Per-thread scratch (the inflate buffer and zlib stream). */
typedef struct fs_ingest {
	fs_buf_t inflated;
	void *zs;       /**< z_stream, allocated on first gzip payload */
	int compressed; /**< the last payload was gzip */
} fs_ingest_t;

void fs_ingest_init(fs_ingest_t *ing);
void fs_ingest_free(fs_ingest_t *ing);

/**
 * @brief Decode @p len bytes at @p payload into @p in.
 * @returns FS_OK; or FS_ERR_EMPTY, FS_ERR_TOO_LARGE, FS_ERR_GZIP, FS_ERR_UTF8,
 *          FS_ERR_JSON, FS_ERR_NO_TEXT, FS_ERR_TEXT_TYPE with errstr and
 *          *errpos (SIZE_MAX when no position applies; positions are in the
 *          inflated bytes for gzip payloads).
 */
fs_err_t fs_ingest_decode(fs_ingest_t *ing, const fs_ingest_opts_t *opts, const void *payload, size_t len,
			  fs_event_in_t *in, size_t *errpos, char *errstr, size_t errstr_size);

#endif
