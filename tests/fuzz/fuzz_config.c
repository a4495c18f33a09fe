/*
 * fuzz_config: the configuration file reader on arbitrary data.
 *
 * fs_config_load_file() reads a path, so each input is written to one
 * memfd and read back through /proc/self/fd/N. What loads is validated
 * (fs_config_validate, which also hands every librdkafka property to
 * rd_kafka_conf_set) and printed; the printed file is loaded again into a
 * fresh configuration, which must print the same (fs_config_print() is
 * documented to write a file that reads back). The lines of the input that
 * look like NAME=value are also applied as an environment
 * (fs_config_load_env).
 *
 * Checks: errors are FS_ERR_PARSE with "file:line:" (or the variable name)
 * in front, never FS_ERR_NOMEM; the print/load round trip is exact.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feedsense/config.h"
#include "fuzz_util.h"

#define MAX_ENV 64

static int fd = -1, fd2 = -1;
static char path[64], path2[64];

static int open_memfd(const char *name, char *p, size_t size)
{
	int f = memfd_create(name, 0);
	if (f < 0) {
		perror("fuzz_config: memfd_create");
		exit(2);
	}
	snprintf(p, size, "/proc/self/fd/%d", f);
	return f;
}

static void put_file(int f, const void *data, size_t size)
{
	FUZZ_CHECK(ftruncate(f, 0) == 0, "ftruncate");
	FUZZ_CHECK(size == 0 || pwrite(f, data, size, 0) == (ssize_t)size, "pwrite");
}

/* The effective configuration as printed; the caller frees it. */
static char *print(const fs_config_t *cfg, size_t *len)
{
	char *p = NULL;
	FILE *fp = open_memstream(&p, len);

	FUZZ_CHECK(fp != NULL, "open_memstream");
	fs_config_print(cfg, fp);
	FUZZ_CHECK(fclose(fp) == 0, "fclose");
	return p;
}

/* Would librdkafka load a shared library for this property? Such inputs are not handed to it. */
static int loads_code(const fs_config_t *cfg)
{
	size_t i;
	for (i = 0; i < cfg->nkprops; i++) {
		if (strcasestr(cfg->kprops[i].name, "plugin") || strcasestr(cfg->kprops[i].name, "interceptor")) {
			return 1;
		}
	}
	return 0;
}

static void check_error(fs_err_t err, const char *what, const char *prefix, const char *errstr)
{
	FUZZ_CHECK(err != FS_ERR_NOMEM, "%s reported out of memory: %s", what, errstr);
	FUZZ_CHECK(err == FS_ERR_PARSE, "%s: %s: %s", what, fs_err2str(err), errstr);
	FUZZ_CHECK(strncmp(errstr, prefix, strlen(prefix)) == 0, "%s: message does not start with \"%s\": %s", what,
		   prefix, errstr);
}

static void env_pass(const char *s, size_t size)
{
	char *copy = strndup(s, size), *envp[MAX_ENV + 1], *line, *save = NULL;
	char errstr[1024];
	fs_config_t cfg;
	size_t n = 0;
	fs_err_t err;

	FUZZ_CHECK(copy != NULL, "strndup");
	for (line = strtok_r(copy, "\n", &save); line && n < MAX_ENV; line = strtok_r(NULL, "\n", &save)) {
		if (strchr(line, '=')) {
			envp[n++] = line;
		}
	}
	envp[n] = NULL;
	fs_config_init(&cfg);
	errstr[0] = '\0';
	err = fs_config_load_env(&cfg, envp, errstr, sizeof(errstr));
	if (err != FS_OK) {
		check_error(err, "fs_config_load_env", "FEEDSENSE_", errstr);
	}
	fs_config_free(&cfg);
	free(copy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = open_memfd("fuzz_config.ini", path, sizeof(path));
	fd2 = open_memfd("fuzz_config_printed.ini", path2, sizeof(path2));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fs_config_t cfg, again;
	char errstr[1024], prefix[80];
	char *out1, *out2;
	size_t len1, len2;
	fs_err_t err;

	env_pass((const char *)data, size);

	put_file(fd, data, size);
	fs_config_init(&cfg);
	errstr[0] = '\0';
	err = fs_config_load_file(&cfg, path, errstr, sizeof(errstr));
	if (err != FS_OK) {
		snprintf(prefix, sizeof(prefix), "%s:", path);
		check_error(err, "fs_config_load_file", prefix, errstr);
		fs_config_free(&cfg);
		return 0;
	}
	if (!loads_code(&cfg)) {
		errstr[0] = '\0';
		err = fs_config_validate(&cfg, errstr, sizeof(errstr));
		FUZZ_CHECK(err == FS_OK || err == FS_ERR_PARSE, "fs_config_validate: %s: %s", fs_err2str(err), errstr);
		FUZZ_CHECK(err == FS_OK || errstr[0], "fs_config_validate failed without a message");
	}

	out1 = print(&cfg, &len1);
	put_file(fd2, out1, len1);
	fs_config_init(&again);
	errstr[0] = '\0';
	err = fs_config_load_file(&again, path2, errstr, sizeof(errstr));
	FUZZ_CHECK(err == FS_OK, "the printed configuration does not load: %s\n%s", errstr, out1);
	out2 = print(&again, &len2);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0) {
		size_t at = 0, l1, l2;
		while (at < len1 && at < len2 && out1[at] == out2[at]) {
			at++;
		}
		while (at && out1[at - 1] != '\n') {
			at--;
		}
		l1 = strcspn(out1 + at, "\n");
		l2 = strcspn(out2 + at, "\n");
		FUZZ_CHECK(len1 == len2 && memcmp(out1, out2, len1) == 0,
			   "the printed configuration reads back differently at byte %zu:\n"
			   "  printed:   %.*s\n  read back: %.*s",
			   at, (int)l1, out1 + at, (int)l2, out2 + at);
	}
	free(out1);
	free(out2);
	fs_config_free(&again);
	fs_config_free(&cfg);
	return 0;
}
