#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tiers: wan1 and wan2 (tier 1, weights 1:1) balance, wan3 (tier 2) is the backup, all three probed and
# masqueraded. The backup carries no new LAN traffic while a tier-1 uplink is usable — with both, and with
# wan2 alone once wan1's upstream goes silent — and its status says "standby". When wan2 goes silent too,
# wan3 becomes active and new connections and a running UDP stream flow through isp3 within a generous bound
# (the stream's outage is measured). When wan1's upstream answers again, new connections go back to tier 1
# (wan1), while the TCP connections and UDP flows that were made on wan3 during the outage stay on wan3
# (pinned): they keep working, their packets pass isp3 and none reaches isp1. Finally all three go silent: no
# uplink is usable, the status and the log (a warning) say so, the group and the balance route are gone, and
# the per-uplink tables and rules (201..203) and the DHCP clients' default routes in main, the fallback, stay.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/echo.sh"

require_tools udp_stream conntrack perl

ECHO_PORT=8080         # long-lived connections (an echo server in inet)
SINK_PORT=80           # short connections (accepted and closed at once)
STREAM_PORT=5001       # the UDP stream
STREAM_FLOWS=4
HELD=4                 # long-lived connections made on wan3 during the outage
FLOWS=60               # new connections per batch
FAILOVER_BOUND_MS=8000 # generous: detection takes ≤ 1.5 s by design (docs/health.md); the machine is loaded

make_isp 1
make_isp 2
make_isp 3
make_lan
# Counters of our own in each ISP, ahead of its antispoof filter (priority -10), so that a packet that left by
# the wrong uplink is counted where it went, not only dropped: "traffic" is everything forwarded from the
# router that is not ICMP (the health probes are ICMP, so this is the LAN's traffic); "held" is the
# long-lived connections' packets; "stream" is the UDP stream's.
for n in 1 2 3; do
  in_ns "isp$n" nft -f - <<NFT
table ip tierstest {
  counter traffic { }
  counter held { }
  counter stream { }
  chain forward {
    type filter hook forward priority -20; policy accept;
    iifname "rtr" oifname "inet" meta l4proto != icmp counter name "traffic"
    iifname "rtr" oifname "inet" tcp dport $ECHO_PORT counter name "held"
    iifname "rtr" oifname "inet" udp dport $STREAM_PORT counter name "stream"
  }
}
NFT
done
test_counter() { # test_counter N traffic|held|stream — packets counted by our table in ispN
  in_ns "isp$1" nft list counter ip tierstest "$2" | grep -o 'packets [0-9]*' | cut -d' ' -f2
}
reset_all_counters() {
  local n
  for n in 1 2 3; do
    reset_isp_counters "$n"
    in_ns "isp$n" nft reset counters table ip tierstest >/dev/null
  done
}

CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG" 'multipath_hash_policy = "l4"'
for n in 1 2 3; do
  tier=1
  [ "$n" -eq 3 ] && tier=2
  add_uplink "$CONFIG" "$n" 1 "tier = $tier" "masquerade = true" "[uplink.health]" "targets = [\"$INET_ADDR\"]"
done
start_uplinkd router "$CONFIG"
start_event_log router all # every event from here on, for the order of wan3's changes below
event_log_sync router all wan1
for n in 1 2 3; do start_dhcpcd router "wan$n"; done
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
A3=$(uplink_address router wan3)

# new_connections — $FLOWS new TCP connections from the LAN host; sets CONNECTED, NEW1..NEW3 (new TCP
# connections each ISP forwarded) and TRAFFIC3 (LAN packets through isp3).
new_connections() {
  reset_all_counters
  CONNECTED=$(tcp_flows lan "$INET_ADDR" $SINK_PORT $FLOWS)
  NEW1=$(isp_counter 1 tcpflows) NEW2=$(isp_counter 2 tcpflows) NEW3=$(isp_counter 3 tcpflows)
  TRAFFIC3=$(test_counter 3 traffic)
  log "$FLOWS new connections: $CONNECTED connected; new via isp1=$NEW1 isp2=$NEW2 isp3=$NEW3; LAN packets via isp3: $TRAFFIC3"
  assert_ge "$CONNECTED" $((FLOWS * 95 / 100)) "LAN connections through the router"
}

