#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dhclient with uplinkd's exit hook on two, then three DHCP uplinks served by real dnsmasq ISPs. dhclient
# installs only the first default route (the second collides in main), so the other gateways are known
# through the hook alone.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

setup_three_isps
install_dhclient_hook router
uplinks_come_up start_dhclient
assert_eq "$(uplink_field router wan2 gateway_source)" dhcp-hook "wan2's gateway comes from the hook"
assert_eq "$(in_ns router ip route show default | grep -c 'dev wan2' || true)" 0 \
  "dhclient could not add wan2's default route to main"
pass
