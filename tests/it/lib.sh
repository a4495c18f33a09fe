#!/bin/sh
# Shared helpers of the pipeline integration tests (sourced by pipeline.sh and
# the other suites under tests/it/): test bookkeeping (begin/end, ok/bad/eq),
# processes (the embedded broker and its control FIFO, `feedsense run`), and
# Kafka I/O with kcat. Every wait is bounded; every process started through
# these helpers is ended at exit.
#
# The sourcing script sets nothing beforehand; it may set ONLY (the tests to
# run) after sourcing. Variables it reads: FEEDSENSE_BIN, FEEDSENSE_TEST_LEXICONS,
# FEEDSENSE_TEST_ONLY, FEEDSENSE_TEST_BROKER.
#
# FEEDSENSE_TEST_BROKER=kafka: start_broker starts a real Apache Kafka instead
# (tests/kafka/kafka.sh, a fresh cluster in the test's directory, its topics
# created as the embedded broker would have them); ctl down/up stop and
# restart a node; the faults only the embedded broker can inject (rtt,
# errors) are reported as "skip - ..." lines. Default: mock (`feedsense broker`).
set -u
FS=${FEEDSENSE_BIN:-bin/feedsense}
LEX=${FEEDSENSE_TEST_LEXICONS:-lexicons}
ONLY=${FEEDSENSE_TEST_ONLY:-all}
BROKER=${FEEDSENSE_TEST_BROKER:-mock}
case $BROKER in mock | kafka) ;; *) echo "FEEDSENSE_TEST_BROKER: mock or kafka, not '$BROKER'"; exit 1 ;; esac
KAFKA_SH=$(cd "$(dirname "$0")/../kafka" 2>/dev/null && pwd)/kafka.sh
[ -f "$KAFKA_SH" ] || KAFKA_SH=$(pwd)/tests/kafka/kafka.sh # a suite outside tests/it, run from the top
tmp=$(mktemp -d "${TMPDIR:-/tmp}/feedsense-it.XXXXXX")
pids=""   # every background process started here
kdirs=""  # the state dirs of the Kafka clusters started here
pass=0
fail=0
T=$tmp    # the current test's directory (logs)
tfail=0   # failures in the current test

cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
		kill -KILL "$p" 2>/dev/null
	done
	lib_kafka_down
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() {
	fail=$((fail + 1)); tfail=$((tfail + 1)); echo "FAIL - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -40 | sed 's/^/       /'
	return 0
}
check() { # check NAME COMMAND...: passes when the command succeeds
	name=$1; shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
eq() { # eq NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected: $2
got:      $3"; fi
}
now() { date +%s; }

# --- tests, processes and logs ----------------------------------------------
begin() { # begin NUMBER TITLE: a new test with its own directory
	T=$tmp/t$1
	mkdir -p "$T"
	tfail=0
	tstart=$(now)
	echo "# test $1: $2"
}
end() { # print the logs of a failing test, stop what it started
	if [ $tfail -gt 0 ]; then
		kafka_save_logs
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "------- $(basename "$f") (last 60 lines) -------"
			tail -n 60 "$f"
		done
		echo "-------"
	fi
	stop_all
	echo "# ($(($(now) - tstart)) s)"
}
want() { case " $ONLY " in " all " | *" $1 "*) return 0 ;; esac; return 1; }

stop_all() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pids=""
	lib_kafka_down
}
forget() { # forget PID: it was waited for
	np=""
	for p in $pids; do [ "$p" = "$1" ] || np="$np $p"; done
	pids=$np
}

