/*
 * test_offsets: unit tests of the per-partition commit watermark tracker
 * (include/feedsense/offsets.h).
 *
 * Covers a single message (the watermark is its offset + 1, reported by
 * fs_offsets_collect once and not again until it advances), out-of-order
 * completion, several outputs per message (fs_ptrack_add), offset gaps as
 * on a compacted topic, ring growth past the initial 1024 entries with
 * completion in reverse order, independent partitions and topics,
 * fs_offsets_forget, the in-flight counters (messages not yet done, as
 * offsets.h documents), and three concurrency tests: 4 worker threads
 * finishing random subsets of 100000 messages (1-3 outputs each) while the
 * main thread collects (and, in the last one, keeps consuming); the
 * collected watermarks must never decrease, must never pass a message that
 * is not completely done, and must end at the last offset + 1.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "testutil.h"

#include "feedsense/offsets.h"

/* ------------------------------------------------------------------ */
/* collect helper                                                      */

#define MAX_SEEN 64

typedef struct seen {
	char topic[64];
	int32_t partition;
	int64_t offset;
} seen_t;

typedef struct collected {
	seen_t v[MAX_SEEN];
	int n;
} collected_t;

static void collect_cb(void *opaque, const char *topic, int32_t partition, int64_t commit_offset)
{
	collected_t *c = opaque;

	assert_true(c->n < MAX_SEEN);
	snprintf(c->v[c->n].topic, sizeof(c->v[c->n].topic), "%s", topic);
	c->v[c->n].partition = partition;
	c->v[c->n].offset = commit_offset;
	c->n++;
}

/* Run one collect; returns how many partitions were reported. */
static int collect(fs_offsets_t *offs, collected_t *c)
{
	memset(c, 0, sizeof(*c));
	fs_offsets_collect(offs, collect_cb, c);
	return c->n;
}

/* The offset reported for (topic, partition) in @p c, or -1 if none. */
static int64_t reported(const collected_t *c, const char *topic, int32_t partition)
{
	int i, found = 0;
	int64_t off = -1;

	for (i = 0; i < c->n; i++) {
		if (c->v[i].partition == partition && !strcmp(c->v[i].topic, topic)) {
			found++;
			off = c->v[i].offset;
		}
	}
	assert_true(found <= 1); /* at most once per collect */
	return off;
}

/* Collect and expect exactly one report: (topic, partition) at @p offset. */
static void expect_one(fs_offsets_t *offs, const char *topic, int32_t partition, int64_t offset)
{
	collected_t c;

	assert_int_equal(collect(offs, &c), 1);
	assert_string_equal(c.v[0].topic, topic);
	assert_int_equal(c.v[0].partition, partition);
	assert_int_equal(c.v[0].offset, offset);
}

static void expect_none(fs_offsets_t *offs)
{
	collected_t c;

	assert_int_equal(collect(offs, &c), 0);
}

/* ------------------------------------------------------------------ */
/* single-threaded behaviour                                           */

/* Each test gets a fresh tracker set in *state, freed even when it fails. */
static int offs_setup(void **state)
{
	*state = fs_offsets_new();
	return *state ? 0 : -1;
}

static int offs_teardown(void **state)
{
	fs_offsets_destroy(*state);
	return 0;
}

static void test_single_message(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt;
	uint64_t seq;

	assert_non_null(offs);
	pt = fs_offsets_partition(offs, "feedback", 0);
	assert_non_null(pt);
	/* the same tracker on the second call */
	assert_ptr_equal(fs_offsets_partition(offs, "feedback", 0), pt);

	/* nothing registered: nothing to commit */
	expect_none(offs);

	seq = fs_ptrack_begin(pt, 42);
	assert_int_not_equal(seq, UINT64_MAX);
	expect_none(offs); /* still held */

	fs_ptrack_done(pt, seq);
	expect_one(offs, "feedback", 0, 43);
	/* reported once, not again while it does not advance */
	expect_none(offs);
	expect_none(offs);

	/* the next message advances it */
	seq = fs_ptrack_begin(pt, 43);
	expect_none(offs);
	fs_ptrack_done(pt, seq);
	expect_one(offs, "feedback", 0, 44);
	expect_none(offs);

	fs_offsets_destroy(NULL); /* no-op */
}

