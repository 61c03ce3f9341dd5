#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Traffic rules and exclusions (issue 4), in mode "connection" and again in mode "flow": rules work in every
# mode. Two masquerading DHCP uplinks, wan1 (weight 1) and wan2 (weight 2), behind them the inet host; behind
# the router the LAN host, a second LAN host (lan2) and a server (srv) reachable only by main's connected route.
#   exclude = [srv's prefix]
#   [[rule]] proto = "udp"  dport = 5060  uplinks = ["wan1"]                               # VoIP by one ISP
#   [[rule]] dst = "198.51.100.0/24"  proto = "tcp"  dport = "5000-5010"  uplinks = ["wan2"]
#   [[rule]] src = "<lan2>/32"  exclude = true
#  a. 50 UDP flows to port 5060 are all NATed to wan1's address, TCP connections to ports 5000, 5005 and
#     5010 of the inet host all to wan2's (conntrack in the router is the judge); traffic that misses a rule
#     by one key (UDP 5061, TCP 5011, TCP 5060, TCP 5005 to an address outside the rule's dst) and TCP to
#     to port 80 is split by weight.
#  b. excluded traffic is never marked and is routed by main: connections to the server connect (only main
#     can route them), the judge table's forward counters see no marked packet for it, and its conntrack
#     entries have mark 0; lan2's connections all leave by main's default route, their first packets unmarked,
#     ct mark 0. First match wins: lan2's UDP 5060 still goes by wan1 and its TCP 5005 by wan2.
#  c. a rule whose only uplink is unusable is skipped: connection mode cuts wan1's cable (carrier), flow mode
#     silences isp2 upstream (health); the rule's new traffic goes by the other uplink; once the uplink is
#     back, new traffic takes it again.
#  d. bad rules are refused by `uplinkd --check` with FILE:LINE:COL pointing at the culprit (an unknown uplink,
#     dport without proto or with icmp, exclude together with uplinks, bad prefixes, a reversed port range),
#     and a reload with one is refused and changes nothing.
#  e. `uplinkctl plan` shows uplinkd's nft table with the rules, and the kernel holds the same.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/rules.sh"

require_tools conntrack perl

OTHER_ADDR=203.0.113.1    # a second address of the inet host, outside the rule's dst 198.51.100.0/24
RULE_DST=198.51.100.0/24
MARK1=$(uplink_mark 1) MARK2=$(uplink_mark 2)
NEXT_SPORT=40000          # UDP source ports: each batch takes fresh ones, so that each flow is new to conntrack

make_isp 1
make_isp 2
make_lan
make_lan2
make_server
ip -n "$(ns inet)" addr add "$OTHER_ADDR/32" dev lo
install_mark_judge router
for port in 80 5000 5005 5010 5011 5060; do start_tcp_sink inet $port; done
start_tcp_sink srv 80
# DHCP first: the uplinks keep their leases while uplinkd is restarted in the other mode.
start_dhcpcd router wan1
start_dhcpcd router wan2
wait_for_address router wan1 100.64.1.
wait_for_address router wan2 100.64.2.

CONFIG=$H_TMP/uplinkd.toml
# A fast health profile (one target, the inet host), so that flow mode's silent upstream is found in well
# under a second; hold_down 0: each mode's failure is the first, but the test should not depend on that.
HEALTH=('[uplink.health]' "targets = [\"$INET_ADDR\"]" 'interval = 0.1' 'timeout = 0.15' 'down_after = 3'
  'up_after = 3' 'hold_down = 0')

# write_rules_config FILE MODE [TOP-LEVEL LINES...] — the config under test.
write_rules_config() {
  local file=$1 mode=$2
  shift 2
  write_config "$file" "mode = \"$mode\"" "exclude = [\"$SRV_PREFIX\"]" "$@"
  add_uplink "$file" 1 1 "masquerade = true" "${HEALTH[@]}"
  add_uplink "$file" 2 2 "masquerade = true" "${HEALTH[@]}"
  cat >>"$file" <<EOF

[[rule]]   # VoIP by one ISP
proto = "udp"
dport = 5060
uplinks = ["wan1"]

[[rule]]
dst = "$RULE_DST"
proto = "tcp"
dport = "5000-5010"
uplinks = ["wan2"]

[[rule]]   # the second LAN host is never balanced
src = "$LAN2_ADDR/32"
exclude = true
EOF
}

