#!/usr/bin/env bash
# run-connections.sh: the realtime and cluster connection proofs, end to end.
#
#   loadtests/run-connections.sh ws   [wsload flags...]   # 100,000 WebSockets, 5 min, 1 event/s to a 10,000-socket org
#   loadtests/run-connections.sh http [wsload flags...]   # 60,000 keep-alive HTTP connections, a request every 10 s each
#
# It builds bin/echosenseix and bin/wsload, starts the server as a cluster
# (CLUSTER_WORKERS=8, Redis event bus and sessions so every worker fans out
# and knows every login, in-memory stores with an in-memory seed, the
# dedicated REALTIME_PORT), waits for readiness, runs wsload, writes
# everything to loadtests/results/<name>-<timestamp>/ and stops what it
# started, also on failure or Ctrl-C. Exit code: wsload's (0 goals held,
# 1 missed, 2 setup error).
#
# Knobs (environment): CONNS, HOLD, NAME, WORKERS (8), PORT (5700),
# REALTIME_PORT (5701), REDIS_URL (redis://127.0.0.1:6379/0), SEED_ORGS
# (100), SEED_USERS (10), NETPOLL_BUFFER (1024), LISTEN_MODE (shared),
# NO_BUILD=1 to reuse the binaries.
#
# No sysctl is changed: 8 source addresses (127.0.0.2-9) x the default
# ephemeral range (32768-60999, ~28k ports) cover 100k connections, the
# accept backlog (net.core.somaxconn=4096) absorbs the 2,000 conn/s ramp,
# and the open-file limit (20,000, not raisable here) is respected by
# spreading over 12 generator processes and 8 workers.
set -euo pipefail

mode=${1:-ws}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

case $mode in
ws) conns=${CONNS:-100000}; hold=${HOLD:-5m} ;;
http) conns=${CONNS:-60000}; hold=${HOLD:-2m} ;;
*) echo "usage: $0 ws|http [wsload flags...]" >&2; exit 2 ;;
esac
name=${NAME:-$mode-$conns}
port=${PORT:-5700}
rtport=${REALTIME_PORT:-5701}
workers=${WORKERS:-8}
redis=${REDIS_URL:-redis://127.0.0.1:6379/0}
out=loadtests/results/$name-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"

if [ "${NO_BUILD:-}" != 1 ]; then
	go build -trimpath -o bin/echosenseix ./server/cmd/echosenseix
	go build -trimpath -o bin/wsload ./loadtests/cmd/wsload
fi

server_pid=
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
	echo "date: $(date -u +%FT%TZ)"
	echo "mode: $mode conns: $conns hold: $hold workers: $workers"
	echo "nproc: $(nproc) loadavg: $(cat /proc/loadavg)"
	echo "ulimit -n: $(ulimit -n) (hard $(ulimit -Hn))"
	sysctl net.ipv4.ip_local_port_range net.core.somaxconn net.ipv4.tcp_max_syn_backlog 2>/dev/null || true
} >"$out/env.txt"

# The server: a cluster primary and its workers, in-memory stores seeded
# identically in every worker, Redis for the event bus and the sessions.
env CLUSTER_ENABLED=true CLUSTER_WORKERS="$workers" CLUSTER_LISTEN_MODE="${LISTEN_MODE:-shared}" \
	PORT="$port" HOST=127.0.0.1 REALTIME_PORT="$rtport" REALTIME_NETPOLL_BUFFER="${NETPOLL_BUFFER:-1024}" \
	REDIS_URL="$redis" SESSION_STORE=redis DATABASE_URL= LOG_LEVEL=warn \
	bin/echosenseix serve --seed-orgs "${SEED_ORGS:-100}" --seed-users "${SEED_USERS:-10}" --seed-agents 1 \
	--seed-out "$out/seed.json" >"$out/server.log" 2>&1 &
server_pid=$!
echo "server pid $server_pid, results in $out" >&2

for i in $(seq 1 300); do
	if curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null; then
		break
	fi
	if ! kill -0 "$server_pid" 2>/dev/null || [ "$i" = 300 ]; then
		echo "server did not become ready; see $out/server.log" >&2
		exit 2
	fi
	sleep 0.2
done
# Every worker ready (/health lists the workers and their state).
for i in $(seq 1 150); do
	ready=$(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null | grep -o '"state":"ready"' | wc -l || true)
	[ "$ready" -ge "$workers" ] && break
	sleep 0.2
done

if [ "$mode" = ws ]; then
	args=(--mode ws --conns "$conns" --target "127.0.0.1:$rtport" --base-url "http://127.0.0.1:$port"
		--seed "$out/seed.json" --hold "$hold" --events-per-sec 1)
else
	args=(--mode http --conns "$conns" --target "127.0.0.1:$port" --hold "$hold" --http-every 10s)
fi
echo "bin/wsload ${args[*]} --server-pid $server_pid --name $name --out $out $*" >"$out/command.txt"
set +e
bin/wsload "${args[@]}" --server-pid "$server_pid" --name "$name" --out "$out" "$@" 2> >(tee "$out/wsload.log" >&2)
code=$?
set -e
echo "wsload exit $code; report: $out/report.md" >&2
exit $code
