/*
 * offsets: the commit watermark. For each input partition it tracks the
 * consumed messages still in flight and yields the offset that is safe to
 * commit: one past the last message of the longest prefix (in consumption
 * order) whose outputs have all been acknowledged by the broker.
 *
 * Messages finish out of order (several outputs, several workers, delivery
 * reports in any order), but an offset is only ever committed when every
 * message before it in its partition is done, so a crash at any point
 * replays only unfinished work: at-least-once, nothing lost.
 */
#ifndef FEEDSENSE_OFFSETS_H
#define FEEDSENSE_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct fs_offsets fs_offsets_t;
typedef struct fs_ptrack fs_ptrack_t;

/** @brief New empty tracker set. NULL on allocation failure. */
fs_offsets_t *fs_offsets_new(void);
/** @brief Free. NULL is a no-op. */
void fs_offsets_destroy(fs_offsets_t *offs);

/**
 * @brief The tracker of one partition, created on first use.
 *        Trackers live until fs_offsets_forget() or destroy.
 * @returns NULL on allocation failure.
 */
fs_ptrack_t *fs_offsets_partition(fs_offsets_t *offs, const char *topic, int32_t partition);

/** @brief Drop a partition's tracker (after it was revoked and committed). */
void fs_offsets_forget(fs_offsets_t *offs, const char *topic, int32_t partition);

/**
 * @brief Register a consumed message, in consumption order. It starts with
 *        one pending hold that the caller releases with fs_ptrack_done()
 *        once all its outputs are registered.
 * @returns its sequence handle; UINT64_MAX on allocation failure.
 */
uint64_t fs_ptrack_begin(fs_ptrack_t *pt, int64_t offset);

/** @brief Add @p n pending outputs to message @p seq. */
void fs_ptrack_add(fs_ptrack_t *pt, uint64_t seq, int n);

/** @brief One pending output (or the hold) of @p seq is done. */
void fs_ptrack_done(fs_ptrack_t *pt, uint64_t seq);

/** @brief Number of messages registered and not yet done. */
size_t fs_ptrack_inflight(fs_ptrack_t *pt);

/** Visit callback for fs_offsets_collect(). */
typedef void (*fs_offsets_fn)(void *opaque, const char *topic, int32_t partition, int64_t commit_offset);

/**
 * @brief Call @p fn for every partition whose committable offset advanced
 *        since the last collect (commit_offset = last done offset + 1).
 */
void fs_offsets_collect(fs_offsets_t *offs, fs_offsets_fn fn, void *opaque);

/** @brief Messages in flight over all partitions. */
size_t fs_offsets_inflight(fs_offsets_t *offs);

#endif
