/*
 * client: small Kafka clients that come with feedsense: `feedsense produce`
 * feeds lines of a file into a topic (the demo feed, load generation), and
 * `feedsense watch` follows output topics and prints scored events as
 * readable lines (or raw JSON).
 */
#ifndef FEEDSENSE_CLIENT_H
#define FEEDSENSE_CLIENT_H

#include <signal.h>
#include <stddef.h>

typedef struct fs_produce_opts {
	const char *brokers;
	const char *topic;
	double rate;              /**< messages per second, 0 = as fast as possible */
	int loop;                 /**< start over at end of input until stopped */
	const char *key_field;    /**< JSON field used as the message key, NULL none */
	int gzip;                 /**< gzip each payload (exercise compressed input) */
	long limit;               /**< stop after this many messages, 0 = no limit */
	const char *const *props; /**< "name=value" librdkafka properties */
	size_t nprops;
} fs_produce_opts_t;

typedef struct fs_watch_opts {
	const char *brokers;
	const char *topics;  /**< comma list */
	const char *group;   /**< NULL: a fresh group that reads from the start */
	int raw;             /**< print the payload as is */
	long count;          /**< exit after this many messages, 0 = never */
	double idle_timeout; /**< exit after this many idle seconds, 0 = never */
	int color;           /**< ANSI colours */
	const char *const *props;
	size_t nprops;
} fs_watch_opts_t;

/** @brief Produce each line of @p files (stdin if none). @returns exit status. */
int fs_client_produce(const fs_produce_opts_t *opts, const char *const *files, size_t nfiles,
		      volatile sig_atomic_t *stop);

/** @brief Follow topics and print events. @returns exit status. */
int fs_client_watch(const fs_watch_opts_t *opts, volatile sig_atomic_t *stop);

#endif
