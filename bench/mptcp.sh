#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/mptcp.sh — what `mptcp = true` gives ONE connection (issue 15): its throughput over 2 and 3 NATed
# uplinks as a share of their sum (goal ≥ 95 %), and the stall it sees when its ISP dies (goal: under
# uplinkd's detection time, and no reconnect), side by side with `packet` mode and plain `flow` mode.
#
# Set-up (the harness's, as tests/integration/mptcp_test.sh): the router holds wan1..wan3, static addresses
# 100.64.N.10 (lib/probe_targets.sh's static_uplink), each ISP masquerades to the internet host 198.51.100.1,
# every ISP link is shaped to 10 Mbit/s in both directions (tbf). uplinkd in the router: flow mode,
# `mptcp = true`, weight 1 per uplink, one health target (the internet host), default adaptive timing,
# hold_down = 0. The router is the client, the internet host the server; MPTCP programs are unmodified ones
# under Debian's `mptcpize run` at both ends.
#
# 1. Throughput, --runs times with 2 uplinks and with 3: per ISP one plain TCP connection bound to its
#    address (iperf3 -B: its source rule keeps it there), then one MPTCP connection (iperf3 under mptcpize),
#    then one plain TCP connection as flow mode routes it (one uplink, picked by the hash); --seconds each,
#    CUBIC. Figure: the receiver's bytes per second over the steady part (iperf3's server-side per-second
#    figures after the first 2 s), as a % of the sum of the per-ISP figures of the same run. Beside them,
#    packet mode's one TCP flow over 2 and 3 equal 10 Mbit/s links, measured by bench/aggregation.sh (cases
#    one10, pkt-2eq, pkt-3eq, --runs repeats of --seconds): packet mode needs the seed's two-host topology with
#    the same address on every link (tests/integration/lib/equalize.sh), not NATed ISPs, so it cannot run on
#    this one.
# 2. Stall, --runs times per failure (silent: isp1 drops everything from the router, carrier up; carrier:
#    wan1 loses its carrier) and per connection (MPTCP over wan1 and wan2; plain TCP bound to wan1's address,
#    i.e. a flow-mode connection on the uplink that fails). A Python sender and receiver (written by
#    bench/mptcp_lib.sh; plain TCP programs, made MPTCP by mptcpize) carry the connection; the receiver notes
#    the time of every read. The failure lasts --outage s. Figures: the stall — the longest gap between two
#    reads at the receiver that ends after the failure and starts within 2 s of it (at the receiver, so the
#    sender's buffer hides nothing; every read, so the resolution is the packet's, not iperf3's 0.1 s
#    intervals), what it read in those 2 s and what the failure cost (how far that falls short of 2 s at the
#    rate it reads on wan2 alone later), the longest gaps before and after them (what a 10 Mbit/s
#    path does without a failure); uplinkd's detection (its health transition's time after the injection);
#    whether the connection survived (the sender's exit status, one accepted connection, a clean end); the
#    uplinks it has subflows on (ss); whether wan1 carries it again after the repair (wan1's tx bytes over 3 s).
#
# Run as root: `bench/mptcp.sh`. Prints markdown tables at the end; docs/benchmarks.md ("MPTCP (issue 15)")
# explains them. About 16 minutes with the defaults. Not part of ctest.
#
# Everything runs in namespaces made by the integration-test harness (tests/integration/lib), named after a
# unique run id; the machine's own namespace and /etc are never touched; processes are stopped by pid only;
# the harness's trap removes namespaces and temp files on exit, also after a failure or ^C.
#
# Binaries: $UPLINKD_BIN and $UPLINKCTL_BIN when both are set (nothing is built); otherwise those of the
# build dir (default build-bench), built first unless --no-build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
RUNS=5
SECS=10
OUTAGE=4
ONLY=throughput2,throughput3,packet,silent,carrier
KEEP=
usage() {
  cat >&2 <<EOF
usage: $0 [--runs N] [--seconds S] [--outage S] [--only KIND,...] [--no-build] [--build-dir DIR] [--keep DIR]
  --runs N        runs per throughput case, per failure and connection, and packet-mode repeats (default $RUNS)
  --seconds S     length of one throughput transfer (default $SECS, at least 4; the first 2 s are left out)
  --outage S      how long wan1 stays failed in a stall run, from the injection (default $OUTAGE, at least 2)
  --only KINDS    throughput2, throughput3, packet, silent, carrier (default all)
  --keep DIR      copy the raw results (TSV), iperf3's JSON, the receivers' read logs and every log there
EOF
  exit 2
}
while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift ;;
    --seconds) SECS=$2; shift ;;
    --outage) OUTAGE=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $SECS =~ ^[0-9]+$ && $SECS -ge 4 && $OUTAGE =~ ^[0-9]+$ && $OUTAGE -ge 2 ]] || usage