# start_broker [--control] [broker options...]: sets BK (bootstrap address) and
# BKLOG (its log). With --control, commands go through the FIFO $T/ctl (see ctl).
start_broker() {
	rm -f "$T/broker.out" "$T/ctl"
	BKLOG=$T/broker.log
	n=2
	while [ -e "$BKLOG" ]; do BKLOG=$T/broker-$n.log; n=$((n + 1)); done
	if [ "$BROKER" = kafka ]; then
		start_kafka "$@"
		return
	fi
	if [ "${1:-}" = --control ]; then
		mkfifo "$T/ctl"
		sleep 100000 >"$T/ctl" & # keeps the FIFO open: the broker never sees EOF
		pids="$pids $!"
		"$FS" broker "$@" <"$T/ctl" >"$T/broker.out" 2>"$BKLOG" &
	else
		"$FS" broker "$@" </dev/null >"$T/broker.out" 2>"$BKLOG" &
	fi
	pids="$pids $!"
	n=0
	BK=""
	while [ $n -lt 100 ]; do
		BK=$(head -n 1 "$T/broker.out" 2>/dev/null)
		[ -n "$BK" ] && break
		sleep 0.1; n=$((n + 1))
	done
	if [ -z "$BK" ]; then
		bad "broker started" "$(cat "$BKLOG")"
		return 1
	fi
	return 0
}

# start_kafka [--control] [-t NAME[:PARTITIONS],...] [-P N] [-n N]: start_broker
# on real Kafka: a fresh cluster of N nodes (1) in $KDIR, the topics created
# (default: the embedded broker's, 4 partitions each). The cluster's log is
# copied into $T when the test fails (kafka_save_logs).
start_kafka() {
	ktopics=feedback,feedback.scored,feedback.alerts,feedback.dlq kparts=4 knodes=1
	while [ $# -gt 0 ]; do
		case $1 in
		--control) ;;
		-t | --topics) ktopics=$2; shift ;;
		-P | --partitions) kparts=$2; shift ;;
		-n | --brokers) knodes=$2; shift ;;
		*) bad "start_broker: option $1 has no real-Kafka equivalent"; return 1 ;;
		esac
		shift
	done
	KDIR=$T/kafka
	n=2
	while [ -e "$KDIR" ]; do KDIR=$T/kafka-$n; n=$((n + 1)); done
	kdirs="$kdirs $KDIR"
	if ! FEEDSENSE_TEST_KAFKA_DIR=$KDIR sh "$KAFKA_SH" up --nodes "$knodes" >"$T/broker.out" 2>>"$BKLOG"; then
		bad "Kafka started" "$(tail -n 40 "$BKLOG")"
		return 1
	fi
	BK=$(tail -n 1 "$T/broker.out")
	# shellcheck disable=SC2046 # one NAME:PARTITIONS word per topic
	if ! FEEDSENSE_TEST_KAFKA_DIR=$KDIR sh "$KAFKA_SH" topics $(echo "$ktopics" | tr ',' '\n' |
		awk -v p="$kparts" -F : '$1 != "" { print $1 ":" ($2 == "" ? p : $2) }') >>"$BKLOG" 2>&1; then
		bad "Kafka topics $ktopics created" "$(tail -n 5 "$BKLOG")"
		return 1
	fi
	echo "kafka: $BK, topics $ktopics" >>"$BKLOG"
	return 0
}
# kafka_save_logs: the broker logs of the clusters still running, into $T
kafka_save_logs() {
	for d in $kdirs; do
		for f in "$d"/node*/kafka.log; do
			[ -f "$f" ] || continue
			nd=$(basename "$(dirname "$f")")
			cp "$f" "$T/$(basename "$d")-$nd.log" 2>/dev/null
		done
	done
}
# lib_kafka_down: stop every Kafka cluster start_broker started and remove its state
lib_kafka_down() {
	for d in $kdirs; do
		FEEDSENSE_TEST_KAFKA_DIR=$d sh "$KAFKA_SH" down >/dev/null 2>&1
	done
	kdirs=""
}
# injectable COMMAND: whether the broker in use can apply a ctl command; on
# real Kafka, for the faults only the embedded broker injects (rtt, errors),
# prints a skip line and fails
injectable() {
	[ "$BROKER" = kafka ] || return 0
	case $1 in
	rtt* | errors*) echo "skip - broker fault '$1': the real Kafka broker cannot inject it"; return 1 ;;
	esac
	return 0
}
# kctl COMMAND: ctl on real Kafka: down ID / up ID stop and restart node ID
# (SIGTERM, then a restart on its data), create TOPIC N creates a topic
kctl() {
	set -- $*
	case $1 in
	down) FEEDSENSE_TEST_KAFKA_DIR=$KDIR sh "$KAFKA_SH" stop "$2" >>"$BKLOG" 2>&1 ;;
	up) FEEDSENSE_TEST_KAFKA_DIR=$KDIR sh "$KAFKA_SH" start "$2" >>"$BKLOG" 2>&1 ;;
	create) FEEDSENSE_TEST_KAFKA_DIR=$KDIR sh "$KAFKA_SH" topics "$2:$3" >>"$BKLOG" 2>&1 ;;
	*) false ;;
	esac || { bad "Kafka applied '$*'" "$(tail -n 20 "$BKLOG")"; return 1; }
	echo "control: $*" >>"$BKLOG"
}

