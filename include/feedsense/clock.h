/*
 * clock: the two clocks feedsense reads. Monotonic time measures durations,
 * rates and deadlines (immune to clock steps); wall time stamps events and
 * compares with Kafka message timestamps.
 */
#ifndef FEEDSENSE_CLOCK_H
#define FEEDSENSE_CLOCK_H

#include <stdint.h>

/** Monotonic time in seconds. */
double fs_mono_s(void);

/** Monotonic time in milliseconds. */
int64_t fs_mono_ms(void);

/** Monotonic time in microseconds. */
uint64_t fs_mono_us(void);

/** Monotonic time in milliseconds, never 0: for stamps where 0 means "not set". */
int64_t fs_mono_stamp_ms(void);

/** Wall-clock time in milliseconds since the Unix epoch. */
int64_t fs_wall_ms(void);

#endif
