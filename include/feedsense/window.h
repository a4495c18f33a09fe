/*
 * window: sliding-window spike detection over scored events, pure and
 * deterministic (event time is passed in; nothing here reads a clock).
 *
 * Each key (a category, a channel, or the overall stream) has a ring of
 * step-sized buckets counting messages and negative messages. A window is
 * `length` long and ends on a step boundary; it is evaluated once, when the
 * watermark (the input frontier passed to fs_window_advance() minus the
 * allowed lateness) reaches its end. A message older than the watermark is
 * late: counted and dropped. A window raises a spike when its negative
 * count and negative share reach the thresholds and, when a trailing
 * baseline exists, its share is at least baseline_factor times the
 * baseline's; the incident stays open (no new spike for that key) until a
 * window's share falls under the recovery share, which emits a recovery.
 * After a spike, the key raises no new spike for `cooldown`. Keys are
 * capped; events of keys beyond the cap are counted, not tracked.
 *
 * The alert writer and reader of schema feedsense.alert.v1 live here too,
 * so a restarted alerter can restore what it already published
 * (fs_window_restore()).
 */
#ifndef FEEDSENSE_WINDOW_H
#define FEEDSENSE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/buf.h"
#include "feedsense/err.h"

#define FS_WINDOW_SCHEMA       "feedsense.alert.v1"
#define FS_WINDOW_EXAMPLES     5   /**< example message ids per alert */
#define FS_WINDOW_ID_MAX       64  /**< longer message ids are truncated */
#define FS_WINDOW_VALUE_MAX    200 /**< longer key values are truncated */
#define FS_WINDOW_INCIDENT_MAX 64
#define FS_WINDOW_MAX_CATS     32                 /**< categories of one event considered */
#define FS_WINDOW_TIME_MAX     1000000000000000LL /**< event times within +-this many ms (year 33658) */

/** Key kinds, also used as a bit mask in fs_window_opts_t.keys. */
typedef enum fs_window_kind {
	FS_WINDOW_CATEGORY = 1,
	FS_WINDOW_CHANNEL = 2,
	FS_WINDOW_OVERALL = 4,
} fs_window_kind_t;

typedef enum fs_window_alert_type {
	FS_WINDOW_SPIKE = 0,
	FS_WINDOW_RECOVERY = 1,
} fs_window_alert_type_t;

/** Conditions that fired (bit mask in fs_window_alert_t.fired). */
#define FS_WINDOW_FIRED_MIN_COUNT 1u
#define FS_WINDOW_FIRED_MIN_SHARE 2u
#define FS_WINDOW_FIRED_BASELINE  4u /**< checked and met; absent when no baseline */
#define FS_WINDOW_FIRED_RECOVERY  8u

typedef struct fs_window_opts {
	int64_t length_ms;      /**< window length, a multiple of step_ms */
	int64_t step_ms;        /**< bucket width and evaluation period */
	int64_t lateness_ms;    /**< allowed lateness behind the frontier */
	int64_t min_count;      /**< negative messages needed in a window */
	double min_share;       /**< negative share needed, 0..1 */
	int baseline_windows;   /**< trailing windows forming the baseline; 0: none */
	double baseline_factor; /**< share >= factor x baseline share; 0: not checked */
	double recovery_share;  /**< share under which an incident closes; 0: min_share / 2 */
	int64_t cooldown_ms;    /**< after a spike, no new spike for the key this long */
	unsigned keys;          /**< fs_window_kind_t bits */
	size_t max_keys;        /**< category and channel keys tracked (overall not counted) */
} fs_window_opts_t;

/** One category of an event, with its own sentiment. */
typedef struct fs_window_cat {
	const char *name;
	size_t len;
	int negative;
} fs_window_cat_t;

/** A scored event as the window sees it; strings are borrowed. */
typedef struct fs_window_event {
	int64_t time_ms; /**< event time */
	int negative;    /**< overall label is negative */
	const char *id;  /**< message id or NULL */
	size_t id_len;
	const char *channel; /**< channel or NULL */
	size_t channel_len;
	fs_window_cat_t cats[FS_WINDOW_MAX_CATS];
	size_t ncats;
} fs_window_event_t;

/** An alert, self-contained (copies, no borrowed pointers). */
typedef struct fs_window_alert {
	fs_window_alert_type_t type;
	fs_window_kind_t kind;
	char value[FS_WINDOW_VALUE_MAX + 1]; /**< "" for the overall key */
	int64_t start_ms, end_ms;            /**< window [start, end) */
	uint64_t total, negative;
	double share;
	int has_baseline;
	double baseline_share;
	unsigned fired; /**< FS_WINDOW_FIRED_* */
	size_t nexamples;
	char examples[FS_WINDOW_EXAMPLES][FS_WINDOW_ID_MAX + 1];
	char incident_id[FS_WINDOW_INCIDENT_MAX];
} fs_window_alert_t;

typedef void(fs_window_alert_cb)(void *opaque, const fs_window_alert_t *alert);

typedef struct fs_window_stats {
	uint64_t added;              /**< events counted in windows */
	uint64_t late;               /**< events older than the watermark, dropped */
	uint64_t overflow;           /**< key updates dropped because max_keys keys were tracked */
	uint64_t spikes, recoveries; /**< alerts emitted */
	uint64_t suppressed;         /**< window evaluations skipped as already published (restore) */
	size_t keys;                 /**< keys tracked now, overall included */
	size_t open;                 /**< incidents open now */
	int64_t watermark;           /**< INT64_MIN before the first event */
} fs_window_stats_t;

