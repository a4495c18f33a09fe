#!/bin/sh
# Integration tests of the streaming pipeline (`feedsense run`): the real
# binary ($FEEDSENSE_BIN, default bin/feedsense) against the embedded broker
# (`feedsense broker`, librdkafka's mock cluster on loopback), or with
# FEEDSENSE_TEST_BROKER=kafka against real Apache Kafka (tests/kafka/kafka.sh,
# see lib.sh), with kcat as an independent Kafka client that produces the
# inputs (keys, headers, raw bytes) and reads the outputs back.
#
#   1  N in, N out: ids, keys, headers, source, the alert subset
#   2  bad-input catalogue: DLQ error class, original bytes, source headers
#   3  kill -9 and restart: at-least-once (bounded duplicates), exactly-once
#   4  two instances in one group, one stopped mid-stream
#   5  broker outage and injected broker errors
#   6  configuration: check-config, unknown keys and properties, bad lexicons
#   7  SIGTERM: clean exit, committed offsets hold after a restart
#
# Every wait is bounded; every process started here is ended at exit; the
# logs of a failing test are printed. FEEDSENSE_TEST_ONLY="1 3" runs a subset;
# FEEDSENSE_TEST_LEXICONS=DIR scores with other lexicons (FEEDSENSE_TEST_*
# variables are the ones `feedsense run` leaves to tests).
# Needs kcat and jq (Makefile DEB_PKGS).
. "$(dirname "$0")/lib.sh"

# --- preflight ----------------------------------------------------------------
for tool in kcat jq timeout mkfifo gzip cksum; do
	command -v $tool >/dev/null 2>&1 || { echo "pipeline.sh: $tool is required (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$FS" ] || { echo "pipeline.sh: $FS not built"; echo "0 passed, 1 failed"; exit 1; }
if out=$("$FS" lexicon check --lexicons "$LEX" 2>&1); then
	ok "lexicons $LEX load"
else
	bad "lexicons $LEX load (the pipeline cannot start with them; using tests/unit/fixtures/lex instead)" "$(echo "$out" | grep -i error | head -5)"
	LEX=tests/unit/fixtures/lex
fi

