/*
 * window: sliding-window spike detection per key, the feedsense.alert.v1
 * writer and reader, and the decoding of scored events for it.
 *
 * Time is cut into buckets of step_ms: bucket b holds the events with
 * b * step <= time < (b + 1) * step. A key keeps a ring of
 * nwin + nbase + extra buckets (nwin = length / step for the window
 * itself, nbase = baseline_windows * nwin for the trailing baseline
 * before it, extra for the events that arrive ahead of the next window to
 * evaluate: the lateness, one window more of skew between partitions, and
 * one step). An event further ahead than that first closes the windows
 * whose buckets its slot would overwrite. A slot remembers which bucket
 * number it holds, so a slot left over from an older lap of the ring
 * reads as empty and is reset when written: a stretch of time without
 * events costs nothing and needs no sweeping. Example ids are kept the
 * same way in a ring of nwin + extra buckets, a bucket's ids allocated at
 * its first negative message with an id (most keys, with few negatives,
 * never need them).
 *
 * The window ending at E (a multiple of step) covers [E - length, E); its
 * baseline covers the baseline_windows * length before it. Windows are
 * evaluated in order of E as the watermark passes E, for every key; the
 * watermark is the frontier the caller reports minus the lateness, and
 * never goes back. Once all of a key's events are older than the span of
 * any window still to come (window + baseline), and it has no open
 * incident and no cooldown running, the key is forgotten: the cap on keys
 * bounds the keys active at one time, not all keys ever seen. When the
 * watermark jumps far past the last event (a quiet stream, or a gap in a
 * replay), every window in between is empty for every key; one of them is
 * evaluated (it closes the open incidents), the others are skipped.
 *
 * The incident id is a function of the key and the end of the window that
 * opened it, so a rebuild after a restart names an incident the same way.
 */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feedsense/window.h"

typedef struct bucket {
	int64_t b; /* bucket number held; INT64_MIN: never written */
	uint32_t total, neg;
} bucket_t;

/* The first negative message ids of a bucket (window part of the ring only). */
typedef struct idslot {
	int64_t b;
	unsigned n;
	char id[FS_WINDOW_EXAMPLES][FS_WINDOW_ID_MAX + 1];
} idslot_t;

typedef struct wkey {
	struct wkey *next; /* hash chain */
	fs_window_kind_t kind;
	uint64_t hash;
	char value[FS_WINDOW_VALUE_MAX + 1];
	size_t value_len;
	int open;
	int64_t spike_end;       /* window end of the last spike; INT64_MIN: none */
	int64_t published_until; /* restored: windows ending at or before are not alerted */
	int64_t last_b;          /* latest bucket with data; INT64_MIN: none */
	int64_t isize;           /* slots of ids */
	char incident[FS_WINDOW_INCIDENT_MAX];
	bucket_t *ring; /* rsize slots */
	idslot_t **ids; /* isize slots, each allocated at its first example id */
} wkey_t;

struct fs_window {
	fs_window_opts_t o;
	int64_t nwin, nbase, nring;
	int64_t extra;        /* slack slots: events ahead of the next window to evaluate */
	int64_t rsize, isize; /* slots of a key's count ring and id ring */
	int64_t span_ms;      /* window + baseline */
	double recovery;      /* effective recovery share */
	wkey_t **table;       /* hash table of chains */
	size_t table_size;    /* power of two */
	wkey_t **keys;        /* in the order first seen */
	size_t nkeys, keys_cap;
	size_t ncapped; /* category and channel keys tracked */
	int started;
	int64_t max_time, watermark, next_end;
	fs_window_stats_t st;
};

