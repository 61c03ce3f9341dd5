#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dhcpcd on two, then three DHCP uplinks, first without any hook: uplinkd learns every gateway from the
# default routes dhcpcd installs (one per interface, with its own metric) through netlink alone. Then with
# uplinkd's dhcpcd hook: the gateways come from the hook too. In between, the router forwards and
# masquerades a LAN host's connections over all three uplinks by weight.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

setup_three_isps
uplinks_come_up start_dhcpcd   # no hook: dhcpcd runs a no-op script
for uplink in wan1 wan2 wan3; do
  assert_eq "$(uplink_field router "$uplink" gateway_source)" route "$uplink's gateway is learned from its route"
done

lan_flows_follow_weights

log "with uplinkd's dhcpcd hook"
runner=$(dhcpcd_hook_runner)
stop_dhcp_client router wan3
start_dhcpcd router wan3 "$runner"
wait_for --deadline 10 --what "wan3's gateway reported by the hook" \
  eval '[ "$(uplink_field router wan3 gateway_source)" == dhcp-hook ]'
wait_for --deadline 5 has_members router 1:1 2:3 3:2
assert_no_duplicates router
pass
