/*
 * Unit tests of the winmetrics module: the feedsense_windows_* families as
 * the alerter's counts set them (exact rendered series), and the health and
 * readiness rules through each phase of a start, a stuck loop and an
 * unreachable broker.
 */
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include "testutil.h"

#include "feedsense/version.h"
#include "feedsense/winmetrics.h"

static char *render(fs_metrics_registry_t *reg)
{
	fs_buf_t out = FS_BUF_INIT;
	assert_int_equal(fs_metrics_render(reg, &out), FS_OK);
	return out.p ? out.p : strdup("");
}

/* the value of the series line starting with "@p series " in @p text, or -1 */
static long long series(const char *text, const char *series_name)
{
	size_t len = strlen(series_name);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, series_name, len) && p[len] == ' ') {
			return strtoll(p + len + 1, NULL, 10);
		}
	}
	return -1;
}

static void test_counts(void **state)
{
	fs_winmetrics_t *mx = fs_winmetrics_new();
	fs_winmetrics_counts_t c = {.events = 720,
				    .bad = 2,
				    .late = 3,
				    .overflow = 4,
				    .alerts_open = 1,
				    .alerts_recovery = 5,
				    .alerts_failed = 6,
				    .restored = 7,
				    .keys = 3,
				    .open = 1,
				    .newest_ms = 1767226079999};
	char *text, info[64];

	(void)state;
	assert_non_null(mx);
	text = render(fs_winmetrics_registry(mx));
	assert_int_equal(series(text, "feedsense_windows_events_total"), 0);
	assert_int_equal(series(text, "feedsense_windows_newest_event_time_seconds"), 0);
	assert_int_equal(series(text, "feedsense_windows_broker_up"), 1);
	assert_int_equal(series(text, "feedsense_windows_ready"), 0);
	free(text);

	fs_winmetrics_update(mx, &c);
	text = render(fs_winmetrics_registry(mx));
	assert_int_equal(series(text, "feedsense_windows_events_total"), 720);
	assert_int_equal(series(text, "feedsense_windows_events_bad_total"), 2);
	assert_int_equal(series(text, "feedsense_windows_events_late_total"), 3);
	assert_int_equal(series(text, "feedsense_windows_key_overflow_total"), 4);
	assert_int_equal(series(text, "feedsense_windows_alerts_total{kind=\"open\"}"), 1);
	assert_int_equal(series(text, "feedsense_windows_alerts_total{kind=\"recovery\"}"), 5);
	assert_int_equal(series(text, "feedsense_windows_alerts_failed_total"), 6);
	assert_int_equal(series(text, "feedsense_windows_incidents_restored_total"), 7);
	assert_int_equal(series(text, "feedsense_windows_tracked_keys"), 3);
	assert_int_equal(series(text, "feedsense_windows_open_incidents"), 1);
	assert_int_equal(series(text, "feedsense_windows_newest_event_time_seconds"), 1767226079);
	snprintf(info, sizeof(info), "feedsense_build_info{version=\"%s\"}", FS_VERSION);
	assert_int_equal(series(text, info), 1);
	assert_non_null(strstr(text, "# TYPE feedsense_windows_events_total counter\n"));
	assert_non_null(strstr(text, "# TYPE feedsense_windows_open_incidents gauge\n"));
	free(text);

	c.newest_ms = -1500; /* floor: second -2 */
	fs_winmetrics_update(mx, &c);
	text = render(fs_winmetrics_registry(mx));
	assert_int_equal(series(text, "feedsense_windows_newest_event_time_seconds"), -2);
	free(text);
	c.newest_ms = INT64_MIN;
	fs_winmetrics_update(mx, &c);
	text = render(fs_winmetrics_registry(mx));
	assert_int_equal(series(text, "feedsense_windows_newest_event_time_seconds"), 0);
	free(text);
	fs_winmetrics_destroy(mx);
}

