#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DHCPv6 prefix delegation end to end. Two IPv6-only ISPs run kea-dhcp6 (addresses and /60 delegations) and
# announce their router by RA; the router asks isp1 with `dhclient -6 -P -N` and isp2 with dhcpcd (ia_na +
# ia_pd), both with uplinkd's hook, and forwards for a LAN host numbered from both delegated prefixes.
#  1. Each delegated prefix gets `from PREFIX lookup TABLE` to its ISP's table; status shows it.
#  2. The LAN host's connections from isp1's prefix leave by isp1, from isp2's by isp2 (counted at the ISPs,
#     which drop sources that are not theirs).
#  3. kill -9 of uplinkd with the DHCP clients frozen (no hook can tell it again), the rules deleted by hand:
#     the restarted uplinkd puts them back from its lease store.
#  4. Renumbering: both ISPs restart kea with another pool; at the clients' next renew or rebind, the old
#     prefix's rule is gone and the new one's in place within a second of the hook.
#  5. dhclient -r (RELEASE6) takes isp1's rule away; isp2's server goes silent and dhcpcd's EXPIRE6 takes
#     isp2's away.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/ipv6.sh"
source "$(dirname "$0")/lib/dhcpv6.sh"

TCP_PORT=8080

for n in 1 2; do
  make_isp "$n" --no-dhcp
  make_isp6 "$n"
  allow_delegated6 "$n"
done
# A router: it forwards, so the kernel takes RAs only with accept_ra 2.
sysctl_ns router net.ipv6.conf.all.forwarding=1 net.ipv6.conf.wan1.accept_ra=2 net.ipv6.conf.wan2.accept_ra=2
make_lan
ip -n "$(ns inet)" -6 route add local 2001:db8:ffff::/64 dev lo
start_tcp_sink inet "$TCP_PORT"
start_kea6 1
start_kea6 2

CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
add_uplink "$CONFIG" 2 1
start_uplinkd router "$CONFIG"
install_dhclient_hook router
start_dhclient6 router wan1
start_dhcpcd6 router wan2 "$(dhcpcd_hook_runner)"

# delegated N — wanN's delegated prefixes as uplinkd's status shows them (kea picks which /60 of its pool).
delegated() { status_json router | jq -r ".uplinks[$(($1 - 1))].ipv6.delegated | join(\" \")"; }
# delegated_from N GENERATION — true when wanN has one delegated prefix, a /60 of pd_pool N GENERATION.
delegated_from() { [[ $(delegated "$1") =~ ^2001:db8:$1:${2}[0-9a-f]0::/60$ ]]; }
rules_are() { [ "$(delegated_rules router)" == "$1" ]; }
declare -A PD=()
for n in 1 2; do
  wait_for --deadline 30 --what "a prefix from isp$n's pool delegated to wan$n" delegated_from "$n" 1
  PD[$n]=$(delegated "$n")
done
log "delegated: wan1 ${PD[1]}, wan2 ${PD[2]}"
both="${PD[1]} 201,${PD[2]} 202"
wait_for --deadline 1 --what "a rule for each delegated prefix" rules_are "$both"
json=$(status_json router)
for n in 1 2; do
  assert_eq active "$(jq -r ".uplinks[$((n - 1))].ipv6.state" <<<"$json")" "wan$n's IPv6 side is active"
done
assert_contains "$(uplinkctl_in router status)" "delegated ${PD[1]}" "the status text lists it"
assert_eq 0 "$(ip -n "$(ns router)" -6 route show table all proto "$UPLINKD_PROTO" | grep -c "/60 " || true)" \
  "no route of uplinkd's for a delegated prefix: it is not on the uplink's link"

# The LAN is numbered from the first /64 of each delegated prefix, and each ISP routes its delegation to the
# router.
declare -A LAN6=()
for n in 1 2; do
  LAN6[$n]=${PD[$n]%/60}10
  ip -n "$(ns router)" addr add "${PD[$n]%/60}1/64" dev lan0 nodad
  ip -n "$(ns lan)" addr add "${LAN6[$n]}/64" dev eth0 nodad
  route_delegated6 "$n" "${PD[$n]}"
