/*
 * test_config: unit tests of the configuration (include/feedsense/config.h).
 *
 * Covers the defaults; a file with every section; the "file:line:" errors
 * (unknown key listing the valid keys, unknown section, key outside a
 * section, bad and out-of-range integers, bad enums, bad doubles) and a
 * missing file; the librdkafka pass-through properties with their origin;
 * precedence (file < environment < fs_config_set); unknown and ignored
 * FEEDSENSE_ variables; fs_config_kafka_conf against a real
 * rd_kafka_conf_t; secret masking; print -> load round trip;
 * fs_config_validate; the example file, which must load as the defaults
 * and match deploy/feedsense.example.ini
 * (FEEDSENSE_TEST_REGENERATE=1 build/release/tests/test_config rewrites it).
 */
#include "testutil.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include "feedsense/config.h"

#define EXAMPLE_FILE "deploy/feedsense.example.ini"

typedef struct cstate {
	fs_config_t cfg;
	char path[64]; /* temporary file, "" when none */
	char es[1024];
} cstate_t;

static int setup(void **state)
{
	cstate_t *st = calloc(1, sizeof(*st));

	if (!st) {
		return -1;
	}
	fs_config_init(&st->cfg);
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	cstate_t *st = *state;

	if (st->path[0]) {
		unlink(st->path);
	}
	fs_config_free(&st->cfg);
	free(st);
	return 0;
}