# udp_batch ROLE DST PORT COUNT — COUNT new UDP flows (fresh source ports) from ROLE to DST:PORT; waits for
# their conntrack entries in the router and sets NAT to udp_nat's lines ("SPORT NAT-ADDRESS MARK").
udp_batch() {
  local role=$1 dst=$2 port=$3 count=$4 src
  case $role in lan) src=$LAN_ADDR ;; lan2) src=$LAN2_ADDR ;; *) fail "udp_batch: role $role" ;; esac
  udp_flows "$role" "$dst" "$port" $NEXT_SPORT "$count"
  wait_for --deadline 5 --what "conntrack entries of $count UDP flows from $role to port $port" \
    _udp_all_tracked "$src" "$port" $NEXT_SPORT "$count"
  NAT=$(udp_nat router "$src" "$port" $NEXT_SPORT "$count")
  NEXT_SPORT=$((NEXT_SPORT + count))
}
_udp_all_tracked() { [ "$(count_field "$(udp_nat router "$1" "$2" "$3" "$4")" 2 -)" -eq 0 ]; }

# tcp_batch ROLE DST PORT COUNT — COUNT new TCP connections; all must connect. Sets NEW to the router's
# conntrack entries of this batch (tcp_entries' lines), and T1 and T2 to how many of them are NATed to wan1's
# and wan2's address. (The ISPs' counters of initial SYNs in ct state new are not exact: see tcp_entries.)
tcp_batch() {
  local role=$1 dst=$2 port=$3 count=$4 src before connected
  case $role in lan) src=$LAN_ADDR ;; lan2) src=$LAN2_ADDR ;; *) fail "tcp_batch: role $role" ;; esac
  before=$(tcp_entries router "$src" "$dst" "$port")
  connected=$(tcp_flows "$role" "$dst" "$port" "$count")
  assert_eq "$count" "$connected" "TCP connections from $role to $dst:$port that connected"
  NEW=$(comm -13 <(echo "$before") <(tcp_entries router "$src" "$dst" "$port") | grep . || true)
  assert_eq "$count" "$(line_count "$NEW")" "conntrack entries of the $count new connections from $role to $dst:$port"
  T1=$(count_field "$NEW" 2 "$A1") T2=$(count_field "$NEW" 2 "$A2")
}

# report WHAT TEXT... — log one measured figure, and keep it for the summary at the end.
SUMMARY=()
report() {
  log "  $1: ${*:2}"
  SUMMARY+=("$MODE: $1: ${*:2}")
}

# run_mode MODE FAILURE [reload] — start uplinkd in MODE with the config under test and check a–c and e; FAILURE is
# "carrier" (wan1's cable is cut: the UDP rule falls back) or "health" (isp2 goes silent upstream: the TCP
# rule falls back). With "reload", also check_bad_reload while the daemon runs.
run_mode() {
  MODE=$1
  local failure=$2 reload=${3:-} out hash=()
  log "===== mode $MODE"
  [ "$MODE" != flow ] || hash=('multipath_hash_policy = "l4"')   # flow mode: split flows, not host pairs
  write_rules_config "$CONFIG" "$MODE" "${hash[@]}"
  out=$(in_ns router "$UPLINKD_BIN" --check -c "$CONFIG" 2>&1) || fail "uplinkd --check of the $MODE config: $out"
  assert_contains "$out" "$CONFIG: OK, 2 uplinks, mode $MODE" "uplinkd --check of the $MODE config"
  in_ns router conntrack -F >/dev/null 2>&1 || true   # the other mode's entries (and marks) are gone
  start_uplinkd router "$CONFIG"
  wait_for --deadline 15 --what "wan1 and wan2 active" states_are router "wan1=active wan2=active"
  A1=$(uplink_address router wan1) A2=$(uplink_address router wan2)
  log "wan1 $A1 (mark $MARK1), wan2 $A2 (mark $MARK2)"

  check_plan
  [ -z "$reload" ] || check_bad_reload
  check_rule_traffic
  check_exclusions
  case $failure in
    carrier) check_fallback_carrier ;;
    health) check_fallback_health ;;
  esac
  check_first_match
  assert_converged router
  stop_uplinkd router
  assert_eq 0 "$(uplinkd_exit_status router)" "uplinkd's exit status after SIGTERM ($MODE)"
}