start_tcp_sink inet $SINK_PORT
start_echo_server inet $ECHO_PORT

log "all three up: tier 1 balances, wan3 stands by"
wait_for --deadline 20 --what "every uplink's probes answered" healths_are router "wan1=up wan2=up wan3=up"
wait_for --deadline 10 --what "wan1, wan2 active and wan3 standby" states_are router "wan1=active wan2=active wan3=standby"
wait_for --deadline 5 --what "group of wan1 and wan2" has_members router 1:1 2:1
assert_eq "false" "$(uplink_field router wan3 in_group)" "wan3 in the group"
for n in 1 2 3; do wait_for --deadline 5 --what "wan$n's table and rule" uplink_table_ok router "$n"; done
MAIN_DEFAULTS=$(ip -n "$(ns router)" route show default)
log "main's default routes (the DHCP clients'): $(tr '\n' ';' <<<"$MAIN_DEFAULTS")"
assert_eq 3 "$(grep -c '^default via' <<<"$MAIN_DEFAULTS")" "default routes in main, one per DHCP client"
new_connections
assert_eq 0 "$NEW3" "new connections through the backup isp3 while tier 1 is up"
assert_eq 0 "$TRAFFIC3" "LAN packets through the backup isp3 while tier 1 is up"
assert_ge "$NEW1" 1 "new connections through isp1"
assert_ge "$NEW2" 1 "new connections through isp2"

log "wan1's upstream goes silent: wan2 is left in tier 1, wan3 still stands by"
blackhole_upstream 1
wait_for --deadline 15 --what "wan1 down, wan2 active, wan3 standby" states_are router "wan1=down wan2=active wan3=standby"
assert_contains "$(uplink_field router wan1 why)" "down: health" "why wan1 is down"
wait_for --deadline 5 --what "group of wan2 alone" has_members router 2:1
new_connections
assert_eq 0 "$NEW3" "new connections through the backup isp3 while wan2 is up"
assert_eq 0 "$TRAFFIC3" "LAN packets through the backup isp3 while wan2 is up"
assert_eq 0 "$NEW1" "new connections through the silent isp1"
assert_ge "$NEW2" $((FLOWS * 95 / 100)) "new connections through isp2"

log "a UDP stream from the LAN ($STREAM_FLOWS flows, 1 ms) while wan2 goes silent too"
start_stream lan lan inet "$INET_ADDR" $STREAM_PORT $STREAM_FLOWS
wait_for --deadline 5 --what "the stream passing isp2" eval '[ "$(test_counter 2 traffic)" -ge 100 ]'
events_before=$(wc -l <"$(event_log all)")
reset_all_counters
blackhole_upstream 2
t0=$(_h_now_usec)
# new_connection_via_isp3 — one new LAN connection succeeds, and isp3 forwarded it.
new_connection_via_isp3() {
  local before
  before=$(isp_counter 3 tcpflows)
  [ "$(tcp_flows lan "$INET_ADDR" "$SINK_PORT" 1 2)" == 1 ] && [ "$(isp_counter 3 tcpflows)" -gt "$before" ]
}
wait_for --deadline 15 --what "a new LAN connection through isp3" new_connection_via_isp3
log "a new connection went through isp3 $((($(_h_now_usec) - t0) / 1000)) ms after wan2 went silent (attempts of ≤ 2 s)"
wait_for --deadline 5 --what "wan1, wan2 down and wan3 active" states_are router "wan1=down wan2=down wan3=active"
wait_for --deadline 5 --what "group of wan3 alone" has_members router 3:1
assert_eq "true" "$(uplink_field router wan3 in_group)" "wan3 in the group"
new_connections
# At least: under load a retransmitted SYN can be counted as a new connection again.
assert_ge "$NEW3" "$CONNECTED" "new connections through isp3 while tier 1 is silent"
assert_eq "0 0" "$NEW1 $NEW2" "new connections through the silent isp1 and isp2"

log "$HELD long-lived connections made on wan3 during the outage"
start_echo_holder lan held $HELD "$INET_ADDR" $ECHO_PORT
assert_eq $HELD "$(held_count_nated_to router held "$A3")" "held connections masqueraded to wan3's address ($A3)"
assert_eq $HELD "$(echo_all held)" "held connections echoing through wan3"

