/*
 * main: the feedsense command line. Only argument parsing and dispatch live
 * here; every mode is implemented by its module.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feedsense/batch.h"
#include "feedsense/buf.h"
#include "feedsense/lexicon.h"
#include "feedsense/rules.h"
#include "feedsense/score.h"
#include "feedsense/tag.h"

#ifndef FS_VERSION
#define FS_VERSION "0.1.0"
#endif

#define MAX_USER_LEXICONS 16

static char lexdir_buf[4096];

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The lexicon directory when none is given: $FEEDSENSE_LEXICONS, else the
 * in-tree lexicons/ next to bin/, else the installed share directory.
 */
static const char *default_lexicon_dir(void)
{
	const char *env = getenv("FEEDSENSE_LEXICONS");
	char exe[2048];
	ssize_t n;
	char *slash;

	if (env && *env) {
		return env;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(lexdir_buf, sizeof(lexdir_buf), "%s/../lexicons", exe);
			if (is_dir(lexdir_buf)) {
				return lexdir_buf;
			}
			snprintf(lexdir_buf, sizeof(lexdir_buf), "%s/../share/feedsense/lexicons", exe);
			if (is_dir(lexdir_buf)) {
				return lexdir_buf;
			}
		}
	}
	return FS_DEFAULT_LEXICON_DIR;
}

static void usage_main(FILE *fp)
{
	fprintf(fp,
		"feedsense %s: streaming customer-feedback sentiment\n"
		"\n"
		"Usage: feedsense COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  score [FILE...]      score NDJSON/plain-text lines offline, or one text\n"
		"  lexicon check [FILE...]  lint lexicon, modifier, category and rule files\n"
		"  version              print the program and lexicon versions\n"
		"  help [COMMAND]       show help\n"
		"\n"
		"Run 'feedsense COMMAND --help' for a command's options.\n",
		FS_VERSION);
}

static void usage_score(FILE *fp)
{
	fprintf(fp,
		"Usage: feedsense score [OPTIONS] [FILE...]\n"
		"       feedsense score [OPTIONS] \"some text\"\n"
		"\n"
		"With a text (an argument that is not an existing file, or --text), print a\n"
		"readable breakdown: label, compound, categories, flags and the explanation.\n"
		"With files (or none: stdin), read one JSON object per line (NDJSON; gzip\n"
		"files are read transparently) and write one feedsense.scored.v1 event per\n"
		"line to stdout, in input order. Blank lines are skipped. A line that cannot\n"
		"be decoded is reported on stderr as FILE:LINE: CLASS: MESSAGE and the\n"
		"other lines are still scored.\n"
		"\n"
		"Options:\n"
		"  -t, --text TEXT          score TEXT and print the breakdown\n"
		"  -f, --text-field NAME    JSON field holding the text (default: text)\n"
		"  -p, --plain              input lines are raw texts, not JSON\n"
		"  -o, --output FILE        write events to FILE (gzip when it ends in .gz)\n"
		"  -s, --strict             exit 1 if any line could not be scored\n"
		"  -j, --threads N          scoring threads (default: number of cores)\n"
		"  -P, --progress           print progress and throughput to stderr\n"
		"  -L, --lexicons DIR       lexicon directory (default: $FEEDSENSE_LEXICONS,\n"
		"                           else the lexicons/ beside the program, else %s)\n"
		"  -u, --user-lexicon SPEC  extra lexicon, [vader:|afinn:]FILE, repeatable\n"
		"      --pos-threshold X    compound >= X is positive (default 0.05)\n"
		"      --neg-threshold X    compound <= X is negative (default -0.05)\n"
		"      --max-line BYTES     longest accepted input line (default 16 MiB)\n"
		"  -h, --help               this help\n"
		"\n"
		"Exit status: 0 ok, 1 some lines failed (with --strict), 2 usage or I/O error.\n",
		FS_DEFAULT_LEXICON_DIR);
}

