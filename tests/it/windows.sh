#!/bin/sh
# Integration tests of `feedsense windows`, the sliding-window spike alerter:
# the real binary ($FEEDSENSE_BIN, default bin/feedsense) against the embedded
# broker, with kcat producing scored events (feedsense.scored.v1 with
# synthetic event times in meta.timestamp) straight into the scored topic and
# reading the alerts back.
#
#   1  one spike and one recovery on the right key; SIGKILL mid-incident and
#      restart: the spike is not repeated, the recovery still comes (same
#      incident id); SIGTERM exits 0
#   2  --from-file: the same events replayed offline give the same alerts
#   3  `feedsense run` on input carrying `timestamp`, then windows on its output
#   4  configuration errors
#   5  a live stream in bursts on one partition of eight (seven stay empty)
#   7  idle partitions: bursts spread over four partitions of a topic that
#      was empty at start lose no event as late; and a partition that had one
#      event long ago does not hold the windows back while another partition
#      streams: the spike is announced while the stream still flows
#   6  --metrics: /readyz 503 while the broker is down at start, 200 once the
#      partitions are assigned and read; the feedsense_windows_* counters
#      equal what was written to the scored topic and what the alerts topic
#      holds (kcat), during the stream and after it; undecodable and late
#      events; incidents restored after a restart; /healthz
#   8  live event times, then silence: with windows.idle_close the recovery
#      is published without a later event; with it off, only the spike
#
# The windows: 60 s in 10 s steps, 20 s lateness, >= 5 negatives and share
# >= 0.5, baseline of 2 windows with factor 2, recovery under 0.2. The
# events: channel "web" one a second from 2026-01-01T00:00:00Z, calm (every
# tenth negative) for 120 s, all negative for 120 s, calm until 480 s; channel
# "app" one every 2 s, calm throughout, with category "billing". Worked out by
# hand (as in tests/unit/test_window.c): the spike is the window
# [00:01:30, 00:02:30) with 33 of 60 negative, the recovery the window
# [00:04:00, 00:05:00) with 6 of 60.
#
# Every wait is bounded; FEEDSENSE_TEST_ONLY="1 2" runs a subset.
. "$(dirname "$0")/lib.sh"

for tool in kcat jq curl timeout; do
	command -v $tool >/dev/null 2>&1 || { echo "windows.sh: $tool is required (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$FS" ] || { echo "windows.sh: $FS not built"; echo "0 passed, 1 failed"; exit 1; }

export FEEDSENSE_WINDOWS_LENGTH=60 FEEDSENSE_WINDOWS_STEP=10 FEEDSENSE_WINDOWS_LATENESS=20 \
	FEEDSENSE_WINDOWS_MIN_COUNT=5 FEEDSENSE_WINDOWS_MIN_SHARE=0.5 FEEDSENSE_WINDOWS_BASELINE_WINDOWS=2 \
	FEEDSENSE_WINDOWS_BASELINE_FACTOR=2 FEEDSENSE_WINDOWS_RECOVERY_SHARE=0.2 FEEDSENSE_WINDOWS_COOLDOWN=300 \
	FEEDSENSE_WINDOWS_KEYS=category,channel FEEDSENSE_PIPELINE_SUMMARY_INTERVAL_MS=1000 \
	FEEDSENSE_WINDOWS_METRICS_LISTEN=127.0.0.1:0 # a free port: no clash with another suite
BASE=1767225600 # 2026-01-01T00:00:00Z

# scored FROM TO: KEY<TAB>scored event for the event seconds [FROM, TO) (see the header)
scored() {
	awk -v base=$BASE -v from="$1" -v to="$2" 'BEGIN {
		for (t = from; t < to; t++) {
			neg = (t >= 120 && t < 240) || t % 10 == 0
			printf "w%d\t{\"schema\":\"feedsense.scored.v1\",\"id\":\"w%d\",\"text\":\"x\",\"sentiment\":{\"label\":\"%s\",\"compound\":0},\"categories\":[],\"meta\":{\"timestamp\":\"%s\",\"channel\":\"web\"}}\n", t, t, neg ? "negative" : "positive", strftime("%Y-%m-%dT%H:%M:%SZ", base + t, 1)
			if (t % 2 == 0) {
				lab = t % 20 == 0 ? "negative" : "positive"
				printf "a%d\t{\"schema\":\"feedsense.scored.v1\",\"id\":\"a%d\",\"text\":\"x\",\"sentiment\":{\"label\":\"%s\",\"compound\":0},\"categories\":[{\"name\":\"billing\",\"sentiment\":{\"label\":\"%s\",\"compound\":0}}],\"meta\":{\"timestamp\":%d,\"channel\":\"app\"}}\n", t, t, lab, lab, base + t
			}
		}
	}'
}