log "wan1's upstream answers again: new connections go back to tier 1, wan3's connections stay on wan3"
restore_upstream 1
wait_for --deadline 15 --what "wan1 active, wan2 down, wan3 standby" states_are router "wan1=active wan2=down wan3=standby"
wait_for --deadline 5 --what "group of wan1 alone" has_members router 1:1
new_connections
assert_eq 0 "$NEW3" "new connections through isp3 once wan1 is back"
assert_ge "$NEW1" $((FLOWS * 95 / 100)) "new connections through isp1 once it is back"
reset_all_counters
assert_eq $HELD "$(echo_all held)" "held connections echoing after the hand-back"
assert_ge "$(test_counter 3 held)" $HELD "the held connections' packets through isp3 after the hand-back"
assert_eq 0 "$(test_counter 1 held)" "the held connections' packets through isp1 after the hand-back"
assert_eq $HELD "$(held_count_nated_to router held "$A3")" "held connections still masqueraded to wan3's address"

# The stream: each flow went by isp2, then (after one outage) by isp3, and stayed there through the hand-back.
# The stream's own counter: the last ACKs of the connections just made through isp1 may still pass it.
reset_all_counters
wait_for --deadline 5 --what "the stream passing isp3 after the hand-back" eval '[ "$(test_counter 3 stream)" -ge 100 ]'
assert_eq 0 "$(test_counter 1 stream)" "the stream's packets through isp1 after the hand-back"
stop_stream lan
log "stream: $(stream_summary lan | tr '\n' ';')"
assert_eq $STREAM_FLOWS "$(stream_report lan | jq '.flows | length')" "flows received"
assert_eq "$(for ((i = 0; i < STREAM_FLOWS; i++)); do echo "$(isp_inet_addr 2) $(isp_inet_addr 3)"; done)" \
  "$(stream_report lan | jq -r '.flows[] | [.paths[].from] | join(" ")')" "each flow's paths (isp2, then isp3 for good)"
worst=$(stream_report lan | jq '[.flows[].max_gap_ms] | max | floor')
log "the stream's longest outage: $worst ms (wan2 silent → wan3 carries it)"
assert_le "$worst" $FAILOVER_BOUND_MS "the stream's longest outage (ms)"

# wan3's own changes while this happened, in order, from the event stream.
wan3_changes=$(tail -n +$((events_before + 1)) "$(event_log all)" |
  jq -r 'select(.event == "uplink" and .uplink == "wan3") | "\(.from)->\(.to)"' | tr '\n' ' ')
assert_eq "standby->active active->standby " "$wan3_changes" "wan3's state changes (uplinkctl events)"

log "every upstream goes silent: no uplink is usable"
log_before=$(wc -l <"$(uplinkd_log router)")
blackhole_upstream 1
blackhole_upstream 3
wait_for --deadline 20 --what "all three down" states_are router "wan1=down wan2=down wan3=down"
status=$(status_json router)
assert_eq 0 "$(jq .active <<<"$status")" "active uplinks"
assert_contains "$(jq -r '.notes[]' <<<"$status")" "no uplink is usable" "the status's notes"
assert_contains "$(uplinkctl_in router status)" "no uplink is usable" "uplinkctl status"
assert_eq "" "$(group_members router)" "members of the balanced group"
assert_eq "" "$(ip -n "$(ns router)" route show table "$BALANCE_TABLE")" "routes in the balance table"
# The uplinks' own tables and source rules stay: the probes (and replies) still leave by their uplink.
for n in 1 2 3; do
  uplink_table_ok router "$n" || fail "wan$n's table or rule is gone: $(ip -n "$(ns router)" route show table $((200 + n))); rules: $(ip -n "$(ns router)" rule show priority 20100 | tr '\n' ';'); wan$n: $(address_of router "wan$n")"
done
assert_eq "$MAIN_DEFAULTS" "$(ip -n "$(ns router)" route show default)" "main's default routes (the fallback)"
# Only lines logged since every upstream went silent count: the daemon said the same at start, before DHCP.
warnings_since() { tail -n +$((log_before + 1)) "$(uplinkd_log router)" | grep -E ' warn(ing)? .*no uplink is usable'; }
wait_for --deadline 5 --what "a warning in uplinkd's log" warnings_since
log "log: $(warnings_since | tail -n1)"
assert_converged router

pass