# =============================================================================
if want 1; then
begin 1 "N in, N out"
if start_broker; then
	gen a 1000 | produce feedback -H source=batchA -H trace=tA
	gen b 1000 | produce feedback -H source=batchB -H lang=en
	awk 'BEGIN { for (i = 0; i < 5; i++) printf "p%d\tplain feedback p%d: the refund was refused, awful\n", i, i }' | produce feedback
	gen g 5 | cut -f 2 >"$T/gz.ndjson"
	timeout 60 "$FS" produce -b "$BK" --gzip -k id feedback "$T/gz.ndjson" 2>>"$T/kcat.log"
	N=2010
	start_run run1
	wait_count feedback.scored $N 60 || true
	stop_run $RUNPID 40
	eq "pipeline exits 0 on SIGTERM" 0 $RC
	# one TSV line per event: key, headers (k=v,...), id (or text), alert reason, source, then the event
	flat='[.key // "", ([range(0; (.headers // []) | length; 2) as $i | "\(.headers[$i])=\(.headers[$i + 1])"]
		| map(select(startswith("feedsense.alert.reason=") | not)) | join(",")),
		(.payload | fromjson | .id // .text),
		([range(0; (.headers // []) | length; 2) as $i | select(.headers[$i] == "feedsense.alert.reason") | .headers[$i + 1]] | first // ""),
		(.payload | fromjson | "\(.source.topic)/\(.source.partition)/\(.source.offset)"), .payload] | @tsv'
	consume_json feedback.scored >"$T/scored.json"
	consume_json feedback.alerts >"$T/alerts.json"
	jq -r "$flat" "$T/scored.json" >"$T/scored.tsv"
	jq -r "$flat" "$T/alerts.json" >"$T/alerts.tsv"
	consume feedback -f '%k\t%p\t%o\n' >"$T/in.txt"
	eq "exactly N=$N scored events" $N "$(wc -l <"$T/scored.tsv" | tr -d ' ')"
	eq "no dead letters" 0 "$(count feedback.dlq)"
	{ seq_ids a 1000; seq_ids b 1000; seq_ids g 5; } | sort >"$T/want.ids"
	jq -r '.payload | fromjson | .id // empty' "$T/scored.json" | sort >"$T/got.ids"
	if cmp -s "$T/want.ids" "$T/got.ids"; then ok "scored id set equals the input id set"; else
		bad "scored id set equals the input id set" "$(diff "$T/want.ids" "$T/got.ids" | head -20)"; fi
	n=$(jq -r '.payload | fromjson | select(.id == null) | .text' "$T/scored.json" | sed -n 's/^plain feedback \(p[0-9]\):.*/\1/p' | sort | tr '\n' ' ')
	eq "plain-text messages scored with their text" "p0 p1 p2 p3 p4 " "$n"
	# key: the input key (the id; pN for plain text)
	n=$(awk -F '\t' '$1 != $3 && index($3, "plain feedback " $1 ":") != 1' "$T/scored.tsv" | cut -c 1-200 | head -5)
	eq "every event keyed by its input key" "" "$n"
	hdrcheck='$3 ~ /^a[0-9]+$/ && $2 != "source=batchA,trace=tA" || $3 ~ /^b[0-9]+$/ && $2 != "source=batchB,lang=en" || $3 !~ /^[ab][0-9]+$/ && $2 != ""'
	n=$(awk -F '\t' "$hdrcheck" "$T/scored.tsv" | cut -c 1-200 | head -5)
	eq "input Kafka headers preserved on scored events" "" "$n"
	cut -f 5 "$T/scored.tsv" | sort >"$T/src.got"
	awk -F '\t' '{ print "feedback/" $2 "/" $3 }' "$T/in.txt" | sort >"$T/src.want"
	if cmp -s "$T/src.got" "$T/src.want"; then ok "source {topic, partition, offset} of each event matches one input record"; else
		bad "source {topic, partition, offset} matches the input records" "$(diff "$T/src.want" "$T/src.got" | head -10)"; fi
	n=$(jq -r '.payload | fromjson | select(.schema != "feedsense.scored.v1" or (.sentiment.label | type) != "string"
		or (.sentiment.compound | type) != "number" or (.id != null and .input.channel != "it")) | .id' "$T/scored.json" | head -3)
	eq "events carry schema, sentiment and the other input fields" "" "$n"
	# the alert subset, recomputed from the scored events (compound as printed,
	# to 4 decimals: none of these texts scores within 0.0001 of -0.5)
	jq -r '.payload | fromjson | select((.sentiment.label == "negative" and .sentiment.compound <= -0.5)
		or any(.flags[]; . == "churn_risk" or . == "legal_threat" or . == "safety" or . == "abusive"))
		| "\(.id // .text)\t\(if any(.flags[]; . == "churn_risk" or . == "legal_threat" or . == "safety" or . == "abusive") then "flag" else "negative" end)"' \
		"$T/scored.json" | sort >"$T/alerts.want"
	cut -f 3,4 "$T/alerts.tsv" | sort >"$T/alerts.got"
	na=$(wc -l <"$T/alerts.want" | tr -d ' ')
	if [ "$na" -gt 0 ] && [ "$na" -lt $N ]; then ok "the input mixes alerting and non-alerting feedback ($na alerts)"; else
		bad "the input mixes alerting and non-alerting feedback" "$na of $N events should alert"; fi
	cut -f 1 "$T/alerts.want" >"$T/alerts.want.ids"
	cut -f 1 "$T/alerts.got" >"$T/alerts.got.ids"
	if cmp -s "$T/alerts.want.ids" "$T/alerts.got.ids"; then ok "alerts = negative with compound <= -0.5 or flagged churn_risk/legal_threat/safety/abusive"; else
		bad "alert subset" "$(diff "$T/alerts.want.ids" "$T/alerts.got.ids" | head -10)"; fi
	if cmp -s "$T/alerts.want" "$T/alerts.got"; then ok "alert header feedsense.alert.reason is 'flag' or 'negative' as due"; else
		bad "alert reason header" "$(diff "$T/alerts.want" "$T/alerts.got" | head -10)"; fi
	cut -f 6- "$T/scored.tsv" | sort >"$T/scored.payloads"
	n=$(cut -f 6- "$T/alerts.tsv" | sort | comm -13 "$T/scored.payloads" - | wc -l | tr -d ' ')
	eq "alert payloads are the scored events" 0 "$n"
	n=$(awk -F '\t' "$hdrcheck" "$T/alerts.tsv" | cut -c 1-200 | head -5)
	eq "input headers preserved on alerts" "" "$n"
	n=$(awk -F '\t' '$1 != $3 && index($3, "plain feedback " $1 ":") != 1' "$T/alerts.tsv" | cut -c 1-200 | head -5)
	eq "alerts keyed by the input key" "" "$n"
	grep -q "stopped cleanly" "$T/run1.log" && ok "log says stopped cleanly" || bad "log says stopped cleanly"
fi
end
fi

# =============================================================================
if want 2; then
begin 2 "bad-input catalogue -> dead-letter topic"
if start_broker; then
	D=$T/cases
	mkdir -p "$D"
	# case files: the exact bytes of each message, and its expected fate
	printf '  \n\t \r\n  ' >"$D/whitespace"
	printf '{"id":"u8json","text":"bad \377 byte"}' >"$D/utf8_json"
	printf 'caf\303 plain text with a broken sequence' >"$D/utf8_plain"
	printf '{"id":"notext","body":"hello"}' >"$D/no_text"
	printf '{"id":"nulltext","text":null}' >"$D/text_null"
	printf '{"id":"numtext","text":42}' >"$D/text_number"
	printf '{"id":"arrtext","text":["a","b"]}' >"$D/text_array"
	printf '{"id":"trunc","text":"hello wor' >"$D/truncated_json"
	awk 'BEGIN { printf "{\"id\":\"deep\",\"text\":\"hi\",\"x\":"; for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; printf "}" }' >"$D/deep_json"
	awk 'BEGIN { printf "{\"id\":\"deepopen\",\"text\":\"hi\",\"x\":"; for (i = 0; i < 100000; i++) printf "[" }' >"$D/deep_open_json"
	printf '{"id":"dup","text":"great","text":"awful"}' >"$D/duplicate_keys"
	printf '{"id":"gzok","text":"the refund arrived quickly, thank you"}' | gzip -c >"$T/good.gz"
	gzsize=$(wc -c <"$T/good.gz" | tr -d ' ')
	# corrupt gzip: the deflate data overwritten with 0xff bytes (header and size kept)
	{ head -c 10 "$T/good.gz"; awk -v n=$((gzsize - 18)) 'BEGIN { for (i = 0; i < n; i++) printf "\377" }'; tail -c 8 "$T/good.gz"; } >"$D/corrupt_gzip"
	head -c $((gzsize / 2)) "$T/good.gz" >"$D/truncated_gzip"
	{ cat "$T/good.gz"; printf 'trailing junk'; } >"$D/gzip_trailing"
	printf '{"id":"gzutf8","text":"bad \377 inside gzip"}' | gzip -c >"$D/gzip_utf8"
	head -c 20971520 /dev/zero | gzip -c >"$D/gzip_bomb"
	awk 'BEGIN { printf "{\"id\":\"big\",\"text\":\""; for (i = 0; i < 110000; i++) printf "very long "; printf "\"}" }' >"$D/text_over_1mib"
	awk 'BEGIN { printf "{\"id\":\"under\",\"text\":\""; for (i = 0; i < 100000; i++) printf "xyzzy 123 "; printf "\"}" }' >"$D/text_under_1mib"
	printf '{"id":"nul","text":"good\\u0000service, thank you"}' >"$D/nul_in_text"
	cat >"$T/expect" <<-'EOF'
	empty empty_text
	null empty_text
	whitespace empty_text
	utf8_json invalid_utf8 27
	utf8_plain invalid_utf8 3
	no_text missing_text
	text_null missing_text
	text_number text_not_string
	text_array text_not_string
	truncated_json invalid_json
	deep_json invalid_json
	deep_open_json invalid_json
	duplicate_keys invalid_json
	corrupt_gzip corrupt_gzip
	truncated_gzip corrupt_gzip
	gzip_trailing corrupt_gzip
	gzip_utf8 invalid_utf8 27
	gzip_bomb too_large
	text_over_1mib too_large
	text_under_1mib scored_or_dlq
	nul_in_text scored
	EOF
	# (positions: the byte offset of \377 in the JSON, in the inflated bytes for gzip)
	: >"$D/empty"
	: >"$D/null"
	# all in partition 0, in this order, then a normal message: the pipeline must get past each
	printf 'empty\t\n' | produce feedback -p 0 -H case=empty
	printf 'null\t\n' | produce feedback -p 0 -Z -H case=null
	while read -r name class pos; do
		case $name in empty | null) continue ;; esac
		timeout 60 kcat -P -b "$BK" -t feedback -p 0 -k "$name" -H "case=$name" -X message.max.bytes=10000000 "$D/$name" 2>>"$T/kcat.log" \
			|| bad "kcat produced case $name"
	done <"$T/expect"
	printf 'after\t{"id":"after","text":"thanks, all good now"}\n' | produce feedback -p 0 -H case=after
	ncases=$(wc -l <"$T/expect" | tr -d ' ')
	consume feedback -f '%k\t%p\t%o\n' >"$T/in.txt"
	eq "all $ncases cases and the final message produced" $((ncases + 1)) "$(wc -l <"$T/in.txt" | tr -d ' ')"
	# a short shutdown timeout keeps a stuck run short; the assertions are unchanged
	printf '[pipeline]\nshutdown_timeout_ms = 5000\n' >"$T/fs.ini"
	start_run run1 -c "$T/fs.ini"
	# every input ends up exactly once, scored or dead-lettered: wait for all of
	# them, or until nothing new came out for 10 s
	deadline=$(($(now) + 60)); last=-1; since=$(now)
	while [ "$(now)" -lt $deadline ] && kill -0 $RUNPID 2>/dev/null; do
		n=$(($(count feedback.scored) + $(count feedback.dlq)))
		[ $n -ge $((ncases + 1)) ] && break
		if [ $n -ne $last ]; then last=$n; since=$(now); elif [ $n -gt 0 ] && [ $(($(now) - since)) -ge 10 ]; then break; fi
		sleep 0.5
	done
	sleep 1
	check "pipeline alive after the bad inputs" kill -0 $RUNPID
	consume_json feedback.scored >"$T/scored.json"
	consume_json feedback.dlq >"$T/dlq.json"
	n=$(jq -r '.payload | fromjson | select(.id == "after") | .id' "$T/scored.json")
	eq "a normal message after the bad ones is scored" after "$n"
	n=$(jq -r '.payload | fromjson | select(.id == "nul") | .text == "good\u0000service, thank you"' "$T/scored.json")
	eq "NUL (\\u0000) inside a valid JSON text is scored, text kept" true "$n"
	eq "each input scored or dead-lettered exactly once" "$((ncases + 1)) distinct of $((ncases + 1))" \
		"$(cat "$T/scored.json" "$T/dlq.json" | jq -r '.key' | sort -u | wc -l | tr -d ' ') distinct of $(cat "$T/scored.json" "$T/dlq.json" | wc -l | tr -d ' ')"
	while read -r name class pos; do
		rec=$(jq -c --arg k "$name" 'select(.key == $k)' "$T/dlq.json" | head -1)
		scored=$(jq -c --arg k "$name" 'select(.key == $k)' "$T/scored.json" | head -1)
		case $class in
		scored)
			if [ -n "$scored" ] && [ -z "$rec" ]; then ok "$name: scored"; else bad "$name: scored" "scored: ${scored:-(none)}
dlq: $(printf '%s' "$rec" | cut -c 1-300)"; fi
			continue ;;
		scored_or_dlq)
			if [ -n "$scored" ] && [ -z "$rec" ]; then ok "$name: scored"; continue; fi
			if [ -z "$rec" ]; then bad "$name: scored or dead-lettered (not lost)" "neither in feedback.scored nor in feedback.dlq"; continue; fi
			class=$(printf '%s' "$rec" | jq -r '[.headers as $h | range(0; $h | length; 2) | select($h[.] == "feedsense.error.class") | $h[. + 1]] | first // "(absent)"') ;;
		esac
		if [ -z "$rec" ]; then bad "$name: dead-lettered as $class" "no DLQ record with key $name"; continue; fi
		h() { printf '%s' "$rec" | jq -r --arg n "$1" '[.headers as $h | range(0; $h | length; 2) | select($h[.] == $n) | $h[. + 1]] | first // "(absent)"'; }
		inpo=$(awk -F '\t' -v k="$name" '$1 == k { print $2 " " $3 }' "$T/in.txt")
		got="$(h feedsense.error.class) | $(h feedsense.source.topic) $(h feedsense.source.partition) $(h feedsense.source.offset) | case=$(h case)"
		eq "$name: dead-lettered as $class with source headers and original headers" "$class | feedback $inpo | case=$name" "$got"
		msg=$(h feedsense.error.message)
		[ -n "$msg" ] && [ "$msg" != "(absent)" ] || bad "$name: feedsense.error.message present" "$rec"
		if [ -n "$pos" ]; then eq "$name: feedsense.error.position" "$pos" "$(h feedsense.error.position)"; fi
		po=$(printf '%s' "$rec" | jq -r '"\(.partition) \(.offset)"')
		want=$(cksum <"$D/$name")
		got=$(timeout 30 kcat -C -b "$BK" -t feedback.dlq -p "${po% *}" -o "${po#* }" -c 1 -e -q -f '%s' 2>>"$T/kcat.log" | cksum)
		eq "$name: DLQ payload is the original bytes" "$want" "$got"
	done <"$T/expect"
	stop_run $RUNPID 35
	eq "pipeline exits 0 on SIGTERM after the bad inputs" 0 $RC
	if [ $RC -ne 0 ] || grep -q "not acknowledged at shutdown" "$T/run1.log"; then
		bad "every output acknowledged at shutdown" "exit status $RC; $(grep -c 'failed' "$T/run1.log") log lines about failures, first: $(grep 'failed' "$T/run1.log" | head -1)"
	else ok "every output acknowledged at shutdown"; fi
	# the committed offset moved past every bad message: a restart re-reads nothing
	s1=$(count feedback.scored); d1=$(count feedback.dlq)
	start_run run2 -c "$T/fs.ini"
	wait_log "$T/run2.log" "assigned [1-9]" 30 || bad "restarted pipeline got partitions" "$(tail -5 "$T/run2.log")"
	printf 'after2\t{"id":"after2","text":"second run, fine"}\n' | produce feedback -p 0
	wait_count feedback.scored $((s1 + 1)) 30 || true
	sleep 2
	stop_run $RUNPID 35
	eq "after a restart: nothing re-read, only the new message scored" "scored $((s1 + 1)), dlq $d1" "scored $(count feedback.scored), dlq $(count feedback.dlq)"