/* Floor division for possibly negative times. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static size_t slot(int64_t b, int64_t size)
{
	int64_t m = b % size;
	return (size_t)(m < 0 ? m + size : m);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t key_hash(fs_window_kind_t kind, const char *value, size_t len)
{
	unsigned char k = (unsigned char)kind;
	return fnv1a(fnv1a(14695981039346656037ull, &k, 1), value, len);
}

void fs_window_opts_init(fs_window_opts_t *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->length_ms = 300000;
	opts->step_ms = 30000;
	opts->lateness_ms = 60000;
	opts->min_count = 20;
	opts->min_share = 0.5;
	opts->baseline_windows = 6;
	opts->baseline_factor = 2.0;
	opts->recovery_share = 0;
	opts->cooldown_ms = 1800000;
	opts->keys = FS_WINDOW_CATEGORY | FS_WINDOW_CHANNEL;
	opts->max_keys = 10000;
}

const char *fs_window_kind_name(fs_window_kind_t kind)
{
	switch (kind) {
	case FS_WINDOW_CATEGORY: return "category";
	case FS_WINDOW_CHANNEL: return "channel";
	case FS_WINDOW_OVERALL: return "overall";
	}
	return "unknown";
}

static int kind_from_name(const char *s, size_t len)
{
	static const fs_window_kind_t kinds[] = {FS_WINDOW_CATEGORY, FS_WINDOW_CHANNEL, FS_WINDOW_OVERALL};
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *n = fs_window_kind_name(kinds[i]);
		if (strlen(n) == len && memcmp(n, s, len) == 0) {
			return (int)kinds[i];
		}
	}
	return 0;
}

fs_err_t fs_window_parse_keys(const char *list, unsigned *keys, char *errstr, size_t errstr_size)
{
	const char *p = list ? list : "";
	unsigned bits = 0;

	while (*p) {
		const char *e = p + strcspn(p, ",");
		const char *a = p, *z = e;
		int k;
		while (a < z && isspace((unsigned char)*a)) {
			a++;
		}
		while (z > a && isspace((unsigned char)z[-1])) {
			z--;
		}
		if (z > a) {
			k = kind_from_name(a, (size_t)(z - a));
			if (!k) {
				return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
						 "unknown key kind \"%.*s\"; valid: category, channel, overall",
						 (int)(z - a), a);
			}
			bits |= (unsigned)k;
		}
		p = *e ? e + 1 : e;
	}
	if (!bits) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
				 "no key kind given; valid: category, channel, overall");
	}
	*keys = bits;
	return FS_OK;
}

fs_err_t fs_window_new(const fs_window_opts_t *opts, fs_window_t **wp, char *errstr, size_t errstr_size)
{
	fs_window_t *w;
	size_t ts = 16;

	*wp = NULL;
	if (opts->step_ms <= 0 || opts->length_ms <= 0 || opts->length_ms % opts->step_ms != 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_ARG,
				 "window length (%" PRId64 " ms) must be a positive multiple of the step (%" PRId64
				 " ms)",
				 opts->length_ms, opts->step_ms);
	}
	if (opts->length_ms / opts->step_ms > 100000 || opts->baseline_windows < 0 || opts->baseline_windows > 1000 ||
	    opts->lateness_ms < 0 || opts->cooldown_ms < 0 || opts->max_keys < 1 ||
	    !(opts->min_share >= 0 && opts->min_share <= 1) || !(opts->recovery_share >= 0) ||
	    !(opts->baseline_factor >= 0) || !(opts->keys & 7u)) {
		return fs_seterr(errstr, errstr_size, FS_ERR_ARG, "window options out of range");
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
	}
	w->o = *opts;
	w->nwin = opts->length_ms / opts->step_ms;
	w->nbase = (int64_t)opts->baseline_windows * w->nwin;
	w->nring = w->nwin + w->nbase;
	w->extra = (opts->lateness_ms + opts->step_ms - 1) / opts->step_ms + w->nwin + 1;
	w->rsize = w->nring + w->extra;
	w->isize = w->nwin + w->extra;
	w->span_ms = w->nring * opts->step_ms;
	w->recovery = opts->recovery_share > 0 ? opts->recovery_share : opts->min_share / 2;
	while (ts < opts->max_keys * 2 && ts < ((size_t)1 << 24)) {
		ts <<= 1;
	}
	w->table_size = ts;
	w->table = calloc(ts, sizeof(*w->table));
	if (!w->table) {
		free(w);
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
	}
	w->max_time = INT64_MIN;
	w->watermark = INT64_MIN;
	w->st.watermark = INT64_MIN;
	*wp = w;
	return FS_OK;
}

static void key_free(wkey_t *k)
{
	if (k) {
		int64_t i;
		for (i = 0; k->ids && i < k->isize; i++) {
			free(k->ids[i]);
		}
		free(k->ring);
		free(k->ids);
		free(k);
	}
}

void fs_window_destroy(fs_window_t *w)
{
	size_t i;

	if (!w) {
		return;
	}
	for (i = 0; i < w->nkeys; i++) {
		key_free(w->keys[i]);
	}
	free(w->keys);
	free(w->table);
	free(w);
}

int64_t fs_window_max_time(const fs_window_t *w)
{
	return w->max_time;
}

static wkey_t *key_find(fs_window_t *w, fs_window_kind_t kind, const char *value, size_t len, uint64_t h)
{
	wkey_t *k;

	for (k = w->table[h & (w->table_size - 1)]; k; k = k->next) {
		if (k->hash == h && k->kind == kind && k->value_len == len && memcmp(k->value, value, len) == 0) {
			return k;
		}
	}
	return NULL;
}

/* Find or create a key; NULL when the cap is reached or memory ran out. */
static wkey_t *key_get(fs_window_t *w, fs_window_kind_t kind, const char *value, size_t len)
{
	uint64_t h;
	wkey_t *k;
	int64_t i;

	if (len > FS_WINDOW_VALUE_MAX) {
		len = FS_WINDOW_VALUE_MAX; /* documented truncation */
	}
	h = key_hash(kind, value, len);
	k = key_find(w, kind, value, len, h);
	if (k) {
		return k;
	}
	if (kind != FS_WINDOW_OVERALL && w->ncapped >= w->o.max_keys) {
		return NULL;
	}
	if (w->nkeys == w->keys_cap) {
		size_t cap = w->keys_cap ? w->keys_cap * 2 : 64;
		wkey_t **nk = realloc(w->keys, cap * sizeof(*nk));
		if (!nk) {
			return NULL;
		}
		w->keys = nk;
		w->keys_cap = cap;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		return NULL;
	}
	k->ring = malloc((size_t)w->rsize * sizeof(*k->ring));
	k->ids = calloc((size_t)w->isize, sizeof(*k->ids));
	k->isize = w->isize;
	if (!k->ring || !k->ids) {
		key_free(k);
		return NULL;
	}
	for (i = 0; i < w->rsize; i++) {
		k->ring[i].b = INT64_MIN;
	}
	k->kind = kind;
	k->hash = h;
	memcpy(k->value, value, len);
	k->value[len] = '\0';
	k->value_len = len;
	k->spike_end = INT64_MIN;
	k->published_until = INT64_MIN;
	k->last_b = INT64_MIN;
	k->next = w->table[h & (w->table_size - 1)];
	w->table[h & (w->table_size - 1)] = k;
	w->keys[w->nkeys++] = k;
	if (kind != FS_WINDOW_OVERALL) {
		w->ncapped++;
	}
	return k;
}

