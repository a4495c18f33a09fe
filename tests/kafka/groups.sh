#!/bin/sh
# Consumer groups on a real Kafka 4 broker: two, then three `feedsense run`
# members share one 8-partition input topic while the input arrives at a
# steady rate; a third member joins, one leaves gracefully (SIGTERM), one is
# killed (SIGKILL). Checked: every id scored; the per-partition order of the
# input survives in the scored topic (first occurrences, since a SIGKILL lets
# at-least-once repeat a stretch); cooperative rebalancing keeps the other
# members scoring while a member joins or leaves.
# Usage (from the repository root): sh tests/kafka/groups.sh
# Environment: KAFKA_GROUPS_MESSAGES (24000), KAFKA_GROUPS_RATE (800 msg/s).
SUITE=groups
. tests/kafka/common.sh

N=${KAFKA_GROUPS_MESSAGES:-24000}
RATE=${KAFKA_GROUPS_RATE:-800}
# one summary line every half second: the members' progress, sampled below
export FEEDSENSE_PIPELINE_SUMMARY_INTERVAL_MS=500

# watch_members SECONDS LOG...: sample the members' scored counts every 0.5 s
# for SECONDS; sets GREW (the members whose count grew, e.g. "a b") and STALL
# (the longest time, in tenths of a second, any of them did not grow)
watch_members() {
	secs=$1; shift
	GREW="" STALL=0
	w0=$(now)
	for f in "$@"; do eval "c0_$(basename "$f" .log)=\$(scored_count \"\$f\"); s_$(basename "$f" .log)=0"; done
	prev=""
	for f in "$@"; do prev="$prev $(scored_count "$f")"; done
	while [ $(($(now) - w0)) -lt "$secs" ]; do
		sleep 0.5
		cur=""
		for f in "$@"; do cur="$cur $(scored_count "$f")"; done
		i=0
		for f in "$@"; do
			i=$((i + 1))
			m=$(basename "$f" .log)
			a=$(echo "$prev" | awk -v i=$i '{ print $i }')
			b=$(echo "$cur" | awk -v i=$i '{ print $i }')
			if [ "$a" = "$b" ]; then
				eval "s_$m=\$((s_$m + 5))"
				eval "[ \$s_$m -gt \$STALL ] && STALL=\$s_$m"
			else
				eval "s_$m=0"
			fi
		done
		prev=$cur
	done
	for f in "$@"; do
		m=$(basename "$f" .log)
		eval "[ \$(scored_count \"\$f\") -gt \$c0_$m ] && GREW=\"\$GREW \$m\""
	done
	GREW=${GREW# }
}

kafka_up
kbegin 1 "members join and leave mid-stream: 2, then 3 members, SIGTERM, SIGKILL"
kafka topics feedback:8 feedback.scored:4 feedback.alerts:4 feedback.dlq:4 >/dev/null 2>>"$T/kcat.log"
gen g "$N" | cut -f 2 >"$T/in.jsonl"

start_run a -g grp -w 1
A=$RUNPID
start_run b -g grp -w 1
B=$RUNPID
if wait_log "$T/a.log" "assigned [1-9]" 60 && wait_log "$T/b.log" "assigned [1-9]" 60; then
	ok "two members share the input"
else
	bad "two members share the input"
fi
timeout 300 "$FS" produce -b "$BK" -k id -r "$RATE" feedback "$T/in.jsonl" >/dev/null 2>"$T/feed.log" &
FEEDPID=$!
pids="$pids $FEEDPID"
deadline=$(($(now) + 60))
while [ $(($(scored_count "$T/a.log") + $(scored_count "$T/b.log"))) -lt $((N / 8)) ] && [ "$(now)" -lt $deadline ]; do
	sleep 0.5
done

# a third member joins: the two others keep scoring while it does
start_run c -g grp -w 1
C=$RUNPID
watch_members 6 "$T/a.log" "$T/b.log"
wait_log "$T/c.log" "assigned [1-9]" 60 && ok "the third member got partitions" || bad "the third member got partitions"
eq "a member joins: both others keep scoring" "a b" "$GREW"
echo "#   join: the longest stall of a member: $STALL/10 s"
[ "$STALL" -le 30 ] && ok "a member joins: no member stalls 3 s or more" || bad "a member joins: no member stalls 3 s or more" "stall $STALL/10 s"
grep -q "lost" "$T/a.log" "$T/b.log" && bad "cooperative: no partition lost by a and b" "$(grep lost "$T/a.log" "$T/b.log")"

# b leaves gracefully: a and c keep scoring, b exits 0
kill -TERM $B
watch_members 6 "$T/a.log" "$T/c.log"
wait_exit $B 60
eq "SIGTERM: the leaving member exits 0" 0 "$RC"
eq "a member leaves (SIGTERM): the others keep scoring" "a c" "$GREW"
echo "#   leave: the longest stall of a member: $STALL/10 s"
[ "$STALL" -le 30 ] && ok "a member leaves: no member stalls 3 s or more" || bad "a member leaves: no member stalls 3 s or more" "stall $STALL/10 s"

# c is killed: a keeps scoring its own partitions, then takes c's over
na=$(grep -c "assigned [1-9]" "$T/a.log")
kill -KILL $C
wait_exit $C 10
watch_members 4 "$T/a.log"
eq "a member is killed: the survivor keeps scoring" "a" "$GREW"
wait_log "$T/a.log" "assigned [1-9]" 60 $((na + 1)) && ok "the survivor took the killed member's partitions" ||
	bad "the survivor took the killed member's partitions" "$(grep -E 'assigned|revoked' "$T/a.log")"

wait_exit $FEEDPID 300
eq "the input was produced" 0 "$RC"
WATCH=$A
wait_distinct feedback.scored "$N" 180 || true
stop_run $A 60
eq "the last member exits 0 on SIGTERM" 0 "$RC"
eq "the input topic holds every message" "$N" "$(count feedback)"
check_ids feedback.scored g "$N" "three members, one killed"
if [ "$missing" != 0 ]; then
	sort -u "$T/got.keys" | comm -23 "$T/want.keys" - >"$T/missing.keys"
	echo "#   missing (input partition, offset):"
	timeout 60 kcat -C -b "$BK" -t feedback -o beginning -e -q -f '%k %p %o\n' | grep -w -F -f "$T/missing.keys" | head -20
	grep -E "assigned|revoked|lost|commit" "$T/a.log" | tail -20
fi
echo "#   $TOTAL scored events for $N ids: $((TOTAL - DISTINCT)) repeated after the SIGKILL"
order_check feedback.scored >"$T/order.viol"
viol=$(cat "$T/order.viol")
eq "the input order holds per partition (first occurrences)" "" "$viol"
eq "the order check saw every input position" "$N" "$ORDERED"
kend

kdone
