/*
 * main: the feedsense command line. Only argument parsing and dispatch live
 * here; every mode is implemented by its module.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <signal.h>

#include "feedsense/alerter.h"
#include "feedsense/batch.h"
#include "feedsense/broker.h"
#include "feedsense/buf.h"
#include "feedsense/client.h"
#include "feedsense/config.h"
#include "feedsense/lexicon.h"
#include "feedsense/log.h"
#include "feedsense/rules.h"
#include "feedsense/runner.h"
#include "feedsense/score.h"
#include "feedsense/tag.h"
#include "feedsense/version.h"

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
		"  run                  the streaming pipeline: consume, score, publish\n"
		"  check-config         validate and print the effective configuration\n"
		"  windows              spike alerts over sliding windows of the scored topic\n"
		"  broker               start the embedded Kafka broker (for demos and tests)\n"
		"  produce TOPIC [FILE...]  feed lines of files into a topic\n"
		"  watch [TOPIC,...]    follow output topics and print scored events\n"
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
		"without trigger words. Checking the directory also runs each rule's\n"
		"self-tests: every `example` text must fire the rule with its valence,\n"
		"categories and flags, every `counter` text must not fire it (a failure\n"
		"is an error naming FILE:LINE; a rule without an example, a warning).\n"
		"File kinds are told by name: *modifiers*.tsv,\n"
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

/* A lone argument that is not an existing file is a text to score, unless it
 * looks like a path (a '/' or a file extension and no spaces): then it is a
 * missing file, reported as such. */
