#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Own decisively, never fight blindly (ownership_test.sh has the other cases). Two DHCP uplinks (tables 201,
# 202). dhcp-lb's hook (the LARTC recipe: flush each uplink's table, add its routes, `while ip rule del from
#     ADDR table T; do :; done`, add the rule, replace main's default) run beside uplinkd on the same tables
#     finishes within seconds (before: never, uplinkd re-added the rule within a millisecond), uplinkd's own
#     routes and rules are back afterwards, and uplinkd is quiet: a few log lines and little CPU over a window.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

HOOK_TIMEOUT_S=20
HOOK_BOUND_S=8
QUIET_WINDOW_S=5
QUIET_MAX_LINES=5
QUIET_MAX_CPU_TICKS=25

setup_two_isps
two_uplinks_up
log "dhcp-lb's hook (the LARTC recipe) run beside uplinkd on the same tables"
HOOK=$H_TMP/dhcp/dhclient-exit-hooks.d/dhcp-lb
mkdir -p "$(dirname "$HOOK")"
cat >"$HOOK" <<'SH'
#!/bin/sh
# dhcp-lb: rebuild each uplink's routing table and source rule, and the balanced default route
# (the LARTC "Routing for multiple uplinks/providers" recipe), as dhcp-lb does at every DHCP event.
spins=0
for n in 1 2; do
  IF=wan$n T=$((200 + n)) NET=100.64.$n.0/24 GW=100.64.$n.1
  ADDR=$(ip -4 -o addr show dev "$IF" | awk '{ print $4 }' | cut -d/ -f1)
  ip route flush table $T
  ip route add $NET dev $IF src $ADDR table $T
  ip route add default via $GW table $T
  while ip rule del from $ADDR table $T 2>/dev/null; do spins=$((spins + 1)); done
  ip rule add from $ADDR table $T
done
ip route replace default scope global nexthop via 100.64.1.1 dev wan1 weight 1 nexthop via 100.64.2.1 dev wan2 weight 1
echo "rule deletions: $spins"
SH
chmod 755 "$HOOK"
t0=$(_h_now_usec)
rc=0
timeout $HOOK_TIMEOUT_S ip netns exec "$(ns router)" sh "$HOOK" >"$H_TMP/hook.out" 2>&1 || rc=$?
took_ms=$((($(_h_now_usec) - t0) / 1000))
log "the hook ended with $rc after $took_ms ms ($(tr '\n' ' ' <"$H_TMP/hook.out"))"
[ $rc -ne 124 ] || fail "the hook did not finish within $HOOK_TIMEOUT_S s: its rule deletion loop spins against uplinkd"
assert_le "$took_ms" $((HOOK_BOUND_S * 1000)) "time the hook took (ms)"
# Repairs of objects the hook touched more than once wait their back-off (0.25 s, 0.5 s, …).
show_tables() {
  log "tables 201, 202: $(ip -n "$(ns router)" route show table 201 | tr '\n' ';') $(ip -n "$(ns router)" route show table 202 | tr '\n' ';')"
  log "rules: $(ip -n "$(ns router)" rule show | tr '\n' ';')"
}
show_tables
trap show_tables ERR
for n in 1 2; do wait_for --deadline 40 --what "wan$n's table and rule back" uplink_table_ok router "$n"; done
wait_for --deadline 10 --what "group of wan1 and wan2" has_members router 1:1 2:1
trap - ERR
show_tables
for table in 201 202; do
  assert_eq "" "$(ip -n "$(ns router)" route show table $table | grep -v "proto $UPLINKD_PROTO" || true)" "others' routes left in table $table"
done

log "afterwards uplinkd is quiet"
# A measurement over a fixed window, not a wait for a condition: what is counted is what happens meanwhile.
pid=$(uplinkd_pid router)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
quiet_since() {
  local before
  before=$(wc -l <"$(uplinkd_log router)")
  ticks0=$(cpu_ticks)
  sleep $QUIET_WINDOW_S
  ticks=$(($(cpu_ticks) - ticks0))
  lines=$(tail -n +$((before + 1)) "$(uplinkd_log router)")
  count=$(line_count "$lines")
}
# The last repairs may still be due (a back-off of a few seconds): wait until one window is quiet.
for attempt in 1 2 3 4 5 6; do
  quiet_since
  log "window $attempt: $count log lines and $ticks CPU ticks in $QUIET_WINDOW_S s"
  [ "$count" -le $QUIET_MAX_LINES ] && [ "$ticks" -le $QUIET_MAX_CPU_TICKS ] && break
done
log "last window's lines: $(tr '\n' '|' <<<"$lines" | cut -c1-800)"
assert_le "$count" $QUIET_MAX_LINES "log lines in a $QUIET_WINDOW_S s window after the hook"
assert_le "$ticks" $QUIET_MAX_CPU_TICKS "uplinkd's CPU ticks in a $QUIET_WINDOW_S s window after the hook"
for n in 1 2; do uplink_table_ok router "$n" || fail "wan$n's table or rule is gone after the quiet window"; done
contested_count=$(status_json router | jq '.contested | length')
log "contested objects in status: $contested_count: $(status_json router | jq -c '[.contested[] | "\(.object) by \(.by) x\(.repairs)"]')"
assert_ge "$contested_count" 1 "contested objects in status after the hook"

pass
