#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The health probes (IcmpProber, TcpProber, ArpProber via tools/probe_check) leave by the uplink they test and
# count only answers that come back by it: probes from wan1 are answered through isp1 and never touch isp2; a
# silent isp1 (upstream blackholed, carrier up) gets no answers although isp2 works and main's default route
# points to isp2; and replies that the internet host sends back by isp2 to wan1's address are not counted.
# ARP: each ISP's gateway answers on its own link; one that stops answering ARP (an nft arp filter, or ARP
# switched off on its interface) gets no answers, and its address answering on wan2 does not count for wan1.
# IPv6 (each ISP announces 2001:db8:N::/64 and router fe80::1 by RA; the router takes SLAAC addresses): the
# same for ICMPv6 echo and TCP from each uplink's global address, raw and ping sockets; NDP to fe80::1 is
# answered on each link by that link's router, not when the router drops its advertisements, sends them with
# a hop limit below 255, has its interface down or its link deleted, nor by the other link's router.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/ipv6.sh"

CHECK=${PROBE_CHECK:-$PWD/tools/probe_check}
[[ -x $CHECK ]] || fail "probe_check not found at $CHECK (set PROBE_CHECK)"

# No NAT in the ISPs: inet sees the router's own addresses, so the test can route inet's replies for wan1's
# address back through isp2 (the wrong uplink) at the end.
make_isp 1 --no-nat
make_isp 2 --no-nat
make_isp6 1
make_isp6 2
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
add_uplink "$CONFIG" 2 1
start_uplinkd router "$CONFIG"
# Waits for the per-uplink tables and `from ADDRESS lookup TABLE` rules that bound probes rely on, IPv4 and
# IPv6 (`from PREFIX`), and the SLAAC addresses probes leave from.
two_uplinks_up6
start_tcp_sink inet 80

# probe KIND IF ADDRESS ARGS... — run probe_check in the router; its output goes to stdout and the log.
probe() {
  local kind=$1
  shift
  in_ns router "$CHECK" "$kind" "$@" | tee -a "$H_TMP/probe_check.log"
}
answers() { sed -n 's/^answers \([0-9]*\) of .*/\1/p' <<<"$1"; }

log "both uplinks healthy: each answers through its own ISP"
for n in 1 2; do
  address=A$n
  reset_isp_counters 1
  reset_isp_counters 2
  out=$(probe icmp "wan$n" "${!address}" "$INET_ADDR" 5)
  assert_eq 5 "$(answers "$out")" "echo replies via wan$n"
  assert_contains "$out" "reply 5 from $INET_ADDR"
  assert_ge "$(isp_counter "$n" up)" 5
  assert_eq 0 "$(isp_counter $((3 - n)) up)" "probes from wan$n through isp$((3 - n))"
  out=$(probe tcp "wan$n" "${!address}" "$INET_ADDR" 80 3)
  assert_eq 3 "$(answers "$out")" "TCP connects via wan$n"
  assert_contains "$out" "connected $INET_ADDR:80"
done
# A refused connection is an answer: the target's RST came back over this uplink.
out=$(probe tcp wan1 "$A1" "$INET_ADDR" 81 2)
assert_eq 2 "$(answers "$out")" "refused connections count"
assert_contains "$out" "refused $INET_ADDR:81"
# Root in a fresh namespace is outside the default ping_group_range ("1 0"): the raw socket is used first.
assert_contains "$(probe icmp wan1 "$A1" "$INET_ADDR" 1)" "socket raw"

log "isp1 goes silent upstream (carrier stays up); main's default route points to isp2"
blackhole_upstream 1
in_ns router ip route replace default via "$(isp_gw 2)" dev wan2 metric 1
reset_isp_counters 1
reset_isp_counters 2
out=$(probe icmp wan1 "$A1" "$INET_ADDR" 5)
assert_eq 0 "$(answers "$out")" "echo replies via a silent wan1"
assert_contains "$out" "lost 5"
out=$(probe tcp wan1 "$A1" "$INET_ADDR" 80 2 500)
assert_eq 0 "$(answers "$out")" "TCP answers via a silent wan1"
assert_contains "$out" "timeout $INET_ADDR:80"
assert_ge "$(isp_counter 1 up)" 5  # the probes went to isp1 (and died there)...
assert_eq 0 "$(isp_counter 2 up)" "probes bound to wan1 that left by isp2"  # ...and never took isp2
out=$(probe icmp wan2 "$A2" "$INET_ADDR" 3)
assert_eq 3 "$(answers "$out")" "isp2 still answers"

