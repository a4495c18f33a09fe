#!/bin/sh
# Integration tests of the metrics and health endpoints and of the log
# formats of `feedsense run`, against the embedded broker, with curl
# scraping /metrics, /healthz and /readyz and kcat reading the outputs back.
#
#   1  counters equal what was consumed, scored, alerted and dead-lettered
#      (read back with kcat), twice during one run; gauges, histograms,
#      lag, commits, info metrics; the exposition format itself
#   2  /readyz: 503 before an assignment and while the broker is down,
#      200 when assigned and again after the broker is back; /healthz 200
#   3  --log-format json lines parse with jq; a -X sasl.password value never
#      reaches the log; a taken metrics port is logged and the run goes on;
#      --metrics off
#
# FEEDSENSE_TEST_ONLY="1 3" runs a subset. Needs kcat, jq and curl.
. "$(dirname "$0")/lib.sh"

for tool in kcat jq curl timeout mkfifo; do
	command -v $tool >/dev/null 2>&1 || { echo "metrics.sh: $tool is required (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$FS" ] || { echo "metrics.sh: $FS not built"; echo "0 passed, 1 failed"; exit 1; }

# --- helpers (metrics_addr, scrape, metric, msum, probe, wait_probe, wait_metric: lib.sh) ---
# dlq_classes: "CLASS COUNT" per feedsense.error.class header of the dead letters, sorted
dlq_classes() {
	consume_json feedback.dlq | jq -r '[range(0; (.headers // []) | length; 2) as $i
		| select(.headers[$i] == "feedsense.error.class") | .headers[$i + 1]] | last // "none"' | sort | uniq -c |
		awk '{ print $2, $1 }'
}
# bad_inputs PREFIX: dead-letter material of several kinds, KEY<TAB>VALUE lines
bad_inputs() {
	printf '%s1\t{"id":\n%s2\t{"id":"x", "text"\n%s3\t[1,2,3\n' "$1" "$1" "$1"                 # invalid JSON
	printf '%s4\t{"id":"nt1"}\n%s5\t{"id":"nt2","body":"hello"}\n' "$1" "$1"                   # no text field
	printf '%s6\t{"id":"ns","text":42}\n' "$1"                                                  # text not a string
	printf '%s7\t{"id":"u8","text":"bad \377 byte"}\n' "$1"                                     # invalid UTF-8
	printf '%s8\t{"id":"e1","text":""}\n' "$1"                                                  # empty text
}
# wait_all N SECONDS: until scored + dead letters reach N
wait_all() {
	deadline=$(($(now) + $2))
	while [ $(($(count feedback.scored) + $(count feedback.dlq))) -lt "$1" ] && [ "$(now)" -lt $deadline ]; do sleep 0.5; done
}
# check_counters LABEL: every counter against the topics read back with kcat
check_counters() {
	label=$1
	nin=$(count feedback)
	nscored=$(count feedback.scored)
	nalerts=$(count feedback.alerts)
	ndlq=$(count feedback.dlq)
	eq "$label: every input came out (scored + dead letters = inputs)" "$nin" $((nscored + ndlq))
	wait_metric feedsense_messages_consumed_total "$nin" 20 || true
	eq "$label: feedsense_messages_consumed_total = inputs ($nin)" "$nin" "$(metric feedsense_messages_consumed_total)"
	wait_metric feedsense_messages_scored_total "$nscored" 20 || true
	eq "$label: feedsense_messages_scored_total = records on feedback.scored" "$nscored" "$(metric feedsense_messages_scored_total)"
	eq "$label: feedsense_messages_alerted_total = records on feedback.alerts" "$nalerts" "$(metric feedsense_messages_alerted_total)"
	eq "$label: dead letters in all = records on feedback.dlq" "$ndlq" "$(msum 'feedsense_messages_dead_lettered_total{')"
	dlq_classes >"$T/dlq.classes"
	want=""; got=""
	while read -r cls n; do
		want="$want $cls=$n"
		got="$got $cls=$(metric "feedsense_messages_dead_lettered_total{reason=\"$cls\"}")"
	done <"$T/dlq.classes"
	eq "$label: dead letters by reason = feedsense.error.class headers on feedback.dlq" "$want" "$got"
	consume_json feedback.scored | jq -r '.payload | fromjson | .sentiment.label' | sort | uniq -c | awk '{ print $2 "=" $1 }' >"$T/labels.want"
	for l in negative neutral positive; do
		v=$(metric "feedsense_messages_by_label_total{label=\"$l\"}")
		[ "$v" = 0 ] || echo "$l=$v"
	done >"$T/labels.got"
	if cmp -s "$T/labels.want" "$T/labels.got"; then ok "$label: messages by label = labels of the scored events"; else
		bad "$label: messages by label = labels of the scored events" "$(diff "$T/labels.want" "$T/labels.got")"; fi
	eq "$label: processing_seconds_count = consumed" "$nin" "$(metric feedsense_processing_seconds_count)"
	eq "$label: end_to_end_seconds_count = consumed (every input acknowledged)" "$nin" "$(metric feedsense_end_to_end_seconds_count)"
	eq "$label: end_to_end_seconds +Inf bucket = count" "$nin" "$(metric 'feedsense_end_to_end_seconds_bucket{le="+Inf"}')"
	eq "$label: nothing in flight" 0 "$(metric feedsense_inflight_messages)"
	eq "$label: worker queues empty" 0 "$(metric feedsense_queue_depth_messages)"
}

