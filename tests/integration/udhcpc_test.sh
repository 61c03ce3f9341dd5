#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# busybox udhcpc with uplinkd's udhcpc script (hooks/udhcpc-script.in, which configures the interface as
# busybox's default script does and then calls `uplinkctl hook`) on two, then three DHCP uplinks.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

export UPLINKD_SOCKET=$H_TMP/uplinkd.sock   # udhcpc passes its environment on to the script
setup_three_isps
script=$(hook_script udhcpc-script)
start_udhcpc_with_hook() { start_udhcpc "$1" "$2" "$script"; }
uplinks_come_up start_udhcpc_with_hook
for uplink in wan1 wan2 wan3; do
  assert_eq "$(uplink_field router "$uplink" gateway_source)" dhcp-hook "$uplink's gateway comes from the hook"
done
pass
