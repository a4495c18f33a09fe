/*
 * log: the one log format of the program, on stderr, plain:
 *   2026-11-25T21:04:05.123Z INFO  [module] message
 * or JSON, one object a line:
 *   {"ts":"2026-11-25T21:04:05.123Z","level":"info","module":"run","msg":"message"}
 * librdkafka's own log lines are routed here too (fs_log_rdkafka_cb).
 * Values registered with fs_log_add_secret() are masked in every line.
 */
#ifndef FEEDSENSE_LOG_H
#define FEEDSENSE_LOG_H

typedef enum fs_log_level {
	FS_LOG_ERROR = 0,
	FS_LOG_WARN = 1,
	FS_LOG_INFO = 2,
	FS_LOG_DEBUG = 3,
} fs_log_level_t;

typedef enum fs_log_format {
	FS_LOG_PLAIN = 0,
	FS_LOG_JSON = 1,
} fs_log_format_t;

/** @brief Set the most verbose level printed. */
void fs_log_set_level(fs_log_level_t level);
/** @brief Parse "error", "warn", "info", "debug". @returns -1 if unknown. */
int fs_log_parse_level(const char *name);
/** @brief Plain text (the default) or JSON lines. Call before threads start. */
void fs_log_set_format(fs_log_format_t format);
/** @brief Parse "plain", "json". @returns -1 if unknown. */
int fs_log_parse_format(const char *name);
/**
 * @brief Mask @p value as "********" wherever it would appear in a log line
 *        (a password given as a librdkafka property, echoed in an error).
 *        Values shorter than 4 bytes are not registered. Call before
 *        threads start. @returns 0, or -1 when the table (16) is full.
 */
int fs_log_add_secret(const char *value);
/** @brief Log one line. Thread-safe (one write per line). */
void fs_log(fs_log_level_t level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** @brief librdkafka log callback: rd_kafka_conf_set_log_cb(conf, fs_log_rdkafka_cb). */
void fs_log_rdkafka_cb(const void *rk, int level, const char *fac, const char *buf);

#endif
