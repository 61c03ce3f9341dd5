#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/nft_repair.sh — the nftables figures of issue 12 (items 6 and 8), on a NAT router in mode "connection"
# with sticky sources and two masquerading DHCP uplinks:
#   - repair: the time from `nft flush ruleset` in the router's namespace to uplinkd's table being back (its
#     postrouting chain listed), median and max of --runs; it includes the 200 ms pause by which the daemon
#     gathers a burst of nftables events into one repair (src/daemon/host_watch.hpp);
#   - weight change: the daemon's own "kernel changes in N us" for `uplinkctl weight`, and the time from the
#     command to that log line, with no sticky sources and with --sticky of them (added in bulk from a file).
#
# Needs root: `bench/nft_repair.sh [--runs N] [--sticky N]` (as root). Everything runs in namespaces made by
# the integration-test harness (tests/integration/lib), removed on exit; the machine's own namespace, ruleset
# and /etc are never touched. Binaries: $UPLINKD_BIN and $UPLINKCTL_BIN when set, else those of the build dir
# (default build-bench), built first unless --no-build.
#
# Options: --runs N (default 20), --sticky N (default 65000), --no-build, --build-dir DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
RUNS=20
STICKY=65000
usage() {
  echo "usage: $0 [--runs N] [--sticky N] [--no-build] [--build-dir DIR]" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift ;;
    --sticky) STICKY=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $STICKY =~ ^[0-9]+$ && $STICKY -le 16000000 ]] || usage

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"
bm_require_root "$0"
bm_binaries "$0" "$BUILD" "$DO_BUILD"
export H_TEST_NAME=bench-nft-repair
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"
# shellcheck source=tests/integration/lib/failover.sh
source "$ROOT/tests/integration/lib/failover.sh"
# shellcheck source=tests/integration/lib/connection.sh
source "$ROOT/tests/integration/lib/connection.sh"

make_isp 1
make_isp 2
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG" 'mode = "connection"' 'sticky_timeout = 3600'
add_uplink "$CONFIG" 1 1 "masquerade = true"
add_uplink "$CONFIG" 2 1 "masquerade = true"
start_uplinkd router "$CONFIG"
start_dhcpcd router wan1
start_dhcpcd router wan2
wait_for --deadline 20 --what "both uplinks active" states_are router "wan1=active wan2=active"
LOG=$(uplinkd_log router)

now_us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
# A chain listing: cheap right after a flush (no sticky sources to fetch with it).
table_back() { in_ns router nft list chain inet uplinkd postrouting >/dev/null 2>&1; }

REPAIR=()
for ((run = 1; run <= RUNS; run++)); do
  table_back || fail "uplinkd's table is missing before run $run"
  start=$(now_us)
  in_ns router nft flush ruleset
  poll_until --deadline 10 --interval 0.005 table_back || fail "uplinkd's table not back within 10 s (run $run)"
  REPAIR+=($((($(now_us) - start) / 1000)))
  sleep 0.3 # let the daemon settle (its own echo) before the next flush
done
log "repair after nft flush ruleset (ms): ${REPAIR[*]}"

weight_lines() { grep -c 'weight of wan2: [0-9]* kernel changes in' "$LOG" || true; }
more_weight_lines() { (($(weight_lines) > $1)); }
# weight_runs LABEL — RUNS weight changes of wan2 (alternating 2 and 3); sets DAEMON_US and WALL_MS.
weight_runs() {
  local run count start
  DAEMON_US=() WALL_MS=()
  for ((run = 1; run <= RUNS; run++)); do
    count=$(weight_lines)
    start=$(now_us)
    uplinkctl_in router weight wan2 $((2 + run % 2)) >/dev/null
    poll_until --deadline 20 --interval 0.005 more_weight_lines "$count" || fail "$1: no converge logged (run $run)"
    WALL_MS+=($((($(now_us) - start) / 1000)))
    DAEMON_US+=("$(grep -o 'weight of wan2: [0-9]* kernel changes in [0-9]* us' "$LOG" | tail -n1 | awk '{print $(NF - 1)}')")
  done
  log "$1: daemon us ${DAEMON_US[*]}; wall ms ${WALL_MS[*]}"
}

weight_runs "no sticky sources"
read -r D0_MED _ D0_MAX <<<"$(bm_stats "${DAEMON_US[@]}")"
read -r W0_MED _ W0_MAX <<<"$(bm_stats "${WALL_MS[@]}")"

python3 -c "
print('add element inet uplinkd sticky { ' + ', '.join(
    '10.%d.%d.%d : $(uplink_mark 201)' % (i >> 16, (i >> 8) & 255, i & 255) for i in range(1, $STICKY + 1)) + ' }')
" >"$H_TMP/sticky.nft"
((STICKY == 0)) || in_ns router nft -f "$H_TMP/sticky.nft"
weight_runs "$STICKY sticky sources"
read -r DS_MED _ DS_MAX <<<"$(bm_stats "${DAEMON_US[@]}")"
read -r WS_MED _ WS_MAX <<<"$(bm_stats "${WALL_MS[@]}")"
kept=$(in_ns router nft -j list map inet uplinkd sticky | jq '[.nftables[] | .map? | .elem? // empty | length] | add')
((kept >= STICKY)) || fail "only $kept of $STICKY sticky sources are left after the weight changes"
read -r R_MED _ R_MAX <<<"$(bm_stats "${REPAIR[@]}")"

cat <<REPORT

### nftables reconciliation ($(bm_machine); $RUNS runs each)

| what | median | max |
|---|---|---|
| \`nft flush ruleset\` → uplinkd's table back (incl. the 200 ms pause) | $R_MED ms | $R_MAX ms |
| weight change, no sticky sources: daemon's converge | $D0_MED us | $D0_MAX us |
| weight change, no sticky sources: \`uplinkctl weight\` → converge logged | $W0_MED ms | $W0_MAX ms |
| weight change, $STICKY sticky sources: daemon's converge | $DS_MED us | $DS_MAX us |
| weight change, $STICKY sticky sources: \`uplinkctl weight\` → converge logged | $WS_MED ms | $WS_MAX ms |

All $kept sticky sources were still in the map after the weight changes.
REPORT
pass
