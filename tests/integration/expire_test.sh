#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A lease that expires, and an interface that disappears, drop that uplink and nothing else: the other
# uplinks' tables, rules and nexthops stay exactly as they were, and the group shrinks in place.
# The lease expires for real: wan2's dhclient is told the lease lasts 6 s (dnsmasq's minimum is 2 min) and
# its ISP's DHCP server is stopped, so renew and rebind fail and dhclient runs EXPIRE.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

setup_three_isps
install_dhclient_hook router
cat >>"$(dhclient_etc router)/dhclient.conf" <<'EOF2'
interface "wan2" {
  supersede dhcp-lease-time 6;
  supersede dhcp-renewal-time 2;
  supersede dhcp-rebinding-time 4;
}
EOF2
for n in 1 2 3; do start_dhclient router "wan$n"; done
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
wait_for --deadline 10 --what "all three uplinks in the group" has_members router 1:1 2:3 3:2

# objects_of N — what uplinkd owns for wanN alone: its rule, its table, its nexthop.
objects_of() {
  local netns table=$((200 + $1))
  netns=$(ns router)
  ip -N -n "$netns" rule | grep "lookup $table proto" || true
  ip -N -n "$netns" route show table "$table"
  ip -N -n "$netns" nexthop show id "$(uplink_nh "$table")" 2>/dev/null || true
}

log "wan2's lease expires"
keep1=$(objects_of 1)
keep3=$(objects_of 3)
stop_dnsmasq 2
wait_for --deadline 30 --what "wan2 dropped after its lease expired" has_members router 1:1 3:2
wait_for --deadline 5 --what "wan2's objects gone" eval '[ -z "$(objects_of 2)" ]'
assert_eq "$(objects_of 1)" "$keep1" "wan1's objects are untouched"
assert_eq "$(objects_of 3)" "$keep3" "wan3's objects are untouched"
assert_contains "$(uplink_field router wan2 why)" "wan2" "status says why wan2 is out"
assert_eq "$(uplink_field router wan2 state)" down "wan2 is down"
# dhclient-script removes the address before it runs the exit hooks, so the hook's report can come last.
wait_for --deadline 5 --what "uplinkd told of the EXPIRE by the hook" grep -q "hook: dhclient EXPIRE on wan2" "$(uplinkd_log router)"

log "wan3's interface disappears"
ip -n "$(ns router)" link del wan3
wait_for --deadline 5 --what "wan3 dropped after its interface vanished" has_members router 1:1
wait_for --deadline 5 --what "wan3's objects gone" eval '[ -z "$(objects_of 3)" ]'
assert_eq "$(objects_of 1)" "$keep1" "wan1's objects are untouched"
assert_eq "$(uplink_field router wan3 why)" "interface wan3 does not exist" "status says why wan3 is out"
assert_ping router "$(address_of router wan1 | cut -d/ -f1)" "$INET_ADDR"
assert_no_duplicates router
assert_converged router
pass