log "isp1's upstream works again, but inet answers wan1's address through isp2 (the wrong uplink)"
restore_upstream 1
out=$(probe icmp wan1 "$A1" "$INET_ADDR" 2)
assert_eq 2 "$(answers "$out")" "echo replies via wan1 once isp1 is back"
in_ns inet ip route replace 100.64.1.0/24 via 198.18.2.2
in_ns isp2 ip route add 100.64.1.0/24 via "$A2" dev rtr
reset_isp_counters 1
reset_isp_counters 2
out=$(probe icmp wan1 "$A1" "$INET_ADDR" 5)
assert_eq 0 "$(answers "$out")" "replies that came back by wan2 counted for wan1"
out=$(probe tcp wan1 "$A1" "$INET_ADDR" 80 2 500)
assert_eq 0 "$(answers "$out")" "SYN-ACKs that came back by wan2 counted for wan1"
assert_ge "$(isp_counter 1 up)" 7      # requests left by isp1...
assert_ge "$(isp_counter 2 down)" 5    # ...and the answers really did come back by isp2 to the router
# Control: a ping bound to wan1's address only (not its device) takes the same wrong-way replies; the
# device binding is what keeps them from counting.
assert_ping router "$A1" "$INET_ADDR" 2

log "the same with an unprivileged ping socket (the kernel owns the identifier and matches replies)"
sysctl_ns router net.ipv4.ping_group_range="0 2147483647"
out=$(probe icmp wan1 "$A1" "$INET_ADDR" 5)
assert_contains "$out" "socket ping"
assert_eq 0 "$(answers "$out")" "wrong-way replies counted on a ping socket"
in_ns inet ip route replace 100.64.1.0/24 via 198.18.1.2
out=$(probe icmp wan1 "$A1" "$INET_ADDR" 5)
assert_eq 5 "$(answers "$out")" "echo replies on a ping socket"

