#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `mode = "connection"` for IPv6 (issue 13) on a dual-stack NAT router: two ISPs give IPv4 by DHCP and IPv6 by
# router advertisements (isp2's with low preference, so main's own default6 is isp1's), `masquerade = true`
# translates the LAN host's ULA (NAT66), wan1 has weight 1 and wan2 weight 3, each probes an IPv4 and an IPv6
# target. A server on the internet host answers each connection with the source it sees: the uplink a
# connection left by is read where it arrived; the router's conntrack (`conntrack -L -f ipv6`) is the judge of
# NAT addresses, ct marks and entry ids.
#  a. uplinkd's table marks IPv6 (the uplinks' own prefixes return before any mark, the pin chain maps their
#     prefixes), `ip -6 rule` routes each uplink's mark by its table, and `uplinkctl plan` shows both.
#  b. 40 connections from the ULA split 1:3 by weight (an exact counter: ±2); the router's own IPv6
#     connections still leave with the source of the uplink they take (each connects at its first SYN), and so
#     do the LAN host's from its address out of isp1's delegated prefix: never marked (ct mark 0), all by isp1,
#     untranslated (isp2 would drop them).
#  c. a [[rule]] with an IPv6 dst sends all its connections by wan1; an IPv6 `exclude` prefix is never marked
#     (ct mark 0) and goes by main's default6 (isp1's).
#  d. 8 long-lived IPv6 connections (2 on wan1, 6 on wan2: the counter is exact) keep their NAT address, ct mark
#     and conntrack entry through a weight change; new ones follow the new weights.
#  e. wan1's IPv6 upstream goes silent (its IPv4 keeps working): the daemon deletes every IPv6 conntrack entry
#     masqueraded into wan1's prefix (logged), wan2's held connections keep theirs and echo, new IPv6
#     connections all leave by wan2, wan1's IPv4 side stays active; the upstream returns and IPv6 is spread
#     over both again.
#  f. mode flow (a reload; no marks but the pin chain's): 16 IPv6 connections hashed by the multipath route keep
#     their uplink, NAT address and entry when a weight change moves three quarters of wan1's hash range.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/dhcp.sh"
source "$(dirname "$0")/lib/ipv6.sh"
source "$(dirname "$0")/lib/dhcpv6.sh"
source "$(dirname "$0")/lib/lan6.sh"
source "$(dirname "$0")/lib/echo.sh"
source "$(dirname "$0")/lib/connection.sh"

require_tools conntrack perl

PORT=8086      # the whoami server
ECHO_PORT=8080 # the long-lived connections
HELD=8
RULE_DST=2001:db8:ffff::d00/120
EXCLUDED=2001:db8:ffff::e00/120
M1=$(uplink_mark 201) M2=$(uplink_mark 202)

make_isp 1
make_isp 2
make_isp6 1
make_isp6 2 --no-ra
start_ra 2 1800 "" "" low
make_lan6
start_whoami6 "$PORT"
start_echo_server inet "$ECHO_PORT"

CONFIG=$H_TMP/uplinkd.toml
# configure WEIGHT1 [MODE] — the config, with wan1's weight WEIGHT1 (wan2's is 3). MODE "flow": no marks at all
# (no exclude, no rule), so that only the pin chain keeps NATed connections in place.
configure() {
  local n weight mode=${2:-connection} top=()
  [ "$mode" == flow ] || top=("exclude = [\"$EXCLUDED\"]")
  write_config "$CONFIG" "mode = \"$mode\"" 'multipath_hash_policy = "l4"' "${top[@]}"
  for n in 1 2; do
    weight=3
    [ "$n" -eq 1 ] && weight=$1
    # shellcheck disable=SC2153  # INET_ADDR is netns.sh's, not a misspelt INET6_ADDR
    add_uplink "$CONFIG" "$n" "$weight" "masquerade = true" "[uplink.health]" \
      "targets = [\"$INET_ADDR\", \"$INET6_ADDR\"]" "interval = 0.2" "timeout = 0.5" "down_after = 3" \
      "up_after = 3" "hold_down = 0"
  done
  [ "$mode" == flow ] && return
  cat >>"$CONFIG" <<EOF

[[rule]]
dst = "$RULE_DST"
uplinks = ["wan1"]
EOF
}
configure 1
start_uplinkd router "$CONFIG"
start_dhcpcd router wan1
start_dhcpcd router wan2
wait_for --deadline 10 --what "the IPv4 group of wan1 (weight 1) and wan2 (weight 3)" has_members router 1:1 2:3
wait_for --deadline 15 --what "wan1's IPv6 table" uplink6_ok router 1
wait_for --deadline 15 --what "wan2's IPv6 table" uplink6_ok router 2
wait_for --deadline 15 --what "both uplinks' IPv4 health up" healths_are router "wan1=up wan2=up"
wait_for --deadline 15 --what "wan1's IPv6 health up" health6_is router wan1 up
wait_for --deadline 15 --what "wan2's IPv6 health up" health6_is router wan2 up
WAN1=$(slaac_address router wan1 1) WAN2=$(slaac_address router wan2 2)
log "wan1 $WAN1 (mark $M1), wan2 $WAN2 (mark $M2)"
# isp1 delegates 2001:db8:1:100::/60 to the router (as dhclient -6's exit hook reports it); the LAN host has an
# address out of it beside its ULA. isp2 drops that source (BCP 38), as it drops any not of its own.
allow_delegated6 1
in_ns router env -i reason=BOUND6 interface=wan1 new_ip6_prefix=2001:db8:1:100::/60 new_max_life=3600 \
  new_preferred_life=1800 "$UPLINKCTL_BIN" -s "$H_TMP/uplinkd.sock" hook --client dhclient
