/*
 * batch: the offline scorer behind `feedsense score`.
 *
 * Lines are read in batches; a batch is split into contiguous slices that
 * worker threads score into their own output buffers, which are then
 * written in slice order, so the output keeps the input order whatever the
 * number of threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "feedsense/batch.h"
#include "feedsense/buf.h"
#include "feedsense/clock.h"
#include "feedsense/event.h"

#define BATCH_LINES 8192
#define MAX_THREADS 64

void fs_batch_opts_init(fs_batch_opts_t *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->text_field = "text";
	opts->max_line = 16 * 1024 * 1024;
}

typedef struct line {
	size_t off, len;
	const char *file;
	unsigned long lineno;
	int too_long;
} line_t;

typedef struct worker {
	pthread_t th;
	const fs_engine_t *engine;
	const fs_batch_opts_t *opts;
	fs_scratch_t *scratch;
	fs_buf_t out, err;
	unsigned long nfail, nok;
	/* the slice of the current batch */
	const line_t *lines;
	const char *arena;
	size_t first, count;
} worker_t;

typedef struct pool {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned generation, pending;
	int quit;
	worker_t *w;
	int nw;
} pool_t;

static void score_slice(worker_t *w)
{
	size_t i;
	char es[256];

	fs_buf_reset(&w->out);
	fs_buf_reset(&w->err);
	for (i = w->first; i < w->first + w->count; i++) {
		const line_t *ln = &w->lines[i];
		const char *data = w->arena + ln->off;
		fs_event_in_t in;
		const fs_result_t *res;
		size_t errpos = SIZE_MAX;
		fs_err_t err;

		if (ln->too_long) {
			fs_buf_printf(&w->err, "%s:%lu: %s: line longer than %zu bytes\n", ln->file, ln->lineno,
				      fs_err2class(FS_ERR_TOO_LARGE), w->opts->max_line);
			w->nfail++;
			continue;
		}
		if (w->opts->plain) {
			err = fs_event_decode_plain(data, ln->len, &in, &errpos, es, sizeof(es));
		} else {
			err = fs_event_decode_json(data, ln->len, w->opts->text_field, &in, &errpos, es, sizeof(es));
		}
		if (err == FS_OK) {
			err = fs_score(w->engine, w->scratch, in.text, in.text_len, &res, &errpos);
			if (err != FS_OK) {
				snprintf(es, sizeof(es), "%s (text byte %zu)", fs_err2str(err), errpos);
			}
		}
		if (err != FS_OK) {
			fs_buf_printf(&w->err, "%s:%lu: %s: %s\n", ln->file, ln->lineno, fs_err2class(err), es);
			fs_event_in_clear(&in);
			w->nfail++;
			continue;
		}
		fs_event_write_scored(&w->out, w->engine, res, &in, w->opts->text_field, NULL);
		fs_buf_putc(&w->out, '\n');
		fs_event_in_clear(&in);
		w->nok++;
	}
}

typedef struct thread_arg {
	pool_t *pool;
	int idx;
} thread_arg_t;

static void *pool_thread(void *arg)
{
	thread_arg_t *ta = arg;
	pool_t *pool = ta->pool;
	worker_t *w = &pool->w[ta->idx];
	unsigned seen = 0;

	for (;;) {
		pthread_mutex_lock(&pool->mu);
		while (!pool->quit && pool->generation == seen) {
			pthread_cond_wait(&pool->go, &pool->mu);
		}
		if (pool->quit) {
			pthread_mutex_unlock(&pool->mu);
			return NULL;
		}
		seen = pool->generation;
		pthread_mutex_unlock(&pool->mu);
		score_slice(w);
		pthread_mutex_lock(&pool->mu);
		if (--pool->pending == 0) {
			pthread_cond_signal(&pool->done);
		}
		pthread_mutex_unlock(&pool->mu);
	}
}

/* Output sink: plain FILE or gzip. */
typedef struct sink {
	FILE *fp;
	gzFile gz;
	int failed;
} sink_t;

