/*
 * Unit tests of the metrics module: the registry and its Prometheus text
 * rendering (exact output), concurrent updates, dynamic families, listen
 * address parsing, the HTTP server on a loopback ephemeral port (status
 * codes, bodies, a bind conflict), and the pipeline's families fed by real
 * scoring results and librdkafka statistics JSON.
 */
#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#include "feedsense/config.h"
#include "feedsense/metrics.h"

/* lines of @p text that start with @p prefix */
static int count_lines(const char *text, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		n += !strncmp(p, prefix, len);
	}
	return n;
}

static char *render(fs_metrics_registry_t *reg)
{
	fs_buf_t out = FS_BUF_INIT;
	assert_int_equal(fs_metrics_render(reg, &out), FS_OK);
	if (!out.p) {
		return strdup("");
	}
	return out.p; /* the caller frees */
}

static void test_counter_gauge_format(void **state)
{
	fs_metrics_registry_t *reg = fs_metrics_registry_new();
	const char *vals[] = {"a\"b", "c\\d", "e\nf"};
	fs_metric_t *c, *l, *g;
	char *text;

	(void)state;
	c = fs_metrics_family(reg, FS_METRIC_COUNTER, "t_events_total", "Events\\seen\nhere.", NULL, NULL, 0);
	l = fs_metrics_family(reg, FS_METRIC_COUNTER, "t_kinds_total", "Kinds.", "kind", vals, 3);
	g = fs_metrics_family(reg, FS_METRIC_GAUGE, "t_depth", "Depth.", NULL, NULL, 0);
	assert_non_null(c);
	assert_non_null(l);
	assert_non_null(g);
	fs_metrics_add(c, 0, 3);
	fs_metrics_add(l, 1, 2);
	fs_metrics_add(l, 3, 1); /* out of range: ignored */
	fs_metrics_set(g, 0, -7);
	fs_metrics_add(g, 0, 2);
	assert_int_equal(fs_metrics_value(c, 0), 3);
	assert_int_equal(fs_metrics_value(l, 1), 2);
	assert_int_equal(fs_metrics_value(g, 0), -5);
	text = render(reg);
	assert_string_equal(text, "# HELP t_events_total Events\\\\seen\\nhere.\n"
				  "# TYPE t_events_total counter\n"
				  "t_events_total 3\n"
				  "# HELP t_kinds_total Kinds.\n"
				  "# TYPE t_kinds_total counter\n"
				  "t_kinds_total{kind=\"a\\\"b\"} 0\n"
				  "t_kinds_total{kind=\"c\\\\d\"} 2\n"
				  "t_kinds_total{kind=\"e\\nf\"} 0\n"
				  "# HELP t_depth Depth.\n"
				  "# TYPE t_depth gauge\n"
				  "t_depth -5\n");
	free(text);
	fs_metrics_registry_destroy(reg);
}

static void test_bad_definitions(void **state)
{
	fs_metrics_registry_t *reg = fs_metrics_registry_new();
	const double down[] = {1, 0.5}, same[] = {1, 1};
	const char *lab[] = {"topic", "partition"}, *bad_lab[] = {"__name__"};

	(void)state;
	assert_non_null(fs_metrics_family(reg, FS_METRIC_COUNTER, "ok_total", "", NULL, NULL, 0));
	assert_null(fs_metrics_family(reg, FS_METRIC_COUNTER, "ok_total", "dup", NULL, NULL, 0));
	assert_null(fs_metrics_family(reg, FS_METRIC_COUNTER, "no_suffix", "", NULL, NULL, 0));
	assert_null(fs_metrics_family(reg, FS_METRIC_GAUGE, "9starts_with_digit", "", NULL, NULL, 0));
	assert_null(fs_metrics_family(reg, FS_METRIC_GAUGE, "has-dash", "", NULL, NULL, 0));
	assert_null(fs_metrics_family(reg, FS_METRIC_GAUGE, "", "", NULL, NULL, 0));
	assert_null(fs_metrics_family(reg, FS_METRIC_GAUGE, "g1", "", "bad label", lab, 1));
	assert_null(fs_metrics_family(reg, FS_METRIC_GAUGE, "g2", "", "__reserved", lab, 1));
	assert_null(fs_metrics_family(reg, FS_METRIC_HISTOGRAM, "h0", "", NULL, NULL, 0));
	assert_null(fs_metrics_histogram(reg, "h1", "", down, 2));
	assert_null(fs_metrics_histogram(reg, "h2", "", same, 2));
	assert_null(fs_metrics_histogram(reg, "h3_count", "", down, 1));
	assert_null(fs_metrics_dynamic(reg, "d1", "", bad_lab, 1));
	assert_null(fs_metrics_dynamic(reg, "d2", "", lab, 0));
	assert_non_null(fs_metrics_dynamic(reg, "d3", "", lab, 2));
	fs_metrics_registry_destroy(reg);
}

