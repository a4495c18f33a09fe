/*
 * config: the configuration of `feedsense run`, from one table.
 *
 * Every setting is declared once in the table in config.c (section, key,
 * type, default, bounds, field offset, description). The table drives the
 * INI file parser, FEEDSENSE_* environment overrides, validation,
 * `feedsense check-config` and the documented example file. librdkafka
 * properties are not in the table: [kafka] (both clients),
 * [kafka.consumer] and [kafka.producer] pass any property through, and so
 * does -X key=value; they are validated by librdkafka itself when the
 * clients are configured (see fs_config_kafka_conf()).
 *
 * Precedence, lowest first: defaults, the file (-c FILE), FEEDSENSE_*
 * environment variables, command-line flags.
 */
#ifndef FEEDSENSE_CONFIG_H
#define FEEDSENSE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "feedsense/err.h"

typedef enum fs_guarantee {
	FS_AT_LEAST_ONCE = 0,
	FS_EXACTLY_ONCE = 1,
} fs_guarantee_t;

typedef enum fs_input_format {
	FS_FORMAT_AUTO = 0, /**< JSON when the payload starts with '{', else plain text */
	FS_FORMAT_JSON,
	FS_FORMAT_PLAIN,
} fs_input_format_t;

/** One librdkafka property, with where it came from (for messages). */
typedef struct fs_kprop {
	char *name;
	char *value;
	int scope;    /**< 0 both clients, 1 consumer only, 2 producer only */
	char *origin; /**< "file.ini:12", "-X", "FEEDSENSE_KAFKA_..." */
} fs_kprop_t;

typedef struct fs_config {
	/* [kafka] well-known shortcuts (also settable as properties) */
	char *brokers; /**< bootstrap.servers; NULL/empty: embedded broker */
	char *group;   /**< group.id ("feedsense") */
	/* [input] */
	char *input_topics;        /**< comma list, or ^regex ("feedback") */
	int format;                /**< fs_input_format_t */
	char *text_field;          /**< "text" */
	char *id_field;            /**< "id" */
	char *timestamp_field;     /**< "timestamp" */
	char *channel_field;       /**< "channel" */
	char *customer_field;      /**< "customer_id" */
	char *locale_field;        /**< "locale" */
	char *rating_field;        /**< "rating" */
	int64_t max_text_bytes;    /**< 1048576: decoded text size limit */
	int64_t max_message_bytes; /**< 10485760: raw and inflated payload limit */
	/* [output] */
	char *scored_topic; /**< "feedback.scored" */
	char *alerts_topic; /**< "feedback.alerts"; empty disables alerts */
	char *dlq_topic;    /**< "feedback.dlq" */
	double alert_below; /**< -0.5: negative label and compound <= this alerts */
	char *alert_flags;  /**< "churn_risk,legal_threat,safety,abusive": any of these alerts */
	/* [scoring] */
	char *lexicons;       /**< lexicon directory; NULL: the default */
	char *user_lexicons;  /**< comma list of [vader:|afinn:]FILE */
	double pos_threshold; /**< 0.05 */
	double neg_threshold; /**< -0.05 */
	int64_t match_limit;  /**< 200000 */
	int watch;            /**< 1: reload the lexicons when their files change */
	/* [pipeline] */
	int workers;                 /**< 0: number of cores */
	int queue_size;              /**< 20000 messages buffered per worker */
	int guarantee;               /**< fs_guarantee_t */
	char *transactional_id;      /**< exactly-once: "feedsense-<group>" when NULL */
	int64_t shutdown_timeout_ms; /**< 30000 */
	int64_t summary_interval_ms; /**< 10000: periodic summary line on stderr; 0 off */
	int64_t txn_interval_ms;     /**< 100: exactly-once transaction length */
	int64_t max_messages;        /**< 0: stop cleanly after consuming this many messages */
	int passthrough;             /**< 1: copy input to the scored topic unscored (benchmarks) */
	/* [broker] embedded mock cluster */
	int broker_partitions; /**< 4: partitions per default topic */
	/* [metrics] */
	char *metrics_listen; /**< "127.0.0.1:9464": HOST:PORT, PORT, or off/empty */
	/* [log] */
	char *log_level;  /**< "info": error, warn, info, debug */
	char *log_format; /**< "plain" or "json" */
	/* [windows] spike detection of `feedsense windows` (window.h) */
	int64_t win_length;         /**< 300 s window */
	int64_t win_step;           /**< 30 s step: bucket width and evaluation period */
	int64_t win_lateness;       /**< 60 s allowed lateness */
	int64_t win_idle_close;     /**< 0 s: off; else silence after which the frontier follows the wall clock */
	int64_t win_min_count;      /**< 20 negative messages */
	double win_min_share;       /**< 0.5 negative share */
	int win_baseline_windows;   /**< 6 trailing windows; 0: no baseline */
	double win_baseline_factor; /**< 2: share >= factor x baseline; 0: not checked */
	double win_recovery_share;  /**< 0: min_share / 2 */
	int64_t win_cooldown;       /**< 1800 s */
	char *win_keys;             /**< "category,channel" (and/or overall) */
	int64_t win_max_keys;       /**< 10000 */
	char *win_input;            /**< scored topic read; NULL: output.scored */
	char *win_output;           /**< alerts topic written; NULL: output.alerts */
	char *win_metrics_listen;   /**< "127.0.0.1:9465": as metrics_listen, for `feedsense windows` */

	/* librdkafka pass-through properties, in order of precedence */
	fs_kprop_t *kprops;
	size_t nkprops, kprops_cap;
} fs_config_t;

