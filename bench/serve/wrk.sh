#!/usr/bin/env bash
# Throughput and latency of `weft serve` vs nginx (issue 4), same run, on
# 127.0.0.1 only:
#   1. weft serving examples/hello (with its access log, and with
#      --no-access-log: nginx's access log is off) and nginx answering a
#      fixed 200 (`return 200 "hello from weft\n";`), each with
#      `wrk -t$WRK_THREADS -c64 -d10s`. Fairness on a small machine: by
#      default wrk gets 1 thread and each server 1 worker (on 2 cores: one
#      core for the load generator, one for the server);
#   2. weft at about half its peak: Debian's wrk has no -R (constant rate),
#      so the script runs wrk at a few small connection counts and reports
#      the one whose requests/s is closest to half the peak, with its p99.
# Usage (from the repository root):
#   bench/serve/wrk.sh [WEFT_BINARY] [HELLO_APP_DIR]
# Defaults: build/weft and build/examples/hello. Installs nginx (Debian)
# when it is missing. Env: DURATION (10s), WRK_THREADS (1), WEFT_WORKERS
# (1), NGINX_WORKERS (1).
set -euo pipefail
WEFT=${1:-build/weft}
APP=${2:-build/examples/hello}
DURATION=${DURATION:-10s}
WEFT_PORT=${WEFT_PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}
CORES=$(nproc)
WEFT_WORKERS=${WEFT_WORKERS:-1}
NGINX_WORKERS=${NGINX_WORKERS:-1}
WRK_THREADS=${WRK_THREADS:-1}
NOLOG_PORT=$((WEFT_PORT + 2))

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
  echo "installing nginx (Debian)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y --no-install-recommends nginx >&2
  else sudo apt-get install -y --no-install-recommends nginx >&2; fi
  NGINX=/usr/sbin/nginx
fi

TMP=$(mktemp -d)
WEFT_PID= NGINX_PID= NOLOG_PID=
cleanup() {
  [ -n "$WEFT_PID" ] && kill "$WEFT_PID" 2>/dev/null && wait "$WEFT_PID" 2>/dev/null || true
  [ -n "$NOLOG_PID" ] && kill "$NOLOG_PID" 2>/dev/null && wait "$NOLOG_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# nginx as the current user, everything under a temporary prefix.
mkdir -p "$TMP/nginx/logs"
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
cat > "$TMP/nginx/nginx.conf" <<CONF
$USER_LINE
worker_processes $NGINX_WORKERS;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    default_type text/plain;
    location / { return 200 "hello from weft\n"; }
  }
}
CONF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
NGINX_PID=$!

"$WEFT" serve "$APP" --listen "127.0.0.1:$WEFT_PORT" --workers "$WEFT_WORKERS" \
  --data-dir "$TMP" 2>"$TMP/weft.log" &
WEFT_PID=$!
"$WEFT" serve "$APP" --listen "127.0.0.1:$NOLOG_PORT" --workers "$WEFT_WORKERS" \
  --data-dir "$TMP" --no-access-log 2>"$TMP/weft-nolog.log" &
NOLOG_PID=$!

for url in "http://127.0.0.1:$WEFT_PORT/hello" "http://127.0.0.1:$NOLOG_PORT/hello" "http://127.0.0.1:$NGINX_PORT/hello"; do
  for _ in $(seq 100); do curl -fs "$url" >/dev/null && break; sleep 0.1; done
  curl -fsS "$url" | grep -q "hello from weft" || { echo "no answer from $url" >&2; exit 1; }
done

rps() { awk '/^Requests\/sec:/ {print $2}'; }
p99() { awk '$1=="99%" {print $2}'; }

echo "## machine: $(nproc) cores, $(uname -r); wrk threads=$WRK_THREADS, weft workers=$WEFT_WORKERS, nginx workers=$NGINX_WORKERS"
echo
echo "### wrk -t$WRK_THREADS -c64 -d$DURATION --latency (peak)"
wrk -t"$WRK_THREADS" -c64 -d"$DURATION" --latency "http://127.0.0.1:$WEFT_PORT/hello" > "$TMP/weft.txt"
wrk -t"$WRK_THREADS" -c64 -d"$DURATION" --latency "http://127.0.0.1:$NOLOG_PORT/hello" > "$TMP/weft-nolog.txt"
wrk -t"$WRK_THREADS" -c64 -d"$DURATION" --latency "http://127.0.0.1:$NGINX_PORT/hello" > "$TMP/nginx.txt"
echo '--- weft'; cat "$TMP/weft.txt"
echo '--- weft --no-access-log'; cat "$TMP/weft-nolog.txt"
echo '--- nginx'; cat "$TMP/nginx.txt"
W=$(rps < "$TMP/weft.txt"); WN=$(rps < "$TMP/weft-nolog.txt"); N=$(rps < "$TMP/nginx.txt")
echo
echo "| server | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
echo "| weft | $W | $(awk '$1=="50%" {print $2}' "$TMP/weft.txt") | $(p99 < "$TMP/weft.txt") |"
echo "| weft --no-access-log | $WN | $(awk '$1=="50%" {print $2}' "$TMP/weft-nolog.txt") | $(p99 < "$TMP/weft-nolog.txt") |"
echo "| nginx (access_log off) | $N | $(awk '$1=="50%" {print $2}' "$TMP/nginx.txt") | $(p99 < "$TMP/nginx.txt") |"
echo
echo "weft / nginx = $(awk -v w="$W" -v n="$N" 'BEGIN {printf "%.1f%%", 100*w/n}'); weft --no-access-log / nginx = $(awk -v w="$WN" -v n="$N" 'BEGIN {printf "%.1f%%", 100*w/n}')"

echo
echo "### weft at ~half of its peak ($W/2 requests/s): wrk -t1 -cC -d$DURATION --latency"
echo
echo "| connections | requests/s | % of peak | p50 | p99 |"
echo "|---:|---:|---:|---:|---:|"
BEST= BESTD=
for c in 1 2 3 4 8; do
  wrk -t1 -c$c -d"$DURATION" --latency "http://127.0.0.1:$WEFT_PORT/hello" > "$TMP/half$c.txt"
  R=$(rps < "$TMP/half$c.txt")
  echo "| $c | $R | $(awk -v r="$R" -v w="$W" 'BEGIN {printf "%.0f%%", 100*r/w}') | $(awk '$1=="50%" {print $2}' "$TMP/half$c.txt") | $(p99 < "$TMP/half$c.txt") |"
  D=$(awk -v r="$R" -v w="$W" 'BEGIN {d=r-w/2; if (d<0) d=-d; print d}')
  if [ -z "$BEST" ] || awk -v d="$D" -v b="$BESTD" 'BEGIN {exit !(d<b)}'; then BEST=$c; BESTD=$D; fi
done
echo
echo "closest to half load: $BEST connections, p99 $(p99 < "$TMP/half$BEST.txt")"