static void test_sequence_handles(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "t", 3);
	uint64_t a, b, c;

	a = fs_ptrack_begin(pt, 100);
	b = fs_ptrack_begin(pt, 101);
	c = fs_ptrack_begin(pt, 102);
	/* handles are distinct and grow in consumption order */
	assert_true(a < b);
	assert_true(b < c);
	fs_ptrack_done(pt, a);
	fs_ptrack_done(pt, b);
	fs_ptrack_done(pt, c);
	expect_one(offs, "t", 3, 103);
}

static void test_out_of_order(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "feedback", 1);
	uint64_t s1, s2, s3;

	s1 = fs_ptrack_begin(pt, 7);
	s2 = fs_ptrack_begin(pt, 8);
	s3 = fs_ptrack_begin(pt, 9);

	fs_ptrack_done(pt, s2);
	expect_none(offs);
	fs_ptrack_done(pt, s3);
	expect_none(offs); /* #1 still pending: nothing may be committed */

	fs_ptrack_done(pt, s1);
	/* one jump over all three, straight to offset3 + 1 */
	expect_one(offs, "feedback", 1, 10);
	expect_none(offs);
	assert_int_equal(fs_ptrack_inflight(pt), 0);
}

static void test_partial_prefix(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "feedback", 0);
	uint64_t s[5];
	int i;

	for (i = 0; i < 5; i++) {
		s[i] = fs_ptrack_begin(pt, 50 + i);
	}
	/* done: 0, 1, 3 -> the watermark stops at the gap of #2 */
	fs_ptrack_done(pt, s[3]);
	fs_ptrack_done(pt, s[1]);
	expect_none(offs);
	fs_ptrack_done(pt, s[0]);
	expect_one(offs, "feedback", 0, 52);
	fs_ptrack_done(pt, s[2]);
	expect_one(offs, "feedback", 0, 54);
	fs_ptrack_done(pt, s[4]);
	expect_one(offs, "feedback", 0, 55);
}

static void test_multiple_outputs(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "feedback", 0);
	uint64_t s1, s2;

	/* message 1: a scored event and an alert (2 outputs) */
	s1 = fs_ptrack_begin(pt, 0);
	fs_ptrack_add(pt, s1, 2);
	/* message 2: one output, added in two steps */
	s2 = fs_ptrack_begin(pt, 1);
	fs_ptrack_add(pt, s2, 1);

	/* both outputs of message 1 acknowledged before the hold is released */
	fs_ptrack_done(pt, s1);
	fs_ptrack_done(pt, s1);
	expect_none(offs);
	/* the hold */
	fs_ptrack_done(pt, s1);
	expect_one(offs, "feedback", 0, 1);

	/* message 2: hold released first, the output still pending */
	fs_ptrack_done(pt, s2);
	expect_none(offs);
	assert_int_equal(fs_ptrack_inflight(pt), 1);
	/* a late extra output registered while one is still pending */
	fs_ptrack_add(pt, s2, 1);
	fs_ptrack_done(pt, s2);
	expect_none(offs);
	fs_ptrack_done(pt, s2);
	expect_one(offs, "feedback", 0, 2);
	assert_int_equal(fs_ptrack_inflight(pt), 0);
}

static void test_multiple_outputs_out_of_order(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "feedback", 0);
	uint64_t s1, s2;

	s1 = fs_ptrack_begin(pt, 100);
	fs_ptrack_add(pt, s1, 3);
	fs_ptrack_done(pt, s1); /* hold */
	s2 = fs_ptrack_begin(pt, 101);
	fs_ptrack_add(pt, s2, 1);
	fs_ptrack_done(pt, s2); /* hold */
	fs_ptrack_done(pt, s2); /* the only output: #2 done */
	expect_none(offs);
	fs_ptrack_done(pt, s1);
	fs_ptrack_done(pt, s1);
	expect_none(offs); /* one output of #1 still pending */
	fs_ptrack_done(pt, s1);
	expect_one(offs, "feedback", 0, 102);
}