# start_windows NAME [options]: `feedsense windows` in the background; sets WPID
start_windows() {
	name=$1; shift
	"$FS" windows -b "$BK" "$@" </dev/null >"$T/$name.out" 2>"$T/$name.log" &
	WPID=$!
	pids="$pids $WPID"
	WATCH=$WPID
}
# oproduce TOPIC [kcat options]: produce with an idempotent producer. Event
# time order matters here: a plain producer that retries a failed batch may
# append it after the later ones (seen on real Kafka, when the first batch
# to a topic just created failed: the first events of every partition landed
# at its end, late by 200 s); an idempotent one keeps each partition in order.
oproduce() { produce "$@" -X enable.idempotence=true; }
# walerts [TOPIC]: the window alerts in the alerts topic (or TOPIC), one TSV
# line each: key, type, window end (s after BASE), negative/total, incident id
walerts() {
	consume_json "${1:-feedback.alerts}" | jq -r --argjson base $BASE 'select(.headers != null)
		| select([range(0; .headers | length; 2) as $i | select(.headers[$i] == "feedsense.alert.kind" and .headers[$i + 1] == "window")] | length > 0)
		| .payload | fromjson as $a | $a
		| [.key.kind + ":" + .key.value, .type, (.window.end_ms / 1000 - $base | tostring),
		   "\(.counts.negative)/\(.counts.total)", .incident_id] | @tsv' 2>>"$T/jq.log"
}
# wait_walerts N SECONDS [TOPIC]: until the alerts topic (or TOPIC) holds N
# window alerts; sets CNT
wait_walerts() {
	deadline=$(($(now) + $2))
	while :; do
		CNT=$(walerts "${3:-}" | wc -l | tr -d ' ')
		[ "$CNT" -ge "$1" ] && return 0
		[ "$(now)" -ge $deadline ] && return 1
		sleep 0.5
	done
}

# =============================================================================
if want 1; then
begin 1 "spike and recovery, SIGKILL mid-incident, restart"
if start_broker; then
	scored 0 200 | oproduce feedback.scored
	start_windows w1
	if wait_walerts 1 60; then ok "a spike published"; else bad "a spike published (got $CNT)"; fi
	walerts >"$T/a1.tsv"
	eq "the spike: channel web, window ending at 150 s, 33 of 60 negative" \
		"channel:web	spike	150	33/60" "$(cut -f 1-4 "$T/a1.tsv")"
	consume_json feedback.alerts | jq -r '.key' >"$T/keys1.txt"
	eq "Kafka key of the alert is the window key" "channel:web" "$(cat "$T/keys1.txt")"
	n=$(consume_json feedback.alerts | jq -r '.payload | fromjson | [.schema, (.window.start | test("^2026-01-01T00:01:30")), (.examples | length), (.baseline_share | type), (.thresholds.fired | join(","))] | @tsv')
	eq "alert fields: schema, RFC 3339 start, 5 examples, baseline, thresholds fired" \
		"feedsense.alert.v1	true	5	number	min_count,min_share,baseline_factor" "$n"
	# the incident is open (no recovery yet): kill without warning
	kill -KILL $WPID 2>/dev/null
	wait_exit $WPID 10
	start_windows w2
	if wait_log "$T/w2.log" "restored 1 window alert" 30; then ok "restart restored the published spike"; else
		bad "restart restored the published spike" "$(tail -5 "$T/w2.log")"; fi
	scored 200 480 | oproduce feedback.scored
	if wait_walerts 2 60; then ok "a recovery published after the restart"; else bad "a recovery published after the restart (got $CNT)"; fi
	# every event read again (480 web, 240 app), then a little longer for stray alerts
	wait_log "$T/w2.log" "consumed 720," 60 || bad "windows read all 720 events" "$(tail -3 "$T/w2.log")"
	sleep 2
	walerts >"$T/a2.tsv"
	eq "exactly one spike and one recovery, on channel web" "channel:web	spike	150	33/60
