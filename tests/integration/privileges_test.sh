#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege (docs/operations.md, "Privileges and sandboxing"). uplinkd started as root by hand (every
# capability) keeps only CAP_NET_ADMIN and CAP_NET_RAW — effective, permitted and bounding sets; nothing
# inheritable or ambient; no_new_privs — and still does its whole job with them: DHCP uplinks' tables, rules
# and group, masquerade (nftables), a sysctl, ICMP and ARP health probes (raw and packet sockets bound to
# the uplink), the table names written, a reload, and a failover when an ISP goes silent.
# The on_change program run for that failover (a script that records its own /proc/self/status) has no
# capability in any set, and no_new_privs, though it runs as uid 0; so has what it runs in turn.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

KEPT=0000000000003000   # bits 12 and 13: CAP_NET_ADMIN, CAP_NET_RAW
NONE=0000000000000000

make_isp 1
make_isp 2
make_lan
ip -n "$(ns inet)" addr add 198.51.100.2/32 dev lo

RECORDER=$H_TMP/on-change-caps.sh
CAPS_OUT=$H_TMP/on-change-caps.out
cat >"$RECORDER" <<EOF
#!/bin/sh
# uplinkd test harness: records the on_change program's own privileges, then those of a program it runs.
{
  echo "change \$UPLINKD_UPLINK \$UPLINKD_OLD_STATE \$UPLINKD_NEW_STATE"
  grep -E '^(Uid|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status | sed 's/^/self /'
  /bin/cat /proc/self/status | grep -E '^(Cap(Inh|Prm|Eff|Amb)|NoNewPrivs):' | sed 's/^/child /'
} >>'$CAPS_OUT'
EOF
chmod 755 "$RECORDER"
: >"$CAPS_OUT"

CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG" 'multipath_hash_policy = "l4"' "on_change = [\"$RECORDER\"]"
HEALTH=('[uplink.health]' 'targets = ["198.51.100.2", "arp"]' 'min_up = 2' 'hold_down = 0')  # both needed: a silent upstream still answers ARP
add_uplink "$CONFIG" 1 1 "masquerade = true" "${HEALTH[@]}"
add_uplink "$CONFIG" 2 1 "masquerade = true" "${HEALTH[@]}"
start_uplinkd router "$CONFIG"
PID=$(uplinkd_pid router)

# status_field NAME — the value of NAME: in the daemon's /proc/PID/status.
status_field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$PID/status"; }

log "the daemon's capability sets"
assert_eq "$KEPT" "$(status_field CapEff)" "CapEff (effective) of uplinkd"
assert_eq "$KEPT" "$(status_field CapPrm)" "CapPrm (permitted) of uplinkd"
assert_eq "$KEPT" "$(status_field CapBnd)" "CapBnd (bounding) of uplinkd"
assert_eq "$NONE" "$(status_field CapInh)" "CapInh (inheritable) of uplinkd"
assert_eq "$NONE" "$(status_field CapAmb)" "CapAmb (ambient) of uplinkd"
assert_eq 1 "$(status_field NoNewPrivs)" "NoNewPrivs of uplinkd"
assert_eq 0 "$(awk '$1 == "Uid:" { print $3 }' "/proc/$PID/status")" "uplinkd's effective uid (root)"
assert_contains "$(cat "$(uplinkd_log router)")" "capabilities: keeping CAP_NET_ADMIN, CAP_NET_RAW" \
  "uplinkd's log line about the drop"

log "what it does with them"
two_uplinks_up
wait_health router wan1 up 15
wait_health router wan2 up 15
wait_for --deadline 5 --what "uplinkd's nft table with masquerade" eval \
  'in_ns router nft list table inet uplinkd | grep -q masquerade'
assert_eq 1 "$(in_ns router sysctl -n net.ipv4.fib_multipath_hash_policy)" "fib_multipath_hash_policy (l4)"
wait_for --deadline 5 --what "table names in $H_TMP/rt_tables.d" \
  grep -qx "201 uplinkd-wan1 # uplinkd" "$H_TMP/rt_tables.d/uplinkd.conf"
out=$(uplinkctl_in router reload) || fail "uplinkctl reload failed: $out"
assert_converged router

log "a failover: isp1 goes silent upstream; the on_change program runs without privileges"
blackhole_upstream 1
wait_health router wan1 down 10
wait_for --deadline 5 --what "group of wan2 alone" has_members router 2:1
wait_for --deadline 10 --what "the on_change program's record of wan1 going down" \
  grep -q '^change wan1 active down' "$CAPS_OUT"
# The record of that change: the lines after its "change" line, up to the next one.
record=$(awk '/^change wan1 active down/ { on = 1; next } /^change / { on = 0 } on' "$CAPS_OUT")
log "on_change saw: $(tr '\n' ' ' <<<"$record")"
for set in CapInh CapPrm CapEff CapAmb; do
  assert_contains "$record" "self $set:	$NONE" "$set of the on_change program"
  assert_contains "$record" "child $set:	$NONE" "$set of what the on_change program runs"
done
assert_contains "$record" "self NoNewPrivs:	1" "NoNewPrivs of the on_change program"
assert_contains "$record" "child NoNewPrivs:	1" "NoNewPrivs of what the on_change program runs"
assert_contains "$record" "self Uid:	0" "the on_change program's uid (root, without capabilities)"
# Its bounding set: at most the daemon's two. It cannot be narrowed further without CAP_SETPCAP, and with
# no_new_privs and an empty permitted set no execve can give any of it back (the "child" lines show it).
bounding=$(awk '$1 == "self" && $2 == "CapBnd:" { print $3 }' <<<"$record")
[ $((0x$bounding & ~0x$KEPT)) -eq 0 ] || fail "the on_change program's bounding set $bounding exceeds $KEPT"

restore_upstream 1
wait_health router wan1 up 15
wait_for --deadline 5 --what "group of wan1 and wan2 again" has_members router 1:1 2:1
assert_converged router
pass
