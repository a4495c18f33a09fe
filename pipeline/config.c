/*
 * config: the settings table of `feedsense run` and everything it drives.
 *
 * Each setting is declared once, in settings[] below: section, key, type,
 * default (written as it would be in the file), bounds or allowed names,
 * the fs_config_t field it fills, and a description. From that one table
 * come the defaults (fs_config_init), the INI file reader
 * (fs_config_load_file), the FEEDSENSE_<SECTION>_<KEY> environment
 * overrides, "section.key" flags (fs_config_set), the per-setting part of
 * fs_config_validate, the effective configuration (fs_config_print) and the
 * documented example file (fs_config_print_example).
 *
 * The module also owns the librdkafka pass-through properties ([kafka],
 * [kafka.consumer], [kafka.producer], -X) and their application to an
 * rd_kafka_conf_t. Only this file includes librdkafka.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>

#include "feedsense/buf.h"
#include "feedsense/conf.h"
#include "feedsense/config.h"
#include "feedsense/log.h"
#include "feedsense/metrics.h"
#include "feedsense/window.h"

extern char **environ;

#define SECRET_MASK "********"

typedef enum stype {
	ST_STR,    /* char *, owned */
	ST_INT,    /* int, within [min, max] */
	ST_INT64,  /* int64_t, within [min, max] */
	ST_DOUBLE, /* double, finite, within [min, max] */
	ST_ENUM,   /* int: index into names */
	ST_CHOICE, /* char *: one of names, stored as the canonical name */
} stype_t;

/* String flags. Without either, an empty value is stored as "". */
#define SF_OPTIONAL 1u /* an empty value means "unset": the field is NULL */
#define SF_REQUIRED 2u /* the value must not be empty */

typedef struct setting {
	const char *section;
	const char *key;
	stype_t type;
	unsigned flags;
	const char *def;          /* default as written in the file; NULL: unset */
	double min, max;          /* numbers; exact for every bound used here */
	const char *const *names; /* ST_ENUM, ST_CHOICE: NULL-terminated */
	size_t off;
	const char *desc;
} setting_t;

/*
 * offsetof(fs_config_t, f), refusing to compile (comparison of distinct
 * pointer types, an error under -Werror) unless the field has type T, so a
 * table entry cannot write an int64_t into an int.
 */
#define FIELD(f, T) (offsetof(fs_config_t, f) + 0 * sizeof((T *)0 == &((fs_config_t *)0)->f))

#define S_STR(sec, key, f, flags, def, desc)                                                                           \
	{                                                                                                              \
		sec, key, ST_STR, flags, def, 0, 0, NULL, FIELD(f, char *), desc                                       \
	}
#define S_INT(sec, key, f, def, lo, hi, desc)                                                                          \
	{                                                                                                              \
		sec, key, ST_INT, 0, def, lo, hi, NULL, FIELD(f, int), desc                                            \
	}
#define S_I64(sec, key, f, def, lo, hi, desc)                                                                          \
	{                                                                                                              \
		sec, key, ST_INT64, 0, def, lo, hi, NULL, FIELD(f, int64_t), desc                                      \
	}
#define S_DBL(sec, key, f, def, lo, hi, desc)                                                                          \
	{                                                                                                              \
		sec, key, ST_DOUBLE, 0, def, lo, hi, NULL, FIELD(f, double), desc                                      \
	}
#define S_ENUM(sec, key, f, def, names, desc)                                                                          \
	{                                                                                                              \
		sec, key, ST_ENUM, 0, def, 0, 0, names, FIELD(f, int), desc                                            \
	}
#define S_CHOICE(sec, key, f, def, names, desc)                                                                        \
	{                                                                                                              \
		sec, key, ST_CHOICE, 0, def, 0, 0, names, FIELD(f, char *), desc                                       \
	}

/* In the order of the enums in config.h. */
static const char *const format_names[] = {"auto", "json", "plain", NULL};
static const char *const guarantee_names[] = {"at_least_once", "exactly_once", NULL};
static const char *const level_names[] = {"error", "warn", "info", "debug", NULL};
static const char *const log_format_names[] = {"plain", "json", NULL};

