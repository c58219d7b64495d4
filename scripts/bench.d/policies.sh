# shellcheck shell=bash
# scripts/bench, part 1b: Gatehouse with one policy on the route (rate_limit,
# jwt, cache), each under part 1's wrk load. Sourced by scripts/bench after its own
# functions are defined (it uses write_config, run_wrk, spawn, ...); runs
# nothing by itself.
#
# Paired, interleaved measurement: a Gatehouse without a policy (the
# baseline) runs next to the one with the policy, and wrk alternates between
# them, POLICY_ROUNDS samples of POLICY_SAMPLE each, with the same request
# headers (the jwt rows' Authorization header included). A row's ratio is the
# median of its per-round ratios: on a virtual machine throughput drifts by
# more than the 5-10% a policy costs within seconds, so a single baseline
# measured minutes earlier cannot resolve it. Five short rounds rather than
# three long ones: the median of five is not moved by one disturbed round,
# and a shorter round leaves the machine less time to drift between the two
# halves of a pair.
# Each sample also records the CPU time the measured Gatehouse used
# (/proc/PID/stat), so a row reports the policy's cost per request as well:
# wrk and the upstream share the CPUs, which dilutes it in requests/s.
#
# Rows go to $TMP/policies.tsv: label <TAB> target <TAB> status <TAB> dir,
# where dir holds wrk-R.txt (policy) and base-R.txt (baseline) for each round R,
# and wrk-R.cpu / base-R.cpu (CPU seconds) where the process could be read.

POLICY_ROUNDS=5
POLICY_SAMPLE=3s
FILL_TIMEOUT=300  # seconds warm_until_evicting may load a store
REDIS_PORT=""  # set by start_redis
REDIS_PID=""
BASE_PORT=""  # the baseline Gatehouse, set by start_baseline
BASE_PID=""
BENCH_JWT_SECRET=""  # set by bench_policies; never exported
JWT_ISSUER="https://bench.gatehouse.test"
JWT_AUDIENCE="gatehouse-bench"

# start_redis: a throw-away redis-server on a free port (no persistence, files
# in $TMP). Fails with a warning; the caller reports the row as not measured.
start_redis() {
  REDIS_PORT="$(free_ports 1)"
  log "starting redis-server on 127.0.0.1:$REDIS_PORT"
  spawn "$TMP/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save '' --appendonly no --dir "$TMP"
  REDIS_PID=$SPAWNED_PID
  wait_for_port "$REDIS_PORT" "$START_TIMEOUT" "$REDIS_PID" && return 0
  warn "redis-server did not start"
  tail_log "$TMP/redis.log"
  stop_child "$REDIS_PID" KILL 5 || true
  REDIS_PID=""
  return 1
}

# policy_check DIR PORT TOKEN: GET /bytes/1024 through the policy returns 200 and
# 1024 bytes, and the policy really runs: with TOKEN (jwt), the token is sent
# and a request without it must get 401; without TOKEN (rate_limit), the answer
# must carry RateLimit-Policy. Prints what it got on failure.
policy_check() {
  local dir=$1 port=$2 token=${3:-} url="http://127.0.0.1:$2$BENCH_PATH" got auth=()
  [[ -n $token ]] && auth=(-H "Authorization: Bearer $token")
  got="$(curl -s -o /dev/null -D "$dir/check.headers" --max-time 10 \
    -w '%{http_code} %{size_download}' "${auth[@]}" "$url" || true)"
  if [[ $got != "200 $BODY_BYTES" ]]; then
    printf 'expected "200 %s" (status, bytes), got "%s"' "$BODY_BYTES" "${got:-no response}"
    return 1
  fi
  if [[ -n $token ]]; then
    got="$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$url" || true)"
    [[ $got == 401 ]] && return 0
    printf 'expected 401 without a token, got "%s": the jwt policy does not run' "${got:-no response}"
    return 1
  fi
  grep -qiE '^(RateLimit-Policy|Cache-Status):' "$dir/check.headers" && return 0
  printf 'no RateLimit-Policy or Cache-Status header in the response: the policy does not run'
  return 1
}

