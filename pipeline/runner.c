/*
 * runner: the streaming pipeline behind `feedsense run`.
 *
 * Threads:
 *   main      consumer: polls batches, registers each message with the
 *             offset tracker (in partition order), queues it to the worker
 *             owning its partition, stores the committable watermarks, and
 *             handles rebalances, the summary line and shutdown;
 *   workers   decode, score and produce; one worker per partition keeps
 *             outputs in partition order; a full producer queue blocks the
 *             worker, a full worker queue blocks the consumer: back-pressure
 *             with bounded memory and no drops;
 *   producer  serves delivery reports; an output the broker acknowledged
 *             releases its share of the input message; a failed output is
 *             produced again (a permanent failure of a scored or alert
 *             output sends the input to the dead-letter topic instead).
 *
 * Exactly-once mode replaces the watermark by Kafka transactions: every
 * txn_interval_ms the consumer stops dispatching, waits until the workers
 * are idle, sends the consumed positions to the transaction and commits it.
 */
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "feedsense/broker.h"
#include "feedsense/clock.h"
#include "feedsense/config.h"
#include "feedsense/event.h"
#include "feedsense/ingest.h"
#include "feedsense/log.h"
#include "feedsense/metrics.h"
#include "feedsense/offsets.h"
#include "feedsense/reload.h"
#include "feedsense/runner.h"
#include "feedsense/score.h"

#define CONSUME_BATCH     1024
#define CONSUME_WAIT_MS   10 /* a poll waits at most this long for a batch's first message */
#define LAT_BUCKETS       2000
#define MAX_USER_LEXICONS 16
#define MOD               "run"

typedef struct runner runner_t;

/* One consumed message and the outputs still owed for it. */
typedef struct job {
	rd_kafka_message_t *msg;
	fs_ptrack_t *pt;
	uint64_t seq;
	uint64_t t0_us; /* when it was consumed */
	int64_t ts_ms;  /* its Kafka timestamp, -1 if none (end-to-end latency) */
	runner_t *r;
	atomic_int pending; /* unacknowledged outputs + the worker's hold */
} job_t;

typedef struct wqueue {
	pthread_mutex_t mu;
	pthread_cond_t nonempty, nonfull, idle;
	job_t **ring;
	size_t cap, head, count;
	size_t low;       /* a full queue wakes its pusher once drained to this */
	int push_waiters; /* pushers waiting for room */
	int busy;         /* a job popped and not yet finished */
	int closing;      /* no more jobs: exit when empty */
} wqueue_t;

typedef struct worker {
	pthread_t th;
	runner_t *r;
	wqueue_t q;
	fs_reload_use_t use; /* the engine this worker scores with, and its scratch */
	fs_ingest_t ing;
	fs_buf_t out;
	int started;
} worker_t;

/* An output whose delivery failed, to be produced again. */
typedef struct retry {
	struct retry *next;
	char *topic;
	void *key, *payload;
	size_t key_len, len;
	rd_kafka_headers_t *hdrs;
	job_t *job;
	rd_kafka_resp_err_t err;
	int attempts;
} retry_t;

struct runner {
	const fs_config_t *cfg;
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t *reload_flag; /* SIGHUP */
	fs_reload_t *reload;                /* the current engine, replaced live */
	fs_broker_t *broker;
	rd_kafka_t *consumer, *producer;
	rd_kafka_topic_t *t_scored, *t_alerts, *t_dlq;
	fs_offsets_t *offs;
	fs_metrics_t *metrics; /* NULL: metrics off */
	worker_t *workers;
	int nworkers;
	fs_ingest_opts_t iopts;
	fs_event_fields_t fields;
	int eos;
	size_t max_output; /* the producer's message.max.bytes */
	pthread_t poll_th;
	int poll_started;
	atomic_int poll_stop;
	atomic_int fatal;
	int assigned_once; /* the rebalance callback assigned partitions at least once */
	int cooperative;   /* the assignment strategy is cooperative-sticky (incremental rebalances) */
	/* the same, for the other threads */
	atomic_int working;
	pthread_mutex_t retry_mu;
	retry_t *retries;
	/* counters */
	atomic_ulong consumed, scored, alerts, dlq, acked, produce_failures, retried;
	atomic_ulong rule_limits; /* rules skipped at a PCRE2 limit, over all messages */
	atomic_long lag;
	/* latency from consumption to the last acknowledged output */
	atomic_ulong lat[LAT_BUCKETS];
	atomic_ulong first_us, last_us;
	/* exactly-once: positions dispatched since the last transaction */
	rd_kafka_topic_partition_list_t *positions;
};

/* Latency buckets: 0.1 ms wide up to 100 ms, then 10 ms wide up to 10 s. */
static void lat_record(runner_t *r, uint64_t us)
{
	size_t b = us < 100000 ? us / 100 : 1000 + ((us - 100000) / 10000 < 999 ? (us - 100000) / 10000 : 999);
	atomic_fetch_add(&r->lat[b], 1);
}

static double lat_percentile(runner_t *r, double q)
{
	unsigned long total = 0, seen = 0;
	size_t b;

	for (b = 0; b < LAT_BUCKETS; b++) {
		total += atomic_load(&r->lat[b]);
	}
	if (!total) {
		return 0;
	}
	for (b = 0; b < LAT_BUCKETS; b++) {
		seen += atomic_load(&r->lat[b]);
		if ((double)seen >= q * (double)total) {
			/* upper edge of the bucket, in ms */
			return b < 1000 ? (double)(b + 1) * 0.1 : 100.0 + (double)(b - 999) * 10.0;
		}
	}
	return 10000;
}

/* ------------------------------------------------------------------ */
/* worker queues                                                       */

static int wqueue_init(wqueue_t *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->ring = malloc(cap * sizeof(*q->ring));
	if (!q->ring) {
		return -1;
	}
	q->cap = cap;
	q->low = cap - cap / 4;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->nonempty, NULL);
	pthread_cond_init(&q->nonfull, NULL);
	pthread_cond_init(&q->idle, NULL);
	return 0;
}

static void wqueue_destroy(wqueue_t *q)
{
	if (!q->ring) {
		return;
	}
	free(q->ring);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->nonempty);
	pthread_cond_destroy(&q->nonfull);
	pthread_cond_destroy(&q->idle);
}

/*
 * Blocks while the queue is full: this is the back-pressure on consumption.
 * A blocked pusher is woken once the queue has drained to q->low, not at
 * every pop: woken at every pop, a saturated pipeline would switch threads
 * once per message (the pusher adds one job and blocks again).
 */
