#!/usr/bin/env bash
# measure-sessions-redis.sh: Redis sessions, an OLD binary vs a NEW one (measured: OLD built
# at commit de82723, one GETEX per request; NEW client-side cached), and NEW with memory
# sessions for reference: cached GET /api/agents/:id with a session cookie,
# one process each (GOMAXPROCS=2), in-memory stores, CACHE_PROVIDER=redis for the Redis ones.
# Warm-up 3 s each, then 3 interleaved rounds of wrk -t2 -c256 -d10s; server CPU from /proc.
# Usage: OLD=path/to/old/echosenseix NEW=bin/echosenseix loadtests/measure-sessions-redis.sh
# Needs Redis on 127.0.0.1:6379 (databases 1 and 2 are used), wrk, jq and curl.
set -euo pipefail
: "${OLD:?set OLD to the baseline echosenseix binary}"; NEW=${NEW:-bin/echosenseix}; D=${D:-10}; ROUNDS=${ROUNDS:-3}
OUT=${OUT:-loadtests/reports/sessions-redis-$(date -u +%Y%m%dT%H%M%SZ)}; mkdir -p $OUT; ulimit -n 20000; PW=$(head -c 18 /dev/urandom | base64 | tr -dc A-Za-z0-9)  # throwaway demo login, never stored
start() { # name bin port extra-env...
  local n=$1 b=$2 p=$3; shift 3
  env -i PATH="$PATH" HOME="$HOME" PORT=$p HOST=127.0.0.1 LOG_LEVEL=warn CLUSTER_ENABLED=false \
    SEED_ORGS=1 SEED_USERS=1 SEED_AGENTS=1 SEED_PASSWORD=$PW SEED_OUT=$OUT/seed-$n.json "$@" "$b" serve >$OUT/server-$n.log 2>&1 &
  echo $!; }
R="REDIS_URL=redis://127.0.0.1:6379/0"
PO=$(start old $OLD 5721 REDIS_URL=redis://127.0.0.1:6379/1 SESSION_STORE=redis CACHE_PROVIDER=redis)
PN=$(start new $NEW 5722 REDIS_URL=redis://127.0.0.1:6379/2 SESSION_STORE=redis CACHE_PROVIDER=redis)
PM=$(start mem $NEW 5723)
trap 'kill -TERM $PO $PN $PM 2>/dev/null; wait' EXIT
for p in 5721 5722 5723; do for _ in $(seq 100); do curl -sf 127.0.0.1:$p/health/live >/dev/null && break; sleep 0.1; done; done
declare -A URL CK PID=([old]=$PO [new]=$PN [mem]=$PM) PORT=([old]=5721 [new]=5722 [mem]=5723)
for n in old new mem; do
  p=${PORT[$n]}; S=$OUT/seed-$n.json
  EMAIL=$(jq -r '.organizations[0].users[0].email' $S); AGENT=$(jq -r '.organizations[0].agents[0].id' $S)
  CK[$n]=$(curl -si -H 'content-type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}" \
    127.0.0.1:$p/api/login | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
  URL[$n]=http://127.0.0.1:$p/api/agents/$AGENT
  echo "$n: status $(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: ${CK[$n]}" ${URL[$n]})"
done
cpu() { local t=0 p; for p in $1 $(pgrep -P $1 || true); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
run() { local n=$1 c0 c1 o; c0=$(cpu ${PID[$n]}); o=$(wrk -t2 -c256 -d${D}s --latency -H "Cookie: ${CK[$n]}" ${URL[$n]}); c1=$(cpu ${PID[$n]})
  echo "$o" | awk -v l="$n" -v dt=$((c1-c0)) '/ requests in /{n=$1} /Requests\/sec/{r=$2} / 99%/{p=$2} /Socket errors|Non-2xx/{e=e" ["$0"]"}
    END{printf "%-4s %10s req/s  p99 %9s  cpu %6.2f us/req %s\n", l, r, p, dt*10000/n, e}'; }
echo "load: $(cat /proc/loadavg)"
for n in old new mem; do wrk -t2 -c256 -d3s -H "Cookie: ${CK[$n]}" ${URL[$n]} >/dev/null; done
for r in $(seq $ROUNDS); do
  case $r in 1) order="old new mem";; 2) order="new mem old";; *) order="mem old new";; esac
  for n in $order; do run $n; done
done
echo "load end: $(cat /proc/loadavg)"