# bench_policy LABEL TARGET POLICY [TOKEN]: Gatehouse with POLICY (one policy
# entry in YAML flow style) as its route's only policy, under part 1's load
# (with `Authorization: Bearer TOKEN` when given). TARGET ("0.95", or empty)
# is the ratio to Gatehouse without a policy that the row should reach.
# POLICY_WRK_SCRIPT (environment, optional): a wrk Lua script both the row
# and its baseline samples run with (unique_paths.lua: a new URL each time).
# POLICY_STORE (environment, optional; cache rows): `full` loads the row
# until its store has evicted before measuring (warm_until_evicting);
# `filling` fails the row if its store evicted during it.
# Appends one line to $TMP/policies.tsv.
bench_policy() {
  local label=$1 target=$2 policy=$3 token=${4:-} dir port conf pid why result=ok wrk_extra=()
  dir="$TMP/policy-${label//[^A-Za-z0-9]/-}"
  mkdir -p "$dir"
  port="$(free_ports 1)"
  [[ -n $token ]] && wrk_extra=(-H "Authorization: Bearer $token")
  [[ -n ${POLICY_WRK_SCRIPT:-} ]] && wrk_extra+=(-s "$POLICY_WRK_SCRIPT")
  conf="$(write_config gatehouse "$dir" "$port" "$WORKERS" wrk 0 "$policy")"
  # The HS256 secret reaches the config as ${BENCH_JWT_SECRET}, as a shipped
  # config would have it; empty for the other rows, which do not name it.
  log "gatehouse + $label: starting on 127.0.0.1:$port ($WORKERS worker(s))"
  spawn "$dir/proxy.log" env BENCH_JWT_SECRET="$BENCH_JWT_SECRET" "$GATEHOUSE_BIN" --config "$conf"
  pid=$SPAWNED_PID

  if ! wait_for_port "$port" "$START_TIMEOUT" "$pid"; then
    result="did not start"
    pid_alive "$pid" || result="exited at start-up"
  elif ! why="$(policy_check "$dir" "$port" "$token")"; then
    result="bad response: $why"
  else
    log "gatehouse + $label: warm-up $WARMUP, then $POLICY_ROUNDS rounds of $POLICY_SAMPLE, alternating with the baseline"
    run_tracked wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${wrk_extra[@]}" \
      "http://127.0.0.1:$port$BENCH_PATH" >/dev/null 2>&1 || true
    if [[ ${POLICY_STORE:-} == full ]]; then
      log "gatehouse + $label: loading until the store is full (up to ${FILL_TIMEOUT}s)"
      warm_until_evicting "$conf" "$port" "${wrk_extra[@]}" ||
        result="the store did not fill within ${FILL_TIMEOUT}s"
    fi
    local round
    for ((round = 1; round <= POLICY_ROUNDS; round++)); do
      [[ $result == ok ]] || break
      if ! sample "$dir/base-$round.txt" "$BASE_PORT" "$BASE_PID" "${wrk_extra[@]}" ||
        ! sample "$dir/wrk-$round.txt" "$port" "$pid" "${wrk_extra[@]}"; then
        result="wrk failed"
        break
      fi
    done
    if [[ $result == ok ]] && ! pid_alive "$pid"; then
      result="crashed during the run"
    elif [[ $result == ok ]] && ! pid_alive "$BASE_PID"; then
      result="the baseline crashed during the run"
    elif [[ $result == ok && ${POLICY_STORE:-} == filling ]] && (($(cache_evictions "$conf") > 0)); then
      result="the store filled during the row (evictions); its max_size is too small for this machine"
    fi
  fi

  if [[ $result != ok ]]; then
    warn "gatehouse + $label: $result"
    tail_log "$dir/proxy.log"
  fi
  printf '%s\t%s\t%s\t%s\n' "$label" "$target" "$result" "$dir" >>"$TMP/policies.tsv"
  stop_child "$pid" TERM 15 || true
}

# filling_store_mib: a cache max_size (MiB) the filling row cannot reach:
# half of MemAvailable, at most 64 GiB.
filling_store_mib() {
  awk '/^MemAvailable:/ { mib = int($2 / 2048); print (mib > 65536 ? 65536 : mib); exit }' /proc/meminfo
}

