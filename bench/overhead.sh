#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/overhead.sh — what uplinkd's balancing modes cost a router in forwarding throughput. A client sends
# TCP (iperf3; one stream and --streams parallel streams) through a router namespace to a server reachable
# over both of the router's uplinks (bench/modes_lib.sh draws the topology); the links are unshaped veths, so
# the figure is what the two CPUs manage to forward, and every cost per packet shows in it. Set-ups:
#   plain           kernel routing only: one static default route via wan1, no nftables, no conntrack;
#   plain-again     the same once more: the control. How far it lands from plain is what the machine's own
#                   noise does to two identical set-ups (on a shared 2-CPU VM: more than uplinkd's cost; see
#                   docs/benchmarks.md, "Balancing modes");
#   plain+nat       the same plus a hand-written masquerade on wan1 (conntrack + NAT: what any NAT router pays);
#   flow            uplinkd mode "flow" (the kernel's multipath hash over a nexthop group, multipath_hash_policy
#                   "l4" so that streams spread), no masquerade;
#   packet          uplinkd mode "packet" (numgen per packet, fwmark rules), no masquerade: masquerading a
#                   connection whose packets leave by two uplinks cannot work;
#   connection      uplinkd mode "connection" (ct mark per connection), no masquerade;
#   connection+nat  uplinkd mode "connection" with masquerade on both uplinks: the usual NAT router.
# Each figure is printed as % of plain routing with the same number of streams, twice: the ratio of the
# medians, and the median of the per-repeat ratios (each set-up against the plain run of the same repeat, a
# minute apart at most). The packets the router sent by each uplink show that the mode spread them. Runs are
# short and interleaved (repeat 1 of every set-up, then repeat 2, …, each repeat starting one set-up later
# in the list), so that load from elsewhere on a shared machine falls on all set-ups alike.
#
# Run as root: `bench/overhead.sh`. Prints a markdown table at the end; docs/benchmarks.md ("Balancing
# modes") explains it. About 15 minutes with the defaults. Not part of ctest.
#
# Everything runs in namespaces made by the integration-test harness, named after a unique run id; the
# machine's own namespace and /etc are never touched; processes are stopped by pid only; the harness's trap
# removes namespaces and temp files on exit, also after a failure or ^C.
#
# Binaries: $UPLINKD_BIN and $UPLINKCTL_BIN when both are set (nothing is built); otherwise those of the
# build dir (default build-bench), built first unless --no-build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
SECS=5
REPEATS=10
STREAMS=4
SETUPS=plain,plain-again,plain+nat,flow,packet,connection,connection+nat
NO_GSO=0
UDP=0
PIN=0
CC=cubic
KEEP=

usage() {
  cat >&2 <<EOF
usage: $0 [--seconds S] [--repeats N] [--streams N] [--setups LIST] [--no-gso] [--cc NAME] [--udp] [--pin] [--no-build] [--build-dir DIR] [--keep DIR]
  --seconds S     length of one iperf3 run (default $SECS; the first second is omitted from the figure)
  --repeats N     runs per set-up and stream count (default $REPEATS); the median is reported
  --streams N     the parallel-stream count measured besides one stream (default $STREAMS)
  --setups LIST   comma-separated, from $SETUPS (plain is always run: the others are % of it;
                  plain-again is plain once more, the control: how far two identical set-ups differ here)
  --cc NAME       the sender's TCP congestion control (iperf3 -C; default $CC, Debian's default: a namespace
                  starts with the machine's default, and a non-initial namespace may not change its own)
  --no-gso        gso_max_segs 1 on every link: the client sends, and the router forwards, one MTU-sized
                  packet per skb, as a router whose NICs aggregate nothing would (the cost per packet, at its
                  highest)
  --udp           UDP instead of TCP (1400-byte datagrams, as fast as the sender goes); the figure is then the
                  packets per second the router forwarded, and the cost of one packet in ns
  --pin           iperf3 client on CPU 0, server on CPU 1 (with --udp: the sender's CPU, which also does the
                  router's work, is then never shared with the receiver)
  --keep DIR      copy the raw results (TSV), configs and logs there
EOF
  exit 2
}
while (($#)); do
  case $1 in
    --seconds) SECS=$2; shift ;;
    --repeats) REPEATS=$2; shift ;;
    --streams) STREAMS=$2; shift ;;
    --setups) SETUPS=$2; shift ;;
    --no-gso) NO_GSO=1 ;;
    --udp) UDP=1 ;;
    --pin) PIN=1 ;;
    --cc) CC=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
  shift