done
ip -n "$(ns lan)" -6 route add default via "${PD[1]%/60}1"

# lan_connect6 SOURCE COUNT — COUNT connections from the LAN host bound to SOURCE, to as many addresses of
# the internet host; prints how many connected.
lan_connect6() {
  in_ns lan perl -MIO::Socket::IP -e '
    my ($source, $count, $port) = @ARGV; my $ok = 0;
    for my $i (1 .. $count) {
      my $peer = sprintf("2001:db8:ffff::%x", 0x200 + $i);
      $ok++ if IO::Socket::IP->new(LocalHost => $source, PeerHost => $peer, PeerPort => $port, Timeout => 5);
    }
    print "$ok\n";' "$1" "$2" "$TCP_PORT"
}

for n in 1 2; do
  reset_isp6_counters 1
  reset_isp6_counters 2
  assert_eq 10 "$(lan_connect6 "${LAN6[$n]}" 10)" "the LAN host's connections from isp$n's prefix connect"
  [ "$(isp6_counter "$n")" -ge 10 ] || fail "connections from isp$n's prefix did not leave by isp$n"
  assert_eq 0 "$(isp6_counter "$((3 - n))")" "no connection from isp$n's prefix leaves by isp$((3 - n))"
done

log "kill -9 with the DHCP clients frozen; the rules deleted while uplinkd is away"
freeze_dhcp_client router wan1
freeze_dhcp_client router wan2
kill9_uplinkd router
for n in 1 2; do
  ip -n "$(ns router)" -6 rule del priority 20100 from "${PD[$n]}" table "$((200 + n))"
done
assert_eq "" "$(delegated_rules router)" "the rules are gone before the restart"
start_uplinkd router "$CONFIG"
wait_for --deadline 5 --what "the rules back from the lease store" rules_are "$both"
assert_eq "${PD[2]}" "$(delegated 2)" "the restarted uplinkd knows wan2's delegation"
thaw_dhcp_client router wan1
thaw_dhcp_client router wan2

log "renumbering: both ISPs delegate from another pool"
start_kea6 1 2
start_kea6 2 2
declare -A NEW=()
for n in 1 2; do
  client=dhclient
  [ "$n" -eq 2 ] && client=dhcpcd
  wait_for --deadline 30 --what "$client's hook with a prefix of isp$n's new pool" \
    uplinkd_logged router "hook: $client " " on wan$n: " "delegated 2001:db8:$n:2"
  NEW[$n]=$(grep -F " on wan$n: " "$(uplinkd_log router)" | grep -o "delegated 2001:db8:$n:2[0-9a-f]0::/60" |
    head -n1 | awk '{print $NF}')
  wait_for --deadline 1 --what "wan$n's rule for its new prefix only, within a second of the hook" \
    eval '[[ ",$(delegated_rules router)," == *",${NEW[$n]} $((200 + n)),"* &&
             ",$(delegated_rules router)," != *",${PD[$n]} "* ]]'
done
wait_for --deadline 5 --what "the new prefixes' rules, and no other" rules_are "${NEW[1]} 201,${NEW[2]} 202"

log "dhclient releases isp1's lease"
release_dhclient6 router wan1
wait_for --deadline 5 --what "wan1's rule gone after RELEASE6" rules_are "${NEW[2]} 202"
assert_eq "" "$(delegated 1)" "wan1 has no delegation"

log "isp2's DHCPv6 server goes silent: dhcpcd's lease expires"
stop_kea6 2
wait_for --deadline $((KEA6_VALID + 10)) --what "wan2's rule gone after EXPIRE6" rules_are ""
uplinkd_logged router "dhcpcd EXPIRE6 on wan2" || fail "the rule went, but not by dhcpcd's EXPIRE6"
assert_eq active "$(status_json router | jq -r '.uplinks[1].ipv6.state')" \
  "wan2's IPv6 side stays active: its SLAAC address and router are the kernel's"
pass
