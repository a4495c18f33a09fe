/*
 * test_window: unit tests of the sliding-window spike detector
 * (include/feedsense/window.h), with synthetic event times.
 *
 * The detector in most tests: 60 s windows in 10 s steps, 20 s lateness,
 * spike at >= 5 negatives and share >= 0.5, baseline of 2 windows with
 * factor 2, recovery under 0.2, cooldown 300 s, channel keys. Scenario A
 * feeds one message a second on channel "web": calm (every tenth message
 * negative) for 0-120 s, a surge (all negative) for 120-240 s, calm again
 * until 480 s. Worked out by hand: the first window reaching the
 * thresholds is [90 s, 150 s) (30 calm messages with 3 negatives, 30
 * surge messages: 33 of 60), its baseline [-30 s, 90 s) has 9 negatives
 * of 90 (0.1); the first window under the recovery share is
 * [240 s, 300 s) (6 of 60).
 *
 * Covered: one spike per incident with its exact window, counts and
 * examples; recovery once; cooldown; the baseline factor blocking a surge
 * of a share that was already high (and not blocking with factor 0);
 * lateness (a late-but-allowed message counted in its window, a later
 * one counted late and excluded); the key cap, overall key outside it,
 * idle keys forgotten; restoring published alerts (no repeated spike,
 * recovery with the same incident id); the alert JSON with every field;
 * timestamps; decoding scored events.
 */
#include <inttypes.h>
#include <jansson.h>

#include "testutil.h"

#include "feedsense/window.h"

#define S          1000 /* ms per second */
#define MAX_ALERTS 32

typedef struct got {
	fs_window_alert_t a[MAX_ALERTS];
	int n;
} got_t;

static void collect(void *opaque, const fs_window_alert_t *a)
{
	got_t *g = opaque;

	assert_true(g->n < MAX_ALERTS);
	g->a[g->n++] = *a;
}

static void opts_test(fs_window_opts_t *o)
{
	fs_window_opts_init(o);
	o->length_ms = 60 * S;
	o->step_ms = 10 * S;
	o->lateness_ms = 20 * S;
	o->min_count = 5;
	o->min_share = 0.5;
	o->baseline_windows = 2;
	o->baseline_factor = 2;
	o->recovery_share = 0.2;
	o->cooldown_ms = 300 * S;
	o->keys = FS_WINDOW_CHANNEL;
	o->max_keys = 100;
}

static fs_window_t *make(const fs_window_opts_t *o)
{
	fs_window_t *w = NULL;
	char errstr[256];

	assert_int_equal(fs_window_new(o, &w, errstr, sizeof(errstr)), FS_OK);
	return w;
}

/* Add one event at @p t_s seconds (id "m<t_s>") and advance to the latest time. */
static int feed(fs_window_t *w, int64_t t_ms, int negative, const char *channel, got_t *g)
{
	fs_window_event_t ev;
	char id[32];
	int late;

	memset(&ev, 0, sizeof(ev));
	snprintf(id, sizeof(id), "m%" PRId64, t_ms / S);
	ev.time_ms = t_ms;
	ev.negative = negative;
	ev.id = id;
	ev.id_len = strlen(id);
	ev.channel = channel;
	ev.channel_len = channel ? strlen(channel) : 0;
	late = fs_window_add(w, &ev, collect, g);
	fs_window_advance(w, fs_window_max_time(w), collect, g);
	return late;
}

/* Scenario A (see the file header); with @p surge2, a second surge from 360 s to 600 s. */
static void scenario(fs_window_t *w, got_t *g, int surge2)
{
	int64_t t, end = surge2 ? 600 : 480;

	for (t = 0; t < end; t++) {
		int surge = (t >= 120 && t < 240) || (surge2 && t >= 360);
		feed(w, t * S, surge || t % 10 == 0, "web", g);
	}
}

