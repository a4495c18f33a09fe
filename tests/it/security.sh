#!/bin/sh
# Security posture of the configuration: TLS and SASL properties reach
# librdkafka from -X, from a config file's [kafka] section and (refused) from
# the environment; secrets are masked and never printed; a secured client
# against a plaintext broker stops at once with a clear error instead of
# retrying for ever; rule files can only match and score (PCRE2 callouts are
# refused at load with file:line).
. "$(dirname "$0")/lib.sh"

[ -x "$FS" ] || { echo "security.sh: $FS not built"; echo "0 passed, 1 failed"; exit 1; }
SECRET=topsecret
KEYPW=k3y
# no_secret LABEL FILE...: neither secret appears in the files
no_secret() {
	label=$1; shift
	if cat "$@" | grep -q -e "$SECRET" -e "$KEYPW"; then bad "$label: the secrets are never printed" "$(cat "$@" | grep -e "$SECRET" -e "$KEYPW" | head -3)"; else
		ok "$label: the secrets are never printed"; fi
}
# shows LABEL FILE KEY VALUE: FILE has the line "KEY = VALUE"
shows() {
	if grep -q "^$3 *= *$4\$" "$2"; then ok "$1: $3 = $4"; else bad "$1: $3 = $4" "$(grep -i "^$3" "$2" || echo '(absent)')"; fi
}
STARS='\*\*\*\*\*\*\*\*'

begin 1 "TLS and SASL properties: masked, never printed"
timeout 30 "$FS" check-config -L "$LEX" -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-256 -X sasl.username=u \
	-X sasl.password=$SECRET -X ssl.key.password=$KEYPW >"$T/x.out" 2>"$T/x.err"
eq "check-config -X: exit 0" 0 $?
for f in x; do
	shows "-X" "$T/$f.out" security.protocol SASL_SSL
	shows "-X" "$T/$f.out" sasl.mechanisms SCRAM-SHA-256
	shows "-X" "$T/$f.out" sasl.username u
	shows "-X" "$T/$f.out" sasl.password "$STARS"
	shows "-X" "$T/$f.out" ssl.key.password "$STARS"
done
no_secret "check-config -X" "$T/x.out" "$T/x.err"
cat >"$T/sec.ini" <<-EOF
[kafka]
security.protocol = SASL_SSL
sasl.mechanisms = SCRAM-SHA-256
sasl.username = u
sasl.password = $SECRET
ssl.key.password = $KEYPW
EOF
timeout 30 "$FS" check-config -L "$LEX" -c "$T/sec.ini" >"$T/f.out" 2>"$T/f.err"
eq "check-config -c FILE: exit 0" 0 $?
shows "[kafka] section" "$T/f.out" security.protocol SASL_SSL
shows "[kafka] section" "$T/f.out" sasl.password "$STARS"
shows "[kafka] section" "$T/f.out" ssl.key.password "$STARS"
no_secret "check-config -c FILE" "$T/f.out" "$T/f.err"
# the printed configuration reads back (with the masks) as a valid file
grep -v '^#' "$T/f.out" >"$T/printed.ini"
timeout 30 "$FS" check-config -L "$LEX" -c "$T/printed.ini" >/dev/null 2>"$T/p.err"
eq "the printed configuration loads again" 0 $?
# librdkafka properties from the environment (FEEDSENSE_KAFKA_<PROPERTY>, as a
# container gets its secrets): they reach the configuration, masked
FEEDSENSE_KAFKA_SASL_PASSWORD=$SECRET FEEDSENSE_KAFKA_SECURITY_PROTOCOL=SASL_SSL \
	timeout 30 "$FS" check-config -L "$LEX" >"$T/e.out" 2>"$T/e.err"
eq "FEEDSENSE_KAFKA_SASL_PASSWORD: check-config accepts it" 0 $?
grep -q '^sasl.password = \*\*\*\*\*\*\*\*$' "$T/e.out" && ok "environment: sasl.password reaches the configuration, masked" \
	|| bad "environment: sasl.password reaches the configuration, masked" "$(cat "$T/e.out" "$T/e.err")"
