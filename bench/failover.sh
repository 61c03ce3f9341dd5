#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/failover.sh — the failover figures of issue 3, measured on traffic: a LAN host sends a 1 ms packet
# stream (udp_stream, 16 flows by default) through the router to the internet host, balanced by flow over two
# DHCP uplinks with masquerade and three ICMP health targets each; then one uplink fails. Per run it records
#   - the outage of the flows that were on the failed uplink: the most packets one of them lost (one is sent
#     per ms, so that is the outage in ms) and their longest gap between two arrivals;
#   - what the flows on the surviving uplink lost (goal 0), and what every flow lost, or whether one moved,
#     while the failed uplink came back (goal 0: connections stay pinned to the uplink they use);
#   - how long uplinkd's converge after the verdict took (its log), and when the uplink was back up.
# Failures: a silent upstream (an nft drop in the ISP, carrier up) of IPv4 alone and of IPv6 alone, each with
# the default health settings and with a "fast" profile (interval 0.1 s, timeout 0.05–0.15 s), both with
# adaptive timing; of IPv4 with uplinkd 0.1's fixed timing too (the before of issue 15), and a carrier loss
# (the ISP's end of the link goes down). Both families stream side by side in every run (dual-stack uplinks,
# IPv6 by SLAAC/RA and uplinkd's NAT66, see failover_lib.sh), so a one-family failure also shows
# that the other family's flows lose nothing.
# Each is repeated --runs times at a random phase against the probe schedule, alternating the failed uplink.
# Then, with the stream off, it counts the probes in the ISP's forward path for a fixed time (nft counters per
# target and direction) to give what probing costs per target in bit/s.
#
# Run as root: `bench/failover.sh [--runs N]`. Prints markdown tables at the end; docs/benchmarks.md
# ("Failover") explains every figure. Not part of ctest: a full run takes about 8 minutes.
#
# Everything runs in namespaces made by the integration-test harness (tests/integration/lib), named after a
# unique run id; the machine's own namespace and /etc are never touched; processes are stopped by pid only;
# the harness's trap removes namespaces and temp files on exit, also after a failure or ^C.
#
# Binaries: $UPLINKD_BIN, $UPLINKCTL_BIN and $UDP_STREAM when all three are set (nothing is built); otherwise
# those of the build dir (default build-bench, as bench/run.sh), built first unless --no-build.
#
# Options: --runs N (per failure kind and profile, default 10), --flows N (default 16), --probe-seconds S
#          (probe counting window per profile, default 20), --only KIND[,KIND] (silent-default, silent-fast,
#          silent6-default, silent6-fast, silent-fixed, silent-fast-fixed, silent6-fixed, carrier; default all but
#          silent6-fixed), --rt-priority P (SCHED_FIFO priority of the stream's sender and receiver,
#          default 20, 0 for none), --no-build, --build-dir DIR, --keep DIR (copy raw results and logs there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
RUNS=10
FLOWS=16
PROBE_SECONDS=20
RT_PRIORITY=20
ONLY=silent-fixed,silent-default,silent6-default,silent-fast-fixed,silent-fast,silent6-fast,carrier
KEEP=
usage() {
  echo "usage: $0 [--runs N] [--flows N] [--probe-seconds S] [--only KIND,...] [--rt-priority P] [--no-build] [--build-dir DIR]" \
    "[--keep DIR]" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift ;;
    --flows) FLOWS=$2; shift ;;
    --probe-seconds) PROBE_SECONDS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --rt-priority) RT_PRIORITY=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $FLOWS =~ ^[1-9][0-9]*$ && $FLOWS -le 64 && $PROBE_SECONDS =~ ^[1-9][0-9]*$ &&
  $RT_PRIORITY =~ ^[0-9]+$ && $RT_PRIORITY -le 99 ]] || usage
for kind in ${ONLY//,/ }; do
  [[ $kind =~ ^(silent-default|silent-fast|silent6-default|silent6-fast|silent-fixed|silent-fast-fixed|silent6-fixed|carrier)$ ]] || usage
done

if ((EUID != 0)); then
  echo "bench/failover.sh needs root (network namespaces): run it as root" >&2
  exit 1
fi

if [[ -n ${UPLINKD_BIN:-} && -n ${UPLINKCTL_BIN:-} && -n ${UDP_STREAM:-} ]]; then
  : # given by the caller
else
  if ((DO_BUILD)); then
    echo "bench/failover.sh: building uplinkd, uplinkctl and udp_stream in $BUILD" >&2
    [[ -f $BUILD/build.ninja ]] || cmake -G Ninja -S "$ROOT" -B "$BUILD" >/dev/null
    ninja -C "$BUILD" -j"$(nproc)" uplinkd uplinkctl udp_stream >/dev/null
  fi
  UPLINKD_BIN=$BUILD/src/daemon/uplinkd
  UPLINKCTL_BIN=$BUILD/src/cli/uplinkctl
  UDP_STREAM=$BUILD/tests/integration/tools/udp_stream
fi
for binary in "$UPLINKD_BIN" "$UPLINKCTL_BIN" "$UDP_STREAM"; do
  [[ -x $binary ]] || { echo "bench/failover.sh: missing $binary (build it, or drop --no-build)" >&2; exit 1; }
done
export UPLINKD_BIN UPLINKCTL_BIN

export H_TEST_NAME=bench-failover # the harness names its log lines and verdict after it
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"
# shellcheck source=tests/integration/lib/ipv6.sh
source "$ROOT/tests/integration/lib/ipv6.sh"
# shellcheck source=bench/failover_lib.sh
source "$ROOT/bench/failover_lib.sh"
# shellcheck source=bench/failover_report.sh
source "$ROOT/bench/failover_report.sh"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
setup_topology
SEQ=0
for kind in silent-fixed silent-default silent6-fixed silent6-default carrier silent-fast-fixed silent-fast silent6-fast; do
  [[ ,$ONLY, == *",$kind,"* ]] || continue
  profile=${kind#*-}
  [[ $kind == carrier ]] && profile=default
  use_profile "$profile"
  for ((run = 1; run <= RUNS; run++)); do
    failover_run "${kind%%-*}" "$profile" "$run"
  done
done
print_report
if [[ -n $KEEP ]]; then
  mkdir -p "$KEEP"
  cp "$RESULTS" "$RESULTS6" "$PROBES" "$KEEP/"
  cp "$H_TMP"/*.log "$KEEP/" 2>/dev/null || true
  log "raw results and logs copied to $KEEP"
fi
pass