static const setting_t settings[] = {
    S_STR("kafka", "brokers", brokers, SF_OPTIONAL, NULL,
	  "Bootstrap brokers, host:port[,host:port...] (librdkafka bootstrap.servers). Empty: start the "
	  "embedded mock cluster (see [broker])."),
    S_STR("kafka", "group", group, SF_REQUIRED, "feedsense",
	  "Consumer group id (librdkafka group.id); also names the default transactional id."),

    S_STR("input", "topics", input_topics, SF_REQUIRED, "feedback",
	  "Topics to consume: a comma-separated list, or one regular expression starting with '^'."),
    S_ENUM("input", "format", format, "auto", format_names,
	   "Payload format: json, plain (the payload is the text), or auto (JSON when the payload starts "
	   "with '{', else plain text)."),
    S_STR("input", "text_field", text_field, SF_REQUIRED, "text", "JSON field holding the feedback text."),
    S_STR("input", "id_field", id_field, 0, "id", "JSON field holding the message id."),
    S_STR("input", "timestamp_field", timestamp_field, 0, "timestamp", "JSON field holding the event time."),
    S_STR("input", "channel_field", channel_field, 0, "channel",
	  "JSON field naming the channel the feedback came through."),
    S_STR("input", "customer_field", customer_field, 0, "customer_id", "JSON field holding the customer id."),
    S_STR("input", "locale_field", locale_field, 0, "locale", "JSON field holding the locale."),
    S_STR("input", "rating_field", rating_field, 0, "rating", "JSON field holding a numeric rating."),
    S_I64("input", "max_text_bytes", max_text_bytes, "1048576", 1, 1073741824,
	  "Largest text accepted, in bytes, after JSON decoding."),
    S_I64("input", "max_message_bytes", max_message_bytes, "10485760", 1, 1073741824,
	  "Largest message accepted, in bytes, both as received and after gzip inflation."),

    S_STR("output", "scored", scored_topic, SF_REQUIRED, "feedback.scored",
	  "Topic for the scored events (feedsense.scored.v1)."),
    S_STR("output", "alerts", alerts_topic, 0, "feedback.alerts", "Topic for alerts; empty disables alerts."),
    S_STR("output", "dlq", dlq_topic, SF_REQUIRED, "feedback.dlq",
	  "Dead-letter topic for the messages that cannot be scored."),
    S_DBL("output", "alert_below", alert_below, "-0.5", -1, 1,
	  "A message labelled negative whose compound score is at or below this value raises an alert."),
    S_STR("output", "alert_flags", alert_flags, 0, "churn_risk,legal_threat,safety,abusive",
	  "Comma-separated flags that raise an alert whatever the score; empty: none."),

    S_STR("scoring", "lexicons", lexicons, SF_OPTIONAL, NULL,
	  "Lexicon directory. Empty: the default, as for `feedsense score`."),
    S_STR("scoring", "user_lexicons", user_lexicons, SF_OPTIONAL, NULL,
	  "Extra lexicons, a comma-separated list of [vader:|afinn:]FILE."),
    S_DBL("scoring", "pos_threshold", pos_threshold, "0.05", -1, 1,
	  "A compound score at or above this value is positive."),
    S_DBL("scoring", "neg_threshold", neg_threshold, "-0.05", -1, 1,
	  "A compound score at or below this value is negative; must not exceed pos_threshold."),
    S_I64("scoring", "match_limit", match_limit, "200000", 1, 4294967295.0,
	  "PCRE2 match limit of a rule on one message: bounds the work of a pathological pattern."),
    S_INT("scoring", "watch", watch, "0", 0, 1,
	  "1: watch the lexicon directory and reload the lexicons, rules and categories 500 ms after its "
	  "files stop changing (SIGHUP reloads them in any case); a set that fails to load is rejected "
	  "and the running one stays."),

    S_INT("pipeline", "workers", workers, "0", 0, 1024, "Scoring threads; 0: one per CPU core."),
    S_INT("pipeline", "queue_size", queue_size, "20000", 1, 10000000, "Messages buffered per worker."),
    S_ENUM("pipeline", "processing_guarantee", guarantee, "at_least_once", guarantee_names,
	   "at_least_once: input offsets are committed once the outputs are acknowledged (a crash can "
	   "repeat messages); exactly_once: outputs and offsets are written in Kafka transactions."),
    S_STR("pipeline", "transactional_id", transactional_id, SF_OPTIONAL, NULL,
	  "Transactional id for exactly_once, unique per instance and stable across its restarts (a restart "
	  "fences the instance it replaces at once). Empty: feedsense-<group>-<host name>; set it when several "
	  "instances of one group share a host."),
    S_I64("pipeline", "shutdown_timeout_ms", shutdown_timeout_ms, "30000", 0, 3600000,
	  "On shutdown, how long to wait for the messages in flight, in milliseconds."),
    S_I64("pipeline", "summary_interval_ms", summary_interval_ms, "10000", 0, 86400000,
	  "Interval of the summary line on stderr, in milliseconds; 0: off."),
    S_I64("pipeline", "txn_interval_ms", txn_interval_ms, "100", 1, 60000,
	  "exactly_once: how long a transaction collects messages before it commits, in milliseconds."),
    S_I64("pipeline", "max_messages", max_messages, "0", 0, 1e15,
	  "Stop cleanly after consuming this many messages (batch jobs, benchmarks); 0: run until stopped."),
    S_INT("pipeline", "passthrough", passthrough, "0", 0, 1,
	  "1: copy each message to the scored topic without decoding or scoring (measures the Kafka I/O "
	  "ceiling); never for production."),

    S_INT("broker", "partitions", broker_partitions, "4", 1, 256,
	  "Partitions of each topic the embedded cluster creates."),

    S_STR("metrics", "listen", metrics_listen, 0, "127.0.0.1:9464",
	  "Address of the HTTP endpoints /metrics (Prometheus), /healthz and /readyz: HOST:PORT, "
	  "[IPv6]:PORT, :PORT (every interface) or a bare PORT (127.0.0.1); port 0 picks a free one (the log "
	  "says which); off or empty: no endpoints. If the address cannot be bound the pipeline runs on "
	  "without them (the error is logged)."),

    S_CHOICE("log", "level", log_level, "info", level_names, "Least severe messages logged."),
    S_CHOICE("log", "format", log_format, "plain", log_format_names,
	     "plain: one line of text per message; json: one JSON object per line (ts, level, module, msg)."),

    S_I64("windows", "length", win_length, "300", 1, 86400, "Window length in seconds; a multiple of step."),
    S_I64("windows", "step", win_step, "30", 1, 3600,
	  "Step in seconds: windows end on multiples of it and are evaluated once each."),
    S_I64("windows", "lateness", win_lateness, "60", 0, 86400,
	  "Allowed lateness in seconds: an event older than the event-time frontier (the newest event time "
	  "all partitions reached) minus this is late: counted, not windowed."),
    S_I64("windows", "idle_close", win_idle_close, "0", 0, 86400,
	  "Seconds of total silence (every partition read to its end, no event) after which the event-time "
	  "frontier follows the wall clock, at now minus this, so the last windows close and their spikes and "
	  "recoveries are published without waiting for later events. For event times that follow the wall "
	  "clock (live feedback); an event that then arrives older than that frontier minus the lateness is "
	  "late. 0: off, windows close only when later events arrive."),
    S_I64("windows", "min_count", win_min_count, "20", 1, 1e9, "Negative messages a window needs to raise a spike."),
    S_DBL("windows", "min_share", win_min_share, "0.5", 0, 1, "Negative share a window needs to raise a spike."),
    S_INT("windows", "baseline_windows", win_baseline_windows, "6", 0, 1000,
	  "Windows before the spike window forming the trailing baseline; 0: no baseline condition."),
    S_DBL("windows", "baseline_factor", win_baseline_factor, "2", 0, 1000,
	  "A spike also needs share >= factor x baseline share (skipped when the baseline is empty); 0: off."),
    S_DBL("windows", "recovery_share", win_recovery_share, "0", 0, 1,
	  "An open incident closes (recovery event) when a window's share falls under this; 0: min_share / 2."),
    S_I64("windows", "cooldown", win_cooldown, "1800", 0, 31536000,
	  "Seconds after a spike during which the same key raises no new spike."),
    S_STR("windows", "keys", win_keys, SF_REQUIRED, "category,channel",
	  "What windows are kept per: a comma list of category, channel, overall."),
    S_I64("windows", "max_keys", win_max_keys, "10000", 1, 1000000,
	  "Most category and channel keys tracked at once; events of further keys are counted, not tracked."),
    S_STR("windows", "input", win_input, SF_OPTIONAL, NULL, "Scored topic to read. Empty: output.scored."),
    S_STR("windows", "output", win_output, SF_OPTIONAL, NULL,
	  "Topic for window alerts (header feedsense.alert.kind=window). Empty: output.alerts."),
    S_STR("windows", "metrics_listen", win_metrics_listen, 0, "127.0.0.1:9465",
	  "Address of the HTTP endpoints /metrics (Prometheus), /healthz and /readyz of `feedsense windows`, "
	  "with the syntax of metrics.listen; the default port differs from the pipeline's (9464) so both can "
	  "run on one host. off or empty: no endpoints."),
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

typedef struct section {
	const char *name;
	int scope; /* -1: table settings only; 0..2: other keys are librdkafka properties of that scope */
	const char *desc;
	const char *example; /* commented example lines, pass-through sections only */
} section_t;

static const section_t sections[] = {
    {"kafka", 0,
     "Kafka connection. brokers and group are shortcuts for bootstrap.servers and group.id (a "
     "bootstrap.servers or group.id property given here overrides them). Any other key is a librdkafka "
     "property for both the consumer and the producer; librdkafka checks it.",
     "#security.protocol = sasl_ssl\n"
     "#sasl.mechanisms = SCRAM-SHA-512\n"
     "#sasl.username = feedsense\n"
     "#sasl.password = change-me\n"},
    {"kafka.consumer", 1, "librdkafka properties for the consumer only (they override [kafka]).",
     "#auto.offset.reset = earliest\n"
     "#session.timeout.ms = 45000\n"},
    {"kafka.producer", 2, "librdkafka properties for the producer only (they override [kafka]).",
     "#linger.ms = 5\n"
     "#compression.type = lz4\n"},
    {"input", -1, "What is consumed, and how it is decoded.", NULL},
    {"output", -1, "Where the results go, and what raises an alert.", NULL},
    {"scoring", -1, "The sentiment engine.", NULL},
    {"pipeline", -1, "Threads, queues and the delivery guarantee.", NULL},
    {"broker", -1, "The embedded mock Kafka cluster, started when kafka.brokers is empty (for trials and tests).",
     NULL},
    {"metrics", -1, "Prometheus metrics and health endpoints of `feedsense run`.", NULL},
    {"log", -1, "Logging, on stderr. Secret property values are never written.", NULL},
    {"windows", -1,
     "Spike detection of `feedsense windows`: sliding windows of negative share per category and channel, "
     "from the scored topic, alerts (feedsense.alert.v1) to the alerts topic.",
     NULL},
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static const char *const scope_section[] = {"kafka", "kafka.consumer", "kafka.producer"};

/* FEEDSENSE_* variables that belong to other parts of the program. */
static const char *const env_ignored[] = {"FEEDSENSE_LEXICONS", "FEEDSENSE_BIN", NULL};
#define ENV_IGNORED_PREFIX "FEEDSENSE_TEST_"

static void *field_ptr(fs_config_t *cfg, const setting_t *s)
{
	return (char *)cfg + s->off;
}

static const void *cfield_ptr(const fs_config_t *cfg, const setting_t *s)
{
	return (const char *)cfg + s->off;
}

static const section_t *find_section(const char *name)
{
	size_t i;
	for (i = 0; i < NSECTIONS; i++) {
		if (strcmp(sections[i].name, name) == 0) {
			return &sections[i];
		}
	}
	return NULL;
}

static const setting_t *find_setting(const char *section, const char *key)
{
	size_t i;
	for (i = 0; i < NSETTINGS; i++) {
		if (strcmp(settings[i].section, section) == 0 && strcmp(settings[i].key, key) == 0) {
			return &settings[i];
		}
	}
	return NULL;
}

/* Append s to the NUL-terminated buf of size size, truncating. */
static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);
	if (len + 1 < size) {
		snprintf(buf + len, size - len, "%s", s);
	}
}

