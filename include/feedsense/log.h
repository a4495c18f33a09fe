/*
 * log: the one log format of the program, on stderr:
 *   2026-11-25T21:04:05.123Z INFO  [module] message
 * librdkafka's own log lines are routed here too (fs_log_rdkafka_cb).
 */
#ifndef FEEDSENSE_LOG_H
#define FEEDSENSE_LOG_H

typedef enum fs_log_level {
	FS_LOG_ERROR = 0,
	FS_LOG_WARN = 1,
	FS_LOG_INFO = 2,
	FS_LOG_DEBUG = 3,
} fs_log_level_t;

/** @brief Set the most verbose level printed. */
void fs_log_set_level(fs_log_level_t level);
/** @brief Parse "error", "warn", "info", "debug". @returns -1 if unknown. */
int fs_log_parse_level(const char *name);
/** @brief Log one line. Thread-safe (one write per line). */
void fs_log(fs_log_level_t level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** @brief librdkafka log callback: rd_kafka_conf_set_log_cb(conf, fs_log_rdkafka_cb). */
void fs_log_rdkafka_cb(const void *rk, int level, const char *fac, const char *buf);

#endif