/* Write @p data to a new temporary file; its name goes to st->path. */
static void write_tmp(cstate_t *st, const char *data)
{
	int fd;
	size_t len = strlen(data);

	if (st->path[0]) {
		unlink(st->path);
	}
	snprintf(st->path, sizeof(st->path), "/tmp/feedsense-test-config-XXXXXX");
	fd = mkstemp(st->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Write @p data to a temporary file and load it into st->cfg. */
static fs_err_t load(cstate_t *st, const char *data)
{
	write_tmp(st, data);
	st->es[0] = '\0';
	return fs_config_load_file(&st->cfg, st->path, st->es, sizeof(st->es));
}

/* "path:line" of the current temporary file. */
static const char *at(cstate_t *st, unsigned line)
{
	static char buf[96];
	snprintf(buf, sizeof(buf), "%s:%u", st->path, line);
	return buf;
}

/* The output of a print function as a malloc'd string. */
static char *capture(const fs_config_t *cfg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	if (cfg) {
		fs_config_print(cfg, fp);
	} else {
		fs_config_print_example(fp);
	}
	fclose(fp);
	return out;
}

static void test_defaults(void **state)
{
	cstate_t *st = *state;
	fs_config_t *cfg = &st->cfg;

	assert_null(cfg->brokers);
	assert_string_equal(cfg->group, "feedsense");
	assert_string_equal(cfg->input_topics, "feedback");
	assert_int_equal(cfg->format, FS_FORMAT_AUTO);
	assert_string_equal(cfg->text_field, "text");
	assert_string_equal(cfg->id_field, "id");
	assert_string_equal(cfg->timestamp_field, "timestamp");
	assert_string_equal(cfg->channel_field, "channel");
	assert_string_equal(cfg->customer_field, "customer_id");
	assert_string_equal(cfg->locale_field, "locale");
	assert_string_equal(cfg->rating_field, "rating");
	assert_int_equal(cfg->max_text_bytes, 1048576);
	assert_int_equal(cfg->max_message_bytes, 10485760);
	assert_string_equal(cfg->scored_topic, "feedback.scored");
	assert_string_equal(cfg->alerts_topic, "feedback.alerts");
	assert_string_equal(cfg->dlq_topic, "feedback.dlq");
	assert_approx(cfg->alert_below, -0.5);
	assert_string_equal(cfg->alert_flags, "churn_risk,legal_threat,safety,abusive");
	assert_null(cfg->lexicons);
	assert_null(cfg->user_lexicons);
	assert_approx(cfg->pos_threshold, 0.05);
	assert_approx(cfg->neg_threshold, -0.05);
	assert_int_equal(cfg->match_limit, 200000);
	assert_int_equal(cfg->workers, 0);
	assert_int_equal(cfg->queue_size, 20000);
	assert_int_equal(cfg->guarantee, FS_AT_LEAST_ONCE);
	assert_null(cfg->transactional_id);
	assert_int_equal(cfg->shutdown_timeout_ms, 30000);
	assert_int_equal(cfg->summary_interval_ms, 10000);
	assert_int_equal(cfg->txn_interval_ms, 100);
	assert_int_equal(cfg->broker_partitions, 4);
	assert_string_equal(cfg->log_level, "info");
	assert_int_equal(cfg->nkprops, 0);
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_OK);
}

static const char full_file[] = "# every section\n"                          /* 1 */
				"[kafka]\n"                                  /* 2 */
				"brokers = k1:9092,k2:9092\n"                /* 3 */
				"group = scorers\n"                          /* 4 */
				"socket.timeout.ms = 10000\n"                /* 5 */
				"[kafka.consumer]\n"                         /* 6 */
				"auto.offset.reset = earliest\n"             /* 7 */
				"[kafka.producer]\n"                         /* 8 */
				"linger.ms = 5\n"                            /* 9 */
				"[input]\n"                                  /* 10 */
				"topics = reviews, tickets\n"                /* 11 */
				"format = json\n"                            /* 12 */
				"text_field = body\n"                        /* 13 */
				"id_field = uid\n"                           /* 14 */
				"timestamp_field = ts\n"                     /* 15 */
				"channel_field = src\n"                      /* 16 */
				"customer_field = cust\n"                    /* 17 */
				"locale_field = lang\n"                      /* 18 */
				"rating_field = stars\n"                     /* 19 */
				"max_text_bytes = 2048\n"                    /* 20 */
				"max_message_bytes = 65536\n"                /* 21 */
				"[output]\n"                                 /* 22 */
				"scored = out.scored\n"                      /* 23 */
				"alerts =\n"                                 /* 24 */
				"dlq = out.dlq\n"                            /* 25 */
				"alert_below = -0.7\n"                       /* 26 */
				"alert_flags = churn_risk\n"                 /* 27 */
				"[scoring]\n"                                /* 28 */
				"lexicons = /opt/lex\n"                      /* 29 */
				"user_lexicons = vader:/a.txt,afinn:/b.txt\n" /* 30 */
				"pos_threshold = 0.1\n"                      /* 31 */
				"neg_threshold = -0.2\n"                     /* 32 */
				"match_limit = 5000\n"                       /* 33 */
				"[pipeline]\n"                               /* 34 */
				"workers = 3\n"                              /* 35 */
				"queue_size = 100\n"                         /* 36 */
				"processing_guarantee = exactly_once\n"      /* 37 */
				"transactional_id = fs-1\n"                  /* 38 */
				"shutdown_timeout_ms = 5000\n"               /* 39 */
				"summary_interval_ms = 0\n"                  /* 40 */
				"txn_interval_ms = 250\n"                    /* 41 */
				"[broker]\n"                                 /* 42 */
				"partitions = 8\n"                           /* 43 */
				"[log]\n"                                    /* 44 */
				"level = debug\n";                           /* 45 */

static void test_load_every_section(void **state)
{
	cstate_t *st = *state;
	fs_config_t *cfg = &st->cfg;

	assert_int_equal(load(st, full_file), FS_OK);
	assert_string_equal(cfg->brokers, "k1:9092,k2:9092");
	assert_string_equal(cfg->group, "scorers");
	assert_string_equal(cfg->input_topics, "reviews, tickets");
	assert_int_equal(cfg->format, FS_FORMAT_JSON);
	assert_string_equal(cfg->text_field, "body");
	assert_string_equal(cfg->id_field, "uid");
	assert_string_equal(cfg->timestamp_field, "ts");
	assert_string_equal(cfg->channel_field, "src");
	assert_string_equal(cfg->customer_field, "cust");
	assert_string_equal(cfg->locale_field, "lang");
	assert_string_equal(cfg->rating_field, "stars");
	assert_int_equal(cfg->max_text_bytes, 2048);
	assert_int_equal(cfg->max_message_bytes, 65536);
	assert_string_equal(cfg->scored_topic, "out.scored");
	assert_string_equal(cfg->alerts_topic, ""); /* empty: alerts disabled */
	assert_string_equal(cfg->dlq_topic, "out.dlq");
	assert_approx(cfg->alert_below, -0.7);
	assert_string_equal(cfg->alert_flags, "churn_risk");
	assert_string_equal(cfg->lexicons, "/opt/lex");
	assert_string_equal(cfg->user_lexicons, "vader:/a.txt,afinn:/b.txt");
	assert_approx(cfg->pos_threshold, 0.1);
	assert_approx(cfg->neg_threshold, -0.2);
	assert_int_equal(cfg->match_limit, 5000);
	assert_int_equal(cfg->workers, 3);
	assert_int_equal(cfg->queue_size, 100);
	assert_int_equal(cfg->guarantee, FS_EXACTLY_ONCE);
	assert_string_equal(cfg->transactional_id, "fs-1");
	assert_int_equal(cfg->shutdown_timeout_ms, 5000);
	assert_int_equal(cfg->summary_interval_ms, 0);
	assert_int_equal(cfg->txn_interval_ms, 250);
	assert_int_equal(cfg->broker_partitions, 8);
	assert_string_equal(cfg->log_level, "debug");
	assert_int_equal(cfg->nkprops, 3);
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_OK);
}