route_delegated6 1 2001:db8:1:100::/60
ip -n "$(ns router)" addr add 2001:db8:1:100::1/64 dev lan0 nodad
DELEGATED=2001:db8:1:100::10
# Deprecated (preferred_lft 0): the host's own choice of source stays its ULA; the test binds this one.
ip -n "$(ns lan)" addr add "$DELEGATED/64" dev eth0 nodad preferred_lft 0

# ---------------------------------------------------------------------------------------------------------
log "a. uplinkd's table and rules mark IPv6"
nft_has() { uplinkd_nft router | grep -qF -- "$1"; }
UNMARKED="ip6 saddr { 2001:db8:1::/64, 2001:db8:1:100::/60, 2001:db8:2::/64, fe80::/10 } return"
PIN6="ct reply ip6 daddr & ffff:ffff:ffff:ffff:: map { 2001:db8:1:: : $M1, 2001:db8:2:: : $M2 }"
PIN6_DELEGATED="ct reply ip6 daddr & ffff:ffff:ffff:fff0:: map { 2001:db8:1:100:: : $M1 }"
wait_for --deadline 5 --what "the uplinks' own prefixes unmarked in uplinkd's table" nft_has "$UNMARKED"
wait_for --deadline 5 --what "the IPv6 pin map in uplinkd's table" nft_has "$PIN6"
wait_for --deadline 5 --what "the IPv6 pin map of the delegated prefix in uplinkd's table" nft_has "$PIN6_DELEGATED"
log "uplinkd's table: $(uplinkd_nft router | tr -s '\t\n' '  ')"
assert_not_contains "$(uplinkd_nft router)" "meta nfproto ipv6 return" "uplinkd's table (IPv6 is marked)"
rules6=$(ip -n "$(ns router)" -6 rule show priority 20050)
assert_contains "$rules6" "fwmark $M1 lookup 201" "ip -6 rule at 20050"
assert_contains "$rules6" "fwmark $M2 lookup 202" "ip -6 rule at 20050"
plan=$(uplinkctl_in router plan) || fail "uplinkctl plan failed: $plan"
for part in "ip -6 rule add priority 20050 fwmark $M1/0xffffffff lookup 201" \
  "ip -6 rule add priority 20050 fwmark $M2/0xffffffff lookup 202" \
  "ip -6 rule add priority 20000 to $EXCLUDED lookup 254" "$UNMARKED" "$PIN6" \
  "ip6 daddr $RULE_DST ct state new meta mark set $M1 ct mark set meta mark return"; do
  assert_contains "$plan" "$part" "uplinkctl plan"
done

# ---------------------------------------------------------------------------------------------------------
log "b. 40 connections from the ULA, weights 1:3"
seen=$(sources_seen6 40 $((0x100)) "$PORT")
n1=$(count_of "$seen" "$WAN1") n2=$(count_of "$seen" "$WAN2")
log "b. seen from wan1's address: $n1, from wan2's: $n2 ($(tally_lines "$seen"))"
assert_eq 40 $((n1 + n2)) "ULA connections that arrived from one of the uplinks' addresses ($(tally_lines "$seen"))"
# numgen's counter gives exactly 1 of every 4 new connections to wan1; the LAN host sends nothing else that
# reaches it, so 10. ±2 (5 % of 40, as connection_test allows) for anything the test did not foresee.
assert_between "$n1" 8 12 "b. wan1's share (weight 1 of 4)"

log "b. the router's own IPv6 connections keep the source of the uplink they take"
connect6 20 "$PORT" $((0x400))
assert_eq 20 "$OK" "the router's own IPv6 connections"
assert_eq 20 "$((C1 + C2))" "SYNs the ISPs forwarded (each connection at its first SYN: none was marked away from its source)"

