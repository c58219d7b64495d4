#!/usr/bin/env bash
# Pinned-core comparison for a machine with 16 or more cores (where
# scripts/bench's processes would otherwise share them): the upstream
# (gatehouse-upstream, 4 threads) on cores 0-3, wrk on 4-7, the proxies on
# 8-15, so no process competes with another for a core and each proxy is
# the bottleneck of its own row.
#
#   1. One worker each, on core 8: a Gatehouse without a policy (baseline)
#      against `cache: { default_ttl: 60s }` with a new URL per request
#      (unique_paths.lua) once its 256 MiB store is full, then against
#      `cache` with responses it cannot store; 5 alternating 3 s pairs each,
#      requests/s and CPU per request (/proc/PID/stat). The stored misses
#      also against the same Gatehouse with jemalloc (where JEMALLOC names
#      its library) and against nginx proxy_cache (nginx on core 9, its
#      256 MB zone filled first), and against an earlier build where
#      GATEHOUSE_BIN_BEFORE names its binary (same configuration, its store
#      filled the same way). Then cache hits against nginx proxy_cache, 3
#      pairs.
#   2. Scaling: 1, 2, 4 and 8 workers on cores 8.., plain proxying and cache
#      hits, Gatehouse against nginx, 4 s each (wrk -t4 -c256).
#   3. Where their binaries are given (STORE_BENCH, METRICS_BENCH, HIT_BENCH:
#      build them with `cmake --build build --target gatehouse_store_bench
#      gatehouse_metrics_bench gatehouse_hit_bench`): the store's cost per
#      stored miss on core 8 (8 and 256 MiB, the body in the entry's block
#      and not; with jemalloc too where JEMALLOC names its library), metric
#      updates under contention, and the store's hits on 1 and 64 hot keys,
#      each on 1, 2, 4 and 8 of cores 8-15.
#
# Usage: scripts/bench.d/pinned.sh   (after ./scripts/build; on fewer than 16
# cores it runs unpinned, which only checks that it works). Binaries:
# GATEHOUSE_BIN, GATEHOUSE_UPSTREAM_BIN (default build/bin/...), WRK and
# NGINX (default: from PATH); SCALING=0 runs part 1 only; ROUNDS: pairs in
# the stored-miss rows (default 5). Fixed ports 20001-20131 on 127.0.0.1.
set -u
R=$(cd "$(dirname "$0")/../.." && pwd)
GH=${GATEHOUSE_BIN:-$R/build/bin/gatehouse}
GH_UP=${GATEHOUSE_UPSTREAM_BIN:-$R/build/bin/gatehouse-upstream}
WRK=${WRK:-wrk}
NGINX=${NGINX:-nginx}
W=$(mktemp -d /tmp/gatehouse-pinned.XXXXXX)
# nginx's workers run as nobody when started as root: they must reach the
# cache and temp directories inside (mktemp makes the directory 0700).
chmod 755 "$W"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
echo "cores: $(nproc)  kernel: $(uname -r)  $(grep -m1 'model name' /proc/cpuinfo)  THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
UP=20001
UNIQUE=(-s "$R/scripts/bench.d/unique_paths.lua")

# pin CORES COMMAND...: execs COMMAND on CORES where there are 16 cores to
# pin to (elsewhere unpinned: a dry run). exec, so $! is the command's pid.
pin() {
  if (($(nproc) >= 16)); then exec taskset -c "$@"; fi
  shift
  exec "$@"
}

# gh_conf NAME PORT WORKERS [POLICY]: $W/NAME.yaml (admin on PORT+1).
gh_conf() {
  cat >"$W/$1.yaml" <<Y
workers: $3
listeners: [{ name: public, address: "127.0.0.1:$2" }]
admin: { address: "127.0.0.1:$(($2 + 1))" }
upstreams: { app: { targets: ["127.0.0.1:$UP"] } }
routes:
  - name: all
    match: { path_prefix: / }
    upstream: app
Y
  if [[ -n ${4:-} ]]; then printf '    policies:\n      - %s\n' "$4" >>"$W/$1.yaml"; fi
}

# ngx_conf NAME PORT WORKERS CACHE: $W/NAME/nginx.conf, as scripts/bench
# configures nginx; CACHE=1 adds proxy_cache (200s for 60 s).
ngx_conf() {
  local d="$W/$1" cz="" cl=""
  mkdir -p "$d"
  if (($4)); then
    cz="proxy_cache_path $d/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=10m use_temp_path=off;"
    cl="proxy_cache bench; proxy_cache_valid 200 60s;"
  fi
  cat >"$d/nginx.conf" <<N
worker_processes $3; daemon off; pid $d/nginx.pid; error_log $d/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $d/cb; proxy_temp_path $d/p; fastcgi_temp_path $d/f;
  uwsgi_temp_path $d/u; scgi_temp_path $d/s; keepalive_requests 1000000; $cz
  upstream app { server 127.0.0.1:$UP; keepalive 64; keepalive_requests 1000000; }
  server { listen 127.0.0.1:$2;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host \$http_host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme; proxy_set_header X-Forwarded-Host \$http_host;
      proxy_set_header X-Request-Id \$request_id; $cl } } }
