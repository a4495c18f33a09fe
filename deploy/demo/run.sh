#!/bin/sh
# The demo behind `make run`: an embedded broker, the pipeline, a feed of
# realistic feedback, and a live view of the scored events, alerts and dead
# letters. Everything talks Kafka over TCP on loopback. Ctrl-C stops it all.
# Usage: deploy/demo/run.sh [FEEDSENSE_BINARY]
set -eu
FS=${1:-bin/feedsense}
RATE=${DEMO_RATE:-5}
dir=$(mktemp -d)
pids=""
broker=""
cleanup() {
	trap - EXIT INT TERM
	# clients first, then the pipeline (it finishes its in-flight work), the broker last
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait $pids 2>/dev/null || true
	[ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
	echo
	tail -3 "$dir/pipeline.log" | sed 's/^/  /'
	echo "demo stopped; logs kept in $dir"
}
trap cleanup EXIT INT TERM

# its own session, so that Ctrl-C reaches the clients and not the broker
setsid "$FS" broker >"$dir/broker.addr" 2>"$dir/broker.log" &
broker=$!
i=0
while [ ! -s "$dir/broker.addr" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
addr=$(head -1 "$dir/broker.addr")
[ -n "$addr" ] || { cat "$dir/broker.log"; echo "the embedded broker did not start" >&2; exit 1; }

echo "feedsense demo"
echo "  embedded broker (librdkafka mock cluster, in memory) at $addr"
echo "  pipeline:  $FS run --brokers $addr   (log: $dir/pipeline.log)"
echo "  feed:      $FS produce --brokers $addr --rate $RATE --loop feedback deploy/demo/feedback.ndjson"
echo "  view:      $FS watch --brokers $addr feedback.scored,feedback.alerts,feedback.dlq"
echo "  Ctrl-C to stop"
echo

"$FS" run --brokers "$addr" >"$dir/pipeline.log" 2>&1 &
pids="$pids $!"
"$FS" produce --brokers "$addr" --rate "$RATE" --loop --key-field id feedback deploy/demo/feedback.ndjson \
	>"$dir/feed.log" 2>&1 &
pids="$pids $!"
"$FS" watch --brokers "$addr" feedback.scored,feedback.alerts,feedback.dlq 2>"$dir/watch.log" &
pids="$pids $!"
wait