static void test_spike_once_and_recovery(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	fs_window_stats_t st;
	got_t g = {0};
	(void)state;

	opts_test(&o);
	w = make(&o);
	scenario(w, &g, 0);
	assert_int_equal(g.n, 2);

	assert_int_equal(g.a[0].type, FS_WINDOW_SPIKE);
	assert_int_equal(g.a[0].kind, FS_WINDOW_CHANNEL);
	assert_string_equal(g.a[0].value, "web");
	assert_int_equal(g.a[0].start_ms, 90 * S);
	assert_int_equal(g.a[0].end_ms, 150 * S);
	assert_int_equal(g.a[0].total, 60);
	assert_int_equal(g.a[0].negative, 33);
	assert_approx(g.a[0].share, 0.55);
	assert_true(g.a[0].has_baseline);
	assert_approx(g.a[0].baseline_share, 0.1);
	assert_int_equal(g.a[0].fired,
			 FS_WINDOW_FIRED_MIN_COUNT | FS_WINDOW_FIRED_MIN_SHARE | FS_WINDOW_FIRED_BASELINE);
	/* examples: the latest bucket's first negatives, [140 s, 150 s) */
	assert_int_equal(g.a[0].nexamples, 5);
	assert_string_equal(g.a[0].examples[0], "m140");
	assert_string_equal(g.a[0].examples[4], "m144");

	assert_int_equal(g.a[1].type, FS_WINDOW_RECOVERY);
	assert_string_equal(g.a[1].value, "web");
	assert_int_equal(g.a[1].start_ms, 240 * S);
	assert_int_equal(g.a[1].end_ms, 300 * S);
	assert_int_equal(g.a[1].total, 60);
	assert_int_equal(g.a[1].negative, 6);
	assert_int_equal(g.a[1].fired, FS_WINDOW_FIRED_RECOVERY);
	assert_string_equal(g.a[1].incident_id, g.a[0].incident_id);

	fs_window_stats(w, &st);
	assert_int_equal(st.spikes, 1);
	assert_int_equal(st.recoveries, 1);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.added, 480);
	assert_int_equal(st.open, 0);
	/* watermark: the latest time (479 s) minus the lateness */
	assert_int_equal(st.watermark, 459 * S);
	fs_window_destroy(w);
}

static void test_cooldown(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	got_t g = {0};
	(void)state;

	opts_test(&o);
	o.baseline_factor = 0; /* the second surge's baseline holds the first */
	w = make(&o);
	scenario(w, &g, 1);
	/* the second surge reaches the thresholds at 390 s, but the cooldown
	 * runs until 150 s + 300 s */
	assert_int_equal(g.n, 3);
	assert_int_equal(g.a[0].type, FS_WINDOW_SPIKE);
	assert_int_equal(g.a[0].end_ms, 150 * S);
	assert_int_equal(g.a[0].fired, FS_WINDOW_FIRED_MIN_COUNT | FS_WINDOW_FIRED_MIN_SHARE);
	assert_int_equal(g.a[1].type, FS_WINDOW_RECOVERY);
	assert_int_equal(g.a[1].end_ms, 300 * S);
	assert_int_equal(g.a[2].type, FS_WINDOW_SPIKE);
	assert_int_equal(g.a[2].end_ms, 450 * S);
	assert_int_equal(g.a[2].negative, 60);
	assert_string_not_equal(g.a[2].incident_id, g.a[0].incident_id);
	fs_window_destroy(w);

	/* a cooldown of 0: the second spike comes as soon as the thresholds hold */
	o.cooldown_ms = 0;
	memset(&g, 0, sizeof(g));
	w = make(&o);
	scenario(w, &g, 1);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.a[2].end_ms, 390 * S);
	assert_int_equal(g.a[2].negative, 33);
	fs_window_destroy(w);
}

/*
 * A share that was already high: one message every 10 s, 60% negative
 * (too few for min_count), then one a second at the same 60%.
 */
static void high_baseline(fs_window_t *w, got_t *g)
{
	int64_t t;

	for (t = 0; t < 120; t += 10) {
		feed(w, t * S, (t / 10) % 5 < 3, "web", g);
	}
	for (t = 120; t < 360; t++) {
		feed(w, t * S, t % 10 < 6, "web", g);
	}
}

static void test_baseline_blocks(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	got_t g = {0};
	(void)state;

	opts_test(&o);
	w = make(&o);
	high_baseline(w, &g);
	assert_int_equal(g.n, 0);
	fs_window_destroy(w);

	/* the same input without the baseline condition spikes at [70 s, 130 s):
	 * 3 of the 5 sparse messages and 6 of 120..129 s */
	o.baseline_factor = 0;
	memset(&g, 0, sizeof(g));
	w = make(&o);
	high_baseline(w, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].end_ms, 130 * S);
	assert_int_equal(g.a[0].total, 15);
	assert_int_equal(g.a[0].negative, 9);
	fs_window_destroy(w);
}