channel:web	recovery	300	6/60" "$(cut -f 1-4 "$T/a2.tsv")"
	eq "the recovery closes the spike's incident" 1 "$(cut -f 5 "$T/a2.tsv" | sort -u | wc -l | tr -d ' ')"
	n=$(sed -n 's/.*late \([0-9]*\),.*/\1/p' "$T/w2.log" | tail -n 1)
	eq "no event late (partitions read in step)" 0 "$n"
	n=$(timeout 30 "$FS" watch -b "$BK" -n 2 -t 10 feedback.alerts 2>>"$T/watch.log" | awk '{ print $1, $4, $5 }')
	eq "feedsense watch shows the window alerts" "spike channel:web 33/60
recovery channel:web 6/60" "$n"
	stop_run $WPID 30
	eq "windows exits 0 on SIGTERM" 0 $RC
	check "a summary line" grep -q "windows: consumed" "$T/w2.log"
fi
end
fi

# =============================================================================
if want 2; then
begin 2 "--from-file replay"
scored 0 480 | cut -f 2 >"$T/scored.ndjson"
"$FS" windows --from-file "$T/scored.ndjson" >"$T/replay.out" 2>"$T/replay.log"
eq "replay exits 0" 0 $?
n=$(jq -r --argjson base $BASE '[.key.kind + ":" + .key.value, .type, (.window.end_ms / 1000 - $base | tostring), "\(.counts.negative)/\(.counts.total)"] | @tsv' "$T/replay.out")
eq "replay: the same spike and recovery" "channel:web	spike	150	33/60
channel:web	recovery	300	6/60" "$n"
n=$(cut -f 2 "$T/scored.ndjson" | "$FS" windows --from-file - 2>/dev/null | wc -l | tr -d ' ')
eq "replay from stdin" 2 "$n"
printf '{"schema":"other"}\nnot json\n' | "$FS" windows --from-file - >/dev/null 2>"$T/bad.log"
eq "unreadable lines are skipped, not fatal" 0 $?
check "and reported" grep -q "skipped an event" "$T/bad.log"
end
fi

# =============================================================================
if want 3; then
begin 3 "feedsense run output, event time from the input's timestamp"
if start_broker; then
	# the surge of test 1 as raw feedback on channel web: negative and calm texts
	awk -v base=$BASE 'BEGIN {
		for (t = 0; t < 480; t++) {
			neg = (t >= 120 && t < 240) || t % 10 == 0
			txt = neg ? "Terrible service, I hate this, awful and useless" : "Great service, I love it, thanks"
			printf "f%d\t{\"id\":\"f%d\",\"text\":\"%s\",\"channel\":\"web\",\"timestamp\":\"%s\"}\n", t, t, txt, strftime("%Y-%m-%dT%H:%M:%SZ", base + t, 1)
		}
	}' | oproduce feedback
	start_run run1 -X session.timeout.ms=6000
	wait_count feedback.scored 480 90 || bad "480 events scored" "$CNT"
	stop_run $RUNPID 40
	n=$(consume feedback.scored -f '%s\n' | jq -r 'select(.id == "f130") | .sentiment.label + " " + .meta.timestamp')
	eq "the texts score as intended and carry their timestamp" "negative 2026-01-01T00:02:10Z" "$n"
	export FEEDSENSE_WINDOWS_KEYS=channel # the texts match categories too
	start_windows w3
	wait_walerts 2 60 || true
	wait_log "$T/w3.log" "consumed 480," 60 || true
	stop_run $WPID 30
	export FEEDSENSE_WINDOWS_KEYS=category,channel
	eq "windows exits 0" 0 $RC
	eq "spike and recovery from the pipeline's output" "channel:web	spike	150	33/60
channel:web	recovery	300	6/60" "$(walerts | cut -f 1-4)"
fi
end
fi

