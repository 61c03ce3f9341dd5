#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/control_latency.sh — the event loop's latency while clients stall the control socket (issue 12): the
# round trip of a `status` request (connect, request, whole answer; control_clients latency, no process
# start in the figure) COUNT times in a row, median and max, with
#   - no other client;
#   - STALLED clients holding half a request each and never reading (control_clients stall);
#   - the same with the daemon's descriptors limited to 64 (prlimit), so that accepting runs out of them.
# Before issue 12 the stalled clients were held for 30 s and more, and out of descriptors the daemon spun at
# 100 % CPU; now the oldest stalled connection makes room and each is closed after the 5 s read deadline.
# Also printed: the daemon's CPU time and log lines over each phase.
#
# Needs root: `sudo bench/control_latency.sh`. Everything runs in namespaces made by the integration-test
# harness (tests/integration/lib), which removes them and stops every process by pid on exit.
#
# Binaries: $UPLINKD_BIN, $UPLINKCTL_BIN and $CONTROL_CLIENTS when all three are set (nothing is built);
# otherwise those of the build dir (default build-bench), built first unless --no-build.
#
# Options: --count N (round trips per phase, default 200), --stalled N (default 200), --no-build,
#          --build-dir DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
COUNT=200
STALLED=200
usage() {
  echo "usage: $0 [--count N] [--stalled N] [--no-build] [--build-dir DIR]" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --count) COUNT=$2; shift ;;
    --stalled) STALLED=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[[ $COUNT =~ ^[1-9][0-9]*$ && $STALLED =~ ^[0-9]+$ ]] || usage

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"
bm_require_root bench/control_latency.sh
if [[ -z ${CONTROL_CLIENTS:-} ]]; then
  ((DO_BUILD == 0)) || { [[ -f $BUILD/build.ninja ]] || cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null; ninja -C "$BUILD" -j2 control_clients >/dev/null; }
  CONTROL_CLIENTS=$BUILD/tests/integration/tools/control_clients
fi
[[ -x $CONTROL_CLIENTS ]] || { echo "bench/control_latency.sh: missing $CONTROL_CLIENTS" >&2; exit 1; }
bm_binaries bench/control_latency.sh "$BUILD" "$DO_BUILD"

export H_TEST_NAME=bench-control-latency
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"

make_isp 1 --no-dhcp
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
start_uplinkd router "$CONFIG"
SOCK=$H_TMP/uplinkd.sock
PID=$(uplinkd_pid router)
LOG=$(uplinkd_log router)

cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ print int(($12 + $13) * 1000 / hz) }'; }

ROWS=()
# phase NAME STALLED — COUNT round trips with STALLED stalled clients connected first.
phase() {
  local name=$1 stalled=$2 out=$H_TMP/latency-$RANDOM.out cpu0 lines0 started stall_pid="" samples
  cpu0=$(cpu_ms "$PID")
  lines0=$(wc -l <"$LOG")
  started=$(_h_now_usec)
  if ((stalled > 0)); then
    # Held longer than the round trips take; the daemon closes them after its 5 s read deadline anyway.
    spawn "control_clients stall" "$out.stall" in_ns router "$CONTROL_CLIENTS" stall "$SOCK" "$stalled" 6
    stall_pid=$H_SPAWNED_PID
    wait_for --deadline 10 --what "stalled clients connected" grep -q '^connected' "$out.stall"
  fi
  in_ns router "$CONTROL_CLIENTS" latency "$SOCK" "$COUNT" >"$out" || fail "$name: status round trips failed"
  local wall_ms=$((($(_h_now_usec) - started) / 1000))
  [[ -z $stall_pid ]] || stop_pid "$stall_pid"
  mapfile -t samples <"$out"
  read -r median _ max < <(bm_stats "${samples[@]}")
  ROWS+=("| $name | ${#samples[@]} | $(awk -v v="$median" 'BEGIN { printf "%.2f", v / 1000 }') | $(awk -v v="$max" 'BEGIN { printf "%.2f", v / 1000 }') | $(($(cpu_ms "$PID") - cpu0)) ms over $wall_ms ms | $(($(wc -l <"$LOG") - lines0)) |")
  log "$name: median ${median} us, max ${max} us"
}

phase "no other client" 0
phase "$STALLED stalled clients" "$STALLED"
prlimit --pid "$PID" --nofile=64:64
phase "$STALLED stalled clients, daemon at 64 descriptors" "$STALLED"

echo
echo "## Control socket: status round trip ($(bm_machine))"
echo
echo "| phase | round trips | median ms | max ms | daemon CPU | log lines |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${ROWS[@]}"
pass