for kind in ${ONLY//,/ }; do
  [[ $kind =~ ^(throughput2|throughput3|packet|silent|carrier)$ ]] || usage
done
wanted() { [[ ,$ONLY, == *",$1,"* ]]; }

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"
bm_require_root bench/mptcp.sh
bm_binaries bench/mptcp.sh "$BUILD" "$DO_BUILD"
echo "bench/mptcp.sh — $(bm_machine)"

export H_TEST_NAME=bench-mptcp # the harness names its log lines and verdict after it
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"
# shellcheck source=tests/integration/lib/failover.sh
source "$ROOT/tests/integration/lib/failover.sh"
# shellcheck source=tests/integration/lib/probe_targets.sh
source "$ROOT/tests/integration/lib/probe_targets.sh"
bm_require_tools iperf3 mptcpize python3 jq tc chrt nsenter
# shellcheck source=bench/mptcp_lib.sh
source "$ROOT/bench/mptcp_lib.sh"

PACKET=$H_TMP/packet # bench/aggregation.sh's raw results (its --keep)
PACKET_NOTE=

# run_packet — packet mode's cases in their own namespaces, by bench/aggregation.sh (its own harness run and
# cleanup); on failure the report quotes docs/benchmarks.md instead and says so.
run_packet() {
  log "packet mode: bench/aggregation.sh --only one10,pkt-2eq,pkt-3eq --repeats $RUNS --seconds $SECS"
  if ! "$ROOT/bench/aggregation.sh" --no-build --only one10,pkt-2eq,pkt-3eq --repeats "$RUNS" --seconds "$SECS" \
    --keep "$PACKET" >"$H_TMP/aggregation.out" 2>"$H_TMP/aggregation.log" || [[ ! -s $PACKET/aggregation.tsv ]]; then
    PACKET_NOTE="bench/aggregation.sh failed here (log: aggregation.log); packet-mode figures quoted from docs/benchmarks.md (2026-12-02)"
    log "$PACKET_NOTE"
  fi
}

# ---------------------------------------------------------------------------------------------------------
# Report

mbit() { awk -v b="$1" 'BEGIN { if (b == "-") print "-"; else printf "%.2f\n", b * 8 / 1e6 }'; }

# throughput_column LINKS COLUMN — the values of COLUMN over the throughput runs with LINKS uplinks.
throughput_column() { awk -F'\t' -v l="$1" -v c="$2" '$1 == l { print $c }' "$MB_THROUGHPUT"; }

# percents LINKS COLUMN — COLUMN as a % of the run's sum, one per run.
percents() { awk -F'\t' -v l="$1" -v c="$2" '$1 == l && $4 > 0 { printf "%.2f\n", $c / $4 * 100 }' "$MB_THROUGHPUT"; }

# shares LINKS — the median share (%) of each uplink in the MPTCP transfer's bytes sent, "a / b / c".
shares() {
  local n out=""
  for ((n = 1; n <= $1; n++)); do
    # shellcheck disable=SC2046 # one value per line
    out+="$(bm_stats $(awk -F'\t' -v l="$1" -v k="$n" '$1 == l {
        split($7, s, ","); t = 0; for (i in s) t += s[i]; if (t) printf "%.1f\n", s[k] / t * 100 }' "$MB_THROUGHPUT") |
      cut -d' ' -f1) / "
  done
  echo "${out% / }"
}

# packet_row LINKS — the packet-mode row for LINKS equal links: from aggregation.sh's results of this run, or
# quoted from docs/benchmarks.md.
packet_row() {
  local links=$1 name=pkt-${1}eq one med min max
  if [[ -z $PACKET_NOTE && -s $PACKET/aggregation.tsv ]]; then
    # shellcheck disable=SC2046
    read -r one _ _ <<<"$(bm_stats $(awk -F'\t' '$1 == "one10" { print $3 }' "$PACKET/aggregation.tsv"))"
    # shellcheck disable=SC2046
    read -r med min max <<<"$(bm_stats $(awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$PACKET/aggregation.tsv"))"
    echo "| $links | packet mode, one TCP flow (bench/aggregation.sh, two-host topology, no NAT) | $RUNS | $med ($min–$max) | $(bm_ratio "$med" "$(awk -v o="$one" -v l="$links" 'BEGIN { print o * l }')") | $(bm_ratio "$min" "$(awk -v o="$one" -v l="$links" 'BEGIN { print o * l }')") | one link alone: $one Mbit/s (median) |"
  elif ((links == 2)); then
    echo "| 2 | packet mode, one TCP flow (quoted from docs/benchmarks.md, 2026-12-02, not measured in this run) | 3 | 19.1 (18.4–19.1) | 99.5 | 95.8 | one link alone: 9.6 Mbit/s |"
  else
    echo "| 3 | packet mode, one TCP flow (quoted from docs/benchmarks.md, 2026-12-02, not measured in this run) | 3 | 28.7 (28.7–28.7) | 99.7 | 99.7 | one link alone: 9.6 Mbit/s |"
  fi
}

