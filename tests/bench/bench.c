/*
 * bench: single-thread engine throughput.
 *
 * Builds a deterministic set of messages of 100-300 bytes from the texts of
 * our corpus (joined and cut at word boundaries), scores them repeatedly in
 * one thread and prints messages per second, nanoseconds per message and
 * peak RSS. With --write-ndjson FILE it writes the same messages as NDJSON
 * for the `feedsense score` benchmark instead.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "feedsense/buf.h"
#include "feedsense/score.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *dir = "lexicons", *ndjson = NULL;
	size_t nmsg = 100000, passes = 5, ntexts = 0, capt = 0, i, p;
	char **texts = NULL, **msgs;
	size_t *lens;
	fs_engine_opts_t opts;
	fs_engine_t *engine;
	fs_scratch_t *scr;
	char errstr[1024];
	int a;
	double t0, dt, checksum = 0;
	size_t total_bytes = 0;
	struct rusage ru;

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--lexicons") && a + 1 < argc) {
			dir = argv[++a];
		} else if (!strcmp(argv[a], "--messages") && a + 1 < argc) {
			nmsg = strtoul(argv[++a], NULL, 10);
		} else if (!strcmp(argv[a], "--passes") && a + 1 < argc) {
			passes = strtoul(argv[++a], NULL, 10);
		} else if (!strcmp(argv[a], "--write-ndjson") && a + 1 < argc) {
			ndjson = argv[++a];
		} else {
			fprintf(stderr, "Usage: bench [--lexicons DIR] [--messages N] [--passes N] [--write-ndjson FILE] "
					"CORPUS.jsonl...\n");
			return 2;
		}
	}
	for (; a < argc; a++) {
		FILE *fp = fopen(argv[a], "r");
		char *line = NULL;
		size_t cap = 0;
		if (!fp) {
			perror(argv[a]);
			return 2;
		}
		while (getline(&line, &cap, fp) > 0) {
			json_t *o = json_loads(line, 0, NULL);
			const char *t = o ? json_string_value(json_object_get(o, "text")) : NULL;
			if (t) {
				if (ntexts == capt) {
					capt = capt ? capt * 2 : 1024;
					texts = realloc(texts, capt * sizeof(*texts));
				}
				texts[ntexts++] = strdup(t);
			}
			json_decref(o);
		}
		free(line);
		fclose(fp);
	}
	if (!ntexts) {
		fprintf(stderr, "bench: no corpus texts\n");
		return 2;
	}
	/* messages of 100..300 bytes, cut at spaces so UTF-8 stays whole */
	msgs = malloc(nmsg * sizeof(*msgs));
	lens = malloc(nmsg * sizeof(*lens));
	for (i = 0; i < nmsg; i++) {
		fs_buf_t b = FS_BUF_INIT;
		size_t target = 100 + next_rand() % 201;
		while (b.len < target) {
			const char *t = texts[next_rand() % ntexts];
			if (b.len) {
				fs_buf_putc(&b, ' ');
			}
			fs_buf_puts(&b, t);
		}
		if (b.len > 300) {
			size_t cut = 300;
			while (cut > 100 && b.p[cut] != ' ') {
				cut--;
			}
			if (b.p[cut] != ' ') {
				/* no space: back off to a UTF-8 boundary */
				cut = 300;
				while (cut > 0 && ((unsigned char)b.p[cut] & 0xC0) == 0x80) {
					cut--;
				}
			}
			b.len = cut;
			b.p[cut] = '\0';
		}
		msgs[i] = b.p;
		lens[i] = b.len;
		total_bytes += b.len;
	}
	if (ndjson) {
		FILE *fp = fopen(ndjson, "w");
		fs_buf_t b = FS_BUF_INIT;
		if (!fp) {
			perror(ndjson);
			return 2;
		}
		for (i = 0; i < nmsg; i++) {
			fs_buf_reset(&b);
			fs_buf_printf(&b, "{\"id\":\"b-%zu\",\"channel\":\"review\",\"text\":", i);
			fs_buf_json_str(&b, msgs[i], lens[i]);
			fs_buf_puts(&b, "}\n");
			fwrite(b.p, 1, b.len, fp);
		}
		fs_buf_free(&b);
		fclose(fp);
		printf("bench: wrote %zu NDJSON lines to %s\n", nmsg, ndjson);
		return 0;
	}
	fs_engine_opts_init(&opts);
	opts.lexicon_dir = dir;
	if (fs_engine_new(&opts, &engine, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "bench: %s\n", errstr);
		return 2;
	}
	scr = fs_scratch_new(engine);
	for (i = 0; i < nmsg && i < 10000; i++) { /* warm-up */
		const fs_result_t *res;
		size_t ep;
		fs_score(engine, scr, msgs[i], lens[i], &res, &ep);
	}
	t0 = now_s();
	for (p = 0; p < passes; p++) {
		for (i = 0; i < nmsg; i++) {
			const fs_result_t *res;
			size_t ep;
			if (fs_score(engine, scr, msgs[i], lens[i], &res, &ep) != FS_OK) {
				fprintf(stderr, "bench: message %zu failed\n", i);
				return 1;
			}
			checksum += res->compound;
		}
	}
	dt = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("engine: %zu messages (avg %.0f bytes) x %zu passes, 1 thread\n", nmsg, (double)total_bytes / nmsg,
	       passes);
	printf("engine: %.0f messages/s, %.0f ns/message, %.1f MB/s, peak RSS %.1f MB (checksum %.3f)\n",
	       (double)(nmsg * passes) / dt, dt * 1e9 / (double)(nmsg * passes),
	       (double)total_bytes * passes / dt / 1e6, ru.ru_maxrss / 1024.0, checksum);
	fs_scratch_destroy(scr);
	fs_engine_destroy(engine);
	for (i = 0; i < nmsg; i++) {
		free(msgs[i]);
	}
	for (i = 0; i < ntexts; i++) {
		free(texts[i]);
	}
	free(msgs);
	free(lens);
	free(texts);
	return 0;
}
