/*
 * alerter: `feedsense windows`, the Kafka glue around the window module.
 *
 * One thread does everything: it polls a consumer assigned to every
 * partition of the scored topic (manual assignment: a consumer group would
 * split the partitions between instances, and window counts need every
 * event; `feedsense run` may run as several replicas for that reason, this
 * command as one), feeds each scored event to the window module, and
 * produces the alerts with an idempotent producer whose delivery reports
 * it serves between polls.
 *
 * Watermark. Partitions are read at different paces (a replay reads one
 * partition's backlog ahead of another's), so the frontier given to the
 * window module is the smallest of the partitions' latest event times,
 * over the partitions that still have data to deliver; a partition at its
 * end (partition EOF, nothing since, for a grace second: see idle()) does
 * not hold the others back. When every partition is at its end, the
 * frontier is the latest event time of all. Partitions ahead of the frontier by more than half a window are
 * paused until it catches up (align()), so the window module sees events
 * roughly in order. Windows close when later events arrive: a stream that
 * stops entirely leaves its last windows open until it resumes, unless
 * windows.idle_close is set: after that much silence the frontier follows
 * the wall clock (see frontier()).
 *
 * Restart. Nothing is stored locally; the state is rebuilt from Kafka:
 *   1. the recent window alerts are read back from the alerts topic: each
 *      partition from the offset rd_kafka_offsets_for_times() gives for
 *      now - (rebuild span + cooldown) up to its end at start, keeping the
 *      records with header feedsense.alert.kind=window; each restores the
 *      incident it opened or closed (fs_window_restore());
 *   2. each scored partition is then read from the offset for now -
 *      rebuild span, where the rebuild span is length x (1 +
 *      baseline_windows) + lateness: enough events to fill every window
 *      and baseline again. Windows a restored alert already covered are
 *      counted but not alerted on again, so a restart neither repeats a
 *      spike nor loses the recovery of an incident still open.
 * A broker that cannot look offsets up by time (librdkafka's mock cluster)
 * is read from the beginning instead, skipping the older records (see
 * offsets_at()).
 * Kafka timestamps are the wall clock of production, so the seek is by
 * wall time while windows run on event time. An incident opened before
 * the read-back range is unknown after a restart and is announced again if
 * the surge still holds; a spike produced but not yet acknowledged when
 * the process died may be announced twice (at-least-once, like the
 * pipeline).
 *
 * Metrics (windows.metrics_listen, winmetrics.h): the loop pushes its counts
 * and the window stats at most every METRICS_EVERY_S, and the phase of its
 * start (read-back, assignment, rebuild until every partition reached its
 * end once, running) for /readyz; the HTTP server's thread reads only
 * those. Alerts are counted by type when the broker acknowledges them.
 *
 * --from-file replays NDJSON scored events from a file or stdin through
 * the same windows and prints the alerts; at the end of input, the windows
 * up to the step holding the last event are evaluated.
 */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feedsense/alerter.h"
#include "feedsense/buf.h"
#include "feedsense/clock.h"
#include "feedsense/config.h"
#include "feedsense/log.h"
#include "feedsense/winmetrics.h"

#define MOD                 "windows"
#define ALERT_KIND_HEADER   "feedsense.alert.kind"
#define META_TIMEOUT_MS     10000
#define READBACK_TIMEOUT_MS 60000
#define IDLE_GRACE_S        1.0         /* more than the consumer's fetch.wait.max.ms (500 ms by default) */
#define LATE_LOGGED         10          /* late events logged (the rest are counted) */
#define METRICS_EVERY_S     0.1         /* counts pushed to the metrics at most this often (and at the end) */
#define ALERT_OPEN          ((void *)1) /* message opaque of a spike, for the delivery report */
#define ALERT_RECOVERY      ((void *)2)

typedef struct part {
	int32_t id;
	int64_t max_time; /* latest event time; INT64_MIN: none yet */
	int at_end;       /* partition EOF and nothing since */
	double eof_at;    /* when (monotonic seconds) */
	int scan;         /* read from the beginning: skip records older than the rebuild start */
	int paused;       /* ahead of the others: waits for them (align()) */
	int caught_up;    /* reached its end once since the start (the rebuild is done for it) */
} part_t;

typedef struct alerter {
	const fs_config_t *cfg;
	volatile sig_atomic_t *stop;
	fs_window_opts_t wo;
	fs_window_t *w;
	rd_kafka_t *consumer, *producer;
	const char *in_topic, *out_topic;
	part_t *parts;
	int nparts;
	FILE *out; /* offline replay */
	fs_buf_t buf, key;
	int fatal;
	double woke_at;  /* when a partition at its end last delivered again */
	double event_at; /* when the last event was delivered (monotonic s) */
	unsigned long consumed, bad, produced, acked, failed, restored;
	unsigned long acked_open, acked_recovery; /* acked, by alert type */
	fs_winmetrics_t *mx;                      /* NULL: metrics off */
	int ncaught_up;                           /* partitions with caught_up set */
	double mx_at;                             /* when the counts were last pushed (monotonic s) */
} alerter_t;

