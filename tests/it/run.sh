#!/bin/sh
# Integration tests of the feedsense command line: they drive the real
# binary ($FEEDSENSE_BIN, default bin/feedsense) with the shipped lexicons
# and check outputs, exit codes and error messages.
set -u
FS=${FEEDSENSE_BIN:-bin/feedsense}
LEX=lexicons
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/       /'; }
check() { # check NAME COMMAND...: passes when the command succeeds
	name=$1; shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

# --- help and usage -------------------------------------------------------
check "help exits 0" "$FS" --help
check "score --help mentions --text-field" sh -c "'$FS' score --help | grep -q -- --text-field"
"$FS" score --no-such-option >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unknown option exits 2" || bad "unknown option exits 2" "rc=$rc"
"$FS" frobnicate >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "unknown command exits 2" || bad "unknown command exits 2" "rc=$rc"

# --- one text: readable breakdown ------------------------------------------
out=$("$FS" score --lexicons $LEX "I have been on hold for two hours and still no refund" 2>&1)
echo "$out" | grep -q "^label *negative" && ok "factual complaint is negative" || bad "factual complaint is negative" "$out"
echo "$out" | grep -q "rule" && ok "breakdown explains with a rule" || bad "breakdown explains with a rule" "$out"
out=$("$FS" score --lexicons $LEX "How do I change my delivery address?" 2>&1)
echo "$out" | grep -q "^label *neutral" && ok "neutral question stays neutral" || bad "neutral question stays neutral" "$out"
out=$("$FS" score --lexicons $LEX --text "Absolutely love it, works like a charm!" 2>&1)
echo "$out" | grep -q "^label *positive" && ok "praise is positive" || bad "praise is positive" "$out"

# --- NDJSON in, events out, in order ---------------------------------------
i=0
: >"$tmp/in.ndjson"
while [ $i -lt 300 ]; do
	printf '{"id":"m%d","text":"delivery was late again, item %d","channel":"review","rating":2}\n' $i $i >>"$tmp/in.ndjson"
	i=$((i + 1))
done
printf '{"id":"bad1","text":' >>"$tmp/in.ndjson"; echo >>"$tmp/in.ndjson"
printf '{"id":"bad2","body":"no text field"}\n' >>"$tmp/in.ndjson"
printf '{"id":"bad3","text":42}\n' >>"$tmp/in.ndjson"
printf '{"id":"last","text":"great service, thank you"}\n' >>"$tmp/in.ndjson"
"$FS" score --lexicons $LEX -j 2 "$tmp/in.ndjson" >"$tmp/out.ndjson" 2>"$tmp/err.txt"; rc=$?
[ $rc -eq 0 ] && ok "bad lines do not fail the run without --strict" || bad "exit status without --strict" "rc=$rc"
n=$(wc -l <"$tmp/out.ndjson")
[ "$n" -eq 301 ] && ok "one event per good line (301)" || bad "one event per good line" "got $n"
ids=$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$tmp/out.ndjson" | head -3 | tr '\n' ' ')
[ "$ids" = "m0 m1 m2 " ] && ok "events keep input order" || bad "events keep input order" "$ids"
tail -1 "$tmp/out.ndjson" | grep -q '"id":"last".*"label":"positive"' && ok "last line scored positive" || bad "last line scored positive" "$(tail -1 "$tmp/out.ndjson")"
grep -q '"schema":"feedsense.scored.v1"' "$tmp/out.ndjson" && ok "events carry the schema" || bad "schema field"
head -1 "$tmp/out.ndjson" | grep -q '"input":{"channel":"review","rating":2}' && ok "other input fields carried unchanged" || bad "input fields carried" "$(head -1 "$tmp/out.ndjson")"
grep -q ':301: invalid_json' "$tmp/err.txt" && ok "invalid JSON reported with its line" || bad "invalid JSON line report" "$(cat "$tmp/err.txt")"
grep -q ':302: missing_text' "$tmp/err.txt" && ok "missing text reported with its line" || bad "missing text report" "$(cat "$tmp/err.txt")"
grep -q ':303: text_not_string' "$tmp/err.txt" && ok "non-string text reported with its line" || bad "non-string text report" "$(cat "$tmp/err.txt")"
"$FS" score --lexicons $LEX --strict "$tmp/in.ndjson" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "--strict exits 1 on bad lines" || bad "--strict exit status" "rc=$rc"

# --- gzip in and out, stdin, plain, custom field ---------------------------
gzip -c "$tmp/in.ndjson" >"$tmp/in.ndjson.gz"
"$FS" score --lexicons $LEX -o "$tmp/out.ndjson.gz" "$tmp/in.ndjson.gz" 2>/dev/null
n=$(gzip -dc "$tmp/out.ndjson.gz" | wc -l)
[ "$n" -eq 301 ] && ok "gzip input and gzip output" || bad "gzip input and output" "got $n"
n=$(head -5 "$tmp/in.ndjson" | "$FS" score --lexicons $LEX | wc -l)
[ "$n" -eq 5 ] && ok "reads stdin" || bad "reads stdin" "got $n"
printf 'the app keeps crashing\nlove it\n' | "$FS" score --lexicons $LEX --plain >"$tmp/plain.out"
grep -c '"label"' "$tmp/plain.out" | grep -q '^2$' && ok "--plain scores raw lines" || bad "--plain" "$(cat "$tmp/plain.out")"
printf '{"body":"terrible, never again"}\n' | "$FS" score --lexicons $LEX --text-field body | grep -q '"label":"negative"' \
	&& ok "--text-field selects the field" || bad "--text-field"
printf '{"text":"bad \377 byte"}\n' | "$FS" score --lexicons $LEX 2>&1 >/dev/null | grep -q 'invalid_utf8' \
	&& ok "invalid UTF-8 reported" || bad "invalid UTF-8 report"
"$FS" score --lexicons $LEX "$tmp/does-not-exist.ndjson" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "missing input file exits 2" || bad "missing input file" "rc=$rc"

# --- lexicon check -----------------------------------------------------------
out=$("$FS" lexicon check --lexicons $LEX 2>&1); rc=$?
[ $rc -eq 0 ] && ok "shipped lexicons lint clean" || bad "shipped lexicons lint clean" "$(echo "$out" | grep error | head -20)"
printf 'good\t2\nbad\tworse\nugly\t9\ngood\t1\n' >"$tmp/broken.tsv"
out=$("$FS" lexicon check --lexicons $LEX "$tmp/broken.tsv" 2>&1); rc=$?
[ $rc -eq 1 ] && ok "broken lexicon exits 1" || bad "broken lexicon exit" "rc=$rc"
echo "$out" | grep -q "broken.tsv:2: valence 'worse' is not a number" && ok "names file:line of a bad value" || bad "file:line of bad value" "$out"
echo "$out" | grep -q "broken.tsv:3: valence 9 out of range" && ok "names file:line of an out-of-range value" || bad "out-of-range report" "$out"
echo "$out" | grep -q "broken.tsv:4: 'good' already defined at line 1" && ok "duplicate with a different value is an error" || bad "duplicate report" "$out"
printf '[r1]\npattern = (unclosed\nvalence = -1\n[r2]\npattern = a*\nvalence = -1\n' >"$tmp/rules.conf"
out=$("$FS" lexicon check --lexicons $LEX "$tmp/rules.conf" 2>&1); rc=$?
echo "$out" | grep -q "rules.conf:2: pattern error" && ok "bad regex named with file:line" || bad "bad regex report" "$out"
echo "$out" | grep -q "rules.conf:5: pattern can match the empty string" && ok "empty-matching regex rejected" || bad "empty regex report" "$out"
# a rule's self-tests: an example that does not fire it, a counter-example that does
mkdir -p "$tmp/lexex" && cp $LEX/* "$tmp/lexex/"
printf '\n[zz_refund_late]\npattern = \\brefund (?:is|was) late\\b\nrequires = refund\nvalence = -2\nexample = my refund was late again\nexample = my refund never came\ncounter = the refund is late\n' >>"$tmp/lexex/rules.conf"
exl=$(grep -n '^example = my refund never came' "$tmp/lexex/rules.conf" | cut -d: -f1)
out=$("$FS" lexicon check --lexicons "$tmp/lexex" 2>&1); rc=$?
[ $rc -eq 1 ] && ok "a failing rule example exits 1" || bad "failing rule example exit" "rc=$rc"
echo "$out" | grep -q "rules.conf:$exl: rule zz_refund_late: example does not fire the rule" \
	&& ok "an example that does not fire its rule is named with file:line" || bad "example report" "$out"
echo "$out" | grep -q "rules.conf:$((exl + 1)): rule zz_refund_late: counter-example fires the rule" \
	&& ok "a counter-example that fires its rule is named with file:line" || bad "counter-example report" "$out"
[ "$(echo "$out" | grep -c 'zz_refund_late')" -eq 2 ] && ok "the passing example is not reported (2 reports for the rule)" \
	|| bad "only the failing examples reported" "$(echo "$out" | grep zz_refund_late)"
mkdir -p "$tmp/lex" && cp $LEX/* "$tmp/lex/" && printf 'oops no tab\n' >>"$tmp/lex/domain.tsv"
out=$("$FS" score --lexicons "$tmp/lex" "fine" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "domain.tsv:[0-9]*: expected term<TAB>valence" && ok "bad lexicon refused at load with file:line" \
	|| bad "bad lexicon at load" "rc=$rc $out"

# --- user lexicons -----------------------------------------------------------
printf 'zorbly\t5\n' >"$tmp/afinn.txt"
"$FS" score --lexicons $LEX --user-lexicon "afinn:$tmp/afinn.txt" "zorbly" | grep -q "base +4.00" \
	&& ok "AFINN user lexicon rescaled (5 -> 4)" || bad "AFINN user lexicon"
printf 'zorbly\t-2.5\t0.5\t[-2, -3]\n' >"$tmp/vader.txt"
"$FS" score --lexicons $LEX --user-lexicon "vader:$tmp/vader.txt" "zorbly" | grep -q "base -2.50" \
	&& ok "VADER user lexicon, extra columns ignored" || bad "VADER user lexicon"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