static void key_count(fs_window_t *w, fs_window_kind_t kind, const char *value, size_t len, int64_t b, int negative,
		      const fs_window_event_t *ev)
{
	wkey_t *k = key_get(w, kind, value, len);
	bucket_t *s;

	if (!k) {
		w->st.overflow++;
		return;
	}
	s = &k->ring[slot(b, w->rsize)];
	if (s->b != b) {
		s->b = b;
		s->total = s->neg = 0;
	}
	s->total++;
	if (k->last_b < b) {
		k->last_b = b;
	}
	if (negative) {
		idslot_t **isp = &k->ids[slot(b, w->isize)], *is;
		s->neg++;
		if (!ev->id) {
			return;
		}
		if (!*isp) {
			*isp = malloc(sizeof(**isp));
			if (!*isp) {
				return; /* counted, without an example */
			}
			(*isp)->b = INT64_MIN;
		}
		is = *isp;
		if (is->b != b) {
			is->b = b;
			is->n = 0;
		}
		if (is->n < FS_WINDOW_EXAMPLES) {
			size_t n = ev->id_len < FS_WINDOW_ID_MAX ? ev->id_len : FS_WINDOW_ID_MAX;
			memcpy(is->id[is->n], ev->id, n);
			is->id[is->n][n] = '\0';
			is->n++;
		}
	}
}

static void run_until(fs_window_t *w, int64_t watermark, fs_window_alert_cb *cb, void *opaque);

