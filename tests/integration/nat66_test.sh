#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 for a router with a LAN (issue 13, "Routers with a LAN"). Two ISPs announce their /64 by router
# advertisements (dnsmasq) and each has delegated a /60 to the router (reported as dhclient -6 reports it, by
# `uplinkctl hook`; the ISP routes the /60 to the router). A LAN host gets SLAAC addresses out of both
# delegations from radvd on the router's LAN port and has a ULA, fd00:1::10. The internet host runs a server
# that answers each connection with the source address it sees, so every check is made where it counts.
#  1. NAT66 (`masquerade = true`): connections from the ULA arrive with the router's address on the ISP they
#     left by, spread over both ISPs by weight (2:1, flow mode, many destinations); with wan1's carrier lost,
#     new ones all arrive from isp2; hosts numbered from a delegated prefix are not translated.
#  2. NPTv6 (`nptv6 = "fd00:1::/64"`, by reload): connections from the ULA arrive from the last /64 of each
#     ISP's delegation with the host's own interface id; connections from outside to those addresses reach
#     the LAN host (dnat ip6 prefix) and are answered by the ISP they came in by, as are those to a port of
#     wan2's own addresses (IPv6 and IPv4) that the test forwards to the LAN host with a dnat of its own.
#  3. Without translation: the host's address out of isp1's delegation leaves by isp1; wan1 loses carrier,
#     the on_change hook radvd-deprecate has radvd announce that prefix with preferred lifetime 0, the host
#     marks the address deprecated and its new connections come from isp2's delegation; the carrier returns
#     and the prefix is preferred again.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/ipv6.sh"
source "$(dirname "$0")/lib/lan6.sh"
source "$(dirname "$0")/lib/dhcp.sh"
source "$(dirname "$0")/lib/dhcpv6.sh"
source "$(dirname "$0")/lib/connection.sh"

command -v radvd >/dev/null || fail "radvd not found (package radvd); run scripts/install-deps.sh"
PORT=8086
PORT_IN=8087 # the LAN host's whoami server, for NPTv6's inbound side
PORT_FORWARDED=8088 # wan2's port that the test's own dnat forwards to PORT_IN (IPv6) and PORT_IN4 (IPv4)
PORT_IN4=8089
INBOUND=12
ULA=fd00:1::10
CONNECTIONS=60
HOOK=${UPLINKD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/hooks/radvd-deprecate

make_isp 1
make_isp 2
make_isp6 1
make_isp6 2
make_lan
# A router: IPv6 forwarding on, so its uplinks take router advertisements only with accept_ra = 2.
sysctl_ns router net.ipv6.conf.all.forwarding=1
sysctl_ns router net.ipv6.conf.wan1.accept_ra=2
sysctl_ns router net.ipv6.conf.wan2.accept_ra=2
sysctl_ns lan net.ipv6.conf.eth0.dad_transmits=0
for n in 1 2; do allow_delegated6 "$n"; done

# carrier_back N — ispN's side of wanN comes up again (isp6_link_up), with its route to the delegated prefix.
carrier_back() {
  isp6_link_up "$1"
  route_delegated6 "$1" "2001:db8:$1:100::/60"
}

# The LAN port: the first /64 of each delegation, announced by radvd; the ULA is static on both ends.
ip -n "$(ns router)" addr add fd00:1::1/64 dev lan0 nodad
ip -n "$(ns router)" addr add 2001:db8:1:100::1/64 dev lan0 nodad
ip -n "$(ns router)" addr add 2001:db8:2:100::1/64 dev lan0 nodad
ip -n "$(ns lan)" addr add "$ULA/64" dev eth0 nodad
RADVD_CONF=$H_TMP/radvd.conf
RADVD_PID=$H_TMP/radvd.pid
cat >"$RADVD_CONF" <<'EOF'
interface lan0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	prefix 2001:db8:1:100::/64 {  # uplinkd: wan1
		AdvPreferredLifetime 600;
		AdvValidLifetime 1200;
	};
	prefix 2001:db8:2:100::/64 {  # uplinkd: wan2
		AdvPreferredLifetime 600;
		AdvValidLifetime 1200;
	};
};
EOF
chmod 644 "$RADVD_CONF"
track_pidfile "$RADVD_PID"
spawn "radvd(router)" "$H_TMP/radvd.log" in_ns router radvd --nodaemon --logmethod stderr \
  --config "$RADVD_CONF" --pidfile "$RADVD_PID"
