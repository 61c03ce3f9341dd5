#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The operator's drain, undrain and weight, on two masquerading uplinks (weights 1:1) carrying long-lived LAN
# connections spread over both (conntrack in the router says which uplink address each is NATed to).
# `uplinkctl drain wan1`: wan1 leaves the group (status "drained", in_group false), every new connection goes
# by wan2 (isp1 sees none of 50), and wan1's established connections keep working through isp1 (data sent after
# the drain is echoed back) with their conntrack entries still NATed to wan1. `undrain` puts it back.
# `uplinkctl weight wan2 3` sets the group's weight (ip nexthop) and leaves established connections alone; a
# weight of 0, 300 or "x" and an unknown uplink are refused with a clear message and a non-zero exit, by
# uplinkctl and by the daemon (a raw request). A reload keeps a drain but resets weights to the file's.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/echo.sh"

require_tools conntrack perl

ECHO_PORT=8080 # long-lived connections (an echo server in inet)
SINK_PORT=80   # short connections (accepted and closed at once)
HELD=16        # spread by the L4 hash: all on one uplink has a chance of 2 in 2^16
FLOWS=50

setup_two_isps
two_uplinks_up

wait_for --deadline 10 --what "both active" states_are router "wan1=active wan2=active"

start_tcp_sink inet $SINK_PORT
start_echo_server inet $ECHO_PORT

log "$HELD long-lived connections from the LAN host"
start_echo_holder lan held $HELD "$INET_ADDR" $ECHO_PORT
NAT_BEFORE=$(held_nat router held)
ON_WAN1=$(grep -c " $A1\$" <<<"$NAT_BEFORE" || true)
ON_WAN2=$(grep -c " $A2\$" <<<"$NAT_BEFORE" || true)
log "held connections: $ON_WAN1 NATed to wan1 ($A1), $ON_WAN2 to wan2 ($A2)"
assert_eq $HELD $((ON_WAN1 + ON_WAN2)) "held connections NATed to wan1 or wan2: $(tr '\n' ' ' <<<"$NAT_BEFORE")"
assert_ge "$ON_WAN1" 1 "held connections on wan1"
assert_ge "$ON_WAN2" 1 "held connections on wan2"
assert_eq $HELD "$(echo_all held)" "held connections echoing before the drain"

# new_connections — $FLOWS new TCP connections from the LAN host; sets NEW1, NEW2 (new TCP connections each ISP
# forwarded).
new_connections() {
  local connected
  reset_isp_counters 1
  reset_isp_counters 2
  connected=$(tcp_flows lan "$INET_ADDR" $SINK_PORT $FLOWS)
  NEW1=$(isp_counter 1 tcpflows) NEW2=$(isp_counter 2 tcpflows)
  log "$FLOWS new connections: $connected connected; new via isp1=$NEW1 isp2=$NEW2"
  assert_ge "$connected" $((FLOWS * 95 / 100)) "LAN connections through the router"
}

log "drain wan1"
assert_eq "drained wan1" "$(uplinkctl_in router drain wan1)" "uplinkctl drain's answer"
wait_for --deadline 5 --what "group of wan2 alone" has_members router 2:1
assert_eq "wan1=drained wan2=active" "$(uplink_states router)" "states after the drain"
assert_eq "true false" "$(uplink_field router wan1 drained) $(uplink_field router wan1 in_group)" \
  "wan1's drained and in_group"
assert_contains "$(uplink_field router wan1 why)" "drained by the operator" "why wan1 is out"
assert_contains "$(uplinkctl_in router status)" "drained" "uplinkctl status"
assert_eq "wan1 was already drained" "$(uplinkctl_in router drain wan1)" "a second drain"
new_connections
assert_eq 0 "$NEW1" "new connections through the drained wan1's isp1"
assert_ge "$NEW2" $((FLOWS * 95 / 100)) "new connections through isp2"
reset_isp_counters 1
assert_eq $HELD "$(echo_all held)" "held connections echoing after the drain"
# Each of wan1's connections sent a byte and acknowledged the echo: at least two packets each by isp1.
assert_ge "$(isp_counter 1 up)" $((2 * ON_WAN1)) "packets of wan1's held connections through isp1"
assert_eq "$NAT_BEFORE" "$(held_nat router held)" "held connections' NAT addresses after the drain"

log "undrain wan1"
assert_eq "undrained wan1" "$(uplinkctl_in router undrain wan1)" "uplinkctl undrain's answer"
wait_for --deadline 5 --what "group of wan1 and wan2" has_members router 1:1 2:1
assert_eq "wan1=active wan2=active" "$(uplink_states router)" "states after the undrain"
assert_eq "false true" "$(uplink_field router wan1 drained) $(uplink_field router wan1 in_group)" \
  "wan1's drained and in_group"
