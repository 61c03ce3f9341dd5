#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# MPTCP endpoint management (mptcp = true; issue 15, item 2) in the router's namespace, read back with
# `ip mptcp endpoint/limits show`: three static uplinks (wan1 and wan2 in tier 1, wan3 in tier 2), given their
# addresses after uplinkd started. Each usable uplink gets one subflow endpoint bound to its interface, ids
# from 255 down (255 wan1, 253 wan2, 251 wan3), and the limits cover them; net.mptcp.enabled and pm_type are
# put right. An endpoint deleted by hand is put back. A drain makes wan2's endpoint a backup and undrain takes
# that back; the tier-2 wan3 is a backup; wan1 renumbered keeps id 255 with its new address; wan1's carrier
# lost removes its endpoint, its return puts it back. Every change is an mptcp event; status (JSON and table)
# and plan show the endpoints. kill -9 and a restart converge with nothing stale (an address gone while
# uplinkd was dead, an endpoint id of an uplink the config no longer has) and nothing twice. Another program's
# endpoint (10.9.9.9 id 5, subflow) present at start: uplinkd changes no endpoint (not even for a drain) nor
# the MPTCP sysctls (pm_type = 1 stays), says why once in its log and in status and plan; mptcp = false then
# removes uplinkd's endpoints and leaves that one. Without it, mptcp = true again puts them back (pm_type 0),
# and a stop with on_exit = "flush" removes them (the limits stay). /metrics shows the endpoints
# (uplinkd_mptcp_*) along the way.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

[ -d /proc/sys/net/mptcp ] || skip "the kernel has no MPTCP (CONFIG_MPTCP)"
require_tools curl promtool

for n in 1 2 3; do make_isp "$n" --no-dhcp; done
# The namespace starts as a distribution might leave it: MPTCP sockets off, the userspace path manager chosen.
sysctl_ns router net.mptcp.enabled=0
sysctl_ns router net.mptcp.pm_type=1

CONFIG=$H_TMP/uplinkd.toml
# write_mptcp_config true|false — the config, with the top-level mptcp as given.
WEB_PORT=9180 # /metrics, in the router's namespace
write_mptcp_config() {
  write_config "$CONFIG" "mptcp = $1" '[web]' "listen = \"127.0.0.1:$WEB_PORT\""
  for n in 1 2 3; do
    local tier=1
    [ "$n" -eq 3 ] && tier=2
    add_uplink "$CONFIG" "$n" 1 "gateway = \"$(isp_gw "$n")\"" "tier = $tier"
  done
}
write_mptcp_config true

# has_endpoints ROLE LINE... — exactly these endpoints (mptcp_endpoints' lines, by id) and no other.
has_endpoints() {
  local role=$1
  shift
  [ "$(mptcp_endpoints "$role")" == "$(printf '%s\n' "$@")" ]
}
# mptcp_events_since N — the mptcp events after the first N lines of the event log, "ACTION UPLINK FAMILY ID
# ADDRESS BACKUP" each (limits: "limits SUBFLOWS ADD_ADDR_ACCEPTED").
mptcp_events_since() {
  tail -n +$(($1 + 1)) "$(event_log all)" | jq -r 'select(.event == "mptcp") |
    if .action == "limits" then "limits \(.subflows) \(.add_addr_accepted)"
    else "\(.action) \(.uplink // "-") \(.family // "-") \(.id // "-") \(.address // "-") \(.backup)" end'
}
event_lines() { wc -l <"$(event_log all)"; }
metrics() { in_ns router curl -sS --max-time 5 "http://127.0.0.1:$WEB_PORT/metrics"; }
endpoint_json() { uplink_json router "$1" | jq -c '.mptcp_endpoint'; }

start_uplinkd router "$CONFIG"
start_event_log router all
event_log_sync router all wan1
assert_eq "" "$(mptcp_endpoints router)" "endpoints before the uplinks have an address"

log "wan1 and wan2 get their addresses: a subflow endpoint each, with its interface"
events=$(event_lines)
for n in 1 2; do ip -n "$(ns router)" addr add "100.64.$n.10/24" dev "wan$n"; done
wait_for --deadline 10 --what "endpoints 255 (wan1) and 253 (wan2)" \
  has_endpoints router "253 100.64.2.10 subflow wan2" "255 100.64.1.10 subflow wan1"
assert_eq "subflows 2 add_addr_accepted 2" "$(mptcp_limits router)" "limits for two endpoints"
assert_eq "1 0" "$(in_ns router sysctl -n net.mptcp.enabled) $(in_ns router sysctl -n net.mptcp.pm_type)" \
  "net.mptcp.enabled and pm_type (the in-kernel path manager)"
wait_for --deadline 5 --what "the add events" \
  eval '[ "$(mptcp_events_since "$events" | grep -c "^add ")" -ge 2 ]'