# e. The plan, and the kernel's table, hold the rules.
check_plan() {
  local plan kernel part
  log "e. uplinkctl plan shows the rules in uplinkd's nft table"
  plan=$(uplinkctl_in router plan) || fail "uplinkctl plan failed: $plan"
  kernel=$(in_ns router nft list table inet uplinkd 2>&1) || fail "no nft table inet uplinkd in $MODE mode: $kernel"
  for part in "table inet uplinkd" "dport 5060" "dport 5000-5010" "$RULE_DST" "$LAN2_ADDR" \
    "$SRV_PREFIX" "$MARK1" "$MARK2"; do
    assert_contains "$plan" "$part" "uplinkctl plan ($MODE)"
  done
  for part in "dport 5060" "dport 5000-5010" "$RULE_DST" "$LAN2_ADDR" "$SRV_PREFIX" "$MARK1" "$MARK2"; do
    assert_contains "$kernel" "$part" "nft list table inet uplinkd ($MODE)"
  done
  report "uplinkd's nft table in the plan" "$(grep -c $'^\tchain ' <<<"$plan") chains," \
    "$(grep $'^\t\t' <<<"$plan" | grep -vc '^\s*type ') rules"
}

# a. Rule traffic takes its uplink; traffic that misses a rule is split by weight (wan1 1 : wan2 2).
check_rule_traffic() {
  log "a. rule traffic takes its uplink, the rest is split by weight"
  udp_batch lan "$INET_ADDR" 5060 50
  report "UDP to 5060, 50 flows: NATed to" "$(tally "$NAT" 2) (wan1 $A1); ct marks $(tally "$NAT" 3)"
  assert_eq 50 "$(count_field "$NAT" 2 "$A1")" "UDP flows to port 5060 NATed to wan1 ($A1)"
  if [ "$MODE" == connection ]; then
    assert_eq 50 "$(count_field "$NAT" 3 "$MARK1")" "UDP flows to port 5060 with wan1's ct mark ($MARK1)"
  fi

  udp_batch lan "$INET_ADDR" 5061 50
  report "UDP to 5061, 50 flows: NATed to" "$(tally "$NAT" 2)"
  assert_between "$(count_field "$NAT" 2 "$A1")" 5 30 "UDP flows to 5061 via wan1 (expected 1/3 of 50)"
  assert_eq 50 $(($(count_field "$NAT" 2 "$A1") + $(count_field "$NAT" 2 "$A2"))) \
    "UDP flows to 5061 NATed to wan1 or wan2"

  local port
  for port in 5000 5005 5010; do
    tcp_batch lan "$INET_ADDR" $port 20
    report "TCP to inet:$port, 20 connections" "wan1 $T1, wan2 $T2"
    assert_eq "0 20" "$T1 $T2" "new TCP connections to $INET_ADDR:$port by wan1, wan2 (the rule: wan2)"
  done
  # One key off the rule: the port, the destination, the protocol.
  tcp_batch lan "$INET_ADDR" 5011 30
  report "TCP to inet:5011, 30 connections" "wan1 $T1, wan2 $T2"
  assert_ge "$T1" 1 "TCP connections to port 5011 by wan1 (no rule: split)"
  assert_eq 30 $((T1 + T2)) "TCP connections to port 5011 by wan1 or wan2"
  tcp_batch lan "$OTHER_ADDR" 5005 30
  report "TCP to $OTHER_ADDR:5005, 30 connections" "wan1 $T1, wan2 $T2"
  assert_ge "$T1" 1 "TCP connections to $OTHER_ADDR:5005 by wan1 (outside the rule's dst: split)"
  assert_eq 30 $((T1 + T2)) "TCP connections to $OTHER_ADDR:5005 by wan1 or wan2"
  tcp_batch lan "$INET_ADDR" 5060 30
  report "TCP to inet:5060, 30 connections" "wan1 $T1, wan2 $T2"
  assert_ge "$T2" 1 "TCP connections to port 5060 by wan2 (the VoIP rule is UDP only: split)"
  assert_eq 30 $((T1 + T2)) "TCP connections to port 5060 by wan1 or wan2"
  tcp_batch lan "$INET_ADDR" 80 90
  report "TCP to inet:80, 90 connections (weights 1:2)" "wan1 $T1, wan2 $T2"
  assert_between "$T1" 12 48 "TCP connections to port 80 by wan1 (expected 30 of 90)"
  assert_eq 90 $((T1 + T2)) "TCP connections to port 80 by wan1 or wan2"
}

