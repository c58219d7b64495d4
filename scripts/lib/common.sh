# shellcheck shell=bash
# Shared helpers for the scripts in scripts/. Sourced, never executed.
#
# Every script here runs with `set -euo pipefail`; these helpers are written
# so that an expected failure (a port that is not open yet, a child that has
# already exited) never trips `set -e` by accident.

# Repository root, whatever the caller's working directory is.
GATEHOUSE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GATEHOUSE_ROOT

# Colour only when talking to a terminal, so CI logs stay plain.
if [[ -t 2 ]]; then
  _c_bold=$'\e[1m' _c_red=$'\e[31m' _c_yellow=$'\e[33m' _c_reset=$'\e[0m'
else
  _c_bold='' _c_red='' _c_yellow='' _c_reset=''
fi

# Progress messages go to stderr: several scripts print a result (a path, a
# table) on stdout that callers capture.
log()  { printf '%s==>%s %s\n' "$_c_bold" "$_c_reset" "$*" >&2; }
warn() { printf '%swarning:%s %s\n' "$_c_yellow" "$_c_reset" "$*" >&2; }
die()  { printf '%serror:%s %s\n' "$_c_red" "$_c_reset" "$*" >&2; exit 1; }

# print_usage SCRIPT: print SCRIPT's header comment (after the #! line, up to
# the first line that is not a comment) as its --help text.
print_usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

# Number of CPUs to build and test with.
jobs() { nproc 2>/dev/null || echo 2; }

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
# Uses bash's /dev/tcp so it needs no extra tool and sends no HTTP request
# (which matters when counting the instructions a proxy executes).
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid_alive PID: true while PID runs (a zombie we have not reaped counts as
# dead, so a child that crashed is noticed before `wait` reaps it).
pid_alive() {
  local state
  [[ -r /proc/$1/stat ]] || return 1
  # Field 3 of /proc/PID/stat is the state; the command name (field 2) is in
  # parentheses and may contain spaces, so cut after the last ')'.
  state="$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# wait_for_port PORT TIMEOUT_S [PID]: poll until PORT accepts connections.
# Gives up early if PID (the process meant to open the port) has exited.
wait_for_port() {
  local port=$1 timeout=$2 pid=${3:-} deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    port_open "$port" && return 0
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      return 1
    fi
    sleep 0.1
  done
  return 1
}

# wait_for_http URL TIMEOUT_S [PID]: poll with curl until URL answers with
# any HTTP status (connection refused and resets are retried).
wait_for_http() {
  local url=$1 timeout=$2 pid=${3:-} deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    curl -s -o /dev/null --max-time 2 "$url" && return 0
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      return 1
    fi
    sleep 0.2
  done
  return 1
}

# stop_pid PID SIGNAL TIMEOUT_S: send SIGNAL to our child PID, wait for it to
# exit and reap it; SIGKILL it if it is still running after TIMEOUT_S.
# Returns the child's exit status (128+n if killed by signal n).
stop_pid() {
  local pid=$1 sig=$2 timeout=$3 watchdog rc=0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || rc=$?; return "$rc"; }
  kill "-$sig" "$pid" 2>/dev/null || true
  # `wait` has no timeout in bash: a background watchdog enforces one.
  # It kills its own `sleep` when cancelled so nothing is left behind.
  (
    s=""  # the TERM may come before the sleep starts
    trap '[[ -z $s ]] || kill "$s" 2>/dev/null; exit 0' TERM
    sleep "$timeout" & s=$!
    wait "$s"
    kill -KILL "$pid" 2>/dev/null
  ) &
  watchdog=$!
  wait "$pid" 2>/dev/null || rc=$?
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
  return "$rc"
}

# ---------------------------------------------------------------- children
# Scripts that start servers (demo, bench) record every child's pid in
# CHILDREN, so their EXIT trap can stop exactly the processes they started
# (and no others) with stop_children.

CHILDREN=()     # pids of the children still to be stopped
SPAWNED_PID=""  # set by spawn

# spawn LOG CMD...: start CMD in the background, stdout+stderr to LOG.
# setsid puts it in its own session so a Ctrl-C on the terminal reaches only
# this script, whose trap then stops each child once, in order.
spawn() {
  local log=$1; shift
  setsid "$@" </dev/null >"$log" 2>&1 &
  SPAWNED_PID=$!
  CHILDREN+=("$SPAWNED_PID")
}

# stop_child PID SIGNAL TIMEOUT_S: stop_pid, then forget PID so cleanup never
# signals a recycled pid that is no longer ours. Returns the exit status.
stop_child() {
  local rc=0
  stop_pid "$@" || rc=$?
  forget_child "$1"
  return "$rc"
}

forget_child() {
  local kept=() p
  for p in "${CHILDREN[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
  CHILDREN=("${kept[@]}")
}

# run_tracked CMD...: run CMD to completion, but as a tracked background child:
# bash defers traps while a foreground command runs, so a SIGTERM to this
# script would otherwise wait for a 10 s wrk run (or a slow callgrind client)
# to finish before cleaning up.
run_tracked() {
  local pid rc=0
  "$@" &
  pid=$!
  CHILDREN+=("$pid")
  wait "$pid" || rc=$?
  forget_child "$pid"
  return "$rc"
}

# stop_children TIMEOUT_S: stop every recorded child (SIGTERM, then SIGKILL
# after TIMEOUT_S), most recently started first: proxies before the upstream.
stop_children() {
  local i
  for ((i = ${#CHILDREN[@]} - 1; i >= 0; i--)); do
    stop_pid "${CHILDREN[i]}" TERM "$1" || true
  done
  CHILDREN=()
}

# tail_log FILE: show the end of a child's log after it failed.
tail_log() {
  [[ -s $1 ]] || return 0
  printf '    --- last lines of %s ---\n' "$1" >&2
  tail -n 20 "$1" | sed 's/^/    /' >&2
}