# =============================================================================
if want 4; then
begin 4 "configuration errors"
out=$(FEEDSENSE_WINDOWS_LENGTH=65 "$FS" windows -b 127.0.0.1:1 2>&1)
eq "length not a multiple of step: exit 1" 1 $?
check "names the settings" sh -c 'printf "%s" "$1" | grep -q "windows.length: 65 is not a multiple of windows.step (10)"' sh "$out"
out=$(FEEDSENSE_WINDOWS_KEYS=category,chanel "$FS" check-config 2>&1)
eq "unknown key kind: check-config exits 1" 1 $?
check "names the item" sh -c 'printf "%s" "$1" | grep -q "windows.keys: unknown key kind \"chanel\""' sh "$out"
out=$("$FS" windows 2>&1)
eq "no brokers: exit 2" 2 $?
check "says so" sh -c 'printf "%s" "$1" | grep -q "kafka.brokers is required"' sh "$out"
check "help" sh -c '"$1" windows --help | grep -q -- "--from-file"' sh "$FS"
end
fi

# =============================================================================
if want 5; then
begin 5 "live bursts on one partition of eight"
if start_broker --topics feedback.scored:8,feedback.alerts:2; then
	start_windows w5
	wait_log "$T/w5.log" "reading 8 partition" 30 || bad "windows started" "$(tail -3 "$T/w5.log")"
	for from in 0 120 240 360; do
		scored $from $((from + 120)) | sed 's/^[^	]*	/k	/' | oproduce feedback.scored
		sleep 1
	done
	wait_walerts 2 60 || true
	wait_log "$T/w5.log" "consumed 720," 60 || bad "windows read all 720 events" "$(tail -3 "$T/w5.log")"
	stop_run $WPID 30
	eq "windows exits 0" 0 $RC
	eq "spike and recovery" "channel:web	spike	150	33/60
channel:web	recovery	300	6/60" "$(walerts | cut -f 1-4)"
	n=$(sed -n 's/.*late \([0-9]*\),.*/\1/p' "$T/w5.log" | tail -n 1)
	eq "no event late" 0 "$n"
fi
end
fi

