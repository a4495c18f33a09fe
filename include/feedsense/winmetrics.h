/*
 * winmetrics: what `feedsense windows` tells a monitoring system: its
 * feedsense_windows_* families and feedsense_build_info on the metrics
 * registry of metrics.h, served with /healthz and /readyz by its HTTP
 * server, and the health and readiness rules of the alerter.
 *
 * The alerter is one thread and its window state is not shared: it pushes
 * its counts here (fs_winmetrics_update()), and the server thread only
 * reads atomics. Every call accepts a NULL fs_winmetrics_t (metrics off)
 * and does nothing.
 */
#ifndef FEEDSENSE_WINMETRICS_H
#define FEEDSENSE_WINMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/metrics.h"

typedef struct fs_winmetrics fs_winmetrics_t;

/** The alerter's counts, as it keeps them. */
typedef struct fs_winmetrics_counts {
	uint64_t events;          /**< scored events read */
	uint64_t bad;             /**< of which undecodable */
	uint64_t late;            /**< dropped as older than the watermark */
	uint64_t overflow;        /**< key updates dropped at windows.max_keys */
	uint64_t alerts_open;     /**< spike alerts acknowledged by the broker */
	uint64_t alerts_recovery; /**< recovery alerts acknowledged by the broker */
	uint64_t alerts_failed;   /**< alerts not delivered */
	uint64_t restored;        /**< incidents restored from the alerts topic at start */
	uint64_t keys;            /**< keys tracked now */
	uint64_t open;            /**< incidents open now */
	int64_t newest_ms;        /**< newest event time seen (ms); INT64_MIN: none yet */
} fs_winmetrics_counts_t;

/** Where the alerter is in its start (readiness). */
typedef enum fs_winmetrics_phase {
	FS_WINMX_READBACK = 0, /**< restoring incidents from the alerts topic */
	FS_WINMX_ASSIGNING,    /**< looking up and assigning the scored partitions */
	FS_WINMX_REBUILDING,   /**< reading the scored partitions up to their end once */
	FS_WINMX_RUNNING,      /**< every partition reached its end once: rebuilt */
	FS_WINMX_STOPPING,
} fs_winmetrics_phase_t;

/**
 * @brief Register the families and serve them on @p listen (see
 *        fs_metrics_parse_listen()). Disabled: returns NULL, silently. A bad
 *        address or a bind failure is logged as an error and returns NULL:
 *        the alerter runs on without metrics. Logs "listening on
 *        http://ADDR/metrics" on success.
 */
fs_winmetrics_t *fs_winmetrics_start(const char *listen);
/** @brief The families without a server (tests). @returns NULL when out of memory. */
fs_winmetrics_t *fs_winmetrics_new(void);
/** @brief Stop the server and free everything. NULL is a no-op. */
void fs_winmetrics_destroy(fs_winmetrics_t *mx);
/** @brief The registry (tests). */
fs_metrics_registry_t *fs_winmetrics_registry(fs_winmetrics_t *mx);

/** @brief Publish the alerter's counts. */
void fs_winmetrics_update(fs_winmetrics_t *mx, const fs_winmetrics_counts_t *c);
/** @brief The alerter is in phase @p phase; @p nparts partitions, @p caught_up of them read to their end once. */
void fs_winmetrics_phase(fs_winmetrics_t *mx, fs_winmetrics_phase_t phase, int nparts, int caught_up);
/** @brief The consumer loop is making progress (a pass of it, or of the read-back). */
void fs_winmetrics_alive(fs_winmetrics_t *mx);
/** @brief A librdkafka error callback fired with @p err. */
void fs_winmetrics_kafka_error(fs_winmetrics_t *mx, int err);
/** @brief A broker answered the consumer (a message or a partition end): one is reachable. */
void fs_winmetrics_broker_seen(fs_winmetrics_t *mx);
/** @brief The consumer's statistics JSON: whether a broker is up. */
void fs_winmetrics_kafka_stats(fs_winmetrics_t *mx, const char *json, size_t len);
/** @brief Change the stuck-loop threshold of /healthz (FS_METRICS_WEDGED_MS); for tests. */
void fs_winmetrics_set_wedged_ms(fs_winmetrics_t *mx, int64_t ms);

/**
 * @brief The probes' verdicts (also what the server answers): /healthz
 *        fails when the consumer loop made no pass for the wedged time while
 *        a broker is reachable; /readyz passes once the scored partitions are
 *        assigned and each was read to its end once (the rebuild), while a
 *        broker is reachable and the alerter is not stopping.
 * @returns 1 pass, 0 fail; @p why says why.
 */
int fs_winmetrics_health(fs_winmetrics_t *mx, fs_metrics_probe_t probe, char *why, size_t why_size);

#endif