typedef struct fs_window fs_window_t;

/** @brief The defaults: 300 s in 30 s steps, 60 s lateness, ... (as the config table). */
void fs_window_opts_init(fs_window_opts_t *opts);

/**
 * @brief Parse a comma list of key kinds ("category,channel,overall") into
 *        fs_window_kind_t bits.
 * @returns FS_OK, or FS_ERR_PARSE with errstr naming the unknown item.
 */
fs_err_t fs_window_parse_keys(const char *list, unsigned *keys, char *errstr, size_t errstr_size);

/**
 * @brief Create a detector.
 * @returns FS_OK and *wp; FS_ERR_ARG with errstr when the options are
 *          inconsistent (length not a positive multiple of step ...);
 *          FS_ERR_NOMEM.
 */
fs_err_t fs_window_new(const fs_window_opts_t *opts, fs_window_t **wp, char *errstr, size_t errstr_size);

/** @brief Free everything. NULL is a no-op. */
void fs_window_destroy(fs_window_t *w);

/**
 * @brief Count one event in the windows of its keys (overall, its channel,
 *        each of its categories, as configured). An event older than the
 *        watermark is late: counted in the stats and dropped. An event more
 *        than lateness + one window ahead of the next window to evaluate
 *        first closes the windows it would otherwise overwrite (their
 *        alerts go to @p cb), moving the watermark up. A time beyond
 *        +-FS_WINDOW_TIME_MAX is counted as late.
 * @returns 0 when counted, 1 when late. Never fails: a key that cannot be
 *          tracked (cap reached, out of memory) is counted as overflow.
 */
int fs_window_add(fs_window_t *w, const fs_window_event_t *ev, fs_window_alert_cb *cb, void *opaque);

/**
 * @brief Move the watermark to @p frontier_ms - lateness (it never goes
 *        back) and evaluate, in order, every window whose end it reached,
 *        calling @p cb for each alert (keys in the order they were first
 *        seen). Single-stream callers pass fs_window_max_time().
 */
void fs_window_advance(fs_window_t *w, int64_t frontier_ms, fs_window_alert_cb *cb, void *opaque);

/** @brief The latest event time added (INT64_MIN before the first). */
int64_t fs_window_max_time(const fs_window_t *w);

/**
 * @brief Restore the state an alert already published implies: a spike
 *        opens the key's incident (with its id; cooldown from its window
 *        end), a recovery closes it. Windows of that key ending at or
 *        before the alert's window end are then evaluated for their counts
 *        only and never alert again. Apply a key's alerts in their order.
 * @returns FS_OK; FS_ERR_ARG when the key kind is not tracked or the key
 *          cap is reached; FS_ERR_NOMEM.
 */
fs_err_t fs_window_restore(fs_window_t *w, const fs_window_alert_t *alert);

/** @brief Current counters. */
void fs_window_stats(const fs_window_t *w, fs_window_stats_t *st);

/** @brief "category", "channel" or "overall". */
const char *fs_window_kind_name(fs_window_kind_t kind);

/** @brief The Kafka key of an alert: "category:VALUE", "channel:VALUE" or "overall". */
void fs_window_alert_key(const fs_window_alert_t *a, fs_buf_t *out);

/**
 * @brief Append an alert as one line of JSON (schema feedsense.alert.v1,
 *        no newline); thresholds from @p opts; emitted_at from @p now_ms.
 */
void fs_window_alert_write(fs_buf_t *out, const fs_window_alert_t *a, const fs_window_opts_t *opts, int64_t now_ms);

/**
 * @brief Read back an alert written by fs_window_alert_write() (the fields
 *        fs_window_restore() needs and the counts).
 * @returns FS_OK, or FS_ERR_JSON with errstr.
 */
fs_err_t fs_window_alert_parse(const char *data, size_t len, fs_window_alert_t *a, char *errstr, size_t errstr_size);

/**
 * @brief Parse a timestamp: a JSON-ish number as text (epoch seconds, or
 *        milliseconds when above 1e11) or RFC 3339 ("2026-11-25T21:04:05Z",
 *        fractions and +hh:mm offsets allowed).
 * @returns 0 and *ms, or -1 when it is neither.
 */
int fs_window_parse_time(const char *s, size_t len, int64_t *ms);

/** @brief Write @p ms as RFC 3339 UTC with milliseconds ("2026-11-25T21:04:05.123Z"). */
void fs_window_format_time(int64_t ms, char *buf, size_t size);

/**
 * @brief A scored event (feedsense.scored.v1) decoded for the windows. The
 *        event's strings point into the parsed document held here.
 */
typedef struct fs_window_scored {
	fs_window_event_t ev;
	void *root; /**< json_t * */
} fs_window_scored_t;

/**
 * @brief Decode one scored event. Event time: meta.timestamp when present
 *        and readable, else source.timestamp (the input's Kafka timestamp),
 *        else @p kafka_ts_ms (the scored message's own; -1 if none).
 * @returns FS_OK; FS_ERR_JSON when it is not a scored event or has no
 *          usable time (errstr says why). Call fs_window_scored_clear()
 *          after use either way.
 */
fs_err_t fs_window_scored_parse(fs_window_scored_t *ws, const char *data, size_t len, int64_t kafka_ts_ms, char *errstr,
				size_t errstr_size);

/** @brief Release what fs_window_scored_parse() holds. Safe twice. */
void fs_window_scored_clear(fs_window_scored_t *ws);

#endif