static int looks_like_path(const char *s)
{
	const char *dot = strrchr(s, '.'), *p;

	if (strpbrk(s, " \t\n")) {
		return 0;
	}
	if (strchr(s, '/')) {
		return 1;
	}
	if (!dot || dot == s || !dot[1]) {
		return 0;
	}
	for (p = dot + 1; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
			return 0;
		}
	}
	return p - dot - 1 <= 6;
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
	if (!text && optind == argc - 1 && strcmp(argv[optind], "-") != 0 && !is_file(argv[optind]) &&
	    !looks_like_path(argv[optind])) {
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
						fs_tags_load(tags, lex, path, cbuf.p, cbuf.len, NULL, errstr,
							     sizeof(errstr));
					}
					fs_buf_free(&cbuf);
					have_tags = 1;
				}
				err =
				    fs_rules_load(rules, lex, tags, spec, buf.p, buf.len, diag, errstr, sizeof(errstr));
			} else if (is_mod) {
				err =
				    fs_lexicon_load_modifiers(lex, spec, buf.p, buf.len, diag, errstr, sizeof(errstr));
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
			char rules_name[4096];
			snprintf(rules_name, sizeof(rules_name), "%s/%s", dir, FS_RULES_FILE);
			if (fs_engine_check_examples(engine, rules_name, 0, &diag) != FS_OK) {
				fs_diag_report(&diag, 1, "%s: out of memory checking the rule examples", rules_name);
			}
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

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		reload_flag = 1;
	} else {
		stop_flag = 1;
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* `run` only: SIGHUP reloads the lexicons (elsewhere it keeps its default). */
static void install_reload_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

static void usage_run(FILE *fp, const char *cmd)
{
	fprintf(fp,
		"Usage: feedsense %s [OPTIONS]\n"
		"\n"
		"%s"
		"\n"
		"Options (flags override FEEDSENSE_* environment variables, which override the file):\n"
		"  -c, --config FILE        INI configuration file (see 'feedsense check-config --example')\n"
		"  -X, --property NAME=VAL  librdkafka property for both clients (repeatable), e.g.\n"
		"                           -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512\n"
		"  -b, --brokers LIST       Kafka bootstrap servers (none: start the embedded broker)\n"
		"%s"
		"      --scored TOPIC       scored events (default feedback.scored)\n"
		"      --alerts TOPIC       alerts (default feedback.alerts; empty disables)\n"
		"%s"
		"      --log-level LEVEL    error, warn, info, debug\n"
		"      --log-format FORMAT  plain (default) or json (one JSON object a line)\n"
		"%s"
		"%s"
		"  -h, --help               this help\n",
		cmd,
		!strcmp(cmd, "run")
		    ? "Consume feedback from Kafka, score every message, publish scored events, alerts\n"
		      "and dead letters. Offsets are committed only after the broker acknowledged every\n"
		      "output derived from them. SIGINT/SIGTERM finish in-flight work and exit 0.\n"
		      "\n"
		      "Live reload: SIGHUP (or, with --watch, a change in the lexicon directory, 500 ms\n"
		      "after the writes stop) loads the lexicons, rules and categories again off the\n"
		      "scoring path and swaps them in; messages in flight finish on the old set, and\n"
		      "every scored event names the version that scored it (engine.version). A set\n"
		      "that fails to load is logged with file:line and the running one stays.\n"
		: !strcmp(cmd, "windows")
		    ? "Read every partition of the scored topic, count negative feedback per category and\n"
		      "channel in sliding windows ([windows] settings) and publish spike and recovery alerts\n"
		      "(feedsense.alert.v1, header feedsense.alert.kind=window) to the alerts topic. Run one\n"
		      "instance. On start it restores its incidents from the alerts it published and rebuilds\n"
		      "the windows by re-reading the scored topic. SIGINT/SIGTERM exit 0.\n"
		      "  --from-file FILE         replay NDJSON scored events from FILE ('-': stdin) and print\n"
		      "                           the alerts instead (no Kafka)\n"
		    : "Validate the configuration (file, environment, flags, librdkafka properties and\n"
		      "lexicons) and print the effective configuration with secrets masked.\n"
		      "Exit status 0 when valid, 1 otherwise.\n",
		strcmp(cmd, "windows")
		    ? "  -g, --group ID           consumer group (default feedsense)\n"
		      "  -i, --input TOPICS       input topics, comma-separated; ^regex subscribes by pattern\n"
		    : "",
		strcmp(cmd, "windows")
		    ? "      --dlq TOPIC          dead letters (default feedback.dlq)\n"
		      "  -w, --workers N          scoring threads (default: number of cores)\n"
		      "  -L, --lexicons DIR       lexicon directory\n"
		      "      --watch              reload the lexicons when their files change (scoring.watch)\n"
		      "      --exactly-once       use Kafka transactions (processing.guarantee=exactly_once)\n"
		    : "",
		strcmp(cmd, "windows")
		    ? "      --metrics ADDR:PORT  /metrics, /healthz, /readyz (default 127.0.0.1:9464; a bare\n"
		      "                           PORT binds 127.0.0.1, port 0 a free port; off disables)\n"
		    : "      --metrics ADDR:PORT  /metrics, /healthz, /readyz (windows.metrics_listen, default\n"
		      "                           127.0.0.1:9465; a bare PORT binds 127.0.0.1, port 0 a free\n"
		      "                           port; off disables)\n",
		!strcmp(cmd, "check-config") ? "      --example            print the documented example configuration\n"
					     : "");
}

/* Shared by run and check-config: builds the effective configuration. */
static int load_run_config(int argc, char **argv, const char *cmd, fs_config_t *cfg, int *example)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},   {"property", required_argument, NULL, 'X'},
	    {"brokers", required_argument, NULL, 'b'},  {"group", required_argument, NULL, 'g'},
	    {"input", required_argument, NULL, 'i'},    {"workers", required_argument, NULL, 'w'},
	    {"lexicons", required_argument, NULL, 'L'}, {"scored", required_argument, NULL, 1},
	    {"alerts", required_argument, NULL, 2},     {"dlq", required_argument, NULL, 3},
	    {"exactly-once", no_argument, NULL, 4},     {"log-level", required_argument, NULL, 5},
	    {"example", no_argument, NULL, 6},          {"watch", no_argument, NULL, 7},
	    {"log-format", required_argument, NULL, 8}, {"metrics", required_argument, NULL, 9},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	struct flag {
		const char *key, *value;
	} flags[64];
	const char *props[64], *file = NULL;
	int nflags = 0, nprops = 0, c, i;
	char errstr[1024];
	extern char **environ;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:X:b:g:i:w:L:h", longopts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'c': file = optarg; break;
		case 'X':
			if (nprops == 64) {
				fprintf(stderr, "feedsense %s: too many -X\n", cmd);
				return 2;
			}
			props[nprops++] = optarg;
			break;
		case 'b': key = "kafka.brokers"; break;
		case 'g': key = "kafka.group"; break;
		case 'i': key = "input.topics"; break;
		case 'w': key = "pipeline.workers"; break;
		case 'L': key = "scoring.lexicons"; break;
		case 1: key = "output.scored"; break;
		case 2: key = "output.alerts"; break;
		case 3: key = "output.dlq"; break;
		case 4:
			key = "pipeline.processing_guarantee";
			optarg = (char *)"exactly_once";
			break;
		case 5: key = "log.level"; break;
		case 6: *example = 1; break;
		case 7:
			key = "scoring.watch";
			optarg = (char *)"1";
			break;
		case 8: key = "log.format"; break;
		case 9: key = strcmp(cmd, "windows") ? "metrics.listen" : "windows.metrics_listen"; break;
		case 'h': usage_run(stdout, cmd); return 0;
		default: usage_run(stderr, cmd); return 2;
		}
		if (key && nflags < 64) {
			flags[nflags].key = key;
			flags[nflags].value = optarg;
			nflags++;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "feedsense %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return 2;
	}
	if (*example) {
		return -1;
	}
	if (file && fs_config_load_file(cfg, file, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "feedsense: %s\n", errstr);
		return 1;
	}
	if (fs_config_load_env(cfg, environ, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "feedsense: %s\n", errstr);
		return 1;
	}
	for (i = 0; i < nflags; i++) {
		if (fs_config_set(cfg, flags[i].key, flags[i].value, "command line", errstr, sizeof(errstr)) != FS_OK) {
			fprintf(stderr, "feedsense: %s\n", errstr);
			return 1;
		}
	}
	for (i = 0; i < nprops; i++) {
		char *name = strdup(props[i]), *eq = name ? strchr(name, '=') : NULL;
		if (!eq) {
			fprintf(stderr, "feedsense: -X %s: expected NAME=VALUE\n", props[i]);
			free(name);
			return 1;
		}
		*eq = '\0';
		if (fs_config_add_kprop(cfg, name, eq + 1, 0, "-X", errstr, sizeof(errstr)) != FS_OK) {
			fprintf(stderr, "feedsense: %s\n", errstr);
			free(name);
			return 1;
		}
		free(name);
	}
	if (fs_config_validate(cfg, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "feedsense: %s\n", errstr);
		return 1;
	}
	if (cfg->log_level) {
		int lvl = fs_log_parse_level(cfg->log_level);
		if (lvl >= 0) {
			fs_log_set_level((fs_log_level_t)lvl);
		}
	}
	if (cfg->log_format && fs_log_parse_format(cfg->log_format) >= 0) {
		fs_log_set_format((fs_log_format_t)fs_log_parse_format(cfg->log_format));
	}
	for (i = 0; i < (int)cfg->nkprops; i++) {
		/* a secret echoed by librdkafka (an error, a debug dump) is masked too */
		if (fs_config_is_secret(cfg->kprops[i].name) && fs_log_add_secret(cfg->kprops[i].value) != 0) {
			fprintf(stderr, "feedsense: too many secret properties to mask in the log\n");
			return 1;
		}
	}
	if (!cfg->lexicons || !*cfg->lexicons) {
		free(cfg->lexicons);
		cfg->lexicons = strdup(default_lexicon_dir());
	}
	return -1; /* go on */
}