fi
end
fi

# =============================================================================
if want 3; then
begin 3 "kill -9 mid-stream and restart"
NC=20000
gen c $NC | cut -f 2 >"$T/in.ndjson"
# exactly-once needs a cluster that stores transactional offset commits and
# hides aborted transactions from read_committed readers: txnprobe checks that
# first, independently of feedsense (librdkafka's mock cluster, our embedded
# broker, does neither in librdkafka 2.0)
probe=$tmp/txnprobe
${CC:-cc} -O1 -o "$probe" tests/it/txnprobe.c -lrdkafka 2>"$T/txnprobe-build.log" || bad "tests/it/txnprobe.c builds" "$(cat "$T/txnprobe-build.log")"
for mode in at-least-once exactly-once; do
	if [ $mode = at-least-once ]; then EO=""; RD=""; else EO=--exactly-once; RD="-X isolation.level=read_committed"; fi
	stop_all
	# more output partitions: the mock broker keeps about 5 MiB per partition
	start_broker -t feedback:4,feedback.scored:16,feedback.alerts:8,feedback.dlq:4,txnprobe:1 || continue
	eos_broker=0
	if [ $mode = exactly-once ]; then
		timeout 90 "$probe" "$BK" txnprobe >"$T/txnprobe.log" 2>&1; rc=$?
		case $rc in
		0) eos_broker=1 ;;
		3)
			if [ "$BROKER" = kafka ]; then # real Kafka must keep both promises
				bad "Kafka keeps transactional offsets and hides aborted transactions (txnprobe)" "$(cat "$T/txnprobe.log")"
			else
				echo "skip - exactly-once: no duplicates (the broker cannot give exactly-once: $(tr '\n' ';' <"$T/txnprobe.log"))"
			fi ;;
		*) bad "txnprobe ran" "rc=$rc $(cat "$T/txnprobe.log")" ;;
		esac
	fi
	start_run run1-$mode -g crash $EO
	wait_log "$T/run1-$mode.log" "assigned [1-9]" 30 || bad "$mode: pipeline got partitions" "$(tail -5 "$T/run1-$mode.log")"
	# 10 s of input, the kill once 2,000 are scored (about 1 s in): mid-stream
	feed "$T/in.ndjson" 2000
	t_feed=$(date +%s.%N)
	wait_count feedback.scored 2000 60 $RD || true
	kill -KILL $RUNPID
	t_kill=$(date +%s.%N)
	wait_exit $RUNPID 10
	at_kill=$(count feedback.scored $RD)
	after=$(awk -v a="$t_kill" -v b="$t_feed" 'BEGIN { printf "%.1f", a - b }')
	if [ "$at_kill" -gt 0 ] && [ "$at_kill" -lt $NC ]; then ok "$mode: killed mid-stream ($at_kill of $NC scored, $after s into the feed)"; else
		bad "$mode: killed mid-stream" "$at_kill of $NC scored at the kill, $after s into the feed"; fi
	start_run run2-$mode -g crash $EO
	wait_distinct feedback.scored $NC 120 $RD || true
	sleep 2
	wait_exit $FEEDPID 30
	eq "$mode: input producer delivered all" 0 $RC
	stop_run $RUNPID 40
	eq "$mode: restarted pipeline exits 0 on SIGTERM" 0 $RC
	check_ids feedback.scored c $NC "$mode" $RD
	dups=$((TOTAL - DISTINCT))
	if [ $mode = at-least-once ]; then
		if [ $dups -lt $((NC / 2)) ]; then ok "$mode: duplicates bounded ($dups < $((NC / 2)))"; else
			bad "$mode: duplicates bounded" "$dups duplicates of $NC"; fi
	elif [ $eos_broker = 1 ]; then
		eq "$mode: read_committed sees no duplicates" 0 $dups
	fi
	[ $mode = exactly-once ] && eq "$mode: dead letters" 0 "$(count feedback.dlq $RD)"
	echo "    ($mode: $at_kill scored before kill -9, $TOTAL in all, $dups duplicates)"