static void test_offset_gaps(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "compacted", 2);
	uint64_t a, b, c;

	/* compacted topic: offsets 10, 15, 20 */
	a = fs_ptrack_begin(pt, 10);
	b = fs_ptrack_begin(pt, 15);
	c = fs_ptrack_begin(pt, 20);

	fs_ptrack_done(pt, b);
	expect_none(offs);
	fs_ptrack_done(pt, a);
	/* the watermark is the last passed offset + 1, not head + count */
	expect_one(offs, "compacted", 2, 16);
	fs_ptrack_done(pt, c);
	expect_one(offs, "compacted", 2, 21);
	expect_none(offs);
}

static void test_ring_growth_reverse(void **state)
{
	enum { N = 5000 };
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "feedback", 0);
	uint64_t *seq = malloc(N * sizeof(*seq));
	int i;

	assert_non_null(seq);
	for (i = 0; i < N; i++) {
		seq[i] = fs_ptrack_begin(pt, 1000 + 2 * (int64_t)i);
		assert_int_not_equal(seq[i], UINT64_MAX);
		/* give a few of them extra outputs, across the growth points */
		if (i % 7 == 0) {
			fs_ptrack_add(pt, seq[i], 1);
		}
	}
	assert_int_equal(fs_ptrack_inflight(pt), N);
	assert_int_equal(fs_offsets_inflight(offs), N);

	/* finish in reverse order; nothing may be committed until #0 */
	for (i = N - 1; i >= 1; i--) {
		fs_ptrack_done(pt, seq[i]);
		if (i % 7 == 0) {
			fs_ptrack_done(pt, seq[i]);
		}
		if (i % 500 == 0) {
			expect_none(offs);
		}
	}
	expect_none(offs);
	fs_ptrack_done(pt, seq[0]);
	expect_none(offs); /* #0 still has its extra output */
	fs_ptrack_done(pt, seq[0]);
	expect_one(offs, "feedback", 0, 1000 + 2 * (int64_t)(N - 1) + 1);
	assert_int_equal(fs_ptrack_inflight(pt), 0);
	free(seq);
}

static void test_ring_growth_wrapped(void **state)
{
	/* grow the ring while its live window wraps around the end of the
	 * array: advance the head first, then fill past the capacity. */
	enum { FIRST = 700, N = 3000 };
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "feedback", 9);
	uint64_t *seq = malloc(N * sizeof(*seq));
	int64_t off = 0;
	int i;

	assert_non_null(seq);
	for (i = 0; i < FIRST; i++) {
		fs_ptrack_done(pt, fs_ptrack_begin(pt, off++));
	}
	expect_one(offs, "feedback", 9, FIRST);
	for (i = 0; i < N; i++) {
		seq[i] = fs_ptrack_begin(pt, off++);
	}
	assert_int_equal(fs_ptrack_inflight(pt), N);
	/* even ones first, then odd ones: the watermark must follow exactly */
	for (i = 2; i < N; i += 2) {
		fs_ptrack_done(pt, seq[i]);
	}
	expect_none(offs);
	fs_ptrack_done(pt, seq[0]);
	expect_one(offs, "feedback", 9, FIRST + 1); /* #0 done, #1 not */
	for (i = 1; i < N - 1; i += 2) {
		fs_ptrack_done(pt, seq[i]);
	}
	expect_one(offs, "feedback", 9, FIRST + N - 1);
	fs_ptrack_done(pt, seq[N - 1]);
	expect_one(offs, "feedback", 9, FIRST + N);
	assert_int_equal(fs_ptrack_inflight(pt), 0);
	free(seq);
}

