# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables set here are the sourcing test's
# What packet_test.sh and packet6_test.sh share: the seed's two hosts joined by two shaped links
# (lib/equalize.sh), one TCP flow h1 -> h2 measured over the steady part, and the aggregation checks. Source
# after uplinkd_test.sh and equalize.sh (set EQ_IPV6=1 before equalize.sh for IPv6), then call packet_pair.
#
# Sets SECS (PACKET_TEST_SECONDS, default 6), MBIT (10), MARK0 and MARK1 (the marks of uplinks eq0 and eq1,
# tables 200 and 201), and with packet_pair H1_CONF and H2_CONF.

[ -n "${_H_PACKET_MODE_SH:-}" ] && return 0
_H_PACKET_MODE_SH=1

for tool in iperf3 jq tc ping; do command -v "$tool" >/dev/null || fail "$tool not found; run scripts/install-deps.sh"; done
SECS=${PACKET_TEST_SECONDS:-6}
MBIT=10
MARK0=0x750000c8 # uplink eq0, table 200
MARK1=0x750000c9 # uplink eq1, table 201

# packet_pair — hosts h1 and h2 joined by eq0 and eq1, each shaped to $MBIT Mbit/s; H1_CONF, H2_CONF.
packet_pair() {
  make_host_pair 2
  shape_host_pair "$MBIT"
  H1_CONF=$H_TMP/h1.toml
  H2_CONF=$H_TMP/h2.toml
}

# iperf_run PORT — one TCP flow h1 -> h2 for 1 + $SECS s (eq_iperf_steady); sets RUN to "MBIT RETRANSMITS
# BYTES0 BYTES1": the steady throughput and h1's bytes per link over the steady part of the run. (Not printed:
# a failure in a $(…) would only end that subshell.)
iperf_run() {
  local port=$1 bytes json=$H_TMP/iperf-$1.json
  eq_iperf_server h2 "$port"
  bytes=$(eq_iperf_steady h1 "$port" "$SECS" "$json") || fail "the iperf3 run h1 -> h2:$port failed (see above)"
  RUN="$(eq_iperf_mbit "$json") $(eq_iperf_retransmits "$json") $bytes"
}

# check_baseline BASE B0 B1 MIN_PERCENT — one flow with eq0 alone configured (BASE Mbit/s, B0 and B1 bytes per
# link): fails unless eq1 carried nothing and the flow got MIN_PERCENT of the link's rate.
check_baseline() {
  local base=$1 b0=$2 b1=$3 min=$4
  log "baseline, one link: $base Mbit/s (h1 sent eq0=$b0 eq1=$b1 bytes in the steady part)"
  assert_le $((b1 * 100 / (b0 + b1))) 0 "h1's share of bytes on eq1 (%) with eq0 alone configured (eq0=$b0 eq1=$b1)"
  assert_ge "$(awk -v m="$base" -v r="$MBIT" 'BEGIN { print int(m * 100 / r) }')" "$min" \
    "one TCP flow on one ${MBIT} Mbit/s link, % of the rate"
}

# check_aggregation NAME BASE BAL D0 D1 — one flow over both links 1:1 (BAL Mbit/s, D0 and D1 bytes per link)
# against one link (BASE Mbit/s): prints "NAME: baseline … ratio …", and fails unless each link carried
# 35-65 % of the bytes and the ratio is ≥ 1.8.
check_aggregation() {
  local name=$1 base=$2 bal=$3 d0=$4 d1=$5 ratio
  ratio=$(awk -v b="$bal" -v a="$base" 'BEGIN { printf "%.2f", b / a }')
  log "balanced, two links 1:1: $bal Mbit/s (h1 sent eq0=$d0 eq1=$d1 bytes in the steady part): ${ratio}× the baseline"
  echo "$name: baseline $base Mbit/s, balanced $bal Mbit/s, ratio $ratio (${MBIT} Mbit/s links, ${SECS} s, one TCP flow)"
  # In bytes, not packets: with GSO the buffers packet mode alternates hold 1..n segments (docs/modes.md).
  # Each link is shaped to $MBIT Mbit/s, so at ≥ 1.8× neither carries much more than half; broken balancing
  # is 100/0.
  assert_between $((d0 * 100 / (d0 + d1))) 35 65 "h1's share of bytes on eq0 (%) with weights 1:1 (eq0=$d0 eq1=$d1)"
  awk -v r="$ratio" 'BEGIN { exit !(r >= 1.8) }' ||
    fail "one TCP flow over two balanced links got $bal Mbit/s, ${ratio}× the single link's $base Mbit/s (expected ≥ 1.8×)"
}
