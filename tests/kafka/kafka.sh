#!/bin/sh
# kafka.sh: a real Apache Kafka 4.4 cluster (KRaft, every node broker and
# controller) on loopback, for the integration tests. Our own launcher: the
# broker's jars come from Maven Central (tests/kafka/pom.xml) into a cache
# outside the work tree; no Kafka distribution, none of its scripts.
#
#   kafka.sh up [--nodes N] [--security]
#       Fetch the jars if needed, then generate, format and start N nodes
#       (default 1; node ids 1..N) on free loopback ports, and wait until every
#       node answers. Prints KEY=VALUE lines (below), then the PLAINTEXT
#       bootstrap address as the LAST line of stdout.
#   kafka.sh down              stop every node (SIGTERM, then SIGKILL after
#                              KAFKA_DOWN_TIMEOUT (5) s) and remove the state dir
#   kafka.sh stop NODE         SIGTERM one node (bounded, then SIGKILL); its data stays
#   kafka.sh kill NODE         SIGKILL one node
#   kafka.sh start NODE        restart a stopped or killed node on its data and
#                              ports; waits until it is back in the metadata
#   kafka.sh bootstrap         the PLAINTEXT bootstrap address
#   kafka.sh env               the KEY=VALUE lines (as `up` printed them)
#   kafka.sh log [NODE]        the last KAFKA_LOG_LINES (60) lines of the
#                              broker log of NODE, or of every node
#   kafka.sh leader TOPIC PARTITION   node id of the partition's leader
#   kafka.sh topics NAME:PARTITIONS[:REPLICAS]...   create topics (existing: fine)
#   kafka.sh pid NODE          the node's process id (empty when it is down)
#   kafka.sh fetch             only fetch the jars into the cache
#
# Environment:
#   FEEDSENSE_TEST_KAFKA_DIR    state dir (default build/kafka): per node
#                          nodeN/{server.properties,data,kafka.log,pid},
#                          plus cluster.env and, with --security, tls/
#   FEEDSENSE_TEST_KAFKA_CACHE  jar cache (default
#                          ${XDG_CACHE_HOME:-$HOME/.cache}/feedsense/kafka-4.4.0);
#                          complete when it holds .complete
#   KAFKA_HEAP             JVM heap per node (default -Xmx512m for 1 node,
#                          -Xmx384m each for more)
#   KAFKA_START_TIMEOUT    seconds to wait for the nodes to answer (default 120)
#   KAFKA_STOP_TIMEOUT     seconds between SIGTERM and SIGKILL (default 30)
#
# KEY=VALUE lines printed by `up` (also in $FEEDSENSE_TEST_KAFKA_DIR/cluster.env,
# which a shell can source; that file also holds KAFKA_SASL_PASSWORD):
#   KAFKA_DIR, KAFKA_NODES, KAFKA_BOOTSTRAP (PLAINTEXT, all nodes), KAFKA_ENV
#   with --security also: KAFKA_SASL_BOOTSTRAP (SASL_SSL listeners),
#   KAFKA_SASL_MECHANISM (PLAIN), KAFKA_SCRAM_MECHANISM (SCRAM-SHA-256),
#   KAFKA_SASL_USERNAME, KAFKA_CA (PEM file of the CA that signed the
#   brokers' certificate, for ssl.ca.location)
# A client then connects with
#   -b "$KAFKA_SASL_BOOTSTRAP" -X security.protocol=SASL_SSL
#   -X sasl.mechanisms="$KAFKA_SASL_MECHANISM" -X sasl.username="$KAFKA_SASL_USERNAME"
#   -X sasl.password="$KAFKA_SASL_PASSWORD" -X ssl.ca.location="$KAFKA_CA"
# The one user and its password are generated at `up` (test credentials of no
# value) and accepted by both mechanisms: SCRAM-SHA-256 credentials are
# created at format time (StorageTool format --add-scram), PLAIN ones in the
# listener's JAAS config. librdkafka before 2.6.1 (Debian 12 has 2.0.2, kcat
# with it) cannot authenticate with SCRAM to Kafka 4 brokers (the client-final
# nonce bug fixed in librdkafka#4895): hence PLAIN, over TLS, as the mechanism
# to use. No authorizer is configured, so the user may do everything.
#
# Broker settings: 4 partitions per auto-created topic, replication factor
# min(N, 3) everywhere (internal topics included), min.insync.replicas 2 from
# 3 nodes on, no initial rebalance delay, and message.max.bytes 10 MiB + 64 KiB
# (what `feedsense run` may write to its dead-letter topic by default).
# Needs java (17+), mvn (first fetch only), cc and librdkafka headers (for
# ktool.c, built into build/kafka-tools), kcat, jq, openssl (--security).
set -u

