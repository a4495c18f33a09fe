/*
 * log: timestamped, levelled log lines on stderr, one write(2) per line so
 * threads never interleave within a line; plain text or one JSON object a
 * line; registered secret values are masked in every line, whatever wrote it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "feedsense/log.h"

#define MAX_SECRETS    16
#define SECRET_MIN_LEN 4 /* shorter values would mask ordinary words */
#define MASK           "********"

static volatile int log_level = FS_LOG_INFO;
static volatile int log_format = FS_LOG_PLAIN;
static char secrets[MAX_SECRETS][256];
static int nsecrets;

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

void fs_log_set_format(fs_log_format_t format)
{
	log_format = (int)format;
}

int fs_log_parse_format(const char *name)
{
	return !strcmp(name, "plain") ? FS_LOG_PLAIN : !strcmp(name, "json") ? FS_LOG_JSON : -1;
}

int fs_log_add_secret(const char *value)
{
	size_t len = value ? strlen(value) : 0;
	int i;

	if (len < SECRET_MIN_LEN) {
		return 0;
	}
	for (i = 0; i < nsecrets; i++) {
		if (!strcmp(secrets[i], value)) {
			return 0;
		}
	}
	if (nsecrets == MAX_SECRETS || len >= sizeof(secrets[0])) {
		return -1;
	}
	memcpy(secrets[nsecrets], value, len + 1);
	nsecrets++;
	return 0;
}

/* Replace every registered secret in the NUL-terminated @p s (of capacity size) by the mask. */
static void redact(char *s, size_t size)
{
	int i;

	for (i = 0; i < nsecrets; i++) {
		size_t slen = strlen(secrets[i]), mlen = sizeof(MASK) - 1;
		char *p = s;
		while ((p = strstr(p, secrets[i]))) {
			size_t off = (size_t)(p - s), tail = strlen(p + slen);
			if (off + mlen + 1 > size) {
				*p = '\0'; /* no room for the mask: cut the line here */
				break;
			}
			if (off + mlen + tail + 1 > size) {
				tail = size - 1 - off - mlen; /* the mask is longer: the end of the line is cut */
			}
			memmove(p + mlen, p + slen, tail);
			memcpy(p, MASK, mlen);
			p[mlen + tail] = '\0';
			p += mlen;
		}
	}
}

/* Append @p s to line[*n..size-2] as the inside of a JSON string. */
static void json_escape(char *line, size_t size, size_t *n, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s && *n + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			line[(*n)++] = '\\';
			line[(*n)++] = (char)c;
		} else if (c == '\n') {
			line[(*n)++] = '\\';
			line[(*n)++] = 'n';
		} else if (c == '\t') {
			line[(*n)++] = '\\';
			line[(*n)++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(line + *n, "\\u00", 4);
			line[*n + 4] = hex[c >> 4];
			line[*n + 5] = hex[c & 15];
			*n += 6;
		} else {
			line[(*n)++] = (char)c;
		}
	}
}

static void vlog(fs_log_level_t level, const char *module, const char *fmt, va_list ap)
{
	static const char *tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
	static const char *names[] = {"error", "warn", "info", "debug"};
	char msg[2048], line[4600], ts[96];
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (nsecrets) {
		redact(msg, sizeof(msg));
	}
	if (log_format == FS_LOG_JSON) {
		n = (size_t)snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"", ts,
				     names[level]);
		json_escape(line, sizeof(line), &n, module);
		memcpy(line + n, "\",\"msg\":\"", 9);
		n += 9;
		json_escape(line, sizeof(line), &n, msg);
		memcpy(line + n, "\"}", 2);
		n += 2;
	} else {
		int k = snprintf(line, sizeof(line) - 1, "%s %s [%s] %s", ts, tags[level], module, msg);
		n = k < 0 ? 0 : (size_t)k < sizeof(line) - 1 ? (size_t)k : sizeof(line) - 2;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
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
	fs_log_level_t l = level <= 3   ? FS_LOG_ERROR
			   : level <= 4 ? FS_LOG_WARN
			   : level <= 6 ? FS_LOG_INFO
					: FS_LOG_DEBUG;

	(void)rk;
	fs_log(l, "rdkafka", "%s: %s", fac, buf);
}