/* "a, b, c" from a NULL-terminated list of names. */
static void join_names(char *buf, size_t size, const char *const *names)
{
	size_t i;
	buf[0] = '\0';
	for (i = 0; names[i]; i++) {
		append(buf, size, i ? ", " : "");
		append(buf, size, names[i]);
	}
}

static void list_sections(char *buf, size_t size)
{
	size_t i;
	buf[0] = '\0';
	for (i = 0; i < NSECTIONS; i++) {
		append(buf, size, i ? ", " : "");
		append(buf, size, sections[i].name);
	}
}

/* The keys of @p section, "a, b, c"; pass-through sections say so. */
static void list_keys(const section_t *sec, char *buf, size_t size)
{
	size_t i;
	int n = 0;
	buf[0] = '\0';
	for (i = 0; i < NSETTINGS; i++) {
		if (strcmp(settings[i].section, sec->name) == 0) {
			append(buf, size, n++ ? ", " : "");
			append(buf, size, settings[i].key);
		}
	}
	if (sec->scope >= 0) {
		append(buf, size, n ? ", and any librdkafka property" : "any librdkafka property");
	}
}

/* FEEDSENSE_<SECTION>_<KEY>, upper case, '.' in the section as '_'. */
static void env_name(const setting_t *s, char *buf, size_t size)
{
	char *p;
	snprintf(buf, size, "FEEDSENSE_%s_%s", s->section, s->key);
	for (p = buf; *p; p++) {
		*p = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	}
}

/*
 * Fill errstr with "[where: ]section.key: reason" and return err. @p where
 * is the origin of the value ("file:line", a variable name, a flag) or NULL.
 */
static fs_err_t __attribute__((format(printf, 6, 7)))
setting_error(char *errstr, size_t errstr_size, fs_err_t err, const char *where, const setting_t *s, const char *fmt,
	      ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return fs_seterr(errstr, errstr_size, err, "%s%s%s.%s: %s", where ? where : "", where ? ": " : "", s->section,
			 s->key, reason);
}

