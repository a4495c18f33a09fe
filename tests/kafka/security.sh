#!/bin/sh
# SASL_SSL on real Kafka 4 (`kafka.sh up --security`: PLAIN over TLS, the
# brokers' certificate signed by a test CA). Checked:
#   1. the right credentials as -X properties alone: scored end to end;
#   2. the same in the [kafka] section of a configuration file;
#   3. a wrong password: a clear authentication error, non-zero exit, in time;
#   4. a CA that did not sign the brokers' certificate: a clear TLS error,
#      non-zero exit, in time;
#   5. SCRAM-SHA-256: librdkafka before 2.6.1 cannot authenticate with SCRAM
#      to Kafka 4 (the brokers refuse its client-final message): with such a
#      librdkafka, a clear authentication error and a non-zero exit in time;
#      with a newer one, scored end to end;
#   6. the password appears in no log and not in `feedsense check-config`.
# Usage (from the repository root): sh tests/kafka/security.sh
SUITE=security
. tests/kafka/common.sh

BOUND=${KAFKA_SECURITY_BOUND:-60} # seconds a refused client has to give up in

kafka_up --security
SB=$KAFKA_SASL_BOOTSTRAP
PW=$KAFKA_SASL_PASSWORD

# srun NAME [run options...]: feedsense run in the background over SASL_SSL
# (no -b BK: the options say where); sets RUNPID, log in $T/NAME.log
srun() {
	name=$1; shift
	"$FS" run -L "$LEX" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 "$@" \
		</dev/null >"$T/$name.out" 2>"$T/$name.log" &
	RUNPID=$!
	pids="$pids $RUNPID"
	WATCH=$RUNPID
}
sasl_opts() { # sasl_opts MECHANISM PASSWORD CA
	echo "-X security.protocol=SASL_SSL -X sasl.mechanisms=$1 -X sasl.username=$KAFKA_SASL_USERNAME -X sasl.password=$2 -X ssl.ca.location=$3"
}
# refused NAME LABEL PATTERN: the run NAME exits non-zero within $BOUND s and logs PATTERN
refused() {
	wait_exit $RUNPID "$BOUND"
	if [ "$RC" = 1 ]; then # 1: an error; not 124 (hung), not 128+N (crashed)
		ok "$2: exit 1 within $BOUND s"
	else
		bad "$2: exit 1 within $BOUND s" "exit $RC (124: still running, killed; over 128: crashed); $(tail -5 "$T/$1.log")"
	fi
	e=$(grep -E -i -m 1 "$3" "$T/$1.log")
	[ -n "$e" ] && ok "$2: a clear error" || bad "$2: a clear error (/$3/)" "$(tail -8 "$T/$1.log")"
	echo "#   $e"
}

kbegin 1 "SASL_SSL with the right credentials"
kafka topics sec1:2 sec2:2 >/dev/null 2>>"$T/kcat.log"
gen x 300 | produce sec1
gen y 300 | produce sec2
# shellcheck disable=SC2046 # the options split on purpose (no spaces in them)
srun xopts -b "$SB" -g g1 -i sec1 --scored sec1.scored --alerts "" --dlq sec1.dlq $(sasl_opts PLAIN "$PW" "$KAFKA_CA")
wait_distinct sec1.scored 300 90 || true
stop_run $RUNPID 60
eq "-X properties: exit 0" 0 "$RC"
check_ids sec1.scored x 300 "-X properties"

cat >"$T/sasl.ini" <<EOF
[kafka]
brokers = $SB
group = g2
security.protocol = SASL_SSL
sasl.mechanisms = PLAIN
sasl.username = $KAFKA_SASL_USERNAME
sasl.password = $PW
ssl.ca.location = $KAFKA_CA

[input]
topics = sec2

[output]
scored = sec2.scored
alerts =
dlq = sec2.dlq
EOF
srun ini -c "$T/sasl.ini"
wait_distinct sec2.scored 300 90 || true
stop_run $RUNPID 60
eq "[kafka] section: exit 0" 0 "$RC"
check_ids sec2.scored y 300 "[kafka] section of a config file"
"$FS" check-config -c "$T/sasl.ini" >"$T/check-config.log" 2>&1
eq "check-config accepts the file" 0 "$?"
grep -q "sasl.password" "$T/check-config.log" && ok "check-config lists sasl.password (masked)" ||
	bad "check-config lists sasl.password (masked)" "$(cat "$T/check-config.log")"
kend

kbegin 2 "refused: wrong password, untrusted CA, SCRAM"
# shellcheck disable=SC2046
srun wrongpw -b "$SB" -g g3 -i sec1 --scored sec3.scored $(sasl_opts PLAIN "wrong-$PW" "$KAFKA_CA")
refused wrongpw "wrong password" "authentication|SASL"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=some other CA" -keyout "$T/other.key" \
	-out "$T/other-ca.pem" >"$T/openssl.log" 2>&1 || bad "a second CA" "$(cat "$T/openssl.log")"
# shellcheck disable=SC2046
srun untrusted -b "$SB" -g g4 -i sec1 --scored sec4.scored $(sasl_opts PLAIN "$PW" "$T/other-ca.pem")
refused untrusted "untrusted CA" "certificate verify failed|certificate"

rdver=$(kcat -V 2>&1 | sed -n 's/.*librdkafka \([0-9][0-9.]*\).*/\1/p' | head -n 1)
# shellcheck disable=SC2046
srun scram -b "$SB" -g g5 -i sec1 --scored sec5.scored --alerts "" $(sasl_opts "$KAFKA_SCRAM_MECHANISM" "$PW" "$KAFKA_CA")
if [ -n "$rdver" ] && [ "$(printf '%s\n2.6.1\n' "$rdver" | sort -V | head -n 1)" != 2.6.1 ]; then
	echo "#   librdkafka $rdver: SCRAM with Kafka 4 is expected to be refused"
	refused scram "SCRAM-SHA-256 with librdkafka $rdver" "authentication|SASL|SCRAM"
else
	echo "#   librdkafka ${rdver:-?}: SCRAM with Kafka 4 is expected to work"
	wait_distinct sec5.scored 300 90 || true
	stop_run $RUNPID 60
	eq "SCRAM-SHA-256: exit 0" 0 "$RC"
	check_ids sec5.scored x 300 "SCRAM-SHA-256"
fi
kend

kbegin 3 "the password is never printed"
found=$(grep -r -l -F -- "$PW" "$tmp" 2>/dev/null | grep -v -e '\.ini$' -e '/kafka-up' | head -5)
eq "no log holds the password" "" "$found"
grep -q -F -- "$PW" "$tmp/t1/check-config.log" && bad "check-config hides the password" ||
	ok "check-config hides the password"
[ -s "$tmp/t1/xopts.log" ] && [ -s "$tmp/t2/wrongpw.log" ] && ok "the searched logs are there" ||
	bad "the searched logs are there"
kend

kdone