RADVD=$H_SPAWNED_PID

# lan_address N — the LAN host's SLAAC address out of ispN's delegation (empty until it has one that has
# passed duplicate address detection: a tentative address cannot be bound, "Cannot assign requested address").
lan_address() {
  ip -n "$(ns lan)" -6 -o addr show dev eth0 scope global -tentative |
    awk -v p="2001:db8:$1:100:" '$4 ~ "^" p {sub("/.*", "", $4); print $4; exit}'
}
has_lan_address() { [ -n "$(lan_address "$1")" ]; }
# lan_deprecated N — true when that address is deprecated (its preferred lifetime is over).
lan_deprecated() { ip -n "$(ns lan)" -6 -o addr show dev eth0 | grep "2001:db8:$1:100:" | grep -q deprecated; }
lan_preferred() { has_lan_address "$1" && ! lan_deprecated "$1"; }
wait_for --deadline 15 --what "the LAN host's address out of isp1's delegation" has_lan_address 1
wait_for --deadline 15 --what "the LAN host's address out of isp2's delegation" has_lan_address 2

start_whoami6 "$PORT"
# sources_seen COUNT [SOURCE] — COUNT connections from the LAN host to 2001:db8:ffff::101 on (bound to SOURCE
# if given); prints the source the server saw for each ("-" when one failed).
sources_seen() { sources_seen6 "$1" 257 "$PORT" "${2:-}"; }

CONFIG=$H_TMP/uplinkd.toml
write_top() {
  write_config "$CONFIG" 'multipath_hash_policy = "l4"' \
    "on_change = [\"/bin/sh\", \"$HOOK\", \"--config\", \"$RADVD_CONF\", \"--pidfile\", \"$RADVD_PID\"]" "$@"
  add_uplink "$CONFIG" 1 2 "masquerade = true"
  add_uplink "$CONFIG" 2 1 "masquerade = true"
}
write_top
start_uplinkd router "$CONFIG"
start_dhcpcd router wan1
start_dhcpcd router wan2
wait_for --deadline 10 --what "the IPv4 group of wan1 (weight 2) and wan2" has_members router 1:2 2:1
wait_for --deadline 10 --what "wan1's IPv6 table" uplink6_ok router 1
wait_for --deadline 10 --what "wan2's IPv6 table" uplink6_ok router 2
both6="$((0x76000000 + 201)),$((0x76000000 + 202))"
only2="$((0x76000000 + 202))"
wait_for --deadline 10 --what "the IPv6 group of wan1 and wan2" group6_is router "$both6"

# The delegations, as dhclient -6's exit hook reports them, and the ISPs' routes for them.
for n in 1 2; do
  in_ns router env -i reason=BOUND6 interface="wan$n" new_ip6_prefix="2001:db8:$n:100::/60" new_max_life=3600 \
    new_preferred_life=1800 "$UPLINKCTL_BIN" -s "$H_TMP/uplinkd.sock" hook --client dhclient
  route_delegated6 "$n" "2001:db8:$n:100::/60"
done
delegated_ok() { ip -n "$(ns router)" -6 rule show priority 20100 | grep -q "from 2001:db8:$1:100::/60 lookup $((200 + $1))"; }
wait_for --deadline 5 --what "wan1's delegated prefix rule" delegated_ok 1
wait_for --deadline 5 --what "wan2's delegated prefix rule" delegated_ok 2
WAN1=$(slaac_address router wan1 1)
WAN2=$(slaac_address router wan2 2)
nft_has() { uplinkd_nft router | grep -qF "$1"; }
wait_for --deadline 5 --what "IPv6 masquerade in uplinkd's table" nft_has 'oifname "wan2" ip6 saddr != {'
log "uplinkd's nat chain: $(uplinkd_nft router | grep -F 'ip6 saddr' | tr -s '\t' ' ')"

