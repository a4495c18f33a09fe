/*
 * batch: `feedsense score`, the offline scorer. Reads NDJSON or plain-text
 * lines from files or stdin (gzip transparently), writes one scored event per
 * line in input order, and reports undecodable lines on stderr.
 */
#ifndef FEEDSENSE_BATCH_H
#define FEEDSENSE_BATCH_H

#include <stddef.h>

#include "feedsense/score.h"

typedef struct fs_batch_opts {
	const char *text_field; /**< JSON field with the text ("text") */
	int plain;              /**< one raw text per line */
	int strict;             /**< exit non-zero when a line fails */
	const char *output;     /**< NULL: stdout; "*.gz": gzip */
	size_t max_line;        /**< longest accepted line in bytes */
	int threads;            /**< scoring threads (0: number of cores) */
	int progress;           /**< print progress to stderr every second */
} fs_batch_opts_t;

void fs_batch_opts_init(fs_batch_opts_t *opts);

/**
 * @brief Score the files (or stdin when @p nfiles is 0, or for "-").
 * @returns process exit status: 0 success; 1 when a line failed and strict
 *          is set; 2 when an input or the output could not be opened or written.
 */
int fs_batch_run(const fs_engine_t *engine, const fs_batch_opts_t *opts, const char *const *files, size_t nfiles);

/**
 * @brief Print the human-readable breakdown of one text to @p fp.
 * @returns 0, or 1 if the text could not be scored.
 */
int fs_batch_explain(const fs_engine_t *engine, const char *text, size_t len, void *fp);

#endif
