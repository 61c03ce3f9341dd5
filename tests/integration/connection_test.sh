#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `mode = "connection"` on a NAT router with two masquerading DHCP uplinks (wan1 weight 1, wan2 weight 3, an
# ICMP health target each). The router's conntrack is the judge of which uplink a connection uses: the address
# it was NATed to, its ct mark (0x75000000 + the uplink's table) and its entry id; the ISPs' counters of new
# TCP connections must agree with it.
#  a. 200 short TCP connections from the LAN host split 1:3 by weight (±5 % of all). 20 more whose first SYN is
#     lost: the retransmitted SYN keeps the uplink (and so the NAT address) of the first. Throughout the test,
#     no packet leaves by an uplink whose address it does not carry (counted in the ISPs).
#  b. 10 long-lived connections (an echo server in inet) over both uplinks. A weight change, a drain and an
#     undrain (of wan2, which carries most of them), wan1's failure (its upstream goes silent) and its recovery
#     move none of wan2's: after each step each one echoes and keeps its NAT address, ct mark and entry id;
#     the new connections made after each step follow the new weights (all to wan1 while wan2 is drained).
#  c. wan1's failure: exactly its connections' entries are deleted, they are reset when they next send, new
#     connections from the LAN host (long and short) all go by wan2, and stay there after wan1 returns.
#  d. sticky_timeout (after a reload, which moves nothing either): 20 connections from each of 4 LAN addresses
#     all leave by one uplink per address; after a weight change each address keeps its uplink; with wan1
#     drained, the addresses stuck to wan1 move to wan2, and only those.
#  e. port forwards (a DNAT of the test's own in the router): connections from the internet to either uplink's
#     address keep the uplink they arrived by as their ct mark, so their replies leave by it, also by the drained
#     wan1 while wan2 takes every new outgoing connection.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/echo.sh"
source "$(dirname "$0")/lib/connection.sh"

require_tools conntrack perl

ECHO_PORT=8080 # the long-lived connections
# Short connections: one sink port per batch, so that a batch's conntrack entries (closed connections stay
# listed for 120 s in TIME_WAIT) are told apart from the previous batches'.
PORT_SPLIT=81 PORT_RETRANSMIT=88 PORT_WEIGHT=82 PORT_DRAIN=83 PORT_UNDRAIN=84 PORT_FAILED=85 PORT_RECOVERED=86
PORT_STICKY=87 PORT_STICKY_WEIGHT=89 PORT_STICKY_DRAIN=90
SPLIT=200      # part a
RETRANSMIT=20  # part a: connections whose first SYN is lost
HELD=10        # part b
STICKY_SOURCES=(192.168.77.21 192.168.77.22 192.168.77.23 192.168.77.24)
STICKY_EACH=20 # new connections per source address, in each round of part d

make_isp 1
make_isp 2
make_lan
add_spoof_counter 1
add_spoof_counter 2
for address in "${STICKY_SOURCES[@]}"; do ip -n "$(ns lan)" addr add "$address/24" dev eth0; done

CONFIG=$H_TMP/uplinkd.toml
# configure [TOP-LEVEL LINES...] — connection mode, wan1 weight 1 and wan2 weight 3, masquerade, the internet
# host as each uplink's health target. hold_down = 0: wan1 fails and recovers once, and must be back after
# up_after rounds, not after a flap hold.
configure() {
  local n weight
  write_config "$CONFIG" 'mode = "connection"' "$@"
  for n in 1 2; do
    weight=1
    [ "$n" -eq 2 ] && weight=3
    add_uplink "$CONFIG" "$n" "$weight" "masquerade = true" "[uplink.health]" "targets = [\"$INET_ADDR\"]" \
      "hold_down = 0"
  done
}
configure
start_uplinkd router "$CONFIG"
start_dhcpcd router wan1
start_dhcpcd router wan2
wait_for_address router wan1 100.64.1.
wait_for_address router wan2 100.64.2.
wait_for --deadline 10 --what "wan1's table and rule" uplink_table_ok router 1
wait_for --deadline 10 --what "wan2's table and rule" uplink_table_ok router 2
wait_for --deadline 15 --what "both uplinks active" states_are router "wan1=active wan2=active"
# An uplink is active while its probes still have to give their first verdict ("probing"); the split below
# checks that they still say "up" afterwards, so they must have said it before.
wait_for --deadline 15 --what "both uplinks' health up" healths_are router "wan1=up wan2=up"
A1=$(uplink_address router wan1) A2=$(uplink_address router wan2)
M1=$(uplink_mark 201) M2=$(uplink_mark 202)
log "wan1 $A1 (mark $M1), wan2 $A2 (mark $M2); uplinkd's table: $(uplinkd_nft router | tr -s '\t\n' '  ')"

