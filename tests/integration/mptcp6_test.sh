#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uplinkd's MPTCP endpoints on dual-stack uplinks (issue 15, item 2): two ISPs with DHCP (IPv4, NATed) and
# RAs (IPv6 by SLAAC), `mptcp = true`, health targets in both families.
#  1. Four endpoints: each uplink's IPv4 address and its SLAAC address, `subflow`, bound to its interface.
#  2. One IPv6 MPTCP connection (iperf3 under `mptcpize run` at both ends) sends over both uplinks: each
#     carries at least a quarter of the transfer's bytes.
#  3. isp1's IPv6 upstream goes silent: wan1's IPv6 endpoint goes, its IPv4 endpoint stays (a verdict per
#     family); it comes back with wan1's IPv6 health.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/ipv6.sh"

command -v mptcpize >/dev/null || fail "mptcpize not found (Debian's mptcpize package; scripts/install-deps.sh installs it)"
PORT=5201
CONFIG=$H_TMP/uplinkd.toml

make_isp 1
make_isp 2
make_isp6 1
make_isp6 2
write_config "$CONFIG" "mptcp = true"
for n in 1 2; do
  add_uplink "$CONFIG" "$n" 1 "[uplink.health]" "targets = [\"$INET_ADDR\", \"$INET6_ADDR\"]" "hold_down = 0"
done
start_uplinkd router "$CONFIG"
two_uplinks_up6
wait_for --deadline 15 --what "wan1 and wan2 up in both families" eval \
  'health6_is router wan1 up && health6_is router wan2 up && healths_are router "wan1=up wan2=up"'

# endpoints_are ADDRESS... — `ip mptcp endpoint show` of the router names exactly these addresses, each with
# `subflow` and its uplink's interface.
endpoints_are() {
  local now want
  now=$(in_ns router ip mptcp endpoint show | awk '{ print $1 }' | sort | paste -sd' ')
  want=$(printf '%s\n' "$@" | sort | paste -sd' ')
  echo "endpoints: $now"
  [ "$now" == "$want" ]
}

# ---------------------------------------------------------------------------------------------------------
log "1. an endpoint per uplink and family"
wait_for --deadline 10 --what "endpoints for both families of both uplinks" endpoints_are "$A1" "$A2" "$S1" "$S2"
shown=$(in_ns router ip mptcp endpoint show)
log "endpoints: $(paste -sd';' <<<"$shown")"
for pair in "$A1 wan1" "$A2 wan2" "$S1 wan1" "$S2 wan2"; do
  read -r address dev <<<"$pair"
  assert_contains "$(grep "^$address " <<<"$shown")" "subflow dev $dev" "the endpoint of $address"
done

# ---------------------------------------------------------------------------------------------------------
log "2. one IPv6 MPTCP connection uses both uplinks"
spawn "iperf3 server (MPTCP)" "$H_TMP/iperf3-server.log" in_ns inet mptcpize run iperf3 -s -p "$PORT"
wait_for --deadline 5 --what "iperf3 server on inet:$PORT" _h_listening inet "$PORT"
tx_bytes() { ip -n "$(ns router)" -s -j link show dev "$1" | jq -r '.[0].stats64.tx.bytes'; }
t1=$(tx_bytes wan1) t2=$(tx_bytes wan2)
in_ns router timeout 30 mptcpize run iperf3 -6 -c "$INET6_ADDR" -p "$PORT" -t 4 --json \
  >"$H_TMP/transfer6.json" 2>&1 || fail "IPv6 MPTCP transfer failed: $(head -c 300 "$H_TMP/transfer6.json")"
d1=$(($(tx_bytes wan1) - t1)) d2=$(($(tx_bytes wan2) - t2))
log "the IPv6 MPTCP transfer: wan1 sent $d1 bytes, wan2 $d2"
for d in "$d1" "$d2"; do
  [ "$d" -ge $(((d1 + d2) / 4)) ] || fail "an uplink carried under a quarter of the IPv6 MPTCP transfer: wan1 $d1, wan2 $d2"
done

# ---------------------------------------------------------------------------------------------------------
log "3. isp1's IPv6 goes silent: wan1's IPv6 endpoint goes, its IPv4 endpoint stays"
blackhole_upstream6 1
wait_for --deadline 5 --what "wan1's IPv6 health down" health6_is router wan1 down
wait_for --deadline 5 --what "wan1's IPv6 endpoint removed, the others kept" endpoints_are "$A1" "$A2" "$S2"
assert_eq up "$(health_state router wan1)" "wan1's IPv4 health"
restore_upstream6 1
wait_for --deadline 10 --what "wan1's IPv6 health up again" health6_is router wan1 up
wait_for --deadline 5 --what "wan1's IPv6 endpoint back" endpoints_are "$A1" "$A2" "$S1" "$S2"
assert_converged router

pass