static void test_partitions_independent(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *a0 = fs_offsets_partition(offs, "alpha", 0);
	fs_ptrack_t *a1 = fs_offsets_partition(offs, "alpha", 1);
	fs_ptrack_t *b0 = fs_offsets_partition(offs, "beta", 0);
	uint64_t sa0, sa1, sb0, sa0b;
	collected_t c;

	assert_non_null(a0);
	assert_non_null(a1);
	assert_non_null(b0);
	assert_ptr_not_equal(a0, a1);
	assert_ptr_not_equal(a0, b0);
	assert_ptr_not_equal(a1, b0);
	assert_ptr_equal(fs_offsets_partition(offs, "beta", 0), b0);
	assert_ptr_equal(fs_offsets_partition(offs, "alpha", 1), a1);

	sa0 = fs_ptrack_begin(a0, 500);
	sa1 = fs_ptrack_begin(a1, 7);
	sb0 = fs_ptrack_begin(b0, 500);
	sa0b = fs_ptrack_begin(a0, 501);
	assert_int_equal(fs_offsets_inflight(offs), 4);
	assert_int_equal(fs_ptrack_inflight(a0), 2);
	assert_int_equal(fs_ptrack_inflight(a1), 1);
	assert_int_equal(fs_ptrack_inflight(b0), 1);

	/* a pending message of one partition blocks nothing elsewhere */
	fs_ptrack_done(a1, sa1);
	fs_ptrack_done(b0, sb0);
	fs_ptrack_done(a0, sa0b);
	assert_int_equal(collect(offs, &c), 2);
	assert_int_equal(reported(&c, "alpha", 1), 8);
	assert_int_equal(reported(&c, "beta", 0), 501);
	assert_int_equal(reported(&c, "alpha", 0), -1);
	expect_none(offs);

	fs_ptrack_done(a0, sa0);
	expect_one(offs, "alpha", 0, 502);

	/* all three advance in one collect */
	fs_ptrack_done(a0, fs_ptrack_begin(a0, 502));
	fs_ptrack_done(a1, fs_ptrack_begin(a1, 8));
	fs_ptrack_done(b0, fs_ptrack_begin(b0, 501));
	assert_int_equal(collect(offs, &c), 3);
	assert_int_equal(reported(&c, "alpha", 0), 503);
	assert_int_equal(reported(&c, "alpha", 1), 9);
	assert_int_equal(reported(&c, "beta", 0), 502);
	assert_int_equal(fs_offsets_inflight(offs), 0);
}

static void test_forget(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "feedback", 0);
	fs_ptrack_t *other = fs_offsets_partition(offs, "feedback", 1);
	uint64_t pending;
	collected_t c;

	fs_ptrack_done(pt, fs_ptrack_begin(pt, 10));
	fs_ptrack_done(other, fs_ptrack_begin(other, 3));
	pending = fs_ptrack_begin(other, 4);
	(void)pending;
	/* forgotten before the advance was collected: never reported */
	fs_offsets_forget(offs, "feedback", 0);
	assert_int_equal(collect(offs, &c), 1);
	assert_int_equal(reported(&c, "feedback", 1), 4);
	assert_int_equal(reported(&c, "feedback", 0), -1);
	expect_none(offs);
	/* the in-flight count no longer includes it */
	assert_int_equal(fs_offsets_inflight(offs), 1);

	/* forgetting an unknown partition (or twice) is harmless */
	fs_offsets_forget(offs, "feedback", 0);
	fs_offsets_forget(offs, "nope", 5);
	expect_none(offs);

	/* a new tracker for the same partition starts fresh: no watermark,
	 * nothing in flight, and its first watermark is reported even when
	 * equal to an earlier one */
	pt = fs_offsets_partition(offs, "feedback", 0);
	assert_non_null(pt);
	assert_int_equal(fs_ptrack_inflight(pt), 0);
	expect_none(offs);
	fs_ptrack_done(pt, fs_ptrack_begin(pt, 10));
	expect_one(offs, "feedback", 0, 11);
	/* and restarting at a lower offset (re-assignment after a seek) */
	fs_offsets_forget(offs, "feedback", 0);
	pt = fs_offsets_partition(offs, "feedback", 0);
	fs_ptrack_done(pt, fs_ptrack_begin(pt, 2));
	expect_one(offs, "feedback", 0, 3);

	/* forget with a message still in flight drops its count */
	(void)fs_ptrack_begin(pt, 3);
	assert_int_equal(fs_offsets_inflight(offs), 2);
	fs_offsets_forget(offs, "feedback", 0);
	assert_int_equal(fs_offsets_inflight(offs), 1);
	expect_none(offs);
}

