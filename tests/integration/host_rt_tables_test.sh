#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The integration tests on a machine where uplinkd is installed and has run: its
# /etc/iproute2/rt_tables.d/uplinkd.conf names tables 200-202 (uplinkd-d1 …) and the README's rt_protos.d
# line names protocol 117 "uplinkd", so plain `ip rule` / `ip route` / `ip nexthop` print "lookup uplinkd-d1
# proto uplinkd" where the tests expect "lookup 200 proto 117". The tests read ip's output with -N (numbers)
# or as JSON numbers; this test proves they still pass there.
#
# It never writes the machine's /etc: it re-runs itself in a mount namespace of its own (unshare -m,
# propagation private) and bind-mounts a temp copy of /etc/iproute2 with those two files over /etc/iproute2
# there only. First it checks that the copy is in force (a rule to table 200 with protocol 117, in a network
# namespace of its own, prints "lookup uplinkd-d1 proto uplinkd" without -N and "lookup 200 proto 117" with
# it: without that the test could not fail), then runs the integration tests that read rules, routes and
# nexthops (HOST_RT_TABLES_TESTS, space-separated names, overrides the list) and fails if any fails.
# About 3 minutes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS=${HOST_RT_TABLES_TESTS:-netlink_kernel_test rules_test tiers_test expire_test crash_test}

if [ -z "${_HOST_RT_TABLES_INNER:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "host_rt_tables_test: needs root (mount and network namespaces)" >&2; exit 1; }
  command -v unshare >/dev/null || { echo "host_rt_tables_test: unshare (util-linux) not found" >&2; exit 1; }
  _HOST_RT_TABLES_INNER=1 exec unshare -m --propagation private bash "${BASH_SOURCE[0]}" "$@"
fi

log() { echo "host_rt_tables_test: $*"; }
fail() { echo "FAIL: host_rt_tables_test: $*" >&2; exit 1; }

# The same guard as the harness's: the bind mount below must never land in the machine's mount namespace.
[ "$(stat -L -c %i /proc/self/ns/mnt)" != "$(stat -L -c %i /proc/1/ns/mnt 2>/dev/null || echo none)" ] ||
  fail "refusing: not in a mount namespace of its own"

ETC_COPY=$(mktemp -d /tmp/uplinkd-it-rt.XXXXXX)
trap 'umount /etc/iproute2 2>/dev/null || true; rm -rf -- "$ETC_COPY"' EXIT
cp -a /etc/iproute2 "$ETC_COPY/iproute2"
mkdir -p "$ETC_COPY/iproute2/rt_tables.d" "$ETC_COPY/iproute2/rt_protos.d"
# What uplinkd writes for three uplinks named d1..d3 (src/config/rt_tables.cpp), and the README's line.
printf '%s\n' "200 uplinkd-d1 # uplinkd" "201 uplinkd-d2 # uplinkd" "202 uplinkd-d3 # uplinkd" \
  >"$ETC_COPY/iproute2/rt_tables.d/uplinkd.conf"
echo "117 uplinkd" >"$ETC_COPY/iproute2/rt_protos.d/uplinkd.conf"
mount --bind "$ETC_COPY/iproute2" /etc/iproute2

# The names are in force: the same rule, route and nexthop read with and without -N, in a throwaway network
# namespace (unshare -n: no name, gone when the shell exits).
names=$(unshare -n bash -c '
  set -e
  ip link add hrt0 type veth peer name hrt1
  ip link set hrt0 up; ip link set hrt1 up
  ip addr add 10.99.0.1/24 dev hrt0
  ip rule add priority 20100 from 10.99.0.1 table 200 proto 117
  ip nexthop add id 7 via 10.99.0.2 dev hrt0 proto 117
  ip route add default nhid 7 table 201 proto 117
  echo "plain: $(ip rule show priority 20100) | $(ip route show table all | grep nhid) | $(ip nexthop show id 7)"
  echo "numeric: $(ip -N rule show priority 20100) | $(ip -N route show table all | grep nhid) | $(ip -N nexthop show id 7)"
' 2>&1) || fail "could not set up the name check: $names"
echo "$names" | sed 's/^/  /'
grep -q '^plain: .*lookup uplinkd-d1 proto uplinkd .*table uplinkd-d2 proto uplinkd .*proto uplinkd' <<<"$names" ||
  fail "the copy of /etc/iproute2 is not in force: plain ip does not print the names"
grep -q '^numeric: .*lookup 200 proto 117 .*table 201 proto 117 .*proto 117' <<<"$names" ||
  fail "ip -N does not print numbers for tables and protocols on this iproute2"

failed=()
for t in $TESTS; do
  [ -f "$HERE/$t.sh" ] || fail "no test $t.sh in $HERE"
  out=$ETC_COPY/$t.log
  start=$SECONDS
  if bash "$HERE/$t.sh" >"$out" 2>&1; then
    log "ok   $t ($((SECONDS - start)) s)"
  else
    # Its verdict first (the FAIL line and the lines before it): the tail is mostly the logs it dumps.
    log "FAIL $t ($((SECONDS - start)) s); its verdict:"
    grep -m1 -B8 -A4 ' FAIL: ' "$out" | sed 's/^/    /' || true
    log "its last lines:"
    tail -n 30 "$out" | sed 's/^/    /'
    failed+=("$t")
  fi
done
[ ${#failed[@]} -eq 0 ] || fail "with uplinkd's names in /etc/iproute2: ${failed[*]} failed"
echo "PASS: host_rt_tables_test ($TESTS)"
