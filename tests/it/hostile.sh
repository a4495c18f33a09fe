#!/bin/sh
# Hostile input: a catalogue of malformed, oversized and adversarial messages
# fed to the running pipeline (`feedsense run` on the embedded broker). Each
# kind of message has its own asserted outcome: scored (with a check on the
# event), or in the dead-letter topic with the expected feedsense.error.class.
# After the catalogue the pipeline must still be running, a normal message
# must be scored, and the committed offsets must have moved past everything
# (a restart after kill -9 re-reads nothing).
#
# The catalogue runs with a copied lexicon directory holding one deliberately
# catastrophic user rule, so both the shipped rules (built with bounded
# repeats) and a bad rule meet inputs crafted to make them backtrack; the
# PCRE2 match limit must hold (the message is scored, the hit counted in the
# event and in the pipeline's summary line).
#
# The embedded broker (librdkafka's mock cluster) keeps about 5 MiB per
# partition: the multi-megabyte cases are produced lz4-compressed (kcat -z)
# and the pipeline compresses its outputs too, so they survive the retention.
#
# FEEDSENSE_TEST_ONLY does not apply (one test). Needs kcat, jq, gzip.
. "$(dirname "$0")/lib.sh"

for tool in kcat jq timeout gzip cksum awk; do
	command -v $tool >/dev/null 2>&1 || { echo "hostile.sh: $tool is required (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$FS" ] || { echo "hostile.sh: $FS not built"; echo "0 passed, 1 failed"; exit 1; }