print_throughput() {
  local links med min max pm pmin base_cells n
  [[ -s $MB_THROUGHPUT ]] || wanted packet || return 0
  echo
  echo "Throughput of one connection — iperf3 from the router to the internet host, $SECS s per transfer, the" \
    "receiver's per-second figures after the first 2 s; NATed uplinks of 10 Mbit/s each (tbf both ways); CUBIC; $RUNS runs"
  echo
  echo "| Uplinks | Connection | Runs | Mbit/s, median (min–max) | % of the sum of one TCP connection per ISP, median | min | Notes |"
  echo "|---:|---|---:|---:|---:|---:|---|"
  for links in 2 3; do
    [[ -n $(throughput_column "$links" 1) ]] || { wanted "packet" && packet_row "$links"; continue; }
    base_cells=""
    for ((n = 1; n <= links; n++)); do
      # shellcheck disable=SC2046
      base_cells+="isp$n $(mbit "$(bm_stats $(throughput_column "$links" 3 | cut -d, -f"$n") | cut -d' ' -f1)"), "
    done
    # shellcheck disable=SC2046
    read -r med min max <<<"$(bm_stats $(throughput_column "$links" 4))"
    echo "| $links | one plain TCP connection per ISP, bound to its address: their sum | $RUNS | $(mbit "$med") ($(mbit "$min")–$(mbit "$max")) | 100 | | each, median: ${base_cells%, } |"
    # shellcheck disable=SC2046
    read -r med min max <<<"$(bm_stats $(throughput_column "$links" 5))"
    # shellcheck disable=SC2046
    read -r pm pmin _ <<<"$(bm_stats $(percents "$links" 5))"
    echo "| $links | **one MPTCP connection** (mptcpize, \`mptcp = true\`) | $RUNS | $(mbit "$med") ($(mbit "$min")–$(mbit "$max")) | **$(printf '%.1f' "$pm")** | $(printf '%.1f' "$pmin") | bytes sent per uplink, median share: $(shares "$links") % |"
    # shellcheck disable=SC2046
    read -r med min max <<<"$(bm_stats $(throughput_column "$links" 6))"
    # shellcheck disable=SC2046
    read -r pm pmin _ <<<"$(bm_stats $(percents "$links" 6))"
    echo "| $links | one plain TCP connection, flow mode | $RUNS | $(mbit "$med") ($(mbit "$min")–$(mbit "$max")) | $(printf '%.1f' "$pm") | $(printf '%.1f' "$pmin") | the hash put it on $(throughput_column "$links" 8 | sort | uniq -c | awk '{ printf "%s%s (%d×)", sep, $2, $1; sep = ", " }') |"
    wanted packet && packet_row "$links"
  done
  if [[ -n $PACKET_NOTE ]]; then
    echo
    echo "Packet mode: $PACKET_NOTE."
  fi
}

# stall_column KIND MODE COLUMN — the values of COLUMN over those stall runs.
stall_column() { awk -F'\t' -v k="$1" -v m="$2" -v c="$3" '$1 == k && $2 == m && $c != "" { print $c }' "$MB_STALLS"; }

# count_runs KIND MODE AWK-CONDITION — how many of those runs meet the condition (on the columns, mb_stall_run).
count_runs() { awk -F'\t' -v k="$1" -v m="$2" "\$1 == k && \$2 == m && ($3) { n++ } END { print n + 0 }" "$MB_STALLS"; }

