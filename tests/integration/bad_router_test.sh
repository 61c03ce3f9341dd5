#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A DHCP server hands out a router that is no unicast address: isp1's dnsmasq gives 255.255.255.255
# (dhcp-option=3,255.255.255.255) on the first of three uplinks. uplinkd refuses that router at the hook, says
# why in `status` and its log, plans nothing for wan1 (before: a nexthop the kernel refused, retried every
# second with two warnings, for ever) and balances over wan2 and wan3. When wan2 then dies, its traffic moves
# to wan3 alone.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

setup_three_isps
start_dnsmasq 1 --router 255.255.255.255
install_dhclient_hook router
# Metrics, so that dhclient-script can add each default route to main; wan1's fails in the kernel (it is the
# same bad router), which must not teach uplinkd a gateway either.
start_dhclient router wan1 --metric 101
start_dhclient router wan2 --metric 102
start_dhclient router wan3 --metric 103
wait_for_address router wan1 100.64.1.
wait_for_address router wan2 100.64.2.
wait_for_address router wan3 100.64.3.
wait_for --deadline 10 --what "group of wan2 and wan3" has_members router 2:3 3:2
wait_for --deadline 5 uplink_table_ok router 2
wait_for --deadline 5 uplink_table_ok router 3

LOG=$(uplinkd_log router)
refused_logged() { grep -q 'hook: router 255.255.255.255 of lease 100.64.1.[0-9]*/24 on wan1 refused: it is the limited broadcast address' "$LOG"; }
wait_for --deadline 10 --what "the refusal in uplinkd's log" refused_logged
why=$(uplink_field router wan1 why)
log "wan1: $(uplink_field router wan1 state): $why"
assert_eq down "$(uplink_field router wan1 state)" "wan1's state"
assert_contains "$why" "the DHCP lease's router was refused: 255.255.255.255 is the limited broadcast address" \
  "status says why wan1 is unusable"
assert_eq "" "$(in_ns router ip -4 nexthop show | grep 255.255.255.255 || true)" "nexthops via 255.255.255.255"

# Quiet: no converge retried every second. A fixed window, because the test looks for something that must
# not happen; before the fix this window held 6 warnings ("Nexthop has invalid gateway", twice a second).
lines_before=$(wc -l <"$LOG")
sleep 3
window=$(tail -n +$((lines_before + 1)) "$LOG")
log "uplinkd's log over 3 s: $(line_count "$window") lines"
assert_eq 0 "$(grep -c -E 'warn|error|retry' <<<"$window" || true)" "warnings and retries over 3 s: $window"
assert_le "$(line_count "$window")" 2 "log lines over 3 s"

log "wan2 dies: its traffic moves to wan3, wan1 stays out"
link_down isp2 rtr
wait_for --deadline 10 --what "group of wan3 alone" has_members router 3:2
split=$(hash_split router "$INET_ADDR" 200)
log "200 flows: $split"
assert_eq 200 "$(share_of "$split" wan3)" "flows routed by wan3"
assert_eq down "$(uplink_field router wan1 state)" "wan1's state"
assert_ping router "$(uplink_address router wan3)" "$INET_ADDR"
assert_converged router
pass
