#!/bin/sh
# valgrind memcheck of the real binary ($FEEDSENSE_BIN, a release build):
#
#   1  `feedsense score` over a few hundred corpus lines, plus bad lines,
#      gzip input and one text through the readable breakdown
#   2  `feedsense run` on the embedded broker: a short stream with good and
#      bad messages (gzip, invalid JSON, empty), stopped by
#      pipeline.max_messages, so every shutdown path runs
#
# Fails on any memcheck error and on definite or indirect leaks. "Possibly
# lost" blocks are not errors: librdkafka keeps pointers into the middle of
# its own allocations in its threads. tests/valgrind.supp holds the
# suppressions, each with its reason. FEEDSENSE_TEST_NO_JIT=1 runs the PCRE2
# interpreter: valgrind cannot follow the machine code PCRE2's JIT generates
# (it reports uninitialised values in it, with no usable stack); the JIT
# path is exercised by every other test and by the ASan builds.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null 2>&1 || { echo "memcheck.sh: valgrind is required (make deps)"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$FS" ] || { echo "memcheck.sh: $FS not built"; echo "0 passed, 1 failed"; exit 1; }
FEEDSENSE_TEST_NO_JIT=1
export FEEDSENSE_TEST_NO_JIT
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --suppressions=$(dirname "$0")/../valgrind.supp --num-callers=30"

begin 1 "valgrind: feedsense score"
head -n 300 tests/data/corpus/reviews.jsonl >"$T/in.ndjson"
n=$(wc -l <"$T/in.ndjson" | tr -d ' ')
printf '{"id":"bad","text":\n{"id":"num","text":42}\n{"text":"bad \377 byte"}\n' >>"$T/in.ndjson"
gzip -c "$T/in.ndjson" >"$T/in.ndjson.gz"
$VG "$FS" score --lexicons "$LEX" -j 2 "$T/in.ndjson.gz" >"$T/out.ndjson" 2>"$T/score.log"; rc=$?
eq "score over $n lines and 3 bad ones: no memcheck error, no leak (exit 0)" 0 $rc
eq "score: one event per good line" "$n" "$(wc -l <"$T/out.ndjson" | tr -d ' ')"
$VG "$FS" score --lexicons "$LEX" "I have been on hold for two hours and still no refund, not great" >"$T/one.out" 2>"$T/one.log"; rc=$?
eq "score one text (breakdown): exit 0 under memcheck" 0 $rc
end

begin 2 "valgrind: feedsense run on the embedded broker"
if start_broker; then
	gen v 300 | produce feedback
	printf '{"id":"vgz","text":"gzip feedback, slow refund"}' | gzip -c >"$T/gz"
	timeout 60 kcat -P -b "$BK" -t feedback -k vgz "$T/gz" 2>>"$T/kcat.log"
	printf 'vbad\t{"id":"vbad","text":\nvnum\t{"id":"vnum","text":42}\nvplain\tplain text feedback, awful\n' | produce feedback
	printf '[pipeline]\nmax_messages = 304\nshutdown_timeout_ms = 10000\nworkers = 2\n' >"$T/fs.ini"
	$VG "$FS" run -b "$BK" -L "$LEX" -c "$T/fs.ini" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
		</dev/null >"$T/run.out" 2>"$T/run.log" &
	p=$!
	pids="$pids $p"
	wait_exit $p 240
	eq "run: no memcheck error, no leak (exit 0)" 0 $RC
	grep -q "stopped cleanly" "$T/run.log" && ok "run stopped cleanly under memcheck" || bad "run stopped cleanly" "$(tail -5 "$T/run.log")"
	eq "run: every message scored or dead-lettered" 304 "$(($(count feedback.scored) + $(count feedback.dlq)))"
	grep -A30 "definitely lost\|indirectly lost\|Invalid \|uninitialised" "$T/run.log" | head -60
fi
end

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
