/*
 * event: decoding feedback messages (JSON objects or plain text) and
 * writing the scored event, schema feedsense.scored.v1, as JSON.
 */
#ifndef FEEDSENSE_EVENT_H
#define FEEDSENSE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/buf.h"
#include "feedsense/err.h"
#include "feedsense/score.h"

#define FS_EVENT_SCHEMA "feedsense.scored.v1"

/** Names of the JSON input fields the pipeline knows (configurable). */
typedef struct fs_event_fields {
	const char *text;      /**< "text" */
	const char *id;        /**< "id" */
	const char *timestamp; /**< "timestamp" */
	const char *channel;   /**< "channel" */
	const char *customer;  /**< "customer_id" */
	const char *locale;    /**< "locale" */
	const char *rating;    /**< "rating" */
} fs_event_fields_t;

/** The defaults above. */
extern const fs_event_fields_t fs_event_fields_default;

#define FS_EVENT_META_N 5 /**< timestamp, channel, customer, locale, rating */

/** A decoded input message. Borrowed views stay valid until fs_event_in_clear(). */
typedef struct fs_event_in {
	const char *text; /**< UTF-8 text to score */
	size_t text_len;
	const char *id; /**< the input's id, or NULL */
	size_t id_len;
	void *root;                      /**< the parsed JSON object (json_t *), or NULL for plain text */
	const fs_event_fields_t *fields; /**< the field names used to decode it */
	void *meta[FS_EVENT_META_N];     /**< json_t * of the known fields found, or NULL */
	char idbuf[32];                  /**< numeric ids are formatted here */
} fs_event_in_t;

/** Where a message came from (Kafka); all optional. */
typedef struct fs_event_source {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int64_t timestamp_ms; /**< message timestamp, -1 if unknown */
} fs_event_source_t;

/**
 * @brief Decode a JSON object and pick its text field (@p text_field) and "id".
 * @returns FS_OK; FS_ERR_UTF8 / FS_ERR_JSON (with *errpos where known, else
 *          SIZE_MAX), FS_ERR_NO_TEXT, FS_ERR_TEXT_TYPE, with errstr set.
 */
fs_err_t fs_event_decode_json(const char *data, size_t len, const char *text_field, fs_event_in_t *in, size_t *errpos,
			      char *errstr, size_t errstr_size);

/**
 * @brief Same with every known field name given: the text and id fields are
 *        picked as above, and the timestamp, channel, customer, locale and
 *        rating fields, when present, are written into the event's "meta".
 */
fs_err_t fs_event_decode_json_fields(const char *data, size_t len, const fs_event_fields_t *fields, fs_event_in_t *in,
				     size_t *errpos, char *errstr, size_t errstr_size);

/** @brief Decode plain UTF-8 text. Same errors as above for invalid UTF-8. */
fs_err_t fs_event_decode_plain(const char *data, size_t len, fs_event_in_t *in, size_t *errpos, char *errstr,
			       size_t errstr_size);

/** @brief Release what decoding allocated. Safe to call twice. */
void fs_event_in_clear(fs_event_in_t *in);

/**
 * @brief Append one scored event as a single line of JSON (no newline).
 * @param in     the decoded input: its other fields are carried under "input"
 * @param src    Kafka source, or NULL
 * @param text_field name of the text field, left out of "input"
 */
void fs_event_write_scored(fs_buf_t *out, const fs_engine_t *engine, const fs_result_t *res, const fs_event_in_t *in,
			   const char *text_field, const fs_event_source_t *src);

#endif
