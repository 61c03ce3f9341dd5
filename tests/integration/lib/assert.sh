# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Assertions, polling and the PASS/FAIL verdict of an integration test.
# Sourced by netns.sh; do not source on its own.

# The test's own stdout and stderr, kept: poll_until runs its command with both sent to a file, and a fail
# (or the EXIT trap's verdict and log dump) from inside that command must still reach the person reading
# the run.
[ -n "${H_ERR_FD:-}" ] || exec {H_OUT_FD}>&1 {H_ERR_FD}>&2

# fail MESSAGE... — report a failure and end the test (the EXIT trap cleans up).
# Inside a command substitution or ( subshell ) only that subshell exits, so fail also leaves a marker
# file that the EXIT trap turns into a FAIL verdict even if the caller ignored the subshell's status.
fail() {
  exec 2>&"$H_ERR_FD"
  local msg="$*"
  printf '%s FAIL: %s\n' "$(_h_stamp)" "${msg:-(no message)}" >&2
  local i
  for ((i = 1; i < ${#FUNCNAME[@]} && i < 8; i++)); do
    printf '    at %s (%s:%s)\n' "${FUNCNAME[$i]}" "${BASH_SOURCE[$i]##*/}" "${BASH_LINENO[$((i - 1))]}" >&2
  done
  [ -n "${H_TMP:-}" ] && [ -d "$H_TMP" ] && printf '%s\n' "$msg" >>"$H_TMP/.failed"
  exit 1
}

# log MESSAGE... — a time-stamped progress line on stderr.
log() { printf '%s %s\n' "$(_h_stamp)" "$*" >&2; }

_h_stamp() { printf '[%s +%ss]' "${H_RUN_ID:-?}" "$((SECONDS - ${H_T0:-0}))"; }

assert_eq() { # assert_eq EXPECTED ACTUAL [WHAT]
  [ "$1" == "$2" ] || fail "${3:-values differ}: expected '$1', got '$2'"
}

assert_ne() { # assert_ne UNEXPECTED ACTUAL [WHAT]
  [ "$1" != "$2" ] || fail "${3:-values equal}: did not expect '$1'"
}

assert_contains() { # assert_contains HAYSTACK NEEDLE [WHAT]
  [[ "$1" == *"$2"* ]] || fail "${3:-text lacks expected part}: '$2' not found in: $1"
}

assert_not_contains() { # assert_not_contains HAYSTACK NEEDLE [WHAT]
  [[ "$1" != *"$2"* ]] || fail "${3:-text has unexpected part}: '$2' found in: $1"
}

assert_ge() { # assert_ge A B [WHAT] — integers, A >= B
  [ "$1" -ge "$2" ] 2>/dev/null || fail "${3:-comparison failed}: expected $1 >= $2"
}

assert_le() { # assert_le A B [WHAT] — integers, A <= B
  [ "$1" -le "$2" ] 2>/dev/null || fail "${3:-comparison failed}: expected $1 <= $2"
}

assert_between() { # assert_between VALUE LOW HIGH [WHAT] — integers, inclusive
  { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; } 2>/dev/null || fail "${4:-value out of range}: $1 not in [$2, $3]"
}

# assert_ok CMD... — run CMD, fail the test with CMD's output if it fails.
assert_ok() {
  local out
  if ! out=$("$@" 2>&1); then fail "command failed: $* — output: $out"; fi
}

# assert_fails CMD... — run CMD, fail the test if it succeeds.
assert_fails() {
  local out
  if out=$("$@" 2>&1); then fail "command succeeded but should have failed: $* — output: $out"; fi
}

# _h_usec SECONDS — "2", "0.5", "1.25" → microseconds.
_h_usec() {
  local s=$1 int frac
  [[ $s =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bad deadline '$s'" >&2; return 1; }
  int=${s%%.*}
  if [[ $s == *.* ]]; then frac=${s#*.}000000; frac=${frac:0:6}; else frac=0; fi
  echo $((10#$int * 1000000 + 10#$frac))
}

_h_now_usec() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }

# _h_not CMD... — true when CMD fails (for wait_for, which takes a command, not a `!` pipeline).
_h_not() { ! "$@"; }

# poll_until [--deadline S] [--interval S] CMD... — run CMD every 50 ms until it succeeds (return 0) or the
# deadline (default 10 s) passes (return 1). CMD runs in the current shell, so it may call fail to give up
# early (e.g. when the daemon it waits for has died). Its output of the last try is in $H_LAST_OUTPUT.
# CMD's arguments are expanded once, by the caller: `poll_until test "$(count)" -gt 5` compares one count
# forever. What must be measured anew on each try goes into a function or `eval '[ "$(count)" -gt 5 ]'`.
poll_until() {
  local deadline=10 interval=0.05
  while [ $# -gt 0 ]; do
    case $1 in
      --deadline) deadline=$2; shift 2 ;;
      --interval) interval=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  if [ $# -ge 2 ] && [ "${*: -2:1}" == --deadline ]; then deadline=${*: -1}; set -- "${@:1:$#-2}"; fi
  [ $# -gt 0 ] || fail "poll_until: no command given"
  local end out_file=${H_TMP:-/tmp}/.poll.$BASHPID
  end=$(($(_h_now_usec) + $(_h_usec "$deadline")))
  while :; do
    if "$@" >"$out_file" 2>&1; then H_LAST_OUTPUT=$(<"$out_file"); rm -f "$out_file"; return 0; fi
    H_LAST_OUTPUT=$(<"$out_file")
    [ "$(_h_now_usec)" -lt "$end" ] || break
    sleep "$interval"
  done
  rm -f "$out_file"
  return 1
}

# wait_for [--deadline S] [--what TEXT] CMD... [--deadline S] — like poll_until, but a timeout fails the
# test with a message naming what was awaited (TEXT, or the command) and the command's last output.
wait_for() {
  local deadline=10 what="" args=()
  while [ $# -gt 0 ]; do
    case $1 in
      --deadline) deadline=$2; shift 2 ;;
      --what) what=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  if [ $# -ge 2 ] && [ "${*: -2:1}" == --deadline ]; then deadline=${*: -1}; set -- "${@:1:$#-2}"; fi
  args=("$@")
  [ -n "$what" ] || what="${args[*]}"
  if ! poll_until --deadline "$deadline" "${args[@]}"; then
    fail "timed out after ${deadline}s waiting for: $what${H_LAST_OUTPUT:+ — last output: ${H_LAST_OUTPUT:0:2000}}"
  fi
}

# pass — the last line of a successful test. A test that exits 0 without calling pass is reported as FAIL,
# so an early `exit 0` cannot pass by accident.
pass() {
  H_PASSED=1
  exit 0
}

# skip REASON — end the test as skipped (exit 0, prints SKIP). For missing prerequisites only.
skip() {
  H_SKIPPED=1
  printf '%s SKIP: %s\n' "$(_h_stamp)" "$*" >&2
  exit 0
}