# =============================================================================
if want 6; then
begin 6 "metrics and probes"
# wcounts: "SPIKES RECOVERIES" among the window alerts in the alerts topic
wcounts() { walerts | awk -F '\t' '$2 == "spike" { s++ } $2 == "recovery" { r++ } END { print s + 0, r + 0 }'; }
# check_wmetrics LABEL BAD LATE OPEN NEWEST: the counters against the topics read back with kcat
check_wmetrics() {
	nscored=$(count feedback.scored)
	wait_metric feedsense_windows_events_total "$nscored" 30 || true
	eq "$1: feedsense_windows_events_total = records on feedback.scored ($nscored)" "$nscored" \
		"$(metric feedsense_windows_events_total)"
	set -- "$@" $(wcounts)
	wait_metric 'feedsense_windows_alerts_total{kind="recovery"}' "$7" 20 || true
	eq "$1: alerts by kind = spikes and recoveries on feedback.alerts ($6 open, $7 recovery)" "$6 $7" \
		"$(metric 'feedsense_windows_alerts_total{kind="open"}') $(metric 'feedsense_windows_alerts_total{kind="recovery"}')"
	eq "$1: undecodable, late, failed" "$2 $3 0" \
		"$(metric feedsense_windows_events_bad_total) $(metric feedsense_windows_events_late_total) $(metric feedsense_windows_alerts_failed_total)"
	eq "$1: open incidents, keys tracked (category:billing, channel:web, channel:app)" "$4 3" \
		"$(metric feedsense_windows_open_incidents) $(metric feedsense_windows_tracked_keys)"
	eq "$1: newest event time" "$5" "$(metric feedsense_windows_newest_event_time_seconds)"
}
if start_broker --control; then
	# windows gives up when it gets no metadata for 10 s at start: the node
	# must be back well before that, which a real Kafka node is not
	down=no
	if [ "$BROKER" = mock ]; then ctl down 1 && down=yes; else echo "skip - the broker down at start (real Kafka restarts too slowly)"; fi
	start_windows w6 --metrics 127.0.0.1:0
	if metrics_addr "$T/w6.log"; then
		ok "the log names the bound metrics address ($MADDR)"
		if [ $down = yes ]; then
			probe /readyz
			eq "/readyz 503 while the broker is down at start" 503 "$CODE"
			case $BODY in *"restoring incidents"* | *"waiting for the scored"*) ok "/readyz says why: $BODY" ;;
				*) bad "/readyz says it is still starting" "$BODY" ;; esac
			probe /healthz
			eq "/healthz 200 meanwhile" 200 "$CODE"
			ctl up 1
		fi
		if wait_probe /readyz 200 60; then ok "/readyz 200 once assigned and rebuilt ($BODY)"; else
			bad "/readyz 200 once assigned and rebuilt" "$CODE $BODY"; fi
		scrape
		eq "feedsense_windows_ready 1, feedsense_windows_broker_up 1" "1 1" \
			"$(metric feedsense_windows_ready) $(metric feedsense_windows_broker_up)"
		eq "feedsense_build_info" 1 "$(metric "feedsense_build_info{version=\"$("$FS" version 2>/dev/null | awk '{ print $NF; exit }')\"}")"
		# during: the surge, the incident open
		# one partition (one Kafka key): the stream arrives in event-time order
		scored 0 200 | sed 's/^[^	]*	/k	/' | oproduce feedback.scored
		wait_walerts 1 60 || bad "a spike published" "$CNT"
		wait_log "$T/w6.log" "consumed 300," 60 || true
		check_wmetrics "during the stream" 0 0 1 $((BASE + 199))
		# after: the rest, two undecodable events, then one event behind the watermark
		scored 200 480 | sed 's/^[^	]*	/k	/' | oproduce feedback.scored
		printf 'b1\t{"schema":"other"}\nb2\tnot json\n' | oproduce feedback.scored
		wait_walerts 2 60 || bad "a recovery published" "$CNT"
		wait_log "$T/w6.log" "consumed 722," 60 || bad "windows read all 722 events" "$(tail -3 "$T/w6.log")"
		sleep 2 # every partition idle: the frontier is the newest event
		scored 100 101 | head -n 1 | sed 's/^[^	]*	/k	/' | oproduce feedback.scored
		wait_log "$T/w6.log" "consumed 723," 30 || true
		check_wmetrics "after the stream" 2 1 0 $((BASE + 479))
		n=$(grep -c "behind the watermark" "$T/w6.log")
		eq "the late event logged once, with its event time" "1 1" \
			"$n $(grep "behind the watermark" "$T/w6.log" | grep -c "event time 2026-01-01T00:01:40.000Z")"
		eq "no incident restored at the first start" 0 "$(metric feedsense_windows_incidents_restored_total)"
		fmt=$(awk '/^# TYPE / { if ($4 == "counter" && $3 !~ /_total$/) print "counter without _total: " $3; next }
			/^#/ { next } { if ($1 !~ /^feedsense_(windows_|build_info)/) print "not feedsense_windows_: " $1 }' "$T/metrics.txt")
		eq "every family feedsense_windows_* (or build_info), counters end in _total" "" "$fmt"
		stop_run $WPID 30
		eq "windows exits 0 on SIGTERM" 0 $RC
		# a restart: the published alerts restore their incidents
		start_windows w6b --metrics 127.0.0.1:0
		if metrics_addr "$T/w6b.log" && wait_probe /readyz 200 60; then
			n=$(sed -n 's/.*restored \([0-9]*\) window alert.*/\1/p' "$T/w6b.log" | head -n 1)
			scrape
			eq "after a restart: feedsense_windows_incidents_restored_total = alerts restored ($n), both published" \
				"2 2" "$n $(metric feedsense_windows_incidents_restored_total)"
			eq "after a restart: nothing published again" "0 0" \
				"$(metric 'feedsense_windows_alerts_total{kind="open"}') $(metric 'feedsense_windows_alerts_total{kind="recovery"}')"
		else
			bad "the restarted windows serves /readyz 200" "$(tail -3 "$T/w6b.log")"
		fi
		stop_run $WPID 30
		eq "the restarted windows exits 0" 0 $RC
		code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$MADDR/metrics" 2>/dev/null)
		eq "the endpoint is gone after the exit" 000 "$code"
	else
		bad "the log names the bound metrics address" "$(tail -5 "$T/w6.log")"
	fi
	# metrics off: no endpoint, no error
	start_windows w6c --metrics off
	wait_log "$T/w6c.log" "reading 4 partition" 30 || true
	stop_run $WPID 30
	eq "--metrics off: exit 0, no endpoint, no error" "0 0 0" \
		"$RC $(grep -c 'listening on' "$T/w6c.log") $(grep -c 'ERROR' "$T/w6c.log")"
fi
end
fi

# =============================================================================
if want 7; then
begin 7 "idle partitions: spread bursts, a long-quiet partition"
if start_broker --topics feedback.scored:4,feedback.alerts:2; then
	start_windows w7
	wait_log "$T/w7.log" "reading 4 partition" 30 || bad "windows started" "$(tail -3 "$T/w7.log")"
	# (a) every partition empty at start, then bursts keyed by id: all four partitions at once
	for from in 0 120 240 360; do
		scored $from $((from + 120)) | oproduce feedback.scored
		sleep 1
	done
	wait_walerts 2 60 || true
	wait_log "$T/w7.log" "consumed 720," 60 || bad "windows read all 720 events" "$(tail -3 "$T/w7.log")"
	eq "spread bursts: spike and recovery" "channel:web	spike	150	33/60
channel:web	recovery	300	6/60" "$(walerts | grep '^channel:web' | cut -f 1-4)"
	n=$(sed -n 's/.*late \([0-9]*\),.*/\1/p' "$T/w7.log" | tail -n 1)
	eq "spread bursts: no event late" 0 "$n"
	stop_run $WPID 30
	eq "windows exits 0" 0 $RC
fi
end
begin 7 "a partition quiet since its one event does not hold the windows back"
if start_broker --topics feedback.scored:4,feedback.alerts:2; then
	start_windows w7b
	wait_log "$T/w7b.log" "reading 4 partition" 30 || bad "windows started" "$(tail -3 "$T/w7b.log")"
	# one event at second 0 on partition 3, then nothing more there
	scored 0 1 | head -n 1 | oproduce feedback.scored -p 3
	# partition 0 streams 20 s of event time every 0.3 s: seconds 0..1200 (the spike at 120..240)
	(for from in $(seq 0 20 1180); do scored $from $((from + 20)) | oproduce feedback.scored -p 0; sleep 0.3; done) &
	TRICKLE=$!
	pids="$pids $TRICKLE"
	if wait_walerts 1 30; then
		if kill -0 $TRICKLE 2>/dev/null; then
			ok "the spike is announced while partition 0 still streams ($(walerts | head -n 1 | cut -f 1-4 | tr '\t' ' '))"
		else
			bad "the spike is announced while partition 0 still streams" "only after the stream ended: the quiet partition held the windows back"
		fi
	else
		bad "the spike is announced" "no window alert within 30 s"
	fi
	wait_exit $TRICKLE 60
	stop_run $WPID 30
	eq "windows exits 0" 0 $RC
	eq "spike and recovery on channel web" "channel:web	spike	150	33/60
channel:web	recovery	300	6/60" "$(walerts | grep '^channel:web' | cut -f 1-4)"
fi
end
fi

# =============================================================================
if want 8; then
# live event times (from 330-389 s ago for 240 s): the spike's window is over
# and the recovery's [240, 300) ended 30 s ago or more, but no later event
# comes to close it
begin 8 "a silence: windows.idle_close publishes the recovery; off, it waits"
if start_broker --topics feedback.scored,feedback.alerts,feedback.alerts2; then
	base0=$BASE
	BASE=$((($(now) - 330) / 60 * 60)) # windows end on multiples of 10 s: keep the hand-worked ends
	scored 0 240 | oproduce feedback.scored
	start_windows w8a
	wait_log "$T/w8a.log" "consumed 360," 30 || bad "windows read all 360 events" "$(tail -3 "$T/w8a.log")"
	wait_walerts 1 30 || true
	sleep 8 # silence
	eq "idle_close off: the spike, then nothing while the stream is silent" "channel:web	spike" \
		"$(walerts | cut -f 1-2)"
	stop_run $WPID 30
	eq "windows exits 0" 0 $RC
	# the same events read by a fresh instance with idle_close, alerting to a topic of its own
	t0=$(now)
	FEEDSENSE_WINDOWS_IDLE_CLOSE=3 FEEDSENSE_WINDOWS_OUTPUT=feedback.alerts2 start_windows w8b
	wait_walerts 2 40 feedback.alerts2 || true
	eq "idle_close 3: the spike and, in the silence, its recovery (window ending at 300 s)" "channel:web	spike	150
channel:web	recovery	300" "$(walerts feedback.alerts2 | cut -f 1-3)"
	waited=$(($(now) - t0))
	if [ $waited -le 30 ]; then ok "the recovery came ${waited} s after the start, with no later event"; else
		bad "the recovery came within 30 s" "after $waited s"; fi
	stop_run $WPID 30
	eq "windows exits 0" 0 $RC
	BASE=$base0
fi
end
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