/*
 * glibc gives each thread that allocates its own malloc arena; a long-running
 * pipeline (consumer, poller, workers and librdkafka's threads) then holds
 * memory freed in one arena that another cannot reuse, and its RSS climbs in
 * steps over hours (seen in `make soak`). Two arenas keep it flat at no
 * measurable cost; MALLOC_ARENA_MAX in the environment still decides.
 */
static void limit_arenas(void)
{
	if (!getenv("MALLOC_ARENA_MAX")) {
		mallopt(M_ARENA_MAX, 2);
	}
}

static int cmd_run(int argc, char **argv)
{
	fs_config_t cfg;
	int example = 0, rc;

	fs_config_init(&cfg);
	rc = load_run_config(argc, argv, "run", &cfg, &example);
	if (rc >= 0) {
		fs_config_free(&cfg);
		return rc;
	}
	install_signals();
	install_reload_signal();
	limit_arenas();
	rc = fs_runner_run(&cfg, &stop_flag, &reload_flag);
	fs_config_free(&cfg);
	return rc;
}

/* `feedsense windows`: the run options, plus --from-file FILE (taken out first). */
static int cmd_windows(int argc, char **argv)
{
	fs_alerter_opts_t opts;
	fs_config_t cfg;
	int example = 0, rc, i, n = 0;
	char **args = calloc((size_t)argc + 1, sizeof(*args));

	memset(&opts, 0, sizeof(opts));
	if (!args) {
		fprintf(stderr, "feedsense: out of memory\n");
		return 2;
	}
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--from-file") && i + 1 < argc) {
			opts.from_file = argv[++i];
		} else if (!strncmp(argv[i], "--from-file=", 12)) {
			opts.from_file = argv[i] + 12;
		} else {
			args[n++] = argv[i];
		}
	}
	fs_config_init(&cfg);
	rc = load_run_config(n, args, "windows", &cfg, &example);
	if (rc < 0 && example) {
		fprintf(stderr, "feedsense windows: --example belongs to check-config\n");
		rc = 2;
	}
	if (rc < 0) {
		install_signals();
		limit_arenas();
		rc = fs_alerter_run(&cfg, &opts, &stop_flag);
	}
	fs_config_free(&cfg);
	free(args);
	return rc;
}

