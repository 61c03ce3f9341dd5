#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/conntrack_sweep.sh — issue 12's conntrack figure: the sweep of a dead uplink's masqueraded conntrack
# entries in a table of 160,000 (by default), and the longest stall of uplinkd's event loop during it.
#
# The router has two masquerading uplinks with static addresses and gateways (no DHCP client that could drop
# an address and make the kernel flush the entries itself). tools/conntrack_check fills the router's conntrack
# table with synthetic established TCP entries: 1/16 NATed to wan1's address (the ones the sweep deletes), 5/16
# NATed to wan2's and 10/16 not NATed — the mix src/apply/conntrack_cleanup.cpp's figures were measured with.
# Then wan1 loses its carrier (the ISP's end goes down): uplinkd takes it out and sweeps. Meanwhile a loop
# times `uplinkctl status` round trips back to back; the loop cannot answer while a sweep runs on it, so the
# longest round trip during the sweep is its stall, the median the usual answer time.
#
# Per run it prints: the entries deleted, the sweep time (uplinkd's debug log: "conntrack sweep of … took"
# when the sweep runs off the loop; with a binary whose sweep runs inside the converge, that converge's time, which includes it),
# and the max and median status round trip from the carrier loss until the sweep was logged, next to the
# median before it (idle). --compare DIR measures DIR's uplinkd and uplinkctl the same way first (e.g. a build
# of main: the "before" figure).
#
# Needs root: `bench/conntrack_sweep.sh [--runs N] [--entries N] [--compare BUILD_DIR]`. Everything runs in
# namespaces made by the integration-test harness, named after a unique run id; the machine's own namespace
# and /etc are never touched (nf_conntrack_max is the machine's, read only: the table must fit in it);
# processes are stopped by pid only; the harness's trap removes namespaces and temp files, also on failure.
#
# Options: --runs N (per binary, default 3), --entries N (default 160000, a multiple of 16), --compare DIR,
#          --no-build, --build-dir DIR (default build-bench; or set UPLINKD_BIN, UPLINKCTL_BIN and
#          CONNTRACK_CHECK), --keep DIR (copy the logs there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
RUNS=3
ENTRIES=160000
COMPARE=
KEEP=
usage() {
  echo "usage: $0 [--runs N] [--entries N] [--compare BUILD_DIR] [--no-build] [--build-dir DIR] [--keep DIR]" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift ;;
    --entries) ENTRIES=$2; shift ;;
    --compare) COMPARE=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $ENTRIES =~ ^[1-9][0-9]*$ && $((ENTRIES % 16)) -eq 0 ]] || usage

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"
bm_require_root bench/conntrack_sweep.sh
bm_binaries bench/conntrack_sweep.sh "$BUILD" "$DO_BUILD"
if [[ -z ${CONNTRACK_CHECK:-} ]]; then
  CONNTRACK_CHECK=$BUILD/tests/integration/tools/conntrack_check
  ((DO_BUILD)) && ninja -C "$BUILD" -j2 conntrack_check >/dev/null
fi
[[ -x $CONNTRACK_CHECK ]] || { echo "bench/conntrack_sweep.sh: missing $CONNTRACK_CHECK" >&2; exit 1; }
if [[ -n $COMPARE ]]; then
  for binary in "$COMPARE/src/daemon/uplinkd" "$COMPARE/src/cli/uplinkctl"; do
    [[ -x $binary ]] || { echo "bench/conntrack_sweep.sh: --compare: missing $binary" >&2; exit 1; }
  done
fi
max=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo 0)
((max >= ENTRIES + 1000)) || { echo "bench/conntrack_sweep.sh: nf_conntrack_max is $max, too small for $ENTRIES entries" >&2; exit 1; }

export H_TEST_NAME=bench-conntrack-sweep
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"
bm_require_tools conntrack

RESULTS=$H_TMP/results # label run deleted sweep_ms max_ms median_ms idle_median_ms samples
: >"$RESULTS"

setup() {
  make_isp 1 --no-dhcp
  make_isp 2 --no-dhcp
  CONFIG=$H_TMP/uplinkd.toml
  write_config "$CONFIG"
  local n
  for n in 1 2; do
    ip -n "$(_h_ns router)" addr add "100.64.$n.10/24" dev "wan$n"
    add_uplink "$CONFIG" "$n" 1 "masquerade = true" "gateway = \"$(isp_gw "$n")\""
  done
}

both_up() { has_members router 1:1 2:1; }

# fill — the router's conntrack table: ENTRIES synthetic entries in the mix above.
fill() {
  local part=$((ENTRIES / 16)) out
  in_ns router conntrack -F >/dev/null 2>&1 || true
  out=$(in_ns router "$CONNTRACK_CHECK" create "$part" 10.1.0.1 "$INET_ADDR" 100.64.1.10)
  [[ $out == "created $part" ]] || fail "conntrack_check: $out"
  out=$(in_ns router "$CONNTRACK_CHECK" create $((part * 5)) 10.2.0.1 "$INET_ADDR" 100.64.2.10)
  [[ $out == "created $((part * 5))" ]] || fail "conntrack_check: $out"
  out=$(in_ns router "$CONNTRACK_CHECK" create $((part * 10)) 10.3.0.1 "$INET_ADDR" -)
  [[ $out == "created $((part * 10))" ]] || fail "conntrack_check: $out"
}