# to_ctl TEXT: write to the broker's control FIFO (bounded: an open for writing
# would block for ever if the broker had died)
to_ctl() { timeout 5 sh -c 'printf "%s" "$1" >"$2"' sh "$1" "$T/ctl"; }
# ctl COMMAND: send a fault-injection command and wait until the broker logged
# it. Real Kafka (FEEDSENSE_TEST_BROKER=kafka): see injectable and kctl.
ctl() {
	injectable "$*" || return 2
	if [ "$BROKER" = kafka ]; then
		kctl "$*"
		return
	fi
	to_ctl "$*
"
	n=0
	while [ $n -lt 50 ]; do
		grep -q "control: $*\$" "$BKLOG" && return 0
		sleep 0.1; n=$((n + 1))
	done
	bad "broker applied '$*'" "$(tail -5 "$BKLOG")"
	return 1
}

# start_run NAME [run options...]: start the pipeline; sets RUNPID; log in $T/NAME.log.
# A short group session timeout: the embedded broker (librdkafka's mock cluster)
# completes a rebalance only after the session timeout of the members it waits
# for (45 s by default), also after a member left the group cleanly.
start_run() {
	name=$1; shift
	"$FS" run -b "$BK" -L "$LEX" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
		"$@" </dev/null >"$T/$name.out" 2>"$T/$name.log" &
	RUNPID=$!
	pids="$pids $RUNPID"
	WATCH=$RUNPID
}

# stop_run PID SECONDS: SIGTERM, wait for the exit; sets RC (124: did not exit in time)
stop_run() {
	kill -TERM "$1" 2>/dev/null
	wait_exit "$1" "$2"
}
# wait_exit PID SECONDS: sets RC (124 when still running after SECONDS, then killed)
wait_exit() {
	deadline=$(($(now) + $2))
	while kill -0 "$1" 2>/dev/null && [ "$(now)" -lt $deadline ]; do sleep 0.1; done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		RC=124
	else
		wait "$1"; RC=$?
	fi
	forget "$1"
	np=""
	for p in $WATCH; do [ "$p" = "$1" ] || np="$np $p"; done
	WATCH=$np
}

# wait_log FILE PATTERN SECONDS [COUNT]: until FILE has COUNT (1) lines matching PATTERN
wait_log() {
	deadline=$(($(now) + $3))
	while [ "$(now)" -le $deadline ]; do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "${4:-1}" ] && return 0
		sleep 0.2
	done
	return 1
}