static int cmd_check_config(int argc, char **argv)
{
	fs_config_t cfg;
	int example = 0, rc;
	char errstr[1024];
	fs_engine_opts_t eopts;
	fs_engine_t *engine = NULL;

	fs_config_init(&cfg);
	rc = load_run_config(argc, argv, "check-config", &cfg, &example);
	if (example) {
		fs_config_print_example(stdout);
		fs_config_free(&cfg);
		return 0;
	}
	if (rc >= 0) {
		fs_config_free(&cfg);
		return rc;
	}
	/* fs_config_validate() already applied the librdkafka properties to both clients */
	fs_engine_opts_init(&eopts);
	eopts.lexicon_dir = cfg.lexicons;
	eopts.pos_threshold = cfg.pos_threshold;
	eopts.neg_threshold = cfg.neg_threshold;
	if (fs_engine_new(&eopts, &engine, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "feedsense: %s\n", errstr);
		fs_config_free(&cfg);
		return 1;
	}
	printf("# feedsense: configuration is valid; lexicons %s\n", fs_engine_version(engine));
	fs_engine_destroy(engine);
	fs_config_print(&cfg, stdout);
	fs_config_free(&cfg);
	return 0;
}

static void usage_broker(FILE *fp)
{
	fprintf(fp,
		"Usage: feedsense broker [OPTIONS]\n"
		"\n"
		"Start an embedded Kafka broker on loopback: librdkafka's mock cluster. It speaks\n"
		"the Kafka protocol over TCP, so any Kafka client can use it, but it keeps\n"
		"messages in memory with a small per-partition retention (the oldest are dropped\n"
		"beyond about 5 MiB or 100,000 batches per partition): it is for demos, tests and\n"
		"trials, never for production. The bootstrap address (127.0.0.1:PORT) is the first\n"
		"line on stdout. Runs until SIGINT or SIGTERM.\n"
		"\n"
		"Options:\n"
		"  -p, --port N           bootstrap port (default: any free port); the brokers\n"
		"                         themselves listen on ports of their own, advertised to clients\n"
		"  -t, --topics LIST      NAME[:PARTITIONS],... (default %s)\n"
		"  -P, --partitions N     partitions of topics given without a count (default 4)\n"
		"  -n, --brokers N        number of brokers in the cluster (default 1)\n"
		"      --control          read fault-injection commands from stdin, one per line:\n"
		"                         down ID | up ID | rtt ID MS | errors API COUNT ERROR | create TOPIC N\n"
		"  -h, --help             this help\n",
		FS_BROKER_DEFAULT_TOPICS);
}

