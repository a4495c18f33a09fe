#!/bin/sh
# Shared set-up of the real-Kafka suites (tests/kafka/{groups,eos,faults,
# volume,security}.sh): sources tests/it/lib.sh for the test bookkeeping, the
# process and kcat helpers, then adds a kafka.sh cluster of the suite's own in
# build/kafka-tests-SUITE (never another run's), stopped and removed at exit
# whatever happens, and the broker log tail printed with a failing test's logs.
#
# Usage, from the repository root: SUITE=name; . tests/kafka/common.sh
# Then: kafka_up [kafka.sh up options] (sets BK, or exits), kbegin/kend around
# each test, kdone at the very end (the summary and the exit status).
#
# FEEDSENSE_TEST_KAFKA_DIR and FEEDSENSE_TEST_KAFKA_CACHE are kafka.sh's settings but
# also look like feedsense's own FEEDSENSE_KAFKA_* settings, which `feedsense
# run` refuses when unknown: they are taken here and passed to kafka.sh only.
. tests/it/lib.sh

KDIR=${FEEDSENSE_TEST_KAFKA_DIR:-build/kafka-tests}-$SUITE
KCACHE=${FEEDSENSE_TEST_KAFKA_CACHE:-}
unset FEEDSENSE_TEST_KAFKA_DIR FEEDSENSE_TEST_KAFKA_CACHE
t_suite=$(now)

kafka() {
	if [ -n "$KCACHE" ]; then
		FEEDSENSE_TEST_KAFKA_DIR=$KDIR FEEDSENSE_TEST_KAFKA_CACHE=$KCACHE sh tests/kafka/kafka.sh "$@"
	else
		FEEDSENSE_TEST_KAFKA_DIR=$KDIR sh tests/kafka/kafka.sh "$@"
	fi
}

# KAFKA_TESTS_KEEP=1: the suite's logs are kept in build/kafka-tests-SUITE.logs
kcleanup() {
	if [ "${KAFKA_TESTS_KEEP:-0}" = 1 ]; then
		rm -rf "build/kafka-tests-$SUITE.logs"
		cp -r "$tmp" "build/kafka-tests-$SUITE.logs" 2>/dev/null
	fi
	cleanup
	kafka down >/dev/null 2>&1
}
trap kcleanup EXIT

# kafka_up [options]: a fresh cluster (a previous one of this suite goes
# first); sets BK to its PLAINTEXT bootstrap and sources its cluster.env.
# Exits the suite when it cannot start: nothing can be tested without it.
kafka_up() {
	kafka down >/dev/null 2>&1
	if ! kafka up "$@" >"$tmp/kafka-up.out" 2>"$tmp/kafka-up.log"; then
		bad "kafka.sh up $*" "$(tail -n 40 "$tmp/kafka-up.log")"
		kdone
	fi
	BK=$(tail -n 1 "$tmp/kafka-up.out")
	. "$KDIR/cluster.env"
}
kafka_down() { kafka down >/dev/null 2>&1; }

kbegin() { begin "$@"; }
# kend: as end, plus the broker log tails when the test failed
kend() {
	if [ $tfail -gt 0 ] && [ -f "$KDIR/cluster.env" ]; then
		KAFKA_LOG_LINES=30 kafka log 2>&1
	fi
	end
}
kdone() {
	echo "$SUITE: $pass passed, $fail failed ($(($(now) - t_suite)) s)"
	[ $fail -eq 0 ] && [ $pass -gt 0 ] && exit 0
	exit 1
}

# scored_count LOG: the "scored N" of the last summary line of a pipeline log (0: none yet)
scored_count() {
	n=$(sed -n 's/.*| consumed [0-9]*, scored \([0-9]*\),.*/\1/p' "$1" | tail -n 1)
	echo "${n:-0}"
}

# order_check TOPIC: the scored events of one input partition that share an
# output partition must keep the input-offset order. Redeliveries (at least
# once) may repeat a stretch; the FIRST occurrence of each input offset must
# still be in order. Prints the violations (none: empty) and sets ORDERED to
# the number of distinct input positions seen.
order_check() {
	timeout 120 kcat -C -b "$BK" -t "$1" -o beginning -e -q -f '%p %s\n' 2>>"$T/kcat.log" |
		sed -n 's/^\([0-9]*\) .*"source":{"topic":"[^"]*","partition":\([0-9]*\),"offset":\([0-9]*\).*/\1 \2 \3/p' \
			>"$T/order.txt"
	ORDERED=$(awk '{ print $2, $3 }' "$T/order.txt" | sort -u | wc -l | tr -d ' ')
	awk '{
		pos = $2 " " $3
		if (pos in seen) next
		seen[pos] = 1
		k = $1 " " $2
		if ((k in last) && $3 <= last[k]) {
			printf "output partition %s, input partition %s: offset %s after %s\n", $1, $2, $3, last[k]
			bad++
		}
		last[k] = $3
	} END { exit 0 }' "$T/order.txt" | head -20
}