# =============================================================================
if want 1; then
begin 1 "counters equal what was consumed, scored, alerted and dead-lettered"
if start_broker; then
	gen a 300 | produce feedback
	bad_inputs x | produce feedback
	start_run run1 --metrics 127.0.0.1:0
	if metrics_addr "$T/run1.log"; then
		ok "the log names the bound metrics address ($MADDR)"
		n0=$(count feedback)
		wait_all "$n0" 60
		check_counters "first batch"
		eq "the mix dead-letters several kinds" yes "$([ "$(wc -l <"$T/dlq.classes")" -ge 4 ] && echo yes || echo "no: $(cat "$T/dlq.classes")")"
		n=$(metric feedsense_messages_alerted_total)
		eq "the mix raises alerts" yes "$([ "$n" -gt 0 ] 2>/dev/null && echo yes || echo "no: $n")"
		# a second batch during the same run
		gen b 200 | produce feedback
		bad_inputs y | produce feedback
		wait_all $((n0 + 208)) 60
		check_counters "second batch"
		eq "inputs counted: both batches" $((n0 + 208)) "$(metric feedsense_messages_consumed_total)"
		n=$(msum 'feedsense_rule_hits_total{')
		eq "rule hits counted" yes "$([ "$n" -gt 0 ] && echo yes || echo "no: $n")"
		n=$(msum 'feedsense_category_hits_total{')
		eq "category hits counted" yes "$([ "$n" -gt 0 ] && echo yes || echo "no: $n")"
		# gauges and info
		eq "feedsense_ready 1" 1 "$(metric feedsense_ready)"
		eq "feedsense_broker_up 1" 1 "$(metric feedsense_broker_up)"
		eq "feedsense_assigned_partitions = the 4 partitions of feedback" 4 "$(metric feedsense_assigned_partitions)"
		eq "feedsense_build_info" 1 "$(metric "feedsense_build_info{version=\"$("$FS" version 2>/dev/null | awk '{ print $NF; exit }')\"}")"
		lx=$(sed -n 's/.*lexicons \(lx-[0-9a-f]*\) loaded.*/\1/p' "$T/run1.log" | head -n 1)
		eq "feedsense_lexicon_info names the loaded lexicons ($lx)" 1 "$(metric "feedsense_lexicon_info{version=\"$lx\"}")"
		# lag (librdkafka statistics, every 5 s): one series per partition, all caught up
		deadline=$(($(now) + 30))
		while :; do
			scrape
			nlag=$(grep -c '^feedsense_consumer_lag_messages{topic="feedback",partition="[0-3]"} ' "$T/metrics.txt")
			[ "$nlag" = 4 ] && [ "$(msum 'feedsense_consumer_lag_messages{')" = 0 ] && break
			[ "$(now)" -ge $deadline ] && break
			sleep 1
		done
		eq "consumer lag: 4 partitions, all 0" "4 0" "$nlag $(msum 'feedsense_consumer_lag_messages{')"
		deadline=$(($(now) + 20))
		until scrape; [ "$(metric feedsense_commits_total)" != absent ] && [ "$(metric feedsense_commits_total)" -gt 0 ]; do
			[ "$(now)" -ge $deadline ] && break
			sleep 1
		done
		eq "offset commits counted, none failed" "yes 0" \
			"$([ "$(metric feedsense_commits_total)" -gt 0 ] 2>/dev/null && echo yes || echo no) $(metric feedsense_commit_failures_total)"
		eq "no produce failures" 0 "$(metric feedsense_produce_failures_total)"
		# the exposition format: every family has HELP and TYPE before its samples,
		# counters end in _total, every sample line parses
		fmt=$(awk '
			/^# HELP / { help[$3] = 1; next }
			/^# TYPE / { if (!help[$3]) print "TYPE before HELP: " $3; type[$3] = $4;
				     if ($4 == "counter" && $3 !~ /_total$/) print "counter without _total: " $3; next }
			/^#/ { print "stray comment: " $0; next }
			{ if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)$/)
				print "bad sample: " $0
			  name = $1; sub(/\{.*/, "", name); base = name; sub(/_(bucket|sum|count)$/, "", base)
			  if (!type[name] && !(type[base] == "histogram")) print "sample without TYPE: " $0 }' "$T/metrics.txt" | head -5)
		eq "exposition format: HELP/TYPE per family, counters _total, samples parse" "" "$fmt"
		n=$(grep -c '^# TYPE feedsense_' "$T/metrics.txt")
		eq "all 22 feedsense_* families exported" 22 "$n"
		ctype=$(curl -s --max-time 10 -o /dev/null -w '%{content_type}' "http://$MADDR/metrics")
		eq "Content-Type of /metrics" "text/plain; version=0.0.4; charset=utf-8" "$ctype"
		probe /healthz
		eq "/healthz 200" 200 "$CODE"
		probe /readyz
		eq "/readyz 200 while consuming" "200 ok: consuming 4 assigned partition(s)" "$CODE $BODY"
		code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "http://$MADDR/metrics")
		eq "POST /metrics: 405" 405 "$code"
		code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$MADDR/nosuch")
		eq "GET /nosuch: 404" 404 "$code"
	else
		bad "the log names the bound metrics address" "$(tail -5 "$T/run1.log")"
	fi
	stop_run $RUNPID 40
	eq "pipeline exits 0 on SIGTERM" 0 $RC
	code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$MADDR/metrics" 2>/dev/null)
	eq "the endpoint is gone after the exit" 000 "$code"