static void test_inflight_counts(void **state)
{
	fs_offsets_t *offs = *state;
	fs_ptrack_t *a = fs_offsets_partition(offs, "t1", 0);
	fs_ptrack_t *b = fs_offsets_partition(offs, "t2", 0);
	uint64_t s[4], t;

	assert_int_equal(fs_offsets_inflight(offs), 0);
	assert_int_equal(fs_ptrack_inflight(a), 0);
	s[0] = fs_ptrack_begin(a, 0);
	s[1] = fs_ptrack_begin(a, 1);
	s[2] = fs_ptrack_begin(a, 2);
	s[3] = fs_ptrack_begin(a, 3);
	t = fs_ptrack_begin(b, 0);
	assert_int_equal(fs_ptrack_inflight(a), 4);
	assert_int_equal(fs_ptrack_inflight(b), 1);
	assert_int_equal(fs_offsets_inflight(offs), 5);

	/* outputs do not count as messages */
	fs_ptrack_add(a, s[0], 3);
	assert_int_equal(fs_ptrack_inflight(a), 4);

	/* the head message done (hold and its 3 outputs) */
	fs_ptrack_done(a, s[0]);
	assert_int_equal(fs_ptrack_inflight(a), 4); /* outputs still pending */
	fs_ptrack_done(a, s[0]);
	fs_ptrack_done(a, s[0]);
	fs_ptrack_done(a, s[0]);
	assert_int_equal(fs_ptrack_inflight(a), 3);
	assert_int_equal(fs_offsets_inflight(offs), 4);

	fs_ptrack_done(b, t);
	assert_int_equal(fs_ptrack_inflight(b), 0);
	assert_int_equal(fs_offsets_inflight(offs), 3);

	fs_ptrack_done(a, s[1]);
	fs_ptrack_done(a, s[2]);
	fs_ptrack_done(a, s[3]);
	assert_int_equal(fs_ptrack_inflight(a), 0);
	assert_int_equal(fs_offsets_inflight(offs), 0);
}

static void test_inflight_counts_out_of_order(void **state)
{
	/* offsets.h: fs_ptrack_inflight() is the "number of messages
	 * registered and not yet done". A message that is done but waits
	 * behind an unfinished one is done. */
	fs_offsets_t *offs = *state;
	fs_ptrack_t *pt = fs_offsets_partition(offs, "t", 0);
	uint64_t s1, s2, s3;

	s1 = fs_ptrack_begin(pt, 0);
	s2 = fs_ptrack_begin(pt, 1);
	s3 = fs_ptrack_begin(pt, 2);
	fs_ptrack_done(pt, s2);
	fs_ptrack_done(pt, s3);
	assert_int_equal(fs_ptrack_inflight(pt), 1);
	assert_int_equal(fs_offsets_inflight(offs), 1);
	fs_ptrack_done(pt, s1);
	assert_int_equal(fs_ptrack_inflight(pt), 0);
	assert_int_equal(fs_offsets_inflight(offs), 0);
}

/* ------------------------------------------------------------------ */
/* concurrency                                                         */

#define CN 100000
#define CTHREADS 4
#define COFF(i) (5 + 3 * (int64_t)(i)) /* offsets with gaps */

typedef struct conc {
	fs_ptrack_t *pt;
	uint64_t seq[CN];
	int total[CN];             /* hold + outputs of message i */
	atomic_int finished[CN];   /* done calls about to be / already made */
	atomic_long published;     /* messages begun (concurrent-begin test) */
	atomic_int workers_done;   /* workers that made all their done calls */
	uint32_t *tok[CTHREADS];   /* message index per done call */
	size_t ntok[CTHREADS];
	/* collector state (main thread only) */
	int64_t last;
	size_t checked;            /* messages verified complete */
	size_t ncollected;
	int bad_order;
	int bad_prefix;
} conc_t;

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static void conc_cb(void *opaque, const char *topic, int32_t partition, int64_t off)
{
	conc_t *c = opaque;

	(void)topic;
	(void)partition;
	c->ncollected++;
	if (off < c->last) {
		c->bad_order++;
	}
	c->last = off;
	/* every message below the watermark must be completely done: its
	 * workers counted each done call before making it */
	while (c->checked < CN && COFF(c->checked) < off) {
		if (atomic_load(&c->finished[c->checked]) != c->total[c->checked]) {
			c->bad_prefix++;
		}
		c->checked++;
	}
}

