# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The `equalize` seed's topology for packet mode: two hosts joined by several direct links, the SAME address
# on every link of a host, each host balancing every packet to the other over all links. Source after
# netns.sh (or uplinkd_test.sh). Used by packet_test.sh and by bench/aggregation.sh and bench/overhead.sh.
#
#   make_host_pair 2                        # namespaces $EQ_H1, $EQ_H2; links eq0, eq1 (192.168.1.1 / .2)
#   shape_host_pair 10                      # every link 10 Mbit/s in both directions
#   write_equalize_config "$H_TMP/h1.toml" "$H_TMP/h1" 1 1
#   start_uplinkd "$EQ_H1" "$H_TMP/h1.toml"
#   eq_iperf_server "$EQ_H2" 5201; eq_iperf_client "$EQ_H1" 5201 6 >"$H_TMP/r.json"
#   eq_iperf_mbit "$H_TMP/r.json"          # receiver's Mbit/s
#
# API (kept stable for the benchmarks): make_host_pair, shape_link NS IF MBIT, shape_host_pair,
# write_equalize_config, eq_iperf_server, eq_iperf_client, eq_iperf_mbit, eq_iperf_retransmits, eq_tx_packets,
# eq_tx_counts, eq_tx_bytes, eq_tx_byte_counts, eq_iperf_steady, eq_mac, EQ_H1, EQ_H2, EQ_LINKS, EQ_H1_ADDR,
# EQ_H2_ADDR, EQ_PREFIX; for IPv6 (EQ_IPV6=1): EQ_H1_ADDR6, EQ_H2_ADDR6, EQ_PREFIX6.

[ -n "${_EQ_SH:-}" ] && return 0
declare -F make_ns >/dev/null || { echo "equalize.sh: source netns.sh (or uplinkd_test.sh) first" >&2; exit 1; }
_EQ_SH=1

EQ_H1_ADDR=192.168.1.1
EQ_H2_ADDR=192.168.1.2
EQ_PREFIX=192.168.1.0/24
# With EQ_IPV6=1 set before make_host_pair, the pair is dual-stack (the same IPv6 address on every link of a
# host, too) and the iperf3 helpers and configs use IPv6.
EQ_H1_ADDR6=2001:db8:e::1
EQ_H2_ADDR6=2001:db8:e::2
EQ_PREFIX6=2001:db8:e::/64
EQ_H1=""                     # full namespace names, set by make_host_pair
EQ_H2=""
EQ_LINKS=0

# make_host_pair LINKS [ROLE1 ROLE2] — namespaces ROLE1 and ROLE2 (default h1, h2; registered with the
# harness's cleanup by make_ns) joined by LINKS veth pairs eq0..eqLINKS-1 (same name on both sides). Every
# link of host 1 has 192.168.1.1/24 and every link of host 2 192.168.1.2/24, as in the seed. The kernel's
# connected routes (one 192.168.1.0/24 per link in main, only the first of which is ever used) are left as
# they are: uplinkd must cope with them. Sets and exports EQ_H1, EQ_H2 (full names), EQ_LINKS.
# EQ_GSO_MAX_SEGS=1 makes every skb one segment (no GSO on the links), so that packets have equal sizes:
# packet mode counts skbs, and a TCP sender's GSO skbs carry 1..n segments each.
make_host_pair() {
  local links=$1 r1=${2:-h1} r2=${3:-h2} k
  [[ $links =~ ^[1-9][0-9]?$ ]] || fail "make_host_pair: LINKS must be 1..99, got '$links'"
  make_ns "$r1"
  make_ns "$r2"
  EQ_H1=$(ns "$r1") EQ_H2=$(ns "$r2") EQ_LINKS=$links
  export EQ_H1 EQ_H2 EQ_LINKS
  # No IPv6 on the links unless asked for: its link-local chatter (router and neighbour solicitations, MLD
  # reports) would add packets to the per-link counters that the tests and benchmarks read.
  if [ -z "${EQ_IPV6:-}" ]; then
    sysctl_ns "$EQ_H1" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    sysctl_ns "$EQ_H2" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
  for ((k = 0; k < links; k++)); do
    veth "$EQ_H1" "eq$k" "$EQ_H2" "eq$k"
    ip -n "$EQ_H1" addr add "$EQ_H1_ADDR/24" dev "eq$k"
    ip -n "$EQ_H2" addr add "$EQ_H2_ADDR/24" dev "eq$k"
    if [ -n "${EQ_IPV6:-}" ]; then
      # Each link is a segment of its own, so the same address on two of them is no duplicate.
      ip -n "$EQ_H1" addr add "$EQ_H1_ADDR6/64" dev "eq$k" nodad
      ip -n "$EQ_H2" addr add "$EQ_H2_ADDR6/64" dev "eq$k" nodad
    fi
    if [ -n "${EQ_GSO_MAX_SEGS:-}" ]; then
      ip -n "$EQ_H1" link set "eq$k" gso_max_segs "$EQ_GSO_MAX_SEGS"
      ip -n "$EQ_H2" link set "eq$k" gso_max_segs "$EQ_GSO_MAX_SEGS"
    fi
  done
}

