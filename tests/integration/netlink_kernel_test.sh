#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# NetlinkKernel and Monitor against the real kernel, inside a namespace of this test's own: nexthops, a group,
# a route via nhid in table 200 and a rule with protocol 117 are added, the group's weights replaced, the owned
# dump compared with `ip`, everything removed twice (the second time must not fail), foreign objects never
# returned, a refused change reported by its own description, and a monitor overrun survived.
set -euo pipefail

CHECK=${NETLINK_KERNEL_CHECK:-$PWD/tools/netlink_kernel_check}
[[ -x $CHECK ]] || { echo "netlink_kernel_check not found at $CHECK (set NETLINK_KERNEL_CHECK)" >&2; exit 1; }
[[ $EUID -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 1; }

NS="ulk-nl-$$-$RANDOM"
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }

# Refuse to touch anything unless we really are in a namespace other than the machine's own. Reading
# /proc/1/ns/net may be denied; 4026531833 (0xEFFFFFF9) is the fixed proc inode of the initial namespace.
init_inode=$(stat -L -c %i /proc/1/ns/net 2>/dev/null || echo 4026531833)
ns_inode=$(in_ns stat -L -c %i /proc/self/ns/net)
if [[ -z $ns_inode || $ns_inode == "$init_inode" || $ns_inode == 4026531833 ]]; then
  echo "refusing: not inside a separate network namespace" >&2
  exit 1
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
# Whether `ip ARGS` prints a line matching PATTERN. (ip's output is read whole first: with pipefail,
# `ip ... | grep -q` fails at random when grep exits before ip has written everything.)
ip_has() {
  local pattern=$1 out
  shift
  out=$(in_ns ip "$@")
  grep -q -- "$pattern" <<<"$out"
}
pass() { echo "ok: $*"; }

in_ns ip link set lo up
# A veth pair, not a dummy: the dummy module is not available everywhere.
in_ns ip link add uplink0 type veth peer name uplink0-peer
in_ns ip link set uplink0-peer up
in_ns ip link set uplink0 up
in_ns ip addr add 10.99.0.10/24 dev uplink0

# Foreign objects: another protocol, an unowned nexthop id, a rule in our range without our protocol.
in_ns ip route add 10.98.0.0/24 via 10.99.0.1 table 200 proto static
in_ns ip nexthop add id 42 via 10.99.0.1 dev uplink0
in_ns ip rule add priority 20200 from 10.99.0.11 table 200
in_ns ip rule add priority 30000 from 10.99.0.12 table 200 proto 117

in_ns "$CHECK" setup uplink0 || fail "setup"
pass "setup applied in one batch"

compare_with_ip() {
  local dump=$1
  local ids group route rule
  # Every owned nexthop, group membership and weights as ip prints them.
  ids=$(in_ns ip -d nexthop show | awk '$2 >= 1962934272 && $2 <= 1979711487 {print $2}' | sort)
  [[ $(grep '^nexthop' <<<"$dump" | awk '{print $3}' | sort) == "$ids" ]] || fail "nexthop ids differ: $ids"
  group=$(in_ns ip -d nexthop show id 1978662912 | grep -o 'group [^ ]*')
  grep -q "id 1978662912 $group proto 117" <<<"$dump" || fail "group differs from ip's: $group"
  # Routes: the same set as ip's, across all tables, protocol 117 only.
  # (-d prints the nexthop object on an indented continuation line.)
  route=$( (in_ns ip -d -4 route show table all proto 117; in_ns ip -d -6 route show table all proto 117) |
    grep -c '^[^[:space:]]' || true)
  [[ $(grep -c '^route' <<<"$dump") == "$route" ]] || fail "route count differs from ip's ($route)"
  ip_has '^unicast default nhid 1978662912' -d route show table 200 proto 117 || fail "ip lacks the nhid route"
  grep -q '^route default nhid 1978662912 table 200 proto 117$' <<<"$dump" || fail "dump lacks the nhid route"
  rule=$(in_ns ip -N -d rule show | grep -c 'proto 117' || true)
  [[ $(grep -c '^rule' <<<"$dump") == $((rule - 1)) ]] || fail "rule count differs from ip's"
  ip_has '^20100:.*from 10.99.0.10 lookup 200 proto 117' -N rule show || fail "ip lacks the rule"
  grep -q '^rule 20100: from 10.99.0.10/32 lookup 200 proto 117$' <<<"$dump" || fail "dump lacks the rule"
  ! grep -Eq '10\.98\.0\.0|^rule 20200|^rule 30000|id 42 ' <<<"$dump" || fail "dump_owned returned a foreign object"
}

dump=$(in_ns "$CHECK" dump) || fail "dump: $dump"
echo "$dump"
compare_with_ip "$dump"
grep -q 'group 1962934273/1962934274,3 proto 117' <<<"$dump" || fail "weights 1/3 not in the dump"
pass "dump_owned matches ip and leaves foreign objects out"

in_ns "$CHECK" replace-group || fail "replace the group"
dump=$(in_ns "$CHECK" dump) || fail "dump: $dump"
compare_with_ip "$dump"
grep -q 'group 1962934273,5/1962934274,2 proto 117' <<<"$dump" || fail "replaced weights 5/2 not in the dump"
ip_has 'group 1962934273,5/1962934274,2' nexthop show id 1978662912 || fail "ip shows other weights"
pass "group weights replaced in place"

in_ns "$CHECK" re-add-rule || fail "adding an existing rule must succeed"
pass "adding an existing rule is not an error"

in_ns "$CHECK" errors uplink0 || fail "error mapping"
pass "a refused change is reported by its own description"

in_ns "$CHECK" remove uplink0 || fail "remove"
dump=$(in_ns "$CHECK" dump) || fail "dump: $dump"
[[ -z $dump ]] || fail "objects left after remove: $dump"
in_ns "$CHECK" remove uplink0 || fail "removing again must succeed"
pass "remove is idempotent"

ip_has '10.98.0.0/24' route show table 200 || fail "the foreign route was touched"
in_ns ip nexthop show id 42 >/dev/null || fail "the foreign nexthop was touched"
ip_has '^20200:' rule show || fail "the foreign rule was touched"
pass "foreign objects untouched"

in_ns "$CHECK" burst uplink0 2000 || fail "monitor overrun"
pass "monitor reports an overrun and keeps working"
echo "netlink_kernel_test: all passed"