static void usage_lexicon(FILE *fp)
{
	fprintf(fp,
		"Usage: feedsense lexicon check [OPTIONS] [FILE...]\n"
		"\n"
		"Lint the lexicon directory (default) or the given files: malformed lines,\n"
		"out-of-range values, duplicate entries (an error when the values differ),\n"
		"entries overridden by a later file, unknown categories and flags, regular\n"
		"expressions that fail to compile or can match the empty string, rules\n"
		"without trigger words. File kinds are told by name: *modifiers*.tsv,\n"
		"*categories*.conf, *rules*.conf, any other file is a lexicon\n"
		"([vader:|afinn:]FILE for other formats).\n"
		"\n"
		"Options:\n"
		"  -L, --lexicons DIR   lexicon directory (default: %s)\n"
		"  -q, --quiet          print errors only\n"
		"  -h, --help           this help\n"
		"\n"
		"Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error.\n",
		FS_DEFAULT_LEXICON_DIR);
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int parse_double(const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return end != s && !*end;
}

static int cmd_score(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"text", required_argument, NULL, 't'},
		{"text-field", required_argument, NULL, 'f'},
		{"plain", no_argument, NULL, 'p'},
		{"output", required_argument, NULL, 'o'},
		{"strict", no_argument, NULL, 's'},
		{"threads", required_argument, NULL, 'j'},
		{"progress", no_argument, NULL, 'P'},
		{"lexicons", required_argument, NULL, 'L'},
		{"user-lexicon", required_argument, NULL, 'u'},
		{"pos-threshold", required_argument, NULL, 1},
		{"neg-threshold", required_argument, NULL, 2},
		{"max-line", required_argument, NULL, 3},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *user[MAX_USER_LEXICONS];
	fs_engine_opts_t eopts;
	fs_batch_opts_t bopts;
	fs_engine_t *engine = NULL;
	const char *text = NULL;
	char errstr[1024];
	int c, status;

	fs_engine_opts_init(&eopts);
	fs_batch_opts_init(&bopts);
	eopts.user_lexicons = user;
	eopts.lexicon_dir = default_lexicon_dir();
	while ((c = getopt_long(argc, argv, "t:f:po:sj:PL:u:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': text = optarg; break;
		case 'f': bopts.text_field = optarg; break;
		case 'p': bopts.plain = 1; break;
		case 'o': bopts.output = optarg; break;
		case 's': bopts.strict = 1; break;
		case 'j':
			bopts.threads = atoi(optarg);
			if (bopts.threads < 1 || bopts.threads > 64) {
				fprintf(stderr, "feedsense score: --threads must be 1..64\n");
				return 2;
			}
			break;
		case 'P': bopts.progress = 1; break;
		case 'L': eopts.lexicon_dir = optarg; break;
		case 'u':
			if (eopts.n_user_lexicons == MAX_USER_LEXICONS) {
				fprintf(stderr, "feedsense score: at most %d user lexicons\n", MAX_USER_LEXICONS);
				return 2;
			}
			user[eopts.n_user_lexicons++] = optarg;
			break;
		case 1:
		case 2: {
			double v;
			if (!parse_double(optarg, &v) || v < -1 || v > 1) {
				fprintf(stderr, "feedsense score: threshold must be a number in -1..1: %s\n", optarg);
				return 2;
			}
			if (c == 1) {
				eopts.pos_threshold = v;
			} else {
				eopts.neg_threshold = v;
			}
			break;
		}
		case 3: {
			double v;
			if (!parse_double(optarg, &v) || v < 1 || v > 1e9) {
				fprintf(stderr, "feedsense score: --max-line must be 1..1000000000\n");
				return 2;
			}
			bopts.max_line = (size_t)v;
			break;
		}
		case 'h': usage_score(stdout); return 0;
		default: usage_score(stderr); return 2;
		}
	}
	if (eopts.neg_threshold > eopts.pos_threshold) {
		fprintf(stderr, "feedsense score: --neg-threshold must not exceed --pos-threshold\n");
		return 2;
	}
	if (!text && optind == argc - 1 && strcmp(argv[optind], "-") != 0 && !is_file(argv[optind])) {
		text = argv[optind++];
	}
	if (fs_engine_new(&eopts, &engine, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "feedsense: %s\n", errstr);
		return 2;
	}
	if (text) {
		if (optind < argc) {
			fprintf(stderr, "feedsense score: give either a text or files, not both\n");
			fs_engine_destroy(engine);
			return 2;
		}
		status = fs_batch_explain(engine, text, strlen(text), stdout) ? 1 : 0;
	} else {
		status = fs_batch_run(engine, &bopts, (const char *const *)argv + optind, (size_t)(argc - optind));
	}
	fs_engine_destroy(engine);
	return status;
}

typedef struct lint_out {
	int quiet;
} lint_out_t;

static void lint_print(void *opaque, int is_error, const char *msg)
{
	lint_out_t *lo = opaque;
	if (!is_error && lo->quiet) {
		return;
	}
	printf("%s: %s\n", is_error ? "error" : "warning", msg);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Lint individual files, telling their kind by name. */
static int lint_files(const char *dir, char **files, int nfiles, fs_diag_t *diag)
{
	fs_lexicon_t *lex = fs_lexicon_new();
	fs_tags_t *tags = fs_tags_new();
	fs_rules_t *rules = fs_rules_new();
	fs_buf_t buf = FS_BUF_INIT;
	char errstr[1024], path[4096];
	int i, pass, have_tags = 0, rc = 0;

	if (!lex || !tags || !rules) {
		fprintf(stderr, "feedsense: out of memory\n");
		rc = 2;
		goto out;
	}
	/* pass 0: categories (rules need them); pass 1: everything else */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nfiles; i++) {
			const char *spec = files[i], *name;
			fs_lexfmt_t fmt = FS_LEXFMT_NATIVE;
			int is_cat, is_rules, is_mod;
			fs_err_t err;

			if (!strncmp(spec, "vader:", 6)) {
				fmt = FS_LEXFMT_VADER;
				spec += 6;
			} else if (!strncmp(spec, "afinn:", 6)) {
				fmt = FS_LEXFMT_AFINN;
				spec += 6;
			}
			name = base_name(spec);
			is_cat = strstr(name, "categories") && strstr(name, ".conf");
			is_rules = strstr(name, "rules") && strstr(name, ".conf");
			is_mod = strstr(name, "modifiers") != NULL;
			if ((pass == 0) != (is_cat != 0)) {
				continue;
			}
			if (fs_buf_read_file(&buf, spec, errstr, sizeof(errstr)) != FS_OK) {
				fs_diag_report(diag, 1, "%s", errstr);
				continue;
			}
			if (is_cat) {
				err = fs_tags_load(tags, lex, spec, buf.p, buf.len, diag, errstr, sizeof(errstr));
				have_tags = 1;
			} else if (is_rules) {
				if (!have_tags) {
					fs_buf_t cbuf = FS_BUF_INIT;
					snprintf(path, sizeof(path), "%s/%s", dir, FS_CATEGORIES_FILE);
					if (fs_buf_read_file(&cbuf, path, errstr, sizeof(errstr)) == FS_OK) {
						fs_tags_load(tags, lex, path, cbuf.p, cbuf.len, NULL, errstr, sizeof(errstr));
					}
					fs_buf_free(&cbuf);
					have_tags = 1;
				}
				err = fs_rules_load(rules, lex, tags, spec, buf.p, buf.len, diag, errstr, sizeof(errstr));
			} else if (is_mod) {
				err = fs_lexicon_load_modifiers(lex, spec, buf.p, buf.len, diag, errstr, sizeof(errstr));
			} else {
				err = fs_lexicon_load(lex, spec, buf.p, buf.len, fmt, diag, errstr, sizeof(errstr));
			}
			if (err != FS_OK && err != FS_ERR_PARSE && err != FS_ERR_REGEX) {
				fs_diag_report(diag, 1, "%s", errstr);
			}
		}
	}
out:
	fs_buf_free(&buf);
	fs_lexicon_destroy(lex);
	fs_tags_destroy(tags);
	fs_rules_destroy(rules);
	return rc;
}