# Keep the harness's shape_link (traffic.sh: ROLE IF RATE-WITH-UNIT [BURST] [LATENCY]) reachable; the
# shape_link below accepts that form as well, so tests that source this file keep working.
if ! declare -F _eq_harness_shape_link >/dev/null; then
  eval "_eq_harness_$(declare -f shape_link)"
fi

# shape_link NS IF MBIT — tbf on IF's egress at MBIT Mbit/s (an integer). With a unit (10mbit, 800kbit) it is
# the harness's shape_link. Shape both ends for both directions (shape_host_pair does).
# Parameters, measured at 10 Mbit/s, one TCP flow for 6 s, 3 runs each, with uplinkd (the 3028 B and 50 ms
# figures with the same nft/ip rules typed by hand, before uplinkd had packet mode):
#   burst 4 ms at the rate, at least 30000 B (20 frames). Packet mode alternates skbs, not bytes, and a TCP
#     sender's GSO skbs carry 1..n segments, so the two links' queues drift apart; a link whose queue ran
#     empty catches up from its saved tokens instead of losing the time. Two links 1:1 gave 1.96–1.97× one
#     link with 30000 B, 1.90–1.94× with 15000 B, 1.82× (17.0–17.4 Mbit/s) with 3028 B (2 frames). One link
#     alone gives 9.6 Mbit/s with 15000 or 30000 B (≥ 95 %), 9.0–9.5 with 3028 B.
#   latency 100 ms (queue limit = rate × 100 ms + burst, 155 kB at 10 Mbit/s): with 50 ms the local qdisc
#     dropped 3–5 times as many of the sender's segments; one flow fills the link either way.
#   Without GSO (EQ_GSO_MAX_SEGS=1) the skbs are equal and two links give 1.99–2.03× with ~0 retransmits.
# EQ_TBF_BURST (bytes) / EQ_TBF_LATENCY (tc time) override them for experiments.
shape_link() {
  if [ $# -eq 3 ] && [[ $3 =~ ^[0-9]+$ ]]; then
    local mbit=$3 burst
    burst=${EQ_TBF_BURST:-$((mbit * 1000000 / 8 / 250))}
    [ -n "${EQ_TBF_BURST:-}" ] || [ "$burst" -ge 30000 ] || burst=30000
    in_ns "$1" tc qdisc replace dev "$2" root tbf rate "${mbit}mbit" burst "$burst" latency "${EQ_TBF_LATENCY:-100ms}" ||
      fail "shape_link: tc on $1/$2 failed"
  else
    _eq_harness_shape_link "$@"
  fi
}

# shape_host_pair MBIT [LINK...] — shape_link on both ends of the given links (default: all) at MBIT Mbit/s.
shape_host_pair() {
  local mbit=$1 k
  shift
  [ $# -gt 0 ] || set -- $(seq 0 $((EQ_LINKS - 1)))
  for k in "$@"; do
    shape_link "$EQ_H1" "eq$k" "$mbit"
    shape_link "$EQ_H2" "eq$k" "$mbit"
  done
}

# write_equalize_config FILE DIR WEIGHT... — uplinkd's config for one host of the pair: mode "packet",
# destinations the pair's /24 (and /64 with EQ_IPV6), one direct uplink (gateway "none", and gateway6) per
# weight, on eq0, eq1, … in order;
# `tcp_max_reordering` if EQ_TCP_MAX_REORDERING is set. Socket, rt_tables and state file go in DIR (created;
# give each host its own). Uplinks are named after their interface (eq0, …) and use tables 200, 201, …
write_equalize_config() {
  local file=$1 dir=$2 k=0 w
  shift 2
  [ $# -gt 0 ] || fail "write_equalize_config: no weights given"
  mkdir -p "$dir"
  {
    echo "mode = \"packet\""
    echo "destinations = [\"$EQ_PREFIX\"${EQ_IPV6:+, \"$EQ_PREFIX6\"}]"
    [ -z "${EQ_TCP_MAX_REORDERING:-}" ] || echo "tcp_max_reordering = $EQ_TCP_MAX_REORDERING"
    echo "socket = \"$dir/uplinkd.sock\""
    echo "rt_tables = \"$dir/rt_tables\""
    echo "state_file = \"$dir/state.json\""
    for w in "$@"; do
      echo ""
      echo "[[uplink]]"
      echo "interface = \"eq$k\""
      echo "table = $((200 + k))"
      echo "gateway = \"none\""
      [ -z "${EQ_IPV6:-}" ] || echo "gateway6 = \"none\""
      echo "weight = $w"
      k=$((k + 1))
    done
  } >"$file"
}

# _eq_address NS — the address of the pair's host NS (full name) that iperf3 uses: IPv6 with EQ_IPV6.
_eq_address() {
  if [ -n "${EQ_IPV6:-}" ]; then
    if [ "$1" == "$EQ_H1" ]; then echo "$EQ_H1_ADDR6"; else echo "$EQ_H2_ADDR6"; fi
  elif [ "$1" == "$EQ_H1" ]; then echo "$EQ_H1_ADDR"; else echo "$EQ_H2_ADDR"; fi
}

# eq_iperf_server NS PORT — a one-shot iperf3 server (one test, then it exits) on the host's address, started
# with spawn (killed at cleanup); waits until it listens. Log: $H_TMP/iperf3-server-PORT.log.
eq_iperf_server() {
  local n port=$2 addr
  n=$(_h_ns "$1")
  addr=$(_eq_address "$n")
  spawn "iperf3-server($port)" "$H_TMP/iperf3-server-$port.log" in_ns "$n" iperf3 -s -1 -B "$addr" -p "$port"
  wait_for --deadline 5 --what "iperf3 server on $1:$port" _h_listening "$n" "$port"
}

# eq_iperf_client NS PORT SECONDS [IPERF3 ARGS...] — iperf3 --json from NS to the other host of the pair for
# SECONDS; prints the JSON (stdout). Fails the test if iperf3 fails. Extra args e.g. -u -b 5M, -R, -P 4.
eq_iperf_client() {
  local n port=$2 secs=$3 dst out
  n=$(_h_ns "$1")
  shift 3
  if [ "$n" == "$EQ_H1" ]; then dst=$(_eq_address "$EQ_H2"); else dst=$(_eq_address "$EQ_H1"); fi
  out=$(in_ns "$n" timeout $((secs + 20)) iperf3 -c "$dst" -p "$port" -t "$secs" --json "$@" 2>&1) ||
    fail "iperf3 client $1 -> $dst:$port failed: $(jq -r '.error // empty' <<<"$out" 2>/dev/null || true) ${out:0:500}"
  echo "$out"
}

# eq_iperf_mbit JSON-FILE — the receiver's throughput in Mbit/s (one decimal): TCP sum_received, UDP sum.
eq_iperf_mbit() {
  jq -r '(.end.sum_received // .end.sum).bits_per_second / 1e6 * 10 | round / 10' "$1"
}

# eq_iperf_retransmits JSON-FILE — the TCP sender's retransmitted segments (0 for UDP).
eq_iperf_retransmits() { jq -r '.end.sum_sent.retransmits // 0' "$1"; }

# eq_tx_packets NS IF — IF's transmitted-packets counter (ip -s -j link).
eq_tx_packets() { ip -n "$(_h_ns "$1")" -s -j link show dev "$2" | jq -r '.[0].stats64.tx.packets'; }

# eq_tx_counts NS — "N0 N1 …": eq_tx_packets of every link eq0… of NS, in order (subtract two readings).
eq_tx_counts() {
  local k out=""
  for ((k = 0; k < EQ_LINKS; k++)); do out+="$(eq_tx_packets "$1" "eq$k") "; done
  echo "${out% }"
}

# eq_tx_bytes NS IF — IF's transmitted-bytes counter (ip -s -j link).
eq_tx_bytes() { ip -n "$(_h_ns "$1")" -s -j link show dev "$2" | jq -r '.[0].stats64.tx.bytes'; }

# eq_tx_byte_counts NS — "B0 B1 …": eq_tx_bytes of every link eq0… of NS, in order (subtract two readings).
eq_tx_byte_counts() {
  local k out=""
  for ((k = 0; k < EQ_LINKS; k++)); do out+="$(eq_tx_bytes "$1" "eq$k") "; done
  echo "${out% }"
}

# eq_iperf_steady NS PORT SECONDS JSON-FILE [IPERF3 ARGS...] — one TCP flow from NS to the other host of the
# pair (start the server first: eq_iperf_server) for 1 + SECONDS s, iperf3 leaving the first second (slow
# start) out of its figures (-O 1); its JSON goes to JSON-FILE. Prints "B0 B1 …": the bytes NS sent by each
# link eq0… over the steady part of the transfer, from 1.5 s after the start until SECONDS - 1 s (2 s before
# the end, a margin for a loaded machine), read from the links' byte counters. Bytes, not packets: under packet mode with GSO one buffer holds
# 1..n segments, and a tbf cuts a buffer larger than its burst into segments, so the links' packet counters
# count neither buffers nor bytes (docs/modes.md, "Offloads under packet").
eq_iperf_steady() {
  local n=$1 port=$2 secs=$3 json=$4 pid before after ended="" k
  shift 4
  [[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -ge 4 ] || fail "eq_iperf_steady: SECONDS must be a whole number ≥ 4, got '$secs'"
  eq_iperf_client "$n" "$port" "$secs" -O 1 "$@" >"$json" &
  pid=$!
  # The two sleeps are the span measured, not a wait for something to happen: they put both readings inside
  # the transfer, past its start and before its end.
  sleep 1.5
  before=$(eq_tx_byte_counts "$n")
  sleep "$((secs - 3)).5"
  after=$(eq_tx_byte_counts "$n")
  kill -0 "$pid" 2>/dev/null || ended=1
  wait "$pid" || fail "eq_iperf_steady: iperf3 from $n to port $port failed (see above)"
  [ -z "$ended" ] || fail "eq_iperf_steady: iperf3 ended before the second reading of the counters (a very slow machine?)"
  local -a b a
  read -ra b <<<"$before"
  read -ra a <<<"$after"
  local out=""
  for ((k = 0; k < ${#a[@]}; k++)); do out+="$((a[k] - b[k])) "; done
  echo "${out% }"
}

# eq_mac NS IF — IF's MAC address.
eq_mac() { ip -n "$(_h_ns "$1")" -j link show dev "$2" | jq -r '.[0].address'; }