fi
end
fi

# =============================================================================
if want 2; then
begin 2 "readiness: before the assignment, broker down, broker back"
if start_broker --control; then
	ctl down 1
	start_run run1 --metrics 127.0.0.1:0
	if metrics_addr "$T/run1.log"; then
		sleep 2
		probe /readyz
		eq "/readyz 503 with no broker and no assignment" 503 "$CODE"
		probe /healthz
		eq "/healthz 200 meanwhile (alive, only waiting)" 200 "$CODE"
		ctl up 1
		if wait_probe /readyz 200 60; then ok "/readyz 200 once partitions are assigned ($BODY)"; else
			bad "/readyz 200 once partitions are assigned" "$CODE $BODY"; fi
		gen a 100 | produce feedback
		wait_count feedback.scored 100 60 || true
		eq "scored while ready" 100 "$CNT"
		ctl down 1
		if wait_probe /readyz 503 40; then ok "/readyz 503 when the broker is down"; else
			bad "/readyz 503 when the broker is down" "$CODE $BODY"; fi
		case $BODY in *"no Kafka broker reachable"*) ok "/readyz says why: $BODY" ;; *) bad "/readyz says the broker is unreachable" "$BODY" ;; esac
		scrape
		eq "feedsense_broker_up 0 and feedsense_ready 0 while down" "0 0" "$(metric feedsense_broker_up) $(metric feedsense_ready)"
		probe /healthz
		eq "/healthz stays 200 while the broker is down" 200 "$CODE"
		ctl up 1
		if wait_probe /readyz 200 90; then ok "/readyz 200 again after the broker is back ($BODY)"; else
			bad "/readyz 200 again after the broker is back" "$CODE $BODY"; fi
		scrape
		eq "feedsense_broker_up 1 and feedsense_ready 1 again" "1 1" "$(metric feedsense_broker_up) $(metric feedsense_ready)"
		gen b 50 | produce feedback
		wait_distinct feedback.scored 150 60 || true
		eq "scoring resumed after the outage" 150 "$CNT"
	else
		bad "the log names the bound metrics address" "$(tail -5 "$T/run1.log")"
	fi
	stop_run $RUNPID 40
	eq "pipeline exits 0 on SIGTERM" 0 $RC
