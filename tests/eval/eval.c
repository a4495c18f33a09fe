/*
 * eval: accuracy of the engine on our labelled corpus (tests/data/corpus).
 *
 * Prints 3-class accuracy and macro-F1, precision and recall of the negative
 * class, binary accuracy on the polar items, Pearson correlation of compound
 * with the annotators' intensity, and per-category precision/recall.
 * With --gate FILE it also checks minimum values and exits 1 below them.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/score.h"
#include "feedsense/tag.h"

#define MAXCAT FS_TAG_MAX

typedef struct metrics {
	unsigned n;
	unsigned conf[3][3]; /* gold x predicted, index label+1 */
	unsigned polar, polar_ok;
	double sx, sy, sxx, syy, sxy;
	unsigned ni;
	unsigned cat_tp[MAXCAT], cat_fp[MAXCAT], cat_fn[MAXCAT];
} metrics_t;

static int label_idx(const char *s)
{
	if (!strcmp(s, "negative")) {
		return 0;
	}
	if (!strcmp(s, "neutral")) {
		return 1;
	}
	if (!strcmp(s, "positive")) {
		return 2;
	}
	return -1;
}

static double safe_div(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static double metric(const metrics_t *m, const char *name)
{
	unsigned k, j, correct = 0;
	double f1sum = 0;

	for (k = 0; k < 3; k++) {
		correct += m->conf[k][k];
	}
	if (!strcmp(name, "accuracy")) {
		return safe_div(correct, m->n);
	}
	if (!strcmp(name, "macro_f1")) {
		for (k = 0; k < 3; k++) {
			unsigned tp = m->conf[k][k], fp = 0, fn = 0;
			double p, r;
			for (j = 0; j < 3; j++) {
				if (j != k) {
					fp += m->conf[j][k];
					fn += m->conf[k][j];
				}
			}
			p = safe_div(tp, tp + fp);
			r = safe_div(tp, tp + fn);
			f1sum += safe_div(2 * p * r, p + r);
		}
		return f1sum / 3;
	}
	if (!strcmp(name, "neg_precision") || !strcmp(name, "neg_recall")) {
		unsigned tp = m->conf[0][0], fp = m->conf[1][0] + m->conf[2][0], fn = m->conf[0][1] + m->conf[0][2];
		return !strcmp(name, "neg_precision") ? safe_div(tp, tp + fp) : safe_div(tp, tp + fn);
	}
	if (!strcmp(name, "binary_accuracy")) {
		return safe_div(m->polar_ok, m->polar);
	}
	if (!strcmp(name, "pearson")) {
		double n = m->ni, cov = m->sxy - m->sx * m->sy / n, vx = m->sxx - m->sx * m->sx / n,
		       vy = m->syy - m->sy * m->sy / n;
		return (vx > 0 && vy > 0) ? cov / sqrt(vx * vy) : 0;
	}
	if (!strcmp(name, "category_f1")) {
		unsigned tp = 0, fp = 0, fn = 0;
		double p, r;
		for (k = 0; k < MAXCAT; k++) {
			tp += m->cat_tp[k];
			fp += m->cat_fp[k];
			fn += m->cat_fn[k];
		}
		p = safe_div(tp, tp + fp);
		r = safe_div(tp, tp + fn);
		return safe_div(2 * p * r, p + r);
	}
	fprintf(stderr, "eval: unknown metric %s\n", name);
	exit(2);
}

static void usage(void)
{
	fprintf(stderr, "Usage: eval [--lexicons DIR] [--split dev|test|all] [--errors] [--cat-errors] [--gate FILE] "
			"CORPUS.jsonl...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dir = "lexicons", *split = "test", *gate = NULL;
	int errors = 0, cat_errors = 0, i, status = 0;
	fs_engine_opts_t opts;
	fs_engine_t *engine;
	fs_scratch_t *scr;
	json_t *seen; /* id -> "FILE:LINE" of its first use */
	char errstr[1024];
	metrics_t all, *m = &all;
	const fs_tags_t *tags;
	unsigned k;
	static const char *names[3] = {"negative", "neutral", "positive"};

	memset(&all, 0, sizeof(all));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--lexicons") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--split") && i + 1 < argc) {
			split = argv[++i];
		} else if (!strcmp(argv[i], "--gate") && i + 1 < argc) {
			gate = argv[++i];
		} else if (!strcmp(argv[i], "--errors")) {
			errors = 1;
		} else if (!strcmp(argv[i], "--cat-errors")) {
			cat_errors = 1;
		} else {
			usage();
		}
	}
	if (i == argc) {
		usage();
	}
	fs_engine_opts_init(&opts);
	opts.lexicon_dir = dir;
	if (fs_engine_new(&opts, &engine, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "eval: %s\n", errstr);
		return 2;
	}
	tags = fs_engine_tags(engine);
	scr = fs_scratch_new(engine);
	seen = json_object();
	for (; i < argc; i++) {
		FILE *fp = fopen(argv[i], "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		unsigned lineno = 0;

		if (!fp) {
			perror(argv[i]);
			return 2;
		}
		while ((len = getline(&line, &cap, fp)) > 0) {
			json_error_t jerr;
			json_t *o = json_loadb(line, (size_t)len, 0, &jerr), *cats, *c;
			const char *text, *lab, *sp, *id;
			char where[512];
			const fs_result_t *res;
			size_t errpos, idx;
			int gold, pred;
			uint64_t goldcats = 0, predcats = 0;

			lineno++;
			if (!o) {
				fprintf(stderr, "%s:%u: %s\n", argv[i], lineno, jerr.text);
				return 2;
			}
			text = json_string_value(json_object_get(o, "text"));
			lab = json_string_value(json_object_get(o, "label"));
			sp = json_string_value(json_object_get(o, "split"));
			id = json_string_value(json_object_get(o, "id"));
			if (!id || !text || !lab || label_idx(lab) < 0) {
				fprintf(stderr, "%s:%u: needs id, text and label\n", argv[i], lineno);
				return 2;
			}
			if (json_object_get(seen, id)) {
				fprintf(stderr, "%s:%u: id %s is used again (first at %s)\n", argv[i], lineno, id,
					json_string_value(json_object_get(seen, id)));
				return 2;
			}
			snprintf(where, sizeof(where), "%s:%u", argv[i], lineno);
			json_object_set_new(seen, id, json_string(where));
			if (strcmp(split, "all") != 0 && (!sp || strcmp(sp, split) != 0)) {
				json_decref(o);
				continue;
			}
			if (fs_score(engine, scr, text, strlen(text), &res, &errpos) != FS_OK) {
				fprintf(stderr, "%s:%u: cannot score\n", argv[i], lineno);
				return 2;
			}
			gold = label_idx(lab);
			pred = (int)res->label + 1;
			m->n++;
			m->conf[gold][pred]++;
			if (gold != 1) {
				m->polar++;
				if ((gold == 2 && res->compound > 0) || (gold == 0 && res->compound < 0)) {
					m->polar_ok++;
				}
			}
			if (json_is_number(json_object_get(o, "intensity"))) {
				double y = json_number_value(json_object_get(o, "intensity")), x = res->compound;
				m->sx += x;
				m->sy += y;
				m->sxx += x * x;
				m->syy += y * y;
				m->sxy += x * y;
				m->ni++;
			}
			cats = json_object_get(o, "categories");
			json_array_foreach(cats, idx, c)
			{
				int cid = fs_tags_find(tags, json_string_value(c) ? json_string_value(c) : "");
				if (cid >= 0) {
					goldcats |= 1ULL << cid;
				}
			}
			for (idx = 0; idx < res->ncats; idx++) {
				predcats |= 1ULL << res->cats[idx].id;
			}
			for (k = 0; k < fs_tags_count(tags); k++) {
				uint64_t b = 1ULL << k;
				if ((goldcats & b) && (predcats & b)) {
					m->cat_tp[k]++;
				} else if (predcats & b) {
					m->cat_fp[k]++;
				} else if (goldcats & b) {
					m->cat_fn[k]++;
				}
			}
			if (cat_errors && goldcats != predcats) {
				const char *sep = "";
				printf("missed:");
				for (k = 0; k < fs_tags_count(tags); k++) {
					if ((goldcats & ~predcats) >> k & 1) {
						printf("%s%s", sep, fs_tags_name(tags, k));
						sep = ",";
					}
				}
				printf(" extra:");
				for (k = 0, sep = ""; k < fs_tags_count(tags); k++) {
					if ((predcats & ~goldcats) >> k & 1) {
						printf("%s%s", sep, fs_tags_name(tags, k));
						sep = ",";
					}
				}
				printf("  %s  %s\n", json_string_value(json_object_get(o, "id")), text);
			}
			if (errors && gold != pred) {
				printf("%-8s -> %-8s %+.3f  %s  %s\n", names[gold], names[pred], res->compound,
				       json_string_value(json_object_get(o, "id")), text);
			}
			json_decref(o);
		}
		free(line);
		fclose(fp);
	}
	printf("feedsense eval: split=%s items=%u lexicons=%s\n", split, m->n, fs_engine_version(engine));
	printf("  accuracy (3-class)       %.3f\n", metric(m, "accuracy"));
	printf("  macro-F1 (3-class)       %.3f\n", metric(m, "macro_f1"));
	printf("  negative precision       %.3f\n", metric(m, "neg_precision"));
	printf("  negative recall          %.3f\n", metric(m, "neg_recall"));
	printf("  binary accuracy (polar)  %.3f  (%u items)\n", metric(m, "binary_accuracy"), m->polar);
	printf("  pearson r vs intensity   %.3f  (%u items)\n", metric(m, "pearson"), m->ni);
	printf("  confusion (gold rows: neg neu pos; predicted columns)\n");
	for (k = 0; k < 3; k++) {
		printf("    %-8s %5u %5u %5u\n", names[k], m->conf[k][0], m->conf[k][1], m->conf[k][2]);
	}
	printf("  categories (micro-F1 %.3f)\n", metric(m, "category_f1"));
	printf("    %-18s %9s %6s %6s %7s\n", "category", "precision", "recall", "f1", "support");
	for (k = 0; k < fs_tags_count(tags); k++) {
		double p = safe_div(m->cat_tp[k], m->cat_tp[k] + m->cat_fp[k]);
		double r = safe_div(m->cat_tp[k], m->cat_tp[k] + m->cat_fn[k]);
		printf("    %-18s %9.3f %6.3f %6.3f %7u\n", fs_tags_name(tags, k), p, r, safe_div(2 * p * r, p + r),
		       m->cat_tp[k] + m->cat_fn[k]);
	}
	if (gate) {
		FILE *fp = fopen(gate, "r");
		char name[64];
		double min;
		unsigned passed = 0, failed = 0;
		if (!fp) {
			perror(gate);
			return 2;
		}
		char line[256];
		while (fgets(line, sizeof(line), fp)) {
			double v;
			if (line[0] == '#' || sscanf(line, "%63s %lf", name, &min) != 2) {
				continue;
			}
			v = metric(m, name);
			printf("  gate %-20s %.3f >= %.3f  %s\n", name, v, min, v >= min ? "ok" : "FAILED");
			if (v < min) {
				status = 1;
				failed++;
			} else {
				passed++;
			}
		}
		fclose(fp);
		printf("eval gate: %u passed, %u failed\n", passed, failed);
	}
	fs_scratch_destroy(scr);
	json_decref(seen);
	fs_engine_destroy(engine);
	return status;
}