# cache_evictions CONF: the evictions GET /cache/stats reports on the admin
# address of Gatehouse config CONF (write_config's); 0 when it cannot be read.
cache_evictions() {
  local admin evictions
  admin="$(awk '/^admin:/ { in_admin = 1 } in_admin && /address:/ { print $2; exit }' "$1")"
  evictions="$(curl -s --max-time 5 "http://$admin/cache/stats" | grep -o '"evictions":[0-9]*' | cut -d: -f2)"
  echo "${evictions:-0}"
}

# warm_until_evicting CONF PORT [WRK_ARGS...]: the row's load, WARMUP at a
# time, until the cache of Gatehouse config CONF (listening on PORT) has
# evicted: its store is full and each stored response now evicts an older
# one, as a cache runs once its first max_size of responses is in. Fails
# after FILL_TIMEOUT seconds.
warm_until_evicting() {
  local conf=$1 port=$2 deadline=$((SECONDS + FILL_TIMEOUT))
  shift 2
  while (($(cache_evictions "$conf") == 0)); do
    ((SECONDS < deadline)) || return 1
    run_tracked wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" \
      "http://127.0.0.1:$port$BENCH_PATH" >/dev/null 2>&1 || true
  done
}

# sample OUT PORT PID [WRK_ARGS...]: one measurement of POLICY_SAMPLE against
# PORT; with PID (the one process serving PORT; empty for nginx, whose
# workers are its children), the CPU seconds it used go to OUT's .cpu file.
sample() {
  local out=$1 port=$2 pid=$3 before after
  shift 3
  before="$(process_cpu_ticks "$pid")"
  run_tracked wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$POLICY_SAMPLE" --latency "$@" \
    "http://127.0.0.1:$port$BENCH_PATH" >"$out" 2>&1 || return 1
  after="$(process_cpu_ticks "$pid")"
  if [[ -n $before && -n $after ]]; then
    awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f\n", (a - b) / hz }' \
      >"${out%.txt}.cpu"
  fi
}

# process_cpu_ticks PID: user + system clock ticks PID has used (fields 14
# and 15 of /proc/PID/stat, counted after the parenthesised command name,
# which may hold spaces); nothing when PID is empty or gone.
process_cpu_ticks() {
  [[ -n $1 && -r /proc/$1/stat ]] || return 0
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  awk '{ print $12 + $13 }' <<<"$stat"
}

# start_baseline: Gatehouse without a policy, part 1's config, kept running
# for every policy row (warmed up once). Fails with a warning.
start_baseline() {
  local dir="$TMP/policy-baseline" conf
  mkdir -p "$dir"
  BASE_PORT="$(free_ports 1)"
  conf="$(write_config gatehouse "$dir" "$BASE_PORT" "$WORKERS" wrk 0)"
  log "gatehouse without a policy (the baseline): starting on 127.0.0.1:$BASE_PORT"
  spawn "$dir/proxy.log" "$GATEHOUSE_BIN" --config "$conf"
  BASE_PID=$SPAWNED_PID
  if wait_for_port "$BASE_PORT" "$START_TIMEOUT" "$BASE_PID"; then
    run_tracked wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" \
      "http://127.0.0.1:$BASE_PORT$BENCH_PATH" >/dev/null 2>&1 || true
    return 0
  fi
  warn "the baseline gatehouse did not start"
  tail_log "$dir/proxy.log"
  stop_child "$BASE_PID" KILL 5 || true
  BASE_PID=""
  return 1
}

# skip_policy LABEL TARGET REASON: a row that could not be measured.
skip_policy() {
  warn "gatehouse + $1: $3"
  printf '%s\t%s\t%s\t-\n' "$1" "$2" "$3" >>"$TMP/policies.tsv"
}