int fs_window_add(fs_window_t *w, const fs_window_event_t *ev, fs_window_alert_cb *cb, void *opaque)
{
	int64_t b, limit;
	size_t i, j;

	if ((w->started && ev->time_ms < w->watermark) || ev->time_ms > FS_WINDOW_TIME_MAX ||
	    ev->time_ms < -FS_WINDOW_TIME_MAX) {
		w->st.late++;
		return 1;
	}
	if (!w->started) {
		/* the first window to evaluate: the first one ending after the
		 * earliest time still accepted */
		w->started = 1;
		w->next_end = (floor_div(ev->time_ms - w->o.lateness_ms, w->o.step_ms) + 1) * w->o.step_ms;
	}
	b = floor_div(ev->time_ms, w->o.step_ms);
	/* An event so far ahead of the next window to evaluate that its slot
	 * still holds a bucket that window needs: close the windows first (the
	 * watermark moves up to them; events behind it become late). */
	limit = (b - w->extra) * w->o.step_ms;
	if (w->next_end <= limit) {
		run_until(w, limit, cb, opaque);
	}
	if (ev->time_ms > w->max_time) {
		w->max_time = ev->time_ms;
	}
	if (w->o.keys & FS_WINDOW_OVERALL) {
		key_count(w, FS_WINDOW_OVERALL, "", 0, b, ev->negative, ev);
	}
	if ((w->o.keys & FS_WINDOW_CHANNEL) && ev->channel && ev->channel_len) {
		key_count(w, FS_WINDOW_CHANNEL, ev->channel, ev->channel_len, b, ev->negative, ev);
	}
	if (w->o.keys & FS_WINDOW_CATEGORY) {
		for (i = 0; i < ev->ncats && i < FS_WINDOW_MAX_CATS; i++) {
			const fs_window_cat_t *c = &ev->cats[i];
			int dup = 0;
			if (!c->name || !c->len) {
				continue;
			}
			for (j = 0; j < i && !dup; j++) {
				dup = ev->cats[j].len == c->len && memcmp(ev->cats[j].name, c->name, c->len) == 0;
			}
			if (!dup) {
				key_count(w, FS_WINDOW_CATEGORY, c->name, c->len, b, c->negative, ev);
			}
		}
	}
	w->st.added++;
	return 0;
}

/* Sum of the buckets [b0, b1) of a key's ring. */
static void sum(const fs_window_t *w, const wkey_t *k, int64_t b0, int64_t b1, uint64_t *total, uint64_t *neg)
{
	int64_t b;

	*total = *neg = 0;
	for (b = b0; b < b1; b++) {
		const bucket_t *s = &k->ring[slot(b, w->rsize)];
		if (s->b == b) {
			*total += s->total;
			*neg += s->neg;
		}
	}
}

static void fill_alert(const fs_window_t *w, const wkey_t *k, fs_window_alert_t *a, int64_t end)
{
	int64_t b0 = floor_div(end - w->o.length_ms, w->o.step_ms), b;

	memset(a, 0, sizeof(*a));
	a->kind = k->kind;
	memcpy(a->value, k->value, k->value_len + 1);
	a->start_ms = end - w->o.length_ms;
	a->end_ms = end;
	/* example ids: the most recent buckets first */
	for (b = floor_div(end, w->o.step_ms) - 1; b >= b0 && a->nexamples < FS_WINDOW_EXAMPLES; b--) {
		const idslot_t *is = k->ids[slot(b, w->isize)];
		unsigned i;
		if (!is || is->b != b) {
			continue;
		}
		for (i = 0; i < is->n && a->nexamples < FS_WINDOW_EXAMPLES; i++) {
			memcpy(a->examples[a->nexamples++], is->id[i], sizeof(is->id[i]));
		}
	}
}

/* Evaluate the window ending at @p end for one key. */
static void evaluate(fs_window_t *w, wkey_t *k, int64_t end, fs_window_alert_cb *cb, void *opaque)
{
	int64_t be = floor_div(end, w->o.step_ms), bs = be - w->nwin;
	uint64_t total, neg, btotal = 0, bneg = 0;
	double share, bshare = 0;
	int has_base;
	fs_window_alert_t a;

	if (end <= k->published_until) {
		w->st.suppressed++;
		return;
	}
	sum(w, k, bs, be, &total, &neg);
	share = total ? (double)neg / (double)total : 0.0;
	if (w->nbase > 0) {
		sum(w, k, bs - w->nbase, bs, &btotal, &bneg);
	}
	has_base = btotal > 0;
	bshare = has_base ? (double)bneg / (double)btotal : 0.0;
	if (!k->open) {
		unsigned fired = 0;
		if (neg < (uint64_t)(w->o.min_count > 0 ? w->o.min_count : 0) ||
		    (double)neg < w->o.min_share * (double)total || total == 0) {
			return;
		}
		fired = FS_WINDOW_FIRED_MIN_COUNT | FS_WINDOW_FIRED_MIN_SHARE;
		if (has_base && w->o.baseline_factor > 0) {
			if (share < w->o.baseline_factor * bshare) {
				return;
			}
			fired |= FS_WINDOW_FIRED_BASELINE;
		}
		if (k->spike_end != INT64_MIN && end < k->spike_end + w->o.cooldown_ms) {
			return;
		}
		k->open = 1;
		k->spike_end = end;
		snprintf(k->incident, sizeof(k->incident), "%016" PRIx64 "-%" PRId64, k->hash, end);
		fill_alert(w, k, &a, end);
		a.type = FS_WINDOW_SPIKE;
		a.fired = fired;
	} else {
		if (share >= w->recovery) {
			return;
		}
		k->open = 0;
		fill_alert(w, k, &a, end);
		a.type = FS_WINDOW_RECOVERY;
		a.fired = FS_WINDOW_FIRED_RECOVERY;
	}
	a.total = total;
	a.negative = neg;
	a.share = share;
	a.has_baseline = has_base;
	a.baseline_share = bshare;
	snprintf(a.incident_id, sizeof(a.incident_id), "%s", k->incident);
	if (a.type == FS_WINDOW_SPIKE) {
		w->st.spikes++;
	} else {
		w->st.recoveries++;
	}
	if (cb) {
		cb(opaque, &a);
	}
}