assert_contains "$(mptcp_events_since "$events")" "add wan1 ipv4 255 100.64.1.10 false" "wan1's add event"
assert_contains "$(mptcp_events_since "$events")" "add wan2 ipv4 253 100.64.2.10 false" "wan2's add event"
assert_contains "$(mptcp_events_since "$events")" "limits 2 2" "the limits event"
assert_eq '{"address":"100.64.1.10","backup":false,"id":255}' "$(endpoint_json wan1)" "wan1's endpoint in status"
assert_eq 'null' "$(endpoint_json wan3)" "wan3's endpoint in status (no address yet)"
status=$(status_json router)
assert_eq '{"add_addr_accepted":2,"subflows":2}' "$(jq -c .mptcp.limits <<<"$status")" "status: mptcp.limits"
assert_eq "true true" "$(jq -r '"\(.mptcp.configured) \(.mptcp.managed)"' <<<"$status")" "status: mptcp managed"
assert_contains "$(uplinkctl_in router status)" "mptcp wan2: endpoint 253 100.64.2.10" "uplinkctl status"
plan=$(uplinkctl_in router plan)
assert_contains "$plan" "ip mptcp endpoint add 100.64.1.10 id 255 dev wan1 subflow" "uplinkctl plan"
assert_contains "$plan" "ip mptcp limits set subflows 2 add_addr_accepted 2" "uplinkctl plan"
assert_not_contains "$plan" "# pending" "uplinkctl plan once converged"

log "an endpoint deleted behind uplinkd's back is put back (the kernel announces no endpoint change)"
in_ns router ip mptcp endpoint delete id 253
wait_for --deadline 10 --what "endpoint 253 back (the 5 s check)" \
  has_endpoints router "253 100.64.2.10 subflow wan2" "255 100.64.1.10 subflow wan1"

log "drain wan2: its endpoint becomes a backup (its subflows go on); undrain takes that back"
events=$(event_lines)
uplinkctl_in router drain wan2 >/dev/null
wait_for --deadline 5 --what "endpoint 253 backup" \
  has_endpoints router "253 100.64.2.10 subflow,backup wan2" "255 100.64.1.10 subflow wan1"
wait_for --deadline 5 --what "the drain's event" eval '[ -n "$(mptcp_events_since "$events")" ]'
assert_eq "backup wan2 ipv4 253 100.64.2.10 true" "$(mptcp_events_since "$events")" "the drain's event"
uplinkctl_in router undrain wan2 >/dev/null
wait_for --deadline 5 --what "endpoint 253 no backup" \
  has_endpoints router "253 100.64.2.10 subflow wan2" "255 100.64.1.10 subflow wan1"

log "the tier-2 wan3 gets an address: its endpoint is a backup"
ip -n "$(ns router)" addr add 100.64.3.10/24 dev wan3
wait_for --deadline 10 --what "endpoint 251 (wan3) backup" has_endpoints router \
  "251 100.64.3.10 subflow,backup wan3" "253 100.64.2.10 subflow wan2" "255 100.64.1.10 subflow wan1"
assert_eq "subflows 3 add_addr_accepted 3" "$(mptcp_limits router)" "limits for three endpoints"
assert_eq '{"address":"100.64.3.10","backup":true,"id":251}' "$(endpoint_json wan3)" "wan3's endpoint in status"
scraped=$(metrics)
for line in 'uplinkd_mptcp_managed 1' 'uplinkd_mptcp_subflows_limit 3' \
  'uplinkd_mptcp_endpoint{uplink="wan1",family="ipv4"} 1' 'uplinkd_mptcp_endpoint_backup{uplink="wan1",family="ipv4"} 0' \
  'uplinkd_mptcp_endpoint_backup{uplink="wan3",family="ipv4"} 1'; do
  assert_contains "$scraped" "$line" "/metrics"
done
lint=$(promtool check metrics <<<"$scraped" 2>&1) || fail "promtool check metrics: $lint"

log "wan1 renumbered: the same id with the new address"
events=$(event_lines)
ip -n "$(ns router)" addr del 100.64.1.10/24 dev wan1
ip -n "$(ns router)" addr add 100.64.1.20/24 dev wan1
wait_for --deadline 10 --what "endpoint 255 at 100.64.1.20" has_endpoints router \
  "251 100.64.3.10 subflow,backup wan3" "253 100.64.2.10 subflow wan2" "255 100.64.1.20 subflow wan1"
wait_for --deadline 5 --what "the renumbering's events" \
  eval 'mptcp_events_since "$events" | grep -q "^add wan1 ipv4 255 100.64.1.20 false"'
renumbered=$(mptcp_events_since "$events" | grep ' 255 ')
assert_eq "remove wan1 ipv4 255 100.64.1.10 false" "$(head -n1 <<<"$renumbered")" "the first event of the renumbering"

log "wan1 loses its carrier: its endpoint goes, and comes back with the carrier"
link_down isp1 rtr
wait_for --deadline 10 --what "endpoint 255 removed" \
  has_endpoints router "251 100.64.3.10 subflow,backup wan3" "253 100.64.2.10 subflow wan2"
