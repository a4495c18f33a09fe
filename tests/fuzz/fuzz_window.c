/*
 * fuzz_window: the window module on arbitrary scored-event streams, and its
 * alert writer and reader.
 *
 * The first byte chooses the detector: bits 0-1 the step (1, 2, 5 or 10 s;
 * windows of 6 steps), bit 2 a baseline of 2 windows with factor 2, bit 3
 * a cooldown of 0 (else 300 s), bits 4-5 the lateness (0, 1, 10 or 60 s),
 * bit 6 the overall key too, bit 7 a cap of 2 keys (else 16). The rest is
 * NDJSON: each line goes through fs_window_scored_parse(), fs_window_add()
 * and fs_window_advance(); fs_window_parse_time() also reads each raw line.
 * At the end of input the windows are flushed as `feedsense windows
 * --from-file` does.
 *
 * Checks: every alert's window is one length long and ends on a step, its
 * counts are consistent (negative <= total, share = negative / total, a
 * spike meets min_count and min_share), it writes one JSON object that
 * jansson parses and fs_window_alert_parse() reads back with the same
 * type, key, window and incident id; each key alternates spike, recovery,
 * spike ...; the stats never count more keys than the cap allows.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/buf.h"
#include "feedsense/window.h"

#define CHECK(cond)                                                                                             \
	do {                                                                                                      \
		if (!(cond)) {                                                                                    \
			fprintf(stderr, "fuzz_window: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);  \
			abort();                                                                                  \
		}                                                                                                 \
	} while (0)

#define MAX_TRACK 64

typedef struct ctx {
	fs_window_opts_t o;
	fs_buf_t buf;
	/* last alert type per key, to check they alternate */
	char keys[MAX_TRACK][FS_WINDOW_VALUE_MAX + 16];
	int last[MAX_TRACK];
	int nkeys;
} ctx_t;

static void on_alert(void *opaque, const fs_window_alert_t *a)
{
	ctx_t *c = opaque;
	fs_window_alert_t back;
	json_error_t jerr;
	json_t *root;
	char errstr[256], key[FS_WINDOW_VALUE_MAX + 16];
	int i;

	CHECK(a->end_ms - a->start_ms == c->o.length_ms);
	CHECK(a->end_ms % c->o.step_ms == 0);
	CHECK(a->negative <= a->total);
	CHECK(a->nexamples <= FS_WINDOW_EXAMPLES);
	if (a->total) {
		CHECK(a->share == (double)a->negative / (double)a->total);
	}
	if (a->type == FS_WINDOW_SPIKE) {
		CHECK(a->negative >= (uint64_t)c->o.min_count);
		CHECK((double)a->negative >= c->o.min_share * (double)a->total);
	}
	fs_buf_reset(&c->buf);
	fs_window_alert_write(&c->buf, a, &c->o, a->end_ms);
	CHECK(!c->buf.oom);
	root = json_loadb(c->buf.p, c->buf.len, 0, &jerr);
	CHECK(root && json_is_object(root));
	json_decref(root);
	CHECK(fs_window_alert_parse(c->buf.p, c->buf.len, &back, errstr, sizeof(errstr)) == FS_OK);
	CHECK(back.type == a->type && back.kind == a->kind && strcmp(back.value, a->value) == 0);
	CHECK(back.start_ms == a->start_ms && back.end_ms == a->end_ms);
	CHECK(strcmp(back.incident_id, a->incident_id) == 0);
	CHECK(back.total == a->total && back.negative == a->negative);

	snprintf(key, sizeof(key), "%d:%s", (int)a->kind, a->value);
	for (i = 0; i < c->nkeys && strcmp(c->keys[i], key) != 0; i++) {
	}
	if (i == c->nkeys) {
		if (c->nkeys == MAX_TRACK) {
			return;
		}
		snprintf(c->keys[c->nkeys], sizeof(c->keys[0]), "%s", key);
		c->last[c->nkeys++] = FS_WINDOW_RECOVERY;
	}
	CHECK((int)a->type != c->last[i]);
	c->last[i] = (int)a->type;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t steps[] = {1000, 2000, 5000, 10000};
	static const int64_t lateness[] = {0, 1000, 10000, 60000};
	ctx_t *c;
	fs_window_t *w = NULL;
	fs_window_stats_t st;
	char errstr[256];
	const char *p, *end;
	int64_t max, ms;
	uint8_t sel;

	if (size < 1) {
		return 0;
	}
	sel = data[0];
	c = calloc(1, sizeof(*c));
	CHECK(c);
	fs_window_opts_init(&c->o);
	c->o.step_ms = steps[sel & 3];
	c->o.length_ms = 6 * c->o.step_ms;
	c->o.baseline_windows = sel & 4 ? 2 : 0;
	c->o.baseline_factor = 2;
	c->o.cooldown_ms = sel & 8 ? 0 : 300000;
	c->o.lateness_ms = lateness[(sel >> 4) & 3];
	c->o.keys = FS_WINDOW_CATEGORY | FS_WINDOW_CHANNEL | (sel & 64 ? FS_WINDOW_OVERALL : 0);
	c->o.max_keys = sel & 128 ? 2 : 16;
	c->o.min_count = 2;
	c->o.min_share = 0.5;
	c->o.recovery_share = 0.2;
	CHECK(fs_window_new(&c->o, &w, errstr, sizeof(errstr)) == FS_OK);

	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		fs_window_scored_t ws;

		(void)fs_window_parse_time(p, len, &ms);
		if (fs_window_scored_parse(&ws, p, len, -1, errstr, sizeof(errstr)) == FS_OK) {
			fs_window_add(w, &ws.ev, on_alert, c);
			fs_window_advance(w, fs_window_max_time(w), on_alert, c);
		}
		fs_window_scored_clear(&ws);
		p += len + 1;
	}
	max = fs_window_max_time(w);
	if (max != INT64_MIN) {
		fs_window_advance(w, (max / c->o.step_ms + 1) * c->o.step_ms + c->o.lateness_ms, on_alert, c);
	}
	fs_window_stats(w, &st);
	CHECK(st.keys <= c->o.max_keys + 1);
	CHECK(st.spikes >= st.recoveries);
	fs_window_destroy(w);
	fs_buf_free(&c->buf);
	free(c);
	return 0;
}
