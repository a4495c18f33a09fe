/*
 * reload: the live engine of `feedsense run` and its replacement while the
 * pipeline runs (SIGHUP, or a change in the watched lexicon directory).
 *
 * An fs_reload_t holds the current engine as a reference-counted snapshot
 * (fs_reload_ref_t: the engine, the alert mask derived from it, and its
 * generation). Workers take a reference and score whole messages with it;
 * a reload builds and checks the new engine on the reloader's own thread,
 * off the scoring path, then swaps the current snapshot atomically. A
 * snapshot is destroyed when its last holder releases it, so the messages
 * in flight finish on the set that started them. A set that fails to load
 * is rejected ("file:line: reason" logged) and the running one stays.
 */
#ifndef FEEDSENSE_RELOAD_H
#define FEEDSENSE_RELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/err.h"
#include "feedsense/score.h"

typedef struct fs_reload fs_reload_t;
typedef struct fs_reload_ref fs_reload_ref_t;

#define FS_RELOAD_DEBOUNCE_MS 500 /**< quiet time after the last change before a watched reload */

typedef struct fs_reload_opts {
	fs_engine_opts_t engine; /**< how every set is loaded (copied: strings need not outlive the call) */
	const char *alert_flags; /**< comma-separated rule flags that raise an alert; the mask is derived per set */
	int watch;               /**< 1: reload when a file of the lexicon directory changes (inotify) */
	int debounce_ms;         /**< watch: quiet time before reloading (FS_RELOAD_DEBOUNCE_MS) */
	/** called with the version of every engine destroyed (its last holder let go), or NULL */
	void (*on_free)(const char *version, void *opaque);
	void *opaque;
} fs_reload_opts_t;

/** Counters of the reloads since start (for the metrics). */
typedef struct fs_reload_stats {
	unsigned long reloads_ok;        /**< a new set was swapped in */
	unsigned long reloads_failed;    /**< a set was rejected; the running one stayed */
	unsigned long reloads_unchanged; /**< the files held the running set: nothing done */
	uint64_t generation;             /**< 1 for the first set, +1 per swap */
	char version[24];                /**< version of the current set, "lx-..." */
} fs_reload_stats_t;

/** @brief Defaults: engine options as fs_engine_opts_init(), no watch, 500 ms debounce. */
void fs_reload_opts_init(fs_reload_opts_t *opts);

/**
 * @brief Load the first set and start the reloader thread (and the watch).
 * @returns FS_OK and *rlp; an error with errstr "file:line: reason" when the
 *          set does not load, or naming the directory when it cannot be watched.
 */
fs_err_t fs_reload_new(const fs_reload_opts_t *opts, fs_reload_t **rlp, char *errstr, size_t errstr_size);

/**
 * @brief Stop the reloader thread and drop its reference to the current set.
 *        References still held elsewhere stay valid until released. NULL is a no-op.
 */
void fs_reload_destroy(fs_reload_t *rl);

/**
 * @brief Ask the reloader thread to reload now (returns at once; the outcome
 *        is logged). Async-signal-safe.
 */
void fs_reload_request(fs_reload_t *rl);

/**
 * @brief Load, check and swap in the set on the calling thread (serialised
 *        with the reloader thread). @p why is logged ("SIGHUP", "files changed").
 * @returns FS_OK when swapped in or unchanged (*swapped says which, may be NULL);
 *          an error with errstr "file:line: reason" when the set was rejected.
 */
fs_err_t fs_reload_now(fs_reload_t *rl, const char *why, int *swapped, char *errstr, size_t errstr_size);

/** @brief The current set, with one more reference. Never NULL. Release it. */
fs_reload_ref_t *fs_reload_acquire(fs_reload_t *rl);

/** @brief Generation of the current set: cheap (one atomic load), changes on every swap. */
uint64_t fs_reload_generation(const fs_reload_t *rl);

/** @brief Counters and the current version. Thread-safe. */
void fs_reload_stats(fs_reload_t *rl, fs_reload_stats_t *stats);

/** @brief One more reference to @p ref. */
fs_reload_ref_t *fs_reload_ref_acquire(fs_reload_ref_t *ref);
/** @brief Drop a reference; the last one destroys the engine. NULL is a no-op. */
void fs_reload_ref_release(fs_reload_ref_t *ref);
const fs_engine_t *fs_reload_ref_engine(const fs_reload_ref_t *ref);
/** @brief Mask of the rule flags named in fs_reload_opts_t.alert_flags, in this set. */
uint32_t fs_reload_ref_alert_flags(const fs_reload_ref_t *ref);
uint64_t fs_reload_ref_generation(const fs_reload_ref_t *ref);

/**
 * One thread's view of the current set: a reference and a scratch bound to
 * its engine (a scratch is sized for one engine's rules and must not be
 * used with another). Start zeroed.
 */
typedef struct fs_reload_use {
	fs_reload_ref_t *ref;
	fs_scratch_t *scr;
	const fs_engine_t *engine;
	uint64_t gen;
} fs_reload_use_t;

/**
 * @brief Between two messages: when the current set changed, take it and a
 *        new scratch for it, releasing the old ones.
 * @returns 0; -1 when a scratch could not be allocated (the previous set and
 *          scratch are kept, or none when there was none: then do not score).
 */
int fs_reload_use_refresh(fs_reload_t *rl, fs_reload_use_t *use);

/** @brief Release the reference and the scratch. Safe to call twice. */
void fs_reload_use_clear(fs_reload_use_t *use);

#endif
