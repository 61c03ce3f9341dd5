#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode = "resilient" for IPv6: a failure moves only the failed uplink's flows. Three ISPs announce IPv6 by RA
# (uplinkd balances IPv6 only: `family = "ipv6"`), each probed by ICMPv6 to the internet host; a LAN host
# has a ULA, routed (no translation: the kernel's choice of path is what is measured). The path of each of
# 300 UDP flows from the LAN host is read with `ip -6 route get … iif lan0 ipproto udp sport S` (the
# kernel's own lookup for a forwarded packet, l4 hash):
#  1. resilient: IPv6 is balanced by a resilient nexthop group of the three uplinks, every uplink carries
#     flows; isp3's IPv6 upstream goes silent, wan3 leaves the group, and every flow that was on wan1 or wan2
#     keeps its uplink while wan3's flows move to wan1 and wan2.
#  2. flow (by reload, isp3 restored and back in the group): the same failure rehashes the multipath route,
#     and flows of the surviving uplinks move too. This shows that the sampling sees moves, so the zero in
#     part 1 is resilient hashing, not a sampler that cannot tell.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/ipv6.sh"
source "$(dirname "$0")/lib/lan6.sh"

FLOWS=300
for n in 1 2 3; do make_isp "$n" --no-dhcp; done
for n in 1 2 3; do make_isp6 "$n"; done
make_lan6

CONFIG=$H_TMP/uplinkd.toml
# configure MODE — three IPv6-only uplinks of weight 1, one ICMPv6 target each, fast health.
configure() {
  write_config "$CONFIG" "mode = \"$1\"" 'multipath_hash_policy = "l4"' 'family = "ipv6"'
  for n in 1 2 3; do
    add_uplink "$CONFIG" "$n" 1 "[uplink.health]" "targets = [\"$INET6_ADDR\"]" \
      "interval = 0.2" "timeout = 0.5" "down_after = 3" "up_after = 3" "hold_down = 0"
  done
}

all3="$((0x76000000 + 201)),$((0x76000000 + 202)),$((0x76000000 + 203))"
only12="$((0x76000000 + 201)),$((0x76000000 + 202))"

# paths — one line per flow: the uplink the kernel routes a UDP flow from the LAN host's ULA with source
# port 20000+i to the internet host by (one `ip -batch` for all of them).
paths() {
  local i
  for ((i = 0; i < FLOWS; i++)); do
    echo "route get to $INET6_ADDR from $LAN6_ULA iif lan0 ipproto udp sport $((20000 + i)) dport 5001"
  done | ip -n "$(ns router)" -6 -batch - | sed -n 's/.* dev \(wan[0-9]\).*/\1/p'
}

# moves BEFORE AFTER — "SURVIVORS_MOVED FAILED_MOVED FAILED": flows not on wan3 before that changed uplink,
# flows on wan3 before that left it, and how many were on wan3.
moves() {
  paste <(echo "$1") <(echo "$2") | awk '
    $1 != "wan3" && $1 != $2 { survivors++ }
    $1 == "wan3" { failed++; if ($2 != "wan3") left++ }
    END { print survivors + 0, left + 0, failed + 0 }'
}

# fail_wan3 — isp3's IPv6 upstream goes silent; returns once wan3 is out of the IPv6 group.
fail_wan3() {
  blackhole_upstream6 3
  wait_for --deadline 10 --what "wan3 out of the IPv6 group" group6_is router "$only12"
}

configure resilient
start_uplinkd router "$CONFIG"
for n in 1 2 3; do wait_for --deadline 15 --what "wan$n's IPv6 table" uplink6_ok router "$n"; done
wait_for --deadline 10 --what "the IPv6 group of wan1, wan2 and wan3" group6_is router "$all3"
group=$(ip -n "$(ns router)" -d nexthop show id "$(sed -n 's/.* nhid \([0-9]*\).*/\1/p' <<<"$(ip -N -n "$(ns router)" -6 route show table 1000 default)")")
log "IPv6 group: $group"
assert_contains "$group" "type resilient" "the IPv6 group in mode resilient"

log "1. resilient: isp3's IPv6 upstream goes silent"
before=$(paths)
log "before: $(tally_lines "$before")"
assert_eq "$FLOWS" "$(wc -l <<<"$before")" "flows sampled"
for n in 1 2 3; do assert_ge "$(count_of "$before" "wan$n")" 40 "flows on wan$n of $FLOWS (a third expected)"; done
fail_wan3
after=$(paths)
log "after: $(tally_lines "$after")"
read -r survivors left failed <<<"$(moves "$before" "$after")"
log "resilient: $survivors flows of wan1 and wan2 moved, $left of wan3's $failed moved"
assert_eq 0 "$survivors" "flows of wan1 and wan2 that changed uplink when wan3 left (resilient)"
assert_eq "$failed" "$left" "wan3's flows that left it"

log "2. flow, for contrast: the same failure rehashes the multipath route"
restore_upstream6 3
wait_for --deadline 15 --what "wan3 back in the IPv6 group" group6_is router "$all3"
configure flow
uplinkctl_in router reload >/dev/null
wait_for --deadline 5 --what "default6 as a multipath route" \
  sh -c "ip -n $(ns router) -6 route show table 1000 default | grep -q '^default proto'"
wait_for --deadline 10 --what "the IPv6 legs of wan1, wan2 and wan3" group6_is router "$all3"
before=$(paths)
fail_wan3
after=$(paths)
read -r survivors left failed <<<"$(moves "$before" "$after")"
log "flow: $survivors flows of wan1 and wan2 moved, $left of wan3's $failed moved"
assert_eq "$failed" "$left" "wan3's flows that left it (flow)"
# Hash-threshold: with three legs a flow's hash region is a third; with two, a half: about a sixth of the
# survivors' flows (some 30 of 200) move. At least 5, or the sampling cannot see a move.
assert_ge "$survivors" 5 "flows of wan1 and wan2 that flow mode moved"
assert_converged router
pass