# prober FILE STOP — `uplinkctl status` round trips back to back, one "START_US RTT_US" line each, until STOP
# exists. The control socket is a path: no namespace is needed to reach it.
prober() {
  local file=$1 stop=$2 sock=$H_TMP/uplinkd.sock t0 t1
  while [[ ! -e $stop ]] && kill -0 $$ 2>/dev/null; do
    t0=${EPOCHREALTIME/./}
    "$UPLINKCTL_BIN" -s "$sock" status >/dev/null 2>&1 || true
    t1=${EPOCHREALTIME/./}
    echo "$((10#$t0)) $((10#$t1 - 10#$t0))" >>"$file"
  done
}

line_count_of() { [[ -e $1 ]] && wc -l <"$1" || echo 0; }
samples_at_least() { (($(line_count_of "$1") >= $2)); }
logged_after() { tail -n +"$2" "$1" | grep -q "$3"; }

measure() { # measure LABEL RUN
  local label=$1 run=$2 logf lines probes stop t_down t_end deleted sweep_ms stats idle
  wait_for --deadline 15 --what "both uplinks in the group" both_up
  fill
  logf=$(uplinkd_log router)
  lines=$(($(wc -l <"$logf") + 1))
  probes=$H_TMP/probes-$label-$run stop=$H_TMP/stop-$label-$run
  prober "$probes" "$stop" &
  local prober_pid=$!
  wait_for --deadline 10 --what "idle status round trips" samples_at_least "$probes" 30
  t_down=${EPOCHREALTIME/./}
  link_down isp1 rtr
  wait_for --deadline 30 --what "the sweep in uplinkd's log" logged_after "$logf" "$lines" "conntrack entries masqueraded to 100.64.1.10"
  t_end=${EPOCHREALTIME/./}
  # One more round trip after the log line, so that a stall that ends with it is counted.
  local have
  have=$(line_count_of "$probes")
  wait_for --deadline 10 --what "a round trip after the sweep" samples_at_least "$probes" $((have + 2))
  touch "$stop"
  wait "$prober_pid" || true
  deleted=$(tail -n +"$lines" "$logf" | sed -n 's/.*deleted \([0-9]*\) conntrack entries masqueraded to 100.64.1.10.*/\1/p' | head -n1)
  sweep_ms=$(tail -n +"$lines" "$logf" | sed -n 's/.*conntrack sweep of 100.64.1.10 took \([0-9.]*\) ms.*/\1/p' | head -n1)
  if [[ -z $sweep_ms ]]; then # the sweep ran inside the converge: its time is the converge's
    sweep_ms=$(tail -n +"$lines" "$logf" | sed -n 's/.*kernel changes in \([0-9]*\) us.*/\1/p' | head -n1)
    sweep_ms=$(awk -v us="${sweep_ms:-0}" 'BEGIN { printf "%.1f (converge)", us / 1000 }')
  fi
  # Round trips that overlap [t_down, the first one starting after t_end]; idle: the ones before t_down.
  stats=$(awk -v a="$t_down" -v b="$t_end" '$1 + $2 >= a && $1 <= b + 0 { print $2 / 1000 }' "$probes")
  idle=$(awk -v a="$t_down" '$1 + $2 < a { print $2 / 1000 }' "$probes")
  # shellcheck disable=SC2086
  read -r median _ maximum <<<"$(bm_stats $stats)"
  # shellcheck disable=SC2086
  read -r idle_median _ _ <<<"$(bm_stats $idle)"
  echo "$label $run ${deleted:-?} ${sweep_ms// /_} $maximum $median $idle_median $(line_count "$stats")" >>"$RESULTS"
  log "$label run $run: deleted ${deleted:-?}, sweep $sweep_ms ms, status round trip during it max $maximum ms, median $median ms (idle median $idle_median ms)"
  link_up isp1 rtr
}

line_count() { if [ -z "$1" ]; then echo 0; else wc -l <<<"$1"; fi; }

run_binary() { # run_binary LABEL UPLINKD UPLINKCTL
  UPLINKD_BIN=$2 UPLINKCTL_BIN=$3
  start_uplinkd router "$CONFIG" --log-level debug # the sweep's time is a debug line
  local run
  for ((run = 1; run <= RUNS; run++)); do measure "$1" "$run"; done
  stop_uplinkd router
}

setup
AFTER_UPLINKD=$UPLINKD_BIN AFTER_UPLINKCTL=$UPLINKCTL_BIN # run_binary sets UPLINKD_BIN for the harness
[[ -n $COMPARE ]] && run_binary before "$COMPARE/src/daemon/uplinkd" "$COMPARE/src/cli/uplinkctl"
run_binary after "$AFTER_UPLINKD" "$AFTER_UPLINKCTL"

echo
echo "## Conntrack sweep of a dead uplink ($ENTRIES entries, $((ENTRIES / 16)) of them NATed to it)"
echo
bm_machine
echo
echo "| binary | run | deleted | sweep (ms) | status round trip during the sweep: max (ms) | median (ms) | idle median (ms) | round trips |"
echo "|---|---|---|---|---|---|---|---|"
while read -r label run deleted sweep maximum median idle samples; do
  echo "| $label | $run | $deleted | ${sweep//_/ } | $maximum | $median | $idle | $samples |"
done <"$RESULTS"
if [[ -n $KEEP ]]; then
  mkdir -p "$KEEP"
  cp "$RESULTS" "$H_TMP"/*.log "$H_TMP"/probes-* "$KEEP/" 2>/dev/null || true
  log "results and logs copied to $KEEP"
fi
pass
