# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# uplinkd-specific helpers for integration tests: configs, status queries and checks of the kernel objects
# uplinkd owns (see src/plan/ownership.hpp). Source after netns.sh.

UPLINKD_PROTO=117
NH_BASE=$((0x75000000))
GROUP_FLOW=$((0x75f00000))
GROUP_RESILIENT=$((0x75f00010))
BALANCE_TABLE=1000

# uplink_nh TABLE — the nexthop id uplinkd gives the uplink whose table is TABLE.
uplink_nh() { echo $((NH_BASE + $1)); }

# write_config FILE [TOP-LEVEL LINES...] — a config whose socket, rt_tables and state file live in $H_TMP;
# append [[uplink]] sections with add_uplink.
write_config() {
  local file=$1
  shift
  {
    echo "socket = \"$H_TMP/uplinkd.sock\""
    echo "rt_tables = \"$H_TMP/rt_tables.d/uplinkd.conf\""
    echo "state_file = \"$H_TMP/state.json\""
    local line
    for line in "$@"; do echo "$line"; done
  } >"$file"
}

# add_uplink FILE N WEIGHT [MORE LINES...] — uplink wanN with table 200+N.
add_uplink() {
  local file=$1 n=$2 weight=$3
  shift 3
  {
    echo ""
    echo "[[uplink]]"
    echo "interface = \"wan$n\""
    echo "table = $((200 + n))"
    echo "weight = $weight"
    local line
    for line in "$@"; do echo "$line"; done
  } >>"$file"
}

# status_json ROLE — `uplinkctl status --json`.
status_json() { uplinkctl_in "$1" status --json; }

# status_settled ROLE — the status without the counters that move on their own (bytes and packets through each
# uplink, probes sent and lost): what "the status stays as it was" compares.
status_settled() { status_json "$1" | jq 'del(.. | objects | .traffic, .probes_sent, .probes_lost)'; }

# uplink_field ROLE UPLINK FIELD — one field of one uplink in the status.
uplink_field() { status_json "$1" | jq -r --arg u "$2" --arg f "$3" '.uplinks[] | select(.name == $u) | .[$f]'; }

# group_members ROLE — "id,weight" of each member of the balanced group (sorted), empty if there is none.
group_members() {
  ip -n "$(_h_ns "$1")" -j nexthop show 2>/dev/null |
    jq -r --argjson a $GROUP_FLOW --argjson b $GROUP_RESILIENT \
      '.[] | select(.id == $a or .id == $b) | .group[]? | "\(.id),\(.weight // 1)"' | sort
}

# expected_members N:WEIGHT... — what group_members prints when exactly these uplinks are in the group.
expected_members() {
  local spec
  for spec in "$@"; do echo "$(uplink_nh $((200 + ${spec%%:*}))),${spec#*:}"; done | sort
}

# has_members ROLE N:WEIGHT... — true when the group holds exactly these uplinks with these weights.
has_members() {
  local role=$1
  shift
  [ "$(group_members "$role")" == "$(expected_members "$@")" ]
}

# uplink_table_ok ROLE N — uplink wanN's own table and source rule are in place for its current address.
# (Read-only queries use `ip -n`, much cheaper than `ip netns exec`, so that polls stay fine-grained.)
uplink_table_ok() {
  local role=$1 n=$2 table=$((200 + $2)) address netns
  netns=$(_h_ns "$role")
  address=$(address_of "$role" "wan$n") || return 1
  [ -n "$address" ] || return 1
  ip -N -n "$netns" rule show priority 20100 | grep -q "from ${address%/*} lookup $table proto $UPLINKD_PROTO" || return 1
  ip -N -n "$netns" route show table "$table" |
    grep -q "^default nhid $(uplink_nh "$table") via $(isp_gw_of "$role" "$n") dev wan$n" || return 1
}

# isp_gw_of ROLE N — the gateway uplinkd should use for wanN: the ISP's address (the harness's router option).
isp_gw_of() { echo "${H_ISP_ADDR[$2]:-$(isp_gw "$2")}"; }

# assert_no_duplicates ROLE — no rule, route or nexthop of uplinkd's appears twice.
assert_no_duplicates() {
  local role=$1 dups
  dups=$(in_ns "$role" ip -N rule | grep "proto $UPLINKD_PROTO" | sort | uniq -d)
  [ -z "$dups" ] || fail "duplicate rules: $dups"
  dups=$(in_ns "$role" ip -N route show table all proto $UPLINKD_PROTO | sort | uniq -d)
  [ -z "$dups" ] || fail "duplicate routes: $dups"
}

