#!/bin/sh
# The deployment files under deploy/ (make check-deploy): they are not run
# here (no container runtime, no cluster), so this checks what can be
# checked without one:
#   1. every YAML file passes yamllint (deploy/.yamllint);
#   2. the Grafana dashboard is valid JSON and every metric its queries use
#      is one feedsense exposes (a renamed metric fails here): the names
#      come from the binary's /metrics (`feedsense run` and `feedsense
#      windows`) when it has the endpoint, else from the list below;
#   3. the shipped configurations (container, Kubernetes) pass
#      `feedsense check-config`;
#   4. the Dockerfile copies files that exist and are not excluded from the
#      build context, its build stage installs the package of every library
#      the Makefile links, and its runtime stage the package of every shared
#      library the binary needs;
#   5. the files docker-compose.yml and kustomization.yaml refer to exist,
#      the lexicon ConfigMap holds every lexicon file, and pipeline.workers
#      matches the Deployment's CPU limit;
#   6. the systemd units pass `systemd-analyze verify` without a warning;
#   7. with the tools present: `kubectl kustomize` builds the manifests (and
#      the SASL component), promtool accepts prometheus.yml and parses every
#      dashboard query, docker-compose accepts the compose file.
# Checks needing a missing optional tool say "skip" and do not count.
# Usage: tests/deploy/check.sh   (FEEDSENSE_BIN: the binary, default bin/feedsense)
. "$(dirname "$0")/../it/lib.sh"

D=deploy
skip() { echo "skip - $1"; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- metric names -------------------------------------------------------------
# The metrics the dashboard may use. When the binary serves /metrics
# (`feedsense run --metrics`), the names come from its own output instead
# (exposed_metrics below), and every name of this list must be among them.
METRICS="
feedsense_messages_consumed_total
feedsense_messages_scored_total
feedsense_messages_alerted_total
feedsense_messages_dead_lettered_total
feedsense_messages_by_label_total
feedsense_category_hits_total
feedsense_rule_hits_total
feedsense_rule_limit_hits_total
feedsense_produce_failures_total
feedsense_commit_failures_total
feedsense_consumer_lag_messages
feedsense_inflight_messages
feedsense_queue_depth_messages
feedsense_processing_seconds
feedsense_end_to_end_seconds
feedsense_ready
feedsense_assigned_partitions
feedsense_build_info
feedsense_lexicon_info
feedsense_broker_up
feedsense_windows_events_total
feedsense_windows_events_bad_total
feedsense_windows_events_late_total
feedsense_windows_key_overflow_total
feedsense_windows_alerts_total
feedsense_windows_alerts_failed_total
feedsense_windows_incidents_restored_total
feedsense_windows_open_incidents
feedsense_windows_tracked_keys
feedsense_windows_newest_event_time_seconds
feedsense_windows_ready
feedsense_windows_broker_up
"
# exposed_metrics FILE: the metric families `feedsense run` and `feedsense
# windows` serve, one a line, read from their /metrics on the embedded
# broker. Fails when the binary has no metrics endpoint or it cannot be read.
exposed_metrics() {
	"$FS" run --help | grep -q -- '--metrics' || return 1
	have curl || { echo "note - curl not installed: metric names from the list, not from the binary"; return 1; }
	start_broker || return 1
	"$FS" run -b "$BK" -L "$LEX" --metrics 127.0.0.1:0 >"$T/metrics-run.log" 2>&1 &
	pids="$pids $!"
	addr=""
	n=0
	while [ -z "$addr" ] && [ $n -lt 200 ]; do
		addr=$(sed -n 's#.*listening on http://\([^/]*\)/metrics.*#\1#p' "$T/metrics-run.log" | head -n 1)
		[ -n "$addr" ] || { sleep 0.1; n=$((n + 1)); }
	done
	if [ -z "$addr" ]; then
		bad "the pipeline serves /metrics" "$(tail -5 "$T/metrics-run.log")"
		stop_all
		return 1
	fi
	# ready (partitions assigned) before it is stopped, so no stop lands in the group join
	n=0
	while [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$addr/readyz")" != 200 ] && [ $n -lt 150 ]; do
		sleep 0.2; n=$((n + 1))
	done
	curl -s --max-time 5 "http://$addr/metrics" | sed -n 's/^# TYPE \([a-z0-9_]*\) .*/\1/p' >"$1.run"
	[ -s "$1.run" ] || { bad "the pipeline serves /metrics" "no # TYPE line from http://$addr/metrics"; stop_all; return 1; }
	# `feedsense windows` on the same broker
	"$FS" windows -b "$BK" --metrics 127.0.0.1:0 >"$T/metrics-windows.log" 2>&1 &
	pids="$pids $!"
	addr=""
	n=0
	while [ -z "$addr" ] && [ $n -lt 200 ]; do
		addr=$(sed -n 's#.*listening on http://\([^/]*\)/metrics.*#\1#p' "$T/metrics-windows.log" | head -n 1)
		[ -n "$addr" ] || { sleep 0.1; n=$((n + 1)); }
	done
	[ -n "$addr" ] && curl -s --max-time 5 "http://$addr/metrics" | sed -n 's/^# TYPE \([a-z0-9_]*\) .*/\1/p' >"$1.windows"
	stop_all
	if [ ! -s "$1.windows" ]; then
		bad "feedsense windows serves /metrics" "$(tail -5 "$T/metrics-windows.log")"
		return 1
	fi
	sort -u "$1.run" "$1.windows" >"$1"
}
# --- end of metric names ------------------------------------------------------

# 1. YAML
echo "# yamllint"
yamls=$(find "$D" -name '*.yml' -o -name '*.yaml' | sort)
for f in $yamls; do
	out=$(yamllint -c "$D/.yamllint" -s "$f" 2>&1) && ok "yamllint $f" || bad "yamllint $f" "$out"
done

# 2. the dashboard
echo "# Grafana dashboard"
dash=$D/grafana/dashboards/feedsense.json
if jq -e '.panels | length > 0' "$dash" >/dev/null 2>&1; then
	ok "$dash parses, has panels"
else
	bad "$dash parses, has panels" "$(jq . "$dash" 2>&1 | tail -3)"
fi
jq -r '[.. | .expr? // empty] | .[]' "$dash" >"$tmp/exprs" 2>/dev/null
n=$(wc -l <"$tmp/exprs")
[ "$n" -gt 0 ] && ok "dashboard has $n queries" || bad "dashboard has queries"
printf '%s\n' $METRICS >"$tmp/metrics"
if exposed_metrics "$tmp/exposed"; then
	ok "metric names read from the binary's /metrics ($(wc -l <"$tmp/exposed") families)"
	missing=""
	for m in $METRICS; do grep -qx "$m" "$tmp/exposed" || missing="$missing $m"; done
	[ -z "$missing" ] && ok "the binary exposes every metric of the list" \
		|| bad "the binary exposes every metric of the list" "not exposed:$missing"
	cp "$tmp/exposed" "$tmp/metrics"
fi
unknown=""
for m in $(grep -o 'feedsense_[a-z0-9_]*' "$tmp/exprs" | sort -u); do
	base=$m
	case $m in *_bucket | *_sum | *_count) base=${m%_*} ;; esac
	grep -qx "$m" "$tmp/metrics" || grep -qx "$base" "$tmp/metrics" || unknown="$unknown $m"
