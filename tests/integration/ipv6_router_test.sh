#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6-only uplinks on a router (IPv6 forwarding on), where the kernel ignores router advertisements unless
# accept_ra is 2:
#  1. Neither ISP serves IPv4 at all. wan2's config sets accept_ra = 2: uplinkd sets it, wan2 takes isp2's
#     RA (SLAAC address, router) and balances IPv6 alone; wan1 (no key) stays dark, and `status` says why:
#     forwarding is on and accept_ra is 1. Nothing was set for wan1.
#  2. A reload with accept_ra = 2 on wan1 too: isp1 announces itself only every 10 minutes, but uplinkd
#     solicits its routers as it sets accept_ra, so wan1 has its address and router within seconds; both
#     uplinks balance IPv6, the router's own IPv6 connections connect by both ISPs (no IPv4 anywhere), and
#     the IPv4 side plans nothing.
#  3. kill -9 and a restart converge on the same IPv6 rules and routes, once each.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/ipv6.sh"

TCP_PORT=8080
CONNECTIONS=40

make_isp 1 --no-dhcp
make_isp 2 --no-dhcp
# A router: forwarding on for every interface before the RAs start (the kernel then ignores them at
# accept_ra = 1, which make_isp6 sets).
sysctl_ns router net.ipv6.conf.all.forwarding=1
make_isp6 1
make_isp6 2
start_ra 1 1800 "" 600 # a real ISP's interval: only a solicitation brings an RA in time for part 2
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
add_uplink "$CONFIG" 2 1 "accept_ra = 2"
start_uplinkd router "$CONFIG"

log "part 1: accept_ra = 2 on wan2 only"
wait_for --deadline 15 --what "wan2's SLAAC address (its RAs taken)" has_slaac router wan2 2
wait_for --deadline 10 --what "wan2's IPv6 table and prefix rule" uplink6_ok router 2
only2="$((0x76000000 + 202))"
both6="$((0x76000000 + 201)),$((0x76000000 + 202))"
wait_for --deadline 10 --what "wan2 alone balancing IPv6" group6_is router "$only2"
assert_eq 2 "$(in_ns router sysctl -n net.ipv6.conf.wan2.accept_ra)" "uplinkd set wan2's accept_ra"
assert_eq 1 "$(in_ns router sysctl -n net.ipv6.conf.wan1.accept_ra)" "wan1's accept_ra is left alone"
has_slaac router wan1 1 && fail "wan1 took an RA although the kernel should ignore them"
json=$(uplinkctl_in router status --json)
assert_contains "$(jq -r '.uplinks[0].ipv6.router_advertisements' <<<"$json")" \
  "ignored: forwarding is on and accept_ra is 1" "status says why wan1 has no IPv6"
assert_eq null "$(jq -r '.uplinks[1].ipv6.router_advertisements' <<<"$json")" "wan2's RAs are taken"
assert_contains "$(uplinkctl_in router status)" "ipv6 wan1: router advertisements ignored" "and the table"
assert_eq 0 "$(jq -r .active <<<"$json")" "no uplink has IPv4"
assert_eq 1 "$(jq -r .active6 <<<"$json")" "one uplink balances IPv6"
assert_contains "$(cat "$(uplinkd_log router)")" "uplink wan1: the kernel ignores its IPv6 router advertisements" \
  "the daemon warns at start"

log "part 2: accept_ra = 2 on wan1 too, by a reload"
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1 "accept_ra = 2"
add_uplink "$CONFIG" 2 1 "accept_ra = 2"
uplinkctl_in router reload >/dev/null || fail "reload failed"
wait_for --deadline 5 --what "uplinkd setting wan1's accept_ra" eval \
  '[ "$(in_ns router sysctl -n net.ipv6.conf.wan1.accept_ra)" == 2 ]'
wait_for --deadline 10 --what "wan1's SLAAC address, from the RA its solicitation brought" has_slaac router wan1 1
assert_contains "$(cat "$(uplinkd_log router)")" "uplink on wan1 takes router advertisements now: solicited its routers" \
  "the daemon says it solicited"
wait_for --deadline 10 --what "both uplinks balancing IPv6" group6_is router "$both6"
assert_eq null "$(uplinkctl_in router status --json | jq -r '.uplinks[0].ipv6.router_advertisements')" \
  "wan1's RAs are taken now"
assert_eq "" "$(ip -N -n "$(ns router)" -4 route show table 1000)" "nothing balanced for IPv4 without IPv4"

start_tcp_sink inet "$TCP_PORT"
ip -n "$(ns inet)" -6 route add local 2001:db8:ffff::/64 dev lo
connect6 "$CONNECTIONS" "$TCP_PORT"
assert_eq "$CONNECTIONS" "$OK" "the router's IPv6 connections connect over IPv6-only uplinks"
assert_ge "$C1" 8 "connections by isp1"  # 1:1 over 40: fewer than 8 has a chance of 2e-5
assert_ge "$C2" 8 "connections by isp2"

log "part 3: kill -9 and restart"
before=$(ip -N -n "$(ns router)" -6 rule show; ip -N -n "$(ns router)" -6 route show table all proto "$UPLINKD_PROTO")
kill9_uplinkd router
start_uplinkd router "$CONFIG"
wait_for --deadline 10 --what "the IPv6 balance after the restart" group6_is router "$both6"
wait_for --deadline 10 --what "wan1's IPv6 table after the restart" uplink6_ok router 1
after=$(ip -N -n "$(ns router)" -6 rule show; ip -N -n "$(ns router)" -6 route show table all proto "$UPLINKD_PROTO")
assert_eq "$before" "$after" "the restarted daemon converged on the same IPv6 rules and routes, once each"
pass
