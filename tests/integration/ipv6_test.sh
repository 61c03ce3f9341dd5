#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Dual stack from the kernel's own facts. Two ISPs hand out IPv4 by DHCP (dnsmasq, dhcpcd) and IPv6 by router
# advertisements (dnsmasq enable-ra, SLAAC); the config has no IPv6 key at all.
#  1. Each uplink gets an IPv6 table (its prefix, default via its link-local router), a `from PREFIX` rule
#     and an IPv6 nexthop; the IPv6 group holds both; `status --json` shows both families active.
#  2. The router's own IPv6 connections all connect at the first SYN, spread over both ISPs: each leaves with
#     the source of the ISP it leaves by (the ISPs drop any other, BCP 38) — default6 is a multipath route,
#     whose chosen leg gives the source (docs/design-choices.md, IPv6) — and one bound to an uplink's address
#     leaves by that uplink (its prefix rule).
#  3. isp1 announces router lifetime 0: only wan1's IPv6 leaves (the IPv4 group keeps both), and new IPv6
#     connections all leave by isp2; the router returns and so does wan1's IPv6.
#  4. Carrier loss on wan1 takes both families out at once; the carrier returns and both come back.
#  5. kill -9 and a restart converge on the same objects, once each.
#  6. Renumbering, as after an LTE reconnect: wan1 goes down and up (its addresses go with it) and isp1 now
#     announces another prefix: within a second of the new address (past DAD) the new prefix's rule and
#     connected route are in wan1's table, the old prefix's are gone, and wan1 is back in the IPv6 group.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/ipv6.sh"

TCP_PORT=8080
CONNECTIONS=40

make_isp 1
make_isp 2
make_isp6 1
make_isp6 2
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG" 'multipath_hash_policy = "l4"'
add_uplink "$CONFIG" 1 1
add_uplink "$CONFIG" 2 1
start_uplinkd router "$CONFIG"
two_uplinks_up6
both6="$((0x76000000 + 201)),$((0x76000000 + 202))"
only2="$((0x76000000 + 202))"
wait_for --deadline 10 --what "the IPv6 group of wan1 and wan2" group6_is router "$both6"
route6=$(ip -N -n "$(ns router)" -6 route show table 1000 default)
assert_contains "$route6" "default proto $UPLINKD_PROTO" "default6 is balanced in the balance table"
assert_contains "$route6" "nexthop via fe80::1 dev wan1 weight 1" "by a multipath route, one leg per uplink"
assert_contains "$route6" "nexthop via fe80::1 dev wan2 weight 1" "by a multipath route, one leg per uplink"
assert_eq 1 "$(in_ns router sysctl -n net.ipv6.fib_multipath_hash_policy)" "the hash policy is set for IPv6 too"
json=$(uplinkctl_in router status --json)
for n in 1 2; do
  assert_eq active "$(jq -r ".uplinks[$((n - 1))].ipv6.state" <<<"$json")" "wan$n's IPv6 side is active"
  assert_eq "$(isp6_prefix "$n")/64" "$(jq -r ".uplinks[$((n - 1))].ipv6.prefixes[0]" <<<"$json")" "wan$n's prefix"
  assert_eq active "$(jq -r ".uplinks[$((n - 1))].state" <<<"$json")" "wan$n's IPv4 side is active"
done
assert_eq 2 "$(jq -r .active6 <<<"$json")" "two uplinks balance IPv6"

start_tcp_sink inet "$TCP_PORT"

# The internet host answers on all of 2001:db8:ffff::/64. The router's own IPv6 connections are spread by
# destination: the kernel routes an IPv6 TCP connect before it picks the source port (tcp_v6_connect; IPv4
# routes again once the port is known), so to one destination all of them hash alike.
ip -n "$(ns inet)" -6 route add local 2001:db8:ffff::/64 dev lo

connect6 "$CONNECTIONS" "$TCP_PORT"
assert_eq "$CONNECTIONS" "$OK" "every IPv6 connection left with its ISP's own prefix (others are dropped)"
# Each SYN that reaches inet is counted once per try: a SYN with the wrong ISP's source is dropped before the
# count and retried, so C1 + C2 above CONNECTIONS would mean sources that did not match the path.
assert_eq "$CONNECTIONS" "$((C1 + C2))" "IPv6 SYNs forwarded (each connection's first SYN had the right source)"
# Weight 1:1 over 40 destinations, hashed with the kernel's random seed: fewer than 8 on one side has a
# chance of 2e-5 (binomial).
assert_ge "$C1" 8 "the router's own IPv6 connections by isp1"
assert_ge "$C2" 8 "the router's own IPv6 connections by isp2"