log "NAT66: $CONNECTIONS connections from the ULA"
seen=$(sources_seen "$CONNECTIONS" "$ULA")
n1=$(count_of "$seen" "$WAN1") n2=$(count_of "$seen" "$WAN2")
log "seen from wan1's address $WAN1: $n1, from wan2's $WAN2: $n2"
assert_eq "$CONNECTIONS" "$((n1 + n2))" "every ULA connection arrives from one of the router's uplink addresses: $(sort <<<"$seen" | uniq -c | tr -s ' \n' ' ')"
# Weights 2:1: 40 and 20 expected; the bounds are 3.5 standard deviations of a binomial draw.
assert_between "$n1" 27 53 "wan1 (weight 2) carries about two thirds of the new connections"
assert_ge "$n2" 7 "wan2 (weight 1) carries its share"

log "hosts numbered from a delegated prefix are not translated"
lan1=$(lan_address 1) lan2=$(lan_address 2)
seen=$(sources_seen 10 "$lan1")
assert_eq 10 "$(count_of "$seen" "$lan1")" "isp1's delegated address arrives as it is (it left by isp1, its source rule)"
seen=$(sources_seen 10 "$lan2")
assert_eq 10 "$(count_of "$seen" "$lan2")" "isp2's delegated address arrives as it is"

log "NAT66: wan1 loses its carrier"
link_down isp1 rtr
wait_for --deadline 5 --what "wan1 out of the IPv6 group" group6_is router "$only2"
seen=$(sources_seen 20 "$ULA")
assert_eq 20 "$(count_of "$seen" "$WAN2")" "every new ULA connection arrives from wan2's address"

log "NAT66: the carrier returns"
carrier_back 1
wait_for --deadline 15 --what "wan1 back in the IPv6 group" group6_is router "$both6"
wait_for --deadline 15 --what "the LAN host's isp1 address preferred again" lan_preferred 1
WAN1=$(slaac_address router wan1 1)

log "NPTv6: nptv6 = \"fd00:1::/64\", by reload"
write_top 'nptv6 = "fd00:1::/64"'
uplinkctl_in router reload >/dev/null
wait_for --deadline 5 --what "the prefix translation in uplinkd's table" nft_has "snat ip6 prefix to 2001:db8:2:10f::/64"
seen=$(sources_seen "$CONNECTIONS" "$ULA")
n1=$(count_of "$seen" "2001:db8:1:10f::10") n2=$(count_of "$seen" "2001:db8:2:10f::10")
log "seen from 2001:db8:1:10f::10: $n1, from 2001:db8:2:10f::10: $n2"
assert_eq "$CONNECTIONS" "$((n1 + n2))" "the ULA maps into each ISP's delegation with its own host part: $(sort <<<"$seen" | uniq -c | tr -s ' \n' ' ')"
assert_ge "$n1" 20 "NPTv6 by isp1"
assert_ge "$n2" 7 "NPTv6 by isp2"

log "NPTv6 inbound: connections from outside to each ISP's translation of the ULA reach the LAN host"
for n in 1 2; do reset_isp6_counters "$n"; done
start_whoami6_on lan "$PORT_IN"
for n in 1 2; do
  first=$((0x300 + 0x20 * n))
  expected=$(for ((i = 0; i < INBOUND; i++)); do printf '2001:db8:ffff::%x\n' $((first + i)); done)
  seen=$(inbound_seen6 "$INBOUND" "$first" "2001:db8:$n:10f::10" "$PORT_IN")
  log "by isp$n to 2001:db8:$n:10f::10: $(tally_lines "$seen" | cut -c1-200)"
  assert_eq "$expected" "$seen" "every connection by isp$n reaches fd00:1::10 from its own source and is answered"