# --- the metrics and health endpoints (curl) ----------------------------------
# metrics_addr LOG: sets MADDR from the "listening on http://ADDR/metrics" line
metrics_addr() {
	MADDR=""
	wait_log "$1" "listening on http://" 30 || return 1
	MADDR=$(sed -n 's|.*listening on http://\([^/]*\)/metrics.*|\1|p' "$1" | head -n 1)
	[ -n "$MADDR" ]
}
# scrape: the exposition text in $T/metrics.txt (empty when the request failed)
scrape() { curl -s --max-time 10 "http://$MADDR/metrics" >"$T/metrics.txt" 2>>"$T/curl.log" || : >"$T/metrics.txt"; }
# metric 'SERIES': its value in the last scrape (SERIES exactly as rendered, labels included), or "absent"
metric() { awk -v s="$1" '$1 == s { print $2; f = 1 } END { if (!f) print "absent" }' "$T/metrics.txt"; }
# msum PREFIX: the sum of every series whose name and labels start with PREFIX
msum() { awk -v p="$1" 'substr($1, 1, length(p)) == p { n += $2 } END { print n + 0 }' "$T/metrics.txt"; }
# probe PATH: sets CODE (HTTP status) and BODY
probe() {
	BODY=$(curl -s --max-time 10 -o - -w '\n%{http_code}' "http://$MADDR$1" 2>>"$T/curl.log")
	CODE=$(printf '%s\n' "$BODY" | tail -n 1)
	BODY=$(printf '%s\n' "$BODY" | sed '$d')
}
# wait_probe PATH CODE SECONDS: until PATH answers CODE
wait_probe() {
	deadline=$(($(now) + $3))
	while :; do
		probe "$1"
		[ "$CODE" = "$2" ] && return 0
		[ "$(now)" -ge $deadline ] && return 1
		sleep 0.5
	done
}
# wait_metric 'SERIES' VALUE SECONDS: until a scrape shows SERIES = VALUE (the
# counters follow delivery reports, which may trail what kcat already reads)
wait_metric() {
	deadline=$(($(now) + $3))
	while :; do
		scrape
		[ "$(metric "$1")" = "$2" ] && return 0
		[ "$(now)" -ge $deadline ] && return 1
		sleep 0.5
	done
}
# --- Kafka I/O with kcat ----------------------------------------------------
# consume TOPIC [kcat options]: every message as KEY<TAB>HEADERS<TAB>PAYLOAD
consume() {
	topic=$1; shift
	timeout 60 kcat -C -b "$BK" -t "$topic" -o beginning -e -q -f '%k\t%h\t%s\n' "$@" 2>>"$T/kcat.log"
}
# count_within SECONDS TOPIC [kcat options]: messages read from the start of
# TOPIC until the options end the reader (-e, -c N) or SECONDS pass
count_within() {
	cw_secs=$1; topic=$2; shift 2
	timeout "$cw_secs" kcat -C -b "$BK" -t "$topic" -o beginning -q -f 'x\n' "$@" 2>>"$T/kcat.log" | wc -l | tr -d ' '
}
# count TOPIC [kcat options]: messages in a topic
count() {
	topic=$1; shift
	count_within 60 "$topic" -e "$@"
}
# wait_count TOPIC N SECONDS [kcat options]: until TOPIC holds N messages; sets
# CNT (exact up to N, N + 1 meaning "more than N"). Gives up early when none
# of the pipelines in $WATCH is running. One reader follows the topic for a
# few seconds at a time and stops at N + 1 messages: it counts what arrives
# while it reads. Not `kcat -e` (read to the end): on real Kafka, under constant
# writes to a topic of 16 partitions, such a reader once returned only when the
# writes stopped, 20 s later, having counted 1,842 of the 20,000 messages: a
# trigger "2,000 written" had become "all written".
WATCH=""
# watched_gone: succeeds when $WATCH names pipelines and none of them runs any more
watched_gone() {
	[ -n "$WATCH" ] || return 1
	for p in $WATCH; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}
wait_count() {
	topic=$1; want_n=$2; deadline=$(($(now) + $3)); shift 3
	span=2 # seconds a reader follows the topic; doubles up to 8 while N is not there
	while :; do
		left=$((deadline - $(now)))
		[ $left -lt 1 ] && left=1
		[ $span -gt $left ] && span=$left
		CNT=$(count_within $span "$topic" -c $((want_n + 1)) "$@")
		[ "$CNT" -ge "$want_n" ] && return 0
		[ "$(now)" -ge $deadline ] && return 1
		watched_gone && return 1
		[ $span -lt 8 ] && span=$((span * 2))
	done
}
# produce TOPIC [kcat options]: lines KEY<TAB>VALUE from stdin
produce() {
	topic=$1; shift
	timeout 60 kcat -P -b "$BK" -t "$topic" -K '\t' "$@" 2>>"$T/kcat.log"
}
# consume_json TOPIC [kcat options]: every message as kcat's JSON envelope, one a line
consume_json() {
	topic=$1; shift
	timeout 60 kcat -C -b "$BK" -t "$topic" -o beginning -e -q -J "$@" 2>>"$T/kcat.log"
}