start_tcp_closer inet $PORT_SPLIT $PORT_RETRANSMIT $PORT_WEIGHT $PORT_DRAIN $PORT_UNDRAIN $PORT_FAILED $PORT_RECOVERED \
  $PORT_STICKY $PORT_STICKY_WEIGHT $PORT_STICKY_DRAIN
start_echo_server inet $ECHO_PORT

# new_connections PORT COUNT [SRC|retransmitted] — COUNT short connections from the LAN host (from SRC, default
# its own address) to the closer on PORT. Sets NEW1 and NEW2: how many the router's conntrack NATed to wan1 and
# wan2. Every one must be established, each entry's ct mark must be its uplink's, and isp1's and isp2's counts
# of new TCP connections must be NEW1 and NEW2. "retransmitted": all at once from the LAN host's address, to a
# port whose first SYNs are dropped (drop_first_syns): each ISP must have forwarded two SYNs per connection
# (the ISPs count a retransmitted SYN as new too: no reply has been seen).
new_connections() {
  local port=$1 count=$2 src=${3:-$LAN_ADDR} connected split wrong syns=1 counter=tcpflows
  reset_isp_counters 1
  reset_isp_counters 2
  if [ "$src" == retransmitted ]; then
    src=$LAN_ADDR syns=2 counter=syn
    connected=$(tcp_flows lan "$INET_ADDR" "$port" "$count")
  else
    connected=$(short_connections lan "$src" "$INET_ADDR" "$port" "$count")
  fi
  assert_eq "$count" "$connected" "connections established from $src to port $port"
  assert_eq "0 0" "$(spoofed 1) $(spoofed 2)" \
    "packets sent through isp1 and isp2 with the other uplink's address (so far; now to port $port)"
  split=$(conntrack_split router "$src" "$port")
  NEW1=$(split_count "$split" "$A1") NEW2=$(split_count "$split" "$A2")
  assert_eq "$count" $((NEW1 + NEW2)) "connections from $src NATed to wan1 or wan2 (conntrack: $(tr '\n' ',' <<<"$split"))"
  wrong=$(awk -v a1="$A1" -v m1="$M1" -v a2="$A2" -v m2="$M2" \
    '!(($1 == a1 && $2 == m1) || ($1 == a2 && $2 == m2))' <<<"$split")
  assert_eq "" "$wrong" "\"ADDRESS MARK COUNT\" of entries whose ct mark is not their uplink's ($A1 $M1, $A2 $M2)"
  assert_eq "$((syns * NEW1)) $((syns * NEW2))" "$(isp_counter 1 $counter) $(isp_counter 2 $counter)" \
    "$counter counted by isp1 and isp2 ($syns per connection; conntrack says $NEW1 and $NEW2 connections)"
}

# assert_share N1 TOTAL W1 W2 WHAT — wan1's N1 of TOTAL connections is its weight's share W1/(W1+W2) of them,
# give or take 5 % of TOTAL.
assert_share() {
  local n1=$1 total=$2 w1=$3 w2=$4 expected
  expected=$((total * w1 / (w1 + w2)))
  assert_between "$n1" $((expected - total * 5 / 100)) $((expected + total * 5 / 100)) \
    "$5: connections by wan1 of $total (weights $w1:$w2)"
}

# ---------------------------------------------------------------------------------------------------------
log "a. $SPLIT short connections, weights 1:3"
new_connections $PORT_SPLIT $SPLIT
log "a. split of $SPLIT new connections: wan1 $NEW1 ($((NEW1 * 100 / SPLIT)) %), wan2 $NEW2 ($((NEW2 * 100 / SPLIT)) %); expected 25 % / 75 %"
assert_share "$NEW1" $SPLIT 1 3 "a"
# The router's own probes must not be balanced away from the uplink they test.
assert_eq "wan1=up wan2=up" "$(health_states router)" "health after the split"