fs_err_t fs_alerter_window_opts(const fs_config_t *cfg, fs_window_opts_t *wo, char *errstr, size_t errstr_size)
{
	char reason[256];

	fs_window_opts_init(wo);
	wo->length_ms = cfg->win_length * 1000;
	wo->step_ms = cfg->win_step * 1000;
	wo->lateness_ms = cfg->win_lateness * 1000;
	wo->min_count = cfg->win_min_count;
	wo->min_share = cfg->win_min_share;
	wo->baseline_windows = cfg->win_baseline_windows;
	wo->baseline_factor = cfg->win_baseline_factor;
	wo->recovery_share = cfg->win_recovery_share;
	wo->cooldown_ms = cfg->win_cooldown * 1000;
	wo->max_keys = (size_t)cfg->win_max_keys;
	if (fs_window_parse_keys(cfg->win_keys, &wo->keys, reason, sizeof(reason)) != FS_OK) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "windows.keys: %s", reason);
	}
	return FS_OK;
}

/* Wall time the rebuild starts from: enough for every window and baseline. */
static int64_t rebuild_span_ms(const fs_window_opts_t *wo)
{
	return wo->length_ms * (1 + (int64_t)wo->baseline_windows) + wo->lateness_ms;
}

static void log_alert(const fs_window_alert_t *a, const char *what)
{
	char start[40], end[40];

	fs_window_format_time(a->start_ms, start, sizeof(start));
	fs_window_format_time(a->end_ms, end, sizeof(end));
	fs_log(FS_LOG_INFO, MOD,
	       "%s %s %s%s%s: window %s .. %s, %" PRIu64 " of %" PRIu64 " negative (%.2f), incident %s", what,
	       a->type == FS_WINDOW_SPIKE ? "spike" : "recovery", fs_window_kind_name(a->kind),
	       a->kind == FS_WINDOW_OVERALL ? "" : ":", a->value, start, end, a->negative, a->total, a->share,
	       a->incident_id);
}

/* fs_window_alert_cb: publish (Kafka) or print (offline replay). */
static void on_alert(void *opaque, const fs_window_alert_t *a)
{
	alerter_t *al = opaque;
	rd_kafka_headers_t *hdrs;
	rd_kafka_resp_err_t err;

	fs_buf_reset(&al->buf);
	fs_buf_reset(&al->key);
	fs_window_alert_write(&al->buf, a, &al->wo, fs_wall_ms());
	fs_window_alert_key(a, &al->key);
	if (al->buf.oom || al->key.oom) {
		fs_log(FS_LOG_ERROR, MOD, "out of memory writing an alert");
		al->fatal = 1;
		return;
	}
	log_alert(a, al->out ? "replay" : "publish");
	if (al->out) {
		fprintf(al->out, "%s\n", al->buf.p);
		al->produced++;
		return;
	}
	hdrs = rd_kafka_headers_new(1);
	rd_kafka_header_add(hdrs, ALERT_KIND_HEADER, -1, "window", 6);
	err = rd_kafka_producev(al->producer, RD_KAFKA_V_TOPIC(al->out_topic), RD_KAFKA_V_KEY(al->key.p, al->key.len),
				RD_KAFKA_V_VALUE(al->buf.p, al->buf.len), RD_KAFKA_V_HEADERS(hdrs),
				RD_KAFKA_V_OPAQUE(a->type == FS_WINDOW_SPIKE ? ALERT_OPEN : ALERT_RECOVERY),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_BLOCK), RD_KAFKA_V_END);
	if (err) {
		rd_kafka_headers_destroy(hdrs);
		al->failed++;
		fs_log(FS_LOG_ERROR, MOD, "cannot produce an alert to %s: %s", al->out_topic, rd_kafka_err2str(err));
		return;
	}
	al->produced++;
}

static void summary(alerter_t *al)
{
	fs_window_stats_t st;
	char wm[40] = "none";

	fs_window_stats(al->w, &st);
	if (st.watermark != INT64_MIN) {
		fs_window_format_time(st.watermark, wm, sizeof(wm));
	}
	fs_log(FS_LOG_INFO, "summary",
	       "windows: consumed %lu, bad %lu, late %" PRIu64 ", key overflow %" PRIu64
	       " | keys %zu, open incidents %zu"
	       " | spikes %" PRIu64 ", recoveries %" PRIu64 ", restored %lu, published %lu, acked %lu, failed %lu"
	       " | watermark %s",
	       al->consumed, al->bad, st.late, st.overflow, st.keys, st.open, st.spikes, st.recoveries, al->restored,
	       al->produced, al->acked, al->failed, wm);
}