static void unlink_key(fs_window_t *w, wkey_t *k)
{
	wkey_t **pp = &w->table[k->hash & (w->table_size - 1)];

	while (*pp && *pp != k) {
		pp = &(*pp)->next;
	}
	if (*pp) {
		*pp = k->next;
	}
	if (k->kind != FS_WINDOW_OVERALL) {
		w->ncapped--;
	}
}

/* Evaluate every key at @p end, then forget the keys nothing can revive. */
static void evaluate_all(fs_window_t *w, int64_t end, fs_window_alert_cb *cb, void *opaque)
{
	size_t i, n = 0;

	for (i = 0; i < w->nkeys; i++) {
		evaluate(w, w->keys[i], end, cb, opaque);
	}
	for (i = 0; i < w->nkeys; i++) {
		wkey_t *k = w->keys[i];
		int idle =
		    k->kind != FS_WINDOW_OVERALL && !k->open && end > k->published_until &&
		    (k->spike_end == INT64_MIN || end >= k->spike_end + w->o.cooldown_ms) &&
		    (k->last_b == INT64_MIN || (k->last_b + 1) * w->o.step_ms <= end - w->span_ms + w->o.step_ms);
		if (idle) {
			unlink_key(w, k);
			key_free(k);
		} else {
			w->keys[n++] = k;
		}
	}
	w->nkeys = n;
}

void fs_window_advance(fs_window_t *w, int64_t frontier_ms, fs_window_alert_cb *cb, void *opaque)
{
	if (!w->started || frontier_ms == INT64_MIN) {
		return;
	}
	run_until(w, frontier_ms - w->o.lateness_ms, cb, opaque);
}

/* Raise the watermark to @p watermark (never lower it) and evaluate the windows it reached. */
static void run_until(fs_window_t *w, int64_t watermark, fs_window_alert_cb *cb, void *opaque)
{
	if (watermark > w->watermark) {
		w->watermark = watermark;
	}
	while (w->next_end <= w->watermark) {
		int64_t end = w->next_end;
		evaluate_all(w, end, cb, opaque);
		/* every later window is empty for every key: one evaluated is enough */
		if (end - w->span_ms > w->max_time && end + w->o.step_ms <= w->watermark) {
			int64_t last = floor_div(w->watermark, w->o.step_ms) * w->o.step_ms;
			w->next_end = last > end ? last : end + w->o.step_ms;
		} else {
			w->next_end = end + w->o.step_ms;
		}
	}
}

fs_err_t fs_window_restore(fs_window_t *w, const fs_window_alert_t *a)
{
	wkey_t *k;

	if (!(w->o.keys & (unsigned)a->kind)) {
		return FS_ERR_ARG;
	}
	k = key_get(w, a->kind, a->value, strlen(a->value));
	if (!k) {
		return w->ncapped >= w->o.max_keys ? FS_ERR_ARG : FS_ERR_NOMEM;
	}
	if (a->type == FS_WINDOW_SPIKE) {
		k->open = 1;
		k->spike_end = a->end_ms;
		snprintf(k->incident, sizeof(k->incident), "%s", a->incident_id);
	} else {
		k->open = 0;
		snprintf(k->incident, sizeof(k->incident), "%s", a->incident_id);
	}
	if (a->end_ms > k->published_until) {
		k->published_until = a->end_ms;
	}
	return FS_OK;
}

void fs_window_stats(const fs_window_t *w, fs_window_stats_t *st)
{
	size_t i;

	*st = w->st;
	st->keys = w->nkeys;
	st->open = 0;
	for (i = 0; i < w->nkeys; i++) {
		st->open += w->keys[i]->open ? 1 : 0;
	}
	st->watermark = w->watermark;
}

/* ------------------------------------------------------------------ */
/* time                                                                */

void fs_window_format_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)floor_div(ms, 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - floor_div(ms, 1000) * 1000));
}