print_stalls() {
  local kind mode n s_med s_max d_med d_max r_med c_med c_max costs label mode_label w_med noise later inj
  echo
  echo "Stall of one connection when wan1 fails mid-transfer — 2 uplinks as above; wan1 failed for $OUTAGE s; the" \
    "receiver times every read; uplinkd's default (adaptive) health timing, one target; $RUNS runs each"
  echo
  echo "| Failure | Connection | Runs | Stall: longest gap between reads at the receiver (ms), median | max | uplinkd's detection (ms), median | max | Runs with stall < detection | Read in the 2 s after the failure (Mbit/s), median | Cost: ms of transfer on wan2 lost in those 2 s, median | max | Survived (sender exit 0, one connection, clean end) | MPTCP kept (no fallback) | wan1 carries it again after the repair (runs; its Mbit/s, median) | (Sub)flows on, before / during / after (most runs) | Longest gap before the failure (ms), max | Longest gap after the 2 s (ms), max |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
  for kind in silent carrier; do
    for mode in mptcp flow; do
      n=$(count_runs "$kind" "$mode" 1)
      ((n > 0)) || continue
      # shellcheck disable=SC2046
      read -r s_med _ s_max <<<"$(bm_stats $(stall_column "$kind" "$mode" 7))"
      # shellcheck disable=SC2046
      read -r d_med _ d_max <<<"$(bm_stats $(stall_column "$kind" "$mode" 4))"
      # shellcheck disable=SC2046
      read -r r_med _ _ <<<"$(bm_stats $(stall_column "$kind" "$mode" 11))"
      # The cost is "-" in every run of a connection without a path until the repair; bm_stats of nothing is 0.
      c_med=- c_max=-
      costs=$(stall_column "$kind" "$mode" 18 | grep -v '^-$' || true)
      # shellcheck disable=SC2086 # one value per line
      [[ -z $costs ]] || read -r c_med _ c_max <<<"$(bm_stats $costs)"
      # shellcheck disable=SC2046
      read -r w_med _ _ <<<"$(bm_stats $(stall_column "$kind" "$mode" 16))"
      # shellcheck disable=SC2046
      read -r _ _ noise <<<"$(bm_stats $(stall_column "$kind" "$mode" 6))"
      # shellcheck disable=SC2046
      read -r _ _ later <<<"$(bm_stats $(stall_column "$kind" "$mode" 10))"
      case $kind in silent) label="silent upstream (isp1 drops all, carrier up)" ;; carrier) label="carrier loss of wan1" ;; esac
      if [[ $mode == mptcp ]]; then mode_label="one MPTCP connection (mptcpize, \`mptcp = true\`)"; else mode_label="one plain TCP connection on wan1, flow mode"; fi
      # shellcheck disable=SC2016 # the conditions are awk's
      echo "| $label | $mode_label | $n | $s_med | $s_max | $d_med | $d_max | $(count_runs "$kind" "$mode" '$7 < $4') | $r_med | $c_med | $c_max | $(count_runs "$kind" "$mode" '$12 == 0 && $13 == 1 && $14 == "eof"') | $(count_runs "$kind" "$mode" '$15 == "mptcp"') | $(count_runs "$kind" "$mode" '$16 >= 2.5') ($w_med) | $(stall_column "$kind" "$mode" 17 | sort | uniq -c | sort -rn | head -n1 | sed 's/^ *[0-9]* //') | $noise | $later |"
    done
  done
  inj=$(awk -F'\t' '{ print $5 }' "$MB_STALLS" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  echo
  echo "The stall is the longest gap between two reads that ends after the injection and starts within 2 s of it;" \
    "a plain TCP connection cut off until the repair resumes at its next retransmission. Injecting the failure took $inj ms (median). wan1" \
    "carries it again when it sends ≥ 2.5 Mbit/s over 3 s once it is back and the connection reads again; (sub)flows:" \
    "the uplinks of the connection's established TCP sockets (ss) before the failure, before the repair and at the end." \
    "The cost: how far the reads of those 2 s fall short of 2 s at the rate the connection then reads on wan2 alone" \
    "(\"-\" for a connection that has no path until the repair: its cost is the stall)."
}

# ---------------------------------------------------------------------------------------------------------

mb_topology
if wanted throughput2 || wanted silent || wanted carrier; then
  mb_use_uplinks 2
  if wanted throughput2; then
    for ((run = 1; run <= RUNS; run++)); do mb_throughput_run 2 "$run"; done
  fi
  for kind in silent carrier; do
    wanted "$kind" || continue
    for ((run = 1; run <= RUNS; run++)); do
      mb_stall_run "$kind" mptcp "$run"
      mb_stall_run "$kind" flow "$run"
    done
  done
fi
if wanted throughput3; then
  mb_use_uplinks 3
  for ((run = 1; run <= RUNS; run++)); do mb_throughput_run 3 "$run"; done
fi
if wanted packet; then run_packet; fi

echo
echo "uplinkd and MPTCP, one connection — $(bm_machine)"
print_throughput
if [[ -s $MB_STALLS ]]; then print_stalls; fi
if [[ -n $KEEP ]]; then
  mkdir -p "$KEEP"
  cp "$MB_THROUGHPUT" "$MB_STALLS" "$MB_CONFIG" "$H_TMP"/*.json "$H_TMP"/stall-* "$KEEP/" 2>/dev/null || true
  cp "$H_TMP"/*.log "$KEEP/" 2>/dev/null || true
  [[ -d $PACKET ]] && cp -r "$PACKET" "$KEEP/"
  log "raw results and logs copied to $KEEP"
fi
pass