/** @brief Fill every field with its default. */
void fs_config_init(fs_config_t *cfg);
/** @brief Free everything the config owns. */
void fs_config_free(fs_config_t *cfg);

/**
 * @brief Read an INI file. Unknown sections or keys, bad values and values
 *        out of bounds are errors: errstr is "file:line: key: reason" and,
 *        for an unknown key, lists the valid keys of that section.
 */
fs_err_t fs_config_load_file(fs_config_t *cfg, const char *path, char *errstr, size_t errstr_size);

/**
 * @brief Apply FEEDSENSE_<SECTION>_<KEY> environment variables (upper case,
 *        e.g. FEEDSENSE_INPUT_TEXT_FIELD, FEEDSENSE_KAFKA_BROKERS) from
 *        @p envp (NULL-terminated "NAME=value" strings, like environ).
 *        FEEDSENSE_KAFKA_X_<PROP> with dots written as '_' is not supported:
 *        use -X or the file for properties.
 */
fs_err_t fs_config_load_env(fs_config_t *cfg, char *const *envp, char *errstr, size_t errstr_size);

/**
 * @brief Set one table setting by "section.key" (used by command-line
 *        flags such as --group and by tests). Same validation as the file.
 */
fs_err_t fs_config_set(fs_config_t *cfg, const char *dotted, const char *value, const char *origin, char *errstr,
		       size_t errstr_size);

/**
 * @brief Add a librdkafka property from -X "name=value" (scope 0) or from
 *        the file. Later additions win.
 */
fs_err_t fs_config_add_kprop(fs_config_t *cfg, const char *name, const char *value, int scope, const char *origin,
			     char *errstr, size_t errstr_size);

/** @brief Cross-field checks (thresholds ordered, topics distinct ...). */
fs_err_t fs_config_validate(const fs_config_t *cfg, char *errstr, size_t errstr_size);

/**
 * @brief Is @p name a secret whose value must never be printed?
 *        (sasl.password, ssl.key.password, ssl.keystore.password,
 *        sasl.oauthbearer.client.secret, ssl.key.pem, anything containing
 *        "password" or "secret").
 */
int fs_config_is_secret(const char *name);

/**
 * @brief Print the effective configuration as an INI file (every table
 *        setting, then the pass-through properties), secrets as "********".
 */
void fs_config_print(const fs_config_t *cfg, FILE *fp);

/** @brief Print the documented example configuration (all settings with
 *         their descriptions and defaults, commented). */
void fs_config_print_example(FILE *fp);

/**
 * @brief Apply the pass-through properties of @p scope (1 consumer, 2
 *        producer; scope-0 properties apply to both) to a librdkafka
 *        rd_kafka_conf_t (passed as void * so this header does not need
 *        librdkafka). An unknown or invalid property is an error naming
 *        its origin: "cfg.ini:7: kafka: sasl.pasword: No such configuration property".
 */
fs_err_t fs_config_kafka_conf(const fs_config_t *cfg, int scope, void *rd_kafka_conf, char *errstr, size_t errstr_size);

/**
 * @brief Set one of feedsense's own librdkafka settings on an
 *        rd_kafka_conf_t. A refusal is logged under @p module (naming the
 *        property, its value masked when secret).
 * @return 0, or -1 when librdkafka refused it.
 */
int fs_config_kafka_default(void *rd_kafka_conf, const char *name, const char *value, const char *module);

#endif