done
[[ $SECS =~ ^[1-9][0-9]*$ && $SECS -ge 3 && $REPEATS =~ ^[1-9][0-9]*$ && $STREAMS =~ ^[1-9][0-9]*$ && $STREAMS -le 64 ]] || usage
[[ ,$SETUPS, == *,plain,* ]] || SETUPS=plain,$SETUPS
for s in ${SETUPS//,/ }; do
  [[ ,plain,plain-again,plain+nat,flow,packet,connection,connection+nat, == *",$s,"* ]] || usage
done

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"
bm_require_root bench/overhead.sh
bm_binaries bench/overhead.sh "$BUILD" "$DO_BUILD"

export H_TEST_NAME=bench-overhead # the harness names its log lines and verdict after it
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"
bm_require_tools iperf3 jq nft
UNIT=Mbit/s
((UDP == 0)) || UNIT=kpps
if ((PIN)); then
  BM_CLIENT_PREFIX=(taskset -c 0)
  BM_SERVER_PREFIX=(taskset -c 1)
fi

RESULTS=$H_TMP/overhead.tsv # set-up, streams, repeat, Mbit/s, retransmits, wan1 packets, wan2 packets
: >"$RESULTS"
CURRENT=none

# tx_packets IF — packets the router has sent by IF.
tx_packets() { ip -n "$(ns rt)" -s -j link show dev "$1" | jq -r '.[0].stats64.tx.packets'; }

# use_setup SETUP — take the router from the current set-up to SETUP.
use_setup() {
  local setup=$1
  [[ $CURRENT == "$setup" ]] && return 0
  case $CURRENT in
    none | plain | plain-again) ;;
    plain+nat) in_ns rt nft delete table ip benchnat ;;
    *) bm_uplinkd_stop rt ;;
  esac
  case $setup in
    plain | plain-again) ;;
    plain+nat)
      in_ns rt nft -f - <<'EOF' || fail "masquerade table in rt"
table ip benchnat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan1" masquerade
  }
}
EOF
      ;;
    flow) bm_start_router_uplinkd flow false 'multipath_hash_policy = "l4"' ;;
    packet) bm_start_router_uplinkd packet false ;;
    connection) bm_start_router_uplinkd connection false ;;
    connection+nat) bm_start_router_uplinkd connection true ;;
  esac
  CURRENT=$setup
}

