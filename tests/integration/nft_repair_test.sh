#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uplinkd keeps its nftables table and its sysctls as it planned them when another program changes them
# (issue 12, items 6 and 8). A NAT router in mode "connection" with sticky sources and two masquerading DHCP
# uplinks, beside a user's own `inet filter` table:
#  a. `nft flush ruleset` (what nftables.service's reload does): uplinkd's table is back within ~1 s (the
#     nftables events, not a poll; asserted < 3 s, the time is printed) and NAT works again.
#  b. Someone deletes uplinkd's postrouting chain: it is back, and the user's table is unchanged through
#     every repair (uplinkd touches only its own table).
#  c. `sysctl -w` of the hash policy uplinkd set: restored within the slow check's period (5 s; < 10 s).
#  d. 65,000 sticky sources (added in bulk from a file): a weight change still applies (the new weights are in
#     the balance chain), quickly (the daemon's "kernel changes in N us" is printed), and every sticky source
#     is still there.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/connection.sh"

require_tools conntrack perl

PORT_BEFORE=81 PORT_AFTER=82
STICKY=65000

make_isp 1
make_isp 2
make_lan

CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG" 'mode = "connection"' 'sticky_timeout = 3600' 'multipath_hash_policy = 1'
add_uplink "$CONFIG" 1 1 "masquerade = true"
add_uplink "$CONFIG" 2 1 "masquerade = true"
start_uplinkd router "$CONFIG"
start_dhcpcd router wan1
start_dhcpcd router wan2
wait_for_address router wan1 100.64.1.
wait_for_address router wan2 100.64.2.
wait_for --deadline 10 --what "wan1's table and rule" uplink_table_ok router 1
wait_for --deadline 10 --what "wan2's table and rule" uplink_table_ok router 2
wait_for --deadline 15 --what "both uplinks active" states_are router "wan1=active wan2=active"
A1=$(uplink_address router wan1) A2=$(uplink_address router wan2)
start_tcp_closer inet $PORT_BEFORE $PORT_AFTER

# nated_connections PORT — how many of the LAN host's connections to PORT the router NATed to an uplink.
nated_connections() {
  local split
  split=$(conntrack_split router "$(address_of lan eth0)" "$1")
  echo $(($(split_count "$split" "$A1") + $(split_count "$split" "$A2")))
}
assert_eq 5 "$(short_connections lan - "$INET_ADDR" $PORT_BEFORE 5)" "connections through the router before"
assert_eq 5 "$(nated_connections $PORT_BEFORE)" "connections NATed before"

user_table() { in_ns router nft list table inet filter 2>/dev/null; }
add_user_table() {
  in_ns router nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 counter accept
	}
}
NFT
}
has_masquerade() { uplinkd_nft router | grep -q 'oifname "wan2" masquerade'; }
has_postrouting() { uplinkd_nft router | grep -q 'chain postrouting'; }

# time_until CMD... — milliseconds from now until CMD succeeds (deadline 10 s; the caller asserts the bound).
time_until() {
  local start=$(_h_now_usec)
  poll_until --deadline 10 --interval 0.01 "$@" || fail "timed out waiting for: $*"
  echo $((($(_h_now_usec) - start) / 1000))
}

# a. A flush of the whole ruleset.
has_masquerade || fail "no masquerade in uplinkd's table: $(uplinkd_nft router)"
in_ns router nft flush ruleset
ms=$(time_until has_masquerade)
log "a. uplinkd's table back ${ms} ms after nft flush ruleset"
assert_le "$ms" 3000 "ms from nft flush ruleset to uplinkd's table restored"
assert_eq 5 "$(short_connections lan - "$INET_ADDR" $PORT_AFTER 5)" "connections through the router after the flush"
assert_eq 5 "$(nated_connections $PORT_AFTER)" "connections NATed after the flush"

# b. A user's table beside uplinkd's, and a change of one of uplinkd's chains.
add_user_table
before=$(user_table)
in_ns router nft delete chain inet uplinkd postrouting
ms=$(time_until has_postrouting)
log "b. postrouting chain back ${ms} ms after its deletion"
assert_le "$ms" 3000 "ms from the chain's deletion to its repair"
assert_eq "$before" "$(user_table)" "the user's inet filter table after uplinkd's repairs"

# c. A sysctl uplinkd set, changed behind its back.
policy_is() { [ "$(in_ns router sysctl -n net.ipv4.fib_multipath_hash_policy)" == "$1" ]; }
policy_is 1 || fail "uplinkd did not set fib_multipath_hash_policy"
in_ns router sysctl -qw net.ipv4.fib_multipath_hash_policy=0
ms=$(time_until policy_is 1)
log "c. fib_multipath_hash_policy restored ${ms} ms after sysctl -w"
assert_le "$ms" 10000 "ms from sysctl -w to its restoration"

# d. 65,000 sticky sources, then a weight change.
python3 -c "
print('add element inet uplinkd sticky { ' + ', '.join(
    '10.%d.%d.%d : $(uplink_mark 201)' % (i >> 16, (i >> 8) & 255, i & 255) for i in range(1, $STICKY + 1)) + ' }')
" >"$H_TMP/sticky.nft"
in_ns router nft -f "$H_TMP/sticky.nft"
sticky_count() { in_ns router nft -j list map inet uplinkd sticky | jq '[.nftables[] | .map? | .elem? // empty | length] | add'; }
sticky_before=$(sticky_count) # the LAN host's own address is in the map too, from the connections above
assert_ge "$sticky_before" $STICKY "sticky sources before the weight change"
uplinkctl_in router weight wan2 5 >/dev/null
new_weights() { uplinkd_nft router | grep -q 'numgen inc mod 6 map { 0 : [^,]*, 1-5 : '; }
ms=$(time_until new_weights)
took=$(grep -o 'weight of wan2: [0-9]* kernel changes in [0-9]* us' "$(uplinkd_log router)" | tail -n1 || true)
log "d. with $STICKY sticky sources: new weights listed ${ms} ms after uplinkctl weight (daemon: $took)"
assert_eq "$sticky_before" "$(sticky_count)" "sticky sources after the weight change"
assert_eq "$before" "$(user_table)" "the user's inet filter table at the end"
pass