static void test_histogram_format(void **state)
{
	fs_metrics_registry_t *reg = fs_metrics_registry_new();
	const double bounds[] = {0.125, 1};
	fs_metric_t *h = fs_metrics_histogram(reg, "t_lat_seconds", "Latency.", bounds, 2);
	uint64_t count;
	double sum;
	char *text;

	(void)state;
	assert_non_null(h);
	fs_metrics_observe(h, 0.0625);
	fs_metrics_observe(h, 0.125); /* a bound is inclusive: le */
	fs_metrics_observe(h, 0.5);
	fs_metrics_observe(h, 4);
	fs_metrics_histogram_get(h, &count, &sum);
	assert_int_equal(count, 4);
	assert_approx(sum, 4.6875);
	text = render(reg);
	assert_string_equal(text, "# HELP t_lat_seconds Latency.\n"
				  "# TYPE t_lat_seconds histogram\n"
				  "t_lat_seconds_bucket{le=\"0.125\"} 2\n"
				  "t_lat_seconds_bucket{le=\"1\"} 3\n"
				  "t_lat_seconds_bucket{le=\"+Inf\"} 4\n"
				  "t_lat_seconds_sum 4.6875\n"
				  "t_lat_seconds_count 4\n");
	free(text);
	fs_metrics_registry_destroy(reg);
}

static void test_dynamic_replace(void **state)
{
	fs_metrics_registry_t *reg = fs_metrics_registry_new();
	const char *lab[] = {"topic", "partition"};
	const char *v2[] = {"feedback", "0", "fe\"ed", "1"}, *v1[] = {"feedback", "3"};
	const int64_t l2[] = {5, 0}, l1[] = {42};
	fs_metric_t *d = fs_metrics_dynamic(reg, "t_lag_messages", "Lag.", lab, 2);
	char *text;

	(void)state;
	text = render(reg);
	assert_string_equal(text, "# HELP t_lag_messages Lag.\n# TYPE t_lag_messages gauge\n");
	free(text);
	assert_int_equal(fs_metrics_replace(d, 2, v2, l2), FS_OK);
	text = render(reg);
	assert_string_equal(text, "# HELP t_lag_messages Lag.\n# TYPE t_lag_messages gauge\n"
				  "t_lag_messages{topic=\"feedback\",partition=\"0\"} 5\n"
				  "t_lag_messages{topic=\"fe\\\"ed\",partition=\"1\"} 0\n");
	free(text);
	assert_int_equal(fs_metrics_replace(d, 1, v1, l1), FS_OK);
	text = render(reg);
	assert_string_equal(text, "# HELP t_lag_messages Lag.\n# TYPE t_lag_messages gauge\n"
				  "t_lag_messages{topic=\"feedback\",partition=\"3\"} 42\n");
	free(text);
	assert_int_equal(fs_metrics_replace(d, 0, NULL, NULL), FS_OK);
	text = render(reg);
	assert_string_equal(text, "# HELP t_lag_messages Lag.\n# TYPE t_lag_messages gauge\n");
	free(text);
	fs_metrics_registry_destroy(reg);
}

static int collected;

static void on_collect(void *opaque)
{
	fs_metrics_set(opaque, 0, ++collected);
}

