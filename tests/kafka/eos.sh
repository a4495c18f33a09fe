#!/bin/sh
# Exactly-once on a real Kafka 4 broker (`feedsense run --exactly-once`).
#   1. SIGKILL the pipeline again and again while the input arrives, restart
#      it each time, then a last clean run: a read_committed reader sees every
#      id exactly once on the scored topic, and on the alert and dead-letter
#      topics exactly the ids an at-least-once reference run put there, once.
#   2. Fencing: the transactional id is feedsense-<group>-<host>, so a
#      second instance of the same group on the same host (a restart) takes
#      it over. Instance A is frozen
#      (SIGSTOP) mid-transaction, B starts and takes over, then A resumes:
#      A is fenced (logged, non-zero exit) and none of its late outputs is
#      visible to read_committed readers.
# Usage (from the repository root): sh tests/kafka/eos.sh
# Environment: KAFKA_EOS_MESSAGES (12000), KAFKA_EOS_RATE (400 msg/s),
# KAFKA_EOS_CYCLES (6).
SUITE=eos
. tests/kafka/common.sh

N=${KAFKA_EOS_MESSAGES:-12000}
RATE=${KAFKA_EOS_RATE:-400}
CYCLES=${KAFKA_EOS_CYCLES:-6}
export FEEDSENSE_PIPELINE_SUMMARY_INTERVAL_MS=1000
RC_="-X isolation.level=read_committed" # (librdkafka's default too: said for the reader)

# bad PREFIX COUNT: undecodable inputs (JSON cut short), keyed PREFIX0...
bad_inputs() {
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d\t{\"id\":\"%s%d\",\"text\":\"cut sh\n", p, i, p, i }' |
		produce "$3"
}

# once TOPIC WANTFILE LABEL: read_committed, TOPIC holds each key of WANTFILE
# (sorted) exactly once and nothing else
once() {
	# shellcheck disable=SC2086
	keys "$1" $RC_ | sort >"$T/once.got"
	tot=$(wc -l <"$T/once.got" | tr -d ' ')
	dis=$(sort -u "$T/once.got" | wc -l | tr -d ' ')
	mis=$(sort -u "$T/once.got" | comm -23 "$2" - | wc -l | tr -d ' ')
	ext=$(sort -u "$T/once.got" | comm -13 "$2" - | wc -l | tr -d ' ')
	eq "$3: exactly the $(wc -l <"$2" | tr -d ' ') expected, once each (read_committed)" \
		"0 missing, 0 unknown, 0 repeated" "$mis missing, $ext unknown, $((tot - dis)) repeated"
}

kafka_up
kbegin 1 "exactly-once across $CYCLES SIGKILLs, then a clean run"
kafka topics feedback:4 feedback.scored:4 feedback.alerts:4 feedback.dlq:4 ref:4 >/dev/null 2>>"$T/kcat.log"
gen e "$N" | cut -f 2 >"$T/in.jsonl"
bad_inputs bad0_ 20 feedback
timeout 300 "$FS" produce -b "$BK" -k id -r "$RATE" feedback "$T/in.jsonl" >/dev/null 2>"$T/feed.log" &
FEEDPID=$!
pids="$pids $FEEDPID"
i=1
kills=0
while [ $i -le "$CYCLES" ]; do
	start_run "eos$i" --exactly-once -w 1
	if ! wait_log "$T/eos$i.log" "assigned [1-9]" 60; then
		bad "cycle $i: the pipeline got its partitions" "$(tail -5 "$T/eos$i.log")"
		break
	fi
	# let it commit a few transactions and leave one open, then kill it
	sleep $((1 + i % 3))
	bad_inputs "bad${i}_" 10 feedback
	sleep 1
	if kill -0 $RUNPID 2>/dev/null; then
		kill -KILL $RUNPID
		kills=$((kills + 1))
	fi
	wait_exit $RUNPID 10
	i=$((i + 1))