/* Push the counts to the metrics (the server thread never touches the windows). */
static void publish_counts(alerter_t *al)
{
	fs_winmetrics_counts_t c;
	fs_window_stats_t st;

	if (!al->mx) {
		return;
	}
	fs_window_stats(al->w, &st);
	c.events = al->consumed;
	c.bad = al->bad;
	c.late = st.late;
	c.overflow = st.overflow;
	c.alerts_open = al->acked_open;
	c.alerts_recovery = al->acked_recovery;
	c.alerts_failed = al->failed;
	c.restored = al->restored;
	c.keys = st.keys;
	c.open = st.open;
	c.newest_ms = fs_window_max_time(al->w);
	fs_winmetrics_update(al->mx, &c);
	al->mx_at = fs_mono_s();
}

/* One scored event, from Kafka or a file. @returns 0 when used. */
static int feed(alerter_t *al, const char *data, size_t len, int64_t kafka_ts, int64_t *time_ms)
{
	fs_window_scored_t ws;
	char errstr[256];
	int late;

	al->consumed++;
	if (fs_window_scored_parse(&ws, data, len, kafka_ts, errstr, sizeof(errstr)) != FS_OK) {
		if (al->bad++ < 10) {
			fs_log(FS_LOG_WARN, MOD, "skipped an event: %s", errstr);
		}
		fs_window_scored_clear(&ws);
		return -1;
	}
	late = fs_window_add(al->w, &ws.ev, on_alert, al) == 1;
	*time_ms = ws.ev.time_ms;
	fs_window_scored_clear(&ws);
	return late;
}

/* ------------------------------------------------------------------ */
/* offline replay                                                      */

static int run_file(alerter_t *al, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int64_t t, max;

	if (!fp) {
		fs_log(FS_LOG_ERROR, MOD, "%s: cannot open: %s", path, strerror(errno));
		return 1;
	}
	while (!*al->stop && !al->fatal && (n = getline(&line, &cap, fp)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
			n--;
		}
		if (n == 0) {
			continue;
		}
		if (feed(al, line, (size_t)n, -1, &t) >= 0) {
			fs_window_advance(al->w, fs_window_max_time(al->w), on_alert, al);
		}
	}
	free(line);
	if (fp != stdin) {
		fclose(fp);
	}
	max = fs_window_max_time(al->w);
	if (max != INT64_MIN && !*al->stop) {
		/* the end of input: every window up to the step holding the last event */
		int64_t end = (max / al->wo.step_ms + 1) * al->wo.step_ms;
		fs_window_advance(al->w, end + al->wo.lateness_ms, on_alert, al);
	}
	fflush(al->out);
	summary(al);
	return al->fatal ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Kafka                                                               */

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	alerter_t *al = opaque;
	char buf[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, buf, sizeof(buf));
		fs_log(FS_LOG_ERROR, MOD, "fatal Kafka error in %s: %s", rd_kafka_name(rk), buf);
		al->fatal = 1;
		return;
	}
	fs_winmetrics_kafka_error(al->mx, err);
	fs_log(err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? FS_LOG_WARN : FS_LOG_INFO, MOD, "%s: %s: %s",
	       rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	alerter_t *al = opaque;

	(void)rk;
	if (m->err) {
		al->failed++;
		fs_log(FS_LOG_ERROR, MOD, "alert not delivered to %s: %s", rd_kafka_topic_name(m->rkt),
		       rd_kafka_err2str(m->err));
	} else {
		al->acked++;
		if (m->_private == ALERT_OPEN) {
			al->acked_open++;
		} else if (m->_private == ALERT_RECOVERY) {
			al->acked_recovery++;
		}
	}
}

/* The consumer's statistics, when metrics are on: is a broker reachable? */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
	alerter_t *al = opaque;

	(void)rk;
	fs_winmetrics_kafka_stats(al->mx, json, json_len);
	return 0; /* librdkafka frees json */
}

