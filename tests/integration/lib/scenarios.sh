# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Scenarios that several integration tests run with different DHCP clients. Source after uplinkd_checks.sh.

# setup_three_isps [TOP-LEVEL CONFIG LINES...] — isp1..3 with dnsmasq, and a config ($H_TMP/uplinkd.toml) for
# wan1..3 with weights 1, 3, 2, masquerade and L4 hashing; uplinkd is started in the router.
setup_three_isps() {
  make_isp 1
  make_isp 2
  make_isp 3
  CONFIG=$H_TMP/uplinkd.toml
  write_config "$CONFIG" 'multipath_hash_policy = "l4"' "$@"
  add_uplink "$CONFIG" 1 1 "masquerade = true"
  add_uplink "$CONFIG" 2 3 "masquerade = true"
  add_uplink "$CONFIG" 3 2 "masquerade = true"
  start_uplinkd router "$CONFIG"
}

# uplinks_come_up START_CLIENT — START_CLIENT ROLE IF starts a DHCP client. Two uplinks, then a third, come up:
# per-uplink tables, source rules and the weighted group appear; traffic from each uplink's address leaves by
# that uplink and no other; L4 hashing over many flows matches the weights (±5 % of the flows).
uplinks_come_up() {
  local start_client=$1 n address before after split
  log "two uplinks"
  "$start_client" router wan1
  "$start_client" router wan2
  wait_for_address router wan1 100.64.1.
  wait_for_address router wan2 100.64.2.
  wait_for --deadline 10 --what "group of wan1 (weight 1) and wan2 (weight 3)" has_members router 1:1 2:3
  wait_for --deadline 5 uplink_table_ok router 1
  wait_for --deadline 5 uplink_table_ok router 2

  for n in 1 2; do
    address=$(address_of router "wan$n")
    before=$(isp_counter "$n" up)
    after=$(isp_counter $((3 - n)) up)
    assert_ping router "${address%/*}" "$INET_ADDR"
    assert_ge $(($(isp_counter "$n" up) - before)) 1 "pings from wan$n's address leave by isp$n"
    assert_eq "$(isp_counter $((3 - n)) up)" "$after" "nothing from wan$n's address leaves by isp$((3 - n))"
  done

  split=$(hash_split router "$INET_ADDR" 2000)
  log "2000 flows: $split"
  assert_between "$(share_of "$split" wan1)" 400 600 "wan1 carries 1/4 of 2000 flows (±5 %)"
  assert_between "$(share_of "$split" wan2)" 1400 1600 "wan2 carries 3/4 of 2000 flows (±5 %)"

  log "a third uplink"
  "$start_client" router wan3
  wait_for_address router wan3 100.64.3.
  wait_for --deadline 10 --what "group of all three uplinks" has_members router 1:1 2:3 3:2
  wait_for --deadline 5 uplink_table_ok router 3
  split=$(hash_split router "$INET_ADDR" 3000)
  log "3000 flows: $split"
  assert_between "$(share_of "$split" wan1)" 350 650 "wan1 carries 1/6 of 3000 flows (±5 %)"
  assert_between "$(share_of "$split" wan2)" 1350 1650 "wan2 carries 1/2 of 3000 flows (±5 %)"
  assert_between "$(share_of "$split" wan3)" 850 1150 "wan3 carries 1/3 of 3000 flows (±5 %)"

  assert_no_duplicates router
  assert_converged router
}

# lan_flows_follow_weights — the router's job: COUNT new TCP connections from the LAN host to the internet
# host are forwarded, masqueraded by uplinkd's nftables table, over every uplink of the group in about the
# ratio of the weights (1:3:2; the bounds allow for the spread of 600 hashed flows).
lan_flows_follow_weights() {
  local count=600 connected f1 f2 f3
  make_lan
  start_tcp_sink inet 80
  for n in 1 2 3; do reset_isp_counters "$n"; done
  connected=$(tcp_flows lan "$INET_ADDR" 80 $count)
  assert_ge "$connected" $((count * 95 / 100)) "LAN connections through the masquerading router"
  # Counted as the ISPs' conntrack entries (they stay for TIME_WAIT's 120 s), not as SYNs: the sink accepts
  # slowly, and a SYN retransmitted before its answer is conntrack state new again (600 connections once
  # counted 871 SYNs, while the router's entries split 95/277/228 as the weights say).
  f1=$(_h_isp_connections 1 80) f2=$(_h_isp_connections 2 80) f3=$(_h_isp_connections 3 80)
  log "$count LAN connections: isp1=$f1 isp2=$f2 isp3=$f3 (weights 1:3:2)"
  assert_between "$f1" 60 140 "isp1 carries about 1/6 of the LAN's connections"
  assert_between "$f2" 240 360 "isp2 carries about 1/2 of the LAN's connections"
  assert_between "$f3" 140 260 "isp3 carries about 1/3 of the LAN's connections"
  # Read whole first: nft flushes each line, so under pipefail a `grep -q` that stops early would fail it.
  local table
  table=$(in_ns router nft list table inet uplinkd)
  grep -q 'oifname "wan2" masquerade' <<<"$table" || fail "no masquerade rule for wan2: $table"
}

# _h_isp_connections N PORT — TCP connections to PORT that ispN forwarded (its conntrack entries).
_h_isp_connections() { in_ns "isp$1" conntrack -L -p tcp --dport "$2" 2>/dev/null | grep -c . || true; }