KAFKA_VERSION=4.4.0
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DIR=${FEEDSENSE_TEST_KAFKA_DIR:-build/kafka}
CACHE=${FEEDSENSE_TEST_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/feedsense/kafka-$KAFKA_VERSION}
START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
KTOOL=$root/build/kafka-tools/ktool

started="" # nodes `up` started: killed again when it fails
die() {
	echo "kafka.sh: $*" >&2
	for n in $started; do
		p=$(node_pid "$n")
		[ -n "$p" ] || continue
		kill -KILL "$p" 2>/dev/null
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	done
	[ -n "$started" ] && echo "kafka.sh: stopped the nodes started; logs stay in $DIR until kafka.sh down" >&2
	exit 1
}
now() { date +%s; }

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "$t is required but not installed (make deps)"
	done
}

# --- the jars -----------------------------------------------------------------
# The cache is complete when .complete holds the checksum of the pom it was
# fetched with; a fetch goes to a temporary sibling first, then is renamed.
fetch() {
	sum=$(cksum <"$here/pom.xml" | cut -d ' ' -f 1)
	if [ -f "$CACHE/.complete" ] && [ "$(cat "$CACHE/.complete")" = "$sum" ]; then
		return 0
	fi
	need mvn java
	mkdir -p "$(dirname "$CACHE")" || die "cannot create $(dirname "$CACHE")"
	part=$CACHE.part.$$
	rm -rf "$part"
	echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION jars into $CACHE" >&2
	if ! mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$part" >"$part.log" 2>&1; then
		tail -n 30 "$part.log" >&2
		rm -rf "$part" "$part.log"
		die "Maven could not fetch the Kafka jars (see above)"
	fi
	rm -f "$part.log"
	ls "$part"/kafka_2.13-$KAFKA_VERSION.jar >/dev/null 2>&1 || die "Maven fetched no kafka_2.13-$KAFKA_VERSION.jar"
	echo "$sum" >"$part/.complete"
	rm -rf "$CACHE"
	mv "$part" "$CACHE" 2>/dev/null || { rm -rf "$part"; [ -f "$CACHE/.complete" ] || die "cannot move the jars to $CACHE"; }
}

# ktool (tests/kafka/ktool.c): free ports, topic creation
ktool_build() {
	if [ ! -x "$KTOOL" ] || [ "$here/ktool.c" -nt "$KTOOL" ]; then
		need "${CC:-cc}"
		mkdir -p "$(dirname "$KTOOL")"
		${CC:-cc} -O1 -o "$KTOOL.$$" "$here/ktool.c" -lrdkafka 2>"$KTOOL.$$.log" ||
			{ cat "$KTOOL.$$.log" >&2; rm -f "$KTOOL.$$" "$KTOOL.$$.log"; die "cannot build $here/ktool.c"; }
		rm -f "$KTOOL.$$.log"
		mv "$KTOOL.$$" "$KTOOL"
	fi
}