done
[ -z "$unknown" ] && ok "every metric in the dashboard's queries is exposed" \
	|| bad "every metric in the dashboard's queries is exposed" "unknown:$unknown"
missing=""
for m in feedsense_messages_consumed_total feedsense_messages_scored_total feedsense_consumer_lag_messages \
	feedsense_messages_by_label_total feedsense_category_hits_total feedsense_messages_alerted_total \
	feedsense_messages_dead_lettered_total feedsense_processing_seconds_bucket feedsense_end_to_end_seconds_bucket \
	feedsense_ready; do
	grep -q "$m" "$tmp/exprs" || missing="$missing $m"
done
[ -z "$missing" ] && ok "dashboard shows throughput, lag, sentiment, categories, alerts, dead letters, latency, readiness" \
	|| bad "dashboard shows throughput, lag, sentiment, categories, alerts, dead letters, latency, readiness" \
		"missing:$missing"

# 3. the shipped configurations pass check-config
echo "# configurations"
for ini in $D/feedsense.container.ini $D/k8s/feedsense.ini; do
	f=$ini
	out=$("$FS" check-config -c "$f" -L "$LEX" 2>&1) \
		&& ok "check-config $ini" || bad "check-config $ini" "$out"
done
grep -q '^listen *= *0\.0\.0\.0:9464$' $D/feedsense.container.ini \
	&& ok "container configuration: metrics on all interfaces, port 9464" \
	|| bad "container configuration: metrics on all interfaces, port 9464"
for ini in $D/feedsense.container.ini $D/k8s/feedsense.ini; do
	grep -q '^metrics_listen *= *0\.0\.0\.0:9465$' "$ini" \
		&& ok "$ini: windows metrics on all interfaces, port 9465" \
		|| bad "$ini: windows metrics on all interfaces, port 9465"
