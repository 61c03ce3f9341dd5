#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A renew that brings a new address and a new gateway moves everything of that uplink — its source rule, its
# table's connected and default routes, its nexthop — within one second of the new address appearing, and
# leaves nothing of the old lease behind. One uplink per client: dhclient (with the hook; restarted, so it
# asks for its old address, is NAKed and binds a new one), dhcpcd (no hook; restarted: it releases, then binds
# a new lease — its SIGUSR1 renew ignores the server's broadcast NAK here, waiting for T2) and udhcpc (our
# script; SIGUSR1 renews, is NAKed, binds a new lease). Each ISP renumbers first: new range, new router.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

export UPLINKD_SOCKET=$H_TMP/uplinkd.sock
setup_three_isps
install_dhclient_hook router
udhcpc_script=$(hook_script udhcpc-script)
start_dhclient router wan1
start_dhcpcd router wan2
start_udhcpc router wan3 "$udhcpc_script"
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
wait_for --deadline 10 --what "all three uplinks in the group" has_members router 1:1 2:3 3:2

# renumbered N OLD — wanN has an address from the new range (.200–.250), not OLD.
renumbered() {
  local address
  address=$(address_of router "wan$1")
  [ -n "$address" ] && [ "$address" != "$2" ] && [ "$(cut -d. -f4 <<<"${address%/*}")" -ge 200 ]
}

# moved N OLD — everything of wanN follows its new lease, and nothing of OLD is left.
moved() {
  uplink_table_ok router "$1" || return 1
  has_members router 1:1 2:3 3:2 || return 1
  ! ip -n "$(ns router)" rule | grep -q "from ${2%/*} " || return 1
  ! ip -n "$(ns router)" route show table $((200 + $1)) | grep -q "src ${2%/*}" || return 1
}

renew() {
  local n=$1 trigger=$2 old t0 ms
  old=$(address_of router "wan$n")
  in_ns "isp$n" ip addr add "100.64.$n.2/24" dev rtr
  start_dnsmasq "$n" --range "100.64.$n.200,100.64.$n.250" --router "100.64.$n.2"
  H_ISP_ADDR[$n]=100.64.$n.2
  $trigger
  wait_for --deadline 30 --what "wan$n renumbered into 100.64.$n.200-250" renumbered "$n" "$old"
  t0=$(_h_now_usec)
  wait_for --deadline 1 --what "everything of wan$n moved to its new lease within 1 s" moved "$n" "$old"
  ms=$((($(_h_now_usec) - t0) / 1000))
  t0=$(_h_now_usec)
  moved "$n" "$old"
  log "wan$n: $old -> $(address_of router "wan$n") via 100.64.$n.2: seen moved ${ms} ms after the address" \
    "(one check takes $((($(_h_now_usec) - t0) / 1000)) ms; bench/ measures the daemon itself)"
}

renew 1 "eval stop_dhcp_client router wan1; start_dhclient router wan1"
renew 2 "eval stop_dhcp_client router wan2; start_dhcpcd router wan2"
renew 3 "kill -USR1 $(dhcp_client_pid router wan3)"
assert_eq "$(uplink_field router wan1 gateway_source)" dhcp-hook "wan1's new gateway came by the hook"
assert_eq "$(uplink_field router wan2 gateway_source)" route "wan2's new gateway was learned from its route"
assert_no_duplicates router
assert_converged router
pass