static void test_collect_hook(void **state)
{
	fs_metrics_registry_t *reg = fs_metrics_registry_new();
	fs_metric_t *g = fs_metrics_family(reg, FS_METRIC_GAUGE, "t_renders", "Renders.", NULL, NULL, 0);
	char *text;

	(void)state;
	collected = 0;
	fs_metrics_on_collect(reg, on_collect, g);
	text = render(reg);
	assert_contains(text, "\nt_renders 1\n");
	free(text);
	text = render(reg);
	assert_contains(text, "\nt_renders 2\n");
	free(text);
	fs_metrics_registry_destroy(reg);
}

#define THREADS    4
#define PER_THREAD 100000

typedef struct hammer {
	fs_metric_t *c, *h;
} hammer_t;

static void *hammer_main(void *arg)
{
	hammer_t *hm = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		fs_metrics_add(hm->c, (size_t)(i % 3), 1);
		fs_metrics_observe(hm->h, (i % 2) ? 0.5 : 2);
	}
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	fs_metrics_registry_t *reg = fs_metrics_registry_new();
	const char *vals[] = {"a", "b", "c"};
	const double bounds[] = {1};
	hammer_t hm;
	pthread_t th[THREADS];
	uint64_t count;
	double sum;
	int i;

	(void)state;
	hm.c = fs_metrics_family(reg, FS_METRIC_COUNTER, "t_n_total", "", "k", vals, 3);
	hm.h = fs_metrics_histogram(reg, "t_h", "", bounds, 1);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &hm), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
	}
	assert_int_equal(fs_metrics_value(hm.c, 0) + fs_metrics_value(hm.c, 1) + fs_metrics_value(hm.c, 2),
			 THREADS * PER_THREAD);
	assert_int_equal(fs_metrics_value(hm.c, 0), THREADS * ((PER_THREAD + 2) / 3));
	fs_metrics_histogram_get(hm.h, &count, &sum);
	assert_int_equal(count, THREADS * PER_THREAD);
	/* halves of 0.5 and 2: exact in binary, so the CAS-summed total is exact */
	assert_true(sum == (double)THREADS * PER_THREAD / 2 * 2.5);
	fs_metrics_registry_destroy(reg);
}

