/*
 * offsets: per-partition rings of in-flight messages and their watermark.
 *
 * Each partition keeps a ring of (offset, pending) entries indexed by a
 * sequence number that grows by one per consumed message. The head is the
 * oldest unfinished message; when the head's pending count reaches zero the
 * head advances over every finished entry and the watermark becomes the
 * last passed offset + 1. The ring doubles when full, keeping each entry at
 * index seq & (cap - 1).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/offsets.h"

typedef struct entry {
	int64_t offset;
	int32_t pending;
} entry_t;

struct fs_ptrack {
	char *topic;
	int32_t partition;
	pthread_mutex_t mu;
	entry_t *ring;
	uint64_t cap;      /* power of two */
	uint64_t head;     /* oldest unfinished sequence */
	uint64_t tail;     /* next sequence to hand out */
	uint64_t busy;     /* entries whose outputs are not all done */
	int64_t watermark; /* committable offset, -1 none yet */
	int64_t reported;  /* last watermark given to collect */
	struct fs_ptrack *next;
};

struct fs_offsets {
	pthread_mutex_t mu;
	fs_ptrack_t *list;
};

fs_offsets_t *fs_offsets_new(void)
{
	fs_offsets_t *offs = calloc(1, sizeof(*offs));
	if (!offs) {
		return NULL;
	}
	pthread_mutex_init(&offs->mu, NULL);
	return offs;
}

static void ptrack_free(fs_ptrack_t *pt)
{
	pthread_mutex_destroy(&pt->mu);
	free(pt->topic);
	free(pt->ring);
	free(pt);
}

void fs_offsets_destroy(fs_offsets_t *offs)
{
	fs_ptrack_t *pt, *next;

	if (!offs) {
		return;
	}
	for (pt = offs->list; pt; pt = next) {
		next = pt->next;
		ptrack_free(pt);
	}
	pthread_mutex_destroy(&offs->mu);
	free(offs);
}

fs_ptrack_t *fs_offsets_partition(fs_offsets_t *offs, const char *topic, int32_t partition)
{
	fs_ptrack_t *pt;

	pthread_mutex_lock(&offs->mu);
	for (pt = offs->list; pt; pt = pt->next) {
		if (pt->partition == partition && !strcmp(pt->topic, topic)) {
			pthread_mutex_unlock(&offs->mu);
			return pt;
		}
	}
	pt = calloc(1, sizeof(*pt));
	if (pt) {
		pt->topic = strdup(topic);
		pt->cap = 1024;
		pt->ring = malloc(pt->cap * sizeof(*pt->ring));
		if (!pt->topic || !pt->ring) {
			free(pt->topic);
			free(pt->ring);
			free(pt);
			pt = NULL;
		} else {
			pt->partition = partition;
			pt->watermark = -1;
			pt->reported = -1;
			pthread_mutex_init(&pt->mu, NULL);
			pt->next = offs->list;
			offs->list = pt;
		}
	}
	pthread_mutex_unlock(&offs->mu);
	return pt;
}

void fs_offsets_forget(fs_offsets_t *offs, const char *topic, int32_t partition)
{
	fs_ptrack_t **pp, *pt;

	pthread_mutex_lock(&offs->mu);
	for (pp = &offs->list; (pt = *pp); pp = &pt->next) {
		if (pt->partition == partition && !strcmp(pt->topic, topic)) {
			*pp = pt->next;
			ptrack_free(pt);
			break;
		}
	}
	pthread_mutex_unlock(&offs->mu);
}

uint64_t fs_ptrack_begin(fs_ptrack_t *pt, int64_t offset)
{
	uint64_t seq;

	pthread_mutex_lock(&pt->mu);
	if (pt->tail - pt->head == pt->cap) {
		uint64_t ncap = pt->cap * 2, s;
		entry_t *ring = malloc(ncap * sizeof(*ring));
		if (!ring) {
			pthread_mutex_unlock(&pt->mu);
			return UINT64_MAX;
		}
		for (s = pt->head; s < pt->tail; s++) {
			ring[s & (ncap - 1)] = pt->ring[s & (pt->cap - 1)];
		}
		free(pt->ring);
		pt->ring = ring;
		pt->cap = ncap;
	}
	seq = pt->tail++;
	pt->busy++;
	pt->ring[seq & (pt->cap - 1)].offset = offset;
	pt->ring[seq & (pt->cap - 1)].pending = 1;
	pthread_mutex_unlock(&pt->mu);
	return seq;
}

void fs_ptrack_add(fs_ptrack_t *pt, uint64_t seq, int n)
{
	pthread_mutex_lock(&pt->mu);
	pt->ring[seq & (pt->cap - 1)].pending += n;
	pthread_mutex_unlock(&pt->mu);
}

void fs_ptrack_done(fs_ptrack_t *pt, uint64_t seq)
{
	pthread_mutex_lock(&pt->mu);
	if (--pt->ring[seq & (pt->cap - 1)].pending != 0) {
		pthread_mutex_unlock(&pt->mu);
		return;
	}
	pt->busy--;
	if (seq == pt->head) {
		while (pt->head < pt->tail && pt->ring[pt->head & (pt->cap - 1)].pending == 0) {
			pt->watermark = pt->ring[pt->head & (pt->cap - 1)].offset + 1;
			pt->head++;
		}
	}
	pthread_mutex_unlock(&pt->mu);
}

size_t fs_ptrack_inflight(fs_ptrack_t *pt)
{
	size_t n;
	pthread_mutex_lock(&pt->mu);
	n = (size_t)pt->busy;
	pthread_mutex_unlock(&pt->mu);
	return n;
}

void fs_offsets_collect(fs_offsets_t *offs, fs_offsets_fn fn, void *opaque)
{
	fs_ptrack_t *pt;

	pthread_mutex_lock(&offs->mu);
	for (pt = offs->list; pt; pt = pt->next) {
		int64_t w;
		pthread_mutex_lock(&pt->mu);
		w = pt->watermark;
		pthread_mutex_unlock(&pt->mu);
		if (w >= 0 && w != pt->reported) {
			pt->reported = w;
			fn(opaque, pt->topic, pt->partition, w);
		}
	}
	pthread_mutex_unlock(&offs->mu);
}

size_t fs_offsets_inflight(fs_offsets_t *offs)
{
	fs_ptrack_t *pt;
	size_t n = 0;

	pthread_mutex_lock(&offs->mu);
	for (pt = offs->list; pt; pt = pt->next) {
		n += fs_ptrack_inflight(pt);
	}
	pthread_mutex_unlock(&offs->mu);
	return n;
}
