#!/bin/sh
# Broker faults on real Kafka 4, while the input arrives at a steady rate;
# the pipeline is never restarted:
#   1. one node: the broker stops (SIGTERM) for 10 s, later for 60 s;
#   2. three nodes (replication factor 3, min.insync.replicas 2, the
#      pipeline's idempotent producer writes with acks=all): SIGKILL the
#      leader of an input partition, then the leader of an output partition.
# Checked each time: nothing lost (every id scored), the pipeline logged the
# outage, kept running, and stops cleanly at the end.
# Usage (from the repository root): sh tests/kafka/faults.sh
# Environment: KAFKA_FAULTS_RATE (300 msg/s), KAFKA_FAULTS_LONG (60 s outage).
SUITE=faults
. tests/kafka/common.sh

RATE=${KAFKA_FAULTS_RATE:-300}
LONG=${KAFKA_FAULTS_LONG:-60}
export FEEDSENSE_PIPELINE_SUMMARY_INTERVAL_MS=1000

# feed_for PREFIX COUNT: produce COUNT ids at $RATE msg/s in the background
# (its producer rides out the outages: message.timeout.ms 10 minutes)
feed_for() {
	gen "$1" "$2" | cut -f 2 >"$T/in-$1.jsonl"
	timeout 900 "$FS" produce -b "$BK" -k id -r "$RATE" -X message.timeout.ms=600000 feedback "$T/in-$1.jsonl" \
		>/dev/null 2>"$T/feed-$1.log" &
	FEEDPID=$!
	pids="$pids $FEEDPID"
}

# outage_logged LOG: the pipeline's log tells of the lost connection
outage_logged() {
	grep -E -i "all_brokers_down|_transport|disconnected|connection refused|brokers are down" "$1" | head -n 1
}

# readyz [MADDR]: the HTTP status of the pipeline's /readyz
readyz() { curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$MADDR/readyz" 2>/dev/null; }
# wait_readyz CODE SECONDS: until /readyz answers CODE
wait_readyz() {
	deadline=$(($(now) + $2))
	while [ "$(readyz)" != "$1" ] && [ "$(now)" -lt $deadline ]; do sleep 0.5; done
	[ "$(readyz)" = "$1" ]
}

kafka_up
kbegin 1 "one node: broker stopped for 10 s, then for $LONG s"
kafka topics feedback:4 feedback.scored:4 feedback.alerts:4 feedback.dlq:4 >/dev/null 2>>"$T/kcat.log"
N=$((RATE * (30 + LONG)))
start_run run -w 1 --metrics 127.0.0.1:0
P=$RUNPID
wait_log "$T/run.log" "assigned [1-9]" 60 || bad "the pipeline got its partitions" "$(tail -5 "$T/run.log")"
MADDR=$(sed -n 's|.*listening on http://\([^/]*\)/metrics.*|\1|p' "$T/run.log" | head -n 1)
wait_readyz 200 30 && ok "/readyz: ready once assigned" || bad "/readyz: ready once assigned" "$(readyz)"
feed_for s "$N"
for down in 10 "$LONG"; do
	sleep 5
	before=$(scored_count "$T/run.log")
	kafka stop 1 >>"$T/kafka-ctl.log" 2>&1 || bad "kafka.sh stop 1" "$(tail -3 "$T/kafka-ctl.log")"
	t0=$(now)
	sleep "$down"
	# not ready while no broker is reachable (after a 5 s grace), the metric says why
	[ "$(readyz)" = 503 ] && ok "broker down $down s: /readyz 503" || bad "broker down $down s: /readyz 503" "$(readyz)"
	curl -s -m 5 "http://$MADDR/metrics" | grep -q '^feedsense_broker_up 0$' \
		&& ok "broker down $down s: feedsense_broker_up 0" || bad "broker down $down s: feedsense_broker_up 0"
	kafka start 1 >>"$T/kafka-ctl.log" 2>&1 || bad "kafka.sh start 1" "$(tail -3 "$T/kafka-ctl.log")"
	echo "#   broker down for $(($(now) - t0)) s"
	deadline=$(($(now) + 90))
	while [ "$(scored_count "$T/run.log")" -le "$before" ] && [ "$(now)" -lt $deadline ]; do sleep 0.5; done
	kill -0 $P 2>/dev/null && ok "broker down $down s: the pipeline kept running" || bad "broker down $down s: the pipeline kept running"
	wait_readyz 200 60 && ok "broker back after $down s: /readyz 200 without a restart" ||
		bad "broker back after $down s: /readyz 200 without a restart" "$(readyz)"
	[ "$(scored_count "$T/run.log")" -gt "$before" ] && ok "broker down $down s: scoring resumed" ||
		bad "broker down $down s: scoring resumed" "$(tail -5 "$T/run.log")"
done
w=$(outage_logged "$T/run.log")
[ -n "$w" ] && ok "the pipeline logged the outage" || bad "the pipeline logged the outage" "$(tail -20 "$T/run.log")"
echo "#   $w"
wait_exit $FEEDPID 600
eq "the input was produced" 0 "$RC"
wait_distinct feedback.scored "$N" 180 || true
stop_run $P 60
eq "the pipeline exits 0 after the outages" 0 "$RC"
check_ids feedback.scored s "$N" "two broker outages"
kend
kafka_down

kafka_up --nodes 3
kbegin 2 "three nodes: the leader of an input partition, then of an output partition, is killed"
kafka topics feedback:4:3 feedback.scored:4:3 feedback.alerts:4:3 feedback.dlq:4:3 >/dev/null 2>>"$T/kcat.log"
N=$((RATE * 60))
start_run run -w 1
P=$RUNPID
wait_log "$T/run.log" "assigned [1-9]" 90 || bad "the pipeline got its partitions" "$(tail -5 "$T/run.log")"
feed_for r "$N"
for t in feedback feedback.scored; do
	sleep 8
	leader=$(kafka leader "$t" 0)
	case $leader in [1-3]) ;; *) bad "the leader of $t [0] is known" "$leader"; continue ;; esac
	before=$(scored_count "$T/run.log")
	kafka kill "$leader" >>"$T/kafka-ctl.log" 2>&1
	echo "#   killed node $leader, leader of $t [0]"
	sleep 10
	deadline=$(($(now) + 90))
	while [ "$(scored_count "$T/run.log")" -le "$before" ] && [ "$(now)" -lt $deadline ]; do sleep 0.5; done
	[ "$(scored_count "$T/run.log")" -gt "$before" ] && ok "leader of $t [0] killed: scoring went on" ||
		bad "leader of $t [0] killed: scoring went on" "$(tail -5 "$T/run.log")"
	kill -0 $P 2>/dev/null && ok "leader of $t [0] killed: the pipeline kept running" ||
		bad "leader of $t [0] killed: the pipeline kept running"
	kafka start "$leader" >>"$T/kafka-ctl.log" 2>&1 || bad "kafka.sh start $leader" "$(tail -3 "$T/kafka-ctl.log")"
done
w=$(outage_logged "$T/run.log")
[ -n "$w" ] && ok "the pipeline logged the lost leaders" || bad "the pipeline logged the lost leaders" "$(tail -20 "$T/run.log")"
echo "#   $w"
wait_exit $FEEDPID 600
eq "the input was produced" 0 "$RC"
wait_distinct feedback.scored "$N" 180 || true
stop_run $P 60
eq "the pipeline exits 0 after the leader failures" 0 "$RC"
check_ids feedback.scored r "$N" "two leaders killed"
kend

kdone