log "ARP to the gateway: each ISP's gateway answers on its own link, from its own MAC"
G1=$(isp_gw 1) G2=$(isp_gw 2)
# link_mac ROLE IF — the interface's MAC.
link_mac() { ip -n "$(ns "$1")" -o link show dev "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
for n in 1 2; do
  address=A$n gateway=G$n
  out=$(probe arp "wan$n" "${!address}" "${!gateway}" 5 100)
  assert_eq 5 "$(answers "$out")" "ARP replies from isp$n's gateway on wan$n"
  assert_contains "$out" "mac $(link_mac router "wan$n")" "the requests' sender MAC"
  assert_contains "$out" "reply 5 from ${!gateway} rtt_us"
  assert_contains "$out" "mac $(link_mac "isp$n" rtr)" "the gateway's MAC in its replies"
done
out=$(probe arp wan1 "$A1" "$G2" 3 100 500)
assert_eq 0 "$(answers "$out")" "isp2's gateway is not on wan1's link"

log "isp1's gateway stops answering ARP (its replies dropped by an nft arp filter; link and IP unchanged)"
in_ns isp1 nft -f - <<'NFT'
table arp silent {
  chain output {
    type filter hook output priority 0; policy accept;
    arp operation reply drop
  }
}
NFT
out=$(probe arp wan1 "$A1" "$G1" 5 100 500)
assert_eq 0 "$(answers "$out")" "ARP replies from a silent isp1 gateway"
assert_contains "$out" "lost 5"
out=$(probe arp wan2 "$A2" "$G2" 3 100)
assert_eq 3 "$(answers "$out")" "isp2's gateway still answers"

log "isp1's gateway address answers on wan2's link: those replies do not count for wan1"
# isp2 takes G1 as well, and a prober on wan2 asks for it in wan1's name: isp2's replies are exactly what
# wan1's prober waits for (from G1, to A1), but they arrive on wan2. It runs for 5 s, around wan1's prober.
in_ns isp2 ip addr add "$G1/32" dev rtr
wrong_link=$H_TMP/arp-on-wan2.out
spawn "arp prober on wan2 for $G1" "$wrong_link" in_ns router "$CHECK" arp wan2 "$A1" "$G1" 50 100
wrong_prober=$H_SPAWNED_PID
replies_on_wan2() { grep -c '^reply ' "$wrong_link" || true; }
wait_for --deadline 5 --what "replies from $G1 on wan2" grep -q '^reply ' "$wrong_link"
before=$(replies_on_wan2)
out=$(probe arp wan1 "$A1" "$G1" 5 100 500)
after=$(replies_on_wan2)
_h_alive "$wrong_prober" || fail "the prober on wan2 ended before wan1's: the check proves nothing"
assert_ge $((after - before)) 5 "replies for wan1's question on wan2 while wan1's prober listened"
assert_eq 0 "$(answers "$out")" "replies from $G1 that arrived on wan2 counted for wan1"
stop_pid "$wrong_prober"
in_ns isp2 ip addr del "$G1/32" dev rtr

log "isp1's gateway answers ARP again; then its interface has ARP switched off (ip link set arp off)"
in_ns isp1 nft delete table arp silent
out=$(probe arp wan1 "$A1" "$G1" 3 100)
assert_eq 3 "$(answers "$out")" "ARP replies once isp1's filter is gone"
in_ns isp1 ip link set dev rtr arp off
out=$(probe arp wan1 "$A1" "$G1" 3 100 500)
assert_eq 0 "$(answers "$out")" "ARP replies from a gateway with ARP off"
in_ns isp1 ip link set dev rtr arp on
out=$(probe arp wan1 "$A1" "$G1" 3 100)
assert_eq 3 "$(answers "$out")" "ARP replies once isp1's ARP is back on"

# ---------------------------------------------------------------------------------------------------------
# IPv6. Each ISP counts the echo requests it forwards upstream and the echo replies it forwards to the router.
for n in 1 2; do
  in_ns "isp$n" nft -f - <<'NFT' || fail "echo6 counters in isp$n"
table ip6 probe6 {
  counter up { }
  counter down { }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "rtr" oifname "inet" icmpv6 type echo-request counter name "up"
    iifname "inet" oifname "rtr" icmpv6 type echo-reply counter name "down"
  }
}
NFT
done
# echo6_counter N up|down — ispN's echo requests forwarded upstream or replies forwarded to the router.
echo6_counter() { in_ns "isp$1" nft list counter ip6 probe6 "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
reset_echo6_counters() {
  local n
  for n in 1 2; do in_ns "isp$n" nft reset counters table ip6 probe6 >/dev/null || fail "reset echo6 counters"; done
}

log "IPv6: each uplink's global address answers ICMPv6 echo and TCP through its own ISP"
sysctl_ns router net.ipv4.ping_group_range="1 0"  # back to raw sockets (the sysctl governs ICMPv6 too)
for n in 1 2; do
  address=S$n
  reset_echo6_counters
  out=$(probe icmp "wan$n" "${!address}" "$INET6_ADDR" 5)
  assert_contains "$out" "socket raw"
  assert_eq 5 "$(answers "$out")" "ICMPv6 echo replies via wan$n"
  assert_contains "$out" "reply 5 from $INET6_ADDR"
  assert_ge "$(echo6_counter "$n" up)" 5
  assert_eq 0 "$(echo6_counter $((3 - n)) up)" "ICMPv6 probes from wan$n through isp$((3 - n))"
  out=$(probe tcp "wan$n" "${!address}" "$INET6_ADDR" 80 3)
  assert_eq 3 "$(answers "$out")" "TCP connects over IPv6 via wan$n"
  assert_contains "$out" "connected $INET6_ADDR:80"
  out=$(probe tcp "wan$n" "${!address}" "$INET6_ADDR" 81 2)
  assert_eq 2 "$(answers "$out")" "refused IPv6 connections count via wan$n"
  assert_contains "$out" "refused $INET6_ADDR:81"
done

log "IPv6: isp1 goes silent upstream (its IPv4 side is untouched)"
blackhole_upstream6 1
reset_echo6_counters
out=$(probe icmp wan1 "$S1" "$INET6_ADDR" 5)
assert_eq 0 "$(answers "$out")" "ICMPv6 echo replies via a silent wan1"
assert_contains "$out" "lost 5"
out=$(probe tcp wan1 "$S1" "$INET6_ADDR" 80 2 500)
assert_eq 0 "$(answers "$out")" "TCP answers over IPv6 via a silent wan1"
assert_contains "$out" "timeout $INET6_ADDR:80"
assert_ge "$(echo6_counter 1 up)" 5
assert_eq 0 "$(echo6_counter 2 up)" "IPv6 probes bound to wan1 that left by isp2"
out=$(probe icmp wan2 "$S2" "$INET6_ADDR" 3)
assert_eq 3 "$(answers "$out")" "isp2 still answers over IPv6"
out=$(probe icmp wan1 "$A1" "$INET_ADDR" 3)
assert_eq 3 "$(answers "$out")" "isp1 still answers over IPv4"
restore_upstream6 1

log "IPv6: inet answers wan1's address through isp2 (the wrong uplink), on a raw and on a ping socket"
out=$(probe icmp wan1 "$S1" "$INET6_ADDR" 2)
assert_eq 2 "$(answers "$out")" "ICMPv6 echo replies via wan1 once isp1 is back"
in_ns inet ip -6 route replace "$(isp6_prefix 1)/64" via 2001:db8:ff:2::2
in_ns isp2 ip -6 route add "$(isp6_prefix 1)/64" via "$S2" dev rtr
reset_echo6_counters
out=$(probe icmp wan1 "$S1" "$INET6_ADDR" 5)
assert_eq 0 "$(answers "$out")" "ICMPv6 replies that came back by wan2 counted for wan1"
out=$(probe tcp wan1 "$S1" "$INET6_ADDR" 80 2 500)
assert_eq 0 "$(answers "$out")" "IPv6 SYN-ACKs that came back by wan2 counted for wan1"
assert_ge "$(echo6_counter 1 up)" 5    # requests left by isp1...
assert_ge "$(echo6_counter 2 down)" 5  # ...and the replies really did come back by isp2 to the router
# Control: a ping bound to wan1's address only (not its device) takes the same wrong-way replies.
assert_ping router "$S1" "$INET6_ADDR" 2
sysctl_ns router net.ipv4.ping_group_range="0 2147483647"
out=$(probe icmp wan1 "$S1" "$INET6_ADDR" 5)
assert_contains "$out" "socket ping"
assert_eq 0 "$(answers "$out")" "wrong-way ICMPv6 replies counted on a ping socket"
in_ns inet ip -6 route replace "$(isp6_prefix 1)/64" via 2001:db8:ff:1::2
in_ns isp2 ip -6 route del "$(isp6_prefix 1)/64" via "$S2" dev rtr
out=$(probe icmp wan1 "$S1" "$INET6_ADDR" 5)
assert_eq 5 "$(answers "$out")" "ICMPv6 echo replies on a ping socket"

log "NDP to the router: each ISP's fe80::1 answers on its own link, from its own MAC"
for n in 1 2; do
  address=S$n
  out=$(probe ndp "wan$n" "${!address}" fe80::1 5 100)
  assert_eq 5 "$(answers "$out")" "NDP answers from isp$n's router on wan$n"
  assert_contains "$out" "mac $(link_mac router "wan$n")" "the solicitations' MAC"
  assert_contains "$out" "reply 5 from fe80::1 rtt_us"
  assert_contains "$out" "mac $(link_mac "isp$n" rtr)" "the router's MAC in its advertisements"
done
# isp2's own (EUI-64) link-local address is on wan2's link only.
isp2_ll=$(ip -n "$(ns isp2)" -6 -o addr show dev rtr scope link | awk '$4 !~ /^fe80::1\// {sub("/.*", "", $4); print $4; exit}')
[ -n "$isp2_ll" ] || fail "isp2's rtr has no link-local address of its own"
out=$(probe ndp wan1 "$S1" "$isp2_ll" 3 100 500)
assert_eq 0 "$(answers "$out")" "isp2's router is not on wan1's link"

log "isp1's router stops answering neighbour solicitations (its advertisements dropped; link and addresses unchanged)"
in_ns isp1 nft -f - <<'NFT'
table ip6 silent6 {
  chain output {
    type filter hook output priority 0; policy accept;
    icmpv6 type nd-neighbor-advert drop
  }
}
NFT
out=$(probe ndp wan1 "$S1" fe80::1 5 100 500)
assert_eq 0 "$(answers "$out")" "NDP answers from a silent isp1 router"
assert_contains "$out" "lost 5"
out=$(probe ndp wan2 "$S2" fe80::1 3 100)
assert_eq 3 "$(answers "$out")" "isp2's router still answers"

log "fe80::1 answers on wan2's link while isp1's is silent: those answers do not count for wan1"
# isp2's advertisements for fe80::1 are exactly what wan1's prober waits for (solicited, for and from
# fe80::1, hop limit 255), but they arrive on wan2. A prober on wan2 runs for 5 s, around wan1's.
wrong_link6=$H_TMP/ndp-on-wan2.out
spawn "ndp prober on wan2 for fe80::1" "$wrong_link6" in_ns router "$CHECK" ndp wan2 "$S2" fe80::1 50 100
wrong_prober6=$H_SPAWNED_PID
replies6_on_wan2() { grep -c '^reply ' "$wrong_link6" || true; }
wait_for --deadline 5 --what "NDP answers on wan2" grep -q '^reply ' "$wrong_link6"
before=$(replies6_on_wan2)
out=$(probe ndp wan1 "$S1" fe80::1 5 100 500)
after=$(replies6_on_wan2)
_h_alive "$wrong_prober6" || fail "the NDP prober on wan2 ended before wan1's: the check proves nothing"
assert_ge $((after - before)) 5 "answers for fe80::1 on wan2 while wan1's prober listened"
assert_eq 0 "$(answers "$out")" "answers from fe80::1 that arrived on wan2 counted for wan1"
stop_pid "$wrong_prober6"

log "isp1's router answers again, then with hop limit 254 (as if forwarded: RFC 4861 says drop it)"
in_ns isp1 nft delete table ip6 silent6
out=$(probe ndp wan1 "$S1" fe80::1 3 100)
assert_eq 3 "$(answers "$out")" "NDP answers once isp1's filter is gone"
in_ns isp1 nft -f - <<'NFT'
table ip6 hoplimit6 {
  chain output {
    type filter hook output priority 0; policy accept;
    icmpv6 type nd-neighbor-advert ip6 hoplimit set 254
  }
}
NFT
out=$(probe ndp wan1 "$S1" fe80::1 3 100 500)
assert_eq 0 "$(answers "$out")" "advertisements with hop limit 254 counted"
in_ns isp1 nft delete table ip6 hoplimit6
out=$(probe ndp wan1 "$S1" fe80::1 3 100)
assert_eq 3 "$(answers "$out")" "NDP answers with hop limit 255 again"

log "isp1's router interface goes down, then up"
# Its global address stays while it is down (its RAs announce that prefix); link-local addresses never stay
# (keep_addr_on_down spares only the others), so fe80::1 is configured again once it is up, as a router's
# own configuration would.
sysctl_ns isp1 net.ipv6.conf.rtr.keep_addr_on_down=1
in_ns isp1 ip link set dev rtr down
out=$(probe ndp wan1 "$S1" fe80::1 3 100 500)
assert_eq 0 "$(answers "$out")" "NDP answers from a router whose interface is down"
in_ns isp1 ip link set dev rtr up
ip -n "$(ns isp1)" addr replace fe80::1/64 dev rtr nodad
# wan1's link-local address goes through duplicate address detection again when the carrier returns; until
# then the kernel has no source for a solicitation.
ndp_answers_on_wan1() { [ "$(answers "$(probe ndp wan1 "$S1" fe80::1 1 100 300)")" -eq 1 ]; }
wait_for --deadline 10 --what "NDP answers on wan1 once isp1's interface is up" ndp_answers_on_wan1
out=$(probe ndp wan1 "$S1" fe80::1 3 100)
assert_eq 3 "$(answers "$out")" "NDP answers once isp1's interface is up"

log "a prober that cannot be made says why"
if out=$(in_ns router "$CHECK" icmp nosuchif0 "$A1" "$INET_ADDR" 1 2>&1); then fail "probe from a missing device ran"; fi
assert_contains "$out" "bind to device"
if out=$(in_ns router "$CHECK" arp nosuchif0 "$A1" "$G1" 1 2>&1); then fail "ARP probe from a missing device ran"; fi
assert_contains "$out" "find interface"
if out=$(in_ns router "$CHECK" arp lo "$A1" "$G1" 1 2>&1); then fail "ARP probe on loopback ran"; fi
assert_contains "$out" "not an Ethernet link"
# IPv6: probes never come from a link-local source; NDP needs IPv6 and a MAC; a target of the other family
# is an error of the probe, not of the prober.
wan1_ll=$(ip -n "$(ns router)" -6 -o addr show dev wan1 scope link | awk '{sub("/.*", "", $4); print $4; exit}')
if out=$(in_ns router "$CHECK" icmp wan1 "$wan1_ll" "$INET6_ADDR" 1 2>&1); then fail "probe from a link-local source ran"; fi
assert_contains "$out" "not a source for probes"
if out=$(in_ns router "$CHECK" tcp wan1 "$wan1_ll" "$INET6_ADDR" 80 1 2>&1); then :; fi
assert_contains "$out" "not a source for probes"
assert_eq 0 "$(answers "$out")" "TCP from a link-local source"
if out=$(in_ns router "$CHECK" ndp wan1 "$A1" fe80::1 1 2>&1); then fail "NDP probe from an IPv4 source ran"; fi
assert_contains "$out" "neighbour discovery is IPv6 only"
if out=$(in_ns router "$CHECK" ndp lo "$S1" fe80::1 1 2>&1); then fail "NDP probe on loopback ran"; fi
assert_contains "$out" "not an Ethernet link"
in_ns router ip tuntap add dev tun0 mode tun
in_ns router ip link set dev tun0 up
if out=$(in_ns router "$CHECK" ndp tun0 "$S1" fe80::1 1 2>&1); then fail "NDP probe on a tun link ran"; fi
assert_contains "$out" "not an Ethernet link (hardware type 65534), it has no MAC for neighbour discovery"
out=$(probe icmp wan1 "$S1" "$INET_ADDR" 1)
assert_contains "$out" "error icmp probe on wan1 $S1: to $INET_ADDR (the socket is inet6)"
out=$(probe tcp wan1 "$S1" "$INET_ADDR" 80 1)
assert_contains "$out" "(the source is inet6): Address family not supported"

log "isp1's router link is deleted under a running NDP prober (wan1, its other end, goes with it)"
gone=$H_TMP/ndp-link-gone.out
spawn "ndp prober on wan1 for fe80::1" "$gone" in_ns router "$CHECK" ndp wan1 "$S1" fe80::1 100 100
gone_prober=$H_SPAWNED_PID
wait_for --deadline 5 --what "NDP answers on wan1" grep -q '^reply ' "$gone"
in_ns isp1 ip link del dev rtr
wait_for --deadline 5 --what "wan1 gone" eval '! ip -n "$(ns router)" link show dev wan1 >/dev/null 2>&1'
replies_before=$(grep -c '^reply ' "$gone" || true)
errors_now() { grep -c '^error .*send to fe80::1' "$gone" || true; }
errors_before=$(errors_now)
enough_errors() { [ "$(errors_now)" -ge $((errors_before + 5)) ]; }
wait_for --deadline 5 --what "five more failed sends after wan1 was deleted" enough_errors
assert_eq "$replies_before" "$(grep -c '^reply ' "$gone" || true)" "NDP answers after the link was deleted"
_h_alive "$gone_prober" || fail "the NDP prober ended when its link was deleted"
stop_pid "$gone_prober"
log "the prober said: $(grep '^error' "$gone" | tail -n1)"

pass