/* Distribute every done call (the hold and each output of every message)
 * to a random thread. Each thread's share is then shuffled: @p window 0
 * keeps it in message order, 1 shuffles it completely, and N > 1 shuffles
 * it within consecutive windows of N calls, so that all threads work on
 * the same few messages near the head at once (the most contention). */
static void conc_plan(conc_t *c, unsigned seed, size_t window)
{
	size_t cap[CTHREADS];
	int t, i, k;

	for (t = 0; t < CTHREADS; t++) {
		cap[t] = CN;
		c->ntok[t] = 0;
		c->tok[t] = malloc(cap[t] * sizeof(uint32_t));
		assert_non_null(c->tok[t]);
	}
	for (i = 0; i < CN; i++) {
		c->total[i] = 1 + 1 + (int)(rnd(&seed) % 3); /* hold + 1..3 outputs */
		atomic_init(&c->finished[i], 0);
		for (k = 0; k < c->total[i]; k++) {
			t = (int)(rnd(&seed) % CTHREADS);
			if (c->ntok[t] == cap[t]) {
				cap[t] *= 2;
				c->tok[t] = realloc(c->tok[t], cap[t] * sizeof(uint32_t));
				assert_non_null(c->tok[t]);
			}
			c->tok[t][c->ntok[t]++] = (uint32_t)i;
		}
	}
	for (t = 0; window > 0 && t < CTHREADS; t++) {
		size_t base, w = window == 1 ? c->ntok[t] : window;
		for (base = 0; base < c->ntok[t]; base += w) {
			uint32_t *a = c->tok[t] + base;
			size_t j, n = c->ntok[t] - base < w ? c->ntok[t] - base : w;
			for (j = n; j > 1; j--) {
				size_t r = ((size_t)rnd(&seed) << 15 | rnd(&seed)) % j;
				uint32_t x = a[j - 1];
				a[j - 1] = a[r];
				a[r] = x;
			}
		}
	}
	c->last = -1;
	c->checked = 0;
	c->ncollected = 0;
	c->bad_order = c->bad_prefix = 0;
	atomic_init(&c->published, 0);
	atomic_init(&c->workers_done, 0);
}

typedef struct worker_arg {
	conc_t *c;
	int id;
	int wait_published;
} worker_arg_t;

static void *conc_worker(void *arg)
{
	worker_arg_t *w = arg;
	conc_t *c = w->c;
	size_t j;

	for (j = 0; j < c->ntok[w->id]; j++) {
		uint32_t i = c->tok[w->id][j];
		if (w->wait_published) {
			while (atomic_load(&c->published) <= (long)i) {
				sched_yield();
			}
		}
		atomic_fetch_add(&c->finished[i], 1);
		fs_ptrack_done(c->pt, c->seq[i]);
	}
	atomic_fetch_add(&c->workers_done, 1);
	return NULL;
}

static void conc_free(conc_t *c)
{
	int t;
	for (t = 0; t < CTHREADS; t++) {
		free(c->tok[t]);
	}
	free(c);
}

static void conc_finish(conc_t *c, fs_offsets_t *offs)
{
	/* a final collect after every worker joined */
	fs_offsets_collect(offs, conc_cb, c);
	assert_int_equal(c->bad_order, 0);
	assert_int_equal(c->bad_prefix, 0);
	assert_int_equal(c->last, COFF(CN - 1) + 1);
	assert_true(c->ncollected >= 1);
	assert_int_equal(fs_ptrack_inflight(c->pt), 0);
	assert_int_equal(fs_offsets_inflight(offs), 0);
	/* nothing more to report */
	c->ncollected = 0;
	fs_offsets_collect(offs, conc_cb, c);
	assert_int_equal(c->ncollected, 0);
}

/* Workers finish the planned done calls of messages registered up front
 * (the hold is released by whichever worker drew it) while the main
 * thread collects. */
