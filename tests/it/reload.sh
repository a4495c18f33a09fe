#!/bin/sh
# Integration tests of live reload in `feedsense run`: the real binary against
# the embedded broker, scoring with a private copy of the lexicons that the
# tests edit while messages stream through.
#
#   1  SIGHUP under load: 20,000 messages fed at a steady rate over 20 s, a
#      word's valence changed and SIGHUP sent mid-stream; 1,000 more sent once
#      the reload is logged. Every id scored exactly once; the old version
#      scored the start of the stream and the new one everything sent after
#      the reload; per partition the version switches once, old then new; the
#      changed word carries its new valence under the new version. Then a
#      broken file and SIGHUP: the log names file:line, the version stays and
#      scoring goes on.
#   2  --watch: a file rewritten the way editors do (new file renamed over
#      the old) is reloaded without a signal; a broken write is rejected.
#
# Every wait is bounded; every process started here is ended at exit; the
# logs of a failing test are printed. FEEDSENSE_TEST_ONLY="2" runs a subset.
# Needs kcat and jq (Makefile DEB_PKGS).
. "$(dirname "$0")/lib.sh"

for tool in kcat jq timeout; do
	command -v $tool >/dev/null 2>&1 || { echo "reload.sh: $tool is required (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$FS" ] || { echo "reload.sh: $FS not built"; echo "0 passed, 1 failed"; exit 1; }

WORD=great # in one of gen's texts ("works great"), 3.1 in lexicons/sentiment.tsv