static int digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return -1;
		}
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm dependency on TZ). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int fs_window_parse_time(const char *s, size_t len, int64_t *ms)
{
	char tmp[64];
	int Y, M, D, h, m, sec, frac = 0, fdig = 0, oh = 0, om = 0, sign = 0;
	size_t i;

	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1])) {
		len--;
	}
	if (!len || len >= sizeof(tmp)) {
		return -1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (len < 10 || tmp[4] != '-') {
		/* a number: epoch seconds, or milliseconds when large */
		char *end;
		double v = strtod(tmp, &end);
		if (end == tmp || *end || !(v > -1e15 && v < 1e15)) {
			return -1;
		}
		*ms = v > 1e11 || v < -1e11 ? (int64_t)v : (int64_t)(v * 1000.0);
		return 0;
	}
	if (len < 19 || digits(tmp, 4, &Y) || digits(tmp + 5, 2, &M) || tmp[7] != '-' || digits(tmp + 8, 2, &D) ||
	    (tmp[10] != 'T' && tmp[10] != 't' && tmp[10] != ' ') || digits(tmp + 11, 2, &h) || tmp[13] != ':' ||
	    digits(tmp + 14, 2, &m) || tmp[16] != ':' || digits(tmp + 17, 2, &sec)) {
		return -1;
	}
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) {
		return -1;
	}
	i = 19;
	if (i < len && tmp[i] == '.') {
		i++;
		while (i < len && isdigit((unsigned char)tmp[i])) {
			if (fdig < 3) {
				frac = frac * 10 + (tmp[i] - '0');
				fdig++;
			}
			i++;
		}
		if (!fdig) {
			return -1;
		}
		while (fdig < 3) {
			frac *= 10;
			fdig++;
		}
	}
	if (i < len && (tmp[i] == 'Z' || tmp[i] == 'z')) {
		i++;
	} else if (i < len && (tmp[i] == '+' || tmp[i] == '-')) {
		sign = tmp[i] == '-' ? -1 : 1;
		if (len - i != 6 || digits(tmp + i + 1, 2, &oh) || tmp[i + 3] != ':' || digits(tmp + i + 4, 2, &om)) {
			return -1;
		}
		i = len;
	} else {
		return -1;
	}
	if (i != len) {
		return -1;
	}
	*ms =
	    ((days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec) - sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return 0;
}

/* ------------------------------------------------------------------ */
/* alert JSON                                                          */

void fs_window_alert_key(const fs_window_alert_t *a, fs_buf_t *out)
{
	fs_buf_puts(out, fs_window_kind_name(a->kind));
	if (a->kind != FS_WINDOW_OVERALL) {
		fs_buf_putc(out, ':');
		fs_buf_puts(out, a->value);
	}
}

static void put_time(fs_buf_t *out, const char *name, int64_t ms)
{
	char t[40];

	fs_window_format_time(ms, t, sizeof(t));
	fs_buf_printf(out, "\"%s\":\"%s\"", name, t);
}