done
end
fi

# =============================================================================
if want 4; then
begin 4 "two instances in one group, one stopped mid-stream"
if start_broker; then
	NS=10000
	gen s $NS | cut -f 2 >"$T/in.ndjson"
	start_run runA -g shared
	PA=$RUNPID
	wait_log "$T/runA.log" "assigned [1-9]" 30 || bad "instance A got partitions" "$(tail -5 "$T/runA.log")"
	start_run runB -g shared
	PB=$RUNPID
	WATCH="$PA $PB"
	wait_log "$T/runB.log" "assigned [1-9]" 30 || bad "instance B got partitions" "$(tail -5 "$T/runB.log")"
	nb=$(sed -n 's/.*assigned \([0-9]*\) partition.*/\1/p' "$T/runB.log" | tail -1)
	feed "$T/in.ndjson" 2000 # 5 s of input
	wait_count feedback.scored 3000 60 || true
	stop_run $PB 40
	eq "instance B exits 0 on SIGTERM mid-stream" 0 $RC
	grep -q "stopped cleanly" "$T/runB.log" && ok "instance B stopped cleanly" || bad "instance B stopped cleanly"
	cb=$(consumed "$T/runB.log")
	if [ "${cb:-0}" -gt 0 ] && [ "${nb:-0}" -gt 0 ] && [ "$nb" -lt 4 ]; then ok "the instances shared the partitions (B had $nb of 4, consumed $cb)"; else
		bad "the instances shared the partitions" "B assigned ${nb:-none}, consumed ${cb:-none}"; fi
	WATCH=$PA
	wait_exit $FEEDPID 30
	wait_distinct feedback.scored $NS 60 || true
	sleep 1
	check "instance A still running" kill -0 $PA
	na=$(grep -c "assigned [1-9]" "$T/runA.log")
	if [ "$na" -ge 2 ]; then ok "instance A took B's partitions over"; else bad "instance A took B's partitions over" "$(grep 'assigned\|revoked' "$T/runA.log")"; fi
	stop_run $PA 40
	eq "instance A exits 0" 0 $RC
	check_ids feedback.scored s $NS "hand-over"
	eq "graceful hand-over scores nothing twice" 0 $((TOTAL - DISTINCT))