# b. Excluded traffic: never marked, routed by main. First match wins.
check_exclusions() {
  local dev route
  log "b. excluded traffic is never marked and is routed by main"
  reset_judge router
  tcp_batch lan "$SRV_ADDR" 80 20   # all connect: only main's connected route leads to srv
  report "TCP to the excluded srv, 20 connections" "NATed to $(tally "$NEW" 2); ct marks $(tally "$NEW" 3);" \
    "forwarded packets $(judge router srv_all), marked $(judge router srv_marked)"
  assert_eq 20 "$(count_field "$NEW" 2 "$LAN_ADDR")" "connections to the excluded $SRV_PREFIX not NATed"
  assert_eq 20 "$(count_field "$NEW" 3 0x00000000)" "connections to the excluded $SRV_PREFIX with ct mark 0"
  assert_eq 0 "$(judge router srv_marked)" "marked packets to the excluded $SRV_PREFIX"
  assert_ge "$(judge router srv_all)" 40 "packets to the excluded $SRV_PREFIX that the judge saw"
  route=$(ip -n "$(ns router)" route get "$SRV_ADDR" from "$LAN_ADDR" iif lan0 ipproto tcp dport 80)
  assert_contains "$route" "dev srv0" "the route the router gives the excluded $SRV_ADDR"

  dev=$(main_default_dev router)
  [[ $dev =~ ^wan[12]$ ]] || fail "main's default route leaves by '$dev', not wan1 or wan2"
  reset_judge router
  tcp_batch lan2 "$INET_ADDR" 80 20
  # Packets after the first may carry the pin chain's mark (the uplink the connection was NATed to): that
  # keeps a connection where it is, and is reported, not judged, here.
  report "TCP from the excluded lan2 to inet:80, 20 connections (main's default: $dev)" \
    "wan1 $T1, wan2 $T2; ct marks $(tally "$NEW" 3); packets in ct state new $(judge router lan2_new)," \
    "marked $(judge router lan2_new_marked); all packets $(judge router lan2_all), marked $(judge router lan2_marked)"
  if [ "$dev" == wan1 ]; then
    assert_eq "20 0" "$T1 $T2" "lan2's connections by wan1, wan2 (main's default route is by wan1)"
  else
    assert_eq "0 20" "$T1 $T2" "lan2's connections by wan1, wan2 (main's default route is by wan2)"
  fi
  assert_eq 20 "$(count_field "$NEW" 3 0x00000000)" "lan2's connections with ct mark 0"
  # ≥: a retransmitted SYN is in ct state new too.
  assert_ge "$(judge router lan2_new)" 20 "packets of lan2's connections in ct state new that the judge saw"
  assert_eq 0 "$(judge router lan2_new_marked)" "packets of lan2's connections in ct state new that were marked"

}

# b, first match wins: the rules before the exclusion still apply to lan2.
check_first_match() {
  log "b. first match wins: the rules before the exclusion still apply to lan2"
  udp_batch lan2 "$INET_ADDR" 5060 10
  report "UDP from lan2 to 5060, 10 flows: NATed to" "$(tally "$NAT" 2); ct marks $(tally "$NAT" 3)"
  assert_eq 10 "$(count_field "$NAT" 2 "$A1")" "lan2's UDP flows to 5060 NATed to wan1 ($A1)"
  tcp_batch lan2 "$INET_ADDR" 5005 10
  report "TCP from lan2 to inet:5005, 10 connections" "wan1 $T1, wan2 $T2; ct marks $(tally "$NEW" 3)"
  assert_eq "0 10" "$T1 $T2" "lan2's TCP connections to port 5005 by wan1, wan2 (the rule: wan2)"
}