# --- the cluster's state --------------------------------------------------------
load_env() {
	[ -f "$DIR/cluster.env" ] || die "no cluster in $DIR (kafka.sh up first)"
	. "$DIR/cluster.env"
}
node_dir() { echo "$DIR/node$1"; }
node_pid() { # the pid of a running node, or nothing
	p=$(cat "$(node_dir "$1")/pid" 2>/dev/null) || return 0
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
	return 0
}
check_node() {
	case $1 in '' | *[!0-9]*) die "bad node id '$1'" ;; esac
	[ -d "$(node_dir "$1")" ] || die "no node $1 in $DIR"
}

# jvm NODE: start the node's broker in the background
jvm() {
	d=$(node_dir "$1")
	# shellcheck disable=SC2086 # KAFKA_HEAP may hold several options
	java $HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Xss512k \
		-Djava.awt.headless=true -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
		-cp "$CACHE/*" kafka.Kafka "$d/server.properties" </dev/null >>"$d/kafka.log" 2>&1 &
	echo $! >"$d/pid"
}

# brokers_up BOOTSTRAP: the number of brokers in the cluster's metadata
brokers_up() {
	timeout 10 kcat -L -J -b "$1" -m 5 2>/dev/null | jq -r '.brokers | length' 2>/dev/null || echo 0
}

# wait_up BOOTSTRAP COUNT NODES...: until the metadata lists COUNT brokers and
# NODES are running; on timeout or a dead node: the log tail, exit 1
wait_up() {
	b=$1; want=$2; shift 2
	deadline=$(($(now) + START_TIMEOUT))
	while :; do
		for n in "$@"; do
			if [ -z "$(node_pid "$n")" ]; then
				show_log "$n" >&2
				if grep -q "Address already in use" "$(node_dir "$n")/kafka.log" 2>/dev/null; then
					die "node $n: port clash (Address already in use), see its log above"
				fi
				die "node $n exited while starting (log above)"
			fi
		done
		[ "$(brokers_up "$b")" -ge "$want" ] 2>/dev/null && return 0
		if [ "$(now)" -ge $deadline ]; then
			for n in "$@"; do show_log "$n" >&2; done
			die "the broker did not answer on $b within $START_TIMEOUT s (logs above)"
		fi
		sleep 0.5
	done
}

show_log() {
	f=$(node_dir "$1")/kafka.log
	echo "------- node $1: $f (last ${KAFKA_LOG_LINES:-60} lines) -------"
	tail -n "${KAFKA_LOG_LINES:-60}" "$f" 2>/dev/null
}

