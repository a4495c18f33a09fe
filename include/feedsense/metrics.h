/*
 * metrics: what `feedsense run` tells a monitoring system, in three layers.
 *
 * 1. A registry of counters, gauges and histograms rendered in the
 *    Prometheus text exposition format (version 0.0.4). Every series of a
 *    family is created when the family is registered (a family has at most
 *    one label, with its values fixed up front, addressed by index), so the
 *    hot path is one relaxed atomic add and never allocates nor locks. The
 *    one exception is a "dynamic" gauge family (labels known only at run
 *    time, such as per-partition consumer lag): it is replaced as a whole,
 *    under a mutex, from a slow path (the librdkafka statistics callback).
 * 2. An HTTP server (libmicrohttpd, its own polling thread, bounded
 *    connections, GET/HEAD only) serving /metrics, /healthz and /readyz.
 * 3. The pipeline's own metrics (fs_metrics_t): the feedsense_* families,
 *    the event hooks the runner calls, and the health and readiness rules.
 *    Every hook accepts a NULL fs_metrics_t (metrics off) and does nothing.
 */
#ifndef FEEDSENSE_METRICS_H
#define FEEDSENSE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/buf.h"
#include "feedsense/err.h"

/* ------------------------------------------------------------------ */
/* registry and exposition format                                      */

typedef struct fs_metrics_registry fs_metrics_registry_t;
typedef struct fs_metric fs_metric_t;

typedef enum fs_metric_type {
	FS_METRIC_COUNTER = 0,
	FS_METRIC_GAUGE,
	FS_METRIC_HISTOGRAM,
} fs_metric_type_t;

/** @brief New empty registry. @returns NULL when out of memory. */
fs_metrics_registry_t *fs_metrics_registry_new(void);
/** @brief Free the registry and its families. NULL is a no-op. */
void fs_metrics_registry_destroy(fs_metrics_registry_t *reg);

/**
 * @brief Register a counter or gauge family. With @p label NULL the family
 *        has one unlabelled series (index 0); otherwise one series per
 *        value of @p values[0..nvalues), addressed by that index. Names are
 *        [a-zA-Z_:][a-zA-Z0-9_:]*; a counter's name must end in "_total".
 *        Strings are copied.
 * @returns the family, owned by the registry; NULL on a bad name, a
 *          duplicate name, or out of memory.
 */
fs_metric_t *fs_metrics_family(fs_metrics_registry_t *reg, fs_metric_type_t type, const char *name, const char *help,
			       const char *label, const char *const *values, size_t nvalues);

/**
 * @brief Register an unlabelled histogram with the upper bounds
 *        @p bounds[0..nbounds) (strictly increasing; +Inf is implicit).
 * @returns the family, or NULL as for fs_metrics_family().
 */
fs_metric_t *fs_metrics_histogram(fs_metrics_registry_t *reg, const char *name, const char *help, const double *bounds,
				  size_t nbounds);

/**
 * @brief Register a gauge family whose series appear at run time, with the
 *        label names @p labels[0..nlabels) (at most 4). Updated only with
 *        fs_metrics_replace().
 */
fs_metric_t *fs_metrics_dynamic(fs_metrics_registry_t *reg, const char *name, const char *help,
				const char *const *labels, size_t nlabels);

/** @brief Add @p n to series @p i of a counter or gauge. Lock-free. An index out of range is ignored. */
void fs_metrics_add(fs_metric_t *m, size_t i, int64_t n);
/** @brief Set series @p i of a gauge. Lock-free. */
void fs_metrics_set(fs_metric_t *m, size_t i, int64_t v);
/** @brief Record one observation in a histogram. Lock-free. */
void fs_metrics_observe(fs_metric_t *m, double v);
/** @brief Current value of series @p i of a counter or gauge (0 if out of range). */
int64_t fs_metrics_value(const fs_metric_t *m, size_t i);
/** @brief A histogram's observation count and sum. */
void fs_metrics_histogram_get(const fs_metric_t *m, uint64_t *count, double *sum);

/**
 * @brief Replace every series of a dynamic family: @p n series, series k
 *        having label values @p values[k * nlabels + j] and value @p v[k].
 * @returns FS_OK, or FS_ERR_NOMEM (the family is then left empty).
 */
fs_err_t fs_metrics_replace(fs_metric_t *m, size_t n, const char *const *values, const int64_t *v);

/**
 * @brief Called at the start of every rendering, before any value is read,
 *        to refresh the gauges that are computed rather than counted.
 */