log "a. $RETRANSMIT connections whose first SYN the internet host drops"
# Each is made by its retransmitted SYN, which must keep the uplink the first one was given: its source was
# NATed to that uplink's address with the first SYN, and any other uplink's ISP would drop it.
drop_first_syns inet $PORT_RETRANSMIT
new_connections $PORT_RETRANSMIT $RETRANSMIT retransmitted
log "a. $RETRANSMIT connections by a retransmitted SYN: wan1 $NEW1, wan2 $NEW2; SYNs through isp1 $(isp_counter 1 syn), isp2 $(isp_counter 2 syn); first SYNs dropped $(first_syns inet)"
assert_eq $RETRANSMIT "$(first_syns inet)" "first SYNs dropped by the internet host"

# ---------------------------------------------------------------------------------------------------------
log "b. $HELD long-lived connections"
# From before the connections exist: the kernel (nf_conntrack_events = 2, the default) gives only entries
# created while someone listens the means to report their end.
start_conntrack_destroy_log router failure
start_echo_holder lan held $HELD "$INET_ADDR" $ECHO_PORT
HELD0=$(held_ct router held)
HELD0_ON1=$(held_on "$HELD0" "$A1") HELD0_ON2=$(held_on "$HELD0" "$A2")
ON1=$(line_count "$HELD0_ON1") ON2=$(line_count "$HELD0_ON2")
log "b. held connections (port address mark id): $(tr '\n' ',' <<<"$HELD0")"
log "b. held connections: wan1 $ON1, wan2 $ON2"
assert_eq $HELD $((ON1 + ON2)) "held connections NATed to wan1 or wan2"
assert_ge "$ON1" 1 "held connections on wan1"
assert_ge "$ON2" 1 "held connections on wan2"
assert_eq "" "$(awk -v a1="$A1" -v m1="$M1" -v a2="$A2" -v m2="$M2" '!(($2 == a1 && $3 == m1) || ($2 == a2 && $3 == m2))' <<<"$HELD0")" \
  "held connections whose ct mark is not their uplink's"
assert_eq $HELD "$(echo_all held)" "held connections echoing"

# held_unchanged WHEN — every held connection echoes and has the same conntrack entry (address, mark, id).
held_unchanged() {
  assert_eq "$HELD0" "$(held_ct router held)" "held connections (port address mark id) $1"
  assert_eq $HELD "$(echo_all held)" "held connections echoing $1"
  log "b. $1: all $HELD held connections echo, none moved"
}

# operator ANSWER ARGS... — uplinkctl ARGS in the router must answer ANSWER; then waits until uplinkd's table
# has changed (the new choice for new connections is in place).
operator() {
  local answer=$1 before
  shift
  before=$(uplinkd_nft router)
  assert_eq "$answer" "$(uplinkctl_in router "$@")" "uplinkctl $*"
  wait_for --deadline 5 --what "uplinkd's table to change after uplinkctl $*" nft_changed router "$before"
}

log "b. weight wan1 3"
operator "wan1 weight 3 (was 1)" weight wan1 3
held_unchanged "after the weight change to 3:3"
new_connections $PORT_WEIGHT 100
log "b. after the weight change: 100 new connections: wan1 $NEW1, wan2 $NEW2"
assert_share "$NEW1" 100 3 3 "after the weight change"

log "b. drain wan2 (it carries $ON2 of the held connections)"
operator "drained wan2" drain wan2
assert_eq "wan1=active wan2=drained" "$(uplink_states router)" "states after the drain"
held_unchanged "after the drain of wan2"
new_connections $PORT_DRAIN 20
log "b. wan2 drained: 20 new connections: wan1 $NEW1, wan2 $NEW2"
assert_eq "20 0" "$NEW1 $NEW2" "new connections by wan1 and by the drained wan2"

log "b. undrain wan2"
operator "undrained wan2" undrain wan2
assert_eq "wan1=active wan2=active" "$(uplink_states router)" "states after the undrain"
held_unchanged "after the undrain of wan2"
new_connections $PORT_UNDRAIN 20
log "b. wan2 undrained: 20 new connections: wan1 $NEW1, wan2 $NEW2"
assert_share "$NEW1" 20 3 3 "after the undrain"

