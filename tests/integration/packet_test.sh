#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode = "packet" on the equalize seed's topology (lib/equalize.sh): two hosts joined by two direct links eq0,
# eq1 of 10 Mbit/s each, the same address on both links of a host (192.168.1.1 and .2), uplinkd on both
# with the seed's config and nothing else — the test types no `ip route` or `ip rule`: only the topology
# and the shaping. It shows:
#  a. one TCP flow over both links (1:1) gets ≥ 1.8× what it gets over one (uplinkd with one uplink), each
#     link carrying 35-65 % of its bytes over the steady part of the transfer (bytes, not packets: GSO);
#  b. weights 1:3 on the sending host split its packets 25/75 within 2 points (4000 flood pings, counted
#     by the links' tx counters);
#  c. ARP is never balanced: after a flush, 192.168.1.2 is resolved on each link and answered on that link
#     (ARP counters of an nft `arp` table, neighbour entries hold the MAC of the other end of the same
#     link); uplinkd has no table in a family that sees ARP, and pings to the broadcast address and to a
#     multicast group leave unmarked (nft counters after uplinkd's chain);
#  d. `uplinkctl plan` and the kernel show the numgen map and one fwmark rule per uplink, tcp_max_reordering
#     is set (and shown in plan and status) only where a config gives it, a reload changes nothing, a stop
#     removes everything.
# Measured (2 shared CPUs, AMD EPYC, Linux 6.18, load average 4–6, 2026-12-01; 6 s per iperf3 run): one link
# 9.6 Mbit/s, two links 18.5–19.1 Mbit/s, 1.93–1.99× (4 runs). The test prints a "packet_test: baseline … ratio"
# line. tcp_max_reordering 1000 on the sender changed nothing (1.90–1.91×); what limits the ratio is that
# packet mode alternates skbs, not bytes (lib/equalize.sh, shape_link). PACKET_TEST_SECONDS sets the iperf3 time.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/equalize.sh"
source "$(dirname "$0")/lib/packet_mode.sh"

packet_pair

# delta BEFORE AFTER — per-link differences of two eq_tx_counts readings ("N0 N1").
delta() {
  local -a b a
  read -ra b <<<"$1"
  read -ra a <<<"$2"
  echo "$((a[0] - b[0])) $((a[1] - b[1]))"
}

# ---------------------------------------------------------------------------------------------------------
log "a. baseline: uplinkd on both hosts with one uplink (eq0)"
EQ_TCP_MAX_REORDERING='' write_equalize_config "$H1_CONF" "$H_TMP/h1" 1
# The receiver's config asks for tcp_max_reordering; the sender's does not (d. checks both).
EQ_TCP_MAX_REORDERING=1000 write_equalize_config "$H2_CONF" "$H_TMP/h2" 1
start_uplinkd h1 "$H1_CONF"
start_uplinkd h2 "$H2_CONF"
wait_for --deadline 5 --what "h1's single mark" sh -c "ip netns exec $EQ_H1 nft list chain inet uplinkd balance_local | grep -q 'meta mark set $MARK0\$'"
iperf_run 5201
read -r BASE BASE_RETR B0 B1 <<<"$RUN"
log "$BASE_RETR retransmits with one link"
check_baseline "$BASE" "$B0" "$B1" 90

log "a. both links, weights 1:1 on both hosts (a reload of the new configs)"
EQ_TCP_MAX_REORDERING='' write_equalize_config "$H1_CONF" "$H_TMP/h1" 1 1
EQ_TCP_MAX_REORDERING=1000 write_equalize_config "$H2_CONF" "$H_TMP/h2" 1 1
uplinkctl_in h1 reload >/dev/null
uplinkctl_in h2 reload >/dev/null
for h in h1 h2; do
  wait_for --deadline 5 --what "$h's numgen map over both links" \
    sh -c "ip netns exec $(ns $h) nft list chain inet uplinkd balance_local | grep -q 'numgen inc mod 2 map { 0 : $MARK0, 1 : $MARK1 }'"
done
iperf_run 5202
read -r BAL BAL_RETR D0 D1 <<<"$RUN"
log "$BAL_RETR retransmits with both links"
check_aggregation packet_test "$BASE" "$BAL" "$D0" "$D1"

# ---------------------------------------------------------------------------------------------------------
log "b. weights 1:3 on the sending host"
EQ_TCP_MAX_REORDERING='' write_equalize_config "$H1_CONF" "$H_TMP/h1" 1 3
uplinkctl_in h1 reload >/dev/null
wait_for --deadline 5 --what "h1's numgen map 1:3" \
  sh -c "ip netns exec $EQ_H1 nft list chain inet uplinkd balance_local | grep -q 'numgen inc mod 4 map { 0 : $MARK0, 1-3 : $MARK1 }'"