static void test_baseline_absent(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	got_t g = {0};
	int64_t t;
	(void)state;

	/* a surge from the first message: no baseline, the condition is skipped */
	opts_test(&o);
	w = make(&o);
	for (t = 1000; t < 1100; t++) {
		feed(w, t * S, 1, "web", &g);
	}
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].type, FS_WINDOW_SPIKE);
	assert_false(g.a[0].has_baseline);
	assert_int_equal(g.a[0].fired, FS_WINDOW_FIRED_MIN_COUNT | FS_WINDOW_FIRED_MIN_SHARE);
	/* first window: [950 s, 1010 s) holds 1000..1009 s */
	assert_int_equal(g.a[0].end_ms, 1010 * S);
	assert_int_equal(g.a[0].negative, 10);
	fs_window_destroy(w);
}

static void test_lateness(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	fs_window_stats_t st;
	got_t g = {0};
	(void)state;

	opts_test(&o);
	o.keys = FS_WINDOW_OVERALL;
	o.min_count = 1;
	o.min_share = 0;
	o.recovery_share = 0; /* min_share / 2: the incident never closes */
	o.baseline_windows = 0;
	w = make(&o);
	assert_int_equal(feed(w, 100 * S, 0, NULL, &g), 0); /* watermark 80 s */
	assert_int_equal(feed(w, 85 * S, 1, NULL, &g), 0);  /* behind, within the lateness */
	assert_int_equal(feed(w, 79 * S, 1, NULL, &g), 1);  /* behind the watermark: late */
	assert_int_equal(g.n, 0);
	feed(w, 200 * S, 0, NULL, &g); /* watermark 180 s: windows up to 180 s close */
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].kind, FS_WINDOW_OVERALL);
	assert_int_equal(g.a[0].end_ms, 90 * S); /* the first window, holding 85 s */
	assert_int_equal(g.a[0].total, 1);
	assert_int_equal(g.a[0].negative, 1); /* 79 s is not in it */
	assert_string_equal(g.a[0].examples[0], "m85");
	fs_window_stats(w, &st);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.added, 3);
	assert_int_equal(st.watermark, 180 * S);
	/* the watermark never goes back */
	fs_window_advance(w, 50 * S, collect, &g);
	fs_window_stats(w, &st);
	assert_int_equal(st.watermark, 180 * S);
	fs_window_destroy(w);
}

static void test_key_cap(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	fs_window_stats_t st;
	got_t g = {0};
	char ch[16];
	int i;
	(void)state;

	opts_test(&o);
	o.keys = FS_WINDOW_CHANNEL | FS_WINDOW_OVERALL;
	o.max_keys = 3;
	o.cooldown_ms = 0;
	w = make(&o);
	for (i = 0; i < 10; i++) {
		snprintf(ch, sizeof(ch), "c%d", i);
		feed(w, (int64_t)i * S, 0, ch, &g);
	}
	fs_window_stats(w, &st);
	assert_int_equal(st.keys, 4); /* 3 channels and the overall key */
	assert_int_equal(st.overflow, 7);
	assert_int_equal(st.added, 10);

	/* long after, the idle channels are forgotten and new ones tracked (an
	 * event that far ahead first closes the windows before it) */
	feed(w, 1000 * S, 0, "late0", &g);
	feed(w, 1001 * S, 0, "late1", &g);
	feed(w, 1002 * S, 0, "late2", &g);
	feed(w, 1003 * S, 0, "late3", &g);
	fs_window_stats(w, &st);
	assert_int_equal(st.overflow, 8); /* late3 */
	assert_int_equal(st.keys, 4);     /* late0, late1, late2, overall */
	assert_int_equal(st.late, 0);
	fs_window_destroy(w);
}