static fs_err_t bounds_error(char *errstr, size_t errstr_size, const char *where, const setting_t *s, const char *value)
{
	const char *fmt = s->type == ST_DOUBLE ? "%g" : "%.0f";
	char lo[64], hi[64];

	snprintf(lo, sizeof(lo), fmt, s->min);
	snprintf(hi, sizeof(hi), fmt, s->max);
	return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s, "%s is out of bounds: must be from %s to %s",
			     value, lo, hi);
}

static int count_names(const char *const *names)
{
	int n = 0;
	while (names[n]) {
		n++;
	}
	return n;
}

/* Index of @p value in @p names (case-insensitive), or -1. */
static int find_name(const char *const *names, const char *value)
{
	int i;
	for (i = 0; names[i]; i++) {
		if (strcasecmp(names[i], value) == 0) {
			return i;
		}
	}
	return -1;
}

/*
 * Parse @p value (already trimmed) as setting @p s and store it in @p cfg.
 * On error the field is unchanged and errstr says why, prefixed with
 * @p where. Strings are copied.
 */
static fs_err_t parse_setting(fs_config_t *cfg, const setting_t *s, const char *value, const char *where, char *errstr,
			      size_t errstr_size)
{
	void *field = field_ptr(cfg, s);
	char *end = NULL;
	char names[256];

	switch (s->type) {
	case ST_STR: {
		char *copy = NULL;
		if (strpbrk(value, "\r\n")) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s,
					     "value contains a line break");
		}
		if (!*value && (s->flags & SF_REQUIRED)) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s, "must not be empty");
		}
		if (*value || !(s->flags & SF_OPTIONAL)) {
			copy = strdup(value);
			if (!copy) {
				return setting_error(errstr, errstr_size, FS_ERR_NOMEM, where, s, "out of memory");
			}
		}
		free(*(char **)field);
		*(char **)field = copy;
		return FS_OK;
	}
	case ST_INT:
	case ST_INT64: {
		long long v;
		if (!*value || isspace((unsigned char)*value)) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s, "\"%s\" is not an integer",
					     value);
		}
		errno = 0;
		v = strtoll(value, &end, 10);
		if (*end) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s, "\"%s\" is not an integer",
					     value);
		}
		if (errno == ERANGE || (double)v < s->min || (double)v > s->max) {
			return bounds_error(errstr, errstr_size, where, s, value);
		}
		if (s->type == ST_INT) {
			*(int *)field = (int)v;
		} else {
			*(int64_t *)field = (int64_t)v;
		}
		return FS_OK;
	}
	case ST_DOUBLE: {
		double v;
		if (!*value || isspace((unsigned char)*value)) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s, "\"%s\" is not a number",
					     value);
		}
		v = strtod(value, &end);
		if (*end || !isfinite(v)) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s, "\"%s\" is not a number",
					     value);
		}
		if (v < s->min || v > s->max) {
			return bounds_error(errstr, errstr_size, where, s, value);
		}
		*(double *)field = v;
		return FS_OK;
	}
	case ST_ENUM:
	case ST_CHOICE: {
		int i = find_name(s->names, value);
		char *copy;
		if (i < 0) {
			join_names(names, sizeof(names), s->names);
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, where, s, "\"%s\" is not one of: %s",
					     value, names);
		}
		if (s->type == ST_ENUM) {
			*(int *)field = i;
			return FS_OK;
		}
		copy = strdup(s->names[i]);
		if (!copy) {
			return setting_error(errstr, errstr_size, FS_ERR_NOMEM, where, s, "out of memory");
		}
		free(*(char **)field);
		*(char **)field = copy;
		return FS_OK;
	}
	}
	return setting_error(errstr, errstr_size, FS_ERR_ARG, where, s, "bad setting type");
}

/* parse_setting() on a copy of @p value without surrounding blanks. */
static fs_err_t set_trimmed(fs_config_t *cfg, const setting_t *s, const char *value, const char *where, char *errstr,
			    size_t errstr_size)
{
	size_t len;
	char *copy;
	fs_err_t err;

	while (isspace((unsigned char)*value)) {
		value++;
	}
	len = strlen(value);
	while (len && isspace((unsigned char)value[len - 1])) {
		len--;
	}
	copy = strndup(value, len);
	if (!copy) {
		return setting_error(errstr, errstr_size, FS_ERR_NOMEM, where, s, "out of memory");
	}
	err = parse_setting(cfg, s, copy, where, errstr, errstr_size);
	free(copy);
	return err;
}

/*
 * Fill every field with its default by parsing the table's default text,
 * so a default is written once and obeys the same rules as a file value.
 * This cannot fail: the unit tests check every default. Should memory run
 * out, a string is left NULL and fs_config_validate() reports it.
 */
void fs_config_init(fs_config_t *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].def) {
			(void)parse_setting(cfg, &settings[i], settings[i].def, NULL, NULL, 0);
		}
	}
}

void fs_config_free(fs_config_t *cfg)
{
	size_t i;

	if (!cfg) {
		return;
	}
	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].type == ST_STR || settings[i].type == ST_CHOICE) {
			free(*(char **)field_ptr(cfg, &settings[i]));
		}
	}
	for (i = 0; i < cfg->nkprops; i++) {
		free(cfg->kprops[i].name);
		free(cfg->kprops[i].value);
		free(cfg->kprops[i].origin);
	}
	free(cfg->kprops);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * Append a property. All or nothing: on error the list is unchanged. The
 * value must fit on one line so that fs_config_print() can write it back.
 */
fs_err_t fs_config_add_kprop(fs_config_t *cfg, const char *name, const char *value, int scope, const char *origin,
			     char *errstr, size_t errstr_size)
{
	fs_kprop_t kp = {NULL, NULL, scope, NULL};

	if (!origin) {
		origin = "-X";
	}
	if (scope < 0 || scope > 2) {
		return fs_seterr(errstr, errstr_size, FS_ERR_ARG, "%s: bad property scope %d", origin, scope);
	}
	if (!name || !*name) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s: %s: empty property name", origin,
				 scope_section[scope]);
	}
	if (!value || strpbrk(value, "\r\n")) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s: %s: %s: %s", origin, scope_section[scope],
				 name, value ? "value contains a line break" : "missing value");
	}
	if (cfg->nkprops == cfg->kprops_cap) {
		size_t cap = cfg->kprops_cap ? cfg->kprops_cap * 2 : 8;
		fs_kprop_t *nk = realloc(cfg->kprops, cap * sizeof(*nk));
		if (!nk) {
			goto fail;
		}
		cfg->kprops = nk;
		cfg->kprops_cap = cap;
	}
	kp.name = strdup(name);
	kp.value = strdup(value);
	kp.origin = strdup(origin);
	if (!kp.name || !kp.value || !kp.origin) {
		goto fail;
	}
	cfg->kprops[cfg->nkprops++] = kp;
	return FS_OK;