fi
end
fi

# =============================================================================
if want 5; then
begin 5 "broker outage and injected broker errors"
if start_broker --control; then
	# commands arriving together (one write, or a script piping several) are all applied
	if [ "$BROKER" = kafka ]; then
		echo "skip - broker --control applies two commands written at once (a feature of the embedded broker)"
	elif to_ctl 'rtt 1 1
rtt 1 0
' && wait_log "$BKLOG" "control: rtt 1 1\$" 3 && wait_log "$BKLOG" "control: rtt 1 0\$" 3; then
		ok "broker --control applies two commands written at once"
	else
		bad "broker --control applies two commands written at once" "$(grep 'control:' "$BKLOG")"
		to_ctl '
' # an empty line releases the command left behind
		wait_log "$BKLOG" "control: rtt 1 0\$" 3 || true
	fi
	NO=8000
	gen o $NO | cut -f 2 >"$T/in.ndjson"
	start_run run1 -g outage
	wait_log "$T/run1.log" "assigned [1-9]" 30 || bad "pipeline got partitions" "$(tail -5 "$T/run1.log")"
	feed "$T/in.ndjson" 1000 # 8 s of input, across the outage
	wait_count feedback.scored 1000 60 || true
	ctl "down 1"
	sleep 5
	ctl "up 1"
	wait_exit $FEEDPID 90
	eq "the input producer got through the outage" 0 $RC
	wait_distinct feedback.scored $NO 120 || true
	check "pipeline still running after the outage" kill -0 $RUNPID
	check_ids feedback.scored o $NO "outage"
	echo "    (outage: $((TOTAL - DISTINCT)) duplicates)"
	stop_run $RUNPID 40
	eq "pipeline exits 0 after the outage" 0 $RC
	# injected errors, hitting the pipeline's own requests: the inputs are
	# written first, the errors queued, then the pipeline started, and the
	# topics read only after it has fetched
	NE=3000
	gen e $NE | produce feedback
	ctl "errors Produce 5 NOT_LEADER_FOR_PARTITION"
	ctl "errors OffsetCommit 3 COORDINATOR_NOT_AVAILABLE"
	ctl "errors Fetch 3 NOT_LEADER_FOR_PARTITION"
	# one produce request in flight: the mock checks no sequence numbers of a
	# non-transactional producer (see faults.sh test 2)
	start_run run2 -g outage -X max.in.flight.requests.per.connection=1
	wait_log "$T/run2.log" "assigned [1-9]" 30 || bad "restarted pipeline got partitions" "$(tail -5 "$T/run2.log")"
	sleep 3
	wait_distinct feedback.scored $((NO + NE)) 90 || true
	sleep 2 # auto-commits get past the OffsetCommit errors
	check "pipeline still running after the injected errors" kill -0 $RUNPID
	stop_run $RUNPID 40
	eq "pipeline exits 0 after the injected errors" 0 $RC
	keys feedback.scored | grep '^e' | sort >"$T/got.keys"
	seq_ids e $NE >"$T/want.keys"
	eq "injected errors: every one of the $NE ids scored" 0 "$(sort -u "$T/got.keys" | comm -23 "$T/want.keys" - | wc -l | tr -d ' ')"
	eq "no dead letters" 0 "$(count feedback.dlq)"
	# the commits got through in the end: a restart scores nothing again
	before=$(count feedback.scored)
	start_run run3 -g outage
	wait_log "$T/run3.log" "assigned [1-9]" 30 || bad "restarted pipeline got partitions" "$(tail -5 "$T/run3.log")"
	sleep 3
	stop_run $RUNPID 40
	eq "after the errors, offsets committed: a restart re-scores nothing" "$before" "$(count feedback.scored)"