N
}

# cpu_ticks PID: user + system clock ticks (fields 14 and 15 of its stat).
cpu_ticks() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }
  awk '{ print $12 + $13 }' <<<"$s"
}

# wrk_run PORT SECONDS THREADS CONNECTIONS [WRK_ARGS...]: prints requests/s.
wrk_run() {
  local port=$1 seconds=$2 threads=$3 connections=$4
  shift 4
  (pin 4-7 "$WRK" "-t$threads" "-c$connections" "-d${seconds}s" "$@" "http://127.0.0.1:$port/bytes/1024") 2>&1 |
    awk '/Requests\/sec/ { print $2 }'
}

start_gh() { # NAME CORES (PRELOAD=library in the environment: LD_PRELOAD it)
  pin "$2" env ${PRELOAD:+"LD_PRELOAD=$PRELOAD"} "$GH" --config "$W/$1.yaml" >"$W/$1.log" 2>&1 &
  echo $! >"$W/$1.pid"
  sleep 0.7
}
start_ngx() { # NAME CORES
  pin "$2" "$NGINX" -p "$W/$1" -c "$W/$1/nginx.conf" >"$W/$1.log" 2>&1 &
  echo $! >"$W/$1.pid"
  sleep 0.7
}
pid_of() { cat "$W/$1.pid"; }
stop() {
  kill "$(pid_of "$1")" 2>/dev/null
  wait "$(pid_of "$1")" 2>/dev/null
}

# pairs LABEL BASE_PORT BASE_PID PORT PID ROUNDS SECONDS [WRK_ARGS...]: the
# baseline and the measured process alternately, one line per pair.
pairs() {
  local label=$1 base_port=$2 base_pid=$3 port=$4 pid=$5 rounds=$6 seconds=$7 i
  shift 7
  echo "== $label (measured vs baseline)"
  for ((i = 1; i <= rounds; i++)); do
    local b0 b1 p0 p1 base_rps rps
    b0=$(cpu_ticks "$base_pid")
    base_rps=$(wrk_run "$base_port" "$seconds" 2 64 "$@")
    b1=$(cpu_ticks "$base_pid")
    p0=$(cpu_ticks "$pid")
    rps=$(wrk_run "$port" "$seconds" 2 64 "$@")
    p1=$(cpu_ticks "$pid")
    awk -v br="$base_rps" -v pr="$rps" -v bc=$((b1 - b0)) -v pc=$((p1 - p0)) -v s="$seconds" 'BEGIN {
      printf "  %.0f vs %.0f rps (%.3fx), cpu %.0f%% vs %.0f%%", pr, br, pr / br, pc / s, bc / s
      if (pc > 0 && bc > 0) printf ", cpu/req %.1f vs %.1f us (%.3fx)", pc * 1e4 / (pr * s), bc * 1e4 / (br * s), (bc / br) / (pc / pr)
      printf "\n" }'
  done
}

# alone START NAME CORES PORT: starts NAME with START (start_gh or start_ngx),
# warms it up for 1 s, prints its requests/s over 4 s (wrk -t4 -c256), stops it.
alone() {
  "$1" "$2" "$3" >/dev/null
  wrk_run "$4" 1 4 256 >/dev/null
  wrk_run "$4" 4 4 256
  stop "$2"
}

pin 0-3 "$GH_UP" --listen "127.0.0.1:$UP" --threads 4 >"$W/up.log" 2>&1 &

# 1. One worker each, all on core 8 (they take turns, never run together).
gh_conf base 20011 1
gh_conf stored 20021 1 "cache: { default_ttl: 60s }"
gh_conf nostore 20031 1 "cache"
gh_conf hit 20041 1 "cache: { default_ttl: 60s }"
ngx_conf nhit 20051 1 1
start_gh base 8
start_gh stored 8
start_gh nostore 8
wrk_run 20011 2 2 64 "${UNIQUE[@]}" >/dev/null
wrk_run 20021 12 2 64 "${UNIQUE[@]}" >/dev/null  # fills the 256 MiB store: each insert then evicts
ROUNDS=${ROUNDS:-5}
pairs "cache, stored miss (store full), 1 worker" 20011 "$(pid_of base)" 20021 "$(pid_of stored)" "$ROUNDS" 3 "${UNIQUE[@]}"
if [[ -n ${GATEHOUSE_BIN_BEFORE:-} ]]; then
  gh_conf stored_before 20081 1 "cache: { default_ttl: 60s }"
  GH=$GATEHOUSE_BIN_BEFORE start_gh stored_before 8
  wrk_run 20081 12 2 64 "${UNIQUE[@]}" >/dev/null
  pairs "cache, stored miss (store full), 1 worker, this build vs GATEHOUSE_BIN_BEFORE" 20081 \
    "$(pid_of stored_before)" 20021 "$(pid_of stored)" "$ROUNDS" 3 "${UNIQUE[@]}"
  stop stored_before
