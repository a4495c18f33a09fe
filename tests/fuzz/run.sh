#!/bin/sh
# Run the libFuzzer targets built by `make fuzz` / `make fuzz-smoke`.
#
#   sh tests/fuzz/run.sh [-s] SECONDS TARGET...
#
# For each TARGET (text, score, decode, lexicon, rules, config, window):
#  1. replay every saved crasher in tests/fuzz/regress/TARGET/ once, with a
#     2-second timeout (some are inputs that once took minutes); each one
#     must now pass (they stay after the fix as regression tests);
#  2. fuzz for SECONDS on a copy of the seed corpus tests/fuzz/corpus/TARGET/,
#     with the dictionary tests/fuzz/TARGET.dict when there is one. The copy
#     is build/fuzz/corpus/TARGET, kept between runs so that it grows; with
#     -s (smoke) it is build/fuzz/smoke/TARGET, fresh each time.
# Nothing is written under tests/. A crash, a sanitizer report, a leak or a
# timeout fails the target; the input is saved in build/fuzz/artifacts/TARGET/
# and the end of the log is shown. The exit status is 1 if any target failed.
# Run from the repository root (the score and decode targets load ./lexicons).
set -u

build=${FUZZ_BUILD:-build/fuzz}
smoke=0
if [ "${1:-}" = "-s" ]; then
	smoke=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: $0 [-s] SECONDS TARGET..." >&2
	exit 2
fi
seconds=$1
shift

export FEEDSENSE_LEXICONS="${FEEDSENSE_LEXICONS:-lexicons}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# The report in a log, without libFuzzer's progress lines and its own stack frames.
show() {
	grep -a -v '^#[0-9]\|^INFO:\|^Running:\|^Executed \|^NOTE: \|^      Combine\|fuzzer::\|libc_start\| in _start \|pthread_kill\|raise signal\|in abort \|__sanitizer_print_stack_trace\|^stat::' "$1" |
		tail -n "$2"
}

failed=""
mkdir -p "$build/logs"
for t in "$@"; do
	bin="$build/fuzz_$t"
	art="$build/artifacts/$t"
	log="$build/logs/$t.log"
	if [ ! -x "$bin" ]; then
		echo "fuzz $t: $bin not built" >&2
		failed="$failed $t"
		continue
	fi
	mkdir -p "$art"

	regress="tests/fuzz/regress/$t"
	if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
		n=0
		bad=0
		for r in "$regress"/*; do
			n=$((n + 1))
			rlog="$build/logs/$t.regress.$(basename "$r").log"
			# 2 s: a regression input runs in well under 1 s once its bug is fixed
			if ! "$bin" -timeout=2 "$r" >"$rlog" 2>&1; then
				bad=$((bad + 1))
				echo "fuzz $t: FAILED regression $r:"
				if [ $bad = 1 ]; then
					show "$rlog" 30
				else
					grep -a -m 1 -A 1 'FUZZ CHECK FAILED\|runtime error\|ERROR: ' "$rlog" | sed 's/^/    /'
				fi
			fi
		done
		if [ $bad = 0 ]; then
			echo "fuzz $t: $n regression input(s) pass"
		else
			failed="$failed $t(regress)"
		fi
	fi

	if [ "$smoke" = 1 ]; then
		corpus="$build/smoke/$t"
		rm -rf "$corpus"
	else
		corpus="$build/corpus/$t"
	fi
	mkdir -p "$corpus"
	cp tests/fuzz/corpus/"$t"/* "$corpus"/
	dict=""
	if [ -f "tests/fuzz/$t.dict" ]; then
		dict="-dict=tests/fuzz/$t.dict"
	fi
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" $dict "$corpus" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
		echo "fuzz $t: ok, ${runs:-?} runs in ${seconds}s, $cov, corpus $(ls "$corpus" | wc -l) inputs"
	else
		echo "fuzz $t: FAILED; reproducer in $art/, log $log:"
		show "$log" 40
		failed="$failed $t"
	fi
done

total=$#
nfailed=$(for f in $failed; do echo "${f%(regress)}"; done | sort -u | wc -l)
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
fi
echo "fuzz: $((total - nfailed)) passed, $nfailed failed"
[ -z "$failed" ]