void fs_metrics_on_collect(fs_metrics_registry_t *reg, void (*collect)(void *opaque), void *opaque);

/**
 * @brief Append the whole registry to @p out in the Prometheus text format,
 *        families in registration order. @returns FS_OK or FS_ERR_NOMEM.
 */
fs_err_t fs_metrics_render(fs_metrics_registry_t *reg, fs_buf_t *out);

/** @brief Append @p s escaped as a label value (\\, \", \n). */
void fs_metrics_escape_label(fs_buf_t *out, const char *s);

/* ------------------------------------------------------------------ */
/* HTTP server                                                         */

typedef struct fs_metrics_server fs_metrics_server_t;

/** Probes answered by the health callback. */
typedef enum fs_metrics_probe {
	FS_PROBE_LIVE = 0, /**< /healthz */
	FS_PROBE_READY,    /**< /readyz */
} fs_metrics_probe_t;

/**
 * Health callback: write a one-line reason into @p why and return 1 when the
 * probe passes (200), 0 when it fails (503). Called from the server thread.
 */
typedef int (*fs_metrics_health_cb)(void *opaque, fs_metrics_probe_t probe, char *why, size_t why_size);

/**
 * @brief Parse a listen address: "HOST:PORT", "[IPv6]:PORT" or a bare
 *        "PORT" (127.0.0.1). HOST is a numeric address or "localhost";
 *        PORT 0..65535 (0: any free port). "off" or "" means disabled.
 * @returns FS_OK with @p host and *port filled (*port = -1 when disabled),
 *          or FS_ERR_PARSE with errstr.
 */
fs_err_t fs_metrics_parse_listen(const char *listen, char *host, size_t host_size, int *port, char *errstr,
				 size_t errstr_size);

/**
 * @brief Start serving @p reg on @p listen (see fs_metrics_parse_listen;
 *        must not be disabled). @p health may be NULL (probes then pass).
 * @returns the server, or NULL with errstr (bad address, bind failure).
 */
fs_metrics_server_t *fs_metrics_server_start(fs_metrics_registry_t *reg, const char *listen,
					     fs_metrics_health_cb health, void *opaque, char *errstr,
					     size_t errstr_size);
/** @brief The bound address as "host:port" (the real port when 0 was asked). */
const char *fs_metrics_server_address(const fs_metrics_server_t *srv);
/** @brief Stop the server (waits for its thread) and free it. NULL is a no-op. */
void fs_metrics_server_stop(fs_metrics_server_t *srv);

/* ------------------------------------------------------------------ */
/* broker reachability                                                 */

/** No broker reachable for this long fails /readyz. */
#define FS_METRICS_BROKER_GRACE_MS 5000

/**
 * Whether a Kafka broker is reachable, as librdkafka tells it: down from
 * its first "all brokers down" error or a statistics report with no broker
 * up, up again when a broker answers (a message, a partition EOF, or a
 * statistics report with a broker up). Shared by the metrics of `feedsense
 * run` and of `feedsense windows`; every call is safe from any thread.
 */
typedef struct fs_broker_watch {
	_Atomic long long down_since; /**< ms (monotonic) since no broker is reachable, 0 while one is */
} fs_broker_watch_t;

/** @brief Reachable until told otherwise. */
void fs_broker_watch_init(fs_broker_watch_t *bw);
/** @brief A librdkafka error: RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN marks the brokers down (from now, if not already). */
void fs_broker_watch_error(fs_broker_watch_t *bw, int err);
/** @brief A broker answered. */
void fs_broker_watch_seen(fs_broker_watch_t *bw);
/** @brief A statistics report, parsed (a jansson json_t * root): up when a broker's state is UP, down when none is. */
void fs_broker_watch_stats(fs_broker_watch_t *bw, const void *stats_root);
/** @brief 1 while a broker is reachable. */
int fs_broker_watch_up(fs_broker_watch_t *bw);
/**
 * @brief 1 when no broker has been reachable for FS_METRICS_BROKER_GRACE_MS
 *        or more, with the reason in @p why (for /readyz); 0 otherwise.
 */
