/*
 * log: timestamped, levelled log lines on stderr, one write(2) per line so
 * threads never interleave within a line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "feedsense/log.h"

static volatile int log_level = FS_LOG_INFO;

void fs_log_set_level(fs_log_level_t level)
{
	log_level = (int)level;
}

int fs_log_parse_level(const char *name)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	int i;
	for (i = 0; i < 4; i++) {
		if (!strcmp(name, names[i])) {
			return i;
		}
	}
	return -1;
}

static void vlog(fs_log_level_t level, const char *module, const char *fmt, va_list ap)
{
	static const char *tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
	char line[2048];
	struct timeval tv;
	struct tm tm;
	int n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s [%s] ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000),
		     tags[level], module);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		return;
	}
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if ((size_t)n >= sizeof(line) - 1) {
		n = (int)sizeof(line) - 2;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

void fs_log(fs_log_level_t level, const char *module, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > log_level) {
		return;
	}
	va_start(ap, fmt);
	vlog(level, module, fmt, ap);
	va_end(ap);
}

void fs_log_rdkafka_cb(const void *rk, int level, const char *fac, const char *buf)
{
	fs_log_level_t l = level <= 3 ? FS_LOG_ERROR : level <= 4 ? FS_LOG_WARN : level <= 6 ? FS_LOG_INFO : FS_LOG_DEBUG;

	(void)rk;
	fs_log(l, "rdkafka", "%s: %s", fac, buf);
}
