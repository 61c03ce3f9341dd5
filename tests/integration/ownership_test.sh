#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Own decisively, never fight blindly. Two DHCP uplinks (tables 201, 202).
#  1. `ip route replace default … table 201 proto boot` takes uplinkd's route away without a removal event:
#     uplinkd notices it, puts its own back, and reports it (log, status's "contested") naming proto boot.
#  2. A foreign route that collides with nothing (10.99.0.0/16 in table 201) is reported and left alone.
#  (the LARTC hook run beside uplinkd: lartc_hook_test.sh)
#  3. `uplinkd --check` warns about a dhcp-lb-style hook in dhclient's exit hooks, saying what to remove, and not about
#     uplinkd's own hook.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

setup_two_isps
two_uplinks_up
log "uplinks up: wan1 $A1, wan2 $A2"

log "1. a foreign replace of uplinkd's default route in table 201"
in_ns router ip route replace default via "$(isp_gw 1)" dev wan1 table 201 proto boot
wait_for --deadline 5 --what "uplinkd's default route back in table 201" uplink_table_ok router 1
repaired_log() { grep -q 'route default table 201 collided with another program.s (proto boot)' "$(uplinkd_log router)"; }
wait_for --deadline 5 --what "the repair in the log, naming proto boot" repaired_log
contested=$(status_json router | jq -c '.contested[] | select(.object == "route default table 201")')
log "status: contested $contested"
assert_eq "proto boot" "$(jq -r .by <<<"$contested")" "who contested route default table 201 (status)"
assert_contains "$(uplinkctl_in router status)" "contested: route default table 201 (proto boot), repaired 1 time" "uplinkctl status"
assert_eq "" "$(ip -n "$(ns router)" route show table 201 proto boot)" "proto boot routes left in table 201"

log "2. a foreign route that collides with nothing is reported, never deleted"
in_ns router ip route add 10.99.0.0/16 via "$(isp_gw 1)" dev wan1 table 201 proto boot
foreign_reported() { status_json router | jq -e '.foreign | any(contains("route 10.99.0.0/16 table 201 proto boot"))' >/dev/null; }
wait_for --deadline 5 --what "the foreign route in status's foreign list" foreign_reported
assert_contains "$(uplinkctl_in router status)" "foreign: route 10.99.0.0/16 table 201 proto boot (another program's, left alone)" "uplinkctl status"
grep -q 'route 10.99.0.0/16 table 201 proto boot is in uplinkd.s tables: left alone' "$(uplinkd_log router)" ||
  fail "the foreign route is not in the log"
assert_contains "$(ip -n "$(ns router)" route show table 201)" "10.99.0.0/16 via $(isp_gw 1) dev wan1" "the foreign route (proto boot: ip does not print it)"
in_ns router ip route del 10.99.0.0/16 table 201

HOOK=$H_TMP/dhcp/dhclient-exit-hooks.d/dhcp-lb
mkdir -p "$(dirname "$HOOK")"
cat >"$HOOK" <<'SH'
#!/bin/sh
# dhcp-lb: the LARTC recipe
ip route flush table 201
while ip rule del from 100.64.1.10 table 201 2>/dev/null; do :; done
SH
log "3. uplinkd --check warns about the hook"
check_out=$(UPLINKD_DHCLIENT_DIR=$H_TMP/dhcp "$UPLINKD_BIN" --check -c "$CONFIG" 2>&1) || fail "--check failed: $check_out"
log "--check: $check_out"
assert_contains "$check_out" "warning: dhclient exit hook $HOOK" "--check names the hook"
assert_contains "$check_out" "remove it" "--check says what to do"
rm "$HOOK"
hook_script dhclient-exit-hook >/dev/null
cp "$H_TMP/dhclient-exit-hook" "$H_TMP/dhcp/dhclient-exit-hooks.d/uplinkd"
check_out=$(UPLINKD_DHCLIENT_DIR=$H_TMP/dhcp "$UPLINKD_BIN" --check -c "$CONFIG" 2>&1) || fail "--check failed: $check_out"
assert_not_contains "$check_out" "warning" "--check with uplinkd's own hook"

pass