done
eq "every cycle ended in a SIGKILL" "$CYCLES" "$kills"
wait_exit $FEEDPID 300
eq "the input was produced" 0 "$RC"
nbad=$((20 + 10 * CYCLES))
total=$((N + nbad))
eq "the input topic holds every message" "$total" "$(count feedback)"
start_run final --exactly-once -w 1
wait_count feedback.scored "$N" 180 $RC_ || true
stop_run $RUNPID 60
eq "the clean run exits 0" 0 "$RC"
grep -q "transaction commit:" "$T"/eos*.log "$T/final.log" && echo "#   (transaction commits were retried: $(grep -h 'transaction commit:' "$T"/eos*.log "$T/final.log" | head -2))"

# the reference: the same input, at least once, into topics of its own
export FEEDSENSE_PIPELINE_MAX_MESSAGES=$total
start_run ref -g ref --scored ref.scored --alerts ref.alerts --dlq ref.dlq
unset FEEDSENSE_PIPELINE_MAX_MESSAGES
wait_exit $RUNPID 180
eq "the reference run exits 0" 0 "$RC"
seq_ids e "$N" >"$T/want.scored"
keys ref.alerts | sort -u >"$T/want.alerts"
keys ref.dlq | sort -u >"$T/want.dlq"
[ "$(wc -l <"$T/want.dlq")" -eq $nbad ] && ok "the reference dead-lettered the $nbad undecodable inputs" ||
	bad "the reference dead-lettered the $nbad undecodable inputs" "$(wc -l <"$T/want.dlq")"
[ -s "$T/want.alerts" ] && ok "the reference raised alerts" || bad "the reference raised alerts"
once feedback.scored "$T/want.scored" "scored"
once feedback.alerts "$T/want.alerts" "alerts"
once feedback.dlq "$T/want.dlq" "dead letters"
# what the killed runs left in aborted transactions is there, only hidden
uncommitted=$(count feedback.scored -X isolation.level=read_uncommitted)
echo "#   read_uncommitted sees $uncommitted scored events (aborted ones included), read_committed $N"
kend

kbegin 2 "a fenced (zombie) instance cannot commit"
kafka topics zin:4 >/dev/null 2>>"$T/kcat.log"
ZN=$((RATE * 20))
gen z "$ZN" | cut -f 2 >"$T/zin.jsonl"
timeout 300 "$FS" produce -b "$BK" -k id -r "$RATE" zin "$T/zin.jsonl" >/dev/null 2>"$T/feed.log" &
FEEDPID=$!
pids="$pids $FEEDPID"
start_run a --exactly-once -g fz -i zin --scored zin.scored --alerts "" --dlq zin.dlq -w 1
A=$RUNPID
wait_log "$T/a.log" "assigned [1-9]" 60 || bad "A got its partitions" "$(tail -5 "$T/a.log")"
deadline=$(($(now) + 60))
while [ "$(scored_count "$T/a.log")" -lt $((RATE * 2)) ] && [ "$(now)" -lt $deadline ]; do sleep 0.5; done
kill -STOP $A
frozen=$(scored_count "$T/a.log")
start_run b --exactly-once -g fz -i zin --scored zin.scored --alerts "" --dlq zin.dlq -w 1
B=$RUNPID
# B takes the transactional id at once, and A's partitions after A's session times out
wait_log "$T/b.log" "assigned [1-9]" 60 && ok "B took over from the frozen A" || bad "B took over from the frozen A" "$(tail -5 "$T/b.log")"
sleep 3
kill -CONT $A
wait_exit $A 60
[ "$RC" != 0 ] && [ "$RC" != 124 ] && ok "the resumed zombie A exits non-zero (exit $RC)" ||
	bad "the resumed zombie A exits non-zero" "exit $RC; $(tail -5 "$T/a.log")"
grep -qi "fenced" "$T/a.log" && ok "A logs that it was fenced" || bad "A logs that it was fenced" "$(tail -5 "$T/a.log")"
echo "#   A: $(grep -i -m 1 fenced "$T/a.log")"
wait_exit $FEEDPID 300
WATCH=$B
wait_count zin.scored "$ZN" 120 $RC_ || true
stop_run $B 60
eq "B exits 0" 0 "$RC"
seq_ids z "$ZN" >"$T/want.z"
once zin.scored "$T/want.z" "A then B"
echo "#   A had scored $frozen when frozen; read_uncommitted sees $(count zin.scored -X isolation.level=read_uncommitted) scored events"
kend

kdone