# c, by carrier: wan1's cable is cut; the VoIP rule (uplinks = ["wan1"]) is skipped and its flows go by wan2.
check_fallback_carrier() {
  log "c. wan1 loses its carrier: the VoIP rule falls back to wan2, and returns to wan1 with it"
  link_down isp1 rtr
  wait_for --deadline 5 --what "wan1 down" states_are router "wan1=down wan2=active"
  udp_batch lan "$INET_ADDR" 5060 20
  report "UDP to 5060 with wan1 down, 20 flows: NATed to" "$(tally "$NAT" 2)"
  assert_eq 20 "$(count_field "$NAT" 2 "$A2")" "UDP flows to 5060 NATed to wan2 ($A2) while wan1 is down"
  link_up isp1 rtr
  wait_for_address router wan1 100.64.1.
  wait_for --deadline 15 --what "wan1 active again" states_are router "wan1=active wan2=active"
  A1=$(uplink_address router wan1)
  udp_batch lan "$INET_ADDR" 5060 20
  report "UDP to 5060 after wan1's return, 20 flows: NATed to" "$(tally "$NAT" 2)"
  assert_eq 20 "$(count_field "$NAT" 2 "$A1")" "UDP flows to 5060 NATed to wan1 ($A1) after its return"
}

# c, by health: isp2 drops everything upstream; the TCP rule (uplinks = ["wan2"]) is skipped.
check_fallback_health() {
  log "c. isp2 goes silent upstream: the TCP rule falls back to wan1, and returns to wan2 with it"
  blackhole_upstream 2
  wait_for --deadline 5 --what "wan2 down" states_are router "wan1=active wan2=down"
  tcp_batch lan "$INET_ADDR" 5005 20
  report "TCP to inet:5005 with wan2 down, 20 connections" "wan1 $T1, wan2 $T2"
  assert_eq "20 0" "$T1 $T2" "TCP connections to port 5005 by wan1, wan2 while wan2 is down"
  restore_upstream 2
  wait_for --deadline 15 --what "wan2 active again" states_are router "wan1=active wan2=active"
  tcp_batch lan "$INET_ADDR" 5005 20
  report "TCP to inet:5005 after wan2's return, 20 connections" "wan1 $T1, wan2 $T2"
  assert_eq "0 20" "$T1 $T2" "TCP connections to port 5005 by wan1, wan2 after wan2's return"
}

# d. Bad rules: `uplinkd --check` names FILE:LINE:COL of the culprit.
# bad_rule WHAT EXPECTED-TEXT CULPRIT AT RULE-LINES... — the good config plus one [[rule]] of RULE-LINES; the
# message must point at the line CULPRIT (one of RULE-LINES), at the column where its part AT starts (the
# value, or the array item, that is wrong), and contain EXPECTED-TEXT. Sets BAD_FILE.
bad_rule() {
  local what=$1 expected=$2 culprit=$3 at=$4 file=$H_TMP/bad-$RANDOM.toml
  shift 4
  write_rules_config "$file" connection
  { echo ""; echo "[[rule]]"; printf '%s\n' "$@"; } >>"$file"
  expect_refusal "$what" "$expected" "$file" "$culprit" "$at"
  BAD_FILE=$file
}

