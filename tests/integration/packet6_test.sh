#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode = "packet" for IPv6, on the equalize seed's topology made dual-stack (lib/equalize.sh, EQ_IPV6=1): two
# hosts joined by two direct links eq0, eq1 of 10 Mbit/s each, the same IPv6 address on both links of a host
# (2001:db8:e::1 and ::2, one /64 shared by both links), uplinkd on both with the seed's config plus that
# /64 and `gateway6 = "none"`. The test types no `ip route` or `ip rule`. It shows:
#  a. one TCP flow over IPv6 over both links (1:1) gets ≥ 1.8× what it gets over one, each link carrying
#     35-65 % of its bytes over the steady part of the transfer;
#  b. the listed /64 is main's connected prefix on both links, so it gets `ip -6` rules before main's (20010
#     per mark, 20015 unmarked): without them main's first connected route takes every packet (1.0×);
#  c. neighbour discovery is never balanced: after a flush, each host's entry for the other on each link
#     holds the MAC of that link's other end, and no solicitation or advertisement left with a mark (nft
#     counters after uplinkd's chain);
#  d. a stop removes every rule.
# PACKET_TEST_SECONDS sets the iperf3 time (default 6).
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
# shellcheck disable=SC2034  # read by lib/equalize.sh
EQ_IPV6=1
source "$(dirname "$0")/lib/equalize.sh"
source "$(dirname "$0")/lib/packet_mode.sh"

packet_pair

# rules6 HOST PRIORITY — HOST's IPv6 rules at PRIORITY, numeric, one per line without the priority.
rules6() { ip -N -n "$(ns "$1")" -6 rule show priority "$2" | sed 's/^[0-9]*:[[:space:]]*//'; }
# marks_routed6 HOST N — HOST routes N uplink marks for IPv6 (its fwmark rules).
marks_routed6() { [ "$(rules6 "$1" 20050 | grep -c fwmark)" -eq "$2" ]; }

# ---------------------------------------------------------------------------------------------------------
log "a. baseline: uplinkd on both hosts with one uplink (eq0)"
write_equalize_config "$H1_CONF" "$H_TMP/h1" 1
write_equalize_config "$H2_CONF" "$H_TMP/h2" 1
start_uplinkd h1 "$H1_CONF"
start_uplinkd h2 "$H2_CONF"
for h in h1 h2; do wait_for --deadline 5 --what "$h's IPv6 mark rule" marks_routed6 $h 1; done
iperf_run 5201
read -r BASE _ B0 B1 <<<"$RUN"
# 85, not IPv4's 90: an IPv6 header is 20 bytes longer (measured 94 %).
check_baseline "$BASE" "$B0" "$B1" 85

log "a. both links, weights 1:1 on both hosts (a reload of the new configs)"
write_equalize_config "$H1_CONF" "$H_TMP/h1" 1 1
write_equalize_config "$H2_CONF" "$H_TMP/h2" 1 1
uplinkctl_in h1 reload >/dev/null
uplinkctl_in h2 reload >/dev/null
for h in h1 h2; do wait_for --deadline 5 --what "$h's IPv6 mark rules for both links" marks_routed6 $h 2; done
iperf_run 5202
read -r BAL _ D0 D1 <<<"$RUN"
check_aggregation packet6_test "$BASE" "$BAL" "$D0" "$D1"

# ---------------------------------------------------------------------------------------------------------
log "b. the shared /64 gets rules before main's connected routes"
RULES=$(rules6 h1 20010)
for spec in "$MARK0 lookup 200" "$MARK1 lookup 201"; do
  assert_contains "$RULES" "to $EQ_PREFIX6 fwmark $spec proto $UPLINKD_PROTO" "h1's IPv6 rules at 20010"
done
assert_contains "$(rules6 h1 20015)" "to $EQ_PREFIX6 lookup 1000 proto $UPLINKD_PROTO" "h1's IPv6 rule at 20015"
assert_contains "$(uplinkctl_in h1 plan)" "ip -6 rule add priority 20010 to $EQ_PREFIX6 fwmark $MARK0" "h1's plan"

# ---------------------------------------------------------------------------------------------------------
log "c. neighbour discovery stays on its link"
for h in h1 h2; do
  in_ns $h nft -f - <<EOF || fail "nft observer table in $h"
table inet ndwatch {
  counter nd { }
  counter nd_marked { }
  chain post {
    type filter hook postrouting priority 300; policy accept;
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter name "nd"
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } meta mark != 0 counter name "nd_marked"
  }
}
EOF
done
nd_count() { in_ns "$1" nft list counter inet ndwatch "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
in_ns h1 ip -6 neigh flush all
in_ns h2 ip -6 neigh flush all
# Replies take both links too (h2 balances them), so each host resolves the other on each link.
in_ns h1 ping -6 -n -q -c 8 -i 0.05 -W 1 "$EQ_H2_ADDR6" >/dev/null || fail "pings h1 -> h2 (IPv6) after the neighbour flush"
for k in 0 1; do
  assert_eq "$(eq_mac h2 eq$k)" "$(ip -n "$EQ_H1" -j -6 neigh show to "$EQ_H2_ADDR6" dev eq$k | jq -r '.[0].lladdr // "none"')" \
    "h1's neighbour entry for $EQ_H2_ADDR6 on eq$k"
  assert_eq "$(eq_mac h1 eq$k)" "$(ip -n "$EQ_H2" -j -6 neigh show to "$EQ_H1_ADDR6" dev eq$k | jq -r '.[0].lladdr // "none"')" \
    "h2's neighbour entry for $EQ_H1_ADDR6 on eq$k"
done
for h in h1 h2; do
  log "$h sent $(nd_count $h nd) neighbour solicitations and advertisements, $(nd_count $h nd_marked) of them marked"
  assert_ge "$(nd_count $h nd)" 2 "neighbour discovery packets $h sent"
  # An advertisement answers h2's address, which the config balances: only the ND rule keeps it unmarked.
  assert_eq 0 "$(nd_count $h nd_marked)" "neighbour discovery packets $h sent with a mark"
done

# ---------------------------------------------------------------------------------------------------------
log "d. a stop removes everything"
assert_converged h1
for h in h1 h2; do
  stop_uplinkd $h
  assert_eq 0 "$(uplinkd_exit_status $h)" "$h's uplinkd exit status"
  assert_eq "" "$(in_ns $h ip -N -6 rule | grep "proto $UPLINKD_PROTO" || true)" "$h's uplinkd IPv6 rules after the stop"
done
pass
