#!/usr/bin/env bash
# One command for the intake benchmark of issue 11: the release hotlined and Redis 7
# (appendfsync always, the reference for durable small writes) driven by the same C load
# client (blaster.c, its own process), in one run. Prints blaster's RESULT lines and the
# daemon's CPU per receipt (user + system time of hotlined / receipts).
#   Tests/Bench/side-by-side.sh            (needs gcc; redis-server optional)
#   HOTLINED=other/.build/release/hotlined REDIS=no Tests/Bench/side-by-side.sh
#                                          (another build, for an A/B; without the Redis part)
#   PROFILE=1 Tests/Bench/side-by-side.sh  (also: perf record of hotlined during the 64 x 16 run,
#                                           then its threads and top functions; needs perf)
set -euo pipefail
cd "$(dirname "$0")/../.."
hotlined=${HOTLINED:-.build/release/hotlined}
[ -n "${HOTLINED:-}" ] || swift build -c release --product hotlined 2>&1 | tail -n 1
work=$(mktemp -d)
gcc -O2 -pthread -o "$work/blaster" Tests/Bench/blaster.c
cp -r Config/ninh-binh "$work/"
cp Config/gateways.tokens "$work/"
awk '/^HL-/ {print $1, "demo-" $1}' Config/gateways.tokens > "$work/tokens.txt"
cat > "$work/hotlined.toml" <<TOML
[server]
listen = "127.0.0.1:7390"
name = "bench"
[directory]
path = "ninh-binh"
[gateways]
tokens = "gateways.tokens"
[limits]
rate = 1000000
burst = 1000000
max_connections = 100000
max_connections_per_peer = 100000
max_unauthenticated = 100000
max_unauthenticated_per_peer = 100000
pre_auth_rate = 1000000
pre_auth_burst = 1000000
TOML
run_as=()
if [ "$(id -u)" -eq 0 ]; then  # as deployed: an unprivileged user without capabilities
  chown -R nobody:nogroup "$work"
  run_as=(setpriv --reuid nobody --regid nogroup --init-groups --no-new-privs --bounding-set=-all)
fi
daemon() {  # daemon LOAD-ARGS...: a fresh daemon, one load, its CPU per receipt
  rm -rf "$work/data"
  "${run_as[@]}" "$hotlined" --config "$work/hotlined.toml" --log-level warning 2>"$work/log" &
  local pid=$!
  for _ in $(seq 100); do grep -q . "$work/log" 2>/dev/null && break; sleep 0.05; done; sleep 0.5
  local t0 t1 out
  t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
  local perfpid=
  if [ -n "${PROFILE:-}" ] && [ -z "${profiled:-}" ]; then
    profiled=1
    perf record -q -F 999 -g -o "$work/perf.data" -p "$(pgrep -n -x hotlined)" 2>/dev/null &
    perfpid=$!
  fi
  out=$(env "$@")
  t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
  if [ -n "$perfpid" ]; then
    kill -INT "$perfpid"; wait "$perfpid" || true
    echo "-- profile of hotlined during this load: samples per thread"
    perf report -i "$work/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8 || true
    echo "-- top functions (self)"
    perf report -i "$work/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' \
      | head -25 | swift demangle --simplified | cut -c1-160 || true
    echo "-- Hotline's own functions and the store's system calls (with what they call)"
    perf report -i "$work/perf.data" --children --sort sym --stdio -g none 2>/dev/null \
      | grep -E '^ +[0-9]' | grep -E 'Hotline|sqlite3_step|__libc_pwrite|fdatasync|__GI___writev|__libc_read' \
      | swift demangle --simplified | cut -c1-160 | head -30 || true
  fi
  kill -TERM $pid; wait $pid || true
  echo "$out"
  local ok; ok=$(echo "$out" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
  local ticks; ticks=$(getconf CLK_TCK)
  echo "hotlined CPU: $(( (t1 - t0) * 1000 / ticks )) ms for $ok receipts = $(( (t1 - t0) * 1000000000 / ticks / ok / 1000 )) µs per receipt"
}
B="$work/blaster"
echo "== hotlined"
daemon RATE= "$B" hlp 127.0.0.1 7390 64 16 200000 "$work/tokens.txt"
daemon RATE= "$B" hlp 127.0.0.1 7390 143 1 50000 "$work/tokens.txt"
daemon RATE=2000 "$B" hlp 127.0.0.1 7390 143 1 20000 "$work/tokens.txt"
if [ "${REDIS:-}" != no ] && command -v redis-server >/dev/null; then
  echo "== redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') (appendfsync always)"
  mkdir "$work/redis"
  redis-server --port 6391 --appendonly yes --appendfsync always --save '' --dir "$work/redis" --daemonize yes >/dev/null
  sleep 0.5
  "$B" resp 127.0.0.1 6391 64 16 200000
  "$B" resp 127.0.0.1 6391 143 1 50000
  RATE=2000 "$B" resp 127.0.0.1 6391 143 1 20000
  redis-cli -p 6391 shutdown nosave >/dev/null 2>&1 || true
fi
rm -rf "$work"