log "b. the LAN host's address out of wan1's delegation is never marked: its source rule sends it by isp1"
seen=$(sources_seen6 12 $((0x600)) "$PORT" "$DELEGATED")
assert_eq 12 "$(count_of "$seen" "$DELEGATED")" "connections from $DELEGATED arriving untranslated ($(tally_lines "$seen"); a mark for wan2 would have had isp2 drop them)"
delegated_marks() {
  in_ns router conntrack -L -f ipv6 -p tcp -s "$DELEGATED" --dport "$PORT" 2>/dev/null | grep -o 'mark=[0-9]*' |
    sort | uniq -c | awk '{ printf "%s×%d ", $2, $1 }'
}
assert_eq "mark=0×12 " "$(delegated_marks)" "ct marks of the connections from the delegated address"

# ---------------------------------------------------------------------------------------------------------
log "c. the rule: dst $RULE_DST by wan1"
seen=$(sources_seen6 10 $((0xd00)) "$PORT")
assert_eq 10 "$(count_of "$seen" "$WAN1")" "connections to the rule's dst arriving from wan1's address ($(tally_lines "$seen"))"

log "c. exclude $EXCLUDED: never marked, by main's default6 (isp1's: isp2 advertises low preference)"
main6=$(ip -n "$(ns router)" -6 route show table main default)
log "c. main's default6: $(tr '\n' ';' <<<"$main6")"
assert_contains "$(grep 'dev wan2' <<<"$main6")" "pref low" "isp2's route in main"
seen=$(sources_seen6 10 $((0xe00)) "$PORT")
assert_eq 10 "$(count_of "$seen" "$WAN1")" "excluded connections arriving from wan1's address, main's choice ($(tally_lines "$seen"))"
marks=$(in_ns router conntrack -L -f ipv6 -p tcp --dport "$PORT" 2>/dev/null | grep "dst=2001:db8:ffff::e" |
  grep -o 'mark=[0-9]*' | sort | uniq -c | awk '{ printf "%s×%d ", $2, $1 }')
assert_eq "mark=0×10 " "$marks" "ct marks of the excluded connections"

# ---------------------------------------------------------------------------------------------------------
log "d. $HELD long-lived IPv6 connections"
start_conntrack_destroy_log router failure
start_echo_holder lan held $HELD "$INET6_ADDR" $ECHO_PORT
HELD0=$(held_ct router held)
HELD0_ON1=$(held_on "$HELD0" "$WAN1") HELD0_ON2=$(held_on "$HELD0" "$WAN2")
ON1=$(line_count "$HELD0_ON1") ON2=$(line_count "$HELD0_ON2")
log "d. held connections (port address mark id): $(tr '\n' ',' <<<"$HELD0")"
# Any 8 successive values of the counter give wan1 two.
assert_eq "2 6" "$ON1 $ON2" "held connections NATed to wan1 and wan2"
assert_eq "" "$(awk -v a1="$WAN1" -v m1="$M1" -v a2="$WAN2" -v m2="$M2" '!(($2 == a1 && $3 == m1) || ($2 == a2 && $3 == m2))' <<<"$HELD0")" \
  "held connections whose ct mark is not their uplink's"
assert_eq $HELD "$(echo_all held)" "held connections echoing"

log "d. weight wan1 3"
before=$(uplinkd_nft router)
assert_eq "wan1 weight 3 (was 1)" "$(uplinkctl_in router weight wan1 3)" "uplinkctl weight wan1 3"
wait_for --deadline 5 --what "uplinkd's table to change after the weight change" nft_changed router "$before"
assert_eq "$HELD0" "$(held_ct router held)" "held connections (port address mark id) after the weight change"
assert_eq $HELD "$(echo_all held)" "held connections echoing after the weight change"
seen=$(sources_seen6 20 $((0x200)) "$PORT")
n1=$(count_of "$seen" "$WAN1") n2=$(count_of "$seen" "$WAN2")
log "d. after the weight change to 3:3: wan1 $n1, wan2 $n2"
assert_eq 20 $((n1 + n2)) "new connections after the weight change ($(tally_lines "$seen"))"
assert_between "$n1" 9 11 "d. wan1's share after the weight change (3 of 6)"

