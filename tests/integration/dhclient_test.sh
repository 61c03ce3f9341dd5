#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dhclient with uplinkd's exit hook on two, then three DHCP uplinks served by real dnsmasq ISPs. dhclient
# installs only the first default route (the others collide in main), so the other gateways are known
# through the hook alone.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

setup_three_isps
install_dhclient_hook router
uplinks_come_up start_dhclient
# Which client's route lands in main depends on which lease comes first; every other uplink's gateway can only
# have come from the hook.
in_main=$(in_ns router ip route show default | grep -o 'dev wan[123]' | cut -d' ' -f2 || true)
assert_eq 1 "$(grep -c . <<<"$in_main" || true)" "dhclient default routes in main (the others collide): $in_main"
for uplink in wan1 wan2 wan3; do
  [ "$uplink" == "$in_main" ] && continue
  assert_eq dhcp-hook "$(uplink_field router "$uplink" gateway_source)" "$uplink's gateway comes from the hook"
done
pass
