# shellcheck shell=bash
# Scenarios that several integration tests run with different DHCP clients. Source after uplinkd_checks.sh.

# setup_three_isps [TOP-LEVEL CONFIG LINES...] — isp1..3 with dnsmasq, and a config ($H_TMP/uplinkd.toml) for
# wan1..3 with weights 1, 3, 2 and L4 hashing; uplinkd is started in the router.
setup_three_isps() {
  make_isp 1
  make_isp 2
  make_isp 3
  CONFIG=$H_TMP/uplinkd.toml
  write_config "$CONFIG" 'multipath_hash_policy = "l4"' "$@"
  add_uplink "$CONFIG" 1 1
  add_uplink "$CONFIG" 2 3
  add_uplink "$CONFIG" 3 2
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