fi
if [[ -n ${JEMALLOC:-} ]]; then
  gh_conf stored_je 20061 1 "cache: { default_ttl: 60s }"
  PRELOAD=$JEMALLOC start_gh stored_je 8
  wrk_run 20061 12 2 64 "${UNIQUE[@]}" >/dev/null
  pairs "cache, stored miss (store full), 1 worker, jemalloc vs glibc malloc" 20021 "$(pid_of stored)" \
    20061 "$(pid_of stored_je)" "$ROUNDS" 3 "${UNIQUE[@]}"
  stop stored_je
fi
ngx_conf nstored 20071 1 1
start_ngx nstored 9
wrk_run 20071 12 2 64 "${UNIQUE[@]}" >/dev/null  # nginx's 256 MB zone filled too
pairs "cache, stored miss, gatehouse vs nginx proxy_cache (no CPU figure for nginx), 1 worker" \
  20071 "$(pid_of nstored)" 20021 "$(pid_of stored)" 3 3 "${UNIQUE[@]}"
stop nstored
stop stored
wrk_run 20031 2 2 64 "${UNIQUE[@]}" >/dev/null
pairs "cache, not storable miss, 1 worker" 20011 "$(pid_of base)" 20031 "$(pid_of nostore)" 5 3 "${UNIQUE[@]}"
stop nostore
pairs "plain proxy against itself (the method's noise)" 20011 "$(pid_of base)" 20011 "$(pid_of base)" 3 3
stop base
start_gh hit 8
start_ngx nhit 9
wrk_run 20041 2 2 64 >/dev/null
wrk_run 20051 2 2 64 >/dev/null
pairs "cache hit, gatehouse vs nginx proxy_cache (no CPU figure: nginx's worker is a child), 1 worker" \
  20051 "$(pid_of nhit)" 20041 "$(pid_of hit)" 3 3
stop hit
stop nhit

# 2. Scaling: N workers on cores 8..8+N-1 (SCALING=0 skips it).
for n in 1 2 4 8; do
  ((${SCALING:-1})) || break
  cores=8-$((7 + n))
  gh_conf "g$n" 20100 "$n"
  ngx_conf "n$n" 20110 "$n" 0
  gh_conf "gh$n" 20120 "$n" "cache: { default_ttl: 60s }"
  ngx_conf "nh$n" 20130 "$n" 1
  a=$(alone start_gh "g$n" "$cores" 20100)
  b=$(alone start_ngx "n$n" "$cores" 20110)
  c=$(alone start_gh "gh$n" "$cores" 20120)
  d=$(alone start_ngx "nh$n" "$cores" 20130)
  awk -v n="$n" -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
    printf "workers %d: proxy gatehouse %.0f nginx %.0f (%.2fx) | cache hit gatehouse %.0f nginx %.0f (%.2fx)\n",
      n, a, b, a / b, c, d, c / d }'
done

# 3. The measuring tools, each on cores of its own.
if [[ -n ${STORE_BENCH:-} ]]; then
  preloads=("")
  [[ -n ${JEMALLOC:-} ]] && preloads+=("$JEMALLOC")
  for preload in "${preloads[@]}"; do
    echo "store, malloc: ${preload:-glibc}"
    (pin 8 env ${preload:+"LD_PRELOAD=$preload"} "$STORE_BENCH" --max-size 8,256)
    (pin 8 env ${preload:+"LD_PRELOAD=$preload"} "$STORE_BENCH" --max-size 256 --unknown-length)
  done
fi
if [[ -n ${METRICS_BENCH:-} ]]; then
  (pin 8-15 "$METRICS_BENCH" --threads 1,2,4,8)
fi
if [[ -n ${HIT_BENCH:-} ]]; then
  (pin 8-15 "$HIT_BENCH" --threads 1,2,4,8 --keys 1)
  (pin 8-15 "$HIT_BENCH" --threads 1,2,4,8 --keys 64)
fi
grep -ih "error\|warn" "$W"/*.log "$W"/*/error.log 2>/dev/null | head -5