fail:
	free(kp.name);
	free(kp.value);
	free(kp.origin);
	return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: %s: out of memory", origin, name);
}

typedef struct load_ctx {
	fs_config_t *cfg;
	const char *name;
} load_ctx_t;

/* fs_conf_fn for the configuration file: one section header or key. */
static fs_err_t load_key(void *opaque, const char *section, const char *key, const char *value, unsigned line,
			 char *errstr, size_t errstr_size)
{
	load_ctx_t *c = opaque;
	const section_t *sec = find_section(section);
	const setting_t *s;
	char list[1024], *where = NULL;
	fs_err_t err;

	if (!sec) {
		list_sections(list, sizeof(list));
		if (!*section) {
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
					 "%s:%u: %s: key outside any section; valid sections: %s", c->name, line, key,
					 list);
		}
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: [%s]: unknown section; valid sections: %s",
				 c->name, line, section, list);
	}
	if (!key) {
		return FS_OK;
	}
	s = find_setting(section, key);
	if (!s && sec->scope < 0) {
		list_keys(sec, list, sizeof(list));
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: %s.%s: unknown key; valid keys in [%s]: %s",
				 c->name, line, section, key, section, list);
	}
	if (asprintf(&where, "%s:%u", c->name, line) < 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s:%u: out of memory", c->name, line);
	}
	if (s) {
		err = parse_setting(c->cfg, s, value, where, errstr, errstr_size);
	} else {
		err = fs_config_add_kprop(c->cfg, key, value, sec->scope, where, errstr, errstr_size);
	}
	free(where);
	return err;
}

/*
 * Read the whole file, then hand it to fs_conf_parse. The first error
 * stops the load; settings read before it stay applied (the caller is
 * expected to give up on the configuration).
 */
fs_err_t fs_config_load_file(fs_config_t *cfg, const char *path, char *errstr, size_t errstr_size)
{
	fs_buf_t buf = FS_BUF_INIT;
	load_ctx_t ctx = {cfg, path};
	fs_err_t err;

	err = fs_buf_read_file(&buf, path, errstr, errstr_size);
	if (err == FS_OK) {
		err = fs_conf_parse(path, buf.p ? buf.p : "", buf.len, load_key, &ctx, errstr, errstr_size);
	}
	fs_buf_free(&buf);
	return err;
}

static int env_is_ignored(const char *name)
{
	size_t i;
	for (i = 0; env_ignored[i]; i++) {
		if (strcmp(name, env_ignored[i]) == 0) {
			return 1;
		}
	}
	return strncmp(name, ENV_IGNORED_PREFIX, strlen(ENV_IGNORED_PREFIX)) == 0;
}

/* The error for an unknown FEEDSENSE_ variable, with the variables it may have meant. */
static fs_err_t env_unknown(const char *name, char *errstr, size_t errstr_size)
{
	char list[1024] = "", env[128];
	size_t i, seclen = 0;

	/* Variables of the section the name starts with, if any */
	for (i = 0; i < NSETTINGS; i++) {
		env_name(&settings[i], env, sizeof(env));
		seclen = strlen(settings[i].section) + strlen("FEEDSENSE_") + 1;
		if (strncmp(name, env, seclen) == 0) {
			append(list, sizeof(list), *list ? ", " : "");
			append(list, sizeof(list), env);
		}
	}
	if (*list) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s: unknown variable; valid: %s%s", name, list,
				 "");
	}
	list_sections(list, sizeof(list));
	return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
			 "%s: unknown variable; variables are FEEDSENSE_<SECTION>_<KEY> for a setting of the "
			 "configuration file (sections: %s)",
			 name, list);
}

/*
 * FEEDSENSE_KAFKA_<PROPERTY> (and FEEDSENSE_KAFKA_CONSUMER_<PROPERTY>,
 * FEEDSENSE_KAFKA_PRODUCER_<PROPERTY>): a librdkafka property from the
 * environment, the way a container receives a secret
 * (FEEDSENSE_KAFKA_SASL_PASSWORD is sasl.password): lower case, '_' for '.'.
 * No string-valued librdkafka property has '_' in its name. librdkafka
 * itself rejects a name it does not know, when the clients are made.
 */
static fs_err_t env_kprop(fs_config_t *cfg, const char *name, const char *value, char *errstr, size_t errstr_size)
{
	const char *p = name + 16;
	char prop[128];
	size_t n = 0;
	int scope = 0;

	if (!strncmp(p, "CONSUMER_", 9) && p[9]) {
		scope = 1;
		p += 9;
	} else if (!strncmp(p, "PRODUCER_", 9) && p[9]) {
		scope = 2;
		p += 9;
	}
	for (; *p && n + 1 < sizeof(prop); p++) {
		prop[n++] = *p == '_' ? '.' : (char)tolower((unsigned char)*p);
	}
	prop[n] = '\0';
	return fs_config_add_kprop(cfg, prop, value, scope, name, errstr, errstr_size);
}

/*
 * Apply each FEEDSENSE_<SECTION>_<KEY> variable of @p envp (environ when
 * NULL), in order, with the variable's name as the origin of errors.
 * FEEDSENSE_LEXICONS, FEEDSENSE_BIN and FEEDSENSE_TEST_* belong to other
 * parts of the program and are skipped; any other unknown FEEDSENSE_
 * variable is an error, so a misspelt override cannot go unnoticed.
 */