# ---------------------------------------------------------------------------------------------------------
log "e. isp1's IPv6 upstream goes silent (it carries $ON1 of the held connections)"
blackhole_upstream6 1
wait_for --deadline 10 --what "wan1's IPv6 health down" health6_is router wan1 down
json=$(uplink_json router wan1)
assert_eq "active up" "$(jq -r '"\(.state) \(.health.state)"' <<<"$json")" "wan1's IPv4 side (state, health)"
# The held connections are idle and the short ones closed: nothing of theirs passes to make the kernel drop
# an entry, so an entry gone is one the daemon deleted.
none_nated_to_wan1() { [ -z "$(entries_nated_to "$(conntrack_entries router -f ipv6)" "$WAN1")" ]; }
wait_for --deadline 5 --what "no IPv6 conntrack entry NATed to wan1 ($WAN1)" none_nated_to_wan1
swept() { grep -q "uplink wan1: deleted [0-9]* conntrack entries masqueraded into 2001:db8:1::/64$" "$(uplinkd_log router)"; }
wait_for --deadline 5 --what "the daemon's log of the sweep into wan1's prefix" swept
log "e. $(grep "conntrack entries masqueraded into" "$(uplinkd_log router)" | tr '\n' ' ')"
# The sweep of the delegated prefix takes nothing: those connections were routed, not translated.
assert_eq "mark=0×12 " "$(delegated_marks)" "the delegated address's (closed) connections, after the sweep"
wait_for --deadline 5 --what "DESTROY events (by a request) of the held connections NATed to wan1" \
  held_destroyed failure "$ECHO_PORT" "$WAN1" "$HELD0_ON1"
assert_eq "$HELD0_ON2" "$(held_on "$(held_ct router held)" "$WAN2")" "wan2's held connections after wan1's IPv6 failure"
assert_eq "$ON2" "$(echo_all held)" "held connections echoing after wan1's IPv6 failure (wan2's)"
seen=$(sources_seen6 12 $((0x300)) "$PORT")
assert_eq 12 "$(count_of "$seen" "$WAN2")" "new IPv6 connections with wan1's IPv6 down, arriving from wan2's address ($(tally_lines "$seen"))"
assert_eq active "$(uplink_field router wan1 state)" "wan1's IPv4 side after its IPv6 failure"

log "e. isp1's IPv6 upstream answers again"
restore_upstream6 1
wait_for --deadline 15 --what "wan1's IPv6 health up" health6_is router wan1 up
wait_for --deadline 5 --what "wan1's IPv6 pinned again" nft_has "$PIN6"
seen=$(sources_seen6 20 $((0x500)) "$PORT")
n1=$(count_of "$seen" "$WAN1") n2=$(count_of "$seen" "$WAN2")
log "e. after wan1's IPv6 returned: wan1 $n1, wan2 $n2"
assert_eq 20 $((n1 + n2)) "new connections after wan1's IPv6 returned ($(tally_lines "$seen"))"
assert_between "$n1" 9 11 "e. wan1's share after its IPv6 returned (3 of 6)"
assert_eq "$HELD0_ON2" "$(held_on "$(held_ct router held)" "$WAN2")" "wan2's held connections after wan1's IPv6 returned"

# ---------------------------------------------------------------------------------------------------------
log "f. mode flow, weights 3:3, by a reload: the kernel's multipath route spreads IPv6, only the pin chain marks"
configure 3 flow
before=$(uplinkd_nft router)
assert_ok uplinkctl_in router reload
wait_for --deadline 5 --what "uplinkd's table to change after the reload to flow mode" nft_changed router "$before"
assert_eq "pin postrouting" "$(uplinkd_nft router | awk '$1 == "chain" { print $2 }' | sort | paste -sd' ')" \
  "uplinkd's chains in flow mode"
FLOW=16
start_echo_holder lan flow $FLOW "$INET6_ADDR" $ECHO_PORT
FLOW0=$(held_ct router flow)
F1=$(line_count "$(held_on "$FLOW0" "$WAN1")") F2=$(line_count "$(held_on "$FLOW0" "$WAN2")")
log "f. $FLOW connections hashed by the multipath route: wan1 $F1, wan2 $F2"
assert_eq $FLOW $((F1 + F2)) "flow-mode connections NATed to wan1 or wan2"
# None on wan1 has a chance of 2^-16 (L4 hash, 1:1).
assert_ge "$F1" 1 "flow-mode connections on wan1"
# 3:3 to 3:21: wan1 keeps an eighth of the hash range instead of half, so three of every four of its flows
# would hash to wan2 now, where the masquerade's entry (wan1's address) would have the kernel drop them.
assert_eq "wan2 weight 21 (was 3)" "$(uplinkctl_in router weight wan2 21)" "uplinkctl weight wan2 21"
wait_for --deadline 5 --what "the multipath route's new weights" eval \
  "ip -n $(ns router) -6 route show table 1000 default | grep -q 'dev wan2 weight 21'"
assert_eq "$FLOW0" "$(held_ct router flow)" "flow-mode connections (port address mark id) after the weight change"
assert_eq $FLOW "$(echo_all flow)" "flow-mode connections echoing after the weight change"
assert_eq "$HELD0_ON2" "$(held_on "$(held_ct router held)" "$WAN2")" "wan2's held connections after the reload and the weight change"
pass