# expect_refusal WHAT EXPECTED-TEXT FILE CULPRIT AT — `uplinkd --check -c FILE` fails with
# "FILE:LINE:COLUMN: …EXPECTED-TEXT…", LINE the last line of FILE that is CULPRIT, COLUMN where AT starts in it.
expect_refusal() {
  local what=$1 expected=$2 file=$3 culprit=$4 at=$5 line before column rc=0 err
  line=$(grep -n -x -F -- "$culprit" "$file" | tail -n1 | cut -d: -f1)
  [ -n "$line" ] || fail "expect_refusal ($what): the line '$culprit' is not in $file"
  before=${culprit%%"$at"*}
  [ "$before" != "$culprit" ] || fail "expect_refusal ($what): '$at' is not part of '$culprit'"
  column=$((${#before} + 1))
  err=$(in_ns router "$UPLINKD_BIN" --check -c "$file" 2>&1) || rc=$?
  assert_ne 0 "$rc" "uplinkd --check of a config with $what exits non-zero"
  [[ $err == "$file:$line:$column: "* ]] || fail "--check ($what): expected '$file:$line:$column: …', got: $err"
  assert_contains "$err" "$expected" "--check ($what)"
  log "  refused ($what): ${err#"$H_TMP"/}"
}

check_bad_rules() {
  local file=$H_TMP/bad-exclude.toml
  log "d. bad rules are refused by uplinkd --check"
  bad_rule "an unknown uplink" 'no uplink is named "wan9"' 'uplinks = ["wan1", "wan9"]' '"wan9"' \
    'proto = "udp"' 'dport = 5060' 'uplinks = ["wan1", "wan9"]'
  bad_rule "dport without proto" "dport needs a proto" "dport = 5060" 5060 \
    'dst = "198.51.100.0/24"' 'dport = 5060' 'uplinks = ["wan1"]'
  bad_rule "dport with proto icmp" 'dport needs proto "tcp", "udp"' "dport = 22" 22 \
    'proto = "icmp"' 'dport = 22' 'uplinks = ["wan1"]'
  bad_rule "exclude and uplinks" "exclude = true cannot also choose uplinks" "exclude = true" true \
    'src = "192.168.77.0/24"' 'exclude = true' 'uplinks = ["wan1"]'
  bad_rule "a bad dst prefix" '"198.51.100.300/24" is not a prefix' 'dst = "198.51.100.300/24"' '"' \
    'dst = "198.51.100.300/24"' 'uplinks = ["wan1"]'
  bad_rule "a src with host bits" '"192.168.77.10/24" has host bits set' 'src = "192.168.77.10/24"' '"' \
    'src = "192.168.77.10/24"' 'uplinks = ["wan2"]'
  bad_rule "a reversed port range" '"5010-5000" is not a port or a range' 'dport = "5010-5000"' '"' \
    'proto = "tcp"' 'dport = "5010-5000"' 'uplinks = ["wan2"]'
  # A bad prefix in the top-level exclude list: the message points at the item.
  write_rules_config "$file" connection
  sed -i "0,/^exclude = /s|^exclude = .*|exclude = [\"$SRV_PREFIX\", \"192.0.2.0/33\"]|" "$file"   # top level only
  expect_refusal "exclude 192.0.2.0/33" '"192.0.2.0/33" is not a prefix' "$file" \
    "exclude = [\"$SRV_PREFIX\", \"192.0.2.0/33\"]" '"192.0.2.0/33"'
}

# d, at run time: a reload with a bad rule is refused, the running config stays, no kernel object changes.
check_bad_reload() {
  local before err rc=0
  log "d. a reload with a bad rule is refused and changes nothing"
  before=$(owned_objects router)
  bad_rule "an unknown uplink (for reload)" 'no uplink is named "wan9"' 'uplinks = ["wan9"]' '"wan9"' \
    'proto = "udp"' 'uplinks = ["wan9"]'
  cp "$CONFIG" "$H_TMP/good.toml"
  cp "$BAD_FILE" "$CONFIG"
  err=$(uplinkctl_in router reload 2>&1 >/dev/null) || rc=$?
  cp "$H_TMP/good.toml" "$CONFIG"
  assert_ne 0 "$rc" "uplinkctl reload of a config with an unknown uplink in a rule exits non-zero"
  assert_contains "$err" 'no uplink is named "wan9"' "uplinkctl reload's refusal"
  assert_contains "$err" "the running config stays in force" "uplinkctl reload's refusal"
  assert_eq "$before" "$(owned_objects router)" "uplinkd's kernel objects after the refused reload"
}

check_bad_rules
run_mode connection carrier
run_mode flow health reload

log "measured:"
for line in "${SUMMARY[@]}"; do log "  $line"; done
pass
