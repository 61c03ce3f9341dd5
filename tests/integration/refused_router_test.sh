#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault isolation: an object the kernel refuses affects only its own uplink. Three uplinks over DHCP (dhcpcd
# with uplinkd's hook), probed and masqueraded; isp3's DHCP server hands out a router the parsers accept (a
# unicast address) but the kernel refuses as a gateway: the router's own LAN address, outside wan3's subnet
# ("Nexthop has invalid gateway", onlink or not). wan3 is reported down with the kernel's answer (status,
# status --json, events, the log), the group holds wan1 and wan2, and the daemon is converged. Then wan1's
# upstream goes silent: the group moves to wan2 alone and new LAN connections go through isp2 (before the
# fix, the group replace failed with "Invalid nexthop id" and traffic kept going to the dead uplink). The log
# stays quiet meanwhile: the refused objects are retried with a growing back-off (1 s, 2 s, 4 s, …), not
# twice a second forever.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

SINK_PORT=80
FLOWS=30
QUIET_WINDOW_S=8
QUIET_MAX_LINES=8 # the old loop logged 2 warnings a second: 16 in the window

make_isp 1
make_isp 2
make_isp 3
make_lan
BAD_ROUTER=$LAN_GW # the router's own address on lan0: unicast, but a local address cannot be a gateway
start_dnsmasq 3 --router "$BAD_ROUTER"

CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG" 'multipath_hash_policy = "l4"'
for n in 1 2 3; do
  add_uplink "$CONFIG" "$n" 1 "masquerade = true" "[uplink.health]" "targets = [\"$INET_ADDR\"]"
done
start_uplinkd router "$CONFIG"
start_event_log router all
event_log_sync router all wan1
HOOK=$(dhcpcd_hook_runner)
for n in 1 2 3; do start_dhcpcd router "wan$n" "$HOOK"; done
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
start_tcp_sink inet $SINK_PORT

log "wan3's router $BAD_ROUTER is refused by the kernel: wan3 is down, wan1 and wan2 balance"
wan3_refused() { [ "$(uplink_field router wan3 kernel_refused)" == true ]; }
wait_for --deadline 15 --what "wan3 refused by the kernel" wan3_refused
wait_for --deadline 20 --what "wan1, wan2 active and wan3 down" states_are router "wan1=active wan2=active wan3=down"
wait_for --deadline 5 --what "group of wan1 and wan2" has_members router 1:1 2:1
why=$(uplink_field router wan3 why)
log "wan3: $why"
assert_contains "$why" "kernel refused: add nexthop $(uplink_nh 203) via $BAD_ROUTER" "why wan3 is down"
assert_contains "$why" "Nexthop has invalid gateway" "the kernel's own words in wan3's why"
assert_eq "$BAD_ROUTER" "$(uplink_field router wan3 gateway)" "wan3's gateway in the status"
assert_contains "$(uplinkctl_in router status)" "kernel refused" "uplinkctl status"
assert_eq "true" "$(status_json router | jq -r .converged)" "converged (the refusal is wan3's, not an error)"
for n in 1 2; do wait_for --deadline 5 --what "wan$n's table and rule" uplink_table_ok router "$n"; done
# (A retry adds wan3's objects again for the few milliseconds until the kernel's answer: poll.)
table_203_empty() { [ -z "$(ip -n "$(ns router)" route show table 203)" ]; }
wait_for --deadline 5 --what "wan3's table empty" table_203_empty
refused_event() {
  jq -e -s 'any(.[]; .event == "kernel" and .uplink == "wan3" and .accepted == false and (.why | contains("Nexthop has invalid gateway")))' \
    "$(event_log all)" >/dev/null
}
wait_for --deadline 5 --what "an event saying why wan3 is down" refused_event
assert_ge "$(grep -c 'the kernel refused its objects' "$(uplinkd_log router)")" 1 "the refusal in the log"

log "wan1's upstream goes silent: the group moves to wan2 alone, and so do new connections"
blackhole_upstream 1
wait_for --deadline 15 --what "wan1 down, wan2 active, wan3 down" states_are router "wan1=down wan2=active wan3=down"
wait_for --deadline 5 --what "group of wan2 alone" has_members router 2:1
reset_isp_counters 2
connected=$(tcp_flows lan "$INET_ADDR" $SINK_PORT $FLOWS)
via2=$(isp_counter 2 tcpflows)
log "$FLOWS new connections: $connected connected, $via2 through isp2"
assert_ge "$connected" $((FLOWS * 95 / 100)) "LAN connections through the router"
assert_ge "$via2" "$connected" "new connections through isp2"
assert_eq "true" "$(uplink_field router wan3 kernel_refused)" "wan3 still refused"

log "the log is quiet: no retry loop for wan3's refused objects"
before=$(wc -l <"$(uplinkd_log router)")
SECONDS_AT_START=$SECONDS
# A measurement over a fixed window, not a wait for a condition: what is counted is what happens meanwhile.
sleep $QUIET_WINDOW_S
lines=$(tail -n +$((before + 1)) "$(uplinkd_log router)")
count=$(line_count "$lines")
log "uplinkd logged $count lines in $((SECONDS - SECONDS_AT_START)) s: $(tr '\n' '|' <<<"$lines" | cut -c1-600)"
assert_le "$count" $QUIET_MAX_LINES "lines logged in ${QUIET_WINDOW_S} s with wan3 refused"
refusals=$(grep -c 'the kernel refused its objects' "$(uplinkd_log router)")
log "refusals logged since start: $refusals (back-off 1, 2, 4, … s)"
assert_le "$refusals" 7 "refusals logged (the back-off grows)"
assert_converged router

pass