static rd_kafka_t *make_client(alerter_t *al, rd_kafka_type_t type)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const fs_config_t *cfg = al->cfg;
	char es[1024], group[512];
	rd_kafka_t *rk;
	int rc = 0;

	rd_kafka_conf_set_opaque(conf, al);
	rd_kafka_conf_set_log_cb(conf,
				 (void (*)(const rd_kafka_t *, int, const char *, const char *))fs_log_rdkafka_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	if (fs_config_kafka_conf(cfg, type == RD_KAFKA_CONSUMER ? 1 : 2, conf, es, sizeof(es)) != FS_OK) {
		fs_log(FS_LOG_ERROR, MOD, "%s", es);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (type == RD_KAFKA_CONSUMER) {
		/* librdkafka's consumer API needs a group id; it is never joined
		 * (manual assignment) and nothing is committed */
		snprintf(group, sizeof(group), "%s-windows", cfg->group);
		rc |= fs_config_kafka_default(conf, "group.id", group, MOD);
		rc |= fs_config_kafka_default(conf, "client.id", "feedsense-windows", MOD);
		rc |= fs_config_kafka_default(conf, "enable.auto.commit", "false", MOD);
		rc |= fs_config_kafka_default(conf, "enable.auto.offset.store", "false", MOD);
		rc |= fs_config_kafka_default(conf, "enable.partition.eof", "true", MOD);
		rc |= fs_config_kafka_default(conf, "auto.offset.reset", "earliest", MOD);
		if (al->mx) {
			char num[32];
			snprintf(num, sizeof(num), "%d", FS_METRICS_STATS_INTERVAL_MS);
			rc |= fs_config_kafka_default(conf, "statistics.interval.ms", num, MOD);
			rd_kafka_conf_set_stats_cb(conf, stats_cb);
		}
	} else {
		rc |= fs_config_kafka_default(conf, "client.id", "feedsense-windows-producer", MOD);
		rc |= fs_config_kafka_default(conf, "enable.idempotence", "true", MOD);
		rc |= fs_config_kafka_default(conf, "linger.ms", "5", MOD);
		rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	}
	if (rc) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rk = rd_kafka_new(type, conf, es, sizeof(es));
	if (!rk) {
		fs_log(FS_LOG_ERROR, MOD, "cannot create the Kafka %s: %s",
		       type == RD_KAFKA_CONSUMER ? "consumer" : "producer", es);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

/* Partition count of @p topic, waiting up to META_TIMEOUT_MS for it to exist. */
static int partitions_of(alerter_t *al, const char *topic)
{
	double deadline = fs_mono_s() + META_TIMEOUT_MS / 1000.0;
	int n = -1;

	while (n <= 0 && !*al->stop && fs_mono_s() < deadline) {
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(al->consumer, topic, NULL);
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t err = rd_kafka_metadata(al->consumer, 0, rkt, &md, 5000);
		if (!err && md->topic_cnt == 1 && !md->topics[0].err) {
			n = md->topics[0].partition_cnt;
		}
		if (md) {
			rd_kafka_metadata_destroy(md);
		}
		rd_kafka_topic_destroy(rkt);
		if (n <= 0) {
			usleep(200 * 1000);
		}
	}
	if (n <= 0) {
		fs_log(FS_LOG_ERROR, MOD, "topic %s: no metadata (does it exist?)", topic);
	}
	return n;
}

/* Whether a ListOffsets error is transient: a leader not elected or not yet
 * known to the broker answering, right after the topic's creation or a
 * broker restart. */
static int lookup_retriable(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
	case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
	case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
	case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TRANSPORT: return 1;
	default: return 0;
	}
}

/*
 * rd_kafka_offsets_for_times() on @p list, retried on transient errors
 * (librdkafka returns them rather than retrying) until META_TIMEOUT_MS has
 * passed; each attempt asks for the times first given.
 */
static rd_kafka_resp_err_t offsets_for_times(alerter_t *al, rd_kafka_topic_partition_list_t *list)
{
	double deadline = fs_mono_s() + META_TIMEOUT_MS / 1000.0;
	rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_copy(list);
	rd_kafka_resp_err_t err;
	int i, again;

	for (;;) {
		for (i = 0; i < list->cnt; i++) {
			list->elems[i].offset = want->elems[i].offset;
			list->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
		}
		err = rd_kafka_offsets_for_times(al->consumer, list, META_TIMEOUT_MS);
		again = lookup_retriable(err);
		for (i = 0; !err && i < list->cnt; i++) {
			again |= lookup_retriable(list->elems[i].err);
		}
		if (!again || *al->stop || fs_mono_s() >= deadline) {
			break;
		}
		usleep(200 * 1000);
	}
	rd_kafka_topic_partition_list_destroy(want);
	return err;
}

/*
 * The offsets of @p topic's @p n partitions at wall time @p ts_ms, with
 * rd_kafka_offsets_for_times(); END where no record is that recent. A
 * broker that does not look offsets up by time (librdkafka's mock cluster
 * answers -1 for every time) is detected by a second lookup at time 0,
 * which any non-empty partition answers on a real broker: such a
 * partition is read from its beginning instead, and scan[i] is set so the
 * reader skips the records older than @p ts_ms itself.
 */
static rd_kafka_topic_partition_list_t *offsets_at(alerter_t *al, const char *topic, int n, int64_t ts_ms, int *scan)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(n), *probe = NULL;
	rd_kafka_resp_err_t err;
	int i, missing = 0;

	for (i = 0; i < n; i++) {
		rd_kafka_topic_partition_list_add(list, topic, i)->offset = ts_ms;
		scan[i] = 0;
	}
	err = offsets_for_times(al, list);
	if (err) {
		fs_log(FS_LOG_ERROR, MOD, "%s: offsets for time %" PRId64 ": %s", topic, ts_ms, rd_kafka_err2str(err));
		rd_kafka_topic_partition_list_destroy(list);
		return NULL;
	}
	for (i = 0; i < list->cnt; i++) {
		if (list->elems[i].err || list->elems[i].offset < 0) {
			list->elems[i].offset = RD_KAFKA_OFFSET_END;
			missing++;
		}
	}
	if (missing) {
		probe = rd_kafka_topic_partition_list_copy(list);
		for (i = 0; i < probe->cnt; i++) {
			probe->elems[i].offset = 0;
		}
		if (offsets_for_times(al, probe) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_topic_partition_list_destroy(probe);
			return list; /* keep END: the time lookup itself worked */
		}
		for (i = 0; i < list->cnt; i++) {
			int64_t lo = 0, hi = 0;
			if (list->elems[i].offset != RD_KAFKA_OFFSET_END || probe->elems[i].offset >= 0 ||
			    rd_kafka_query_watermark_offsets(al->consumer, topic, i, &lo, &hi, META_TIMEOUT_MS) ||
			    hi <= lo) {
				continue;
			}
			if (!scan[0] && !scan[i]) {
				fs_log(
				    FS_LOG_WARN, MOD,
				    "%s: the broker does not look offsets up by time; reading from the beginning and "
				    "skipping records older than %" PRId64 " s",
				    topic, (fs_wall_ms() - ts_ms) / 1000);
			}
			list->elems[i].offset = lo;
			scan[i] = 1;
		}
		rd_kafka_topic_partition_list_destroy(probe);
	}
	return list;
}

/*
 * Step 1 of a start: restore the incidents of the window alerts published
 * since @p from_ms. Reads each alerts partition up to its end at start.
 */
static int read_back(alerter_t *al, int64_t from_ms)
{
	int n = partitions_of(al, al->out_topic), i, left = 0, *scan;
	rd_kafka_topic_partition_list_t *list = NULL;
	int64_t *hi;
	double deadline;
	char errstr[256];

	if (n <= 0) {
		return -1;
	}
	hi = calloc((size_t)n, sizeof(*hi));
	scan = calloc((size_t)n, sizeof(*scan));
	if (hi && scan) {
		list = offsets_at(al, al->out_topic, n, from_ms, scan);
	}
	if (!list) {
		free(hi);
		free(scan);
		return -1;
	}
	for (i = 0; i < n; i++) {
		int64_t lo = 0;
		rd_kafka_resp_err_t err =
		    rd_kafka_query_watermark_offsets(al->consumer, al->out_topic, i, &lo, &hi[i], META_TIMEOUT_MS);
		if (err) {
			fs_log(FS_LOG_ERROR, MOD, "%s [%d]: watermarks: %s", al->out_topic, i, rd_kafka_err2str(err));
			goto fail;
		}
		if (list->elems[i].offset == RD_KAFKA_OFFSET_END || list->elems[i].offset >= hi[i]) {
			hi[i] = -1; /* nothing to read */
		} else {
			left++;
		}
	}
	if (left && rd_kafka_assign(al->consumer, list)) {
		fs_log(FS_LOG_ERROR, MOD, "cannot assign %s", al->out_topic);
		goto fail;
	}
	deadline = fs_mono_s() + READBACK_TIMEOUT_MS / 1000.0;
	while (left > 0 && !*al->stop && !al->fatal) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(al->consumer, 100);
		rd_kafka_headers_t *hdrs = NULL;
		const void *val = NULL;
		size_t vlen = 0;
		fs_window_alert_t a;

		fs_winmetrics_alive(al->mx);
		if (fs_mono_s() > deadline) {
			fs_log(FS_LOG_ERROR, MOD, "reading back %s: not at its end after %d s", al->out_topic,
			       READBACK_TIMEOUT_MS / 1000);
			goto fail;
		}
		if (!m) {
			continue;
		}
		if (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			fs_winmetrics_broker_seen(al->mx);
		}
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				fs_log(FS_LOG_WARN, MOD, "reading back %s: %s", al->out_topic,
				       rd_kafka_message_errstr(m));
			}
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->partition >= 0 && m->partition < n && hi[m->partition] >= 0 &&
		    m->offset + 1 >= hi[m->partition]) {
			hi[m->partition] = -1;
			left--;
		}
		if (m->partition >= 0 && m->partition < n && scan[m->partition] &&
		    rd_kafka_message_timestamp(m, NULL) < from_ms) {
			rd_kafka_message_destroy(m);
			continue;
		}
		if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    rd_kafka_header_get_last(hdrs, ALERT_KIND_HEADER, &val, &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    vlen == 6 && memcmp(val, "window", 6) == 0) {
			if (fs_window_alert_parse(m->payload, m->len, &a, errstr, sizeof(errstr)) != FS_OK) {
				fs_log(FS_LOG_WARN, MOD, "%s [%d] @%" PRId64 ": unreadable window alert: %s",
				       al->out_topic, m->partition, m->offset, errstr);
			} else if (fs_window_restore(al->w, &a) == FS_OK) {
				al->restored++;
				log_alert(&a, "restored");
			}
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_assign(al->consumer, NULL);
	rd_kafka_topic_partition_list_destroy(list);
	free(hi);
	free(scan);
	return *al->stop || al->fatal ? -1 : 0;
fail:
	rd_kafka_assign(al->consumer, NULL);
	rd_kafka_topic_partition_list_destroy(list);
	free(hi);
	free(scan);
	return -1;
}