# ---------------------------------------------------------------------------------------------------------
log "b/c. wan1's upstream goes silent (it carries $ON1 of the held connections)"
blackhole_upstream 1
t0=$(_h_now_usec)
wait_health router wan1 down 10
wait_for --deadline 5 --what "wan1 down, wan2 active" states_are router "wan1=down wan2=active"
log "c. wan1 down after $((($(_h_now_usec) - t0) / 1000)) ms"
# Deleted when wan1 went down: no entry NATed to wan1's address is left (the short connections' closed ones
# included), and the deleted ones were deleted by uplinkd, not timed out.
none_nated_to() { [ -z "$(entries_nated_to "$(conntrack_entries router)" "$1")" ]; }
wait_for --deadline 5 --what "no conntrack entry NATed to wan1 ($A1)" none_nated_to "$A1"
wait_for --deadline 5 --what "DESTROY events (by a request) of the held connections NATed to wan1" \
  held_destroyed failure "$ECHO_PORT" "$A1" "$HELD0_ON1"
gone=$(destroyed_entries failure)
log "c. conntrack entries destroyed: $(line_count "$gone") ($(grep -c "by=userspace" <<<"$gone" || true) by a request)"
assert_eq "" "$(entries_nated_to "$gone" "$A2" | grep "by=userspace$")" "entries NATed to wan2 deleted by a request"
now=$(held_ct router held)
assert_eq "$HELD0_ON2" "$(held_on "$now" "$A2")" "wan2's held connections (port address mark id) after wan1's failure"
assert_eq "$(awk '{ print $1, "- - -" }' <<<"$HELD0_ON1")" "$(awk '$2 == "-"' <<<"$now")" \
  "wan1's held connections, without conntrack entries after wan1's failure"
# wan1's connections' next packets make new entries, NATed by wan2: the internet host, which never saw that
# address, resets them; wan2's echo.
assert_eq "$ON2" "$(echo_all held)" "held connections echoing after wan1's failure (wan2's)"
log "b. after wan1's failure: wan2's $ON2 held connections echo with the same entries, wan1's $ON1 were reset"
lan_established() { [ "$(in_ns lan ss -Htn state established "( dport = :$ECHO_PORT )" | wc -l)" -eq "$1" ]; }
wait_for --deadline 5 --what "wan1's held connections reset ($ON2 left established)" lan_established "$ON2"
start_echo_holder lan again "$ON1" "$INET_ADDR" $ECHO_PORT
AGAIN0=$(held_ct router again)
assert_eq "$ON1" "$(line_count "$(held_on "$AGAIN0" "$A2")")" \
  "the $ON1 connections made again after wan1's failure, NATed to wan2 ($(tr '\n' ',' <<<"$AGAIN0"))"
new_connections $PORT_FAILED 20
log "c. wan1 down: 20 new connections: wan1 $NEW1, wan2 $NEW2"
assert_eq "0 20" "$NEW1 $NEW2" "new connections by the failed wan1 and by wan2"

log "b/c. wan1's upstream answers again"
restore_upstream 1
wait_health router wan1 up 15
wait_for --deadline 5 --what "both active" states_are router "wan1=active wan2=active"
now=$(held_ct router held)
assert_eq "$HELD0_ON2" "$(held_on "$now" "$A2")" "wan2's held connections (port address mark id) after wan1's recovery"
assert_eq "$ON2" "$(echo_all held)" "wan2's held connections echoing after wan1's recovery"
assert_eq "$AGAIN0" "$(held_ct router again)" "the connections made again (port address mark id) after wan1's recovery"
assert_eq "$ON1" "$(echo_all again)" "the connections made again, echoing after wan1's recovery"
log "b/c. after wan1's recovery: wan2's $ON2 held and the $ON1 made again still on wan2, with the same entries, echoing"
new_connections $PORT_RECOVERED 100
log "c. wan1 back: 100 new connections: wan1 $NEW1, wan2 $NEW2"
assert_share "$NEW1" 100 3 3 "after wan1's recovery"
# Back to the file's weights, so that a reload has nothing to change: then it must change nothing.
operator "wan1 weight 1 (was 3)" weight wan1 1
assert_eq "$HELD0_ON2" "$(held_on "$(held_ct router held)" "$A2")" "wan2's held connections after the weight change back to 1:3"
assert_converged router