new_connections
assert_ge "$NEW1" 1 "new connections through isp1 once undrained"
assert_ge "$NEW2" 1 "new connections through isp2"

log "weight wan2 3"
assert_eq "wan2 weight 3 (was 1)" "$(uplinkctl_in router weight wan2 3)" "uplinkctl weight's answer"
wait_for --deadline 5 --what "group of wan1 (weight 1) and wan2 (weight 3)" has_members router 1:1 2:3
assert_eq 3 "$(uplink_field router wan2 weight)" "wan2's weight in the status"
assert_eq "$NAT_BEFORE" "$(held_nat router held)" "held connections' NAT addresses after the weight change"
assert_eq $HELD "$(echo_all held)" "held connections echoing after the weight change"

log "bad weights and unknown uplinks are refused"
# refused EXIT EXPECTED-TEXT CMD... — CMD exits with EXIT ("any": any non-zero) and says EXPECTED-TEXT; the
# group is unchanged.
refused() {
  local want=$1 expected=$2 out rc=0
  shift 2
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "accepted: $* — output: $out"
  [ "$want" == any ] || assert_eq "$want" "$rc" "exit status of: $*"
  assert_contains "$out" "$expected" "the refusal of: $*"
  log "refused (exit $rc): ${*:3} — $(head -n1 <<<"$out")"
  has_members router 1:1 2:3 || fail "the group changed after the refused: $*: $(group_members router)"
}
# uplinkctl checks the range before asking the daemon (CLI11's message and exit code).
refused any "Value 0 not in range 1 to 256" uplinkctl_in router weight wan2 0
refused any "Value 300 not in range 1 to 256" uplinkctl_in router weight wan2 300
refused any "Value x not in range 1 to 256" uplinkctl_in router weight wan2 x
# The daemon refuses an unknown uplink, naming those there are (exit 1: a refused request).
refused 1 'no uplink named "wan9" (uplinks: wan1, wan2)' uplinkctl_in router weight wan9 2
refused 1 'no uplink named "wan9" (uplinks: wan1, wan2)' uplinkctl_in router drain wan9
refused 1 'no uplink named "wan9" (uplinks: wan1, wan2)' uplinkctl_in router undrain wan9
# ... and checks the weight itself, for scripts that talk to the socket directly.
for weight in 0 300 '"x"' 2.5; do
  refused 1 "weight must be an integer from 1 to 256" \
    uplinkctl_in router call "{\"command\":\"weight\",\"uplink\":\"wan2\",\"weight\":$weight}"
done
refused 1 "weight must be an integer from 1 to 256" uplinkctl_in router call '{"command":"weight","uplink":"wan2"}'
assert_eq 3 "$(uplink_field router wan2 weight)" "wan2's weight after the refusals"

log "a reload keeps the drain and resets the weights to the file's"
assert_eq "drained wan1" "$(uplinkctl_in router drain wan1)" "uplinkctl drain's answer"
wait_for --deadline 5 --what "group of wan2 (weight 3) alone" has_members router 2:3
assert_ok uplinkctl_in router reload
wait_for --deadline 5 --what "group of wan2 alone, with the file's weight 1" has_members router 2:1
assert_eq "wan1=drained wan2=active" "$(uplink_states router)" "states after the reload"
assert_eq "1 1" "$(uplink_field router wan1 weight) $(uplink_field router wan2 weight)" "weights after the reload"
assert_eq "true" "$(uplink_field router wan1 drained)" "wan1's drained after the reload"
assert_eq $HELD "$(echo_all held)" "held connections echoing after the reload"
assert_eq "$NAT_BEFORE" "$(held_nat router held)" "held connections' NAT addresses after the reload"

log "wan2 loses its carrier while wan1 is drained: wan1 carries new connections rather than none"
link_down isp2 rtr
wait_for --deadline 10 --what "wan1 active (last resort), wan2 down" states_are router "wan1=active wan2=down"
wait_for --deadline 5 --what "group of wan1 alone" has_members router 1:1
assert_contains "$(status_json router | jq -r '.notes[]')" "only drained uplinks are usable" "the status's notes"
assert_eq "true" "$(uplink_field router wan1 drained)" "wan1's drained while it is the last resort"
new_connections
assert_ge "$NEW1" $((FLOWS * 95 / 100)) "new connections through the drained wan1, the last resort"
assert_eq 0 "$NEW2" "new connections through isp2 without carrier"
link_up isp2 rtr
wait_for --deadline 30 --what "wan2 back, wan1 drained again" states_are router "wan1=drained wan2=active"
wait_for --deadline 5 --what "group of wan2 alone" has_members router 2:1

log "undrain wan1"
assert_eq "undrained wan1" "$(uplinkctl_in router undrain wan1)" "uplinkctl undrain's answer"
wait_for --deadline 5 --what "group of wan1 and wan2" has_members router 1:1 2:1
assert_converged router

pass