/*
 * A late event: the first LATE_LOGGED are logged with where they came from
 * and the state of every partition (what held the frontier), the rest
 * only counted.
 */
static void log_late(alerter_t *al, const rd_kafka_message_t *m, int64_t et)
{
	char when[40], wm[40], parts[512];
	fs_window_stats_t st;
	size_t off = 0;
	int i;

	fs_window_stats(al->w, &st);
	if (st.late > LATE_LOGGED) {
		return;
	}
	fs_window_format_time(et, when, sizeof(when));
	fs_window_format_time(st.watermark, wm, sizeof(wm));
	parts[0] = '\0';
	for (i = 0; i < al->nparts && off < sizeof(parts); i++) {
		const part_t *p = &al->parts[i];
		int n = snprintf(parts + off, sizeof(parts) - off, "%s[%d] %" PRId64 "%s%s", i ? ", " : "", p->id,
				 p->max_time == INT64_MIN ? -1 : p->max_time / 1000, p->at_end ? " at end" : "",
				 p->paused ? " paused" : "");
		if (n < 0) {
			break;
		}
		off += (size_t)n;
	}
	fs_log(FS_LOG_WARN, MOD,
	       "%s [%d] @%" PRId64
	       ": event time %s is behind the watermark %s: counted late%s (partitions, latest event s: %s)",
	       al->in_topic, m->partition, m->offset, when, wm,
	       st.late == LATE_LOGGED ? ", further ones only counted" : "", parts);
}