fs_err_t fs_config_load_env(fs_config_t *cfg, char *const *envp, char *errstr, size_t errstr_size)
{
	size_t i, j;
	char env[128];

	if (!envp) {
		envp = environ;
	}
	for (i = 0; envp && envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		const setting_t *s = NULL;
		char *name;
		fs_err_t err;

		if (strncmp(envp[i], "FEEDSENSE_", 10) != 0 || !eq) {
			continue;
		}
		name = strndup(envp[i], (size_t)(eq - envp[i]));
		if (!name) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "environment: out of memory");
		}
		if (env_is_ignored(name)) {
			free(name);
			continue;
		}
		for (j = 0; j < NSETTINGS && !s; j++) {
			env_name(&settings[j], env, sizeof(env));
			if (strcmp(env, name) == 0) {
				s = &settings[j];
			}
		}
		if (s) {
			err = set_trimmed(cfg, s, eq + 1, name, errstr, errstr_size);
		} else if (strncmp(name, "FEEDSENSE_KAFKA_", 16) == 0 && name[16]) {
			err = env_kprop(cfg, name, eq + 1, errstr, errstr_size);
		} else {
			err = env_unknown(name, errstr, errstr_size);
		}
		free(name);
		if (err != FS_OK) {
			return err;
		}
	}
	return FS_OK;
}

/*
 * "section.key" names a table setting: the section is everything before
 * the last '.', so "kafka.brokers" and "pipeline.processing_guarantee" both
 * work. Unknown names list what is valid.
 */
fs_err_t fs_config_set(fs_config_t *cfg, const char *dotted, const char *value, const char *origin, char *errstr,
		       size_t errstr_size)
{
	const char *dot = dotted ? strrchr(dotted, '.') : NULL;
	const section_t *sec = NULL;
	const setting_t *s = NULL;
	char *section = NULL, list[1024];
	fs_err_t err;

	if (!dot || !value) {
		return fs_seterr(errstr, errstr_size, FS_ERR_ARG, "%s%s%s: expected section.key and a value",
				 origin ? origin : "", origin ? ": " : "", dotted ? dotted : "(null)");
	}
	section = strndup(dotted, (size_t)(dot - dotted));
	if (!section) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: out of memory", dotted);
	}
	sec = find_section(section);
	s = sec ? find_setting(section, dot + 1) : NULL;
	if (!sec) {
		list_sections(list, sizeof(list));
		err = fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s%s%s: unknown section [%s]; valid sections: %s",
				origin ? origin : "", origin ? ": " : "", dotted, section, list);
		goto fail;
	}
	if (!s) {
		list_keys(sec, list, sizeof(list));
		err = fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s%s%s: unknown setting; valid keys in [%s]: %s%s",
				origin ? origin : "", origin ? ": " : "", dotted, section, list,
				sec->scope >= 0 ? " (use -X for librdkafka properties)" : "");
		goto fail;
	}
	err = set_trimmed(cfg, s, value, origin, errstr, errstr_size);

fail:
	free(section);
	return err;
}

/* Re-check one setting's current value against the table (fields may have been set directly). */
static fs_err_t check_setting(const fs_config_t *cfg, const setting_t *s, char *errstr, size_t errstr_size)
{
	const void *field = cfield_ptr(cfg, s);
	char v[64], names[256];

	switch (s->type) {
	case ST_STR: {
		const char *str = *(char *const *)field;
		if (!str && !(s->flags & SF_OPTIONAL)) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, NULL, s, "not set");
		}
		if ((s->flags & SF_REQUIRED) && (!str || !*str)) {
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, NULL, s, "must not be empty");
		}
		return FS_OK;
	}
	case ST_INT:
	case ST_INT64: {
		int64_t i = s->type == ST_INT ? *(const int *)field : *(const int64_t *)field;
		if ((double)i < s->min || (double)i > s->max) {
			snprintf(v, sizeof(v), "%" PRId64, i);
			return bounds_error(errstr, errstr_size, NULL, s, v);
		}
		return FS_OK;
	}
	case ST_DOUBLE: {
		double d = *(const double *)field;
		if (!isfinite(d) || d < s->min || d > s->max) {
			snprintf(v, sizeof(v), "%g", d);
			return bounds_error(errstr, errstr_size, NULL, s, v);
		}
		return FS_OK;
	}
	case ST_ENUM: {
		int i = *(const int *)field;
		if (i < 0 || i >= count_names(s->names)) {
			join_names(names, sizeof(names), s->names);
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, NULL, s, "value %d is not one of: %s",
					     i, names);
		}
		return FS_OK;
	}
	case ST_CHOICE: {
		const char *str = *(char *const *)field;
		if (!str || find_name(s->names, str) < 0) {
			join_names(names, sizeof(names), s->names);
			return setting_error(errstr, errstr_size, FS_ERR_PARSE, NULL, s, "\"%s\" is not one of: %s",
					     str ? str : "", names);
		}
		return FS_OK;
	}
	}
	return FS_OK;
}

/* Is @p topic one of the comma-separated @p list (blanks around items ignored)? */
static int in_list(const char *list, const char *topic)
{
	size_t tlen = strlen(topic);
	const char *p = list;

	while (*p) {
		const char *comma = strchr(p, ',');
		const char *e = comma ? comma : p + strlen(p);
		while (p < e && isspace((unsigned char)*p)) {
			p++;
		}
		while (e > p && isspace((unsigned char)e[-1])) {
			e--;
		}
		if ((size_t)(e - p) == tlen && memcmp(p, topic, tlen) == 0) {
			return 1;
		}
		p = comma ? comma + 1 : p + strlen(p);
	}
	return 0;
}

/* [windows]: the relations the table cannot express. */
static fs_err_t validate_windows(const fs_config_t *cfg, char *errstr, size_t errstr_size)
{
	unsigned keys;
	char reason[256];

	if (cfg->win_length % cfg->win_step != 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
				 "windows.length: %" PRId64 " is not a multiple of windows.step (%" PRId64 ")",
				 cfg->win_length, cfg->win_step);
	}
	if (cfg->win_recovery_share > 0 && cfg->win_recovery_share >= cfg->win_min_share) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
				 "windows.recovery_share: %g must be below windows.min_share (%g)",
				 cfg->win_recovery_share, cfg->win_min_share);
	}
	if (fs_window_parse_keys(cfg->win_keys, &keys, reason, sizeof(reason)) != FS_OK) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "windows.keys: %s", reason);
	}
	return FS_OK;
}

