#!/bin/sh
# make bench-pipeline: end-to-end throughput and latency of `feedsense run`
# over the embedded broker, in one run:
#   1. passthrough (no decoding or scoring): the ceiling Kafka I/O sets here;
#   2. scored, at-least-once, over the same backlog;
#   3. latency below saturation: scored while the input arrives at a fixed rate.
# The mock cluster keeps only about 5 MiB per partition, so the input is
# spread evenly over 256 partitions (about 1.1 MB each), counted with kcat
# before the runs; a run that stops short of its count fails.
# BROKER=kafka: the same on a real single-node Apache Kafka 4 (tests/kafka/
# kafka.sh, state in build/kafka-bench, stopped at exit), plus a scored run
# with exactly-once; the input then goes to 8 partitions.
# Usage: pipeline.sh BENCH_BINARY FEEDSENSE_BINARY [MESSAGES]
set -eu
bench=$1
FS=$2
N=${3:-1000000}
RATE_N=${RATE_N:-50000}
# the paced run stays below saturation: 10,000 msg/s on the embedded broker,
# 5,000 on a real Kafka that shares the cores with the pipeline
if [ "${BROKER:-embedded}" = kafka ]; then RATE=${RATE:-5000}; else RATE=${RATE:-10000}; fi
tmp=$(mktemp -d)
pids=""
BROKER=${BROKER:-embedded}
KDIR=${FEEDSENSE_TEST_KAFKA_DIR:-build/kafka-bench}
unset FEEDSENSE_TEST_KAFKA_DIR # kafka.sh's, not a setting of feedsense's [kafka] section
kafka() { FEEDSENSE_TEST_KAFKA_DIR=$KDIR sh tests/kafka/kafka.sh "$@"; }
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "$BROKER" = kafka ] && kafka down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
corpus=$(ls tests/data/corpus/*.jsonl)

"$bench" --messages "$N" --write-ndjson "$tmp/in.ndjson" $corpus >/dev/null
"$bench" --messages "$RATE_N" --write-ndjson "$tmp/rate.ndjson" $corpus >/dev/null
bytes=$(wc -c <"$tmp/in.ndjson")
case $BROKER in
kafka)
	kafka down >/dev/null 2>&1 || true
	kafka up >"$tmp/kafka-up.out" 2>"$tmp/kafka-up.log" || { tail -n 30 "$tmp/kafka-up.log"; exit 1; }
	addr=$(tail -n 1 "$tmp/kafka-up.out")
	kafka topics feedback:8 feedback.scored:8 feedback.alerts:4 feedback.dlq:4 paced:4 >/dev/null
	where="Apache Kafka 4 (one node, KRaft)"
	;;
embedded)
	"$FS" broker --topics feedback:256,feedback.scored:64,feedback.alerts:16,feedback.dlq:4,paced:16 >"$tmp/addr" 2>"$tmp/broker.log" &
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/addr" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	addr=$(head -1 "$tmp/addr")
	where="embedded broker"
	;;
*) echo "bench-pipeline: BROKER=$BROKER: expected embedded or kafka" >&2; exit 2 ;;
esac
echo "== bench-pipeline: $N messages, $(awk -v b="$bytes" -v n="$N" 'BEGIN{printf "%.0f", b/n}') bytes each on average, $where at $addr, $(nproc) cores"
# keyed by id: hashed evenly over the partitions (keyless messages would be
# sent in sticky bursts that overflow single partitions of the mock)
"$FS" produce --brokers "$addr" --key-field id -X queue.buffering.max.messages=1000000 -X linger.ms=20 feedback \
	"$tmp/in.ndjson" 2>"$tmp/produce.log" || { cat "$tmp/produce.log"; exit 1; }
tail -1 "$tmp/produce.log"
stored=$(timeout 300 kcat -C -b "$addr" -t feedback -o beginning -e -q -f 'x\n' 2>/dev/null | wc -l)
[ "$stored" -eq "$N" ] || { echo "bench-pipeline: the broker kept $stored of $N messages" >&2; exit 1; }
echo "input stored: $stored messages"

run() { # run NAME GROUP MAX PASSTHROUGH [run options]: prints the pipeline's own total line
	name=$1 group=$2 max=$3 pt=$4
	shift 4
	FEEDSENSE_PIPELINE_MAX_MESSAGES=$max FEEDSENSE_PIPELINE_PASSTHROUGH=$pt \
		timeout -s INT 900 "$FS" run --brokers "$addr" --group "$group" --input "${INPUT:-feedback}" \
		-X queue.buffering.max.messages=1000000 "$@" >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; exit 1; }
	set -- "$name" "$group" "$max" "$pt"
	line=$(grep "total:" "$tmp/$1.log" | tail -1 | sed 's/.*total: //')
	[ -n "$line" ] || { cat "$tmp/$1.log"; exit 1; }
	echo "$1: $line"
	n=$(echo "$line" | sed 's/ messages.*//')
	[ "$n" -eq "$3" ] || { echo "bench-pipeline: $1 consumed $n of $3 messages" >&2; exit 1; }
	echo "$line" | sed 's/.*s: \([0-9]*\) msg\/s.*/\1/' >"$tmp/$1.rate"
}

run passthrough bench-pass "$N" 1
run scored bench-scored "$N" 0
pass=$(cat "$tmp/passthrough.rate")
scored=$(cat "$tmp/scored.rate")
awk -v p="$pass" -v s="$scored" 'BEGIN { printf "scored/passthrough: %.0f%%\n", 100 * s / p }'
if [ "$BROKER" = kafka ]; then
	run exactly-once bench-eos "$N" 0 --exactly-once
	awk -v e="$(cat "$tmp/exactly-once.rate")" -v s="$scored" 'BEGIN { printf "exactly-once/at-least-once: %.0f%%\n", 100 * e / s }'
fi

# latency below saturation: the input arrives at $RATE msg/s while the pipeline runs
FEEDSENSE_PIPELINE_MAX_MESSAGES=$RATE_N "$FS" run --brokers "$addr" --group bench-paced --input paced \
	>"$tmp/paced.log" 2>&1 &
ppid=$!
pids="$pids $ppid"
sleep 4
"$FS" produce --brokers "$addr" --rate "$RATE" paced "$tmp/rate.ndjson" 2>"$tmp/produce-paced.log"
wait "$ppid" || { cat "$tmp/paced.log"; exit 1; }
echo "paced at $RATE msg/s: $(grep 'total:' "$tmp/paced.log" | tail -1 | sed 's/.*total: //')"
