#!/usr/bin/env bash
# The health probes (IcmpProber, TcpProber, ArpProber via tools/probe_check) leave by the uplink they test and
# count only answers that come back by it: probes from wan1 are answered through isp1 and never touch isp2; a
# silent isp1 (upstream blackholed, carrier up) gets no answers although isp2 works and main's default route
# points to isp2; and replies that the internet host sends back by isp2 to wan1's address are not counted.
# ARP: each ISP's gateway answers on its own link; one that stops answering ARP (an nft arp filter, or ARP
# switched off on its interface) gets no answers, and its address answering on wan2 does not count for wan1.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

CHECK=${PROBE_CHECK:-$PWD/tools/probe_check}
[[ -x $CHECK ]] || fail "probe_check not found at $CHECK (set PROBE_CHECK)"

# No NAT in the ISPs: inet sees the router's own addresses, so the test can route inet's replies for wan1's
# address back through isp2 (the wrong uplink) at the end.
make_isp 1 --no-nat
make_isp 2 --no-nat
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
add_uplink "$CONFIG" 2 1
start_uplinkd router "$CONFIG"
# Waits for the per-uplink tables and `from ADDRESS lookup TABLE` rules that bound probes rely on.
two_uplinks_up
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

log "a prober that cannot be made says why"
if out=$(in_ns router "$CHECK" icmp nosuchif0 "$A1" "$INET_ADDR" 1 2>&1); then fail "probe from a missing device ran"; fi
assert_contains "$out" "bind to device"
if out=$(in_ns router "$CHECK" arp nosuchif0 "$A1" "$G1" 1 2>&1); then fail "ARP probe from a missing device ran"; fi
assert_contains "$out" "find interface"
if out=$(in_ns router "$CHECK" arp lo "$A1" "$G1" 1 2>&1); then fail "ARP probe on loopback ran"; fi
assert_contains "$out" "not an Ethernet link"

pass