static void test_readiness(void **state)
{
	fs_winmetrics_t *mx = fs_winmetrics_new();
	static const char up[] = "{\"brokers\":{\"b:9092/1\":{\"state\":\"UP\"}}}";
	static const char down[] = "{\"brokers\":{\"b:9092/1\":{\"state\":\"DOWN\"}}}";
	char why[256], *text;

	(void)state;
	assert_non_null(mx);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 0);
	assert_string_equal(why, "restoring incidents from the alerts topic");
	fs_winmetrics_phase(mx, FS_WINMX_ASSIGNING, 0, 0);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 0);
	assert_string_equal(why, "waiting for the scored topic's partitions");
	fs_winmetrics_phase(mx, FS_WINMX_REBUILDING, 4, 3);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 0);
	assert_string_equal(why, "rebuilding the windows: 3 of 4 partition(s) read to their end");
	fs_winmetrics_phase(mx, FS_WINMX_RUNNING, 4, 4);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 1);
	assert_string_equal(why, "reading 4 partition(s), windows rebuilt");
	text = render(fs_winmetrics_registry(mx));
	assert_non_null(strstr(text, "\nfeedsense_windows_ready 1\n"));
	free(text);

	/* all brokers down: ready until the grace time has passed */
	fs_winmetrics_kafka_stats(mx, down, sizeof(down) - 1);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 1);
	text = render(fs_winmetrics_registry(mx));
	assert_non_null(strstr(text, "\nfeedsense_windows_broker_up 0\n"));
	free(text);
	fs_winmetrics_kafka_stats(mx, up, sizeof(up) - 1);
	text = render(fs_winmetrics_registry(mx));
	assert_non_null(strstr(text, "\nfeedsense_windows_broker_up 1\n"));
	free(text);
	fs_winmetrics_kafka_error(mx, RD_KAFKA_RESP_ERR__TRANSPORT); /* not all down */
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 1);

	fs_winmetrics_phase(mx, FS_WINMX_STOPPING, 4, 4);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 0);
	assert_string_equal(why, "shutting down");
	fs_winmetrics_destroy(mx);

	assert_int_equal(fs_winmetrics_health(NULL, FS_PROBE_READY, why, sizeof(why)), 1);
	assert_int_equal(fs_winmetrics_health(NULL, FS_PROBE_LIVE, why, sizeof(why)), 1);
}

static void test_broker_grace(void **state)
{
	fs_winmetrics_t *mx = fs_winmetrics_new();
	char why[256];

	(void)state;
	fs_winmetrics_phase(mx, FS_WINMX_RUNNING, 1, 1);
	fs_winmetrics_kafka_error(mx, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 1);
	usleep((FS_METRICS_BROKER_GRACE_MS + 200) * 1000);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "no Kafka broker reachable for 5 s"));
	fs_winmetrics_destroy(mx);
}

static void test_liveness(void **state)
{
	fs_winmetrics_t *mx = fs_winmetrics_new();
	static const char up[] = "{\"brokers\":{\"b:9092/1\":{\"state\":\"UP\"}}}";
	char why[256];

	(void)state;
	fs_winmetrics_set_wedged_ms(mx, 30);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1); /* no pass yet */
	fs_winmetrics_alive(mx);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1);
	usleep(80 * 1000);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 0);
	assert_string_equal(why, "consumer loop stuck for 0 s");
	fs_winmetrics_kafka_error(mx, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1); /* waiting on Kafka */
	fs_winmetrics_kafka_stats(mx, up, sizeof(up) - 1);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 0);
	fs_winmetrics_alive(mx);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1);
	usleep(80 * 1000);
	fs_winmetrics_phase(mx, FS_WINMX_STOPPING, 1, 1);
	assert_int_equal(fs_winmetrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1); /* the loop has ended */
	fs_winmetrics_destroy(mx);
}

static void test_listen(void **state)
{
	(void)state;
	assert_null(fs_winmetrics_start("off"));
	assert_null(fs_winmetrics_start(""));
	assert_null(fs_winmetrics_start("nonsense:port")); /* logged, not fatal */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts),   cmocka_unit_test(test_readiness), cmocka_unit_test(test_broker_grace),
	    cmocka_unit_test(test_liveness), cmocka_unit_test(test_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