static void test_parse_listen(void **state)
{
	char host[64], err[256];
	int port;

	(void)state;
	assert_int_equal(fs_metrics_parse_listen("127.0.0.1:9464", host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9464);
	assert_int_equal(fs_metrics_parse_listen("9100", host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9100);
	assert_int_equal(fs_metrics_parse_listen("localhost:0", host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(fs_metrics_parse_listen(":9464", host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(fs_metrics_parse_listen("[::1]:80", host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 80);
	assert_int_equal(fs_metrics_parse_listen("off", host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_int_equal(port, -1);
	assert_int_equal(fs_metrics_parse_listen("", host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_int_equal(port, -1);
	assert_int_equal(fs_metrics_parse_listen(NULL, host, sizeof(host), &port, err, sizeof(err)), FS_OK);
	assert_int_equal(port, -1);
	assert_int_equal(fs_metrics_parse_listen("127.0.0.1:65536", host, sizeof(host), &port, err, sizeof(err)),
			 FS_ERR_PARSE);
	assert_int_equal(fs_metrics_parse_listen("127.0.0.1:", host, sizeof(host), &port, err, sizeof(err)),
			 FS_ERR_PARSE);
	assert_int_equal(fs_metrics_parse_listen("127.0.0.1:-1", host, sizeof(host), &port, err, sizeof(err)),
			 FS_ERR_PARSE);
	assert_int_equal(fs_metrics_parse_listen("example.com:80", host, sizeof(host), &port, err, sizeof(err)),
			 FS_ERR_PARSE);
	assert_contains(err, "numeric IP address");
	assert_int_equal(fs_metrics_parse_listen("::1:80", host, sizeof(host), &port, err, sizeof(err)), FS_ERR_PARSE);
	assert_contains(err, "brackets");
	assert_int_equal(fs_metrics_parse_listen("[::1]80", host, sizeof(host), &port, err, sizeof(err)), FS_ERR_PARSE);
}

/* One HTTP/1.0 request to "127.0.0.1:port"; returns the status, the whole response in resp. */
static int http(const char *addr, const char *method, const char *path, char *resp, size_t size)
{
	struct sockaddr_in sin;
	const char *colon = strrchr(addr, ':');
	char req[256];
	size_t n = 0;
	ssize_t k;
	int fd, status = -1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", method, path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (n + 1 < size && (k = read(fd, resp + n, size - 1 - n)) > 0) {
		n += (size_t)k;
	}
	resp[n] = '\0';
	close(fd);
	sscanf(resp, "HTTP/1.%*d %d", &status);
	return status;
}

static int probe_ready;

static int health(void *opaque, fs_metrics_probe_t probe, char *why, size_t why_size)
{
	(void)opaque;
	if (probe == FS_PROBE_READY && !probe_ready) {
		snprintf(why, why_size, "waiting for something");
		return 0;
	}
	snprintf(why, why_size, "fine");
	return 1;
}

static void test_server(void **state)
{
	fs_metrics_registry_t *reg = fs_metrics_registry_new();
	fs_metric_t *c = fs_metrics_family(reg, FS_METRIC_COUNTER, "t_served_total", "Served.", NULL, NULL, 0);
	fs_metrics_server_t *srv, *srv2;
	char err[512], resp[8192], taken[80];

	(void)state;
	fs_metrics_add(c, 0, 12);
	srv = fs_metrics_server_start(reg, "127.0.0.1:0", health, NULL, err, sizeof(err));
	assert_non_null(srv);
	assert_prefix(fs_metrics_server_address(srv), "127.0.0.1:");
	assert_true(atoi(strrchr(fs_metrics_server_address(srv), ':') + 1) > 0);

	assert_int_equal(http(fs_metrics_server_address(srv), "GET", "/metrics", resp, sizeof(resp)), 200);
	assert_contains(resp, "Content-Type: text/plain; version=0.0.4");
	assert_contains(resp,
			"\r\n\r\n# HELP t_served_total Served.\n# TYPE t_served_total counter\nt_served_total 12\n");
	probe_ready = 0;
	assert_int_equal(http(fs_metrics_server_address(srv), "GET", "/readyz", resp, sizeof(resp)), 503);
	assert_contains(resp, "not ok: waiting for something");
	probe_ready = 1;
	assert_int_equal(http(fs_metrics_server_address(srv), "GET", "/readyz", resp, sizeof(resp)), 200);
	assert_contains(resp, "ok: fine");
	assert_int_equal(http(fs_metrics_server_address(srv), "GET", "/healthz", resp, sizeof(resp)), 200);
	assert_int_equal(http(fs_metrics_server_address(srv), "HEAD", "/metrics", resp, sizeof(resp)), 200);
	assert_null(strstr(resp, "t_served_total 12"));
	assert_int_equal(http(fs_metrics_server_address(srv), "POST", "/metrics", resp, sizeof(resp)), 405);
	assert_contains(resp, "Allow: GET, HEAD");
	assert_int_equal(http(fs_metrics_server_address(srv), "DELETE", "/readyz", resp, sizeof(resp)), 405);
	assert_int_equal(http(fs_metrics_server_address(srv), "GET", "/", resp, sizeof(resp)), 404);
	assert_int_equal(http(fs_metrics_server_address(srv), "GET", "/metrics/x", resp, sizeof(resp)), 404);

	/* the same port again: a bind failure, reported with the address */
	snprintf(taken, sizeof(taken), "%s", fs_metrics_server_address(srv));
	srv2 = fs_metrics_server_start(reg, taken, NULL, NULL, err, sizeof(err));
	assert_null(srv2);
	assert_contains(err, taken);
	assert_null(fs_metrics_server_start(reg, "off", NULL, NULL, err, sizeof(err)));
	fs_metrics_server_stop(srv);
	fs_metrics_server_stop(NULL);
	fs_metrics_registry_destroy(reg);
}

static void test_pipeline_families(void **state)
{
	fs_engine_t *engine = tu_engine_new();
	fs_scratch_t *scr = fs_scratch_new(engine);
	fs_config_t cfg;
	fs_metrics_t *mx;
	const fs_result_t *res;
	size_t errpos;
	uint64_t t0;
	char *text, why[256];
	const char *stats = "{\"brokers\":{\"localhost:9092/1\":{\"state\":\"UP\"}},"
			    "\"topics\":{\"feedback\":{\"partitions\":{\"0\":{\"consumer_lag\":5},"
			    "\"1\":{\"consumer_lag\":-1},\"-1\":{\"consumer_lag\":3}}}}}";
	const char *stats_down = "{\"brokers\":{\"localhost:9092/1\":{\"state\":\"DOWN\"}},\"topics\":{}}";
	const char *text1 = "I want to cancel my subscription, I have been on hold for two hours";

	(void)state;
	fs_config_init(&cfg);
	free(cfg.metrics_listen);
	cfg.metrics_listen = strdup("127.0.0.1:0");
	mx = fs_metrics_start(&cfg, engine, 1, 2);
	assert_non_null(mx);

	assert_int_equal(fs_score(engine, scr, text1, strlen(text1), &res, &errpos), FS_OK);
	assert_int_equal(res->nrules_hit, 2);
	fs_metrics_scored(mx, engine, 1, res);
	fs_metrics_scored(mx, NULL, 2, res); /* another set, unknown: its label counts, not its rules */
	assert_int_equal(fs_score(engine, scr, "great", 5, &res, &errpos), FS_OK);
	assert_int_equal(res->nrules_hit, 0);
	fs_metrics_scored(mx, engine, 1, res);
	fs_metrics_consumed(mx);
	fs_metrics_consumed(mx);
	fs_metrics_committed(mx, 0);
	fs_metrics_committed(mx, RD_KAFKA_RESP_ERR__NO_OFFSET);
	fs_metrics_committed(mx, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
	fs_metrics_kafka_stats(mx, stats, strlen(stats));
	fs_metrics_done(mx, -1);
	text = render(fs_metrics_registry(mx));
	assert_contains(text, "\nfeedsense_messages_consumed_total 2\n");
	assert_contains(text, "\nfeedsense_messages_by_label_total{label=\"negative\"} 2\n");
	assert_contains(text, "\nfeedsense_messages_by_label_total{label=\"positive\"} 1\n");
	assert_contains(text, "\nfeedsense_messages_by_label_total{label=\"neutral\"} 0\n");
	assert_contains(text, "\nfeedsense_rule_hits_total{rule=\"cancel_subscription\"} 1\n");
	assert_contains(text, "\nfeedsense_rule_hits_total{rule=\"on_hold_hours\"} 1\n");
	assert_contains(text, "\nfeedsense_rule_hits_total{rule=\"still_no_refund\"} 0\n");
	assert_contains(text, "\nfeedsense_category_hits_total{category=\"subscription\"} 1\n");
	assert_contains(text, "\nfeedsense_commits_total 1\n");
	assert_contains(text, "\nfeedsense_commit_failures_total 1\n");
	assert_contains(text, "\nfeedsense_inflight_messages 1\n");
	assert_contains(text, "\nfeedsense_queue_depth_messages 2\n");
	assert_contains(text, "\nfeedsense_consumer_lag_messages{topic=\"feedback\",partition=\"0\"} 5\n");
	assert_null(strstr(text, "partition=\"1\""));
	assert_null(strstr(text, "partition=\"-1\""));
	assert_contains(text, "\nfeedsense_messages_dead_lettered_total{reason=\"invalid_json\"} 0\n");
	assert_contains(text, "\nfeedsense_messages_dead_lettered_total{reason=\"produce_failed\"} 0\n");
	assert_contains(text, "\nfeedsense_build_info{version=\"");
	assert_contains(text, "\nfeedsense_lexicon_info{version=\"lx-");
	assert_contains(text, "\nfeedsense_broker_up 1\n");
	assert_contains(text, "\nfeedsense_ready 0\n"); /* no assignment yet */
	free(text);

	/* a reloaded set (generation 2): its rules and categories count under the same names */
	assert_int_equal(fs_score(engine, scr, text1, strlen(text1), &res, &errpos), FS_OK);
	fs_metrics_scored(mx, engine, 2, res);
	fs_metrics_lexicon(mx, "lx-0123456789abcdef", 1, 2, 3);
	text = render(fs_metrics_registry(mx));
	assert_contains(text, "\nfeedsense_rule_hits_total{rule=\"cancel_subscription\"} 2\n");
	assert_contains(text, "\nfeedsense_category_hits_total{category=\"subscription\"} 2\n");
	assert_contains(text, "\nfeedsense_lexicon_info{version=\"lx-0123456789abcdef\"} 1\n");
	assert_int_equal(count_lines(text, "feedsense_lexicon_info{"), 1);
	assert_contains(text, "\nfeedsense_reloads_total{result=\"ok\"} 1\n");
	assert_contains(text, "\nfeedsense_reloads_total{result=\"failed\"} 2\n");
	assert_contains(text, "\nfeedsense_reloads_total{result=\"unchanged\"} 3\n");
	free(text);

	assert_int_equal(fs_metrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 0);
	assert_contains(why, "waiting for a partition assignment");
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1);
	fs_metrics_kafka_error(mx, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
	text = render(fs_metrics_registry(mx));
	assert_contains(text, "\nfeedsense_broker_up 0\n");
	free(text);
	fs_metrics_kafka_stats(mx, stats, strlen(stats)); /* a broker is UP again */
	text = render(fs_metrics_registry(mx));
	assert_contains(text, "\nfeedsense_broker_up 1\n");
	free(text);
	fs_metrics_kafka_stats(mx, stats_down, strlen(stats_down));
	text = render(fs_metrics_registry(mx));
	assert_contains(text, "\nfeedsense_broker_up 0\n");
	assert_null(strstr(text, "feedsense_consumer_lag_messages{")); /* no partitions in this report */
	free(text);

	/* liveness: a worker busy with one message past the threshold, while a broker is up */
	fs_metrics_kafka_stats(mx, stats, strlen(stats));
	fs_metrics_set_wedged_ms(mx, 30);
	t0 = fs_metrics_work_begin(mx, FS_METRICS_SLOT_WORKER(1));
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1);
	usleep(80 * 1000);
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 0);
	assert_contains(why, "worker 1 busy with one message");
	fs_metrics_kafka_error(mx, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1); /* waiting on Kafka */
	fs_metrics_kafka_stats(mx, stats, strlen(stats));
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 0);
	fs_metrics_work_end(mx, FS_METRICS_SLOT_WORKER(1), t0);
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1);
	fs_metrics_alive(mx, FS_METRICS_SLOT_CONSUMER);
	usleep(80 * 1000);
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 0);
	assert_contains(why, "consumer loop stuck");
	fs_metrics_alive(mx, FS_METRICS_SLOT_CONSUMER);
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1);

	fs_metrics_stopping(mx);
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_LIVE, why, sizeof(why)), 1); /* the loop has ended */
	assert_int_equal(fs_metrics_health(mx, FS_PROBE_READY, why, sizeof(why)), 0);
	assert_contains(why, "shutting down");

	/* NULL (metrics off): every hook is a no-op */
	fs_metrics_consumed(NULL);
	fs_metrics_scored(NULL, engine, 1, res);
	fs_metrics_done(NULL, 0);
	fs_metrics_committed(NULL, 0);
	fs_metrics_kafka_stats(NULL, stats, strlen(stats));
	assert_int_equal(fs_metrics_health(NULL, FS_PROBE_READY, why, sizeof(why)), 1);
	fs_metrics_destroy(NULL);

	fs_metrics_destroy(mx);
	free(cfg.metrics_listen);
	cfg.metrics_listen = strdup("off");
	assert_null(fs_metrics_start(&cfg, engine, 1, 2));
	fs_config_free(&cfg);
	fs_scratch_destroy(scr);
	fs_engine_destroy(engine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counter_gauge_format), cmocka_unit_test(test_bad_definitions),
	    cmocka_unit_test(test_histogram_format),     cmocka_unit_test(test_dynamic_replace),
	    cmocka_unit_test(test_collect_hook),         cmocka_unit_test(test_concurrent_updates),
	    cmocka_unit_test(test_parse_listen),         cmocka_unit_test(test_server),
	    cmocka_unit_test(test_pipeline_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
