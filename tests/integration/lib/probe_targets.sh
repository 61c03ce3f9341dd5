# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Health targets with a round-trip time and a loss of the test's choosing, and uplinks with a static address
# that probe them: what adaptive probe timing is measured against (adaptive_health_test.sh,
# false_alarm_test.sh). Source after uplinkd_test.sh:
#
#   source "$(dirname "$0")/lib/uplinkd_test.sh"
#   source "$(dirname "$0")/lib/probe_targets.sh"
#
# The kernel of the test machines has no netem (CONFIG_NET_SCH_NETEM is not set), so delay comes from
# tools/delayed_echo.py answering the pings late; loss comes from nft in the ISP (numgen random), per packet
# and independent, as netem's `loss random` would be.

[ -n "${_H_PROBE_TARGETS_SH:-}" ] && return 0
_H_PROBE_TARGETS_SH=1

# delayed_target ADDRESS DELAY_MS — ADDRESS on the internet host, answering pings DELAY_MS late (and only so:
# the namespace's own echo replies are off). Waits until it answers.
delayed_target() {
  local address=$1 delay=$2 log=$H_TMP/delayed-echo-$1.log
  make_inet
  sysctl_ns inet net.ipv4.icmp_echo_ignore_all=1
  ip -n "$(ns inet)" addr add "$address/32" dev lo
  spawn "delayed echo($address, $delay ms)" "$log" in_ns inet python3 \
    "$H_REPO_ROOT/tests/integration/tools/delayed_echo.py" "$address" "$delay"
  wait_for --deadline 10 --what "the delayed echo of $address ready" grep -q '^ready' "$log"
}

# static_uplink N — ispN without DHCP, the router's wanN at 100.64.N.10/24: the uplink's config names its
# gateway (`gateway = "$(isp_gw N)"`), so the test needs no DHCP client.
static_uplink() {
  make_isp "$1" --no-dhcp
  ip -n "$(ns router)" addr add "100.64.$1.10/24" dev "wan$1"
}

# lose_upstream N PERCENT — ispN drops PERCENT % of what the router sends it, at random per packet.
lose_upstream() {
  in_ns "isp$1" nft -f - <<NFT || fail "lose_upstream $1 $2"
table ip lossy {
  chain forward {
    type filter hook forward priority 10; policy accept;
    iifname "rtr" numgen random mod 100 < $2 drop
  }
}
NFT
}

# timeout_ms ROLE UPLINK — how long the uplink's rounds wait now (status: health.timeout_ms).
timeout_ms() { status_json "$1" | jq -r --arg u "$2" '.uplinks[] | select(.name == $u) | .health.timeout_ms'; }