/*
 * Is @p p idle: at its end, and for IDLE_GRACE_S, counted from its EOF or
 * from the last time a partition at its end delivered again, whichever is
 * later? When new events arrive after a quiet time, the partitions still
 * at their end have probably not fetched theirs yet: they keep holding the
 * frontier back at their latest event for the grace time instead of being
 * overtaken. A partition at its end that never delivered an event is idle
 * at once.
 */
static int idle(const alerter_t *al, const part_t *p, double now)
{
	double since = p->eof_at > al->woke_at ? p->eof_at : al->woke_at;
	if (p->at_end && p->max_time == INT64_MIN) {
		return 1; /* never had an event: nothing to hold the frontier at */
	}
	return p->at_end && now - since >= IDLE_GRACE_S;
}

/*
 * The frontier of event time every partition has reached (see the file
 * header). With windows.idle_close set, a silence that long (every
 * partition idle, no event delivered) lets the frontier follow the wall
 * clock at @p wall_ms minus idle_close, so the last windows close.
 */
static int64_t frontier(const alerter_t *al, double now, int64_t wall_ms)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	int i, active = 0;

	for (i = 0; i < al->nparts; i++) {
		const part_t *p = &al->parts[i];
		if (p->max_time > hi) {
			hi = p->max_time;
		}
		if (!idle(al, p, now)) {
			active = 1;
			if (p->max_time < lo) {
				lo = p->max_time;
			}
		}
	}
	if (active) {
		return lo;
	}
	if (al->cfg->win_idle_close > 0 && now - al->event_at >= (double)al->cfg->win_idle_close) {
		int64_t clock = wall_ms - al->cfg->win_idle_close * 1000;
		if (clock > hi) {
			return clock;
		}
	}
	return hi;
}