# bound_connect6 SOURCE COUNT — COUNT connections from the router bound to SOURCE; prints how many connected.
bound_connect6() {
  in_ns router perl -MIO::Socket::IP -e '
    my ($source, $count, $port) = @ARGV; my $ok = 0;
    for my $i (1 .. $count) {
      my $peer = sprintf("2001:db8:ffff::%x", 100 + $i);
      $ok++ if IO::Socket::IP->new(LocalHost => $source, PeerHost => $peer, PeerPort => $port, Timeout => 5);
    }
    print "$ok\n";' "$1" "$2" "$TCP_PORT"
}
for n in 1 2; do
  reset_isp6_counters 1
  reset_isp6_counters 2
  assert_eq 10 "$(bound_connect6 "$(slaac_address router "wan$n" "$n")" 10)" "connections bound to wan$n's address connect"
  # SYNs forwarded: a retransmitted SYN counts again, so at least one each.
  [ "$(isp6_counter "$n")" -ge 10 ] || fail "connections bound to wan$n's address did not leave by isp$n"
  assert_eq 0 "$(isp6_counter "$((3 - n))")" "no connection bound to wan$n's address leaves by isp$((3 - n))"
done

log "isp1 withdraws its router (RA with router lifetime 0)"
start_ra 1 0
wait_for --deadline 10 --what "wan1's IPv6 out of the group" group6_is router "$only2"
has_members router 1:1 2:1 || fail "the IPv4 group lost a member when only IPv6 failed: $(group_members router)"
json=$(uplinkctl_in router status --json)
assert_contains "$(jq -r '.uplinks[0].ipv6.why' <<<"$json")" "no IPv6 router known for wan1" "status says why"
assert_eq active "$(jq -r '.uplinks[0].state' <<<"$json")" "wan1's IPv4 side stays active"
connect6 "$CONNECTIONS" "$TCP_PORT"
assert_eq "$CONNECTIONS" "$OK" "IPv6 connections still connect"
assert_eq 0 "$C1" "no IPv6 connection goes to the withdrawn router"
[ "$C2" -ge "$CONNECTIONS" ] || fail "IPv6 connections went missing: isp2 $C2"

log "isp1 announces its router again"
start_ra 1
wait_for --deadline 15 --what "wan1's IPv6 back in the group" group6_is router "$both6"

log "wan1 loses its carrier"
link_down isp1 rtr
wait_for --deadline 5 --what "wan1 out of the IPv6 group" group6_is router "$only2"
wait_for --deadline 5 --what "wan1 out of the IPv4 group" has_members router 2:1
link_up isp1 rtr
wait_for --deadline 15 --what "wan1 back in the IPv4 group" has_members router 1:1 2:1
wait_for --deadline 15 --what "wan1 back in the IPv6 group" group6_is router "$both6"

log "kill -9 and restart"
before=$(ip -N -n "$(ns router)" -6 rule show; ip -N -n "$(ns router)" -6 route show table all proto "$UPLINKD_PROTO")
kill9_uplinkd router
start_uplinkd router "$CONFIG"
wait_for --deadline 10 --what "wan1's IPv6 table after the restart" uplink6_ok router 1
wait_for --deadline 10 --what "the IPv6 group after the restart" group6_is router "$both6"
after=$(ip -N -n "$(ns router)" -6 rule show; ip -N -n "$(ns router)" -6 route show table all proto "$UPLINKD_PROTO")
assert_eq "$before" "$after" "the restarted daemon converged on the same IPv6 rules and routes, once each"

log "renumbering: wan1 reconnects and isp1 announces 2001:db8:11::/64 instead"
stop_ra 1
ip -n "$(ns isp1)" addr add 2001:db8:11::1/64 dev rtr nodad
link_down router wan1 # an interface set down loses its IPv6 addresses (keep_addr_on_down is off)
wait_for --deadline 5 --what "wan1's old address gone" _h_not has_slaac router wan1 1
link_up router wan1
start_ra 1 1800 2001:db8:11::
wait_for --deadline 20 --what "wan1's address out of the new prefix, past DAD" has_slaac router wan1 11
t0=$(_h_now_usec)
# renumbered N — wanN's IPv6 side is the new prefix's only: its rule and connected route, none of the old's.
renumbered() {
  local rules routes
  rules=$(ip -N -n "$(ns router)" -6 rule show priority 20100)
  routes=$(ip -N -n "$(ns router)" -6 route show table 201)
  [[ $rules == *"from 2001:db8:11::/64 lookup 201 proto $UPLINKD_PROTO"* ]] &&
    [[ $rules != *"from 2001:db8:1::/64 "* ]] &&
    [[ $routes == *"2001:db8:11::/64 dev wan1 proto $UPLINKD_PROTO"* ]] &&
    [[ $routes != *"2001:db8:1::/64 "* ]] &&
    [[ $routes == *"default nhid $((0x76000000 + 201)) via fe80::"*" dev wan1"* ]] # dnsmasq may speak from either link-local
}
wait_for --deadline 1 --what "wan1's rules and routes for the new prefix only, within a second" renumbered
log "renumbered $(( ($(_h_now_usec) - t0) / 1000 )) ms after the test saw the new address (its polling included)"
wait_for --deadline 10 --what "wan1 back in the IPv6 group" group6_is router "$both6"
assert_contains "$(uplink_json router wan1 | jq -c .ipv6)" "2001:db8:11:" "status shows wan1's new address"
pass
