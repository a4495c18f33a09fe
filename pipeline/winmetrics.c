/*
 * winmetrics: the feedsense_windows_* metrics of `feedsense windows`, its
 * /metrics, /healthz and /readyz server (metrics.c's), and its health and
 * readiness rules. See winmetrics.h.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/clock.h"
#include "feedsense/log.h"
#include "feedsense/version.h"
#include "feedsense/winmetrics.h"

#define MOD "windows"

struct fs_winmetrics {
	fs_metrics_registry_t *reg;
	fs_metrics_server_t *srv;
	fs_metric_t *events, *bad, *late, *overflow, *alerts, *failed, *restored, *open, *keys, *newest, *ready,
	    *broker_up, *build_info;
	atomic_llong alive_at; /* ms (monotonic) of the consumer loop's last pass, 0 before the first */
	fs_broker_watch_t broker;
	atomic_int phase; /* fs_winmetrics_phase_t */
	atomic_int nparts, caught_up;
	int64_t wedged_ms;
};

static int is_ready(fs_winmetrics_t *mx, char *why, size_t why_size)
{
	int phase = atomic_load(&mx->phase), n = atomic_load(&mx->nparts), k = atomic_load(&mx->caught_up);

	if (phase == FS_WINMX_STOPPING) {
		snprintf(why, why_size, "shutting down");
		return 0;
	}
	if (fs_broker_watch_unready(&mx->broker, why, why_size)) {
		return 0;
	}
	switch (phase) {
	case FS_WINMX_READBACK: snprintf(why, why_size, "restoring incidents from the alerts topic"); return 0;
	case FS_WINMX_ASSIGNING: snprintf(why, why_size, "waiting for the scored topic's partitions"); return 0;
	case FS_WINMX_REBUILDING:
		snprintf(why, why_size, "rebuilding the windows: %d of %d partition(s) read to their end", k, n);
		return 0;
	default: snprintf(why, why_size, "reading %d partition(s), windows rebuilt", n); return 1;
	}
}

static int is_live(fs_winmetrics_t *mx, char *why, size_t why_size)
{
	int64_t now = fs_mono_stamp_ms(), since = atomic_load(&mx->alive_at);

	if (since && now - since > mx->wedged_ms && fs_broker_watch_up(&mx->broker) &&
	    atomic_load(&mx->phase) != FS_WINMX_STOPPING) {
		snprintf(why, why_size, "consumer loop stuck for %lld s", (long long)((now - since) / 1000));
		return 0;
	}
	snprintf(why, why_size, "alive");
	return 1;
}

int fs_winmetrics_health(fs_winmetrics_t *mx, fs_metrics_probe_t probe, char *why, size_t why_size)
{
	if (!mx) {
		snprintf(why, why_size, "metrics off");
		return 1;
	}
	return probe == FS_PROBE_LIVE ? is_live(mx, why, why_size) : is_ready(mx, why, why_size);
}

static int health_cb(void *opaque, fs_metrics_probe_t probe, char *why, size_t why_size)
{
	return fs_winmetrics_health(opaque, probe, why, why_size);
}

static void collect(void *opaque)
{
	fs_winmetrics_t *mx = opaque;
	char why[128];

	fs_metrics_set(mx->ready, 0, is_ready(mx, why, sizeof(why)));
	fs_metrics_set(mx->broker_up, 0, fs_broker_watch_up(&mx->broker));
}

fs_winmetrics_t *fs_winmetrics_new(void)
{
	static const char *const kinds[] = {"open", "recovery"};
	const char *version = FS_VERSION;
	fs_winmetrics_t *mx = calloc(1, sizeof(*mx));
	fs_metrics_registry_t *reg;

	if (!mx || !(mx->reg = fs_metrics_registry_new())) {
		free(mx);
		return NULL;
	}
	reg = mx->reg;
	mx->events =
	    fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_windows_events_total",
			      "Scored events read from the scored topic (undecodable ones included).", NULL, NULL, 0);
	mx->bad = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_windows_events_bad_total",
				    "Scored events that could not be decoded (skipped).", NULL, NULL, 0);
	mx->late = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_windows_events_late_total",
				     "Events older than the watermark (frontier minus windows.lateness), dropped.",
				     NULL, NULL, 0);
	mx->overflow =
	    fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_windows_key_overflow_total",
			      "Key updates dropped because windows.max_keys keys were tracked.", NULL, NULL, 0);
	mx->alerts = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_windows_alerts_total",
				       "Window alerts acknowledged by the broker on the alerts topic, by kind (open: a "
				       "spike opening an incident; recovery: its end).",
				       "kind", kinds, 2);
	mx->failed = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_windows_alerts_failed_total",
				       "Window alerts not delivered (refused by the producer or a delivery error).",
				       NULL, NULL, 0);
	mx->restored = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_windows_incidents_restored_total",
					 "Window alerts read back from the alerts topic at start that restored an "
					 "incident.",
					 NULL, NULL, 0);
	mx->open = fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_windows_open_incidents",
				     "Incidents open now (spike published, no recovery yet).", NULL, NULL, 0);
	mx->keys = fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_windows_tracked_keys",
				     "Window keys tracked now (categories, channels, overall).", NULL, NULL, 0);
	mx->newest =
	    fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_windows_newest_event_time_seconds",
			      "Event time of the newest event seen, Unix seconds (0 before the first).", NULL, NULL, 0);
	mx->ready = fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_windows_ready", "1 when /readyz answers 200.",
				      NULL, NULL, 0);
	mx->broker_up = fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_windows_broker_up",
					  "1 while a Kafka broker is reachable, 0 when librdkafka reports all down.",
					  NULL, NULL, 0);
	mx->build_info =
	    fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_build_info",
			      "Always 1; the version label is the feedsense version.", "version", &version, 1);
	if (!mx->events || !mx->bad || !mx->late || !mx->overflow || !mx->alerts || !mx->failed || !mx->restored ||
	    !mx->open || !mx->keys || !mx->newest || !mx->ready || !mx->broker_up || !mx->build_info) {
		fs_winmetrics_destroy(mx);
		return NULL;
	}
	fs_metrics_set(mx->build_info, 0, 1);
	fs_metrics_set(mx->broker_up, 0, 1);
	atomic_init(&mx->alive_at, 0);
	fs_broker_watch_init(&mx->broker);
	atomic_init(&mx->phase, FS_WINMX_READBACK);
	atomic_init(&mx->nparts, 0);
	atomic_init(&mx->caught_up, 0);
	mx->wedged_ms = FS_METRICS_WEDGED_MS;
	fs_metrics_on_collect(reg, collect, mx);
	return mx;
}