static void pause_resume(alerter_t *al, part_t *p, int pause)
{
	rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(one, al->in_topic, p->id);
	err = pause ? rd_kafka_pause_partitions(al->consumer, one) : rd_kafka_resume_partitions(al->consumer, one);
	rd_kafka_topic_partition_list_destroy(one);
	if (err) {
		fs_log(FS_LOG_WARN, MOD, "%s [%d]: %s: %s", al->in_topic, p->id, pause ? "pause" : "resume",
		       rd_kafka_err2str(err));
		return;
	}
	p->paused = pause;
	fs_log(FS_LOG_DEBUG, MOD, "%s [%d] %s at %" PRId64, al->in_topic, p->id, pause ? "paused" : "resumed",
	       p->max_time);
}

/*
 * Keep the partitions within half a window of event time of each other, so
 * a replay does not read one partition's whole backlog ahead of the others
 * (its events would then close windows the others still have events for).
 * A partition ahead of the frontier by more than that is paused until the
 * frontier catches up; while a partition has delivered nothing yet (its
 * position is unknown), the others pause at their first event. The
 * partition holding the frontier back is never paused, so reading always
 * goes on.
 */
static void align(alerter_t *al, int64_t f, double now)
{
	int64_t limit = al->wo.length_ms / 2;
	int i;

	for (i = 0; i < al->nparts; i++) {
		part_t *p = &al->parts[i];
		int ahead;
		if (p->max_time == INT64_MIN) {
			continue;
		}
		ahead = f == INT64_MIN || p->max_time - f > limit;
		if (ahead != p->paused && (ahead ? !idle(al, p, now) : 1)) {
			pause_resume(al, p, ahead);
		}
	}
}

static int run_kafka(alerter_t *al)
{
	int64_t now = fs_wall_ms(), from = now - rebuild_span_ms(&al->wo);
	rd_kafka_topic_partition_list_t *list = NULL;
	double last_summary = fs_mono_s();
	int i, status = 1, *scan = NULL;

	al->event_at = last_summary; /* silence is counted from the start */

	if (!al->cfg->brokers || !*al->cfg->brokers) {
		fs_log(FS_LOG_ERROR, MOD,
		       "kafka.brokers is required: windows reads the scored topic of a running cluster");
		return 2;
	}
	al->mx = fs_winmetrics_start(al->cfg->win_metrics_listen); /* /readyz: 503 until rebuilt */
	fs_winmetrics_phase(al->mx, FS_WINMX_READBACK, 0, 0);
	al->consumer = make_client(al, RD_KAFKA_CONSUMER);
	if (al->consumer) {
		rd_kafka_poll_set_consumer(al->consumer); /* its error and statistics callbacks, served by its polls */
	}
	al->producer = al->consumer ? make_client(al, RD_KAFKA_PRODUCER) : NULL;
	if (!al->producer) {
		goto out;
	}
	fs_log(FS_LOG_INFO, MOD,
	       "windows of %" PRId64 " s in %" PRId64
	       " s steps over %s, alerts to %s; rebuilding from the last %" PRId64 " s",
	       al->wo.length_ms / 1000, al->wo.step_ms / 1000, al->in_topic, al->out_topic,
	       rebuild_span_ms(&al->wo) / 1000);
	if (read_back(al, from - al->wo.cooldown_ms) != 0) {
		status = *al->stop && !al->fatal ? 0 : 1; /* stopped while starting: a clean exit */
		goto out;
	}
	publish_counts(al); /* the restored incidents */
	fs_winmetrics_phase(al->mx, FS_WINMX_ASSIGNING, 0, 0);
	al->nparts = partitions_of(al, al->in_topic);
	if (al->nparts <= 0) {
		goto out;
	}
	al->parts = calloc((size_t)al->nparts, sizeof(*al->parts));
	scan = calloc((size_t)al->nparts, sizeof(*scan));
	if (!al->parts || !scan || !(list = offsets_at(al, al->in_topic, al->nparts, from, scan))) {
		goto out;
	}
	for (i = 0; i < al->nparts; i++) {
		al->parts[i].id = i;
		al->parts[i].max_time = INT64_MIN;
		al->parts[i].scan = scan[i];
	}
	if (rd_kafka_assign(al->consumer, list)) {
		fs_log(FS_LOG_ERROR, MOD, "cannot assign %s", al->in_topic);
		goto out;
	}
	fs_log(FS_LOG_INFO, MOD, "restored %lu window alert(s); reading %d partition(s) of %s", al->restored,
	       al->nparts, al->in_topic);
	fs_winmetrics_phase(al->mx, FS_WINMX_REBUILDING, al->nparts, 0);
	while (!*al->stop && !al->fatal) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(al->consumer, 100);
		int64_t f;
		double t;

		fs_winmetrics_alive(al->mx);
		if (m) {
			part_t *p = m->partition >= 0 && m->partition < al->nparts ? &al->parts[m->partition] : NULL;
			if (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				fs_winmetrics_broker_seen(al->mx);
			}
			if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				if (p) {
					p->at_end = 1;
					p->eof_at = fs_mono_s();
					if (!p->caught_up) {
						/* the rebuild is done once every partition got here */
						p->caught_up = 1;
						al->ncaught_up++;
						fs_winmetrics_phase(al->mx,
								    al->ncaught_up == al->nparts ? FS_WINMX_RUNNING
												 : FS_WINMX_REBUILDING,
								    al->nparts, al->ncaught_up);
					}
				}
			} else if (m->err) {
				fs_log(FS_LOG_WARN, MOD, "%s: %s", al->in_topic, rd_kafka_message_errstr(m));
			} else {
				rd_kafka_timestamp_type_t tstype;
				int64_t ts = rd_kafka_message_timestamp(m, &tstype), et;
				int r;
				al->event_at = fs_mono_s();
				if (p && p->at_end) {
					p->at_end = 0;
					al->woke_at = al->event_at;
				}
				if (p && p->scan && ts < from) {
					/* before the rebuild start */
				} else if ((r = feed(al, m->payload, m->len, ts, &et)) >= 0 && p) {
					if (r == 1) {
						log_late(al, m, et);
					}
					if (et > p->max_time) {
						p->max_time = et;
					}
				}
			}
			rd_kafka_message_destroy(m);
		}
		t = fs_mono_s();
		f = frontier(al, t, fs_wall_ms());
		fs_window_advance(al->w, f, on_alert, al);
		align(al, f, t);
		rd_kafka_poll(al->producer, 0);
		if (al->mx && t - al->mx_at >= METRICS_EVERY_S) {
			publish_counts(al);
		}
		if (al->cfg->summary_interval_ms > 0 &&
		    (t - last_summary) * 1000.0 >= (double)al->cfg->summary_interval_ms) {
			summary(al);
			last_summary = t;
		}
	}
	status = al->fatal ? 1 : 0;