# bench_policies: every policy row, in order.
bench_policies() {
  local rl="key: client_ip, limit: 100000000/s"  # far above any rate a run reaches
  local label alg cache jwt_key token options

  if [[ ! -x $GATEHOUSE_BIN ]] || [[ " ${UNSERVICEABLE[*]} " == *" gatehouse "* ]]; then
    skip_policy "all policies" "" "skipped (gatehouse could not serve in part 1)"
    return 0
  fi

  if ! start_baseline; then
    skip_policy "all policies" "" "skipped (the baseline gatehouse did not start)"
    return 0
  fi

  bench_policy "rate_limit, local store" 0.95 "- rate_limit: { $rl }"
  if ! command -v redis-server >/dev/null; then
    skip_policy "rate_limit, redis store" "" "redis-server not installed (scripts/install-deps)"
  elif ! start_redis; then
    skip_policy "rate_limit, redis store" "" "redis-server did not start"
  else
    # fail_closed: a Redis failure shows as non-2xx answers in the row's
    # notes instead of being measured, silently, as the local fallback.
    bench_policy "rate_limit, redis store" "" \
      "- rate_limit: { $rl, store: redis, redis: { address: 127.0.0.1:$REDIS_PORT }, on_store_error: fail_closed }"
    stop_child "$REDIS_PID" TERM 5 || true
    REDIS_PID=""
  fi

  # Keys and tokens made for this run. The HMAC secret reaches make_jwt.py and
  # gatehouse in their environment only, never on a command line.
  BENCH_JWT_SECRET="$(openssl rand -hex 32)"
  if ! openssl ecparam -genkey -name prime256v1 -noout -out "$TMP/jwt-es256.key" 2>/dev/null ||
    ! openssl pkey -in "$TMP/jwt-es256.key" -pubout -out "$TMP/jwt-es256.pub" 2>/dev/null; then
    die "openssl could not make the ES256 key"
  fi
  for alg in HS256 ES256; do
    jwt_key="public_key_files: [\"$TMP/jwt-es256.pub\"]"
    [[ $alg == HS256 ]] && jwt_key="secret: \"\${BENCH_JWT_SECRET}\""
    token="$(BENCH_JWT_SECRET=$BENCH_JWT_SECRET python3 "$BENCH_D/make_jwt.py" --alg "$alg" --key "$TMP/jwt-es256.key" \
      --issuer "$JWT_ISSUER" --audience "$JWT_AUDIENCE")" || die "make_jwt.py could not make an $alg token"
    for cache in on off; do
      label="jwt $alg, cache $cache"
      options="issuers: [ { issuer: \"$JWT_ISSUER\", audiences: [$JWT_AUDIENCE], algorithms: [$alg], $jwt_key } ]"
      if [[ $cache == on ]]; then
        bench_policy "$label" 0.90 "- jwt: { $options, cache: { max_entries: 10000 } }" "$token"
      else
        bench_policy "$label" "" "- jwt: { $options, cache: off }" "$token"
      fi
    done
  done
  # Misses: the upstream's plain 200 has no freshness and no validator, so
  # it is forwarded and not stored (hit-for-miss); with default_ttl and a new
  # URL per request (unique_paths.lua), every response is stored. A cache
  # runs full once its first max_size of responses is in: the stored row is
  # measured then, each stored response evicting an older one. The fill
  # before it is a row of its own, without a target: its store (half the
  # memory available, at most 64 GiB) never fills, so each response also
  # costs the kernel's first touch of the memory it takes.
  bench_policy "cache, every request a miss (not storable)" 0.90 "- cache"
  POLICY_WRK_SCRIPT="$BENCH_D/unique_paths.lua" POLICY_STORE=full \
    bench_policy "cache, every request a miss (stored, store full)" 0.90 "- cache: { default_ttl: 60s }"
  POLICY_WRK_SCRIPT="$BENCH_D/unique_paths.lua" POLICY_STORE=filling \
    bench_policy "cache, every request a miss (stored, store filling)" "" \
    "- cache: { default_ttl: 60s, max_size: $(filling_store_mib)MiB }"
  bench_cache_vs_nginx stored-miss
  bench_cache_vs_nginx hit
  stop_child "$BASE_PID" TERM 15 || true
  BASE_PID=""
}