done
# the windows Deployment probes the endpoints its configuration opens
w=$D/k8s/windows.yaml
if grep -q 'containerPort: 9465' "$w" && grep -q 'path: /healthz' "$w" && grep -q 'path: /readyz' "$w" \
	&& grep -q 'prometheus.io/port: "9465"' "$w"; then
	ok "windows Deployment: port 9465, probes on /healthz and /readyz, scrape annotation"
else
	bad "windows Deployment: port 9465, probes on /healthz and /readyz, scrape annotation"
fi
grep -q '9465/healthz' $D/docker-compose.yml && grep -q 'port: 9465' $D/prometheus/prometheus.yml \
	&& ok "compose: windows health check on 9465, Prometheus scrapes it" \
	|| bad "compose: windows health check on 9465, Prometheus scrapes it"

# 4. the Dockerfile
echo "# Dockerfile"
df=$D/Dockerfile
missing=""
set -f # .dockerignore patterns are not for the shell to expand
for src in $(awk '/^COPY / && !/--from=/ { for (i = 2; i < NF; i++) print $i }' "$df"); do
	[ -e "$src" ] || missing="$missing $src"
	for ex in $(grep -v '^#' .dockerignore); do
		case "$src" in "${ex%/}" | "${ex%/}"/*) missing="$missing $src(excluded by .dockerignore)" ;; esac
	done
done
set +f
[ -z "$missing" ] && ok "Dockerfile copies files that exist" || bad "Dockerfile copies files that exist" "$missing"
grep -q '^EXPOSE 9464$' "$df" && grep -q '^HEALTHCHECK .*' "$df" && grep -q '/healthz' "$df" \
	&& grep -q '^USER 10001' "$df" && ok "Dockerfile: non-root user, port 9464, health check on /healthz" \
	|| bad "Dockerfile: non-root user, port 9464, health check on /healthz"
# the build stage: from the first FROM to the second
awk '/^FROM /{ n++ } n == 1' "$df" >"$tmp/buildstage"
if have dpkg; then
	devs_missing=""
	for l in $(make -pn 2>/dev/null | sed -n 's/^LDLIBS :*= //p' | tr ' ' '\n' | sed -n 's/^-l//p'); do
		f=$(${CC:-cc} -print-file-name="lib$l.so")
		case $f in /*) ;; *) f=$(${CC:-cc} -print-file-name="lib$l.a") ;; esac
		f=$(realpath -s "$f")
		pkg=$(dpkg -S "$f" 2>/dev/null || dpkg -S "/usr$f" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null)
		pkg=$(printf '%s\n' "$pkg" | head -n 1 | cut -d: -f1)
		case $pkg in
		"") devs_missing="$devs_missing -l$l(no Debian package found)" ;;
		*) grep -qw "$pkg" "$tmp/buildstage" || devs_missing="$devs_missing -l$l($pkg)" ;;
		esac
	done
	[ -z "$devs_missing" ] && ok "build stage installs the package of every library the Makefile links" \
		|| bad "build stage installs the package of every library the Makefile links" "missing:$devs_missing"
else
	skip "build-stage packages (needs dpkg)"
fi
# the runtime stage: everything after the last FROM
awk '/^FROM /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$df" >"$tmp/runtime"
if have objdump && have dpkg; then
	libs_missing=""
	for so in $(objdump -p "$FS" | awk '$1 == "NEEDED" { print $2 }'); do
		path=$(ldconfig -p | awk -v so="$so" '$1 == so { print $NF; exit }')
		# merged /usr: the loader may name /lib/..., dpkg /usr/lib/...
		pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null)
		pkg=$(printf '%s\n' "$pkg" | head -n 1 | cut -d: -f1)
		case $pkg in
		libc6) ;; # in every Debian image
		"") libs_missing="$libs_missing $so(no Debian package found)" ;;
		*) grep -qw "$pkg" "$tmp/runtime" || libs_missing="$libs_missing $so($pkg)" ;;
		esac
	done
	[ -z "$libs_missing" ] && ok "runtime image installs every library the binary links against" \
		|| bad "runtime image installs every library the binary links against" "missing:$libs_missing"
else
	skip "runtime libraries (needs objdump and dpkg)"
fi

# 5. compose and kustomize references
echo "# compose and kustomize"
compose=$D/docker-compose.yml
missing=""
for p in $(grep -o '\./[A-Za-z0-9_./-]*:' "$compose" | tr -d ':'); do
	[ -e "$D/$p" ] || missing="$missing $p"
done
grep -q 'dockerfile: deploy/Dockerfile' "$compose" || missing="$missing deploy/Dockerfile"
[ -z "$missing" ] && ok "docker-compose.yml mounts files that exist" || bad "docker-compose.yml mounts files that exist" "$missing"
kz=$D/k8s/kustomization.yaml
missing=""
for p in $(sed -n 's/^ *- \([A-Za-z0-9_./-]*\.\(yaml\|ini\|tsv\|conf\)\)$/\1/p' "$kz"); do
	[ -e "$D/k8s/$p" ] || missing="$missing $p"
done
for f in lexicons/*.tsv lexicons/*.conf; do
	grep -q "^ *- \.\./\.\./$f\$" "$kz" || missing="$missing $f(not in the lexicon ConfigMap)"
done
[ -z "$missing" ] && ok "kustomization.yaml: its files exist, every lexicon file is in the ConfigMap" \
	|| bad "kustomization.yaml: its files exist, every lexicon file is in the ConfigMap" "$missing"
workers=$(sed -n 's/^workers *= *\([0-9]*\)$/\1/p' $D/k8s/feedsense.ini)
cpu=$(awk '/limits:/ { l = 1 } l && /cpu:/ { gsub(/"/, "", $2); print $2; exit }' $D/k8s/deployment.yaml)
eq "pipeline.workers = the Deployment's CPU limit" "$cpu" "$workers"

# 6. systemd
echo "# systemd"
if have systemd-analyze; then
	mkdir -p "$tmp/units"
	binabs=$(cd "$(dirname "$FS")" && pwd)/$(basename "$FS")
	for u in $D/systemd/*.service; do
		sed "s#/usr/local/bin/feedsense#$binabs#g" "$u" >"$tmp/units/$(basename "$u")"
	done
	for u in "$tmp"/units/*.service; do
		# verify exits 0 on unknown keys and bad values: any output fails
		out=$(systemd-analyze verify "$u" 2>&1)
		rc=$?
		[ $rc -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify $(basename "$u")" \
			|| bad "systemd-analyze verify $(basename "$u")" "$out"
	done
else
	skip "systemd units (systemd-analyze not installed)"
fi

# 7. with the optional tools
echo "# optional tools"
if have kubectl; then
	out=$(kubectl kustomize --load-restrictor LoadRestrictionsNone $D/k8s 2>&1 >"$tmp/k8s.yaml") \
		&& ok "kubectl kustomize deploy/k8s" || bad "kubectl kustomize deploy/k8s" "$out"
	mkdir -p "$tmp/overlay"
	k8s=$(realpath --relative-to="$tmp/overlay" $D/k8s) # kustomize refuses absolute paths
	printf 'resources:\n  - %s\ncomponents:\n  - %s/sasl\n' "$k8s" "$k8s" >"$tmp/overlay/kustomization.yaml"
	if out=$(kubectl kustomize --load-restrictor LoadRestrictionsNone "$tmp/overlay" 2>&1 >"$tmp/sasl.yaml"); then
		n=$(grep -c 'name: FEEDSENSE_KAFKA_SASL_PASSWORD' "$tmp/sasl.yaml")
		eq "the SASL component passes the password to both Deployments" 2 "$n"
		grep -q 'sasl.password=' "$tmp/sasl.yaml" \
			&& bad "no password on a command line" || ok "no password on a command line"
	else
		bad "kubectl kustomize with the SASL component" "$out"
	fi
else
	skip "kustomize build (kubectl not installed)"
fi
if have promtool; then
	out=$(promtool check config $D/prometheus/prometheus.yml 2>&1) \
		&& ok "promtool check config" || bad "promtool check config" "$out"
	{
		echo "groups:"
		echo "  - name: dashboard"
		echo "    rules:"
		i=0
		sed -e 's/\$__rate_interval/1m/g; s/\$__range/1h/g; s/\$job/.*/g' "$tmp/exprs" | while IFS= read -r e; do
			i=$((i + 1))
			printf '      - record: dashboard:query%d\n        expr: %s\n' $i "$(printf '%s' "$e" | jq -Rs .)"
		done
	} >"$tmp/rules.yml"
	out=$(promtool check rules "$tmp/rules.yml" 2>&1) \
		&& ok "promtool parses every dashboard query" || bad "promtool parses every dashboard query" "$out"
else
	skip "Prometheus configuration and queries (promtool not installed)"
fi
if have docker-compose; then
	out=$(docker-compose -f $compose config -q 2>&1) && ok "docker-compose config" || bad "docker-compose config" "$out"
else
	skip "compose file schema (docker-compose not installed)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