# lexcopy DIR: a private copy of the lexicons; sets LEX (used by start_run)
lexcopy() {
	mkdir -p "$1"
	cp "$LEX0"/*.tsv "$LEX0"/*.conf "$1"/
	LEX=$1
}
LEX0=$LEX
# valence FILE: the valence of $WORD in a sentiment file
valence() { awk -F '\t' -v w=$WORD '$1 == w { print $2 }' "$1"; }
# set_valence FILE VALUE: rewrite the file with $WORD at VALUE, by rename
set_valence() {
	awk -F '\t' -v OFS='\t' -v w=$WORD -v v="$2" '$1 == w { $2 = v } { print }' "$1" >"$1.new" && mv "$1.new" "$1"
}
# loaded_version LOG: the version the pipeline started with
loaded_version() { sed -n 's/.*lexicons \(lx-[0-9a-f]*\) loaded.*/\1/p' "$1" | head -n 1; }
# events TOPIC: id, version, partition, offset and the valence of $WORD (or -), one TSV line per event
events() {
	consume_json "$1" | jq -r --arg w $WORD '.payload | fromjson | [.id, .engine.version, .source.partition,
		.source.offset, ([.explain[] | select(.term == $w) | .valence] | first // "-")] | @tsv'
}

# =============================================================================
if want 1; then
begin 1 "SIGHUP under load"
lexcopy "$T/lex"
old_val=$(valence "$LEX/sentiment.tsv")
if [ -z "$old_val" ]; then
	bad "the lexicons define '$WORD'" "$LEX0/sentiment.tsv"
elif start_broker; then
	N=20000
	gen r $N | cut -f 2 >"$T/in.ndjson"
	start_run run1 --metrics 127.0.0.1:0
	wait_log "$T/run1.log" "assigned" 60 || bad "pipeline assigned partitions" "$(tail -5 "$T/run1.log")"
	v1=$(loaded_version "$T/run1.log")
	maddr=$(sed -n 's|.*listening on http://\([^/]*\)/metrics.*|\1|p' "$T/run1.log" | head -n 1)
	feed "$T/in.ndjson" 1000 # 20 s of input
	t_feed=$(now)
	wait_count feedback.scored 2000 60 || bad "2,000 scored before the reload" "$CNT"
	new_val=-2.7
	set_valence "$LEX/sentiment.tsv" $new_val
	t_hup=$(now)
	kill -HUP $RUNPID
	if wait_log "$T/run1.log" "\[reload\] $v1 -> lx-[0-9a-f]* ([0-9]* terms, [0-9]* rules, [0-9]* categories; SIGHUP; loaded in [0-9]* ms)" 30; then
		ok "SIGHUP: reload logged with old and new version, the counts and the load time"
	else
		bad "SIGHUP: reload logged" "$(grep reload "$T/run1.log" | tail -5)"
	fi
	# how far the stream had got when the reload was logged: the pipeline's own
	# count (a reader of the scored topic under constant writes would only end
	# when the writes stop)
	consumed_at_reload=$(curl -s -m 5 "http://$maddr/metrics" 2>>"$T/curl.log" |
		awk '$1 == "feedsense_messages_consumed_total" { print $2 }')
	t_rel=$(now)
	v2=$(sed -n "s/.*\[reload\] $v1 -> \(lx-[0-9a-f]*\) .*/\1/p" "$T/run1.log" | head -n 1)
	# sent after the reload was logged: all of them must be scored by the new set
	gen t 1000 | produce feedback
	wait_exit $FEEDPID 90
	eq "the feed ran to its end" 0 $RC
	wait_count feedback.scored $((N + 1000)) 120 || bad "all $((N + 1000)) scored" "$CNT"
	if [ "${consumed_at_reload:-$N}" -lt $N ]; then
		ok "the reload happened mid-stream ($consumed_at_reload of $N consumed)"
	else
		bad "the reload happened mid-stream" "${consumed_at_reload:-?} of $N consumed when the reload was logged; feed started at +0 s, SIGHUP at +$((t_hup - t_feed)) s, logged by +$((t_rel - t_feed)) s: $(grep '\[reload\]' "$T/run1.log" | head -n 1)"
	fi

	# a broken file: rejected with file:line, the version stays, scoring goes on
	printf '%s\tbroken\n' "$WORD" >>"$LEX/sentiment.tsv"
	badline=$(wc -l <"$LEX/sentiment.tsv" | tr -d ' ')
	kill -HUP $RUNPID
	if wait_log "$T/run1.log" "ERROR \[reload\] rejected (SIGHUP): $LEX/sentiment.tsv:$badline: .*still running $v2" 30; then
		ok "a broken file is rejected, the log names $(basename "$LEX")/sentiment.tsv:$badline and the running version"
	else
		bad "a broken file is rejected with file:line" "$(grep reload "$T/run1.log" | tail -5)"
	fi
	gen s 1000 | produce feedback
	wait_count feedback.scored $((N + 2000)) 60 || bad "scoring goes on after a rejected reload" "$CNT"
	# /metrics follows within a second (the pipeline refreshes the lexicon
	# series once a second): the set in use, one reload done and one rejected
	MADDR=$maddr
	wait_metric 'feedsense_reloads_total{result="failed"}' 1 10 || true
	eq "/metrics: lexicon_info names the reloaded set, reloads ok/failed counted" \
		"feedsense_lexicon_info{version=\"$v2\"} 1 feedsense_reloads_total{result=\"ok\"} 1 feedsense_reloads_total{result=\"failed\"} 1" \
		"$(grep -E '^feedsense_(lexicon_info|reloads_total\{result="(ok|failed)")' "$T/metrics.txt" | tr '\n' ' ' | sed 's/ $//')"
	stop_run $RUNPID 60
	eq "pipeline exits 0 on SIGTERM" 0 $RC

	events feedback.scored >"$T/ev.tsv"
	# every id exactly once: the sorted ids equal the sorted inputs, duplicates included
	{ seq_ids r $N; seq_ids t 1000; seq_ids s 1000; } | sort >"$T/want.ids"
	cut -f 1 "$T/ev.tsv" | sort >"$T/got.ids"
	if cmp -s "$T/want.ids" "$T/got.ids"; then ok "every one of the $((N + 2000)) ids scored exactly once"; else
		bad "every id scored exactly once" "$(diff "$T/want.ids" "$T/got.ids" | head -10)"; fi
	eq "no dead letters" 0 "$(count feedback.dlq)"
	n1=$(awk -F '\t' -v v=$v1 '$1 ~ /^r/ && $2 == v' "$T/ev.tsv" | wc -l | tr -d ' ')
	n2=$(awk -F '\t' -v v=$v2 '$1 ~ /^r/ && $2 == v' "$T/ev.tsv" | wc -l | tr -d ' ')
	if [ -n "$v2" ] && [ "$v1" != "$v2" ] && [ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && [ $((n1 + n2)) -eq $N ]; then
		ok "both versions scored the stream ($n1 with $v1, $n2 with $v2)"
	else
		bad "both versions scored the stream" "v1=$v1: $n1, v2=$v2: $n2 of $N"
	fi
	vals=$(awk -F '\t' '$1 ~ /^t/ { print $2 }' "$T/ev.tsv" | sort -u | tr '\n' ' ')
	eq "everything sent after the reload was logged is scored with $v2" "$v2 " "$vals"
	# per partition, in offset order: old ... old new ... new
	back=$(sort -t "$(printf '\t')" -k3,3n -k4,4n "$T/ev.tsv" | awk -F '\t' -v v1=$v1 -v v2=$v2 '
		{ if ($2 != v1 && $2 != v2) { print "partition " $3 " offset " $4 ": unknown version " $2; next }
		  if ($2 == v2) seen[$3] = 1
		  else if (seen[$3]) print "partition " $3 " offset " $4 ": back to " v1 " after " v2
		  if ($2 != last[$3]) sw[$3]++; last[$3] = $2 }
		END { for (p in sw) if (sw[p] > 2) print "partition " p ": " sw[p] - 1 " switches" }' | head -5)
	eq "per partition the version switches once, old then new" "" "$back"
	nparts=$(awk -F '\t' -v v1=$v1 -v v2=$v2 '$2 == v1 { a[$3] = 1 } $2 == v2 { b[$3] = 1 }
		END { n = 0; for (p in a) if (p in b) n++; print n }' "$T/ev.tsv")
	if [ "$nparts" -ge 1 ]; then ok "$nparts partition(s) switched mid-stream"; else bad "a partition switched mid-stream"; fi
	# the changed word
	vals=$(awk -F '\t' -v v=$v2 '$2 == v && $5 != "-" { print $5 }' "$T/ev.tsv" | sort -u | tr '\n' ' ')
	eq "'$WORD' scored with $v2 has the new valence" "$new_val " "$vals"
	vals=$(awk -F '\t' -v v=$v1 '$2 == v && $5 != "-" { print $5 }' "$T/ev.tsv" | sort -u | tr '\n' ' ')
	eq "'$WORD' scored with $v1 has the old valence" "$old_val " "$vals"
	# after the rejected reload: the running version
	vals=$(awk -F '\t' '$1 ~ /^s/ { print $2 }' "$T/ev.tsv" | sort -u | tr '\n' ' ')
	eq "after the rejected reload every message is scored with $v2" "$v2 " "$vals"
	n=$(grep -c "\[reload\] .* -> " "$T/run1.log")
	eq "one reload done, one rejected" "1 1" "$n $(grep -c 'rejected' "$T/run1.log")"
	grep -q "stopped cleanly" "$T/run1.log" && ok "log says stopped cleanly" || bad "log says stopped cleanly"
fi
end
fi

# =============================================================================
if want 2; then
begin 2 "--watch: a changed file reloads without a signal"
lexcopy "$T/lex"
old_val=$(valence "$LEX/sentiment.tsv")
if start_broker; then
	start_run run2 --watch
	wait_log "$T/run2.log" "assigned" 60 || bad "pipeline assigned partitions" "$(tail -5 "$T/run2.log")"
	grep -q "lexicons lx-[0-9a-f]* loaded from $LEX (watched" "$T/run2.log" && ok "the log says the lexicons are watched" ||
		bad "the log says the lexicons are watched" "$(grep lexicons "$T/run2.log")"
	v1=$(loaded_version "$T/run2.log")
	gen w 500 | produce feedback
	wait_count feedback.scored 500 60 || bad "500 scored" "$CNT"
	# an editor's save: other files first, then the new file renamed over the old
	printf 'scratch\n' >"$LEX/.sentiment.tsv.swp"
	printf 'backup\n' >"$LEX/sentiment.tsv~"
	sleep 1.5 # three debounce periods
	eq "other names in the directory do not reload" 0 "$(grep -c '\[reload\]' "$T/run2.log")"
	new_val=-1.9
	set_valence "$LEX/sentiment.tsv" $new_val
	if wait_log "$T/run2.log" "\[reload\] $v1 -> lx-[0-9a-f]* (.*; files changed; loaded in [0-9]* ms)" 30; then
		ok "the change is reloaded without a signal"
	else
		bad "the change is reloaded without a signal" "$(grep reload "$T/run2.log" | tail -5)"
	fi
	v2=$(sed -n "s/.*\[reload\] $v1 -> \(lx-[0-9a-f]*\) .*/\1/p" "$T/run2.log" | head -n 1)
	gen x 500 | produce feedback
	wait_count feedback.scored 1000 60 || bad "1000 scored" "$CNT"
	# a broken rules file written in place
	printf '[broken\n' >>"$LEX/rules.conf"
	badline=$(wc -l <"$LEX/rules.conf" | tr -d ' ')
	if wait_log "$T/run2.log" "rejected (files changed): $LEX/rules.conf:$badline: .*still running $v2" 30; then
		ok "a broken write is rejected with file:line"
	else
		bad "a broken write is rejected with file:line" "$(grep reload "$T/run2.log" | tail -5)"
	fi
	gen y 200 | produce feedback
	wait_count feedback.scored 1200 60 || bad "1200 scored" "$CNT"
	stop_run $RUNPID 60
	eq "pipeline exits 0 on SIGTERM" 0 $RC
	events feedback.scored >"$T/ev.tsv"
	eq "every message scored once" "1200 1200" "$(wc -l <"$T/ev.tsv" | tr -d ' ') $(cut -f 1 "$T/ev.tsv" | sort -u | wc -l | tr -d ' ')"
	eq "before the change: $v1" "$v1 " "$(awk -F '\t' '$1 ~ /^w/ { print $2 }' "$T/ev.tsv" | sort -u | tr '\n' ' ')"
	eq "after the change: $v2" "$v2 " "$(awk -F '\t' '$1 ~ /^[xy]/ { print $2 }' "$T/ev.tsv" | sort -u | tr '\n' ' ')"
	eq "'$WORD' valence before and after" "$old_val $new_val" \
		"$(awk -F '\t' '$1 ~ /^w/ && $5 != "-" { print $5 }' "$T/ev.tsv" | sort -u) $(awk -F '\t' '$1 ~ /^[xy]/ && $5 != "-" { print $5 }' "$T/ev.tsv" | sort -u)"
	eq "one reload" "1" "$(grep -c "\[reload\] .* -> " "$T/run2.log")"
fi
end
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
