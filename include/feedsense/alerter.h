/*
 * alerter: `feedsense windows`, the single-instance spike detector.
 *
 * It reads every partition of the scored topic (manual assignment, no
 * consumer group membership), feeds the window module (window.h) and
 * publishes its alerts (feedsense.alert.v1, key = the window key, header
 * feedsense.alert.kind=window) to the alerts topic with an idempotent
 * producer. `feedsense run` can run as several replicas, each seeing only
 * its partitions; window counts need every event, so detection is this
 * separate command and runs as one instance.
 *
 * State is rebuilt at start instead of stored: see alerter.c.
 */
#ifndef FEEDSENSE_ALERTER_H
#define FEEDSENSE_ALERTER_H

#include <signal.h>
#include <stdio.h>

#include "feedsense/config.h"
#include "feedsense/window.h"

typedef struct fs_alerter_opts {
	const char *from_file; /**< NULL: Kafka; a path, or "-" for stdin: offline replay of NDJSON scored events */
	FILE *out;             /**< offline replay: where alerts go, one JSON a line (stdout when NULL) */
} fs_alerter_opts_t;

/**
 * @brief The window options of the [windows] configuration section.
 * @returns FS_OK, or FS_ERR_PARSE with errstr (windows.keys).
 */
fs_err_t fs_alerter_window_opts(const fs_config_t *cfg, fs_window_opts_t *wo, char *errstr, size_t errstr_size);

/**
 * @brief Run until *stop becomes non-zero (Kafka) or the input ends
 *        (offline replay), then flush the producer and exit.
 * @returns exit status: 0 clean, 1 fatal error (logged), 2 bad usage.
 */
int fs_alerter_run(const fs_config_t *cfg, const fs_alerter_opts_t *opts, volatile sig_atomic_t *stop);

#endif
