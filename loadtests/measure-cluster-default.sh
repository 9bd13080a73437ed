#!/usr/bin/env bash
# measure-cluster-default.sh: decide CLUSTER_ENABLED's default.
#
# One process with GOMAXPROCS=2 (CLUSTER_ENABLED=false) against CLUSTER_WORKERS=2
# (CLUSTER_ENABLED=true, each worker GOMAXPROCS=1), interleaved in one sitting
# (the order of the two alternates every round), on GET /health/live and a cached
# GET /api/agents/:id with a session cookie, at 256 and 5,000 connections
# (wrk -t2). Same providers both ways: in-memory stores and cache (identical
# seeded data in every worker) and Redis sessions, so one login works on every
# worker. Each run: 2 s warm-up (excluded), then D seconds measured; server CPU
# (primary + workers, /proc/PID/stat) per request is printed beside req/s and p99.
# At the end: the median per figure and the ratio cluster/single.
#
#   BIN=bin/echosenseix D=10 ROUNDS=3 loadtests/measure-cluster-default.sh
#
# Knobs: BIN, PORT (5700), D (10 s), ROUNDS (3), CONNS ("256 5000"),
# REDIS_URL (redis://127.0.0.1:6379/0), OUT (a temp dir: raw wrk output).
set -euo pipefail
BIN=${BIN:-bin/echosenseix}; PORT=${PORT:-5700}; D=${D:-10}; ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-256 5000}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
OUT=${OUT:-$(mktemp -d)}; mkdir -p "$OUT"
SEED=$OUT/seed.json; PW=measure-pass-1
ulimit -n 20000
SP=
start() {
	env -i PATH="$PATH" HOME="$HOME" PORT="$PORT" HOST=127.0.0.1 LOG_LEVEL=error SESSION_STORE=redis REDIS_URL="$REDIS_URL" \
		SEED_ORGS=1 SEED_USERS=1 SEED_AGENTS=1 SEED_PASSWORD=$PW SEED_OUT="$SEED" "$@" "$BIN" serve >>"$OUT/server.log" 2>&1 &
	SP=$!
	for _ in $(seq 300); do
		if [ "$(curl -s "127.0.0.1:$PORT/health" | grep -o '"state":"ready"' | wc -l)" -ge "${WANT_READY:-0}" ] &&
			curl -sf "127.0.0.1:$PORT/health/ready" >/dev/null; then return; fi
		sleep 0.1
	done
	echo "server did not start; see $OUT/server.log" >&2; exit 1
}
stop() { [ -n "$SP" ] || return 0; kill -TERM "$SP" 2>/dev/null || true; wait "$SP" || true; SP=; }
trap 'stop' EXIT
login() {
	EMAIL=$(jq -r '.organizations[0].users[0].email' "$SEED"); AGENT=$(jq -r '.organizations[0].agents[0].id' "$SEED")
	COOKIE=$(curl -si -H 'content-type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}" \
		"127.0.0.1:$PORT/api/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "127.0.0.1:$PORT/api/agents/$AGENT")
	[ "$code" = 200 ] || { echo "cached read answers $code, not 200" >&2; exit 1; }
}
cpu() { # CPU ticks of the server's process tree (primary and workers)
	local t=0 p
	for p in $SP $(pgrep -P "$SP" || true); do
		t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo $t
}
run() { # mode round conns name path [header]
	local h=() c0 c1 o
	[ -n "${6:-}" ] && h=(-H "$6")
	wrk -t2 -c"$3" -d2s "${h[@]}" "http://127.0.0.1:$PORT$5" >/dev/null
	c0=$(cpu)
	o=$(wrk -t2 -c"$3" -d"${D}"s --latency "${h[@]}" "http://127.0.0.1:$PORT$5")
	c1=$(cpu)
	echo "$o" >"$OUT/$1-r$2-c$3-$4.txt"
	echo "$o" | awk -v m="$1" -v r="$2" -v c="$3" -v n="$4" -v dt=$((c1 - c0)) '
		/ requests in /{q=$1} /Requests\/sec/{rps=$2}
		/ 99%/{p=$2; if (p ~ /us$/) p = p / 1000; else if (p ~ /ms$/) p = p + 0; else if (p ~ /s$/) p = p * 1000}
		/Socket errors|Non-2xx/{e=e" ["$0"]"}
		END{printf "RESULT %-7s r%s c%-5s %-6s %10s req/s  p99 %8.2f ms  cpu %6.2f us/req%s\n", m, r, c, n, rps, p, dt*10000/q, e}' |
		tee -a "$OUT/results.txt"
}
echo "load average at start: $(cat /proc/loadavg)  nproc $(nproc)  out $OUT"
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then modes="single cluster"; else modes="cluster single"; fi
	for mode in $modes; do
		if [ "$mode" = single ]; then
			WANT_READY=0 start CLUSTER_ENABLED=false GOMAXPROCS=2
		else
			WANT_READY=2 start CLUSTER_ENABLED=true CLUSTER_WORKERS=2
		fi
		login
		for c in $CONNS; do
			run "$mode" "$r" "$c" live /health/live
			run "$mode" "$r" "$c" agent "/api/agents/$AGENT" "Cookie: $COOKIE"
		done
		stop
	done
done
echo "load average at end: $(cat /proc/loadavg)"
# Medians per figure and the ratio cluster/single.
printf "\n%-12s %-6s %12s %12s %8s %14s %14s %16s\n" conns path "single rps" "cluster rps" ratio "single p99 ms" "cluster p99 ms" "us/req s / c"
awk '/^RESULT/{k=$4" "$5; v[$2" "k]=v[$2" "k]" "$6; p[$2" "k]=p[$2" "k]" "$9; u[$2" "k]=u[$2" "k]" "$12; keys[k]=1}
function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((n + 1) / 2)] }
END { for (k in keys) { s = med(v["single " k]); c = med(v["cluster " k])
		printf "%-12s %-6s %12s %12s %8.2f %14s %14s %7s / %-7s\n", substr(k, 1, index(k, " ") - 1), substr(k, index(k, " ") + 1), s, c, c / s,
			med(p["single " k]), med(p["cluster " k]), med(u["single " k]), med(u["cluster " k]) } }' "$OUT/results.txt" | sort