static void wqueue_push(wqueue_t *q, job_t *job)
{
	pthread_mutex_lock(&q->mu);
	while (q->count == q->cap) {
		q->push_waiters++;
		pthread_cond_wait(&q->nonfull, &q->mu);
		q->push_waiters--;
	}
	q->ring[(q->head + q->count) % q->cap] = job;
	q->count++;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

/* NULL when closing and drained. Marks the queue busy until wqueue_done(). */
static job_t *wqueue_pop(wqueue_t *q)
{
	job_t *job = NULL;

	pthread_mutex_lock(&q->mu);
	while (!q->count && !q->closing) {
		pthread_cond_wait(&q->nonempty, &q->mu);
	}
	if (q->count) {
		job = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		q->busy = 1;
		if (q->push_waiters && q->count <= q->low) {
			pthread_cond_signal(&q->nonfull);
		}
	}
	pthread_mutex_unlock(&q->mu);
	return job;
}

static void wqueue_done(wqueue_t *q)
{
	pthread_mutex_lock(&q->mu);
	q->busy = 0;
	if (!q->count) {
		pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->mu);
}

static void wqueue_wait_idle(wqueue_t *q)
{
	pthread_mutex_lock(&q->mu);
	while (q->count || q->busy) {
		pthread_cond_wait(&q->idle, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
}

static void wqueue_close(wqueue_t *q)
{
	pthread_mutex_lock(&q->mu);
	q->closing = 1;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

/* ------------------------------------------------------------------ */
/* jobs and outputs                                                    */

static void job_release(job_t *job)
{
	if (atomic_fetch_sub(&job->pending, 1) == 1) {
		uint64_t t = fs_mono_us();
		if (job->pt) {
			fs_ptrack_done(job->pt, job->seq);
		}
		lat_record(job->r, t - job->t0_us);
		atomic_store(&job->r->last_us, t);
		fs_metrics_done(job->r->metrics, job->ts_ms);
		free(job);
	}
}

static void retry_free(retry_t *rt)
{
	if (rt->hdrs) {
		rd_kafka_headers_destroy(rt->hdrs);
	}
	free(rt->topic);
	free(rt->key);
	free(rt->payload);
	free(rt);
}

/*
 * Keep a copy of an output that could not be delivered, for the producer
 * thread to produce again. Takes ownership of @p hdrs. Returns 0, or -1
 * when memory ran out (the runner is then marked fatal: nothing is committed
 * past the lost output).
 */
static int keep_retry(runner_t *r, const char *topic, const void *key, size_t key_len, const void *payload, size_t len,
		      rd_kafka_headers_t *hdrs, job_t *job, rd_kafka_resp_err_t err)
{
	retry_t *rt = calloc(1, sizeof(*rt));

	if (rt) {
		rt->hdrs = hdrs;
		rt->topic = strdup(topic);
		rt->key = key_len ? malloc(key_len) : NULL;
		rt->payload = malloc(len ? len : 1);
	}
	if (!rt || !rt->topic || !rt->payload || (key_len && !rt->key)) {
		fs_log(FS_LOG_ERROR, MOD, "out of memory keeping a failed output");
		atomic_store(&r->fatal, 1);
		if (rt) {
			retry_free(rt);
		} else if (hdrs) {
			rd_kafka_headers_destroy(hdrs);
		}
		return -1;
	}
	if (key_len) {
		memcpy(rt->key, key, key_len);
	}
	memcpy(rt->payload, payload, len);
	rt->key_len = key_len;
	rt->len = len;
	rt->job = job;
	rt->err = err;
	pthread_mutex_lock(&r->retry_mu);
	rt->next = r->retries;
	r->retries = rt;
	pthread_mutex_unlock(&r->retry_mu);
	return 0;
}

/*
 * Produce one output for @p job. Takes ownership of @p hdrs. Waits while
 * the producer queue is full. Returns 0, or -1 after a non-queue error (the
 * output is then handed to the retry list so nothing is dropped).
 *
 * Queue space comes back only when delivery reports are served. A worker
 * (@p poller 0) blocks in librdkafka while the producer thread serves them;
 * the thread that serves them (@p poller 1: retries) must never block, or it
 * waits for itself for ever: it serves the reports while it waits instead.
 */
static int produce(runner_t *r, rd_kafka_topic_t *rkt, const void *key, size_t key_len, const void *payload, size_t len,
		   rd_kafka_headers_t *hdrs, job_t *job, int poller)
{
	rd_kafka_resp_err_t err;

	atomic_fetch_add(&job->pending, 1);
	for (;;) {
		err = rd_kafka_producev(r->producer, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_KEY(key, key_len),
					RD_KAFKA_V_VALUE((void *)payload, len), RD_KAFKA_V_HEADERS(hdrs),
					RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY | (poller ? 0 : RD_KAFKA_MSG_F_BLOCK)),
					RD_KAFKA_V_OPAQUE(job), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			break;
		}
		if (poller) {
			rd_kafka_poll(r->producer, 10);
		} else {
			usleep(1000);
		}
	}
	if (!err) {
		return 0;
	}
	/* not queued: keep it for the producer thread to try again */
	if (keep_retry(r, rd_kafka_topic_name(rkt), key, key_len, payload, len, hdrs, job, err) == 0) {
		fs_log(FS_LOG_WARN, MOD, "produce to %s failed (%s), will retry", rd_kafka_topic_name(rkt),
		       rd_kafka_err2str(err));
	}
	return -1;
}

static rd_kafka_headers_t *copy_headers(const rd_kafka_message_t *msg)
{
	rd_kafka_headers_t *in = NULL;

	if (rd_kafka_message_headers(msg, &in) == RD_KAFKA_RESP_ERR_NO_ERROR && in) {
		return rd_kafka_headers_copy(in);
	}
	return rd_kafka_headers_new(6);
}

static void dead_letter(runner_t *r, job_t *job, fs_err_t err, const char *errmsg, size_t errpos)
{
	const rd_kafka_message_t *msg = job->msg;
	rd_kafka_headers_t *hdrs = copy_headers(msg);
	char num[32];

	rd_kafka_header_add(hdrs, "feedsense.error.class", -1, fs_err2class(err), -1);
	rd_kafka_header_add(hdrs, "feedsense.error.message", -1, errmsg, -1);
	rd_kafka_header_add(hdrs, "feedsense.source.topic", -1, rd_kafka_topic_name(msg->rkt), -1);
	snprintf(num, sizeof(num), "%d", (int)msg->partition);
	rd_kafka_header_add(hdrs, "feedsense.source.partition", -1, num, -1);
	snprintf(num, sizeof(num), "%lld", (long long)msg->offset);
	rd_kafka_header_add(hdrs, "feedsense.source.offset", -1, num, -1);
	if (errpos != SIZE_MAX) {
		snprintf(num, sizeof(num), "%zu", errpos);
		rd_kafka_header_add(hdrs, "feedsense.error.position", -1, num, -1);
	}
	atomic_fetch_add(&r->dlq, 1);
	fs_log(FS_LOG_DEBUG, MOD, "dead-letter %s [%d] @%lld: %s: %s", rd_kafka_topic_name(msg->rkt),
	       (int)msg->partition, (long long)msg->offset, fs_err2class(err), errmsg);
	produce(r, r->t_dlq, msg->key, msg->key_len, msg->payload, msg->len, hdrs, job, 0);
}

static int wants_alert(const runner_t *r, uint32_t alert_flags, const fs_result_t *res, const char **why)
{
	if (res->flags & alert_flags) {
		*why = "flag";
		return 1;
	}
	if (res->label == FS_LABEL_NEGATIVE && res->compound <= r->cfg->alert_below) {
		*why = "negative";
		return 1;
	}
	return 0;
}

static void process(worker_t *w, job_t *job)
{
	runner_t *r = w->r;
	const rd_kafka_message_t *msg = job->msg;
	const fs_result_t *res;
	fs_event_in_t in;
	fs_event_source_t src;
	rd_kafka_timestamp_type_t tstype;
	char errstr[512];
	size_t errpos = SIZE_MAX;
	fs_err_t err;
	const char *why = NULL;

	if (r->cfg->passthrough) {
		produce(r, r->t_scored, msg->key, msg->key_len, msg->payload, msg->len, copy_headers(msg), job, 0);
		atomic_fetch_add(&r->scored, 1);
		return;
	}
	err = fs_ingest_decode(&w->ing, &r->iopts, msg->payload, msg->len, &in, &errpos, errstr, sizeof(errstr));
	/* live reload: a message is scored wholly with the set current when it starts */
	if (err == FS_OK && fs_reload_use_refresh(r->reload, &w->use) != 0 && !w->use.ref) {
		fs_event_in_clear(&in);
		dead_letter(r, job, FS_ERR_NOMEM, "out of memory for a scratch", SIZE_MAX);
		return;
	}
	if (err == FS_OK) {
		err = fs_score(w->use.engine, w->use.scr, in.text, in.text_len, &res, &errpos);
		if (err != FS_OK) {
			snprintf(errstr, sizeof(errstr), "%s", fs_err2str(err));
		}
	}
	if (err != FS_OK) {
		fs_event_in_clear(&in);
		dead_letter(r, job, err, errstr, errpos);
		return;
	}
	fs_metrics_scored(r->metrics, w->use.engine, w->use.gen, res);
	src.topic = rd_kafka_topic_name(msg->rkt);
	src.partition = msg->partition;
	src.offset = msg->offset;
	src.timestamp_ms = rd_kafka_message_timestamp(msg, &tstype);
	fs_buf_reset(&w->out);
	fs_event_write_scored(&w->out, w->use.engine, res, &in, r->iopts.text_field, &src);
	fs_event_in_clear(&in);
	if (w->out.oom) {
		dead_letter(r, job, FS_ERR_NOMEM, "out of memory writing the event", SIZE_MAX);
		return;
	}
	if (w->out.len > r->max_output) {
		/* it could never be written: the input goes to the dead letters, whole */
		snprintf(errstr, sizeof(errstr), "scored event of %zu bytes exceeds the %zu-byte output limit",
			 w->out.len, r->max_output);
		dead_letter(r, job, FS_ERR_TOO_LARGE, errstr, SIZE_MAX);
		return;
	}
	produce(r, r->t_scored, msg->key, msg->key_len, w->out.p, w->out.len, copy_headers(msg), job, 0);
	atomic_fetch_add(&r->scored, 1);
	if (res->limit_hits) {
		atomic_fetch_add(&r->rule_limits, res->limit_hits);
	}
	if (r->t_alerts && wants_alert(r, fs_reload_ref_alert_flags(w->use.ref), res, &why)) {
		rd_kafka_headers_t *hdrs = copy_headers(msg);
		rd_kafka_header_add(hdrs, "feedsense.alert.reason", -1, why, -1);
		produce(r, r->t_alerts, msg->key, msg->key_len, w->out.p, w->out.len, hdrs, job, 0);
		atomic_fetch_add(&r->alerts, 1);
	}
}

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	job_t *job;

	while ((job = wqueue_pop(&w->q))) {
		int slot = FS_METRICS_SLOT_WORKER((int)(w - w->r->workers));
		uint64_t t0 = fs_metrics_work_begin(w->r->metrics, slot);
		process(w, job);
		fs_metrics_work_end(w->r->metrics, slot, t0);
		rd_kafka_message_destroy(job->msg);
		job->msg = NULL;
		job_release(job); /* the worker's hold */
		wqueue_done(&w->q);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* producer thread: delivery reports and retries                       */

static int permanent(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_INVALID_MSG:
	case RD_KAFKA_RESP_ERR__INVALID_ARG: return 1;
	default: return 0;
	}
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	runner_t *r = opaque;
	job_t *job = rkm->_private;
	rd_kafka_headers_t *hdrs = NULL;

	(void)rk;
	if (!rkm->err) {
		atomic_fetch_add(&r->acked, 1);
		fs_metrics_delivered(r->metrics, rkm);
		job_release(job);
		return;
	}
	atomic_fetch_add(&r->produce_failures, 1);
	fs_metrics_produce_failed(r->metrics);
	if (r->eos) {
		/* the transaction cannot commit: it is aborted and its input re-read */
		fs_log(FS_LOG_WARN, MOD, "delivery to %s failed in a transaction: %s", rd_kafka_topic_name(rkm->rkt),
		       rd_kafka_err2str(rkm->err));
		job_release(job);
		return;
	}
	rd_kafka_message_detach_headers((rd_kafka_message_t *)rkm, &hdrs);
	if (keep_retry(r, rd_kafka_topic_name(rkm->rkt), rkm->key, rkm->key_len, rkm->payload, rkm->len, hdrs, job,
		       rkm->err) != 0) {
		return;
	}
	fs_log(FS_LOG_WARN, MOD, "delivery to %s failed: %s; producing it again", rd_kafka_topic_name(rkm->rkt),
	       rd_kafka_err2str(rkm->err));
}

/* Produce the failed outputs again. Returns how many were pending. */
static int run_retries(runner_t *r)
{
	retry_t *list, *rt, *next;
	int n = 0;

	pthread_mutex_lock(&r->retry_mu);
	list = r->retries;
	r->retries = NULL;
	pthread_mutex_unlock(&r->retry_mu);
	for (rt = list; rt; rt = next) {
		rd_kafka_topic_t *rkt = r->t_scored;
		rd_kafka_headers_t *hdrs = rt->hdrs;
		next = rt->next;
		n++;
		if (!strcmp(rt->topic, rd_kafka_topic_name(r->t_dlq))) {
			rkt = r->t_dlq;
		} else if (r->t_alerts && !strcmp(rt->topic, rd_kafka_topic_name(r->t_alerts))) {
			rkt = r->t_alerts;
		}
		if (permanent(rt->err) && rkt == r->t_dlq) {
			if (rt->len == 0) {
				/* not even the headers alone can be written: give up on this one */
				fs_log(FS_LOG_ERROR, MOD, "dead letter cannot be written (%s): dropped",
				       rd_kafka_err2str(rt->err));
				rt->hdrs = hdrs;
				job_release(rt->job);
				retry_free(rt);
				continue;
			}
			/* the dead letter itself is refused: keep its headers (error class,
			 * source topic, partition and offset of the original) without the payload */
			{
				char num[32];
				snprintf(num, sizeof(num), "%zu", rt->len);
				if (!hdrs) {
					hdrs = rd_kafka_headers_new(2);
				}
				rd_kafka_header_add(hdrs, "feedsense.payload.dropped", -1, num, -1);
				rt->len = 0;
			}
		} else if (permanent(rt->err)) {
			/* the output can never be written: dead-letter it (the input is not
			 * kept once scored; the scored event names its source position) */
			char msg[256];
			if (!hdrs) {
				hdrs = rd_kafka_headers_new(4);
			}
			snprintf(msg, sizeof(msg), "producing to %s failed: %s", rt->topic, rd_kafka_err2str(rt->err));
			rd_kafka_header_add(hdrs, "feedsense.error.class", -1, "produce_failed", -1);
			rd_kafka_header_add(hdrs, "feedsense.error.message", -1, msg, -1);
			rkt = r->t_dlq;
			atomic_fetch_add(&r->dlq, 1);
		}
		rt->hdrs = NULL;
		atomic_fetch_add(&r->retried, 1);
		/* produce() takes a new share; release the failed one afterwards */
		produce(r, rkt, rt->key, rt->key_len, rt->payload, rt->len, hdrs, rt->job, 1);
		job_release(rt->job);
		retry_free(rt);
	}
	return n;
}

static void *poll_main(void *arg)
{
	runner_t *r = arg;

	while (!atomic_load(&r->poll_stop)) {
		fs_metrics_alive(r->metrics, FS_METRICS_SLOT_POLLER);
		rd_kafka_poll(r->producer, 50);
		if (run_retries(r)) {
			usleep(100 * 1000); /* back off a little while the broker recovers */
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* callbacks                                                           */

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	runner_t *r = opaque;
	const char *why;
	char buf[512];

	fs_metrics_kafka_error(r->metrics, err);
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, buf, sizeof(buf));
		fs_log(FS_LOG_ERROR, MOD, "fatal Kafka error in %s: %s", rd_kafka_name(rk), buf);
		atomic_store(&r->fatal, 1);
		*r->stop = 1;
		return;
	}
	/* refused credentials or an untrusted broker certificate, at any time,
	 * and any TLS or SASL failure before the pipeline ever worked, are
	 * configuration errors, not outages: librdkafka would retry for ever and
	 * no retry can succeed, so stop with the error (transport reasons read
	 * "proto://host:port/id: why", searched past the broker name) */
	why = strstr(reason, ": ");
	why = why ? why : reason;
	if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
	    (err == RD_KAFKA_RESP_ERR__SSL && strstr(reason, "certificate verify failed")) ||
	    (!atomic_load(&r->working) &&
	     (err == RD_KAFKA_RESP_ERR__SSL ||
	      (err == RD_KAFKA_RESP_ERR__TRANSPORT && (strstr(why, "SSL") || strstr(why, "SASL")))))) {
		if (!atomic_exchange(&r->fatal, 1)) {
			fs_log(FS_LOG_ERROR, MOD,
			       "cannot connect to the Kafka cluster: %s: %s: %s: stopping (check security.protocol and "
			       "the ssl.* and sasl.* properties)",
			       rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
		}
		*r->stop = 1;
		return;
	}
	fs_log(err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? FS_LOG_WARN : FS_LOG_INFO, MOD, "%s: %s: %s",
	       rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
	runner_t *r = opaque;
	json_t *root = json_loadb(json, json_len, 0, NULL), *topics, *t, *parts, *p;
	const char *tname, *pname;
	long lag = 0;

	(void)rk;
	if (!root) {
		return 0;
	}
	topics = json_object_get(root, "topics");
	json_object_foreach(topics, tname, t)
	{
		parts = json_object_get(t, "partitions");
		json_object_foreach(parts, pname, p)
		{
			json_int_t l = json_integer_value(json_object_get(p, "consumer_lag"));
			if (strcmp(pname, "-1") != 0 && l > 0) {
				lag += (long)l;
			}
		}
	}
	atomic_store(&r->lag, lag);
	json_decref(root);
	fs_metrics_kafka_stats(r->metrics, json, json_len);
	return 0;
}

static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
			     void *opaque)
{
	runner_t *r = opaque;

	(void)rk;
	(void)offsets;
	fs_metrics_committed(r->metrics, err);
}

typedef struct store_ctx {
	rd_kafka_topic_partition_list_t *list;
} store_ctx_t;

static void collect_one(void *opaque, const char *topic, int32_t partition, int64_t offset)
{
	store_ctx_t *c = opaque;
	rd_kafka_topic_partition_list_add(c->list, topic, partition)->offset = offset;
}

/* Store every advanced watermark; auto-commit sends them to the broker. */
static void store_offsets(runner_t *r)
{
	store_ctx_t c;
	rd_kafka_resp_err_t err;

	c.list = rd_kafka_topic_partition_list_new(16);
	fs_offsets_collect(r->offs, collect_one, &c);
	if (c.list->cnt) {
		err = rd_kafka_offsets_store(r->consumer, c.list);
		if (err && err != RD_KAFKA_RESP_ERR__STATE) {
			fs_log(FS_LOG_WARN, MOD, "storing offsets: %s", rd_kafka_err2str(err));
		}
	}
	rd_kafka_topic_partition_list_destroy(c.list);
}

/* Wait until no message of @p parts (NULL: all) is in flight. */
static int drain(runner_t *r, const rd_kafka_topic_partition_list_t *parts, double timeout_s)
{
	double deadline = fs_mono_s() + timeout_s;
	int i;

	for (;;) {
		size_t inflight = 0;
		if (!parts) {
			inflight = fs_offsets_inflight(r->offs);
		} else {
			for (i = 0; i < parts->cnt; i++) {
				fs_ptrack_t *pt =
				    fs_offsets_partition(r->offs, parts->elems[i].topic, parts->elems[i].partition);
				inflight += pt ? fs_ptrack_inflight(pt) : 0;
			}
		}
		if (!inflight) {
			return 0;
		}
		if (fs_mono_s() > deadline) {
			fs_log(FS_LOG_WARN, MOD, "%zu messages still in flight after %.0f s", inflight, timeout_s);
			return -1;
		}
		usleep(2000);
	}
}

static void commit_sync(runner_t *r)
{
	rd_kafka_resp_err_t err;

	store_offsets(r);
	err = rd_kafka_commit(r->consumer, NULL, 0);
	if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		fs_log(FS_LOG_WARN, MOD, "commit: %s", rd_kafka_err2str(err));
	}
}

static void eos_commit(runner_t *r);

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	runner_t *r = opaque;
	/* not rd_kafka_rebalance_protocol(): called from this callback while
	 * rd_kafka_consumer_close() runs, it waits for the group thread that
	 * waits for the close (a deadlock seen with librdkafka 2.0.2) */
	int cooperative = r->cooperative;
	rd_kafka_error_t *error = NULL;
	int i;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		fs_log(FS_LOG_INFO, MOD, "assigned %d partition(s)", parts->cnt);
		r->assigned_once = 1;
		atomic_store(&r->working, 1);
		if (cooperative) {
			error = rd_kafka_incremental_assign(rk, parts);
		} else {
			rd_kafka_assign(rk, parts);
		}
		fs_metrics_rebalanced(r->metrics, rk, 1);
	} else {
		int lost = rd_kafka_assignment_lost(rk);
		fs_log(FS_LOG_INFO, MOD, "%s %d partition(s): finishing their in-flight messages",
		       lost ? "lost" : "revoked", parts->cnt);
		if (r->eos) {
			eos_commit(r);
		} else {
			drain(r, parts, (double)r->cfg->shutdown_timeout_ms / 1000.0);
			if (!lost) {
				commit_sync(r);
			}
		}
		for (i = 0; i < parts->cnt; i++) {
			/* a tracker still referenced by unfinished messages (the drain
			 * timed out) is kept: their delivery reports still land in it */
			fs_ptrack_t *pt =
			    fs_offsets_partition(r->offs, parts->elems[i].topic, parts->elems[i].partition);
			if (pt && fs_ptrack_inflight(pt) == 0) {
				fs_offsets_forget(r->offs, parts->elems[i].topic, parts->elems[i].partition);
			}
		}
		if (cooperative) {
			error = rd_kafka_incremental_unassign(rk, parts);
		} else {
			rd_kafka_assign(rk, NULL);
		}
		fs_metrics_rebalanced(r->metrics, rk, 0);
	}
	if (error) {
		fs_log(FS_LOG_ERROR, MOD, "rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
}

/* ------------------------------------------------------------------ */
/* exactly-once                                                        */

static void wait_workers_idle(runner_t *r)
{
	int i;
	for (i = 0; i < r->nworkers; i++) {
		wqueue_wait_idle(&r->workers[i].q);
	}
}

/* Commit the open transaction with the positions dispatched so far, then
 * begin the next one. On an abortable error, abort and rewind the consumer
 * to the last committed positions so the batch is processed again. */
static void eos_commit(runner_t *r)
{
	rd_kafka_consumer_group_metadata_t *cgmd;
	rd_kafka_error_t *error;

	wait_workers_idle(r);
	cgmd = rd_kafka_consumer_group_metadata(r->consumer);
	error = r->positions->cnt ? rd_kafka_send_offsets_to_transaction(r->producer, r->positions, cgmd, -1) : NULL;
	rd_kafka_consumer_group_metadata_destroy(cgmd);
	if (!error) {
		error = rd_kafka_commit_transaction(r->producer, -1);
	}
	fs_metrics_committed(r->metrics, error ? (int)rd_kafka_error_code(error) : 0);
	if (error) {
		int abortable = rd_kafka_error_txn_requires_abort(error);
		fs_log(abortable ? FS_LOG_WARN : FS_LOG_ERROR, MOD, "transaction commit: %s",
		       rd_kafka_error_string(error));
		if (rd_kafka_error_is_fatal(error) || !abortable) {
			if (rd_kafka_error_is_fatal(error)) {
				atomic_store(&r->fatal, 1);
				*r->stop = 1;
			}
			rd_kafka_error_destroy(error);
			return;
		}
		rd_kafka_error_destroy(error);
		error = rd_kafka_abort_transaction(r->producer, -1);
		if (error) {
			fs_log(FS_LOG_ERROR, MOD, "transaction abort: %s", rd_kafka_error_string(error));
			rd_kafka_error_destroy(error);
			atomic_store(&r->fatal, 1);
			*r->stop = 1;
			return;
		}
		/* rewind: re-read everything after the last committed offsets */
		{
			rd_kafka_topic_partition_list_t *assignment = NULL;
			if (!rd_kafka_assignment(r->consumer, &assignment) && assignment) {
				if (!rd_kafka_committed(r->consumer, assignment, 10000)) {
					int i;
					for (i = 0; i < assignment->cnt; i++) {
						rd_kafka_topic_partition_t *p = &assignment->elems[i];
						rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->consumer, p->topic, NULL);
						rd_kafka_seek(rkt, p->partition,
							      p->offset < 0 ? RD_KAFKA_OFFSET_BEGINNING : p->offset,
							      10000);
						rd_kafka_topic_destroy(rkt);
					}
				}
				rd_kafka_topic_partition_list_destroy(assignment);
			}
		}
	}
	rd_kafka_topic_partition_list_destroy(r->positions);
	r->positions = rd_kafka_topic_partition_list_new(16);
	if (!*r->stop) {
		error = rd_kafka_begin_transaction(r->producer);
		if (error) {
			fs_log(FS_LOG_ERROR, MOD, "begin transaction: %s", rd_kafka_error_string(error));
			rd_kafka_error_destroy(error);
			atomic_store(&r->fatal, 1);
			*r->stop = 1;
		}
	}
}

/* ------------------------------------------------------------------ */
/* setup                                                               */

static rd_kafka_t *make_client(runner_t *r, rd_kafka_type_t type, const char *bootstraps)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const fs_config_t *cfg = r->cfg;
	char es[1024], txid[512], num[32];
	rd_kafka_t *rk;
	int rc = 0;
	int64_t stats_ms = cfg->summary_interval_ms;

	rc |= fs_config_kafka_default(conf, "bootstrap.servers", bootstraps, MOD);
	rd_kafka_conf_set_opaque(conf, r);
	rd_kafka_conf_set_log_cb(conf,
				 (void (*)(const rd_kafka_t *, int, const char *, const char *))fs_log_rdkafka_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	if (type == RD_KAFKA_CONSUMER) {
		rc |= fs_config_kafka_default(conf, "client.id", "feedsense-consumer", MOD);
		rc |= fs_config_kafka_default(conf, "group.id", cfg->group, MOD);
		rc |= fs_config_kafka_default(conf, "enable.auto.offset.store", "false", MOD);
		rc |= fs_config_kafka_default(conf, "enable.auto.commit", r->eos ? "false" : "true", MOD);
		rc |= fs_config_kafka_default(conf, "auto.commit.interval.ms", "1000", MOD);
		rc |= fs_config_kafka_default(conf, "auto.offset.reset", "earliest", MOD);
		rc |= fs_config_kafka_default(conf, "partition.assignment.strategy", "cooperative-sticky", MOD);
		rc |= fs_config_kafka_default(conf, "queued.min.messages", "200000", MOD);
		rc |= fs_config_kafka_default(conf, "fetch.wait.max.ms", "10", MOD); /* low latency below saturation */
		if (r->eos) {
			rc |= fs_config_kafka_default(conf, "isolation.level", "read_committed", MOD);
		}
		if (r->metrics && (stats_ms <= 0 || stats_ms > FS_METRICS_STATS_INTERVAL_MS)) {
			stats_ms = FS_METRICS_STATS_INTERVAL_MS; /* lag and broker states for the metrics */
		}
		if (stats_ms > 0) {
			snprintf(num, sizeof(num), "%lld", (long long)stats_ms);
			rc |= fs_config_kafka_default(conf, "statistics.interval.ms", num, MOD);
			rd_kafka_conf_set_stats_cb(conf, stats_cb);
		}
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
		rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
	} else {
		rc |= fs_config_kafka_default(conf, "client.id", "feedsense-producer", MOD);
		rc |= fs_config_kafka_default(conf, "enable.idempotence", "true", MOD);
		rc |= fs_config_kafka_default(conf, "linger.ms", "5", MOD);
		rc |= fs_config_kafka_default(conf, "batch.num.messages", "10000", MOD);
		rc |= fs_config_kafka_default(conf, "queue.buffering.max.messages", "500000", MOD);
		rc |= fs_config_kafka_default(conf, "queue.buffering.max.kbytes", "262144", MOD);
		/* a dead letter carries a whole input, up to input.max_message_bytes */
		snprintf(num, sizeof(num), "%lld", (long long)cfg->max_message_bytes + 65536);
		rc |= fs_config_kafka_default(conf, "message.max.bytes", num, MOD);
		if (r->eos) {
			snprintf(txid, sizeof(txid), "%s", cfg->transactional_id ? cfg->transactional_id : "");
			if (!*txid) { /* one per instance: members of a group must not fence each other */
				char host[128] = "";
				if (gethostname(host, sizeof(host) - 1) != 0 || !*host) {
					snprintf(host, sizeof(host), "pid%ld", (long)getpid());
				}
				snprintf(txid, sizeof(txid), "feedsense-%s-%s", cfg->group, host);
			}
			rc |= fs_config_kafka_default(conf, "transactional.id", txid, MOD);
		}
		rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	}
	if (rc) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (fs_config_kafka_conf(cfg, type == RD_KAFKA_CONSUMER ? 1 : 2, conf, es, sizeof(es)) != FS_OK) {
		fs_log(FS_LOG_ERROR, MOD, "%s", es);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (type == RD_KAFKA_CONSUMER) { /* the protocol follows from the strategy, which may be overridden */
		char strategy[256];
		size_t slen = sizeof(strategy);
		r->cooperative =
		    rd_kafka_conf_get(conf, "partition.assignment.strategy", strategy, &slen) == RD_KAFKA_CONF_OK &&
		    strstr(strategy, "cooperative-sticky") != NULL;
	}
	rk = rd_kafka_new(type, conf, es, sizeof(es));
	if (!rk) {
		fs_log(FS_LOG_ERROR, MOD, "cannot create the Kafka %s: %s",
		       type == RD_KAFKA_CONSUMER ? "consumer" : "producer", es);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

static int subscribe(runner_t *r)
{
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(4);
	char *list = strdup(r->cfg->input_topics), *tok, *save = NULL;
	rd_kafka_resp_err_t err;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ') {
			tok++;
		}
		if (*tok) {
			rd_kafka_topic_partition_list_add(topics, tok, RD_KAFKA_PARTITION_UA);
		}
	}
	free(list);
	err = rd_kafka_subscribe(r->consumer, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (err) {
		fs_log(FS_LOG_ERROR, MOD, "subscribe to %s: %s", r->cfg->input_topics, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

static void summary(runner_t *r, double *last_t, unsigned long *last_in, unsigned long *last_out)
{
	double t = fs_mono_s(), dt = t - *last_t;
	unsigned long in = atomic_load(&r->consumed), out = atomic_load(&r->acked);

	fs_log(
	    FS_LOG_INFO, "summary",
	    "in %.0f msg/s, out %.0f msg/s | consumed %lu, scored %lu, alerts %lu, dlq %lu | in flight %zu, lag %ld, "
	    "retried %lu, rule limit hits %lu",
	    dt > 0 ? (double)(in - *last_in) / dt : 0.0, dt > 0 ? (double)(out - *last_out) / dt : 0.0, in,
	    atomic_load(&r->scored), atomic_load(&r->alerts), atomic_load(&r->dlq), fs_offsets_inflight(r->offs),
	    atomic_load(&r->lag), atomic_load(&r->retried), atomic_load(&r->rule_limits));
	*last_t = t;
	*last_in = in;
	*last_out = out;
}

/* Final figures: throughput from first consumption to last acknowledgement,
 * latency percentiles and peak RSS. */
static void report(runner_t *r)
{
	struct rusage ru;
	uint64_t first = atomic_load(&r->first_us), last = atomic_load(&r->last_us);
	unsigned long n = atomic_load(&r->consumed);
	double dt = last > first ? (double)(last - first) / 1e6 : 0;

	getrusage(RUSAGE_SELF, &ru);
	fs_log(FS_LOG_INFO, "summary",
	       "total: %lu messages in %.2f s: %.0f msg/s; latency (consume to acknowledged output) p50 %.1f ms, "
	       "p99 %.1f ms; peak RSS %.1f MB; rule limit hits %lu",
	       n, dt, dt > 0 ? (double)n / dt : 0.0, lat_percentile(r, 0.50), lat_percentile(r, 0.99),
	       (double)ru.ru_maxrss / 1024.0, atomic_load(&r->rule_limits));
}

/* Load the first engine; the reloader replaces it on SIGHUP or, with
 * scoring.watch, when the lexicon files change (see reload.h). */
static int load_engine(runner_t *r)
{
	const fs_config_t *cfg = r->cfg;
	const char *user[MAX_USER_LEXICONS];
	fs_reload_opts_t ropts;
	fs_reload_stats_t st;
	char errstr[1024], *list = NULL, *tok, *save = NULL;
	fs_err_t err;

	fs_reload_opts_init(&ropts);
	if (cfg->lexicons && *cfg->lexicons) {
		ropts.engine.lexicon_dir = cfg->lexicons;
	} else if (getenv("FEEDSENSE_LEXICONS")) {
		ropts.engine.lexicon_dir = getenv("FEEDSENSE_LEXICONS");
	}
	ropts.engine.pos_threshold = cfg->pos_threshold;
	ropts.engine.neg_threshold = cfg->neg_threshold;
	ropts.engine.match_limit = (uint32_t)cfg->match_limit;
	ropts.engine.user_lexicons = user;
	if (cfg->user_lexicons && *cfg->user_lexicons) {
		list = strdup(cfg->user_lexicons);
		for (tok = strtok_r(list, ",", &save); tok && ropts.engine.n_user_lexicons < MAX_USER_LEXICONS;
		     tok = strtok_r(NULL, ",", &save)) {
			user[ropts.engine.n_user_lexicons++] = tok;
		}
	}
	ropts.alert_flags = cfg->alert_flags;
	ropts.watch = cfg->watch;
	err = fs_reload_new(&ropts, &r->reload, errstr, sizeof(errstr)); /* copies the options */
	free(list);
	if (err != FS_OK) {
		fs_log(FS_LOG_ERROR, MOD, "%s", errstr);
		return -1;
	}
	fs_reload_stats(r->reload, &st);
	fs_log(FS_LOG_INFO, MOD, "lexicons %s loaded from %s%s", st.version,
	       ropts.engine.lexicon_dir ? ropts.engine.lexicon_dir : FS_DEFAULT_LEXICON_DIR,
	       cfg->watch ? " (watched: changes reload it)" : "");
	return 0;
}

/* Hand one consumed message to its partition's worker (always the same
 * worker for a partition: the order of a partition is kept). */
static void dispatch(runner_t *r, rd_kafka_message_t *msg)
{
	const fs_config_t *cfg = r->cfg;
	job_t *job;
	unsigned h;

	if (cfg->max_messages > 0 && (int64_t)atomic_load(&r->consumed) >= cfg->max_messages) {
		/* past the limit: left uncommitted for the next run */
		rd_kafka_message_destroy(msg);
		return;
	}
	if (msg->err) {
		if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			fs_log(FS_LOG_WARN, MOD, "consumer: %s", rd_kafka_message_errstr(msg));
		}
		rd_kafka_message_destroy(msg);
		return;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		fs_log(FS_LOG_ERROR, MOD, "out of memory");
		atomic_store(&r->fatal, 1);
		rd_kafka_message_destroy(msg);
		return;
	}
	job->msg = msg;
	job->r = r;
	job->t0_us = fs_mono_us();
	job->ts_ms = rd_kafka_message_timestamp(msg, NULL);
	if (!atomic_load(&r->first_us)) {
		atomic_store(&r->first_us, job->t0_us);
	}
	atomic_init(&job->pending, 1);
	if (!r->eos) {
		job->pt = fs_offsets_partition(r->offs, rd_kafka_topic_name(msg->rkt), msg->partition);
		job->seq = job->pt ? fs_ptrack_begin(job->pt, msg->offset) : UINT64_MAX;
		if (job->seq == UINT64_MAX) {
			fs_log(FS_LOG_ERROR, MOD, "out of memory");
			atomic_store(&r->fatal, 1);
			job->pt = NULL;
		}
	} else {
		rd_kafka_topic_partition_t *p =
		    rd_kafka_topic_partition_list_find(r->positions, rd_kafka_topic_name(msg->rkt), msg->partition);
		if (!p) {
			p = rd_kafka_topic_partition_list_add(r->positions, rd_kafka_topic_name(msg->rkt),
							      msg->partition);
		}
		p->offset = msg->offset + 1;
	}
	atomic_fetch_add(&r->consumed, 1);
	fs_metrics_consumed(r->metrics);
	h = (unsigned)msg->partition * 2654435761u;
	h ^= (unsigned)(uintptr_t)msg->rkt >> 4;
	wqueue_push(&r->workers[h % (unsigned)r->nworkers].q, job);
}

int fs_runner_run(const fs_config_t *cfg, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	runner_t rr, *r = &rr;
	const char *bootstraps = cfg->brokers;
	double last_summary = fs_mono_s(), last_txn = fs_mono_s(), last_lexicon = 0;
	unsigned long last_in = 0, last_out = 0;
	char errstr[512];
	int i, status = 1, joined = 0;
	long ncores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->stop = stop;
	r->reload_flag = reload;
	r->eos = cfg->guarantee == FS_EXACTLY_ONCE;
	pthread_mutex_init(&r->retry_mu, NULL);
	r->iopts.format = cfg->format;
	r->iopts.text_field = cfg->text_field;
	r->fields.text = cfg->text_field;
	r->fields.id = cfg->id_field;
	r->fields.timestamp = cfg->timestamp_field;
	r->fields.channel = cfg->channel_field;
	r->fields.customer = cfg->customer_field;
	r->fields.locale = cfg->locale_field;
	r->fields.rating = cfg->rating_field;
	r->iopts.fields = &r->fields;
	r->iopts.max_text_bytes = (size_t)cfg->max_text_bytes;
	r->iopts.max_message_bytes = (size_t)cfg->max_message_bytes;
	r->positions = rd_kafka_topic_partition_list_new(16);
	r->offs = fs_offsets_new();
	if (!r->offs || load_engine(r) != 0) {
		goto out;
	}
	r->nworkers = cfg->workers > 0 ? cfg->workers : (ncores > 0 ? (int)ncores : 1);
	{
		fs_reload_ref_t *ref = fs_reload_acquire(r->reload);
		r->metrics =
		    fs_metrics_start(cfg, fs_reload_ref_engine(ref), fs_reload_ref_generation(ref), r->nworkers);
		fs_reload_ref_release(ref);
	}
	if (!bootstraps || !*bootstraps) {
		if (fs_broker_new(1, NULL, cfg->broker_partitions, &r->broker, errstr, sizeof(errstr)) != FS_OK) {
			fs_log(FS_LOG_ERROR, MOD, "%s", errstr);
			goto out;
		}
		bootstraps = fs_broker_bootstraps(r->broker);
		fs_log(FS_LOG_INFO, MOD,
		       "no Kafka cluster configured: started the embedded broker (in memory, for trials) at %s",
		       bootstraps);
		if (r->eos) {
			fs_log(FS_LOG_WARN, MOD,
			       "exactly-once on the embedded broker: librdkafka's mock cluster does not keep offsets "
			       "committed in transactions nor hide aborted ones; use a real Kafka cluster");
		}
	}
	r->producer = make_client(r, RD_KAFKA_PRODUCER, bootstraps);
	if (r->producer) {
		char v[32];
		size_t vlen = sizeof(v);
		r->max_output =
		    rd_kafka_conf_get(rd_kafka_conf(r->producer), "message.max.bytes", v, &vlen) == RD_KAFKA_CONF_OK
			? (size_t)strtoull(v, NULL, 10) - 4096 /* headers and record overhead */
			: 1000000 - 4096;
	}
	r->consumer = r->producer ? make_client(r, RD_KAFKA_CONSUMER, bootstraps) : NULL;
	if (!r->consumer) {
		goto out;
	}
	if (r->eos) {
		rd_kafka_error_t *error = rd_kafka_init_transactions(r->producer, 30000);
		if (!error) {
			error = rd_kafka_begin_transaction(r->producer);
		}
		if (error) {
			fs_log(FS_LOG_ERROR, MOD, "transactions: %s", rd_kafka_error_string(error));
			rd_kafka_error_destroy(error);
			atomic_store(&r->fatal, 1); /* no transaction to commit at shutdown */
			goto out;
		}
	}
	rd_kafka_poll_set_consumer(r->consumer);
	r->t_scored = rd_kafka_topic_new(r->producer, cfg->scored_topic, NULL);
	r->t_dlq = rd_kafka_topic_new(r->producer, cfg->dlq_topic, NULL);
	if (cfg->alerts_topic && *cfg->alerts_topic) {
		r->t_alerts = rd_kafka_topic_new(r->producer, cfg->alerts_topic, NULL);
	}
	r->workers = calloc((size_t)r->nworkers, sizeof(worker_t));
	if (!r->workers) {
		goto out;
	}
	for (i = 0; i < r->nworkers; i++) {
		worker_t *w = &r->workers[i];
		w->r = r;
		fs_ingest_init(&w->ing);
		if (fs_reload_use_refresh(r->reload, &w->use) != 0 ||
		    wqueue_init(&w->q, (size_t)cfg->queue_size) != 0 ||
		    pthread_create(&w->th, NULL, worker_main, w) != 0) {
			fs_log(FS_LOG_ERROR, MOD, "cannot start worker %d", i);
			goto out;
		}
		w->started = 1;
	}
	if (pthread_create(&r->poll_th, NULL, poll_main, r) != 0) {
		goto out;
	}
	r->poll_started = 1;
	if (subscribe(r) != 0) {
		goto out;
	}
	fs_log(FS_LOG_INFO, MOD, "consuming %s as group %s with %d workers (%s); scored -> %s, alerts -> %s, dlq -> %s",
	       cfg->input_topics, cfg->group, r->nworkers, r->eos ? "exactly-once" : "at-least-once", cfg->scored_topic,
	       r->t_alerts ? cfg->alerts_topic : "(off)", cfg->dlq_topic);

	while (!*stop && !atomic_load(&r->fatal)) {
		rd_kafka_message_t *msg;
		double t;
		int n = 0;

		if (r->reload_flag && *r->reload_flag) {
			*r->reload_flag = 0;
			fs_reload_request(r->reload); /* loaded and swapped on the reloader's thread */
		}
		fs_metrics_alive(r->metrics, FS_METRICS_SLOT_CONSUMER);
		/* One message at a time, each dispatched before the next poll:
		 * rd_kafka_consume_batch_queue() of librdkafka before 2.1.0 skips
		 * offsets when a rebalance happens inside the call (lost messages,
		 * found by tests/kafka/groups.sh), and a rebalance callback served
		 * by the next poll must find every earlier message in flight. */
		while (n < CONSUME_BATCH && !*stop &&
		       (msg = rd_kafka_consumer_poll(r->consumer, n ? 0 : CONSUME_WAIT_MS))) {
			dispatch(r, msg);
			n++;
		}
		if (cfg->max_messages > 0 && (int64_t)atomic_load(&r->consumed) >= cfg->max_messages) {
			fs_log(FS_LOG_INFO, MOD, "consumed %lld messages (pipeline.max_messages): stopping",
			       (long long)cfg->max_messages);
			break;
		}
		t = fs_mono_s();
		if (r->metrics && t - last_lexicon >= 1.0) { /* the set in use and the reload counts, for /metrics */
			fs_reload_stats_t st;
			fs_reload_stats(r->reload, &st);
			fs_metrics_lexicon(r->metrics, st.version, st.reloads_ok, st.reloads_failed,
					   st.reloads_unchanged);
			last_lexicon = t;
		}
		if (r->eos) {
			if ((t - last_txn) * 1000.0 >= (double)cfg->txn_interval_ms) {
				eos_commit(r);
				last_txn = t;
			}
		} else {
			store_offsets(r);
		}
		if (cfg->summary_interval_ms > 0 && (t - last_summary) * 1000.0 >= (double)cfg->summary_interval_ms) {
			summary(r, &last_summary, &last_in, &last_out);
		}
	}
	status = atomic_load(&r->fatal) ? 1 : 0;
	fs_log(FS_LOG_INFO, MOD, "stopping: finishing in-flight messages");

out:
	fs_metrics_stopping(r->metrics);
	/* shutdown: workers drain, producer flushes, offsets commit, consumer closes */
	if (r->workers) {
		for (i = 0; i < r->nworkers; i++) {
			if (r->workers[i].started) {
				wqueue_close(&r->workers[i].q);
			}
		}
		for (i = 0; i < r->nworkers; i++) {
			if (r->workers[i].started) {
				pthread_join(r->workers[i].th, NULL);
			}
		}
	}
	if (r->poll_started) {
		atomic_store(&r->poll_stop, 1);
		pthread_join(r->poll_th, NULL);
	}
	if (r->producer) {
		double deadline = fs_mono_s() + (double)cfg->shutdown_timeout_ms / 1000.0;
		if (r->eos && !atomic_load(&r->fatal) && r->consumer && r->workers) {
			eos_commit(r);
		}
		do {
			if (run_retries(r)) {
				usleep(100 * 1000);
			}
			rd_kafka_flush(r->producer, 500);
		} while ((rd_kafka_outq_len(r->producer) > 0 || r->retries) && fs_mono_s() < deadline);
		{
			int left = rd_kafka_outq_len(r->producer);
			retry_t *rt;
			for (rt = r->retries; rt; rt = rt->next) {
				left++;
			}
			if (left > 0) {
				fs_log(FS_LOG_WARN, MOD,
				       "%d outputs not acknowledged at shutdown: their inputs stay uncommitted", left);
			}
		}
	}
	if (r->consumer) {
		if (!r->eos && !atomic_load(&r->fatal)) {
			commit_sync(r);
		}
		{
			char *member = rd_kafka_memberid(r->consumer);
			joined = member && *member;
			rd_kafka_mem_free(r->consumer, member);
		}
		if (!r->assigned_once && rd_kafka_version() < 0x020300ff) {
			/* librdkafka < 2.3.0: an assignment that arrives while the close
			 * leaves the group trips an assertion in rd_kafka_cgrp_terminated
			 * (or, with the protocol queried there, deadlocks). Nothing was
			 * ever assigned, so nothing is in flight or to commit: leave the
			 * group by its session timeout instead. */
			fs_log(FS_LOG_DEBUG, MOD, "stopped before the first assignment: the consumer is not closed");
		} else {
			rd_kafka_consumer_close(r->consumer);
		}
		if (status == 0) {
			summary(r, &last_summary, &last_in, &last_out);
			report(r);
		}
	}
	if (r->t_scored) {
		rd_kafka_topic_destroy(r->t_scored);
	}
	if (r->t_alerts) {
		rd_kafka_topic_destroy(r->t_alerts);
	}
	if (r->t_dlq) {
		rd_kafka_topic_destroy(r->t_dlq);
	}
	if (r->consumer) {
		/* a consumer refused by the cluster (credentials, certificate) never
		 * joined and is destroyed: left alive, its threads would outlive the
		 * process's exit handlers; one stopped while joining is not (below) */
		if (!r->assigned_once && (joined || !atomic_load(&r->fatal)) && rd_kafka_version() < 0x020300ff) {
			/* librdkafka < 2.3.0 aborts destroying a cooperative-sticky member
			 * that joined but never got its first assignment (librdkafka #4312):
			 * the consumer is closed; leave its memory to the exiting process */
			fs_log(FS_LOG_DEBUG, MOD, "consumer closed before its first assignment: not destroyed");
		} else {
			rd_kafka_destroy(r->consumer);
		}
	}
	if (r->producer) {
		rd_kafka_destroy(r->producer);
	}
	if (r->workers) {
		for (i = 0; i < r->nworkers; i++) {
			fs_reload_use_clear(&r->workers[i].use);
			fs_ingest_free(&r->workers[i].ing);
			fs_buf_free(&r->workers[i].out);
			wqueue_destroy(&r->workers[i].q);
		}
		free(r->workers);
	}
	while (r->retries) {
		retry_t *next = r->retries->next;
		retry_free(r->retries);
		r->retries = next;
	}
	fs_metrics_destroy(r->metrics);
	fs_broker_destroy(r->broker);
	fs_reload_destroy(r->reload);
	fs_offsets_destroy(r->offs);
	rd_kafka_topic_partition_list_destroy(r->positions);
	pthread_mutex_destroy(&r->retry_mu);
	if (status == 0) {
		fs_log(FS_LOG_INFO, MOD, "stopped cleanly");
	}
	return status;
}
