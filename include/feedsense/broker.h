/*
 * broker: the embedded Kafka broker, librdkafka's mock cluster started on
 * loopback. It speaks the Kafka protocol over TCP, so any client can use it,
 * but it keeps messages in memory with a small per-partition retention
 * (librdkafka drops the oldest beyond about 5 MiB or 100,000 batches per
 * partition): it is for demos, tests and trials, not production.
 */
#ifndef FEEDSENSE_BROKER_H
#define FEEDSENSE_BROKER_H

#include <stddef.h>

#include "feedsense/err.h"

typedef struct fs_broker fs_broker_t;

#define FS_BROKER_DEFAULT_TOPICS "feedback,feedback.scored,feedback.alerts,feedback.dlq"

/**
 * @brief Start a mock cluster of @p nbrokers brokers and create topics.
 * @param topics comma list of NAME or NAME:PARTITIONS
 * @param default_partitions partitions for topics given without a count
 * @returns FS_OK and *brokerp, or an error with errstr.
 */
fs_err_t fs_broker_new(int nbrokers, const char *topics, int default_partitions, fs_broker_t **brokerp, char *errstr,
		       size_t errstr_size);
/** @brief Stop the cluster. NULL is a no-op. */
void fs_broker_destroy(fs_broker_t *broker);
/** @brief "127.0.0.1:PORT[,...]" bootstrap servers. */
const char *fs_broker_bootstraps(const fs_broker_t *broker);

/**
 * @brief Also accept bootstrap connections on 127.0.0.1:@p port and relay
 *        them to the cluster (librdkafka's mock cluster picks its own
 *        ports). Clients bootstrap here and then connect to the brokers at
 *        the addresses the cluster advertises.
 * @returns FS_OK, or FS_ERR_IO with errstr when the port cannot be bound.
 */
fs_err_t fs_broker_listen(fs_broker_t *broker, int port, char *errstr, size_t errstr_size);
/** @brief "127.0.0.1:PORT" of fs_broker_listen(), or NULL. */
const char *fs_broker_listen_address(const fs_broker_t *broker);

/**
 * @brief Execute one fault-injection command (the `--control` protocol of
 *        `feedsense broker`):
 *          down BROKER_ID | up BROKER_ID | rtt BROKER_ID MS
 *          errors API COUNT ERROR   (e.g. "errors Produce 5 NOT_LEADER_FOR_PARTITION";
 *                                    API: Produce, Fetch, OffsetCommit, ...)
 *          create TOPIC PARTITIONS
 * @returns FS_OK or FS_ERR_ARG with errstr.
 */
fs_err_t fs_broker_control(fs_broker_t *broker, const char *cmd, char *errstr, size_t errstr_size);

#endif