# bench_cache_vs_nginx MODE: Gatehouse's cache (`default_ttl: 60s` makes
# the upstream's plain 200 fresh) against nginx's proxy_cache
# (`proxy_cache_valid 200 60s`, a 256 MB zone like Gatehouse's default
# max_size), the same path and response, sampled alternately (nginx in place
# of the baseline: the row's ratio is to nginx). MODE `hit`: one URL, both
# must show a hit before anything is measured (target 1.3x). MODE
# `stored-miss`: a new URL per request (unique_paths.lua), which each stores
# (nginx in a file), both checked to store a first response; no target: it
# puts the stored-miss row's ratio to Gatehouse without a policy beside what
# the same work costs nginx.
bench_cache_vs_nginx() {
  local mode=$1 label target dir port nginx_port conf nginx_conf pid nginx_pid
  local result=ok round got probe wrk_extra=()
  if [[ $mode == hit ]]; then
    label="cache hit (ratio to nginx proxy_cache)" target=1.30 probe="$BENCH_PATH"
  else
    label="cache, stored miss (ratio to nginx proxy_cache)" target="" probe="$BENCH_PATH?u=probe$RANDOM$RANDOM"
    wrk_extra=(-s "$BENCH_D/unique_paths.lua")
  fi
  dir="$TMP/policy-cache-$mode"
  mkdir -p "$dir/nginx"
  port="$(free_ports 1)"
  nginx_port="$(free_ports 1)"
  conf="$(write_config gatehouse "$dir" "$port" "$WORKERS" wrk 0 "- cache: { default_ttl: 60s }")"
  nginx_conf="$(NGINX_CACHE=1 write_config nginx "$dir/nginx" "$nginx_port" "$WORKERS" wrk 0)"
  log "$label: gatehouse + cache on 127.0.0.1:$port, nginx + proxy_cache on 127.0.0.1:$nginx_port"
  spawn "$dir/proxy.log" "$GATEHOUSE_BIN" --config "$conf"
  pid=$SPAWNED_PID
  spawn "$dir/nginx.log" nginx -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$nginx_conf"
  nginx_pid=$SPAWNED_PID
  if ! wait_for_port "$port" "$START_TIMEOUT" "$pid" || ! wait_for_port "$nginx_port" "$START_TIMEOUT" "$nginx_pid"; then
    result="did not start"
  elif [[ $mode == hit ]]; then
    curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port$probe" || true
    curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$nginx_port$probe" || true
    got="$(curl -s -o /dev/null -D - --max-time 10 "http://127.0.0.1:$port$probe" | tr -d '\r' |
      grep -i '^Cache-Status:' || true)"
    [[ $got == *"; hit"* ]] || result="bad response: gatehouse did not answer from its cache (${got:-no Cache-Status})"
    got="$(curl -s -o /dev/null -D - --max-time 10 "http://127.0.0.1:$nginx_port$probe" | tr -d '\r' |
      grep -i '^X-Cache-Status:' || true)"
    [[ $result != ok || $got == *HIT* ]] || result="bad response: nginx did not answer from proxy_cache (${got:-none})"
  else
    got="$(curl -s -o /dev/null -D - --max-time 10 "http://127.0.0.1:$port$probe" | tr -d '\r' |
      grep -i '^Cache-Status:' || true)"
    [[ $got == *"stored"* ]] || result="bad response: gatehouse did not store a miss (${got:-no Cache-Status})"
    curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$nginx_port$probe" || true
    got="$(curl -s -o /dev/null -D - --max-time 10 "http://127.0.0.1:$nginx_port$probe" | tr -d '\r' |
      grep -i '^X-Cache-Status:' || true)"
    [[ $result != ok || $got == *HIT* ]] || result="bad response: nginx did not store a miss (${got:-none})"
  fi
  if [[ $result == ok ]]; then
    run_tracked wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${wrk_extra[@]}" \
      "http://127.0.0.1:$port$BENCH_PATH" >/dev/null 2>&1 || true
    run_tracked wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${wrk_extra[@]}" \
      "http://127.0.0.1:$nginx_port$BENCH_PATH" >/dev/null 2>&1 || true
    for ((round = 1; round <= POLICY_ROUNDS; round++)); do
      if ! sample "$dir/base-$round.txt" "$nginx_port" "" "${wrk_extra[@]}" ||
        ! sample "$dir/wrk-$round.txt" "$port" "$pid" "${wrk_extra[@]}"; then
        result="wrk failed"
        break
      fi
    done
    [[ $result == ok ]] && ! pid_alive "$pid" && result="crashed during the run"
  fi
  if [[ $result != ok ]]; then
    warn "gatehouse + $label: $result"
    tail_log "$dir/proxy.log"
    tail_log "$dir/nginx/error.log"
  fi
  printf '%s\t%s\t%s\t%s\n' "$label" "$target" "$result" "$dir" >>"$TMP/policies.tsv"
  stop_child "$pid" TERM 15 || true
  stop_child "$nginx_pid" QUIT 15 || true
}