/*
 * Everything that can be checked before connecting: each setting against
 * the table, then the relations between settings (thresholds ordered,
 * output topics distinct from one another and from the input topics), then
 * the librdkafka properties, applied to scratch consumer and producer
 * configurations so a misspelt property fails `check-config` too.
 */
fs_err_t fs_config_validate(const fs_config_t *cfg, char *errstr, size_t errstr_size)
{
	struct {
		const char *key, *topic;
	} out[] = {
	    {"output.scored", cfg->scored_topic}, {"output.alerts", cfg->alerts_topic}, {"output.dlq", cfg->dlq_topic}};
	size_t i, j;
	int scope;
	fs_err_t err;

	for (i = 0; i < NSETTINGS; i++) {
		err = check_setting(cfg, &settings[i], errstr, errstr_size);
		if (err != FS_OK) {
			return err;
		}
	}
	{
		char host[64];
		int port;
		if (fs_metrics_parse_listen(cfg->metrics_listen, host, sizeof(host), &port, errstr, errstr_size) !=
		    FS_OK) {
			char why[512];
			snprintf(why, sizeof(why), "%s", errstr);
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "metrics.listen: %s", why);
		}
		if (fs_metrics_parse_listen(cfg->win_metrics_listen, host, sizeof(host), &port, errstr, errstr_size) !=
		    FS_OK) {
			char why[512];
			snprintf(why, sizeof(why), "%s", errstr);
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "windows.metrics_listen: %s", why);
		}
	}
	if (cfg->neg_threshold > cfg->pos_threshold) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
				 "scoring.neg_threshold: %g is above scoring.pos_threshold (%g)", cfg->neg_threshold,
				 cfg->pos_threshold);
	}
	err = validate_windows(cfg, errstr, errstr_size);
	if (err != FS_OK) {
		return err;
	}
	for (i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		if (!out[i].topic || !*out[i].topic) {
			continue;
		}
		for (j = 0; j < i; j++) {
			if (out[j].topic && strcmp(out[i].topic, out[j].topic) == 0) {
				return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
						 "%s: \"%s\" is also %s; each output needs its own topic", out[i].key,
						 out[i].topic, out[j].key);
			}
		}
		if (cfg->input_topics[0] != '^' && in_list(cfg->input_topics, out[i].topic)) {
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
					 "%s: \"%s\" is also an input topic; the pipeline would consume its own output",
					 out[i].key, out[i].topic);
		}
	}
	for (scope = 1; scope <= 2; scope++) {
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		if (!conf) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "kafka: out of memory");
		}
		err = fs_config_kafka_conf(cfg, scope, conf, errstr, errstr_size);
		rd_kafka_conf_destroy(conf);
		if (err != FS_OK) {
			return err;
		}
	}
	return FS_OK;
}

int fs_config_is_secret(const char *name)
{
	static const char *const secrets[] = {"sasl.password",
					      "ssl.key.password",
					      "ssl.keystore.password",
					      "sasl.oauthbearer.client.secret",
					      "ssl.key.pem",
					      "sasl.oauthbearer.config",
					      NULL};
	size_t i;

	if (!name) {
		return 0;
	}
	for (i = 0; secrets[i]; i++) {
		if (strcasecmp(name, secrets[i]) == 0) {
			return 1;
		}
	}
	return strcasestr(name, "password") != NULL || strcasestr(name, "secret") != NULL;
}

/* A double written so that strtod reads back the same value, as short as possible. */
static void format_double(double d, char *buf, size_t size)
{
	int prec;
	for (prec = 6; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d) {
			return;
		}
	}
	snprintf(buf, size, "%.17g", d);
}

/*
 * The value of a setting as it would be written in the file ("" when
 * unset): a string field itself, or a number or name written into @p buf.
 */
static const char *setting_text(const fs_config_t *cfg, const setting_t *s, char *buf, size_t size)
{
	const void *field = cfield_ptr(cfg, s);
	const char *str;
	int i;

	switch (s->type) {
	case ST_STR:
	case ST_CHOICE: str = *(char *const *)field; return str ? str : "";
	case ST_INT: snprintf(buf, size, "%d", *(const int *)field); return buf;
	case ST_INT64: snprintf(buf, size, "%" PRId64, *(const int64_t *)field); return buf;
	case ST_DOUBLE: format_double(*(const double *)field, buf, size); return buf;
	case ST_ENUM: i = *(const int *)field; return i >= 0 && i < count_names(s->names) ? s->names[i] : "";
	}
	return "";
}

static void print_pair(FILE *fp, const char *key, const char *value)
{
	if (fs_config_is_secret(key) && *value) {
		value = SECRET_MASK;
	}
	fprintf(fp, "%s =%s%s\n", key, *value ? " " : "", value);
}

/*
 * The effective configuration as an INI file: the table settings by
 * section, then the pass-through properties in their order of precedence
 * (a section header each time the scope changes, so reading the output
 * back keeps that order). Secret values are masked, so a printed file
 * reads back with "********" for them.
 */
void fs_config_print(const fs_config_t *cfg, FILE *fp)
{
	size_t i, j;
	int scope = -1;

	fprintf(fp, "# feedsense effective configuration (secrets shown as %s)\n", SECRET_MASK);
	for (i = 0; i < NSECTIONS; i++) {
		int header = 0;
		for (j = 0; j < NSETTINGS; j++) {
			const setting_t *s = &settings[j];
			char buf[64];
			if (strcmp(s->section, sections[i].name) != 0) {
				continue;
			}
			if (!header) {
				fprintf(fp, "\n[%s]\n", sections[i].name);
				header = 1;
			}
			print_pair(fp, s->key, setting_text(cfg, s, buf, sizeof(buf)));
		}
	}
	if (cfg->nkprops) {
		fprintf(fp, "\n# librdkafka properties, in order: a later one wins\n");
	}
	for (i = 0; i < cfg->nkprops; i++) {
		const fs_kprop_t *kp = &cfg->kprops[i];
		if (kp->scope != scope) {
			scope = kp->scope;
			fprintf(fp, "[%s]\n", scope_section[scope]);
		}
		print_pair(fp, kp->name, kp->value);
	}
}