# measure SETUP STREAMS REPEAT — one iperf3 run cl → sv through the router. The figure (column 4 of
# $RESULTS) is the receiver's Mbit/s for TCP; for UDP it is the packets per second (thousands) the router
# forwarded: the sender's CPU does the router's work too (veth hands a packet on in the sender's context), so
# the rate it reaches is set by the cost of one packet end to end, router included, and the receiver's own
# drops do not enter it.
measure() {
  local setup=$1 streams=$2 r=$3 port json w1 w2 t0 t1 figure other
  port=$((5200 + (RUN_NO % 100)))
  RUN_NO=$((RUN_NO + 1))
  json=$H_TMP/$setup-$streams-$r.json
  bm_iperf_server sv "$port" "$BM_SERVER_ADDR"
  w1=$(tx_packets wan1) w2=$(tx_packets wan2)
  t0=${EPOCHREALTIME/./}
  if ((UDP)); then
    bm_iperf_client cl "$BM_SERVER_ADDR" "$port" "$SECS" -O 1 -P "$streams" -u -b 0 -l 1400 >"$json"
  else
    bm_iperf_client cl "$BM_SERVER_ADDR" "$port" "$SECS" -O 1 -P "$streams" -C "$CC" >"$json"
  fi
  t1=${EPOCHREALTIME/./}
  w1=$(($(tx_packets wan1) - w1)) w2=$(($(tx_packets wan2) - w2))
  if ((UDP)); then
    figure=$(awk -v p=$((w1 + w2)) -v us=$((10#$t1 - 10#$t0)) 'BEGIN { printf "%.1f\n", p / us * 1000 }')
    other=$(jq -r '.end.sum.lost_percent // 0 | . * 10 | round / 10' "$json")
  else
    figure=$(bm_iperf_mbit "$json")
    other=$(bm_iperf_retransmits "$json")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$setup" "$streams" "$r" "$figure" "$other" "$w1" "$w2" >>"$RESULTS"
  log "$setup, $streams stream(s), run $r: $figure $UNIT (router sent wan1 $w1, wan2 $w2 packets)"
}
RUN_NO=0

# values SETUP STREAMS COLUMN — COLUMN over the runs of SETUP with STREAMS streams.
values() { awk -F'\t' -v s="$1" -v p="$2" -v c="$3" '$1 == s && $2 == p { print $c }' "$RESULTS"; }

# paired SETUP STREAMS — per repeat, SETUP's figure as % of the plain run of the same repeat (the two ran within
# a minute of each other, so a load elsewhere on the machine that comes and goes hits both or neither).
paired() {
  awk -F'\t' -v s="$1" -v p="$2" '$2 == p { v[$1 "/" $3] = $4; if ($1 == s) r[$3] = 1 }
    END { for (i in r) if (v["plain/" i] > 0) printf "%.1f\n", v[s "/" i] * 100 / v["plain/" i] }' "$RESULTS"
}

print_report() {
  local setup streams med min max base w1 w2 other pmed pmin pmax ns extra
  echo
  echo "uplinkd forwarding overhead — $(bm_machine)"
  if ((UDP)); then
    echo "client → router (2 uplinks, unshaped veths) → server; iperf3 UDP, 1400-byte datagrams as fast as the sender goes, $SECS s per run (first second omitted), $REPEATS runs per row, interleaved$( ((PIN)) && echo ", client on CPU 0, server on CPU 1"); GSO $( ((NO_GSO)) && echo "off (gso_max_segs 1 on every link)" || echo "on (veth defaults)")"
    echo
    echo "| Set-up | Streams | Router's forwarded packets, kpps, median (min–max) | % of plain routing (medians) | % of plain routing, per repeat: median (min–max) | ns per packet end to end (Δ vs plain) | Receiver's loss %, median | Router's packets by wan1 / wan2 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  else
    echo "client → router (2 uplinks, unshaped veths) → server; iperf3 TCP ($CC), $SECS s per run (first second omitted), $REPEATS runs per row, interleaved$( ((PIN)) && echo ", client on CPU 0, server on CPU 1"); GSO $( ((NO_GSO)) && echo "off (gso_max_segs 1 on every link)" || echo "on (veth defaults)")"
    echo
    echo "| Set-up | Streams | Mbit/s median (min–max) | % of plain routing (medians) | % of plain routing, per repeat: median (min–max) | Retransmits, median | Router's packets by wan1 / wan2 |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
  fi
  for streams in 1 "$STREAMS"; do
    # shellcheck disable=SC2046 # one value per line
    read -r base _ _ <<<"$(bm_stats $(values plain "$streams" 4))"
    for setup in ${SETUPS//,/ }; do
      [[ -n $(values "$setup" "$streams" 4) ]] || continue
      # shellcheck disable=SC2046
      read -r med min max <<<"$(bm_stats $(values "$setup" "$streams" 4))"
      # shellcheck disable=SC2046
      read -r other _ _ <<<"$(bm_stats $(values "$setup" "$streams" 5))"
      w1=$(values "$setup" "$streams" 6 | awk '{ s += $1 } END { print s + 0 }')
      w2=$(values "$setup" "$streams" 7 | awk '{ s += $1 } END { print s + 0 }')
      # shellcheck disable=SC2046
      read -r pmed pmin pmax <<<"$(bm_stats $(paired "$setup" "$streams"))"
      extra=""
      if ((UDP)); then
        ns=$(awk -v k="$med" -v b="$base" 'BEGIN { printf "%.0f (%+.0f)", 1e6 / k, 1e6 / k - 1e6 / b }')
        extra=" $ns |"
      fi
      printf '| %s | %s | %s (%s–%s) | %s | %s (%s–%s) |%s %s | %s / %s %% |\n' "$setup" "$streams" "$med" "$min" "$max" \
        "$(bm_ratio "$med" "$base")" "$pmed" "$pmin" "$pmax" "$extra" "$other" \
        "$(bm_ratio "$w1" $((w1 + w2)) 100 0)" "$(bm_ratio "$w2" $((w1 + w2)) 100 0)"
    done
    if [[ $STREAMS == 1 ]]; then break; fi
  done
}

bm_make_router_topology
if ((NO_GSO)); then
  for link in "cl eth0" "rt lan0" "rt wan1" "rt wan2" "sv s1" "sv s2"; do
    read -r role ifname <<<"$link"
    ip -n "$(ns "$role")" link set "$ifname" gso_max_segs 1
  done
fi
wait_for --deadline 5 --what "the server reachable from the client" ping_from cl "" "$BM_SERVER_ADDR" 1
read -ra ORDER <<<"${SETUPS//,/ }"
for ((r = 1; r <= REPEATS; r++)); do
  # Each repeat starts one set-up later in the list, so that no set-up always runs right after the same other.
  for ((i = 0; i < ${#ORDER[@]}; i++)); do
    setup=${ORDER[(i + r - 1) % ${#ORDER[@]}]}
    use_setup "$setup"
    measure "$setup" 1 "$r"
    [[ $STREAMS == 1 ]] || measure "$setup" "$STREAMS" "$r"
  done
done
use_setup plain
print_report
if [[ -n $KEEP ]]; then
  mkdir -p "$KEEP"
  cp "$RESULTS" "$H_TMP"/*.toml "$KEEP/" 2>/dev/null || true
  cp "$H_TMP"/*.log "$KEEP/" 2>/dev/null || true
  log "raw results and logs copied to $KEEP"
fi
pass