fi
end
fi

# =============================================================================
if want 6; then
begin 6 "configuration"
out=$(timeout 30 "$FS" check-config -L "$LEX" -X sasl.password=hunter2 -X sasl.username=alice 2>&1); rc=$?
eq "check-config exits 0" 0 $rc
printf '%s\n' "$out" >"$T/check-config.log"
case $out in *hunter2*) bad "check-config masks the secret" "$(printf '%s\n' "$out" | grep hunter2)" ;; *) ok "check-config never prints the secret" ;; esac
printf '%s\n' "$out" | grep -q '^sasl.password *= *\*\*\*\*\*\*\*\*$' && ok "the secret shows as ********" || bad "the secret shows as ********" "$(printf '%s\n' "$out" | grep -i sasl)"
printf '%s\n' "$out" | grep -q '^sasl.username *= *alice$' && ok "a non-secret property is shown" || bad "a non-secret property is shown" "$(printf '%s\n' "$out" | grep -i sasl)"
printf '%s\n' "$out" | grep -q '^group *= *feedsense$' && ok "effective settings printed (group = feedsense)" || bad "effective settings printed" "$(printf '%s\n' "$out" | head -20)"
printf '[input]\ntext_field = body\nfrobnicate = 1\n' >"$T/bad.ini"
out=$(timeout 30 "$FS" check-config -L "$LEX" -c "$T/bad.ini" 2>&1); rc=$?
eq "unknown key in a config file exits 1" 1 $rc
case $out in *"$T/bad.ini:3:"*frobnicate*) ok "the error names file:line and the key" ;; *) bad "the error names file:line and the key" "$out" ;; esac
out=$(timeout 30 "$FS" run -b 127.0.0.1:9 -L "$LEX" -c "$T/bad.ini" 2>&1); rc=$?
eq "run: unknown key in a config file exits 1" 1 $rc
out=$(timeout 30 "$FS" check-config -L "$LEX" -X no.such.property=1 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "unknown librdkafka property exits non-zero"; else bad "unknown librdkafka property exits non-zero" "rc=$rc"; fi
case $out in *no.such.property*"No such configuration property"*) ok "the error names the property and says why" ;; *) bad "the error names the property" "$out" ;; esac
out=$(timeout 30 "$FS" run -b 127.0.0.1:9 -L "$LEX" -X no.such.property=1 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "run: unknown librdkafka property exits non-zero"; else bad "run: unknown librdkafka property exits non-zero" "rc=$rc"; fi
case $out in *no.such.property*) ok "run: the error names the property" ;; *) bad "run: the error names the property" "$out" ;; esac
out=$(timeout 30 "$FS" run -b 127.0.0.1:9 -L "$T/no-such-dir" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "run with a missing lexicon dir exits non-zero"; else bad "run with a missing lexicon dir exits non-zero" "rc=$rc $out"; fi
case $out in *no-such-dir*) ok "the error names the lexicon dir" ;; *) bad "the error names the lexicon dir" "$out" ;; esac
mkdir -p "$T/lex" && cp "$LEX"/* "$T/lex/" && printf 'oops no tab\n' >>"$T/lex/sentiment.tsv"
out=$(timeout 30 "$FS" run -b 127.0.0.1:9 -L "$T/lex" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "run with a broken lexicon file exits non-zero"; else bad "run with a broken lexicon file exits non-zero" "rc=$rc $out"; fi
case $out in *sentiment.tsv:[0-9]*) ok "the error names the lexicon file:line" ;; *) bad "the error names the lexicon file:line" "$out" ;; esac
end
fi

# =============================================================================
if want 7; then
begin 7 "SIGTERM shutdown and committed offsets"
if start_broker; then
	NT=15000
	gen t $NT | cut -f 2 >"$T/in.ndjson"
	start_run run1 -g term
	wait_log "$T/run1.log" "assigned [1-9]" 30 || bad "pipeline got partitions" "$(tail -5 "$T/run1.log")"
	feed "$T/in.ndjson" 5000
	wait_count feedback.scored 3000 60 || true
	t0=$(now)
	stop_run $RUNPID 40
	eq "SIGTERM mid-stream: exit 0" 0 $RC
	dt=$(($(now) - t0))
	if [ $dt -le 30 ]; then ok "exited within the 30 s shutdown timeout (${dt} s)"; else bad "exited within the 30 s shutdown timeout" "${dt} s"; fi
	grep -q "stopped cleanly" "$T/run1.log" && ok "log says stopped cleanly" || bad "log says stopped cleanly" "$(tail -5 "$T/run1.log")"
	before=$(count feedback.scored)
	wait_exit $FEEDPID 30
	start_run run2 -g term
	wait_distinct feedback.scored $NT 60 || true
	sleep 2
	stop_run $RUNPID 40
	eq "restart: exit 0" 0 $RC
	check_ids feedback.scored t $NT "SIGTERM + restart"
	eq "nothing re-scored after the restart ($before before it)" "$NT" "$TOTAL"
	# idle restart: the committed offsets hold, and new input is still scored
	start_run run3 -g term
	wait_log "$T/run3.log" "assigned [1-9]" 30 || bad "restarted pipeline got partitions" "$(tail -5 "$T/run3.log")"
	sleep 3
	eq "idle restart: nothing re-scored" "$NT" "$(count feedback.scored)"
	printf 'sentinel\t{"id":"sentinel","text":"one more"}\n' | produce feedback
	wait_count feedback.scored $((NT + 1)) 30 || true
	eq "idle restart: a new message is scored" "$((NT + 1))" "$CNT"
	stop_run $RUNPID 40
	eq "exit 0" 0 $RC
fi
	# SIGTERM while the group join is unfinished: the broker keeps answering
	# SyncGroup with REBALANCE_IN_PROGRESS, so the pipeline has joined but has
	# no assignment yet (as during any rebalance)
	stop_all
	if injectable "errors SyncGroup 100000 REBALANCE_IN_PROGRESS" && start_broker --control; then
		ctl "errors SyncGroup 100000 REBALANCE_IN_PROGRESS"
		start_run join -g joining
		wait_log "$T/join.log" "consuming" 30 || true
		sleep 6
		stop_run $RUNPID 40
		eq "SIGTERM during an unfinished group join: exit 0" 0 $RC
		grep -q "stopped cleanly" "$T/join.log" && ok "SIGTERM during a join: stopped cleanly" || bad "SIGTERM during a join: stopped cleanly" "$(tail -3 "$T/join.log")"
	fi
end
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