# gen_tls: a CA and a server certificate for 127.0.0.1 / localhost (PEM)
gen_tls() {
	need openssl
	t=$DIR/tls
	mkdir -p "$t"
	(
		cd "$t" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=feedsense test CA" \
			-keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign &&
			openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr &&
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 \
				-extfile server.ext -out server.crt &&
			openssl pkcs8 -topk8 -nocrypt -in server.key -out server.p8 &&
			cat server.p8 server.crt ca.pem >keystore.pem &&
			rm -f server.csr server.key server.p8 ca.srl
	) >"$t/openssl.log" 2>&1 || { cat "$t/openssl.log" >&2; die "openssl could not make the test certificates"; }
	chmod 600 "$t"/*.key "$t/keystore.pem"
}

secret() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# --- commands --------------------------------------------------------------------
up() {
	nodes=1 security=0
	while [ $# -gt 0 ]; do
		case $1 in
		--nodes) [ $# -ge 2 ] || die "--nodes needs a count"; nodes=$2; shift ;;
		--nodes=*) nodes=${1#--nodes=} ;;
		--security) security=1 ;;
		*) die "up: unknown option $1 (up [--nodes N] [--security])" ;;
		esac
		shift
	done
	case $nodes in '' | *[!0-9]* | 0) die "--nodes: expected a count from 1 to 9, got '$nodes'" ;; esac
	[ "$nodes" -le 9 ] || die "--nodes: at most 9"
	need java kcat jq timeout
	java -version >/dev/null 2>&1 || die "java does not run (java -version failed)"
	if [ -f "$DIR/cluster.env" ]; then
		for n in $(sed -n 's/^KAFKA_NODES=//p' "$DIR/cluster.env" | tr -d "'" | tr ',' ' '); do
			[ -n "$(node_pid "$n")" ] && die "a cluster is running in $DIR already (kafka.sh down first)"
		done
	fi
	if [ -e "$DIR" ] && [ ! -f "$DIR/cluster.env" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
		die "$DIR exists and is not a kafka.sh state dir (no cluster.env): not using it"
	fi
	fetch
	ktool_build
	rm -rf "$DIR"
	mkdir -p "$DIR" || die "cannot create $DIR"
	DIR=$(cd "$DIR" && pwd)
	if [ $nodes -eq 1 ]; then HEAP=${KAFKA_HEAP:--Xms64m -Xmx512m}; else HEAP=${KAFKA_HEAP:--Xms64m -Xmx384m}; fi
	rf=$nodes
	[ $rf -gt 3 ] && rf=3
	isr=1
	[ $rf -ge 3 ] && isr=2
	per=2
	[ $security = 1 ] && per=3
	ports=$("$KTOOL" ports $((nodes * per))) || die "no free loopback ports"
	port() { echo "$ports" | sed -n "$((($1 - 1) * per + $2))p"; } # port NODE K: K=1 broker, 2 controller, 3 SASL_SSL
	voters="" bootstrap="" sasl=""
	for n in $(seq 1 $nodes); do
		voters="$voters${voters:+,}$n@127.0.0.1:$(port $n 2)"
		bootstrap="$bootstrap${bootstrap:+,}127.0.0.1:$(port $n 1)"
		[ $security = 1 ] && sasl="$sasl${sasl:+,}127.0.0.1:$(port $n 3)"
	done
	cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c 1-22)
	# a leading '-' would read as an option of StorageTool (1 time in 64)
	case $cluster_id in -*) cluster_id=A${cluster_id#?} ;; esac
	user="" password="" scram=""
	if [ $security = 1 ]; then
		gen_tls
		user=feedsense-test-$(secret | cut -c 1-6)
		password=$(secret)
		scram="SCRAM-SHA-256=[name=$user,password=$password]"
	fi
	cat >"$DIR/log4j2.properties" <<-'EOF'
	# written by tests/kafka/kafka.sh: everything at INFO to stdout (the node's kafka.log)
	appender.out.type = Console
	appender.out.name = out
	appender.out.layout.type = PatternLayout
	appender.out.layout.pattern = [%d] %p %m (%c)%n
	rootLogger.level = INFO
	rootLogger.appenderRef.out.ref = out
	logger.request.name = kafka.request.logger
	logger.request.level = WARN
	logger.state.name = state.change.logger
	logger.state.level = WARN
	EOF
	for n in $(seq 1 $nodes); do
		d=$DIR/node$n
		mkdir -p "$d/data"
		{
			echo "# written by tests/kafka/kafka.sh: node $n of $nodes"
			echo "process.roles=broker,controller"
			echo "node.id=$n"
			echo "controller.quorum.voters=$voters"
			echo "controller.listener.names=CONTROLLER"
			echo "inter.broker.listener.name=PLAINTEXT"
			if [ $security = 1 ]; then
				echo "listeners=PLAINTEXT://127.0.0.1:$(port $n 1),CONTROLLER://127.0.0.1:$(port $n 2),SASL_SSL://127.0.0.1:$(port $n 3)"
				echo "advertised.listeners=PLAINTEXT://127.0.0.1:$(port $n 1),SASL_SSL://127.0.0.1:$(port $n 3)"
				echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL"
				echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256"
				echo "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user=\"$password\";"
				echo "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
				echo "ssl.keystore.type=PEM"
				echo "ssl.keystore.location=$DIR/tls/keystore.pem"
			else
				echo "listeners=PLAINTEXT://127.0.0.1:$(port $n 1),CONTROLLER://127.0.0.1:$(port $n 2)"
				echo "advertised.listeners=PLAINTEXT://127.0.0.1:$(port $n 1)"
				echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
			fi
			echo "log.dirs=$d/data"
			echo "num.partitions=4"
			echo "auto.create.topics.enable=true"
			echo "default.replication.factor=$rf"
			echo "min.insync.replicas=$isr"
			echo "offsets.topic.replication.factor=$rf"
			echo "offsets.topic.num.partitions=8"
			echo "transaction.state.log.replication.factor=$rf"
			echo "transaction.state.log.min.isr=$isr"
			echo "transaction.state.log.num.partitions=8"
			echo "share.coordinator.state.topic.replication.factor=$rf"
			echo "share.coordinator.state.topic.min.isr=$isr"
			echo "group.initial.rebalance.delay.ms=0"
			echo "message.max.bytes=10551296"
			echo "replica.fetch.max.bytes=10551296"
			echo "num.network.threads=2"
			echo "num.io.threads=4"
			echo "num.recovery.threads.per.data.dir=1"
			echo "background.threads=4"
		} >"$d/server.properties"
		chmod 600 "$d/server.properties" # with --security: the test user's password
		set -- format --config "$d/server.properties" --cluster-id "$cluster_id"
		[ $security = 1 ] && set -- "$@" --add-scram "$scram"
		if ! java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
			-cp "$CACHE/*" kafka.tools.StorageTool "$@" >"$d/format.log" 2>&1; then
			cat "$d/format.log" >&2
			die "node $n: formatting its storage failed (above)"
		fi
	done
	q() { printf "%s='%s'\n" "$1" "$2"; }
	{
		q KAFKA_DIR "$DIR"
		q KAFKA_NODES "$(seq -s , 1 $nodes)"
		q KAFKA_BOOTSTRAP "$bootstrap"
		q KAFKA_HEAP "$HEAP"
		if [ $security = 1 ]; then
			q KAFKA_SASL_BOOTSTRAP "$sasl"
			q KAFKA_SASL_MECHANISM PLAIN
			q KAFKA_SCRAM_MECHANISM SCRAM-SHA-256
			q KAFKA_SASL_USERNAME "$user"
			q KAFKA_SASL_PASSWORD "$password"
			q KAFKA_CA "$DIR/tls/ca.pem"
		fi
	} >"$DIR/cluster.env"
	chmod 600 "$DIR/cluster.env"
	for n in $(seq 1 $nodes); do
		jvm $n
		started="$started $n"
	done
	wait_up "$bootstrap" $nodes $(seq 1 $nodes)
	if [ $security = 1 ]; then
		# the SASL_SSL listener answers, with these credentials, over TLS verified by the CA
		timeout 20 kcat -L -b "$sasl" -m 10 -X security.protocol=SASL_SSL -X sasl.mechanisms=PLAIN \
			-X sasl.username="$user" -X sasl.password="$password" -X ssl.ca.location="$DIR/tls/ca.pem" \
			>"$DIR/sasl-check.log" 2>&1 ||
			{ cat "$DIR/sasl-check.log" >&2; die "the SASL_SSL listener $sasl does not accept the test user (above)"; }
	fi
	started=""
	grep -v '^KAFKA_SASL_PASSWORD=' "$DIR/cluster.env"
	echo "KAFKA_ENV='$DIR/cluster.env'"
	echo "$bootstrap"
}

# stop_nodes SIGNAL NODES...: signal the nodes, wait (bounded), SIGKILL the rest
stop_nodes() {
	sig=$1; shift
	for n in "$@"; do
		p=$(node_pid "$n")
		[ -n "$p" ] && kill "-$sig" "$p" 2>/dev/null
	done
	deadline=$(($(now) + STOP_TIMEOUT))
	for n in "$@"; do
		while [ -n "$(node_pid "$n")" ] && [ "$(now)" -lt $deadline ]; do sleep 0.2; done
		p=$(node_pid "$n")
		if [ -n "$p" ]; then
			echo "kafka.sh: node $n still running $STOP_TIMEOUT s after SIG$sig: SIGKILL" >&2
			kill -KILL "$p" 2>/dev/null
			while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
		fi
		rm -f "$(node_dir "$n")/pid"
	done
}

down() {
	[ -e "$DIR" ] || return 0
	if [ ! -f "$DIR/cluster.env" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
		die "$DIR is not a kafka.sh state dir (no cluster.env): not removing it"
	fi
	nodes=$(sed -n 's/^KAFKA_NODES=//p' "$DIR/cluster.env" 2>/dev/null | tr -d "'" | tr ',' ' ')
	# the data goes anyway: a short grace (a node that lost its quorum to the
	# others' exit would wait for it in its controlled shutdown)
	# shellcheck disable=SC2086
	[ -n "$nodes" ] && STOP_TIMEOUT=${KAFKA_DOWN_TIMEOUT:-5} stop_nodes TERM $nodes
	rm -rf "$DIR"
}

start_node() {
	check_node "$1"
	load_env
	[ -n "$(node_pid "$1")" ] && die "node $1 is running already"
	HEAP=$KAFKA_HEAP
	echo "----- kafka.sh start $1 -----" >>"$(node_dir "$1")/kafka.log"
	jvm "$1"
	# it is back when its own listener answers and the metadata lists it
	own=$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\/\([^,]*\).*/\1/p' "$(node_dir "$1")/server.properties")
	deadline=$(($(now) + START_TIMEOUT))
	while :; do
		[ -z "$(node_pid "$1")" ] && { show_log "$1" >&2; die "node $1 exited while starting (log above)"; }
		ids=$(timeout 10 kcat -L -J -b "$own" -m 5 2>/dev/null | jq -r '.brokers[].id' 2>/dev/null)
		echo "$ids" | grep -qx "$1" && return 0
		[ "$(now)" -ge $deadline ] && { show_log "$1" >&2; die "node $1 not back within $START_TIMEOUT s (log above)"; }
		sleep 0.5
	done
}

