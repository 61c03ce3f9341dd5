# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The router that the tests of uplinkd's HTTP endpoint ([web], issue 14 item 4) look at. Source after
# uplinkd_test.sh and failover.sh:
#
#   source "$(dirname "$0")/lib/uplinkd_test.sh"
#   source "$(dirname "$0")/lib/failover.sh"
#   source "$(dirname "$0")/lib/web.sh"

[ -n "${_H_WEB_SH:-}" ] && return 0
_H_WEB_SH=1

# start_web_router PORT HEALTH_LINE... — isp1 and isp2 by DHCP, both masquerading with the given
# [uplink.health] lines, and uplinkd in the router with [web] on 127.0.0.1:PORT; returns once both uplinks
# are active. Its config is $CONFIG.
start_web_router() {
  local port=$1
  shift
  make_isp 1
  make_isp 2
  CONFIG=$H_TMP/uplinkd.toml
  local top=()
  [ -n "${WEB_ROUTER_TOP:-}" ] && top=("$WEB_ROUTER_TOP") # a top-level setting, e.g. 'mptcp = true'
  write_config "$CONFIG" "${top[@]}" '[web]' "listen = \"127.0.0.1:$port\""
  add_uplink "$CONFIG" 1 1 "masquerade = true" "$@"
  add_uplink "$CONFIG" 2 1 "masquerade = true" "$@"
  start_uplinkd router "$CONFIG"
  two_uplinks_up
  wait_for --deadline 10 --what "both active" states_are router "wan1=active wan2=active"
}