static void test_restore(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	got_t g = {0}, g2 = {0};
	fs_window_alert_t a;
	fs_buf_t buf = FS_BUF_INIT;
	char errstr[256];
	(void)state;

	opts_test(&o);
	w = make(&o);
	scenario(w, &g, 0);
	assert_int_equal(g.n, 2);
	fs_window_destroy(w);

	/* the spike was published, then the process died: a rebuild from the
	 * same events publishes the recovery only, with the same incident id */
	fs_window_alert_write(&buf, &g.a[0], &o, 0);
	assert_int_equal(fs_window_alert_parse(buf.p, buf.len, &a, errstr, sizeof(errstr)), FS_OK);
	w = make(&o);
	assert_int_equal(fs_window_restore(w, &a), FS_OK);
	scenario(w, &g2, 0);
	assert_int_equal(g2.n, 1);
	assert_int_equal(g2.a[0].type, FS_WINDOW_RECOVERY);
	assert_int_equal(g2.a[0].end_ms, 300 * S);
	assert_string_equal(g2.a[0].incident_id, g.a[0].incident_id);
	fs_window_destroy(w);

	/* both were published: nothing again */
	memset(&g2, 0, sizeof(g2));
	w = make(&o);
	assert_int_equal(fs_window_restore(w, &a), FS_OK);
	fs_buf_reset(&buf);
	fs_window_alert_write(&buf, &g.a[1], &o, 0);
	assert_int_equal(fs_window_alert_parse(buf.p, buf.len, &a, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(fs_window_restore(w, &a), FS_OK);
	scenario(w, &g2, 0);
	assert_int_equal(g2.n, 0);
	fs_window_destroy(w);

	/* a kind not tracked is refused */
	a.kind = FS_WINDOW_CATEGORY;
	w = make(&o);
	assert_int_equal(fs_window_restore(w, &a), FS_ERR_ARG);
	fs_window_destroy(w);
	fs_buf_free(&buf);
}

static void test_alert_json(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	got_t g = {0};
	fs_buf_t buf = FS_BUF_INIT, key = FS_BUF_INIT;
	json_error_t jerr;
	json_t *root, *v;
	fs_window_alert_t back;
	char errstr[256];
	const char *fields[] = {"schema",         "type",           "key",        "window",   "counts",
				"negative_share", "baseline_share", "thresholds", "examples", "incident_id",
				"emitted_at"};
	size_t i;
	(void)state;

	opts_test(&o);
	w = make(&o);
	scenario(w, &g, 0);
	assert_int_equal(g.n, 2);
	/* 2026-01-01T00:00:00Z as emitted_at */
	fs_window_alert_write(&buf, &g.a[0], &o, 1767225600000LL);
	root = json_loadb(buf.p, buf.len, 0, &jerr);
	assert_non_null(root);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!json_object_get(root, fields[i])) {
			fail_msg("field %s missing in %s", fields[i], buf.p);
		}
	}
	assert_string_equal(json_string_value(json_object_get(root, "schema")), "feedsense.alert.v1");
	assert_string_equal(json_string_value(json_object_get(root, "type")), "spike");
	v = json_object_get(root, "key");
	assert_string_equal(json_string_value(json_object_get(v, "kind")), "channel");
	assert_string_equal(json_string_value(json_object_get(v, "value")), "web");
	v = json_object_get(root, "window");
	assert_string_equal(json_string_value(json_object_get(v, "start")), "1970-01-01T00:01:30.000Z");
	assert_string_equal(json_string_value(json_object_get(v, "end")), "1970-01-01T00:02:30.000Z");
	assert_int_equal(json_integer_value(json_object_get(v, "start_ms")), 90000);
	assert_int_equal(json_integer_value(json_object_get(v, "end_ms")), 150000);
	v = json_object_get(root, "counts");
	assert_int_equal(json_integer_value(json_object_get(v, "total")), 60);
	assert_int_equal(json_integer_value(json_object_get(v, "negative")), 33);
	assert_approx(json_number_value(json_object_get(root, "negative_share")), 0.55);
	assert_approx(json_number_value(json_object_get(root, "baseline_share")), 0.1);
	v = json_object_get(root, "thresholds");
	assert_int_equal(json_array_size(json_object_get(v, "fired")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "fired"), 2)), "baseline_factor");
	assert_int_equal(json_integer_value(json_object_get(v, "min_count")), 5);
	assert_approx(json_number_value(json_object_get(v, "min_share")), 0.5);
	assert_approx(json_number_value(json_object_get(v, "baseline_factor")), 2);
	assert_approx(json_number_value(json_object_get(v, "recovery_share")), 0.2);
	v = json_object_get(root, "examples");
	assert_int_equal(json_array_size(v), 5);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "m140");
	assert_string_equal(json_string_value(json_object_get(root, "incident_id")), g.a[0].incident_id);
	assert_string_equal(json_string_value(json_object_get(root, "emitted_at")), "2026-01-01T00:00:00.000Z");
	json_decref(root);

	/* it reads back */
	assert_int_equal(fs_window_alert_parse(buf.p, buf.len, &back, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(back.type, FS_WINDOW_SPIKE);
	assert_int_equal(back.kind, FS_WINDOW_CHANNEL);
	assert_string_equal(back.value, "web");
	assert_int_equal(back.end_ms, 150000);
	assert_int_equal(back.negative, 33);
	assert_string_equal(back.incident_id, g.a[0].incident_id);

	/* the Kafka key, and a recovery without a baseline writes null */
	fs_window_alert_key(&g.a[0], &key);
	assert_string_equal(key.p, "channel:web");
	g.a[1].has_baseline = 0;
	fs_buf_reset(&buf);
	fs_window_alert_write(&buf, &g.a[1], &o, 0);
	root = json_loadb(buf.p, buf.len, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "type")), "recovery");
	assert_true(json_is_null(json_object_get(root, "baseline_share")));
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(json_object_get(root, "thresholds"), "fired"), 0)),
	    "recovery_share");
	json_decref(root);
	/* not an alert */
	assert_int_equal(
	    fs_window_alert_parse("{\"schema\":\"feedsense.scored.v1\"}", 32, &back, errstr, sizeof(errstr)),
	    FS_ERR_JSON);
	fs_buf_free(&buf);
	fs_buf_free(&key);
	fs_window_destroy(w);
}