/* Write @p text as "# " comment lines of at most about 78 columns. */
static void print_comment(FILE *fp, const char *text)
{
	const char *p = text;
	int col = 0;

	while (*p) {
		size_t n;
		while (*p == ' ') {
			p++;
		}
		n = strcspn(p, " ");
		if (!n) {
			break;
		}
		if (col && col + 1 + (int)n > 78) {
			fputc('\n', fp);
			col = 0;
		}
		col += fprintf(fp, col ? " %.*s" : "# %.*s", (int)n, p);
		p += n;
	}
	if (col) {
		fputc('\n', fp);
	}
}

/* "Integer from 0 to 1024", "One of: auto, json, plain" ... */
static void describe_type(const setting_t *s, char *buf, size_t size)
{
	char names[256];

	switch (s->type) {
	case ST_STR: snprintf(buf, size, "%s", s->flags & SF_REQUIRED ? "Text, not empty." : "Text."); return;
	case ST_INT:
	case ST_INT64: snprintf(buf, size, "Integer from %.0f to %.0f.", s->min, s->max); return;
	case ST_DOUBLE: snprintf(buf, size, "Number from %g to %g.", s->min, s->max); return;
	case ST_ENUM:
	case ST_CHOICE:
		join_names(names, sizeof(names), s->names);
		snprintf(buf, size, "One of: %s.", names);
		return;
	}
	buf[0] = '\0';
}

/*
 * The documented example file: every section with its description, every
 * setting commented out at its default, with its description, type and
 * environment variable. Loading it as is gives the defaults.
 */
void fs_config_print_example(FILE *fp)
{
	size_t i, j;
	char type[320], env[128], text[1024];

	fprintf(fp, "# feedsense example configuration: every setting, commented out at its default.\n"
		    "# Generated from the settings table in pipeline/config.c; do not edit by hand.\n"
		    "#\n");
	print_comment(fp,
		      "Precedence, lowest first: the defaults, this file (-c FILE), FEEDSENSE_<SECTION>_<KEY> "
		      "environment variables (upper case, '.' in a section name as '_'; librdkafka properties as "
		      "FEEDSENSE_KAFKA_<PROPERTY>, e.g. FEEDSENSE_KAFKA_SASL_PASSWORD, or FEEDSENSE_KAFKA_CONSUMER_/"
		      "_PRODUCER_<PROPERTY> for one client), command-line flags. "
		      "Values are not quoted and run to the end of the line; a line starting with '#' or ';' "
		      "is a comment. An unknown section or key is an error.");
	for (i = 0; i < NSECTIONS; i++) {
		const section_t *sec = &sections[i];
		fprintf(fp, "\n[%s]\n", sec->name);
		print_comment(fp, sec->desc);
		for (j = 0; j < NSETTINGS; j++) {
			const setting_t *s = &settings[j];
			if (strcmp(s->section, sec->name) != 0) {
				continue;
			}
			describe_type(s, type, sizeof(type));
			env_name(s, env, sizeof(env));
			snprintf(text, sizeof(text), "%s %s Environment: %s.", s->desc, type, env);
			fputc('\n', fp);
			print_comment(fp, text);
			fprintf(fp, "#%s =%s%s\n", s->key, s->def ? " " : "", s->def ? s->def : "");
		}
		if (sec->example) {
			fprintf(fp, "\n# For example:\n%s", sec->example);
		}
	}
}

/* rd_kafka_conf_set() with our error convention; @p what names the property's origin and section. */
static fs_err_t kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, const char *what, char *errstr,
			  size_t errstr_size)
{
	char msg[512] = "";
	rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, name, value, msg, sizeof(msg));

	if (res == RD_KAFKA_CONF_OK) {
		return FS_OK;
	}
	if (res == RD_KAFKA_CONF_INVALID && fs_config_is_secret(name)) {
		/* librdkafka's message may quote the value */
		snprintf(msg, sizeof(msg), "invalid value (not shown: secret)");
	}
	return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s: %s: %s", what, name, msg);
}

/*
 * Apply the configuration to a librdkafka configuration, in this order so
 * that a later one wins: the shortcuts (kafka.brokers as bootstrap.servers
 * when not empty; kafka.group as group.id for the consumer), then every
 * property of scope 0 or @p scope in the order they were added. An unknown
 * or invalid property is FS_ERR_PARSE with "origin: section: name:
 * librdkafka's message". On error @p rd_kafka_conf holds the properties
 * applied before the failing one.
 */
fs_err_t fs_config_kafka_conf(const fs_config_t *cfg, int scope, void *rd_kafka_conf, char *errstr, size_t errstr_size)
{
	rd_kafka_conf_t *conf = rd_kafka_conf;
	char what[512];
	size_t i;
	fs_err_t err;

	if (!conf || scope < 0 || scope > 2) {
		return fs_seterr(errstr, errstr_size, FS_ERR_ARG, "kafka: bad client configuration or scope %d", scope);
	}
	if (cfg->brokers && *cfg->brokers) {
		err = kafka_set(conf, "bootstrap.servers", cfg->brokers, "kafka.brokers", errstr, errstr_size);
		if (err != FS_OK) {
			return err;
		}
	}
	if (scope == 1 && cfg->group && *cfg->group) {
		err = kafka_set(conf, "group.id", cfg->group, "kafka.group", errstr, errstr_size);
		if (err != FS_OK) {
			return err;
		}
	}
	for (i = 0; i < cfg->nkprops; i++) {
		const fs_kprop_t *kp = &cfg->kprops[i];
		if (kp->scope != 0 && kp->scope != scope) {
			continue;
		}
		snprintf(what, sizeof(what), "%s: %s", kp->origin, scope_section[kp->scope]);
		err = kafka_set(conf, kp->name, kp->value, what, errstr, errstr_size);
		if (err != FS_OK) {
			return err;
		}
	}
	return FS_OK;
}

int fs_config_kafka_default(void *rd_kafka_conf, const char *name, const char *value, const char *module)
{
	char errstr[768];

	if (kafka_set(rd_kafka_conf, name, value, "feedsense", errstr, sizeof(errstr)) != FS_OK) {
		fs_log(FS_LOG_ERROR, module, "%s", errstr);
		return -1;
	}
	return 0;
}