assert_eq "null" "$(endpoint_json wan1)" "wan1's endpoint in status while it is down"
assert_contains "$(metrics)" 'uplinkd_mptcp_endpoint{uplink="wan1",family="ipv4"} 0' "/metrics while wan1 is down"
link_up isp1 rtr
wait_for --deadline 10 --what "endpoint 255 back" has_endpoints router \
  "251 100.64.3.10 subflow,backup wan3" "253 100.64.2.10 subflow wan2" "255 100.64.1.20 subflow wan1"
assert_converged router

log "kill -9, then changes while uplinkd is dead, then a restart: nothing stale, nothing twice"
kill9_uplinkd router
ip -n "$(ns router)" addr del 100.64.3.10/24 dev wan3                # wan3's endpoint is stale now
in_ns router ip mptcp endpoint add 100.64.9.9 id 241 subflow         # the 8th uplink of an older config
start_uplinkd router "$CONFIG"
wait_for --deadline 10 --what "only wan1's and wan2's endpoints" \
  has_endpoints router "253 100.64.2.10 subflow wan2" "255 100.64.1.20 subflow wan1"
assert_eq "" "$(mptcp_endpoints router | awk '{ print $2 }' | sort | uniq -d)" "addresses with two endpoints"
assert_converged router

log "another program's endpoint at start: uplinkd leaves MPTCP alone and says why"
kill9_uplinkd router
in_ns router ip mptcp endpoint add 10.9.9.9 id 5 subflow
ip -n "$(ns router)" addr add 100.64.3.10/24 dev wan3                # uplinkd would add 251 if it managed
sysctl_ns router net.mptcp.pm_type=1                                 # as a userspace path manager wants it
before=$(mptcp_endpoints router)
limits_before=$(mptcp_limits router)
log_lines=$(wc -l <"$(uplinkd_log router)")
start_uplinkd router "$CONFIG"
wait_for --deadline 10 --what "status naming the other program's endpoint" \
  eval 'status_json router | jq -r ".mptcp.foreign_manager // empty" | grep -q "10.9.9.9 id 5 (subflow)"'
assert_eq "false" "$(status_json router | jq .mptcp.managed)" "status: mptcp.managed"
assert_contains "$(metrics)" 'uplinkd_mptcp_managed 0' "/metrics beside another manager"
assert_contains "$(uplinkctl_in router status)" "mptcp: left alone: MPTCP endpoint 10.9.9.9 id 5 (subflow) is managed by another program" \
  "uplinkctl status"
assert_contains "$(uplinkctl_in router plan)" "# MPTCP endpoints left alone: MPTCP endpoint 10.9.9.9 id 5" "uplinkctl plan"
uplinkctl_in router drain wan1 >/dev/null # applied before drain answers: would flag 255 backup
assert_eq "$before" "$(mptcp_endpoints router)" "endpoints after a start and a drain beside another manager"
assert_eq "$limits_before" "$(mptcp_limits router)" "limits beside another manager"
assert_eq 1 "$(in_ns router sysctl -n net.mptcp.pm_type)" "pm_type beside another manager (left as it was)"
assert_eq 1 "$(tail -n +$((log_lines + 1)) "$(uplinkd_log router)" | grep -c ' warn.*managed by another program')" \
  "warnings about the other manager (said once)"

log "mptcp = false: uplinkd's endpoints go, the other program's stays"
write_mptcp_config false
uplinkctl_in router reload >/dev/null
assert_eq "5 10.9.9.9 subflow -" "$(mptcp_endpoints router)" "endpoints after mptcp = false"
assert_eq "$limits_before" "$(mptcp_limits router)" "limits after mptcp = false (raised limits stay)"
assert_eq "false" "$(status_json router | jq .mptcp.configured)" "status: mptcp.configured"
assert_not_contains "$(uplinkctl_in router plan)" "mptcp" "uplinkctl plan without mptcp"

log "the other program's endpoint gone, mptcp = true again: uplinkd's are back; a stop with flush removes them"
in_ns router ip mptcp endpoint delete id 5
write_mptcp_config true
uplinkctl_in router reload >/dev/null
wait_for --deadline 5 --what "uplinkd's endpoints back (wan1 drained: backup)" has_endpoints router \
  "251 100.64.3.10 subflow,backup wan3" "253 100.64.2.10 subflow wan2" "255 100.64.1.20 subflow,backup wan1"
assert_eq "true" "$(status_json router | jq .mptcp.managed)" "status: mptcp.managed"
assert_eq 0 "$(in_ns router sysctl -n net.mptcp.pm_type)" "pm_type once uplinkd manages MPTCP again"
uplinkctl_in router undrain wan1 >/dev/null
wait_for --deadline 5 --what "endpoint 255 no backup" has_endpoints router \
  "251 100.64.3.10 subflow,backup wan3" "253 100.64.2.10 subflow wan2" "255 100.64.1.20 subflow wan1"
assert_converged router
stop_uplinkd router
assert_eq 0 "$(uplinkd_exit_status router)" "uplinkd's exit status"
assert_eq "" "$(mptcp_endpoints router)" "endpoints after a stop with on_exit = flush"
assert_eq "subflows 3 add_addr_accepted 3" "$(mptcp_limits router)" "limits after the stop (they stay)"

pass