fs_winmetrics_t *fs_winmetrics_start(const char *listen)
{
	fs_winmetrics_t *mx;
	char host[64], errstr[512];
	int port;

	if (fs_metrics_parse_listen(listen, host, sizeof(host), &port, errstr, sizeof(errstr)) != FS_OK) {
		fs_log(FS_LOG_ERROR, MOD, "windows.metrics_listen: %s; running without metrics", errstr);
		return NULL;
	}
	if (port < 0) {
		return NULL;
	}
	if (!(mx = fs_winmetrics_new())) {
		fs_log(FS_LOG_ERROR, MOD, "out of memory setting up metrics; running without metrics");
		return NULL;
	}
	mx->srv = fs_metrics_server_start(mx->reg, listen, health_cb, mx, errstr, sizeof(errstr));
	if (!mx->srv) {
		fs_log(FS_LOG_ERROR, MOD, "%s; running without metrics", errstr);
		fs_winmetrics_destroy(mx);
		return NULL;
	}
	fs_log(FS_LOG_INFO, MOD, "listening on http://%s/metrics (also /healthz, /readyz)",
	       fs_metrics_server_address(mx->srv));
	return mx;
}

void fs_winmetrics_destroy(fs_winmetrics_t *mx)
{
	if (!mx) {
		return;
	}
	fs_metrics_server_stop(mx->srv); /* first: no request may read what follows */
	fs_metrics_registry_destroy(mx->reg);
	free(mx);
}

fs_metrics_registry_t *fs_winmetrics_registry(fs_winmetrics_t *mx)
{
	return mx ? mx->reg : NULL;
}

void fs_winmetrics_update(fs_winmetrics_t *mx, const fs_winmetrics_counts_t *c)
{
	if (!mx) {
		return;
	}
	fs_metrics_set(mx->events, 0, (int64_t)c->events);
	fs_metrics_set(mx->bad, 0, (int64_t)c->bad);
	fs_metrics_set(mx->late, 0, (int64_t)c->late);
	fs_metrics_set(mx->overflow, 0, (int64_t)c->overflow);
	fs_metrics_set(mx->alerts, 0, (int64_t)c->alerts_open);
	fs_metrics_set(mx->alerts, 1, (int64_t)c->alerts_recovery);
	fs_metrics_set(mx->failed, 0, (int64_t)c->alerts_failed);
	fs_metrics_set(mx->restored, 0, (int64_t)c->restored);
	fs_metrics_set(mx->keys, 0, (int64_t)c->keys);
	fs_metrics_set(mx->open, 0, (int64_t)c->open);
	/* floor division: an event before 1970 keeps its second */
	fs_metrics_set(mx->newest, 0,
		       c->newest_ms == INT64_MIN
			   ? 0
			   : (c->newest_ms >= 0 ? c->newest_ms / 1000 : -((-c->newest_ms + 999) / 1000)));
}

void fs_winmetrics_phase(fs_winmetrics_t *mx, fs_winmetrics_phase_t phase, int nparts, int caught_up)
{
	if (mx) {
		atomic_store(&mx->nparts, nparts);
		atomic_store(&mx->caught_up, caught_up);
		atomic_store(&mx->phase, (int)phase);
	}
}

void fs_winmetrics_alive(fs_winmetrics_t *mx)
{
	if (mx) {
		atomic_store(&mx->alive_at, fs_mono_stamp_ms());
	}
}

void fs_winmetrics_kafka_error(fs_winmetrics_t *mx, int err)
{
	if (mx) {
		fs_broker_watch_error(&mx->broker, err);
	}
}

void fs_winmetrics_broker_seen(fs_winmetrics_t *mx)
{
	if (mx) {
		fs_broker_watch_seen(&mx->broker);
	}
}

void fs_winmetrics_kafka_stats(fs_winmetrics_t *mx, const char *json, size_t len)
{
	json_t *root;

	if (mx && (root = json_loadb(json, len, 0, NULL))) {
		fs_broker_watch_stats(&mx->broker, root);
		json_decref(root);
	}
}

void fs_winmetrics_set_wedged_ms(fs_winmetrics_t *mx, int64_t ms)
{
	if (mx) {
		mx->wedged_ms = ms;
	}
}
