#!/bin/sh
# Volume and codecs on real Kafka 4: N messages (about 200 bytes each; the
# default 10,000,000 is about 2 GB), produced in four equal parts with the
# gzip, snappy, lz4 and zstd codecs, one in 5,000 of them undecodable, go
# through `feedsense run` (scored, at least once) in one run. Checked: the
# broker stored them all; scored + dead letters == produced; every id of
# every codec scored, every undecodable one dead-lettered.
# Usage (from the repository root): sh tests/kafka/volume.sh
# Environment: KAFKA_VOLUME_MESSAGES (10000000), KAFKA_VOLUME_PASSTHROUGH=1
# (copy without scoring, to measure the Kafka I/O alone).
SUITE=volume
. tests/kafka/common.sh

N=${KAFKA_VOLUME_MESSAGES:-10000000}
Q=$((N / 4)) # per codec
N=$((Q * 4))
CODECS="gzip snappy lz4 zstd"

# lines PREFIX COUNT: KEY<TAB>VALUE input lines; ids PREFIX0..; every 5000th
# one (PREFIX-bad-I) is JSON cut short
lines() {
	awk -v p="$1" -v n="$2" 'BEGIN {
		t[0] = "order %s arrived on time and the courier was friendly, thanks"
		t[1] = "Absolutely love the new app, works great, the search is fast now (%s)"
		t[2] = "Terrible service, I hate this company and the refund never came %s"
		t[3] = "I want to cancel my subscription, this is the third time I ask %s"
		t[4] = "The delivery was a bit late but the item is fine, good quality %s"
		t[5] = "worst experience ever, awful and useless support, ticket %s"
		t[6] = "I have been on hold for two hours and still no refund for %s"
		t[7] = "How do I change my delivery address before it ships? ref %s"
		for (i = 0; i < n; i++) {
			if (i % 5000 == 4999) {
				printf "%s-bad-%d\t{\"id\":\"%s-bad-%d\",\"text\":\"cut sh\n", p, i, p, i
				continue
			}
			id = p i
			printf "%s\t{\"id\":\"%s\",\"text\":\"" t[i % 8] "\",\"channel\":\"web\",\"customer_id\":\"c%d\",\"locale\":\"en-GB\",\"rating\":%d}\n", id, id, id, i % 100003, i % 5 + 1
		}
	}'
}

kafka_up
kbegin 1 "$N messages, four codecs, one run"
kafka topics feedback:8 feedback.scored:8 feedback.alerts:4 feedback.dlq:4 >/dev/null 2>>"$T/kcat.log"
t0=$(now)
for c in $CODECS; do
	p=$(echo "$c" | cut -c 1)
	lines "$p" "$Q" | timeout $((Q / 2000 + 300)) kcat -P -b "$BK" -t feedback -K '\t' -z "$c" \
		-X linger.ms=50 -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000 \
		-X queue.buffering.max.kbytes=1048576 2>>"$T/produce.log"
	eq "$c: kcat delivered its $Q messages" 0 "$?"
done
tp=$(($(now) - t0))
stored=$(timeout $((N / 20000 + 120)) kcat -C -b "$BK" -t feedback -o beginning -e -q -f 'x\n' 2>>"$T/kcat.log" | wc -l | tr -d ' ')
eq "the broker stored every message" "$N" "$stored"
bytes=$(du -sk "$KDIR/node1/data" 2>/dev/null | cut -f 1)
echo "#   produced $N messages in $tp s (broker data ${bytes:-?} KiB after the input)"

export FEEDSENSE_PIPELINE_MAX_MESSAGES=$N FEEDSENSE_PIPELINE_PASSTHROUGH=${KAFKA_VOLUME_PASSTHROUGH:-0}
start_run run -X queue.buffering.max.messages=1000000
unset FEEDSENSE_PIPELINE_MAX_MESSAGES FEEDSENSE_PIPELINE_PASSTHROUGH
wait_exit $RUNPID $((N / 2000 + 300))
eq "the pipeline consumed all and stopped (exit 0)" 0 "$RC"
echo "#   $(grep 'total:' "$T/run.log" | tail -n 1 | sed 's/.*total: //')"

badper=$((Q / 5000)) # undecodable per codec
nbad=$((badper * 4))
[ "${KAFKA_VOLUME_PASSTHROUGH:-0}" = 1 ] && nbad=0 # copied as they are
keys feedback.dlq | sort >"$T/dlq.keys"
eq "the dead letters are the undecodable inputs" "$nbad $nbad" "$(wc -l <"$T/dlq.keys" | tr -d ' ') $(grep -c -- '-bad-' "$T/dlq.keys")"
timeout $((N / 20000 + 300)) kcat -C -b "$BK" -t feedback.scored -o beginning -e -q -f '%k\n' 2>>"$T/kcat.log" |
	LC_ALL=C sort -S 25% >"$T/scored.keys"
scored=$(wc -l <"$T/scored.keys" | tr -d ' ')
eq "scored + dead letters == produced" "$N" "$((scored + $(wc -l <"$T/dlq.keys")))"
for c in $CODECS; do
	p=$(echo "$c" | cut -c 1)
	want=$((Q - badper))
	got=$(grep -E "^$p[0-9]+\$" "$T/scored.keys" | LC_ALL=C uniq | wc -l | tr -d ' ')
	eq "$c: every id scored, once" "$want $want" "$got $(grep -c -E "^$p[0-9]+\$" "$T/scored.keys")"
done
rm -f "$T/scored.keys"
echo "#   total $(($(now) - t0)) s"
kend

kdone