static int cmd_lexicon(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"lexicons", required_argument, NULL, 'L'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = default_lexicon_dir();
	lint_out_t lo = {0};
	fs_diag_t diag = {lint_print, &lo, 1, 0, 0};
	int c, rc = 0;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			usage_lexicon(stdout);
			return 0;
		}
		usage_lexicon(stderr);
		return 2;
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "L:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'L': dir = optarg; break;
		case 'q': lo.quiet = 1; break;
		case 'h': usage_lexicon(stdout); return 0;
		default: usage_lexicon(stderr); return 2;
		}
	}
	if (optind < argc) {
		rc = lint_files(dir, argv + optind, argc - optind, &diag);
	} else {
		fs_engine_opts_t eopts;
		fs_engine_t *engine = NULL;
		char errstr[1024];
		fs_engine_opts_init(&eopts);
		eopts.lexicon_dir = dir;
		eopts.diag = &diag;
		if (fs_engine_new(&eopts, &engine, errstr, sizeof(errstr)) != FS_OK) {
			if (!diag.nerrors) {
				fs_diag_report(&diag, 1, "%s", errstr);
			}
		} else {
			printf("%s: %zu scored entries, %u categories, %u rules, version %s\n", dir,
			       fs_lexicon_count(fs_engine_lexicon(engine)), fs_tags_count(fs_engine_tags(engine)),
			       fs_rules_count(fs_engine_rules(engine)), fs_engine_version(engine));
		}
		fs_engine_destroy(engine);
	}
	printf("%u error(s), %u warning(s)\n", diag.nerrors, diag.nwarnings);
	if (rc) {
		return rc;
	}
	return diag.nerrors ? 1 : 0;
}

static int cmd_version(void)
{
	fs_engine_opts_t eopts;
	fs_engine_t *engine = NULL;
	char errstr[1024];

	printf("feedsense %s\n", FS_VERSION);
	fs_engine_opts_init(&eopts);
	eopts.lexicon_dir = default_lexicon_dir();
	if (fs_engine_new(&eopts, &engine, errstr, sizeof(errstr)) == FS_OK) {
		printf("lexicons %s (%s)\n", fs_engine_version(engine), eopts.lexicon_dir);
		fs_engine_destroy(engine);
	} else {
		printf("lexicons not loaded: %s\n", errstr);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage_main(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "score")) {
		return cmd_score(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "lexicon")) {
		return cmd_lexicon(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		return cmd_version();
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		if (argc > 2 && !strcmp(argv[2], "score")) {
			usage_score(stdout);
		} else if (argc > 2 && !strcmp(argv[2], "lexicon")) {
			usage_lexicon(stdout);
		} else {
			usage_main(stdout);
		}
		return 0;
	}
	fprintf(stderr, "feedsense: unknown command '%s'\n\n", cmd);
	usage_main(stderr);
	return 2;
}
