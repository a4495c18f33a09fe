#!/bin/sh
# make bench: engine throughput (one thread) and `feedsense score` throughput
# on an NDJSON file (JSON decoding and encoding included).
# Usage: bench.sh BENCH_BINARY FEEDSENSE_BINARY
set -eu
bench=$1
feedsense=$2
corpus=$(ls tests/data/corpus/*.jsonl)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "== engine (100,000 messages of 100-300 bytes, 5 passes, 1 thread)"
"$bench" --lexicons lexicons --messages 100000 --passes 5 $corpus

echo "== feedsense score (NDJSON in, scored NDJSON out)"
"$bench" --messages 300000 --write-ndjson "$tmp/in.ndjson" $corpus >/dev/null
lines=$(wc -l <"$tmp/in.ndjson")
bytes=$(wc -c <"$tmp/in.ndjson")
for threads in 1 0; do
	label=$([ "$threads" = 0 ] && echo "all cores ($(nproc))" || echo "1 thread")
	start=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%M" -o "$tmp/rss" "$feedsense" score --lexicons lexicons --threads $([ "$threads" = 0 ] && nproc || echo 1) \
			-o "$tmp/out.ndjson" "$tmp/in.ndjson"
		rss=$(awk '{printf "%.1f", $1/1024}' "$tmp/rss")
	else
		"$feedsense" score --lexicons lexicons -o "$tmp/out.ndjson" "$tmp/in.ndjson"
		rss="?"
	fi
	end=$(date +%s.%N)
	out=$(wc -l <"$tmp/out.ndjson")
	[ "$out" -eq "$lines" ] || { echo "bench: $out events for $lines lines" >&2; exit 1; }
	awk -v l="$lines" -v b="$bytes" -v s="$start" -v e="$end" -v r="$rss" -v lab="$label" 'BEGIN {
		dt = e - s; printf "score, %s: %d lines in %.2f s: %.0f lines/s, %.1f MB/s in, peak RSS %s MB\n", lab, l, dt, l / dt, b / dt / 1e6, r }'
done