static void run_concurrent_finish(unsigned seed, size_t window)
{
	fs_offsets_t *offs = fs_offsets_new();
	conc_t *c = calloc(1, sizeof(*c));
	pthread_t th[CTHREADS];
	worker_arg_t wa[CTHREADS];
	int i, t;

	assert_non_null(c);
	c->pt = fs_offsets_partition(offs, "feedback", 0);
	conc_plan(c, seed, window);
	for (i = 0; i < CN; i++) {
		c->seq[i] = fs_ptrack_begin(c->pt, COFF(i));
		assert_int_not_equal(c->seq[i], UINT64_MAX);
		fs_ptrack_add(c->pt, c->seq[i], c->total[i] - 1);
	}
	assert_int_equal(fs_ptrack_inflight(c->pt), CN);
	for (t = 0; t < CTHREADS; t++) {
		wa[t].c = c;
		wa[t].id = t;
		wa[t].wait_published = 0;
		assert_int_equal(pthread_create(&th[t], NULL, conc_worker, &wa[t]), 0);
	}
	/* collect while the workers run */
	while (atomic_load(&c->workers_done) < CTHREADS) {
		fs_offsets_collect(offs, conc_cb, c);
	}
	for (t = 0; t < CTHREADS; t++) {
		pthread_join(th[t], NULL);
	}
	conc_finish(c, offs);
	conc_free(c);
	fs_offsets_destroy(offs);
}

static void test_concurrent_finish(void **state)
{
	(void)state;
	/* random subsets, each finished in random order */
	run_concurrent_finish(12345u, 1);
}

static void test_concurrent_finish_near_head(void **state)
{
	(void)state;
	/* random subsets, all threads busy on the same messages */
	run_concurrent_finish(4242u, 16);
}

static void test_concurrent_begin_finish(void **state)
{
	/* the main thread consumes (begin, add) and collects while the
	 * workers finish: the ring grows under concurrent fs_ptrack_done */
	fs_offsets_t *offs = fs_offsets_new();
	conc_t *c = calloc(1, sizeof(*c));
	pthread_t th[CTHREADS];
	worker_arg_t wa[CTHREADS];
	int i, t;

	(void)state;
	assert_non_null(c);
	c->pt = fs_offsets_partition(offs, "feedback", 4);
	conc_plan(c, 777u, 8);
	for (t = 0; t < CTHREADS; t++) {
		wa[t].c = c;
		wa[t].id = t;
		wa[t].wait_published = 1;
		assert_int_equal(pthread_create(&th[t], NULL, conc_worker, &wa[t]), 0);
	}
	for (i = 0; i < CN; i++) {
		c->seq[i] = fs_ptrack_begin(c->pt, COFF(i));
		assert_int_not_equal(c->seq[i], UINT64_MAX);
		fs_ptrack_add(c->pt, c->seq[i], c->total[i] - 1);
		atomic_store(&c->published, (long)i + 1);
		if (i % 64 == 0) {
			fs_offsets_collect(offs, conc_cb, c);
		}
	}
	while (atomic_load(&c->workers_done) < CTHREADS) {
		fs_offsets_collect(offs, conc_cb, c);
	}
	for (t = 0; t < CTHREADS; t++) {
		pthread_join(th[t], NULL);
	}
	conc_finish(c, offs);
	conc_free(c);
	fs_offsets_destroy(offs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_message, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_sequence_handles, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_partial_prefix, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_multiple_outputs, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_multiple_outputs_out_of_order, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_offset_gaps, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_ring_growth_reverse, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_ring_growth_wrapped, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_partitions_independent, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_forget, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_inflight_counts, offs_setup, offs_teardown),
		cmocka_unit_test_setup_teardown(test_inflight_counts_out_of_order, offs_setup, offs_teardown),
		cmocka_unit_test(test_concurrent_finish),
		cmocka_unit_test(test_concurrent_finish_near_head),
		cmocka_unit_test(test_concurrent_begin_finish),
	};

	/* a watchdog: a livelock in the code under test fails the run
	 * instead of hanging it */
	alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