grep -q '^security.protocol = SASL_SSL$' "$T/e.out" && ok "environment: security.protocol reaches the configuration" \
	|| bad "environment: security.protocol reaches the configuration" "$(cat "$T/e.out")"
# a name librdkafka does not know is refused, naming the variable
FEEDSENSE_KAFKA_SASL_PASWORD=$SECRET timeout 30 "$FS" check-config -L "$LEX" >"$T/e2.out" 2>"$T/e2.err"; rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "a misspelt FEEDSENSE_KAFKA_ property is refused (exit $rc)"; else bad "a misspelt FEEDSENSE_KAFKA_ property is refused" "rc=$rc"; fi
grep -q "FEEDSENSE_KAFKA_SASL_PASWORD" "$T/e2.err" && ok "the error names the variable" || bad "the error names the variable" "$(cat "$T/e2.err")"
no_secret "misspelt environment" "$T/e2.out" "$T/e2.err"
no_secret "environment" "$T/e.out" "$T/e.err"
# an invalid value of a secret property is reported without the value
timeout 30 "$FS" check-config -L "$LEX" -X ssl.key.password= -X sasl.oauthbearer.config=$SECRET >"$T/i.out" 2>"$T/i.err"
no_secret "check-config with an oauthbearer secret" "$T/i.out" "$T/i.err"
end

begin 2 "a secured client against a plaintext broker: a clear error, no hang"
if start_broker; then
	for proto in SASL_SSL SSL SASL_PLAINTEXT; do
		t0=$(date +%s)
		"$FS" run -b "$BK" -L "$LEX" -X security.protocol=$proto -X sasl.mechanisms=SCRAM-SHA-256 -X sasl.username=u \
			-X sasl.password=$SECRET -X ssl.key.password=$KEYPW </dev/null >"$T/$proto.out" 2>"$T/$proto.log" &
		p=$!
		pids="$pids $p"
		wait_exit $p 60
		dt=$(($(date +%s) - t0))
		if [ $RC -ne 0 ] && [ $RC -ne 124 ]; then ok "$proto: run exits non-zero ($RC) in $dt s"; else bad "$proto: run exits non-zero within 60 s" "rc=$RC"; fi
		if grep -q "cannot connect to the Kafka cluster: .*\(SSL\|SASL\).*check security.protocol" "$T/$proto.log"; then
			ok "$proto: the error says why and what to check"; else bad "$proto: a clear error" "$(grep ERROR "$T/$proto.log" | head -3)"; fi
		no_secret "$proto run" "$T/$proto.out" "$T/$proto.log"
	done
fi
end

begin 3 "rule files only match and score"
mkdir -p "$T/lex"
cp "$LEX"/* "$T/lex/"
printf '\n[callout]\npattern = refund(?C1) never\nrequires = refund\nvalence = -1\n' >>"$T/lex/rules.conf"
line=$(grep -n 'pattern = refund(?C1)' "$T/lex/rules.conf" | cut -d: -f1)
out=$(timeout 30 "$FS" lexicon check --lexicons "$T/lex" 2>&1); rc=$?
eq "lexicon check: a callout is an error" 1 $rc
case $out in *"rules.conf:$line:"*callouts*) ok "the error names rules.conf:$line and the callout" ;; *) bad "the error names rules.conf:$line" "$(printf '%s\n' "$out" | grep -i error | head -3)" ;; esac
out=$(timeout 30 "$FS" run -b 127.0.0.1:9 -L "$T/lex" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "run refuses the rules file (exit $rc)"; else bad "run refuses the rules file" "rc=$rc"; fi
case $out in *"rules.conf:$line:"*) ok "run names rules.conf:$line" ;; *) bad "run names rules.conf:$line" "$out" ;; esac
sed -i 's/(?C1)/(?C"string callout")/' "$T/lex/rules.conf"
out=$(timeout 30 "$FS" score --lexicons "$T/lex" "the refund never came" 2>&1); rc=$?
if [ $rc -ne 0 ]; then ok "score refuses a string callout (exit $rc)"; else bad "score refuses a string callout" "$out"; fi
end

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