int fs_broker_watch_unready(fs_broker_watch_t *bw, char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/* the pipeline's metrics                                              */

typedef struct fs_metrics fs_metrics_t;
struct fs_engine;
struct fs_result;
struct fs_config;

/** Thread slots for liveness: the consumer loop, the producer poller, then one per worker. */
#define FS_METRICS_SLOT_CONSUMER  0
#define FS_METRICS_SLOT_POLLER    1
#define FS_METRICS_SLOT_WORKER(i) (2 + (i))

/** A thread busy this long without progress, while a broker is reachable, fails /healthz. */
#define FS_METRICS_WEDGED_MS 120000
/**
 * @brief The pipeline's metrics for @p engine, the rule set of generation
 *        @p generation (its categories and rules label the families), and
 *        @p nworkers workers, served on
 *        cfg->metrics_listen. Disabled listen: returns NULL, silently. A bind
 *        failure is logged as an error and also returns NULL: the pipeline
 *        runs on without metrics.
 */
fs_metrics_t *fs_metrics_start(const struct fs_config *cfg, const struct fs_engine *engine, uint64_t generation,
			       int nworkers);
/** @brief Stop the server and free everything. NULL is a no-op. */
void fs_metrics_destroy(fs_metrics_t *mx);
/** @brief The registry (tests, and further families). */
fs_metrics_registry_t *fs_metrics_registry(fs_metrics_t *mx);

/** @brief A message was consumed and queued to a worker. */
void fs_metrics_consumed(fs_metrics_t *mx);
/** @brief Worker @p slot dequeued a message. @returns the start time for fs_metrics_work_end(). */
uint64_t fs_metrics_work_begin(fs_metrics_t *mx, int slot);
/** @brief Worker @p slot produced the outputs of the message it began at @p t0. */
void fs_metrics_work_end(fs_metrics_t *mx, int slot, uint64_t t0);
/**
 * @brief @p engine (rule set generation @p generation) scored a message:
 *        label, categories, rules, rule limits. The categories and rules of
 *        a reloaded set count under the label of the same name; names the
 *        first set did not have are not counted (labels are fixed at start).
 */
void fs_metrics_scored(fs_metrics_t *mx, const struct fs_engine *engine, uint64_t generation,
		       const struct fs_result *res);
/**
 * @brief The lexicon set in use is @p version (feedsense_lexicon_info), after
 *        @p ok, @p failed and @p unchanged live reloads (feedsense_reloads_total).
 */
void fs_metrics_lexicon(fs_metrics_t *mx, const char *version, unsigned long ok, unsigned long failed,
			unsigned long unchanged);
/**
 * @brief The broker acknowledged an output (an rd_kafka_message_t of a
 *        delivery report, passed as void *): counts it as scored, alerted or
 *        dead-lettered (by its feedsense.error.class header) by its topic.
 */
void fs_metrics_delivered(fs_metrics_t *mx, const void *rkmessage);
/** @brief A delivery report carried an error. */
void fs_metrics_produce_failed(fs_metrics_t *mx);
/**
 * @brief Every output of a message was acknowledged; @p kafka_ts_ms is the
 *        input's Kafka timestamp (-1: none) for the end-to-end histogram.
 */
void fs_metrics_done(fs_metrics_t *mx, int64_t kafka_ts_ms);
/** @brief An offset commit (or transaction commit) finished with librdkafka error @p err (0: success). */
void fs_metrics_committed(fs_metrics_t *mx, int err);
/** @brief A librdkafka error callback fired with @p err. */
void fs_metrics_kafka_error(fs_metrics_t *mx, int err);
/** @brief The consumer's statistics JSON: consumer lag per partition, broker states. */
void fs_metrics_kafka_stats(fs_metrics_t *mx, const char *json, size_t len);
/**
 * @brief A rebalance callback assigned (@p assigned 1) or revoked partitions;
 *        call after the (incremental) assign/unassign, with the consumer
 *        (rd_kafka_t *, passed as void *) to read the assignment back.
 */
void fs_metrics_rebalanced(fs_metrics_t *mx, void *rk, int assigned);
/** @brief Loop thread @p slot is making progress. */
void fs_metrics_alive(fs_metrics_t *mx, int slot);
/** @brief Change the stuck-thread threshold of /healthz (FS_METRICS_WEDGED_MS); for tests. */
void fs_metrics_set_wedged_ms(fs_metrics_t *mx, int64_t ms);
/** @brief The pipeline stops: /readyz fails from now on. */
void fs_metrics_stopping(fs_metrics_t *mx);
/** @brief The statistics interval the consumer should use when metrics are on (ms). */
#define FS_METRICS_STATS_INTERVAL_MS 5000

/**
 * @brief The probes' verdicts (also what the server answers).
 * @returns 1 pass, 0 fail; @p why says why.
 */
int fs_metrics_health(fs_metrics_t *mx, fs_metrics_probe_t probe, char *why, size_t why_size);

#endif
