#!/usr/bin/env bash
# measure-wrk-ratios.sh: nginx static 200 vs bin/echosenseix (one process, in-memory)
# GET /health/live and cached GET /api/agents/:id with a session cookie, wrk beside both.
# Run from the repository root after `make build`; needs nginx, wrk, jq and curl.
# Output: $OUT (default loadtests/reports/wrk-ratios-<timestamp>/); its stdout is results.txt of a
# committed run (loadtests/results/wrk-ratios-<timestamp>/).
# Warm-up 3 s c256 each, then 3 interleaved rounds of 10 s at -t2 -c256, then one at c1000.
# Server CPU from /proc/PID/stat (utime+stime of the process and its children's live threads).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/echosenseix}; PORT=5710; D=${D:-10}; ROUNDS=${ROUNDS:-3}
OUT=${OUT:-loadtests/reports/wrk-ratios-$(date -u +%Y%m%dT%H%M%SZ)}; mkdir -p "$OUT/wrk" "$OUT/nginx"
OUT=$(cd "$OUT" && pwd)
ulimit -n 20000
SEED=$OUT/seed.json; PW=$(head -c 18 /dev/urandom | base64 | tr -dc A-Za-z0-9)  # throwaway demo login, never stored
# The nginx peer: loadtests/measure-wrk-ratios.nginx.conf with its runtime files under $OUT/nginx.
sed "s|@DIR@|$OUT/nginx|g" loadtests/measure-wrk-ratios.nginx.conf >"$OUT/nginx/nginx.conf"
nginx -c "$OUT/nginx/nginx.conf" -g 'daemon off;' & NGX=$!
env -i PATH="$PATH" HOME="$HOME" PORT=$PORT HOST=127.0.0.1 LOG_LEVEL=warn CLUSTER_ENABLED=false \
  SEED_ORGS=1 SEED_USERS=1 SEED_AGENTS=1 SEED_PASSWORD=$PW SEED_OUT=$SEED "$BIN" serve >$OUT/server.log 2>&1 & SP=$!
trap 'kill -TERM $SP $NGX 2>/dev/null; wait' EXIT
for _ in $(seq 100); do curl -sf 127.0.0.1:$PORT/health/live >/dev/null && curl -sf 127.0.0.1:8088/ >/dev/null && break; sleep 0.1; done
EMAIL=$(jq -r '.organizations[0].users[0].email' $SEED); AGENT=$(jq -r '.organizations[0].agents[0].id' $SEED)
COOKIE=$(curl -si -H 'content-type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}" \
  127.0.0.1:$PORT/api/login | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
echo "cookie: ${COOKIE%%=*}=...; agent $AGENT; status: $(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" 127.0.0.1:$PORT/api/agents/$AGENT)"
cpu() { # total ticks of the pid and its children
  local t=0 p
  for p in $1 $(pgrep -P $1 || true); do
    t=$((t + $(awk '{print $14+$15}' /proc/$p/stat)))
  done; echo $t; }
run() { # label conns url pid [header]
  local h=(); [ -n "${5:-}" ] && h=(-H "$5")
  local c0 c1 o; c0=$(cpu $4)
  o=$(wrk -t2 -c$2 -d${D}s --latency "${h[@]}" $3)
  c1=$(cpu $4)
  echo "$o" > "$OUT/wrk/$1-c$2-$(date +%s%N).txt"
  echo "$o" | awk -v l="$1" -v c=$2 -v dt=$((c1-c0)) '
    / requests in /{n=$1} /Requests\/sec/{r=$2} / 99%/{p=$2} /Socket errors|Non-2xx/{e=e" ["$0"]"}
    END{printf "%-8s c%-5s %10s req/s  p99 %9s  cpu %6.2f us/req %s\n", l, c, r, p, dt*10000/n, e}'
}
URL_N=http://127.0.0.1:8088/; URL_L=http://127.0.0.1:$PORT/health/live; URL_A=http://127.0.0.1:$PORT/api/agents/$AGENT
echo "load: $(cat /proc/loadavg)"
wrk -t2 -c256 -d3s $URL_N >/dev/null; wrk -t2 -c256 -d3s $URL_L >/dev/null; wrk -t2 -c256 -d3s -H "Cookie: $COOKIE" $URL_A >/dev/null
for r in $(seq $ROUNDS); do
  case $r in 1) order="N L A";; 2) order="L A N";; *) order="A N L";; esac
  for x in $order; do
    case $x in N) run nginx 256 $URL_N $NGX;; L) run live 256 $URL_L $SP;; A) run agent 256 $URL_A $SP "Cookie: $COOKIE";; esac
  done
done
run nginx 1000 $URL_N $NGX; run live 1000 $URL_L $SP; run agent 1000 $URL_A $SP "Cookie: $COOKIE"
echo "load end: $(cat /proc/loadavg)"