leader() {
	[ $# -eq 2 ] || die "usage: kafka.sh leader TOPIC PARTITION"
	load_env
	l=$(timeout 20 kcat -L -J -b "$KAFKA_BOOTSTRAP" -t "$1" -m 10 2>/dev/null |
		jq -r --arg t "$1" --argjson p "$2" '.topics[] | select(.topic == $t) | .partitions[] | select(.partition == $p) | .leader')
	[ -n "$l" ] && [ "$l" != null ] && [ "$l" -ge 0 ] 2>/dev/null || die "no leader known for $1 partition $2"
	echo "$l"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
up) up "$@" ;;
down) down ;;
stop) [ $# -eq 1 ] || die "usage: kafka.sh stop NODE"; check_node "$1"; stop_nodes TERM "$1" ;;
kill) [ $# -eq 1 ] || die "usage: kafka.sh kill NODE"; check_node "$1"; STOP_TIMEOUT=10 stop_nodes KILL "$1" ;;
start) [ $# -eq 1 ] || die "usage: kafka.sh start NODE"; start_node "$1" ;;
bootstrap) load_env; echo "$KAFKA_BOOTSTRAP" ;;
env) load_env; grep -v '^KAFKA_SASL_PASSWORD=' "$DIR/cluster.env"; echo "KAFKA_ENV='$DIR/cluster.env'" ;;
log)
	if [ $# -ge 1 ]; then check_node "$1"; show_log "$1"; else
		load_env
		for n in $(echo "$KAFKA_NODES" | tr ',' ' '); do show_log "$n"; done
	fi ;;
leader) leader "$@" ;;
topics) [ $# -ge 1 ] || die "usage: kafka.sh topics NAME:PARTITIONS[:REPLICAS]..."; load_env; ktool_build; "$KTOOL" create "$KAFKA_BOOTSTRAP" "$@" ;;
pid) [ $# -eq 1 ] || die "usage: kafka.sh pid NODE"; check_node "$1"; node_pid "$1" ;;
fetch) fetch; echo "$CACHE" ;;
*) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