static void test_kafka_passthrough_origin(void **state)
{
	cstate_t *st = *state;
	fs_config_t *cfg = &st->cfg;

	assert_int_equal(load(st, full_file), FS_OK);
	assert_int_equal(cfg->nkprops, 3);
	assert_string_equal(cfg->kprops[0].name, "socket.timeout.ms");
	assert_string_equal(cfg->kprops[0].value, "10000");
	assert_int_equal(cfg->kprops[0].scope, 0);
	assert_string_equal(cfg->kprops[0].origin, at(st, 5));
	assert_string_equal(cfg->kprops[1].name, "auto.offset.reset");
	assert_int_equal(cfg->kprops[1].scope, 1);
	assert_string_equal(cfg->kprops[1].origin, at(st, 7));
	assert_string_equal(cfg->kprops[2].name, "linger.ms");
	assert_string_equal(cfg->kprops[2].value, "5");
	assert_int_equal(cfg->kprops[2].scope, 2);
	assert_string_equal(cfg->kprops[2].origin, at(st, 9));
}

static void test_unknown_key(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(load(st, "[input]\n"
				  "topics = a\n"
				  "text_feild = body\n"),
			 FS_ERR_PARSE);
	assert_prefix(st->es, at(st, 3));
	assert_contains(st->es, "input.text_feild: unknown key");
	/* the valid keys of [input] are listed, and only those */
	assert_contains(st->es, "text_field");
	assert_contains(st->es, "topics");
	assert_contains(st->es, "max_message_bytes");
	assert_null(strstr(st->es, "pos_threshold"));
}

static void test_unknown_section(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(load(st, "[log]\nlevel = warn\n\n[inputs]\ntopics = a\n"), FS_ERR_PARSE);
	assert_prefix(st->es, at(st, 4));
	assert_contains(st->es, "[inputs]: unknown section");
	assert_contains(st->es,
			"kafka, kafka.consumer, kafka.producer, input, output, scoring, pipeline, broker, metrics, log");
}

