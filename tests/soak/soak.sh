#!/bin/sh
# Soak test (`make soak`): the pipeline on the embedded broker at a steady
# load for SOAK_SECONDS (default 600) at SOAK_RATE msg/s (default 5000).
#
# Every 30 s: elapsed time, the pipeline's consumption rate over the
# interval, its resident set (VmRSS) and consumer lag. At the end: the RSS
# after warm-up (SOAK_WARMUP seconds, default 60) and at the end, the growth
# in %, and the message count check. Fails if the RSS grew by 5% or more
# (SOAK_MAX_GROWTH) or if any message is missing: every produced id must be
# in the scored or the dead-letter topic.
#
# RSS is sampled every second; "after warm-up" is the lowest sample of the
# 30 s from SOAK_WARMUP on, "at the end" the lowest of the last 30 s. The
# pipeline holds about 15 MB, and whenever the broker acknowledges late
# (another process taking the CPU) its producer queue holds a few seconds of
# outputs: tens of MB for a while, which single samples or averages would
# count as growth. A leak raises the floor; a burst does not. The highest
# sample and the largest lag of the last 30 s are printed alongside.
. "$(dirname "$0")/../it/lib.sh"

SECS=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-5000}
WARM=${SOAK_WARMUP:-60}
MAXG=${SOAK_MAX_GROWTH:-5}
[ "$WARM" -lt "$SECS" ] || WARM=$((SECS / 2))
for tool in kcat awk timeout; do
	command -v $tool >/dev/null 2>&1 || { echo "soak.sh: $tool is required (make deps)"; exit 1; }
done
[ -x "$FS" ] || { echo "soak.sh: $FS not built"; exit 1; }

rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
lagof() { sed -n 's/.*lag \(-\{0,1\}[0-9]*\),.*/\1/p' "$1" | tail -n 1; }

begin 1 "soak: $RATE msg/s for $SECS s"
TOTAL=$((RATE * SECS))
printf '[pipeline]\nsummary_interval_ms = 1000\n' >"$T/fs.ini"
if start_broker -t feedback:4,feedback.scored:8,feedback.alerts:4,feedback.dlq:4; then
	# the output followers start first: they see every record before the retention drops it
	kcat -C -b "$BK" -t feedback.scored -o beginning -q -u -f '%k\n' >"$T/scored.keys" 2>>"$T/kcat.log" &
	pids="$pids $!"
	kcat -C -b "$BK" -t feedback.dlq -o beginning -q -u -f '%k\n' >"$T/dlq.keys" 2>>"$T/kcat.log" &
	pids="$pids $!"
	start_run run -g soak -c "$T/fs.ini"
	PIPE=$RUNPID
	wait_log "$T/run.log" "assigned [1-9]" 30 || bad "pipeline got partitions" "$(tail -5 "$T/run.log")"
	# the load: unique ids s0..s(TOTAL-1), texts cycling as in the other suites,
	# one in 500 a bad message (dead-lettered)
	awk -v n=$TOTAL 'BEGIN {
		t[0] = "order %s arrived on time"; t[1] = "Absolutely love the new app, works great (%s)"
		t[2] = "Terrible service, I hate this company and the refund never came %s"
		t[3] = "I want to cancel my subscription, this is the third time %s"
		t[4] = "I have been on hold for two hours and still no refund %s"
		for (i = 0; i < n; i++) {
			if (i % 500 == 499) { printf "{\"id\":\"s%d\",\"text\":%d}\n", i, i; continue }
			printf "{\"id\":\"s%d\",\"text\":\"" t[i % 5] "\"}\n", i, i
		}
	}' | "$FS" produce -b "$BK" -k id -r "$RATE" feedback >/dev/null 2>"$T/produce.log" &
	FEEDPID=$!
	pids="$pids $FEEDPID"
	t0=$(now); next=30; last_c=0; last_t=$t0
	: >"$T/rss.samples"
	while [ $(($(now) - t0)) -lt "$SECS" ]; do
		sleep 1
		el=$(($(now) - t0))
		if ! kill -0 $PIPE 2>/dev/null; then bad "pipeline running for $SECS s" "exited after $el s"; break; fi
		echo "$el $(rss $PIPE) $(lagof "$T/run.log")" >>"$T/rss.samples"
		if [ $el -ge $next ]; then
			c=$(consumed "$T/run.log"); c=${c:-0}
			tn=$(now)
			printf '    %4d s | %6d msg/s | RSS %6.1f MB | lag %s\n' $el $(((c - last_c) / (tn - last_t))) \
				"$(awk -v k="$(rss $PIPE)" 'BEGIN { print k / 1024 }')" "$(lagof "$T/run.log")"
			last_c=$c; last_t=$tn; next=$((next + 30))
		fi
	done
	# the floors of the window after warm-up and of the last 30 s
	floor() { awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && (m == "" || $2 < m) { m = $2 } END { print m }' "$T/rss.samples"; }
	rss_warm=$(floor "$WARM" $((WARM + 30)))
	rss_end=$(floor $((SECS - 30)) $((SECS + 1)))
	lag_end=$(awk -v a=$((SECS - 30)) '$1 >= a && $3 > m { m = $3 } END { print m + 0 }' "$T/rss.samples")
	rss_max=$(awk '$2 > m { m = $2 } END { print m }' "$T/rss.samples")
	wait_exit $FEEDPID 60
	eq "the load producer delivered all $TOTAL messages" 0 $RC
	# drain: until the followers saw every id, bounded
	deadline=$(($(now) + 90))
	while [ "$(now)" -lt $deadline ]; do
		n=$(cat "$T/scored.keys" "$T/dlq.keys" | sort -u | wc -l | tr -d ' ')
		[ "$n" -ge $TOTAL ] && break
		sleep 2
	done
	stop_run $PIPE 60
	eq "pipeline exits 0 on SIGTERM" 0 $RC
	sleep 1
	scored=$(wc -l <"$T/scored.keys" | tr -d ' ')
	dlq=$(wc -l <"$T/dlq.keys" | tr -d ' ')
	distinct=$(cat "$T/scored.keys" "$T/dlq.keys" | sort -u | wc -l | tr -d ' ')
	echo "    in $TOTAL, scored $scored, dlq $dlq, distinct ids $distinct ($(($scored + $dlq - $distinct)) duplicates)"
	eq "count in == scored + dlq distinct ids" "$TOTAL" "$distinct"
	eq "bad messages dead-lettered" "$((TOTAL / 500))" "$dlq"
	growth=$(awk -v a="$rss_warm" -v b="$rss_end" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
	printf '    RSS (floors) after %d s warm-up %.1f MB, over the last 30 s %.1f MB: growth %s%% (highest sample %.1f MB; largest lag in the last 30 s %s)\n' \
		"$WARM" "$(awk -v k="$rss_warm" 'BEGIN { print k / 1024 }')" "$(awk -v k="$rss_end" 'BEGIN { print k / 1024 }')" \
		"$growth" "$(awk -v k="$rss_max" 'BEGIN { print k / 1024 }')" "$lag_end"
	if awk -v g="$growth" -v m="$MAXG" 'BEGIN { exit !(g < m) }'; then ok "RSS growth under $MAXG% ($growth%)"; else
		bad "RSS growth under $MAXG%" "$growth%"; fi
	grep "total:" "$T/run.log" | sed 's/.*total: /    total: /'
fi
end
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
