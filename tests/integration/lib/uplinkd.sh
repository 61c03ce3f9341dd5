# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Starting, stopping and talking to uplinkd inside a test namespace. Sourced by netns.sh.
# Binaries: $UPLINKD_BIN and $UPLINKCTL_BIN (set by CTest; default build/src/{daemon/uplinkd,cli/uplinkctl}).

declare -A H_UPLINKD_PID=()    # namespace -> pid
declare -A H_UPLINKD_SOCK=()   # namespace -> control socket
declare -A H_UPLINKD_LOG=()    # namespace -> log file
declare -A H_UPLINKD_EXIT=()   # namespace -> exit status of the last stopped instance

# require_uplinkd — fail clearly unless both binaries exist.
require_uplinkd() {
  [ -x "$UPLINKD_BIN" ] || fail "uplinkd binary not found at $UPLINKD_BIN (build it: cmake -S . -B build -G Ninja && cmake --build build, or set UPLINKD_BIN)"
  [ -x "$UPLINKCTL_BIN" ] || fail "uplinkctl binary not found at $UPLINKCTL_BIN (build it, or set UPLINKCTL_BIN)"
}

# config_socket CONFIG — the `socket = "…"` value of a TOML config (tests must set it: a path in $H_TMP).
config_socket() {
  local s
  s=$(sed -n 's/^[[:space:]]*socket[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n1)
  [ -n "$s" ] || fail "config $1 has no socket = \"…\" line; integration tests must put the socket in \$H_TMP"
  echo "$s"
}

# start_uplinkd ROLE CONFIG [ARGS...] — the only way tests start uplinkd. Checks (assert_in_test_netns) that
# ROLE is a namespace of this run and not the machine's, then runs
#   UPLINKD_REQUIRE_NETNS=1 $UPLINKD_BIN -c CONFIG ARGS…
# in it in the background (log: $H_TMP/uplinkd-ROLE.log, appended across restarts) and waits until
# `uplinkctl -s SOCKET status` answers (deadline $UPLINKD_START_DEADLINE, default 10 s). Fails at once if
# the daemon exits during start-up.
start_uplinkd() {
  local role=$1 config=$2 n sock
  shift 2
  n=$(_h_ns "$role")
  assert_in_test_netns "$n"    # first of all: never start uplinkd in the machine's namespace
  require_uplinkd
  [ -r "$config" ] || fail "start_uplinkd: no config file $config"
  sock=$(config_socket "$config")
  if [ -n "${H_UPLINKD_PID[$n]:-}" ] && _h_alive "${H_UPLINKD_PID[$n]}"; then
    fail "start_uplinkd: uplinkd already runs in $role (pid ${H_UPLINKD_PID[$n]})"
  fi
  local logf=$H_TMP/uplinkd-$role.log
  echo "===== $(date +%T.%N) start: $UPLINKD_BIN -c $config $*" >>"$logf"
  spawn "uplinkd($role)" "$logf" ip netns exec "$n" env UPLINKD_REQUIRE_NETNS=1 "$UPLINKD_BIN" -c "$config" "$@"
  H_UPLINKD_PID[$n]=$H_SPAWNED_PID
  H_UPLINKD_SOCK[$n]=$sock
  H_UPLINKD_LOG[$n]=$logf
  wait_for --deadline "${UPLINKD_START_DEADLINE:-10}" --what "uplinkd in $role answering on $sock" \
    _h_uplinkd_ready "$n"
}

_h_uplinkd_ready() {
  local n=$1 pid=${H_UPLINKD_PID[$1]}
  if ! _h_alive "$pid"; then
    wait "$pid" 2>/dev/null
    fail "uplinkd in $n exited during start-up (status $?); log: $(tail -n 20 "${H_UPLINKD_LOG[$n]}")"
  fi
  ip netns exec "$n" "$UPLINKCTL_BIN" -s "${H_UPLINKD_SOCK[$n]}" status
}

# uplinkd_pid ROLE — pid of the uplinkd running in ROLE.
uplinkd_pid() { echo "${H_UPLINKD_PID[$(_h_ns "$1")]:-}"; }

# uplinkd_log ROLE — its log file.
uplinkd_log() { echo "${H_UPLINKD_LOG[$(_h_ns "$1")]:-}"; }

# uplinkctl_in ROLE ARGS... — $UPLINKCTL_BIN -s SOCKET ARGS… inside ROLE (SOCKET of the uplinkd started
# there; or $UPLINKD_SOCKET if none was). Returns uplinkctl's status; output on stdout/stderr.
uplinkctl_in() {
  local n sock
  n=$(_h_ns "$1")
  shift
  sock=${H_UPLINKD_SOCK[$n]:-${UPLINKD_SOCKET:-}}
  [ -n "$sock" ] || fail "uplinkctl_in: no uplinkd socket known for $n"
  ip netns exec "$n" "$UPLINKCTL_BIN" -s "$sock" "$@"
}

# stop_uplinkd ROLE [DEADLINE] — SIGTERM, wait for the exit (default 10 s; then the test fails). The exit
# status is in $(uplinkd_exit_status ROLE).
stop_uplinkd() { _h_signal_uplinkd "$1" TERM "${2:-10}"; }

# kill9_uplinkd ROLE — SIGKILL (a crash: nothing is cleaned up by the daemon), wait for the exit.
kill9_uplinkd() { _h_signal_uplinkd "$1" KILL 5; }

_h_signal_uplinkd() {
  local n pid
  n=$(_h_ns "$1")
  pid=${H_UPLINKD_PID[$n]:-}
  [ -n "$pid" ] || fail "no uplinkd was started in $1"
  _h_alive "$pid" || fail "uplinkd in $1 (pid $pid) is not running; log: $(tail -n 20 "${H_UPLINKD_LOG[$n]}")"
  kill "-$2" "$pid"
  wait_for --deadline "$3" --what "uplinkd in $1 (pid $pid) to exit after SIG$2" _h_not_alive "$pid"
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  H_UPLINKD_EXIT[$n]=$rc
  echo "===== $(date +%T.%N) exited with status $rc after SIG$2" >>"${H_UPLINKD_LOG[$n]}"
}

# uplinkd_exit_status ROLE — exit status of the last uplinkd stopped in ROLE.
uplinkd_exit_status() { echo "${H_UPLINKD_EXIT[$(_h_ns "$1")]:-}"; }