static void test_time(void **state)
{
	int64_t ms;
	char buf[40];
	(void)state;

	assert_int_equal(fs_window_parse_time("2026-01-01T00:00:00Z", 20, &ms), 0);
	assert_int_equal(ms, 1767225600000LL);
	assert_int_equal(fs_window_parse_time("2026-01-01T01:00:00.5+01:00", 27, &ms), 0);
	assert_int_equal(ms, 1767225600500LL);
	assert_int_equal(fs_window_parse_time("1767225600", 10, &ms), 0);
	assert_int_equal(ms, 1767225600000LL);
	assert_int_equal(fs_window_parse_time("1767225600123", 13, &ms), 0);
	assert_int_equal(ms, 1767225600123LL);
	assert_int_equal(fs_window_parse_time("yesterday", 9, &ms), -1);
	assert_int_equal(fs_window_parse_time("2026-13-01T00:00:00Z", 20, &ms), -1);
	assert_int_equal(fs_window_parse_time("2026-01-01T00:00:00", 19, &ms), -1); /* no zone */
	fs_window_format_time(1767225600123LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-01T00:00:00.123Z");
	fs_window_format_time(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

static void test_scored_parse(void **state)
{
	static const char ev1[] =
	    "{\"schema\":\"feedsense.scored.v1\",\"id\":\"x1\",\"sentiment\":{\"label\":\"positive\"},"
	    "\"categories\":[{\"name\":\"delivery\",\"sentiment\":{\"label\":\"negative\"}},{\"name\":\"app\"}],"
	    "\"meta\":{\"timestamp\":\"2026-01-01T00:00:10Z\",\"channel\":\"email\"},\"source\":{\"timestamp\":5}}";
	static const char ev2[] = "{\"schema\":\"feedsense.scored.v1\",\"id\":null,\"sentiment\":{\"label\":"
				  "\"negative\"},\"categories\":[],\"source\":{\"timestamp\":5000}}";
	fs_window_scored_t ws;
	char errstr[256];
	unsigned keys;
	(void)state;

	assert_int_equal(fs_window_scored_parse(&ws, ev1, strlen(ev1), 7, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(ws.ev.time_ms, 1767225610000LL);
	assert_false(ws.ev.negative);
	assert_int_equal(ws.ev.id_len, 2);
	assert_memory_equal(ws.ev.channel, "email", 5);
	assert_int_equal(ws.ev.ncats, 2);
	assert_true(ws.ev.cats[0].negative);  /* the category's own sentiment */
	assert_false(ws.ev.cats[1].negative); /* none: the overall label */
	fs_window_scored_clear(&ws);

	assert_int_equal(fs_window_scored_parse(&ws, ev2, strlen(ev2), 7, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(ws.ev.time_ms, 5000); /* the input's Kafka timestamp */
	assert_true(ws.ev.negative);
	assert_null(ws.ev.id);
	assert_null(ws.ev.channel);
	fs_window_scored_clear(&ws);

	assert_int_equal(
	    fs_window_scored_parse(&ws, "{\"schema\":\"feedsense.scored.v1\"}", 32, 7, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(ws.ev.time_ms, 7); /* the scored message's own timestamp */
	fs_window_scored_clear(&ws);
	assert_int_equal(fs_window_scored_parse(&ws, "{\"schema\":\"other\"}", 18, 7, errstr, sizeof(errstr)),
			 FS_ERR_JSON);
	fs_window_scored_clear(&ws);
	assert_int_equal(fs_window_scored_parse(&ws, "[1", 2, 7, errstr, sizeof(errstr)), FS_ERR_JSON);
	fs_window_scored_clear(&ws);

	assert_int_equal(fs_window_parse_keys("category, overall", &keys, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(keys, FS_WINDOW_CATEGORY | FS_WINDOW_OVERALL);
	assert_int_equal(fs_window_parse_keys("category,chanel", &keys, errstr, sizeof(errstr)), FS_ERR_PARSE);
	assert_non_null(strstr(errstr, "chanel"));
}

/*
 * Category keys count a message as negative by the category's own
 * sentiment: "delivery" is negative in messages whose overall label is
 * positive, so only the category spikes, not the channel or the overall key.
 */
static void test_category_keys(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w;
	fs_window_event_t ev;
	got_t g = {0};
	int64_t t;
	(void)state;

	opts_test(&o);
	o.keys = FS_WINDOW_CATEGORY | FS_WINDOW_CHANNEL | FS_WINDOW_OVERALL;
	w = make(&o);
	for (t = 0; t < 200; t++) {
		memset(&ev, 0, sizeof(ev));
		ev.time_ms = t * S;
		ev.negative = 0;
		ev.channel = "web";
		ev.channel_len = 3;
		ev.cats[0].name = "delivery";
		ev.cats[0].len = 8;
		ev.cats[0].negative = t >= 100;
		ev.cats[1].name = "app";
		ev.cats[1].len = 3;
		ev.cats[2] = ev.cats[0]; /* a category named twice counts once */
		ev.ncats = 3;
		fs_window_add(w, &ev, collect, &g);
		fs_window_advance(w, fs_window_max_time(w), collect, &g);
	}
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].kind, FS_WINDOW_CATEGORY);
	assert_string_equal(g.a[0].value, "delivery");
	/* [70 s, 130 s): 30 of 60 negative, no example ids (none given) */
	assert_int_equal(g.a[0].end_ms, 130 * S);
	assert_int_equal(g.a[0].total, 60);
	assert_int_equal(g.a[0].negative, 30);
	assert_int_equal(g.a[0].nexamples, 0);
	fs_window_destroy(w);
}

static void test_bad_opts(void **state)
{
	fs_window_opts_t o;
	fs_window_t *w = NULL;
	char errstr[256];
	(void)state;

	opts_test(&o);
	o.length_ms = 65 * S; /* not a multiple of the step */
	assert_int_equal(fs_window_new(&o, &w, errstr, sizeof(errstr)), FS_ERR_ARG);
	assert_null(w);
	fs_window_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spike_once_and_recovery),
	    cmocka_unit_test(test_cooldown),
	    cmocka_unit_test(test_baseline_blocks),
	    cmocka_unit_test(test_baseline_absent),
	    cmocka_unit_test(test_lateness),
	    cmocka_unit_test(test_key_cap),
	    cmocka_unit_test(test_restore),
	    cmocka_unit_test(test_alert_json),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_scored_parse),
	    cmocka_unit_test(test_category_keys),
	    cmocka_unit_test(test_bad_opts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
