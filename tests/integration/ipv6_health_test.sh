#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Health per family (docs/health.md), with the real daemon probing through two dual-stack ISPs:
#  1. wan1 probes both families (an IPv4 target; an ICMPv6 target and its link-local router by `ndp`, quorum
#     2); wan2 probes IPv4 only, so its IPv6 follows its IPv4 verdict and `status` says so.
#  2. isp1's IPv6 upstream goes silent while its IPv4 works (the common ISP fault): wan1's IPv6 turns down
#     and leaves the IPv6 group, its IPv4 stays up and in the IPv4 group; the router's new IPv6 connections
#     all leave by isp2; `events` reports the IPv6 transition with "family": "ipv6"; the router itself
#     still answers `ndp` (the ISP's router is alive). The upstream returns: wan1's IPv6 comes back.
#  3. isp2's IPv4 upstream goes silent: wan2 has no IPv6 targets, so both of its families leave at once.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/ipv6.sh"

TCP_PORT=8080
CONNECTIONS=12

make_isp 1
make_isp 2
make_isp6 1
make_isp6 2
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
HEALTH=("interval = 0.2" "timeout = 0.5" "down_after = 3" "up_after = 3")
add_uplink "$CONFIG" 1 1 "[uplink.health]" "targets = [\"$INET_ADDR\", \"$INET6_ADDR\", \"ndp\"]" "min_up = 2" \
  "${HEALTH[@]}"
add_uplink "$CONFIG" 2 1 "[uplink.health]" "targets = [\"$INET_ADDR\"]" "${HEALTH[@]}"
start_uplinkd router "$CONFIG"
two_uplinks_up
wait_for --deadline 10 --what "wan1's IPv6 table and prefix rule" uplink6_ok router 1
wait_for --deadline 10 --what "wan2's IPv6 table and prefix rule" uplink6_ok router 2
both6="$((0x76000000 + 201)),$((0x76000000 + 202))"
only1="$((0x76000000 + 201))"
only2="$((0x76000000 + 202))"
wait_for --deadline 10 --what "the IPv6 group of wan1 and wan2" group6_is router "$both6"

wait_for --deadline 10 --what "wan1's IPv4 health up" eval '[ "$(health_state router wan1)" == up ]'
wait_for --deadline 10 --what "wan1's IPv6 health up" health6_is router wan1 up

log "part 1: what status shows for each family"
json=$(uplink_json router wan1)
log "wan1: $(jq -c '{health: .health | {state, targets: [.targets[].target]}, ipv6: .ipv6.health | {state, targets: [.targets[].target]}}' <<<"$json")"
assert_eq "$INET_ADDR" "$(jq -r '[.health.targets[].target] | join(" ")' <<<"$json")" "wan1's IPv4 targets"
assert_eq "$INET6_ADDR ndp" "$(jq -r '[.ipv6.health.targets[].target] | join(" ")' <<<"$json")" "wan1's IPv6 targets"
assert_eq null "$(jq -r .ipv6.health.follows <<<"$json")" "wan1's IPv6 has targets of its own"
json=$(uplink_json router wan2)
assert_eq ipv4 "$(jq -r .ipv6.health.follows <<<"$json")" "wan2's IPv6 follows its IPv4 verdict"
assert_eq up "$(jq -r .ipv6.health.state <<<"$json")" "wan2's IPv6 health is its IPv4's"
table=$(uplinkctl_in router status)
assert_contains "$table" "ipv6 wan2: active" "the table has wan2's IPv6 line"
assert_contains "$table" "health up (as ipv4, no ipv6 targets)" "the table says wan2's IPv6 follows IPv4"

start_tcp_sink inet "$TCP_PORT"
ip -n "$(ns inet)" -6 route add local 2001:db8:ffff::/64 dev lo

log "part 2: isp1's IPv6 upstream goes silent, its IPv4 keeps working"
start_event_log router health6
event_log_sync router health6 wan1
events_before=$(wc -l <"$(event_log health6)")
t0=$(_h_now_usec)
blackhole_upstream6 1
wait_for --deadline 10 --what "wan1's IPv6 out of the IPv6 group" group6_is router "$only2"
log "wan1's IPv6 left the group $(( ($(_h_now_usec) - t0) / 1000 )) ms after its upstream went silent"
has_members router 1:1 2:1 || fail "the IPv4 group lost a member when only IPv6 failed: $(group_members router)"
json=$(uplink_json router wan1)
assert_eq down "$(jq -r .ipv6.health.state <<<"$json")" "wan1's IPv6 health"
assert_eq up "$(jq -r .health.state <<<"$json")" "wan1's IPv4 health"
assert_eq active "$(jq -r .state <<<"$json")" "wan1's IPv4 side stays active"
ndp=$(jq -c '.ipv6.health.targets[] | select(.target == "ndp")' <<<"$json")
log "wan1's ndp target: $ndp"
assert_eq 0 "$(jq -r .loss_percent <<<"$ndp")" "isp1's router still answers neighbour solicitations"
assert_ge "$(jq -r .samples <<<"$ndp")" 5
wait_for --deadline 5 --what "the IPv6 health event of wan1" eval \
  "tail -n +$((events_before + 1)) '$(event_log health6)' | jq -e -s 'any(.[]; .event == \"health\" and .uplink == \"wan1\" and .family == \"ipv6\" and .to == \"down\")' >/dev/null"
if tail -n +"$((events_before + 1))" "$(event_log health6)" |
  jq -e -s 'any(.[]; .event == "health" and .uplink == "wan1" and .family != "ipv6")' >/dev/null; then
  fail "an IPv4 health event for wan1 although only its IPv6 failed: $(tail -n +"$((events_before + 1))" "$(event_log health6)")"
fi
connect6 "$CONNECTIONS" "$TCP_PORT" 0x101
assert_eq "$CONNECTIONS" "$OK" "IPv6 connections connect by isp2"
[ "$C2" -ge "$CONNECTIONS" ] || fail "IPv6 connections went missing: isp2 $C2"

restore_upstream6 1
wait_for --deadline 10 --what "wan1's IPv6 back in the IPv6 group" group6_is router "$both6"
wait_for --deadline 5 --what "wan1's IPv6 health up" health6_is router wan1 up

log "part 3: isp2's IPv4 upstream goes silent; wan2's IPv6 follows its IPv4 verdict"
blackhole_upstream 2
wait_for --deadline 10 --what "wan2 out of the IPv4 group" has_members router 1:1
wait_for --deadline 5 --what "wan2 out of the IPv6 group" group6_is router "$only1"
json=$(uplink_json router wan2)
assert_eq down "$(jq -r .ipv6.health.state <<<"$json")" "wan2's IPv6 health follows its IPv4"
assert_eq ipv4 "$(jq -r .ipv6.health.follows <<<"$json")" "status says whose verdict it is"
assert_contains "$(jq -r .ipv6.why <<<"$json")" "as IPv4" "and why the IPv6 side is down"
restore_upstream 2
wait_for --deadline 10 --what "wan2 back in the IPv4 group" has_members router 1:1 2:1
wait_for --deadline 5 --what "wan2 back in the IPv6 group" group6_is router "$both6"
pass