PINGS=4000
before=$(eq_tx_counts h1)
in_ns h1 ping -n -q -f -c $PINGS -W 1 "$EQ_H2_ADDR" >/dev/null || fail "flood ping h1 -> h2 lost packets"
read -r P0 P1 <<<"$(delta "$before" "$(eq_tx_counts h1)")"
SHARE0=$((P0 * 1000 / (P0 + P1)))
log "$PINGS pings with weights 1:3: h1 sent eq0=$P0 eq1=$P1 packets (eq0 $((SHARE0 / 10)).$((SHARE0 % 10)) %)"
assert_ge $((P0 + P1)) $PINGS "packets h1 sent during $PINGS pings"
assert_between "$SHARE0" 230 270 "eq0's share of h1's packets (per mille) with weights 1:3 (eq0=$P0 eq1=$P1)"

# ---------------------------------------------------------------------------------------------------------
log "c. ARP is resolved and answered per link, broadcast and multicast are never marked"
# Observers of the test's own (read-only: counters, policy accept). The arp family sees ARP; uplinkd's chains
# are in inet, which never does. The inet chain runs after uplinkd's (priority 300 at postrouting), so it
# sees the mark uplinkd set.
for h in h1 h2; do
  in_ns $h nft -f - <<EOF || fail "nft observer tables in $h"
table arp eqwatch {
  counter req_out_eq0 { }
  counter req_out_eq1 { }
  counter rep_out_eq0 { }
  counter rep_out_eq1 { }
  counter req_in_eq0 { }
  counter req_in_eq1 { }
  counter rep_in_eq0 { }
  counter rep_in_eq1 { }
  chain out {
    type filter hook output priority 0; policy accept;
    meta oifname "eq0" arp operation request counter name "req_out_eq0"
    meta oifname "eq1" arp operation request counter name "req_out_eq1"
    meta oifname "eq0" arp operation reply counter name "rep_out_eq0"
    meta oifname "eq1" arp operation reply counter name "rep_out_eq1"
  }
  chain in {
    type filter hook input priority 0; policy accept;
    meta iifname "eq0" arp operation request counter name "req_in_eq0"
    meta iifname "eq1" arp operation request counter name "req_in_eq1"
    meta iifname "eq0" arp operation reply counter name "rep_in_eq0"
    meta iifname "eq1" arp operation reply counter name "rep_in_eq1"
  }
}
table inet eqwatch {
  counter bcast { }
  counter bcast_marked { }
  counter mcast { }
  counter mcast_marked { }
  counter ucast { }
  counter ucast_marked { }
  chain post {
    type filter hook postrouting priority 300; policy accept;
    ip daddr 192.168.1.255 counter name "bcast"
    ip daddr 192.168.1.255 meta mark != 0 counter name "bcast_marked"
    ip daddr 224.0.0.0/4 counter name "mcast"
    ip daddr 224.0.0.0/4 meta mark != 0 counter name "mcast_marked"
    ip daddr 192.168.1.2 counter name "ucast"
    ip daddr 192.168.1.2 meta mark != 0 counter name "ucast_marked"
  }
}
EOF
done

# observe HOST... — read every observer counter of each HOST in one nft call per host (a snapshot) into
# OBS[HOST.FAMILY.NAME] (packets).
declare -A OBS=()
observe() {
  local h line
  for h in "$@"; do
    while read -r line; do OBS[$h.${line% *}]=${line##* }; done < <(in_ns "$h" nft -j list counters |
      jq -r '.nftables[] | .counter? // empty | select(.table == "eqwatch") | "\(.family).\(.name) \(.packets)"')
  done
}

in_ns h1 ip neigh flush all
in_ns h2 ip neigh flush all
# 8 pings with weights 1:3 take both links (eq0 at least twice), and h2's replies take both as well, so each
# link needs ARP of its own. Which host asks first on a link varies: h2 may need h1's address on a link for a
# reply before h1 has sent anything there (h1 then learns h2's from h2's request, as ARP does).
in_ns h1 ping -n -q -c 8 -i 0.05 -W 1 "$EQ_H2_ADDR" >/dev/null || fail "pings h1 -> h2 after the neighbour flush"
observe h1 h2
for k in 0 1; do
  log "ARP on eq$k: h1 sent requests ${OBS[h1.arp.req_out_eq$k]} replies ${OBS[h1.arp.rep_out_eq$k]}," \
    "h2 sent requests ${OBS[h2.arp.req_out_eq$k]} replies ${OBS[h2.arp.rep_out_eq$k]}"
  assert_ge "$((${OBS[h1.arp.req_out_eq$k]} + ${OBS[h2.arp.req_out_eq$k]}))" 1 "ARP requests on eq$k after the flush"
  for pair in "h1 h2" "h2 h1"; do
    read -r asker answerer <<<"$pair"
    assert_eq "${OBS[$asker.arp.req_out_eq$k]}" "${OBS[$answerer.arp.req_in_eq$k]}" \
      "ARP requests $asker sent on eq$k and $answerer received there"
    # Answered on the link asked on, and only there (arp_ignore 0 would let a host answer anything).
    assert_eq "${OBS[$answerer.arp.req_in_eq$k]}" "${OBS[$answerer.arp.rep_out_eq$k]}" \
      "ARP replies $answerer sent on eq$k for the requests it received there"
    assert_eq "${OBS[$answerer.arp.rep_out_eq$k]}" "${OBS[$asker.arp.rep_in_eq$k]}" \
      "ARP replies $answerer sent on eq$k and $asker received there"
  done
  # Each host's entry for the other on eqK holds the MAC of eqK at the other end.
  assert_eq "$(eq_mac h2 eq$k)" "$(ip -n "$EQ_H1" -j neigh show to "$EQ_H2_ADDR" dev eq$k | jq -r '.[0].lladdr // "none"')" \
    "h1's neighbour entry for $EQ_H2_ADDR on eq$k"
  assert_eq "$(eq_mac h1 eq$k)" "$(ip -n "$EQ_H2" -j neigh show to "$EQ_H1_ADDR" dev eq$k | jq -r '.[0].lladdr // "none"')" \
    "h2's neighbour entry for $EQ_H1_ADDR on eq$k"