fi
end
fi

# =============================================================================
if want 3; then
begin 3 "JSON logs, secrets, a taken port, metrics off"
if start_broker; then
	gen a 50 | produce feedback
	# debug logging with librdkafka's configuration dump: the likeliest leak
	start_run runA --metrics 127.0.0.1:0 --log-format json --log-level debug \
		-X sasl.password=s3cr3t -X ssl.key.password=k3yp4ss -X debug=conf,generic
	A=$RUNPID
	if metrics_addr "$T/runA.log"; then
		wait_count feedback.scored 50 60 || true
		# a second instance asking for the same port: logged, and it runs on without metrics
		start_run runB --metrics "$MADDR" -g other-group
		B=$RUNPID
		wait_log "$T/runB.log" "consuming feedback" 30 || true
		if grep -q "ERROR.*\[metrics\] cannot listen on $MADDR.*running without metrics" "$T/runB.log"; then
			ok "a taken metrics port is logged as an error"; else bad "a taken metrics port is logged as an error" "$(grep metrics "$T/runB.log")"; fi
		wait_count feedback.scored 100 60 || true
		eq "the instance without metrics still scores (its own group: 50 more)" 100 "$CNT"
		stop_run $B 40
		eq "that instance exits 0" 0 $RC
		# metrics off: no endpoint, no error
		start_run runC --metrics off -g third-group
		C=$RUNPID
		wait_count feedback.scored 150 60 || true
		stop_run $C 40
		eq "--metrics off: no endpoint, no error" "0 0 0" \
			"$RC $(grep -c 'listening on' "$T/runC.log") $(grep -c 'ERROR' "$T/runC.log")"
	else
		bad "the log names the bound metrics address" "$(tail -5 "$T/runA.log")"
	fi
	stop_run $A 40
	eq "json-logging instance exits 0" 0 $RC
	if jq -e -s 'length > 10 and all(.[]; (.ts | type) == "string" and (.level | type) == "string"
			and (.module | type) == "string" and (.msg | type) == "string")' "$T/runA.log" >/dev/null 2>"$T/jq.err"; then
		ok "every --log-format json line is a JSON object with ts, level, module, msg"
	else
		bad "every --log-format json line is a JSON object with ts, level, module, msg" "$(cat "$T/jq.err"; head -3 "$T/runA.log")"
	fi
	n=$(jq -r 'select(.module == "summary") | .msg' "$T/runA.log" 2>/dev/null | grep -c '^total: ')
	eq "the summary is logged as JSON too" 1 "$n"
	n=$(jq -r 'select(.msg | test("sasl.password")) | .msg' "$T/runA.log" 2>/dev/null | head -n 1)
	case $n in *sasl.password*) ok "the configuration dump was logged (so the secret had a way out): $n" ;;
		*) bad "the configuration dump was logged" "$(grep -c CONF "$T/runA.log") CONF lines" ;; esac
	eq "no secret in any log" 0 "$(cat "$T"/run*.log | grep -c -e s3cr3t -e k3yp4ss)"
fi
end
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