begin 1 "hostile-input catalogue"
D=$T/cases
mkdir -p "$D"
: >"$T/expect"
# add NAME OUTCOME [JQ]: the case's bytes come from stdin. OUTCOME is
# "scored" (JQ, if given, must be true of the scored event) or a DLQ error
# class (JQ, if given, is a check on the DLQ record as kcat's JSON envelope)
add() {
	cat >"$D/$1"
	printf '%s\t%s\t%s\n' "$1" "$2" "${3:-true}" >>"$T/expect"
}
# json ID TEXT-BYTES...: {"id":ID,"text":"..."} with the text as given (printf %b)
json() { id=$1; shift; printf '{"id":"%s","text":"' "$id"; printf "$@"; printf '"}'; }
# rep N STRING: STRING N times (awk, octal escapes allowed)
rep() { awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

# --- empty and blank -----------------------------------------------------------
printf '' | add empty empty_text
printf '' | add tombstone empty_text # produced as a NULL value (kcat -Z)
printf '  \n\t \r\n  ' | add whitespace empty_text
json blank '   \\t  ' | add json_blank_text empty_text
# --- UTF-8 ------------------------------------------------------------------------
json u8 'bad \377 byte' | add utf8_invalid_json invalid_utf8 '.headers_map["feedsense.error.position"] == "23"'
printf 'caf\303 plain text with a broken sequence' | add utf8_invalid_plain invalid_utf8
json ov2 'slash \300\257 overlong' | add utf8_overlong_2byte invalid_utf8
json ov3 'slash \340\200\257 overlong' | add utf8_overlong_3byte invalid_utf8
json ov4 'slash \360\200\200\257 overlong' | add utf8_overlong_4byte invalid_utf8
json ovnul 'nul \300\200 overlong' | add utf8_overlong_nul invalid_utf8
json sur 'surrogate \355\240\200 encoded' | add utf8_surrogate_raw invalid_utf8
json surl 'lone \\ud800 escape' | add json_lone_surrogate_escape invalid_json
json surp 'pair \\ud83d\\ude00 escape' | add json_surrogate_pair_escape scored '.text == "pair \ud83d\ude00 escape"'
printf 'beyond \364\220\200\200 U+10FFFF' | add utf8_above_max invalid_utf8
# --- NUL bytes -----------------------------------------------------------------------
printf 'raw\000nul in plain text, terrible' | add nul_raw_plain scored '.text | test("terrible")'
json nulraw 'raw\000nul in a JSON string' | add nul_raw_json invalid_json
json nul 'good\\u0000service, thank you' | add nul_escape_json scored '.text == "good\u0000service, thank you"'
# --- JSON shape -------------------------------------------------------------------------
printf '{"id":"notext","body":"hello"}' | add json_text_missing missing_text
printf '{"id":"nulltext","text":null}' | add json_text_null missing_text
printf '{"id":"numtext","text":42}' | add json_text_number text_not_string
printf '{"id":"arrtext","text":["a","b"]}' | add json_text_array text_not_string
printf '{"id":"objtext","text":{"a":"awful"}}' | add json_text_object text_not_string
{ printf '{"id":"deep","text":"hi","x":'; rep 100000 '['; rep 100000 ']'; printf '}'; } | add json_deep_100k invalid_json
{ printf '{"id":"deepo","text":"hi","x":'; rep 100000 '{"a":'; } | add json_deep_open invalid_json
printf '{"id":"trunc","text":"hello wor' | add json_truncated invalid_json
printf '{"id":"dup","text":"great","text":"awful"}' | add json_duplicate_keys invalid_json
printf '\357\273\277{"id":"bom","text":"the refund never came, awful"}' | add json_bom scored '.id == "bom" and .sentiment.label == "negative"'
printf '{"id":"trail","text":"ok"} and then some garbage' | add json_trailing_garbage invalid_json
printf '{"id":"two","text":"a"}{"id":"three","text":"b"}' | add json_two_objects invalid_json
printf '["not", "an", "object"]' | add json_array_top scored '.text | startswith("[")' # auto format: not '{', so plain text
printf '{"id":"esc","text":"bad escape \\x41"}' | add json_bad_escape invalid_json
# --- size limits ([input] max_text_bytes 1 MiB, max_message_bytes 10 MiB) -----------------
{ printf '{"id":"ten","text":"'; rep 1000000 'word word '; printf '"}'; } | add text_10mb too_large '.payload_len == 10000022 and (.headers_map["feedsense.error.message"] | test("^text of"))'
{ rep 1153434 'plaintext '; } | add message_11mib too_large '.headers_map["feedsense.payload.dropped"] == "11534340"'
# --- gzip -------------------------------------------------------------------------------------
printf '{"id":"gzok","text":"the refund arrived quickly, thank you"}' | gzip -c >"$T/good.gz"
gzsize=$(wc -c <"$T/good.gz" | tr -d ' ')
gzip -dc "$T/good.gz" >/dev/null && ok "reference gzip payload is valid"
cat "$T/good.gz" | add gzip_valid scored '.text == "the refund arrived quickly, thank you"'
head -c $((gzsize / 2)) "$T/good.gz" | add gzip_truncated corrupt_gzip
# bad CRC: the trailer's CRC-32 (bytes -8..-5) replaced, deflate data intact
{ head -c $((gzsize - 8)) "$T/good.gz"; printf '\336\255\276\357'; tail -c 4 "$T/good.gz"; } | add gzip_bad_crc corrupt_gzip '.headers_map["feedsense.error.message"] | test("incorrect data check")'
case $(gzip -t "$D/gzip_bad_crc" 2>&1) in *crc*) ok "gzip_bad_crc: gzip itself reports a CRC error" ;; *) bad "gzip_bad_crc is a CRC error" "$(gzip -t "$D/gzip_bad_crc" 2>&1)" ;; esac
{ head -c 10 "$T/good.gz"; rep $((gzsize - 18)) '\377'; tail -c 8 "$T/good.gz"; } | add gzip_corrupt_deflate corrupt_gzip
head -c 1073741824 /dev/zero | gzip -9 -c | add gzip_bomb_1gb too_large '.headers_map["feedsense.error.message"] | test("inflates past")'
json gzu8 'bad \377 inside gzip' | gzip -c | add gzip_invalid_utf8 invalid_utf8
printf '\037\213' | add gzip_magic_only corrupt_gzip
# --- big and repetitive texts that are valid ---------------------------------------------------
{ printf '{"id":"emoji","text":"'; rep 100000 '\360\237\230\241'; printf '"}'; } | add emoji_100k scored '.sentiment.label == "negative" and (.text | length) == 100000'
{ printf '{"id":"emoji10k","text":"'; rep 10000 '\360\237\230\241'; printf '"}'; } | add emoji_10k scored '.sentiment.label == "negative"'
{ printf '{"id":"nospace","text":"'; rep 100000 'qwertyuiop'; printf '"}'; } | add line_1mb_no_spaces scored '(.text | length) == 1000000'
# valid, but its event (one explanation item per word) outgrows the output limit
{ printf '{"id":"awful","text":"'; rep 150000 'awful '; printf '"}'; } | add output_too_large too_large '.headers_map["feedsense.error.message"] | test("output limit")'
{ printf '{"id":"neg","text":"'; rep 100000 'not '; printf 'good"}'; } | add negation_100k scored '.sentiment.label != null'
# --- characters that are valid but unusual --------------------------------------------------------
json ctrl 'ctl \\u0001\\u0002\\u0007\\u001b[31m\\u007f\\u0085 awful \\b\\f' | add control_chars scored '.sentiment.label == "negative"'
json rtl 'terrible \342\200\256ecivres\342\200\254 \342\200\213zero\342\200\213width\342\200\215 \357\273\277bom inside' | add rtl_zero_width scored '.sentiment.label == "negative"'
json html '<script>alert(\\"x\\")</script> terrible service <img src=x onerror=alert(1)> &lt;b&gt;' | add html_script scored '.sentiment.label == "negative" and (.text | contains("<script>alert"))'
{ printf '{"id":"comb","text":"'; rep 5000 '\314\201'; printf ' awful '; rep 5000 '\315\257'; printf '"}'; } | add combining_marks scored '.sentiment.label == "negative"'
{ printf '{"id":"zalgo","text":"'; rep 2000 'a\314\201\314\202\314\203\314\204 '; printf '"}'; } | add zalgo scored 'true'
# --- catastrophic backtracking ---------------------------------------------------------------------
# against the shipped rules: the trigger words of every rule, and near-matches
# of the rules with the longest alternations and optional words (on_hold_long,
# waited_long: "(?:over|almost|...) )?(?:...)"), many times over
grep '^requires' "$LEX/rules.conf" | sed 's/requires *= *//' | tr ',' '\n' | sed 's/^ *//; s/\*$//' | sort -u | tr '\n' ' ' >"$T/triggers"
{ printf '{"id":"trig","text":"'; rep 4 "$(cat "$T/triggers")"; printf '"}'; } | add backtrack_shipped_triggers scored '.engine.rule_limit_hits == 0'
{ printf '{"id":"hold","text":"'; rep 8000 'on hold for over almost nearly about around more than at least a good another '; printf '"}'; } \
	| add backtrack_shipped_hold scored '.engine.rule_limit_hits == 0'
{ printf '{"id":"wait2","text":"'; rep 3000 'waited for still waiting been waiting since never received '; printf '"}'; } \
	| add backtrack_shipped_wait_small scored '.engine.rule_limit_hits == 0'