void fs_window_alert_write(fs_buf_t *out, const fs_window_alert_t *a, const fs_window_opts_t *opts, int64_t now_ms)
{
	double recovery = opts->recovery_share > 0 ? opts->recovery_share : opts->min_share / 2;
	static const char *const fired_names[] = {"min_count", "min_share", "baseline_factor", "recovery_share"};
	unsigned i;
	int first = 1;
	size_t e;

	fs_buf_puts(out, "{\"schema\":\"" FS_WINDOW_SCHEMA "\",\"type\":\"");
	fs_buf_puts(out, a->type == FS_WINDOW_SPIKE ? "spike" : "recovery");
	fs_buf_puts(out, "\",\"key\":{\"kind\":\"");
	fs_buf_puts(out, fs_window_kind_name(a->kind));
	fs_buf_puts(out, "\",\"value\":");
	if (a->kind == FS_WINDOW_OVERALL) {
		fs_buf_puts(out, "null");
	} else {
		fs_buf_json_str(out, a->value, strlen(a->value));
	}
	fs_buf_puts(out, "},\"window\":{");
	put_time(out, "start", a->start_ms);
	fs_buf_putc(out, ',');
	put_time(out, "end", a->end_ms);
	fs_buf_puts(out, ",\"start_ms\":");
	fs_buf_i64(out, a->start_ms);
	fs_buf_puts(out, ",\"end_ms\":");
	fs_buf_i64(out, a->end_ms);
	fs_buf_puts(out, ",\"length_ms\":");
	fs_buf_i64(out, opts->length_ms);
	fs_buf_puts(out, "},\"counts\":{\"total\":");
	fs_buf_u64(out, a->total);
	fs_buf_puts(out, ",\"negative\":");
	fs_buf_u64(out, a->negative);
	fs_buf_puts(out, "},\"negative_share\":");
	fs_buf_json_num(out, a->share);
	fs_buf_puts(out, ",\"baseline_share\":");
	if (a->has_baseline) {
		fs_buf_json_num(out, a->baseline_share);
	} else {
		fs_buf_puts(out, "null");
	}
	fs_buf_puts(out, ",\"thresholds\":{\"fired\":[");
	for (i = 0; i < 4; i++) {
		if (a->fired & (1u << i)) {
			fs_buf_puts(out, first ? "\"" : ",\"");
			fs_buf_puts(out, fired_names[i]);
			fs_buf_putc(out, '"');
			first = 0;
		}
	}
	fs_buf_puts(out, "],\"min_count\":");
	fs_buf_i64(out, opts->min_count);
	fs_buf_puts(out, ",\"min_share\":");
	fs_buf_json_num(out, opts->min_share);
	fs_buf_puts(out, ",\"baseline_factor\":");
	if (opts->baseline_factor > 0 && opts->baseline_windows > 0) {
		fs_buf_json_num(out, opts->baseline_factor);
	} else {
		fs_buf_puts(out, "null");
	}
	fs_buf_puts(out, ",\"recovery_share\":");
	fs_buf_json_num(out, recovery);
	fs_buf_puts(out, "},\"examples\":[");
	for (e = 0; e < a->nexamples; e++) {
		if (e) {
			fs_buf_putc(out, ',');
		}
		fs_buf_json_str(out, a->examples[e], strlen(a->examples[e]));
	}
	fs_buf_puts(out, "],\"incident_id\":");
	fs_buf_json_str(out, a->incident_id, strlen(a->incident_id));
	fs_buf_putc(out, ',');
	put_time(out, "emitted_at", now_ms);
	fs_buf_putc(out, '}');
}

fs_err_t fs_window_alert_parse(const char *data, size_t len, fs_window_alert_t *a, char *errstr, size_t errstr_size)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr), *v;
	const char *s;
	int kind;
	fs_err_t err = FS_ERR_JSON;

	memset(a, 0, sizeof(*a));
	if (!root) {
		return fs_seterr(errstr, errstr_size, FS_ERR_JSON, "invalid JSON: %s", jerr.text);
	}
	s = json_string_value(json_object_get(root, "schema"));
	if (!s || strcmp(s, FS_WINDOW_SCHEMA) != 0) {
		fs_seterr(errstr, errstr_size, FS_ERR_JSON, "not a %s event", FS_WINDOW_SCHEMA);
		goto out;
	}
	s = json_string_value(json_object_get(root, "type"));
	if (!s || (strcmp(s, "spike") != 0 && strcmp(s, "recovery") != 0)) {
		fs_seterr(errstr, errstr_size, FS_ERR_JSON, "type: expected spike or recovery");
		goto out;
	}
	a->type = strcmp(s, "spike") == 0 ? FS_WINDOW_SPIKE : FS_WINDOW_RECOVERY;
	v = json_object_get(root, "key");
	s = json_string_value(json_object_get(v, "kind"));
	kind = s ? kind_from_name(s, strlen(s)) : 0;
	if (!kind) {
		fs_seterr(errstr, errstr_size, FS_ERR_JSON, "key.kind: expected category, channel or overall");
		goto out;
	}
	a->kind = (fs_window_kind_t)kind;
	s = json_string_value(json_object_get(v, "value"));
	if (kind != FS_WINDOW_OVERALL && !s) {
		fs_seterr(errstr, errstr_size, FS_ERR_JSON, "key.value: missing");
		goto out;
	}
	snprintf(a->value, sizeof(a->value), "%s", kind == FS_WINDOW_OVERALL ? "" : s);
	v = json_object_get(root, "window");
	if (!json_is_integer(json_object_get(v, "start_ms")) || !json_is_integer(json_object_get(v, "end_ms"))) {
		fs_seterr(errstr, errstr_size, FS_ERR_JSON, "window.start_ms, window.end_ms: expected integers");
		goto out;
	}
	a->start_ms = json_integer_value(json_object_get(v, "start_ms"));
	a->end_ms = json_integer_value(json_object_get(v, "end_ms"));
	if (a->end_ms > FS_WINDOW_TIME_MAX || a->end_ms < -FS_WINDOW_TIME_MAX || a->start_ms > a->end_ms ||
	    a->start_ms < -FS_WINDOW_TIME_MAX) {
		fs_seterr(errstr, errstr_size, FS_ERR_JSON, "window.start_ms, window.end_ms: out of range");
		goto out;
	}
	s = json_string_value(json_object_get(root, "incident_id"));
	if (!s) {
		fs_seterr(errstr, errstr_size, FS_ERR_JSON, "incident_id: missing");
		goto out;
	}
	snprintf(a->incident_id, sizeof(a->incident_id), "%s", s);
	v = json_object_get(root, "counts");
	a->total = (uint64_t)json_integer_value(json_object_get(v, "total"));
	a->negative = (uint64_t)json_integer_value(json_object_get(v, "negative"));
	a->share = json_number_value(json_object_get(root, "negative_share"));
	v = json_object_get(root, "baseline_share");
	a->has_baseline = json_is_number(v);
	a->baseline_share = json_number_value(v);
	err = FS_OK;