static void sink_write(sink_t *s, const char *p, size_t n)
{
	if (!n || s->failed) {
		return;
	}
	if (s->gz) {
		if (gzwrite(s->gz, p, (unsigned)n) != (int)n) {
			s->failed = 1;
		}
	} else if (fwrite(p, 1, n, s->fp) != n) {
		s->failed = 1;
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Run a batch through the pool (or inline with one worker) and write it. */
static void run_batch(pool_t *pool, const line_t *lines, size_t nlines, const char *arena, sink_t *sink)
{
	int i;
	size_t per = (nlines + (size_t)pool->nw - 1) / (size_t)pool->nw, at = 0;

	for (i = 0; i < pool->nw; i++) {
		worker_t *w = &pool->w[i];
		w->lines = lines;
		w->arena = arena;
		w->first = at < nlines ? at : nlines;
		w->count = at < nlines ? (nlines - at < per ? nlines - at : per) : 0;
		at += per;
	}
	if (pool->nw == 1) {
		score_slice(&pool->w[0]);
	} else {
		pthread_mutex_lock(&pool->mu);
		pool->pending = (unsigned)pool->nw;
		pool->generation++;
		pthread_cond_broadcast(&pool->go);
		while (pool->pending) {
			pthread_cond_wait(&pool->done, &pool->mu);
		}
		pthread_mutex_unlock(&pool->mu);
	}
	for (i = 0; i < pool->nw; i++) {
		sink_write(sink, pool->w[i].out.p, pool->w[i].out.len);
		if (pool->w[i].err.len) {
			fwrite(pool->w[i].err.p, 1, pool->w[i].err.len, stderr);
		}
	}
}

int fs_batch_run(const fs_engine_t *engine, const fs_batch_opts_t *opts, const char *const *files, size_t nfiles)
{
	static const char *const stdin_only[] = {"-"};
	pool_t pool;
	thread_arg_t targs[MAX_THREADS];
	line_t *lines = NULL;
	fs_buf_t arena = FS_BUF_INIT, pending = FS_BUF_INIT;
	sink_t sink = {NULL, NULL, 0};
	size_t nlines = 0, f;
	unsigned long total_ok = 0, total_fail = 0, total_lines = 0;
	int status = 0, i, nthreads = opts->threads;
	char *chunk = NULL;
	double t0 = fs_mono_s(), last_progress = t0;

	if (nthreads <= 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = nc > 0 ? (int)nc : 1;
	}
	if (nthreads > MAX_THREADS) {
		nthreads = MAX_THREADS;
	}
	memset(&pool, 0, sizeof(pool));
	pthread_mutex_init(&pool.mu, NULL);
	pthread_cond_init(&pool.go, NULL);
	pthread_cond_init(&pool.done, NULL);
	pool.w = calloc((size_t)nthreads, sizeof(worker_t));
	lines = malloc(BATCH_LINES * sizeof(*lines));
	chunk = malloc(1 << 18);
	if (!pool.w || !lines || !chunk) {
		fprintf(stderr, "feedsense: out of memory\n");
		status = 2;
		goto out;
	}
	for (i = 0; i < nthreads; i++) {
		pool.w[i].engine = engine;
		pool.w[i].opts = opts;
		pool.w[i].scratch = fs_scratch_new(engine);
		if (!pool.w[i].scratch) {
			fprintf(stderr, "feedsense: out of memory\n");
			pool.nw = i + 1;
			status = 2;
			goto out;
		}
	}
	pool.nw = nthreads;
	if (nthreads > 1) {
		for (i = 0; i < nthreads; i++) {
			targs[i].pool = &pool;
			targs[i].idx = i;
			if (pthread_create(&pool.w[i].th, NULL, pool_thread, &targs[i]) != 0) {
				fprintf(stderr, "feedsense: cannot start threads\n");
				pool.nw = 1; /* fall back to inline scoring */
				nthreads = 1;
				break;
			}
		}
	}
	if (opts->output && strcmp(opts->output, "-") != 0) {
		if (ends_with(opts->output, ".gz")) {
			sink.gz = gzopen(opts->output, "wb6");
		} else {
			sink.fp = fopen(opts->output, "wb");
		}
		if (!sink.fp && !sink.gz) {
			fprintf(stderr, "feedsense: %s: %s\n", opts->output, strerror(errno));
			status = 2;
			goto out;
		}
	} else {
		sink.fp = stdout;
	}
	if (!nfiles) {
		files = stdin_only;
		nfiles = 1;
	}
	for (f = 0; f < nfiles; f++) {
		const char *name = strcmp(files[f], "-") ? files[f] : "<stdin>";
		gzFile gz = strcmp(files[f], "-") ? gzopen(files[f], "rb") : gzdopen(dup(0), "rb");
		unsigned long lineno = 0;
		int skipping = 0, n;

		if (!gz) {
			fprintf(stderr, "feedsense: %s: %s\n", name, strerror(errno ? errno : ENOENT));
			status = 2;
			continue;
		}
		gzbuffer(gz, 1 << 17);
		fs_buf_reset(&pending);
		for (;;) {
			const char *p, *end, *nl;
			n = gzread(gz, chunk, 1 << 18);
			if (n < 0) {
				int zerr;
				const char *msg = gzerror(gz, &zerr);
				fprintf(stderr, "feedsense: %s: %s\n", name, zerr == Z_ERRNO ? strerror(errno) : msg);
				status = 2;
				break;
			}
			if (n == 0) {
				/* end of file: a last line without a newline still counts */
				if (!pending.len && !skipping) {
					break;
				}
				n = -1;
			}
			p = chunk;
			end = n > 0 ? chunk + n : chunk;
			while (p < end || n == -1) {
				size_t take;
				int complete;
				if (n == -1) {
					nl = NULL;
					take = 0;
					complete = 1;
				} else {
					nl = memchr(p, '\n', (size_t)(end - p));
					take = nl ? (size_t)(nl - p) : (size_t)(end - p);
					complete = nl != NULL;
				}
				if (!skipping) {
					if (pending.len + take > opts->max_line) {
						skipping = 1;
						fs_buf_reset(&pending);
					} else {
						fs_buf_append(&pending, p, take);
					}
				}
				p += take + (nl ? 1 : 0);
				if (!complete) {
					break;
				}
				/* one whole line */
				lineno++;
				total_lines++;
				if (pending.len && pending.p[pending.len - 1] == '\r') {
					pending.len--;
				}
				if (skipping || pending.len) {
					line_t *ln = &lines[nlines++];
					ln->off = arena.len;
					ln->len = skipping ? 0 : pending.len;
					ln->file = name;
					ln->lineno = lineno;
					ln->too_long = skipping;
					if (!skipping) {
						fs_buf_append(&arena, pending.p, pending.len);
					}
				}
				skipping = 0;
				fs_buf_reset(&pending);
				if (arena.oom || pending.oom) {
					fprintf(stderr, "feedsense: out of memory\n");
					status = 2;
					goto close;
				}
				if (nlines == BATCH_LINES || arena.len > (64u << 20)) {
					run_batch(&pool, lines, nlines, arena.p, &sink);
					nlines = 0;
					fs_buf_reset(&arena);
				}
				if (n == -1) {
					break;
				}
			}
			if (n == -1) {
				break;
			}
			if (opts->progress) {
				double t = fs_mono_s();
				if (t - last_progress >= 1.0) {
					fprintf(stderr, "feedsense: %lu lines, %.0f lines/s\n", total_lines,
						(double)total_lines / (t - t0));
					last_progress = t;
				}
			}
		}
		if (nlines) {
			/* the batch may hold names of this file: flush before closing it */
			run_batch(&pool, lines, nlines, arena.p, &sink);
			nlines = 0;
			fs_buf_reset(&arena);
		}
	close:
		gzclose(gz);
		if (status == 2 && arena.oom) {
			break;
		}
	}
	for (i = 0; i < pool.nw; i++) {
		total_ok += pool.w[i].nok;
		total_fail += pool.w[i].nfail;
	}
	if (sink.gz) {
		if (gzclose(sink.gz) != Z_OK) {
			sink.failed = 1;
		}
		sink.gz = NULL;
	} else if (sink.fp && fflush(sink.fp) != 0) {
		sink.failed = 1;
	}
	if (sink.failed) {
		fprintf(stderr, "feedsense: writing %s failed: %s\n", opts->output ? opts->output : "<stdout>",
			strerror(errno));
		status = 2;
	}
	if (opts->progress) {
		double dt = fs_mono_s() - t0;
		fprintf(stderr, "feedsense: done: %lu scored, %lu failed, %.2f s, %.0f lines/s\n", total_ok, total_fail,
			dt, dt > 0 ? (double)(total_ok + total_fail) / dt : 0.0);
	}
	if (!status && total_fail && opts->strict) {
		status = 1;
	}
out:
	if (nthreads > 1 && pool.w) {
		pthread_mutex_lock(&pool.mu);
		pool.quit = 1;
		pthread_cond_broadcast(&pool.go);
		pthread_mutex_unlock(&pool.mu);
		for (i = 0; i < pool.nw; i++) {
			pthread_join(pool.w[i].th, NULL);
		}
	}
	if (sink.fp && sink.fp != stdout) {
		fclose(sink.fp);
	}
	if (pool.w) {
		for (i = 0; i < pool.nw; i++) {
			fs_scratch_destroy(pool.w[i].scratch);
			fs_buf_free(&pool.w[i].out);
			fs_buf_free(&pool.w[i].err);
		}
	}
	free(pool.w);
	free(lines);
	free(chunk);
	fs_buf_free(&arena);
	fs_buf_free(&pending);
	pthread_mutex_destroy(&pool.mu);
	pthread_cond_destroy(&pool.go);
	pthread_cond_destroy(&pool.done);
	return status;
}

int fs_batch_explain(const fs_engine_t *engine, const char *text, size_t len, void *fpv)
{
	FILE *fp = fpv;
	const fs_tags_t *tags = fs_engine_tags(engine);
	const fs_rules_t *rules = fs_engine_rules(engine);
	fs_scratch_t *scr = fs_scratch_new(engine);
	const fs_result_t *res;
	size_t errpos = 0, k;
	unsigned b;
	fs_err_t err;

	if (!scr) {
		fprintf(stderr, "feedsense: out of memory\n");
		return 1;
	}
	err = fs_score(engine, scr, text, len, &res, &errpos);
	if (err != FS_OK) {
		fprintf(stderr, "feedsense: %s (byte %zu)\n", fs_err2str(err), errpos);
		fs_scratch_destroy(scr);
		return 1;
	}
	fprintf(fp, "label       %s\n", fs_label_name(res->label));
	fprintf(fp, "compound    %+.4f   (pos %.3f, neu %.3f, neg %.3f)\n", res->compound, res->pos, res->neu,
		res->neg);
	fprintf(fp, "categories ");
	if (!res->ncats) {
		fprintf(fp, " (none)");
	}
	fprintf(fp, "\n");
	for (k = 0; k < res->ncats; k++) {
		const fs_cat_result_t *c = &res->cats[k];
		unsigned m;
		fprintf(fp, "  %-20s %-8s %+.4f   matched: ", fs_tags_name(tags, c->id), fs_label_name(c->label),
			c->compound);
		for (m = 0; m < c->nmatched; m++) {
			fprintf(fp, "%s%.*s", m ? ", " : "", (int)c->matched_len[m], c->matched[m]);
		}
		fprintf(fp, "\n");
	}
	fprintf(fp, "flags      ");
	if (!res->flags) {
		fprintf(fp, " (none)");
	}
	for (b = 0; b < FS_FLAGS_MAX; b++) {
		if (res->flags & (1u << b)) {
			fprintf(fp, " %s", fs_rules_flag_name(rules, b));
		}
	}
	fprintf(fp, "\nexplanation");
	if (!res->nexplain) {
		fprintf(fp, " (no sentiment-bearing terms)");
	}
	fprintf(fp, "\n");
	for (k = 0; k < res->nexplain; k++) {
		static const char *const kinds[] = {"term", "emoji", "rule", "!", "??"};
		const fs_explain_t *x = &res->explain[k];
		fprintf(fp, "  %+6.3f  %-5s %-28.*s \"%.*s\" [%u..%u] base %+.2f", x->score, kinds[x->kind],
			(int)x->what_len, x->what, (int)(x->end - x->start), text + x->start, x->start, x->end,
			x->valence);
		for (b = 0; fs_xm_names[b]; b++) {
			if (x->mods & (1u << b)) {
				fprintf(fp, " %s", fs_xm_names[b]);
			}
		}
		fprintf(fp, "\n");
	}
	if (res->length_factor > 1) {
		fprintf(fp, "long text: sum divided by %.3f\n", res->length_factor);
	}
	if (res->limit_hits) {
		fprintf(fp, "rules skipped at the PCRE2 limit: %u\n", res->limit_hits);
	}
	fprintf(fp, "version     %s\n", fs_engine_version(engine));
	fs_scratch_destroy(scr);
	return 0;
}
