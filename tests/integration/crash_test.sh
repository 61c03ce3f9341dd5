#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 at any moment, then a restart, converges: nothing duplicated, nothing stale, nothing missing.
# Gateways that only the DHCP hook told uplinkd (dhclient cannot add a second default route to main) survive
# the restart through the state file, so the group is whole again without waiting for the next renew.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

setup_three_isps
install_dhclient_hook router
for n in 1 2 3; do start_dhclient router "wan$n"; done
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
wait_for --deadline 10 --what "all three uplinks in the group" has_members router 1:1 2:3 3:2
everything=$(owned_objects router)

log "kill -9 and restart: hook-learned gateways survive"
kill9_uplinkd router
start_uplinkd router "$CONFIG"
wait_for --deadline 5 --what "the group whole again from the state file" has_members router 1:1 2:3 3:2
assert_eq "$(uplink_field router wan3 gateway_source)" dhcp-hook "wan3's gateway came back from the state file"
assert_no_duplicates router
assert_eq "$(owned_objects router)" "$everything" "a restart over a converged kernel changes nothing"

log "stale objects of an uplink that went away while uplinkd was dead are removed"
kill9_uplinkd router
link_down router wan3   # the kernel flushes wan3's nexthop and routes, but not its source rule
start_uplinkd router "$CONFIG"
wait_for --deadline 5 --what "wan3 out of the group" has_members router 1:1 2:3
assert_eq "$(ip -N -n "$(ns router)" rule | grep -c 'lookup 203 ' || true)" 0 "no stale rule for wan3's table"
assert_no_duplicates router
link_up router wan3
wait_for --deadline 5 --what "wan3 back in the group" has_members router 1:1 2:3 3:2

log "kill -9 in the middle of work, 12 times"
for i in $(seq 1 12); do
  # Each round changes something and kills uplinkd while it reacts (no wait between the two), then makes
  # one more change while it is dead; the restart must land on exactly what the final state calls for.
  case $((i % 3)) in
    0) link_down router wan1; kill9_uplinkd router; link_up router wan1; expected="1:1 2:3 3:2" ;;
    1) link_down router wan2; kill9_uplinkd router; expected="1:1 3:2" ;;
    2) link_up router wan2; kill9_uplinkd router; link_down router wan3; expected="1:1 2:3" ;;
  esac
  start_uplinkd router "$CONFIG"
  # shellcheck disable=SC2086
  wait_for --deadline 5 --what "round $i: group $expected" has_members router $expected
  assert_no_duplicates router
  [ $((i % 3)) -ne 2 ] || link_up router wan3
done
wait_for --deadline 5 has_members router 1:1 2:3 3:2

log "objects deleted by hand come back"
netns=$(ns router)
ip -n "$netns" rule del priority 20100 from "$(address_of router wan2 | cut -d/ -f1)"
ip -n "$netns" route del default table 1000
ip -n "$netns" nexthop del id "$(uplink_nh 201)"
wait_for --deadline 5 --what "every deleted object restored" eval '[ "$(owned_objects router)" == "$everything" ]'
assert_converged router
assert_eq "$(owned_objects router)" "$everything" "after all the crashes, the kernel is as before them"
pass