static int cmd_broker(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"topics", required_argument, NULL, 't'},
	    {"partitions", required_argument, NULL, 'P'},
	    {"brokers", required_argument, NULL, 'n'},
	    {"control", no_argument, NULL, 1},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *topics = NULL;
	int port = 0, partitions = 4, nbrokers = 1, control = 0, c;
	fs_broker_t *broker = NULL;
	char errstr[1024];

	while ((c = getopt_long(argc, argv, "p:t:P:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 't': topics = optarg; break;
		case 'P': partitions = atoi(optarg); break;
		case 'n': nbrokers = atoi(optarg); break;
		case 1: control = 1; break;
		case 'h': usage_broker(stdout); return 0;
		default: usage_broker(stderr); return 2;
		}
	}
	if (port < 0 || port > 65535 || partitions < 1 || nbrokers < 1 || nbrokers > 16) {
		fprintf(stderr, "feedsense broker: invalid --port, --partitions or --brokers\n");
		return 2;
	}
	install_signals();
	if (fs_broker_new(nbrokers, topics, partitions, &broker, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "feedsense broker: %s\n", errstr);
		return 1;
	}
	if (port && fs_broker_listen(broker, port, errstr, sizeof(errstr)) != FS_OK) {
		fprintf(stderr, "feedsense broker: %s\n", errstr);
		fs_broker_destroy(broker);
		return 1;
	}
	printf("%s\n", port ? fs_broker_listen_address(broker) : fs_broker_bootstraps(broker));
	fflush(stdout);
	fs_log(FS_LOG_INFO, "broker", "embedded broker (librdkafka mock cluster, %d broker(s), in memory) at %s",
	       nbrokers, fs_broker_bootstraps(broker));
	/* unbuffered: poll() on fd 0 must see every line not yet read, so two
	 * commands arriving in one write are both executed */
	setvbuf(stdin, NULL, _IONBF, 0);
	while (!stop_flag) {
		if (control) {
			struct pollfd pfd = {0, POLLIN, 0};
			int n = poll(&pfd, 1, 200);
			if (n > 0) {
				char line[512];
				if (!fgets(line, sizeof(line), stdin)) {
					control = 0; /* stdin closed: keep running */
					continue;
				}
				line[strcspn(line, "\r\n")] = '\0';
				if (!*line) {
					continue;
				}
				if (fs_broker_control(broker, line, errstr, sizeof(errstr)) != FS_OK) {
					fs_log(FS_LOG_WARN, "broker", "control: %s", errstr);
				} else {
					fs_log(FS_LOG_INFO, "broker", "control: %s", line);
				}
			}
		} else {
			usleep(200 * 1000);
		}
	}
	fs_log(FS_LOG_INFO, "broker", "stopping");
	fs_broker_destroy(broker);
	return 0;
}

static void usage_clients(FILE *fp)
{
	fprintf(fp, "Usage: feedsense produce [OPTIONS] TOPIC [FILE...]\n"
		    "       feedsense watch [OPTIONS] [TOPIC,...]\n"
		    "\n"
		    "produce sends each line of the files (or stdin) as one message to TOPIC.\n"
		    "watch follows topics (default feedback.scored,feedback.alerts,feedback.dlq) and\n"
		    "prints one readable line per event, or the raw payload with --raw.\n"
		    "\n"
		    "Options:\n"
		    "  -b, --brokers LIST     bootstrap servers (required)\n"
		    "  -X NAME=VALUE          librdkafka property (repeatable)\n"
		    "produce:\n"
		    "  -r, --rate N           messages per second (default: as fast as possible)\n"
		    "  -l, --loop             start over at the end of the input until stopped\n"
		    "  -k, --key-field NAME   use this JSON field as the message key\n"
		    "  -z, --gzip             gzip each payload\n"
		    "  -n, --count N          stop after N messages\n"
		    "watch:\n"
		    "  -g, --group ID         consumer group (default: a new one reading from the start)\n"
		    "  -r, --raw              print payloads as they are\n"
		    "  -n, --count N          exit after N messages\n"
		    "  -t, --timeout S        exit after S seconds without messages\n"
		    "  -h, --help             this help\n");
}