# gen PREFIX N: N input lines KEY<TAB>JSON with ids PREFIX0..PREFIX(N-1), key = id,
# texts cycling through positive, neutral, negative and flagged feedback
gen() {
	awk -v p="$1" -v n="$2" 'BEGIN {
		t[0] = "order %s arrived on time"
		t[1] = "Absolutely love the new app, works great (%s)"
		t[2] = "Terrible service, I hate this company and the refund never came %s"
		t[3] = "I want to cancel my subscription, this is the third time %s"
		t[4] = "The delivery was a bit late but the item is fine %s"
		t[5] = "worst experience ever, awful and useless, ticket %s"
		t[6] = "I have been on hold for two hours and still no refund %s"
		t[7] = "How do I change my delivery address? %s"
		t[8] = "not bad at all, thanks %s"
		t[9] = "the app crashes every time I log in, disappointing %s"
		for (i = 0; i < n; i++) {
			id = p i
			printf "%s\t{\"id\":\"%s\",\"text\":\"" t[i % 10] "\",\"channel\":\"it\",\"rating\":%d}\n", id, id, id, i % 5 + 1
		}
	}'
}
# keys TOPIC [kcat options]: the message keys (= input ids), one a line
keys() {
	topic=$1; shift
	timeout 60 kcat -C -b "$BK" -t "$topic" -o beginning -e -q -f '%k\n' "$@" 2>>"$T/kcat.log"
}
# wait_distinct TOPIC N SECONDS [kcat options]: until TOPIC holds N distinct keys; sets CNT
wait_distinct() {
	topic=$1; want_n=$2; deadline=$(($(now) + $3)); shift 3
	while :; do
		CNT=$(keys "$topic" "$@" | sort -u | wc -l | tr -d ' ')
		[ "$CNT" -ge "$want_n" ] && return 0
		[ "$(now)" -ge $deadline ] && return 1
		watched_gone && return 1
		sleep 0.5
	done
}
# feed FILE RATE: `feedsense produce` the JSON lines of FILE (key: the id) at RATE msg/s,
# in the background; sets FEEDPID
feed() {
	timeout 120 "$FS" produce -b "$BK" -k id -r "$2" feedback "$1" >/dev/null 2>>"$T/feed.log" &
	FEEDPID=$!
	pids="$pids $FEEDPID"
}
# consumed LOG: the "consumed N" of the last summary line of a pipeline log
consumed() { sed -n 's/.*consumed \([0-9]*\),.*/\1/p' "$1" | tail -n 1; }
# check_ids TOPIC PREFIX N LABEL [kcat options]: every id scored; sets TOTAL and DISTINCT
check_ids() {
	topic=$1; prefix=$2; nids=$3; label=$4; shift 4
	keys "$topic" "$@" | sort >"$T/got.keys"
	seq_ids "$prefix" "$nids" >"$T/want.keys"
	TOTAL=$(wc -l <"$T/got.keys" | tr -d ' ')
	DISTINCT=$(sort -u "$T/got.keys" | wc -l | tr -d ' ')
	missing=$(sort -u "$T/got.keys" | comm -23 "$T/want.keys" - | wc -l | tr -d ' ')
	extra=$(sort -u "$T/got.keys" | comm -13 "$T/want.keys" - | wc -l | tr -d ' ')
	eq "$label: every one of the $nids ids scored" "0 missing, 0 unknown" "$missing missing, $extra unknown"
}
seq_ids() { awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) print p i }' | sort; }

