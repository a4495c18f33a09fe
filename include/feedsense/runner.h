/*
 * runner: `feedsense run`, the streaming pipeline.
 *
 * One consumer thread polls the input topics (consumer group) and hands
 * each message to the worker that owns its partition, through a bounded
 * queue; workers decode, score and produce the outputs (scored event, alert,
 * or dead-letter record) with an idempotent producer; a producer thread
 * serves delivery reports and tells the offset tracker, whose per-partition
 * watermark is the only offset ever stored and committed. See offsets.h.
 */
#ifndef FEEDSENSE_RUNNER_H
#define FEEDSENSE_RUNNER_H

#include <signal.h>

#include "feedsense/config.h"

/**
 * @brief Run the pipeline until *stop becomes non-zero (set by a signal
 *        handler), then shut down in order: stop consuming, drain workers,
 *        flush the producer, commit the final offsets, close the consumer.
 *        When *reload becomes non-zero (SIGHUP; @p reload may be NULL) the
 *        runner clears it and reloads the lexicons, rules and categories
 *        without stopping (see reload.h).
 * @returns process exit status: 0 after a clean shutdown, 1 on a fatal
 *          error (message logged).
 */
int fs_runner_run(const fs_config_t *cfg, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

#endif