# ---------------------------------------------------------------------------------------------------------
log "d. sticky_timeout = 600, by a reload (the file's weights: 1:3)"
configure "sticky_timeout = 600"
before=$(uplinkd_nft router)
assert_ok uplinkctl_in router reload
wait_for --deadline 5 --what "uplinkd's table to change after the reload with sticky_timeout" nft_changed router "$before"
assert_eq "$HELD0_ON2" "$(held_on "$(held_ct router held)" "$A2")" "wan2's held connections after the reload"
assert_eq "$AGAIN0" "$(held_ct router again)" "the connections made again, after the reload"
# sticky_round PORT WHEN — STICKY_EACH new connections from each sticky source address to PORT; each address's
# must all leave by one uplink, which is put in STUCK[ADDRESS] (wan1 or wan2).
declare -A STUCK=()
sticky_round() {
  local port=$1 address summary=""
  for address in "${STICKY_SOURCES[@]}"; do
    new_connections "$port" $STICKY_EACH "$address"
    summary+=" $address: wan1 $NEW1 wan2 $NEW2;"
    [ "$NEW1" -eq 0 ] || [ "$NEW2" -eq 0 ] ||
      fail "sticky $2: the $STICKY_EACH connections from $address used both uplinks (wan1 $NEW1, wan2 $NEW2)"
    STUCK[$address]=wan1
    [ "$NEW2" -eq 0 ] || STUCK[$address]=wan2
  done
  log "d. sticky $2, $STICKY_EACH new connections from each address:$summary"
}
stuck() { local a; for a in "${STICKY_SOURCES[@]}"; do echo -n "$a=${STUCK[$a]} "; done; }

sticky_round $PORT_STICKY "after the reload"
STUCK0=$(stuck)
# A sticky source stays on its uplink while that uplink is usable, whatever happens to the weights: that is
# what sticky_timeout is for (one public address per client for its sessions).
operator "wan2 weight 2 (was 3)" weight wan2 2
sticky_round $PORT_STICKY_WEIGHT "after wan2's weight change to 2"
assert_eq "$STUCK0" "$(stuck)" "sticky sources' uplinks after a weight change (before: $STUCK0)"
# Draining wan1 moves the sources stuck to it, and only those.
operator "drained wan1" drain wan1
sticky_round $PORT_STICKY_DRAIN "with wan1 drained"
assert_eq "${STUCK0//wan1/wan2}" "$(stuck)" "sticky sources' uplinks with wan1 drained (before: $STUCK0)"

# e. Port forwards: a connection from the internet to either uplink's address, forwarded to the LAN host, is
# kept on the uplink it arrived by (its ct mark), so its replies leave by that ISP: here while wan1 is drained
# and wan2 takes every new outgoing connection. A reply sent by the other ISP would carry an address that is
# not its own, and the ISPs drop those (BCP 38), so the connection would not even be established.
FWD_PORT=2222
start_echo_server lan $FWD_PORT
in_ns router nft -f - <<EOF
table ip uplinkd_test_forward {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname { "wan1", "wan2" } tcp dport $FWD_PORT dnat to $LAN_ADDR
  }
}
EOF
for n in 1 2; do
  address=A$n mark=M$n
  connected=$(short_connections inet - "${!address}" $FWD_PORT 10)
  marks=$(in_ns router conntrack -L -p tcp -d "${!address}" --orig-port-dst $FWD_PORT 2>/dev/null |
    grep -o 'mark=[0-9]*' | sort | uniq -c | awk '{ printf "%s×%d ", $2, $1 }')
  log "e. 10 connections from the internet to wan$n's address, forwarded to the LAN host: $connected established; ct $marks"
  assert_eq 10 "$connected" "port-forwarded connections to wan$n's address (${!address}) established"
  assert_eq "mark=$((${!mark}))×10 " "$marks" "ct marks of the connections forwarded from wan$n"
done
assert_eq true "$(status_json router | jq -r .converged)" "uplinkd converged"
assert_eq "0 0" "$(spoofed 1) $(spoofed 2)" "packets sent through isp1 and isp2 with the other uplink's address, in the whole test"

pass