static int cmd_clients(int argc, char **argv, int is_watch)
{
	static const struct option longopts[] = {
	    {"brokers", required_argument, NULL, 'b'},
	    {"rate", required_argument, NULL, 'R'},
	    {"loop", no_argument, NULL, 'l'},
	    {"key-field", required_argument, NULL, 'k'},
	    {"gzip", no_argument, NULL, 'z'},
	    {"count", required_argument, NULL, 'n'},
	    {"group", required_argument, NULL, 'g'},
	    {"raw", no_argument, NULL, 'r'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	fs_produce_opts_t po;
	fs_watch_opts_t wo;
	const char *props[64];
	size_t nprops = 0;
	int c;

	memset(&po, 0, sizeof(po));
	memset(&wo, 0, sizeof(wo));
	wo.topics = "feedback.scored,feedback.alerts,feedback.dlq";
	wo.color = isatty(1);
	while ((c = getopt_long(argc, argv, is_watch ? "b:X:n:g:rt:h" : "b:X:r:lk:zn:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': po.brokers = wo.brokers = optarg; break;
		case 'X':
			if (nprops < 64) {
				props[nprops++] = optarg;
			}
			break;
		case 'R': po.rate = atof(optarg); break;
		case 'r':
			if (is_watch) {
				wo.raw = 1;
			} else {
				po.rate = atof(optarg);
			}
			break;
		case 'l': po.loop = 1; break;
		case 'k': po.key_field = optarg; break;
		case 'z': po.gzip = 1; break;
		case 'n': po.limit = wo.count = atol(optarg); break;
		case 'g': wo.group = optarg; break;
		case 't': wo.idle_timeout = atof(optarg); break;
		case 'h': usage_clients(stdout); return 0;
		default: usage_clients(stderr); return 2;
		}
	}
	if (!po.brokers) {
		fprintf(stderr, "feedsense %s: --brokers is required\n", is_watch ? "watch" : "produce");
		return 2;
	}
	po.props = wo.props = props;
	po.nprops = wo.nprops = nprops;
	install_signals();
	if (is_watch) {
		if (optind < argc) {
			wo.topics = argv[optind];
		}
		return fs_client_watch(&wo, &stop_flag);
	}
	if (optind >= argc) {
		fprintf(stderr, "feedsense produce: TOPIC is required\n");
		return 2;
	}
	po.topic = argv[optind++];
	return fs_client_produce(&po, (const char *const *)argv + optind, (size_t)(argc - optind), &stop_flag);
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
	if (!strcmp(cmd, "run")) {
		return cmd_run(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "check-config")) {
		return cmd_check_config(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "windows")) {
		return cmd_windows(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "broker")) {
		return cmd_broker(argc - 1, argv + 1);
	}
	if (!strcmp(cmd, "produce")) {
		return cmd_clients(argc - 1, argv + 1, 0);
	}
	if (!strcmp(cmd, "watch")) {
		return cmd_clients(argc - 1, argv + 1, 1);
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		return cmd_version();
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		if (argc > 2 && !strcmp(argv[2], "score")) {
			usage_score(stdout);
		} else if (argc > 2 && !strcmp(argv[2], "lexicon")) {
			usage_lexicon(stdout);
		} else if (argc > 2 && (!strcmp(argv[2], "run") || !strcmp(argv[2], "check-config") ||
					!strcmp(argv[2], "windows"))) {
			usage_run(stdout, argv[2]);
		} else if (argc > 2 && !strcmp(argv[2], "broker")) {
			usage_broker(stdout);
		} else if (argc > 2 && (!strcmp(argv[2], "produce") || !strcmp(argv[2], "watch"))) {
			usage_clients(stdout);
		} else {
			usage_main(stdout);
		}
		return 0;
	}
	fprintf(stderr, "feedsense: unknown command '%s'\n\n", cmd);
	usage_main(stderr);
	return 2;
}