# owned_objects ROLE — everything uplinkd owns in ROLE, normalized, for before/after comparisons.
owned_objects() {
  in_ns "$1" ip -N rule | grep "proto $UPLINKD_PROTO" | sort
  in_ns "$1" ip -N route show table all proto $UPLINKD_PROTO | sort
  # A resilient group reports how long it has been unbalanced: a clock, not state uplinkd owns.
  in_ns "$1" ip -N nexthop | grep "proto $UPLINKD_PROTO" | sed 's/ unbalanced_time [0-9.]*//' | sort
  # Sticky sources count down their time (a clock too), and traffic may add one at any moment.
  # A process that did not write a chain itself replaces it once (src/apply/nft_diff.hpp: after a restart), and
  # the kernel lists chains in the order they were made: the same chains in another order are the same table.
  in_ns "$1" nft list table inet uplinkd 2>/dev/null | sed -e '/elements = {.*}$/d' -e '/elements = {/,/}$/d' |
    awk '/^\t(chain|map|set) / { block = $0; next } block != "" { block = block "\a" $0; if ($0 == "\t}") { print block; block = "" }; next } { print }' |
    sort | tr '\a' '\n' || true
  # MPTCP endpoints with uplinkd's ids (200-255; src/plan/mptcp_endpoints.hpp), none without mptcp = true.
  mptcp_endpoints "$1" | awk '$1 >= 200' || true
}

# mptcp_endpoints ROLE — the MPTCP endpoints in ROLE, one "ID ADDRESS FLAGS DEV" line each, by id
# ("255 100.64.1.10 subflow,backup wan1"; DEV "-" when none).
mptcp_endpoints() {
  ip -n "$(_h_ns "$1")" -j mptcp endpoint show 2>/dev/null | jq -r 'sort_by(.id) | .[] |
    "\(.id) \(.address) \([(if .signal then "signal" else empty end), (if .subflow then "subflow" else empty end),
    (if .backup then "backup" else empty end), (if .fullmesh then "fullmesh" else empty end)] | join(",")) \(.dev // "-")"'
}

# mptcp_limits ROLE — "subflows N add_addr_accepted M" (`ip -j mptcp limits` prints no JSON in iproute2 6.1).
mptcp_limits() {
  ip -n "$(_h_ns "$1")" mptcp limits show |
    awk '{ for (i = 1; i < NF; i += 2) v[$i] = $(i + 1); printf "subflows %d add_addr_accepted %d\n", v["subflows"], v["add_addr_accepted"] }'
}

# assert_converged ROLE — the kernel holds what uplinkd plans: its last apply succeeded, and asking it to
# apply again (a reload of the same config) finds nothing to do and leaves every owned object as it was.
assert_converged() {
  local role=$1 before after
  [ "$(status_json "$role" | jq -r .converged)" == true ] || fail "uplinkd in $role is not converged: $(status_json "$role" | jq -c .errors)"
  before=$(owned_objects "$role")
  uplinkctl_in "$role" reload >/dev/null || fail "reload failed"
  after=$(owned_objects "$role")
  [ "$before" == "$after" ] || fail "a reload with nothing new changed the kernel: $(diff <(echo "$before") <(echo "$after"))"
}

# hash_split ROLE DST COUNT — route COUNT TCP flows (distinct source ports) to DST with `ip route get` and
# print "wanN=COUNT" per uplink the kernel chose.
hash_split() {
  local role=$1 dst=$2 count=$3
  local p
  for ((p = 10000; p < 10000 + count; p++)); do echo "route get $dst ipproto tcp sport $p dport 443"; done |
    in_ns "$role" ip -batch - | grep -o 'dev [a-z0-9]*' | sort | uniq -c | awk '{print $3 "=" $1}' | tr '\n' ' '
}

# share_of SPLIT IFNAME — the count for IFNAME in a hash_split result (0 if absent).
share_of() { grep -o "$2=[0-9]*" <<<"$1" | cut -d= -f2 || echo 0; }

# hook_script NAME — hooks/NAME.in with @UPLINKCTL@ filled in with the uplinkctl under test, written to
# $H_TMP/NAME; prints its path. (The installed scripts call /usr/sbin/uplinkctl.)
hook_script() {
  local out=$H_TMP/$1
  sed "s|@UPLINKCTL@|$UPLINKCTL_BIN|g" "$H_REPO_ROOT/hooks/$1.in" >"$out"
  chmod 755 "$out"
  echo "$out"
}

# install_dhclient_hook ROLE — uplinkd's exit hook in ROLE's dhclient-exit-hooks.d, as `cmake --install` puts
# it in /etc/dhcp; dhclient hands its script a fixed environment, so the socket is exported by a hook
# sourced before it.
install_dhclient_hook() {
  add_dhclient_exit_hook "$1" uplinkd "$(hook_script dhclient-exit-hook)" UPLINKD_SOCKET="$H_TMP/uplinkd.sock"
}

# dhcpcd_hook_runner — a script for `dhcpcd -c` that does what dhcpcd-run-hooks does for uplinkd's hook:
# source it with dhcpcd's environment.
dhcpcd_hook_runner() {
  local hook runner=$H_TMP/dhcpcd-run-uplinkd-hook
  hook=$(hook_script dhcpcd-hook)
  printf '#!/bin/sh\nexport UPLINKD_SOCKET=%q\n. %q\n' "$H_TMP/uplinkd.sock" "$hook" >"$runner"
  chmod 755 "$runner"
  echo "$runner"
}