out:
	fs_winmetrics_phase(al->mx, FS_WINMX_STOPPING, al->nparts, al->ncaught_up);
	if (list) {
		rd_kafka_topic_partition_list_destroy(list);
	}
	if (al->producer) {
		rd_kafka_flush(al->producer, (int)al->cfg->shutdown_timeout_ms);
		if (rd_kafka_outq_len(al->producer) > 0) {
			fs_log(FS_LOG_ERROR, MOD, "%d alert(s) not delivered at exit", rd_kafka_outq_len(al->producer));
			status = 1;
		}
	}
	if (al->w) {
		summary(al);
		publish_counts(al); /* the deliveries of the flush */
	}
	if (al->consumer) {
		rd_kafka_consumer_close(al->consumer);
		rd_kafka_destroy(al->consumer);
	}
	if (al->producer) {
		rd_kafka_destroy(al->producer);
	}
	fs_winmetrics_destroy(al->mx);
	al->mx = NULL;
	free(al->parts);
	free(scan);
	return status;
}

int fs_alerter_run(const fs_config_t *cfg, const fs_alerter_opts_t *opts, volatile sig_atomic_t *stop)
{
	alerter_t alr, *al = &alr;
	char errstr[512];
	int status;

	memset(al, 0, sizeof(*al));
	al->cfg = cfg;
	al->stop = stop;
	al->in_topic = cfg->win_input && *cfg->win_input ? cfg->win_input : cfg->scored_topic;
	al->out_topic = cfg->win_output && *cfg->win_output ? cfg->win_output : cfg->alerts_topic;
	if (fs_alerter_window_opts(cfg, &al->wo, errstr, sizeof(errstr)) != FS_OK ||
	    fs_window_new(&al->wo, &al->w, errstr, sizeof(errstr)) != FS_OK) {
		fs_log(FS_LOG_ERROR, MOD, "%s", errstr);
		return 2;
	}
	if (opts && opts->from_file) {
		al->out = opts->out ? opts->out : stdout;
		status = run_file(al, opts->from_file);
	} else if (!al->out_topic || !*al->out_topic) {
		fs_log(FS_LOG_ERROR, MOD, "no alerts topic: set windows.output or output.alerts");
		status = 2;
	} else if (strcmp(al->in_topic, al->out_topic) == 0) {
		fs_log(FS_LOG_ERROR, MOD, "windows.input and windows.output are both %s", al->in_topic);
		status = 2;
	} else {
		status = run_kafka(al);
	}
	fs_window_destroy(al->w);
	fs_buf_free(&al->buf);
	fs_buf_free(&al->key);
	return status;
}