done
# A reply that followed the group (2:1) instead of its connection's uplink is dropped by the other ISP's
# BCP 38 filter. TCP draws a new flow hash for each retransmitted SYN-ACK, so the connections would mostly
# get through anyway, a second or three late: the drops tell.
assert_eq "0 0" "$(isp6_spoofed 1) $(isp6_spoofed 2)" "replies isp1 and isp2 dropped for a source not theirs"

log "a port of wan2's own addresses forwarded to the LAN host (the operator's dnat) is answered by isp2"
start_whoami6_on lan "$PORT_IN4" 0.0.0.0
WAN2_V4=$(uplink_address router wan2)
in_ns router nft -f - <<EOF || fail "the test's port forwards in the router"
table inet portforward {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan2" ip6 daddr $WAN2 tcp dport $PORT_FORWARDED dnat ip6 to [$ULA]:$PORT_IN
    iifname "wan2" ip daddr $WAN2_V4 tcp dport $PORT_FORWARDED dnat ip to $LAN_ADDR:$PORT_IN4
  }
}
EOF
reset_isp_counters 1
first=$((0x360))
expected=$(for ((i = 0; i < INBOUND; i++)); do printf '2001:db8:ffff::%x\n' $((first + i)); done)
seen=$(inbound_seen6 "$INBOUND" "$first" "$WAN2" "$PORT_FORWARDED")
assert_eq "$expected" "$seen" "every forwarded IPv6 connection reaches fd00:1::10 and is answered by isp2"
assert_eq 0 "$(isp6_spoofed 1)" "replies to the forwarded IPv6 port that left by isp1 (dropped there)"
seen=$(inbound_seen6 "$INBOUND" 0 "$WAN2_V4" "$PORT_FORWARDED")
assert_eq "$INBOUND" "$(count_of "$seen" 198.18.2.1)" "forwarded IPv4 connections from inet (198.18.2.1) answered: $(tally_lines "$seen")"
assert_eq 0 "$(isp_counter 1 spoofed)" "replies to the forwarded IPv4 port that left by isp1 (dropped there)"
in_ns router nft delete table inet portforward

log "without translation: the deprecation hook"
write_top
uplinkctl_in router reload >/dev/null
wait_for --deadline 5 --what "the prefix translation gone" _h_not nft_has "snat ip6 prefix"
_h_not nft_has "dnat ip6 prefix" || fail "the inbound translation outlived nptv6: $(uplinkd_nft router | grep dnat)"
lan1=$(lan_address 1) lan2=$(lan_address 2)
seen=$(sources_seen 10 "$lan1")
assert_eq 10 "$(count_of "$seen" "$lan1")" "the host's isp1 address leaves by isp1"
link_down isp1 rtr
wait_for --deadline 5 --what "wan1 out of the IPv6 group" group6_is router "$only2"
wait_for --deadline 5 --what "radvd-deprecate run for wan1" grep -q "AdvPreferredLifetime 0; # uplinkd: was 600" "$RADVD_CONF"
wait_for --deadline 10 --what "the LAN host's isp1 address deprecated" lan_deprecated 1
log "LAN host: $(ip -n "$(ns lan)" -6 -o addr show dev eth0 scope global | awk '{print $4, $NF}' | tr '\n' ' ')"
lan_preferred 2 || fail "the host's isp2 address was deprecated too"
seen=$(sources_seen 20)
assert_eq 20 "$(count_of "$seen" "$lan2")" "every new connection of the host comes from isp2's delegation: $(sort <<<"$seen" | uniq -c | tr -s ' \n' ' ')"
_h_alive "$RADVD" || fail "radvd died: $(tail -n 5 "$H_TMP/radvd.log")"

carrier_back 1
wait_for --deadline 15 --what "wan1 back in the IPv6 group" group6_is router "$both6"
wait_for --deadline 10 --what "radvd-deprecate restored wan1's prefix" _h_not grep -q "uplinkd: was" "$RADVD_CONF"
wait_for --deadline 10 --what "the LAN host's isp1 address preferred again" lan_preferred 1
pass