done
for h in h1 h2; do
  assert_eq "table inet uplinkd" "$(in_ns $h nft list tables | grep uplinkd)" "uplinkd's nft tables in $h (inet never sees ARP)"
done

# Neither h2 answers (icmp_echo_ignore_broadcasts) nor matters: only what h1 sends is counted. Each packet
# passes postrouting twice: on its way out and as the copy looped back to h1 itself.
in_ns h1 ping -n -q -b -c 5 -i 0.05 -W 1 192.168.1.255 >/dev/null 2>&1 || true
for k in 0 1; do
  in_ns h1 ping -n -q -c 5 -i 0.05 -W 1 -I eq$k 224.0.0.1 >/dev/null 2>&1 || true
done
observe h1
log "h1 sent broadcast ${OBS[h1.inet.bcast]} (marked ${OBS[h1.inet.bcast_marked]}), multicast ${OBS[h1.inet.mcast]}" \
  "(marked ${OBS[h1.inet.mcast_marked]}), unicast to h2 ${OBS[h1.inet.ucast]} (marked ${OBS[h1.inet.ucast_marked]})"
assert_ge "${OBS[h1.inet.bcast]}" 5 "broadcast pings h1 sent"
assert_eq 0 "${OBS[h1.inet.bcast_marked]}" "broadcast packets marked"
assert_ge "${OBS[h1.inet.mcast]}" 10 "multicast pings h1 sent"
assert_eq 0 "${OBS[h1.inet.mcast_marked]}" "multicast packets marked"
assert_ge "${OBS[h1.inet.ucast]}" 8 "unicast packets to h2 (the pings after the flush)"
assert_eq "${OBS[h1.inet.ucast]}" "${OBS[h1.inet.ucast_marked]}" "unicast packets to h2 all marked (the observer sees marks)"

# ---------------------------------------------------------------------------------------------------------
log "d. the config alone set it up"
PLAN=$(uplinkctl_in h1 plan)
assert_contains "$PLAN" "numgen inc mod 4 map { 0 : $MARK0, 1-3 : $MARK1 }" "h1's plan"
assert_contains "$PLAN" "type route hook output" "h1's plan"
RULES=$(ip -N -n "$EQ_H1" rule)
for spec in "$MARK0 lookup 200" "$MARK1 lookup 201"; do
  assert_contains "$PLAN" "fwmark ${spec% lookup*}/0xffffffff lookup ${spec##* }" "h1's plan"
  assert_contains "$RULES" "fwmark $spec proto $UPLINKD_PROTO" "h1's rules"
done
assert_eq 1000 "$(in_ns h2 sysctl -n net.ipv4.tcp_max_reordering)" "h2's tcp_max_reordering (its config sets 1000)"
assert_eq 300 "$(in_ns h1 sysctl -n net.ipv4.tcp_max_reordering)" "h1's tcp_max_reordering (the kernel's default: its config sets none)"
assert_contains "$(uplinkctl_in h2 plan)" "sysctl -w net.ipv4.tcp_max_reordering=1000" "h2's plan"
assert_not_contains "$PLAN" "tcp_max_reordering" "h1's plan"
assert_eq "net.ipv4.tcp_max_reordering=1000" "$(uplinkctl_in h2 status --json | jq -r '.sysctls[]? | "\(.key)=\(.value)"')" "sysctls in h2's status"
assert_eq "" "$(uplinkctl_in h1 status --json | jq -r '.sysctls[]? | .key')" "sysctls in h1's status"
assert_converged h1
assert_converged h2
for h in h1 h2; do
  stop_uplinkd $h
  assert_eq 0 "$(uplinkd_exit_status $h)" "$h's uplinkd exit status"
  assert_eq "" "$(in_ns $h ip -N rule | grep "proto $UPLINKD_PROTO" || true)" "$h's uplinkd rules after the stop"
  assert_eq "" "$(in_ns $h nft list tables | grep uplinkd || true)" "$h's uplinkd nft table after the stop"
done
pass