# against a deliberately bad user rule: nested unbounded repeats anchored at
# the end, fed a text that almost matches
{ printf '{"id":"boom","text":"boom '; rep 40 'abcdefghij '; printf 'x!"}'; } | add backtrack_user_rule scored '.engine.rule_limit_hits >= 1'
{ printf '{"id":"boom2","text":"terrible boom '; rep 2000 'ab '; printf '?"}'; } | add backtrack_user_rule_long scored '.engine.rule_limit_hits >= 1 and .sentiment.label == "negative"'

ncases=$(wc -l <"$T/expect" | tr -d ' ')
if [ "$ncases" -ge 30 ]; then ok "the catalogue has $ncases kinds of message (>= 30)"; else bad "the catalogue has >= 30 kinds" "$ncases"; fi

# the lexicons: shipped ones plus one catastrophic user rule
mkdir -p "$T/lex"
cp "$LEX"/* "$T/lex/"
printf '\n[user_backtrack]\npattern = \\bboom (?:(?:\\w+)+ ?)+$\nrequires = boom\nvalence = -1\n' >>"$T/lex/rules.conf"
out=$("$FS" lexicon check --lexicons "$T/lex" 2>&1) && ok "the lexicons with the bad user rule load" || bad "the lexicons with the bad user rule load" "$out"
LEX=$T/lex

# (the lz4-compressed producer output keeps the multi-megabyte outputs within the mock's retention)
cat >"$T/fs.ini" <<-'EOF'
[pipeline]
shutdown_timeout_ms = 5000
summary_interval_ms = 1000
[kafka.producer]
compression.type = lz4
EOF

if start_broker -t feedback:4,feedback.scored:16,feedback.alerts:8,feedback.dlq:8; then
	# all in partition 0, in catalogue order, then a normal message: the
	# pipeline must get past each one
	t0=$(now)
	while IFS="$(printf '\t')" read -r name outcome jqc; do
		case $name in
		empty) printf 'empty\t\n' | produce feedback -p 0 -H case=empty ;;
		tombstone) printf 'tombstone\t\n' | produce feedback -p 0 -Z -H case=tombstone ;;
		*) timeout 60 kcat -P -b "$BK" -t feedback -p 0 -k "$name" -H "case=$name" -z lz4 -X message.max.bytes=30000000 \
			"$D/$name" 2>>"$T/kcat.log" || bad "kcat produced case $name" ;;
		esac
	done <"$T/expect"
	printf 'after\t{"id":"after","text":"thanks, all good now"}\n' | produce feedback -p 0 -H case=after
	consume feedback -f '%k\t%p\t%o\n' >"$T/in.txt"
	eq "all $ncases cases and the final message are in the input topic" $((ncases + 1)) "$(wc -l <"$T/in.txt" | tr -d ' ')"
	echo "    (catalogue produced in $(($(now) - t0)) s)"

	t0=$(now)
	start_run run1 -c "$T/fs.ini" -g hostile
	# every input ends up scored or dead-lettered: wait for all, or until
	# nothing new came out for 20 s
	deadline=$(($(now) + 180)); last=-1; since=$(now)
	while [ "$(now)" -lt $deadline ] && kill -0 $RUNPID 2>/dev/null; do
		n=$(($(count feedback.scored) + $(count feedback.dlq)))
		[ $n -ge $((ncases + 1)) ] && break
		if [ $n -ne $last ]; then last=$n; since=$(now); elif [ $(($(now) - since)) -ge 20 ]; then break; fi
		sleep 1
	done
	took=$(($(now) - t0))
	echo "    (catalogue processed in $took s, load average $(cut -d ' ' -f 1-3 /proc/loadavg))"
	if [ $took -le 120 ]; then ok "catalogue processed within 120 s ($took s)"; else bad "catalogue processed within 120 s" "$took s"; fi
	check "pipeline alive after the catalogue" kill -0 $RUNPID
	consume_json feedback.scored >"$T/scored.json"
	consume_json feedback.dlq >"$T/dlq.json"
	eq "each input scored or dead-lettered exactly once" "$((ncases + 1)) distinct of $((ncases + 1))" \
		"$(cat "$T/scored.json" "$T/dlq.json" | jq -r '.key' | sort -u | wc -l | tr -d ' ') distinct of $(cat "$T/scored.json" "$T/dlq.json" | wc -l | tr -d ' ')"
	# the envelopes, with headers as an object and the payload length, payloads dropped
	jq -c '{key, partition, offset, payload_len: (.payload // "" | utf8bytelength),
		headers_map: ([.headers // [] | range(0; length; 2) as $i | {(.[$i]): .[$i + 1]}] | add // {})}' \
		"$T/dlq.json" >"$T/dlq.slim"
	jq -c '{key, event: (.payload | fromjson? // {})}' "$T/scored.json" >"$T/scored.slim"
	n=$(jq -r 'select(.key == "after") | .event.id' "$T/scored.slim")
	eq "a normal message after the catalogue is scored" after "$n"
	while IFS="$(printf '\t')" read -r name outcome jqc; do
		rec=$(jq -c --arg k "$name" 'select(.key == $k)' "$T/dlq.slim" | head -1)
		ev=$(jq -c --arg k "$name" 'select(.key == $k) | .event' "$T/scored.slim" | head -1)
		if [ "$outcome" = scored ]; then
			if [ -z "$ev" ]; then
				bad "$name: scored" "not scored; DLQ: $(printf '%s' "$rec" | cut -c 1-400)"
			elif [ "$(printf '%s' "$ev" | jq -r "$jqc" 2>&1)" = true ]; then
				ok "$name: scored ($jqc)"
			else
				bad "$name: scored, $jqc" "$(printf '%s' "$ev" | jq -c '{id, text: (.text | .[0:120]), sentiment, engine}' 2>&1 | cut -c 1-600)"
			fi
			continue
		fi
		if [ -z "$rec" ]; then bad "$name: dead-lettered as $outcome" "not in the DLQ; scored: $(printf '%s' "$ev" | cut -c 1-300)"; continue; fi
		got=$(printf '%s' "$rec" | jq -r '"\(.headers_map["feedsense.error.class"]) \(.headers_map["feedsense.source.partition"])/\(.headers_map["feedsense.source.offset"]) case=\(.headers_map["case"])"')
		inpo=$(awk -F '\t' -v k="$name" '$1 == k { print $2 "/" $3 }' "$T/in.txt")
		eq "$name: dead-lettered as $outcome with its source and headers" "$outcome $inpo case=$name" "$got"
		[ "$jqc" = true ] && continue
		if [ "$(printf '%s' "$rec" | jq -r "$jqc" 2>&1)" = true ]; then ok "$name: $jqc"; else
			bad "$name: $jqc" "$(printf '%s' "$rec" | jq -c .headers_map)"; fi
	done <"$T/expect"
	# the original bytes of the small dead letters come back unchanged
	for name in utf8_invalid_json utf8_overlong_nul nul_raw_json json_truncated gzip_bad_crc gzip_invalid_utf8; do
		po=$(jq -r --arg k "$name" 'select(.key == $k) | "\(.partition) \(.offset)"' "$T/dlq.slim" | head -1)
		[ -n "$po" ] || continue
		got=$(timeout 30 kcat -C -b "$BK" -t feedback.dlq -p "${po% *}" -o "${po#* }" -c 1 -e -q -f '%s' 2>>"$T/kcat.log" | cksum)
		eq "$name: DLQ payload is the original bytes" "$(cksum <"$D/$name")" "$got"
	done
	# the rule limit hits are visible in the pipeline's own summary
	hits=$(sed -n 's/.*rule limit hits \([0-9]*\).*/\1/p' "$T/run1.log" | tail -n 1)
	if [ "${hits:-0}" -ge 2 ]; then ok "the summary line counts the rule limit hits ($hits)"; else
		bad "the summary line counts the rule limit hits" "$(grep summary "$T/run1.log" | tail -2)"; fi

	# offsets: the committed position moved past the catalogue while running
	# (auto-commit, 1 s): kill -9, restart, and nothing is read again
	sleep 3
	s1=$(count feedback.scored); d1=$(count feedback.dlq)
	kill -KILL $RUNPID
	wait_exit $RUNPID 10
	start_run run2 -c "$T/fs.ini" -g hostile
	wait_log "$T/run2.log" "assigned [1-9]" 40 || bad "restarted pipeline got partitions" "$(tail -5 "$T/run2.log")"
	printf 'after2\t{"id":"after2","text":"second run, fine"}\n' | produce feedback -p 0
	wait_count feedback.scored $((s1 + 1)) 40 || true
	sleep 2
	eq "after kill -9 and a restart: nothing re-read, only the new message scored" "scored $((s1 + 1)), dlq $d1" \
		"scored $(count feedback.scored), dlq $(count feedback.dlq)"
	stop_run $RUNPID 30
	eq "pipeline exits 0 on SIGTERM" 0 $RC
	grep summary "$T/run2.log" | grep total: | sed 's/^/    /'
fi
end

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