static void test_metrics_and_log_format(void **state)
{
	cstate_t *st = *state;

	assert_string_equal(st->cfg.metrics_listen, "127.0.0.1:9464");
	assert_string_equal(st->cfg.log_format, "plain");
	assert_int_equal(load(st, "[metrics]\nlisten = 0\n[log]\nformat = json\n"), FS_OK);
	assert_string_equal(st->cfg.metrics_listen, "0");
	assert_string_equal(st->cfg.log_format, "json");
	assert_int_equal(fs_config_validate(&st->cfg, st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_config_set(&st->cfg, "metrics.listen", "off", "--metrics", st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_config_validate(&st->cfg, st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_config_set(&st->cfg, "log.format", "xml", "--log-format", st->es, sizeof(st->es)),
			 FS_ERR_PARSE);
	assert_contains(st->es, "plain, json");
	assert_int_equal(fs_config_set(&st->cfg, "metrics.listen", "host.example:80", "--metrics", st->es,
				       sizeof(st->es)),
			 FS_OK);
	assert_int_equal(fs_config_validate(&st->cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_prefix(st->es, "metrics.listen: ");
	assert_contains(st->es, "numeric IP address");
	assert_int_equal(fs_config_set(&st->cfg, "metrics.listen", "127.0.0.1:70000", "--metrics", st->es,
				       sizeof(st->es)),
			 FS_OK);
	assert_int_equal(fs_config_validate(&st->cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
}

static void test_key_outside_section(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(load(st, "workers = 2\n"), FS_ERR_PARSE);
	assert_prefix(st->es, at(st, 1));
	assert_contains(st->es, "outside any section");
}

static void test_missing_file(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(fs_config_load_file(&st->cfg, "/nonexistent/feedsense.ini", st->es, sizeof(st->es)),
			 FS_ERR_IO);
	assert_prefix(st->es, "/nonexistent/feedsense.ini: ");
}

static void test_bad_int(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(load(st, "[pipeline]\nworkers = many\n"), FS_ERR_PARSE);
	assert_prefix(st->es, at(st, 2));
	assert_contains(st->es, "pipeline.workers: \"many\" is not an integer");
	assert_int_equal(load(st, "[pipeline]\nworkers = 4x\n"), FS_ERR_PARSE);
	assert_contains(st->es, "is not an integer");
	assert_int_equal(load(st, "[input]\nmax_text_bytes = 1.5\n"), FS_ERR_PARSE);
	assert_contains(st->es, "input.max_text_bytes: \"1.5\" is not an integer");
	assert_int_equal(st->cfg.workers, 0);
}

static void test_int_out_of_range(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(load(st, "[pipeline]\nworkers = 5000\n"), FS_ERR_PARSE);
	assert_prefix(st->es, at(st, 2));
	assert_contains(st->es, "pipeline.workers: 5000 is out of bounds: must be from 0 to 1024");
	assert_int_equal(load(st, "[pipeline]\nqueue_size = 0\n"), FS_ERR_PARSE);
	assert_contains(st->es, "from 1 to 10000000");
	assert_int_equal(load(st, "[input]\nmax_message_bytes = 99999999999999999999999\n"), FS_ERR_PARSE);
	assert_contains(st->es, "input.max_message_bytes: 99999999999999999999999 is out of bounds");
	assert_int_equal(load(st, "[pipeline]\nworkers = 1024\n"), FS_OK);
	assert_int_equal(st->cfg.workers, 1024);
}

static void test_bad_enum(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(load(st, "[input]\nformat = xml\n"), FS_ERR_PARSE);
	assert_prefix(st->es, at(st, 2));
	assert_contains(st->es, "input.format: \"xml\" is not one of: auto, json, plain");
	assert_int_equal(load(st, "[pipeline]\nprocessing_guarantee = at_most_once\n"), FS_ERR_PARSE);
	assert_contains(st->es, "is not one of: at_least_once, exactly_once");
	assert_int_equal(load(st, "[log]\nlevel = trace\n"), FS_ERR_PARSE);
	assert_contains(st->es, "log.level: \"trace\" is not one of: error, warn, info, debug");
	/* names are matched without regard to case and stored canonically */
	assert_int_equal(load(st, "[log]\nlevel = WARN\n[input]\nformat = Plain\n"), FS_OK);
	assert_string_equal(st->cfg.log_level, "warn");
	assert_int_equal(st->cfg.format, FS_FORMAT_PLAIN);
}

static void test_bad_double(void **state)
{
	cstate_t *st = *state;

	assert_int_equal(load(st, "[scoring]\npos_threshold = high\n"), FS_ERR_PARSE);
	assert_prefix(st->es, at(st, 2));
	assert_contains(st->es, "scoring.pos_threshold: \"high\" is not a number");
	assert_int_equal(load(st, "[scoring]\npos_threshold = nan\n"), FS_ERR_PARSE);
	assert_contains(st->es, "is not a number");
	assert_int_equal(load(st, "[output]\nalert_below = -1.5\n"), FS_ERR_PARSE);
	assert_contains(st->es, "output.alert_below: -1.5 is out of bounds: must be from -1 to 1");
	assert_approx(st->cfg.pos_threshold, 0.05);
}

static void test_empty_values(void **state)
{
	cstate_t *st = *state;

	/* a required string cannot be empty */
	assert_int_equal(load(st, "[output]\ndlq =\n"), FS_ERR_PARSE);
	assert_contains(st->es, "output.dlq: must not be empty");
	/* an optional one goes back to unset */
	assert_int_equal(load(st, "[kafka]\nbrokers = b:9092\n"), FS_OK);
	assert_string_equal(st->cfg.brokers, "b:9092");
	assert_int_equal(load(st, "[kafka]\nbrokers =\n"), FS_OK);
	assert_null(st->cfg.brokers);
}

static void test_env_overrides_file(void **state)
{
	cstate_t *st = *state;
	char *envp[] = {"PATH=/bin", "FEEDSENSE_INPUT_TEXT_FIELD=message", "FEEDSENSE_KAFKA_BROKERS=env:9092",
			"FEEDSENSE_PIPELINE_WORKERS= 6 ", "FEEDSENSE_PIPELINE_PROCESSING_GUARANTEE=exactly_once", NULL};

	assert_int_equal(load(st, "[input]\ntext_field = body\nid_field = uid\n[kafka]\nbrokers = file:9092\n"
				  "[pipeline]\nworkers = 2\n"),
			 FS_OK);
	assert_int_equal(fs_config_load_env(&st->cfg, envp, st->es, sizeof(st->es)), FS_OK);
	assert_string_equal(st->cfg.text_field, "message");
	assert_string_equal(st->cfg.id_field, "uid"); /* not overridden */
	assert_string_equal(st->cfg.brokers, "env:9092");
	assert_int_equal(st->cfg.workers, 6);
	assert_int_equal(st->cfg.guarantee, FS_EXACTLY_ONCE);
}

static void test_env_errors(void **state)
{
	cstate_t *st = *state;
	char *unknown[] = {"FEEDSENSE_UNKNOWN_THING=1", NULL};
	char *misspelt[] = {"FEEDSENSE_INPUT_TEXTFIELD=body", NULL};
	char *kafka_prop[] = {"FEEDSENSE_KAFKA_SASL_PASSWORD=x", "FEEDSENSE_KAFKA_CONSUMER_SESSION_TIMEOUT_MS=7000",
			      "FEEDSENSE_KAFKA_PRODUCER_LINGER_MS=20", NULL};
	char *bad_value[] = {"FEEDSENSE_BROKER_PARTITIONS=0", NULL};
	char *ignored[] = {"FEEDSENSE_LEXICONS=lexicons", "FEEDSENSE_BIN=bin/feedsense", "FEEDSENSE_TEST_SEED=7",
			   "NOT_FEEDSENSE_X=1", "FEEDSENSE_LOG_LEVEL=debug", NULL};

	assert_int_equal(fs_config_load_env(&st->cfg, unknown, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_prefix(st->es, "FEEDSENSE_UNKNOWN_THING: unknown variable");
	assert_int_equal(fs_config_load_env(&st->cfg, misspelt, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_prefix(st->es, "FEEDSENSE_INPUT_TEXTFIELD: unknown variable");
	assert_contains(st->es, "FEEDSENSE_INPUT_TEXT_FIELD");
	/* librdkafka properties: lower case, '_' for '.', scoped by CONSUMER_/PRODUCER_ */
	assert_int_equal(fs_config_load_env(&st->cfg, kafka_prop, st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(st->cfg.nkprops, 3);
	assert_string_equal(st->cfg.kprops[0].name, "sasl.password");
	assert_string_equal(st->cfg.kprops[0].value, "x");
	assert_int_equal(st->cfg.kprops[0].scope, 0);
	assert_string_equal(st->cfg.kprops[0].origin, "FEEDSENSE_KAFKA_SASL_PASSWORD");
	assert_string_equal(st->cfg.kprops[1].name, "session.timeout.ms");
	assert_int_equal(st->cfg.kprops[1].scope, 1);
	assert_string_equal(st->cfg.kprops[2].name, "linger.ms");
	assert_int_equal(st->cfg.kprops[2].scope, 2);
	assert_int_equal(fs_config_load_env(&st->cfg, bad_value, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_prefix(st->es, "FEEDSENSE_BROKER_PARTITIONS: broker.partitions: 0 is out of bounds");

	assert_int_equal(fs_config_load_env(&st->cfg, ignored, st->es, sizeof(st->es)), FS_OK);
	assert_null(st->cfg.lexicons);
	assert_string_equal(st->cfg.log_level, "debug");
}

static void test_set_overrides_env(void **state)
{
	cstate_t *st = *state;
	char *envp[] = {"FEEDSENSE_KAFKA_GROUP=from-env", "FEEDSENSE_OUTPUT_DLQ=env.dlq", NULL};

	assert_int_equal(fs_config_load_env(&st->cfg, envp, st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_config_set(&st->cfg, "kafka.group", "from-flag", "--group", st->es, sizeof(st->es)),
			 FS_OK);
	assert_string_equal(st->cfg.group, "from-flag");
	assert_string_equal(st->cfg.dlq_topic, "env.dlq");
	assert_int_equal(fs_config_set(&st->cfg, "pipeline.processing_guarantee", "exactly_once", NULL, st->es,
				       sizeof(st->es)),
			 FS_OK);
	assert_int_equal(st->cfg.guarantee, FS_EXACTLY_ONCE);

	assert_int_equal(fs_config_set(&st->cfg, "pipeline.workers", "-1", "--workers", st->es, sizeof(st->es)),
			 FS_ERR_PARSE);
	assert_prefix(st->es, "--workers: pipeline.workers: -1 is out of bounds");
	assert_int_equal(fs_config_set(&st->cfg, "input.nope", "x", NULL, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_contains(st->es, "input.nope: unknown setting; valid keys in [input]: topics, format");
	assert_int_equal(fs_config_set(&st->cfg, "nosuch.key", "x", NULL, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_contains(st->es, "unknown section [nosuch]; valid sections: kafka");
	assert_int_equal(fs_config_set(&st->cfg, "workers", "1", NULL, st->es, sizeof(st->es)), FS_ERR_ARG);
}

/* Apply cfg to a fresh rd_kafka_conf_t of @p scope; returns the error, conf in *out (caller destroys). */
static fs_err_t kconf(cstate_t *st, int scope, rd_kafka_conf_t **out)
{
	*out = rd_kafka_conf_new();
	assert_non_null(*out);
	st->es[0] = '\0';
	return fs_config_kafka_conf(&st->cfg, scope, *out, st->es, sizeof(st->es));
}

static const char *kget(rd_kafka_conf_t *conf, const char *name)
{
	static char buf[512];
	size_t size = sizeof(buf);
	if (rd_kafka_conf_get(conf, name, buf, &size) != RD_KAFKA_CONF_OK) {
		return NULL;
	}
	return buf;
}

static void test_kafka_conf_valid(void **state)
{
	cstate_t *st = *state;
	rd_kafka_conf_t *conf;

	assert_int_equal(load(st, "[kafka]\nbrokers = k1:9092\nsocket.timeout.ms = 10000\nclient.id = a\n"
				  "[kafka.consumer]\nclient.id = consumer\n[kafka.producer]\nlinger.ms = 7\n"),
			 FS_OK);
	assert_int_equal(fs_config_add_kprop(&st->cfg, "socket.timeout.ms", "20000", 0, "-X", st->es,
					     sizeof(st->es)),
			 FS_OK);

	assert_int_equal(kconf(st, 1, &conf), FS_OK);
	assert_string_equal(kget(conf, "bootstrap.servers"), "k1:9092");
	assert_string_equal(kget(conf, "group.id"), "feedsense");
	assert_string_equal(kget(conf, "socket.timeout.ms"), "20000"); /* -X came later */
	assert_string_equal(kget(conf, "client.id"), "consumer");      /* [kafka.consumer] overrides [kafka] */
	assert_string_equal(kget(conf, "linger.ms"), "5");             /* producer-only: librdkafka's default */
	rd_kafka_conf_destroy(conf);

	assert_int_equal(kconf(st, 2, &conf), FS_OK);
	assert_string_equal(kget(conf, "client.id"), "a");
	assert_string_equal(kget(conf, "linger.ms"), "7");
	assert_null(kget(conf, "group.id")); /* unset: the group is the consumer's */
	rd_kafka_conf_destroy(conf);
}

static void test_kafka_conf_unknown_property(void **state)
{
	cstate_t *st = *state;
	rd_kafka_conf_t *conf;
	char expect[128];

	assert_int_equal(load(st, "[kafka.consumer]\n\nsasl.pasword = hunter2\n"), FS_OK);
	/* the producer does not see a consumer property */
	assert_int_equal(kconf(st, 2, &conf), FS_OK);
	rd_kafka_conf_destroy(conf);
	assert_int_equal(kconf(st, 1, &conf), FS_ERR_PARSE);
	rd_kafka_conf_destroy(conf);
	snprintf(expect, sizeof(expect), "%s: kafka.consumer: sasl.pasword: ", at(st, 3));
	assert_prefix(st->es, expect);
	assert_contains(st->es, "No such configuration property");
	assert_null(strstr(st->es, "hunter2"));
	/* fs_config_validate applies them too */
	assert_int_equal(fs_config_validate(&st->cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_prefix(st->es, expect);

	/* an invalid value */
	fs_config_free(&st->cfg);
	fs_config_init(&st->cfg);
	assert_int_equal(fs_config_add_kprop(&st->cfg, "socket.timeout.ms", "soon", 0, NULL, st->es, sizeof(st->es)),
			 FS_OK);
	assert_int_equal(kconf(st, 2, &conf), FS_ERR_PARSE);
	rd_kafka_conf_destroy(conf);
	assert_prefix(st->es, "-X: kafka: socket.timeout.ms: ");
}

static void test_secrets_masked(void **state)
{
	cstate_t *st = *state;
	char *out;

	assert_true(fs_config_is_secret("sasl.password"));
	assert_true(fs_config_is_secret("ssl.key.password"));
	assert_true(fs_config_is_secret("ssl.keystore.password"));
	assert_true(fs_config_is_secret("sasl.oauthbearer.client.secret"));
	assert_true(fs_config_is_secret("ssl.key.pem"));
	assert_true(fs_config_is_secret("my.Password.file"));
	assert_false(fs_config_is_secret("sasl.username"));
	assert_false(fs_config_is_secret("brokers"));
	assert_false(fs_config_is_secret(NULL));

	assert_int_equal(load(st, "[kafka]\nbrokers = k:9092\nsasl.username = alice\nsasl.password = hunter2\n"
				  "[kafka.producer]\nssl.key.password = s3cr3t-key\n"),
			 FS_OK);
	out = capture(&st->cfg);
	assert_null(strstr(out, "hunter2"));
	assert_null(strstr(out, "s3cr3t-key"));
	assert_contains(out, "sasl.password = ********\n");
	assert_contains(out, "ssl.key.password = ********\n");
	assert_contains(out, "sasl.username = alice\n");
	assert_contains(out, "brokers = k:9092\n");
	assert_contains(out, "text_field = text\n");
	free(out);
}

static void test_print_round_trip(void **state)
{
	cstate_t *st = *state;
	fs_config_t back;
	char *first, *second;
	size_t i;

	assert_int_equal(load(st, full_file), FS_OK);
	assert_int_equal(fs_config_set(&st->cfg, "output.alert_below", "-0.123456789012", NULL, st->es,
				       sizeof(st->es)),
			 FS_OK);
	/* a property after a consumer one: the order must survive */
	assert_int_equal(fs_config_add_kprop(&st->cfg, "socket.timeout.ms", "20000", 0, "-X", st->es, sizeof(st->es)),
			 FS_OK);
	first = capture(&st->cfg);
	write_tmp(st, first);

	fs_config_init(&back);
	assert_int_equal(fs_config_load_file(&back, st->path, st->es, sizeof(st->es)), FS_OK);
	second = capture(&back);
	assert_string_equal(first, second);

	assert_string_equal(back.brokers, "k1:9092,k2:9092");
	assert_string_equal(back.alerts_topic, "");
	assert_string_equal(back.transactional_id, "fs-1");
	assert_true(back.alert_below == st->cfg.alert_below);
	assert_true(back.pos_threshold == st->cfg.pos_threshold);
	assert_int_equal(back.guarantee, FS_EXACTLY_ONCE);
	assert_int_equal(back.format, FS_FORMAT_JSON);
	assert_int_equal(back.broker_partitions, 8);
	assert_int_equal(back.nkprops, st->cfg.nkprops);
	for (i = 0; i < back.nkprops; i++) {
		assert_string_equal(back.kprops[i].name, st->cfg.kprops[i].name);
		assert_string_equal(back.kprops[i].value, st->cfg.kprops[i].value);
		assert_int_equal(back.kprops[i].scope, st->cfg.kprops[i].scope);
	}
	fs_config_free(&back);
	free(first);
	free(second);

	/* defaults: unset optional strings stay unset */
	fs_config_free(&st->cfg);
	fs_config_init(&st->cfg);
	first = capture(&st->cfg);
	write_tmp(st, first);
	fs_config_init(&back);
	assert_int_equal(fs_config_load_file(&back, st->path, st->es, sizeof(st->es)), FS_OK);
	assert_null(back.brokers);
	assert_null(back.lexicons);
	assert_null(back.transactional_id);
	second = capture(&back);
	assert_string_equal(first, second);
	fs_config_free(&back);
	free(first);
	free(second);
}

static void test_validate(void **state)
{
	cstate_t *st = *state;
	fs_config_t *cfg = &st->cfg;

	cfg->neg_threshold = 0.2;
	cfg->pos_threshold = 0.1;
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_contains(st->es, "scoring.neg_threshold");
	assert_contains(st->es, "scoring.pos_threshold");
	cfg->neg_threshold = 0.1; /* equal is allowed */
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_OK);

	assert_int_equal(fs_config_set(cfg, "output.dlq", "feedback.scored", NULL, st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_contains(st->es, "output.dlq: \"feedback.scored\" is also output.scored");

	assert_int_equal(fs_config_set(cfg, "output.dlq", "feedback.dlq", NULL, st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_config_set(cfg, "input.topics", "a, feedback.alerts", NULL, st->es, sizeof(st->es)),
			 FS_OK);
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_contains(st->es, "output.alerts: \"feedback.alerts\" is also an input topic");

	/* alerts disabled: no clash */
	assert_int_equal(fs_config_set(cfg, "output.alerts", "", NULL, st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_OK);

	/* fields set directly are checked against the table too */
	cfg->workers = -3;
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_contains(st->es, "pipeline.workers: -3 is out of bounds");
	cfg->workers = 0;
	cfg->guarantee = 7;
	assert_int_equal(fs_config_validate(cfg, st->es, sizeof(st->es)), FS_ERR_PARSE);
	assert_contains(st->es, "pipeline.processing_guarantee");
}

static void test_example(void **state)
{
	cstate_t *st = *state;
	char *example = capture(NULL), *defaults = capture(&st->cfg), *loaded, *file = NULL;
	fs_config_t back;
	FILE *fp;
	size_t len = 0;
	ssize_t n;

	/* every setting is documented */
	assert_contains(example, "\n[pipeline]\n");
	assert_contains(example, "#processing_guarantee = at_least_once\n");
	assert_contains(example, "#text_field = text\n");
	assert_contains(example, "FEEDSENSE_INPUT_TEXT_FIELD");
	assert_contains(example, "#brokers =\n");
	assert_contains(example, "One of: auto, json, plain.");

	/* loading it as is gives the defaults */
	write_tmp(st, example);
	fs_config_init(&back);
	assert_int_equal(fs_config_load_file(&back, st->path, st->es, sizeof(st->es)), FS_OK);
	loaded = capture(&back);
	assert_string_equal(loaded, defaults);
	fs_config_free(&back);

	/*
	 * The committed example file is up to date (tests run from the
	 * repository root). FEEDSENSE_TEST_REGENERATE=1 rewrites it.
	 */
	if (getenv("FEEDSENSE_TEST_REGENERATE")) {
		fp = fopen(EXAMPLE_FILE, "w");
		assert_non_null(fp);
		assert_int_equal(fputs(example, fp) >= 0, 1);
		assert_int_equal(fclose(fp), 0);
	}
	fp = fopen(EXAMPLE_FILE, "r");
	if (fp) {
		n = getdelim(&file, &len, '\0', fp);
		fclose(fp);
		assert_true(n >= 0);
		if (strcmp(file, example) != 0) {
			print_error("%s differs from fs_config_print_example(); regenerate it with\n"
				    "  FEEDSENSE_TEST_REGENERATE=1 %s\n",
				    EXAMPLE_FILE, "build/release/tests/test_config");
		}
		assert_string_equal(file, example);
	}
	free(file);
	free(example);
	free(defaults);
	free(loaded);
	if (!fp) {
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_every_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kafka_passthrough_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_and_log_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_outside_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_int, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_enum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_double, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_overrides_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_overrides_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kafka_conf_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kafka_conf_unknown_property, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_masked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