out:
	json_decref(root);
	return err;
}

/* ------------------------------------------------------------------ */
/* scored events                                                       */

void fs_window_scored_clear(fs_window_scored_t *ws)
{
	if (ws->root) {
		json_decref((json_t *)ws->root);
	}
	memset(ws, 0, sizeof(*ws));
}

static int is_negative(json_t *sentiment)
{
	const char *label = json_string_value(json_object_get(sentiment, "label"));
	return label && strcmp(label, "negative") == 0;
}

/* A time from a JSON value: a number or a string (see fs_window_parse_time). */
static int json_time(json_t *v, int64_t *ms)
{
	char num[64];

	if (json_is_string(v)) {
		return fs_window_parse_time(json_string_value(v), json_string_length(v), ms);
	}
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return fs_window_parse_time(num, strlen(num), ms);
	}
	if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		return fs_window_parse_time(num, strlen(num), ms);
	}
	return -1;
}

fs_err_t fs_window_scored_parse(fs_window_scored_t *ws, const char *data, size_t len, int64_t kafka_ts_ms, char *errstr,
				size_t errstr_size)
{
	json_error_t jerr;
	json_t *root, *meta, *v, *cats, *c;
	fs_window_event_t *ev = &ws->ev;
	const char *s;
	size_t i;
	int64_t t;

	memset(ws, 0, sizeof(*ws));
	root = json_loadb(data, len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return fs_seterr(errstr, errstr_size, FS_ERR_JSON, "not a JSON object%s%s", root ? "" : ": ",
				 root ? "" : jerr.text);
	}
	ws->root = root;
	s = json_string_value(json_object_get(root, "schema"));
	if (!s || strcmp(s, "feedsense.scored.v1") != 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_JSON, "not a feedsense.scored.v1 event");
	}
	meta = json_object_get(root, "meta");
	if (json_time(json_object_get(meta, "timestamp"), &t) == 0) {
		ev->time_ms = t;
	} else if (json_is_integer(v = json_object_get(json_object_get(root, "source"), "timestamp")) &&
		   json_integer_value(v) >= 0) {
		ev->time_ms = json_integer_value(v);
	} else if (kafka_ts_ms >= 0) {
		ev->time_ms = kafka_ts_ms;
	} else {
		return fs_seterr(errstr, errstr_size, FS_ERR_JSON, "no event time (meta.timestamp, source.timestamp)");
	}
	if (ev->time_ms > FS_WINDOW_TIME_MAX || ev->time_ms < -FS_WINDOW_TIME_MAX) {
		return fs_seterr(errstr, errstr_size, FS_ERR_JSON, "event time out of range");
	}
	ev->negative = is_negative(json_object_get(root, "sentiment"));
	v = json_object_get(root, "id");
	if (json_is_string(v)) {
		ev->id = json_string_value(v);
		ev->id_len = json_string_length(v);
	}
	v = json_object_get(meta, "channel");
	if (json_is_string(v)) {
		ev->channel = json_string_value(v);
		ev->channel_len = json_string_length(v);
	}
	cats = json_object_get(root, "categories");
	json_array_foreach(cats, i, c)
	{
		json_t *name = json_object_get(c, "name"), *sent = json_object_get(c, "sentiment");
		if (!json_is_string(name) || ev->ncats == FS_WINDOW_MAX_CATS) {
			continue;
		}
		ev->cats[ev->ncats].name = json_string_value(name);
		ev->cats[ev->ncats].len = json_string_length(name);
		/* the category's own sentiment (its clauses); the overall label without one */
		ev->cats[ev->ncats].negative = sent ? is_negative(sent) : ev->negative;
		ev->ncats++;
	}
	return FS_OK;
}
