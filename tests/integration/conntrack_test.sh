#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# delete_nated_conntrack (via tools/conntrack_check) deletes the conntrack entries that were masqueraded out of
# one uplink and nothing else. A LAN host holds TCP connections to the internet host, spread over wan1 and
# wan2 by the multipath route; the router holds connections of its own from wan1's address. Deleting wan1's
# address takes exactly the LAN's wan1 entries (`conntrack -L` before and after is the judge), the kernel
# sends only source-NATed entries, and once wan1 has lost its carrier the LAN host's next packets on those
# connections make fresh entries masqueraded by wan2. Then synthetic entries (tools/conntrack_check create): a
# router's own connection whose port the NAT moved stays, and a sweep over 30,000 entries is exact and timed.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

CHECK=${CONNTRACK_CHECK:-$PWD/tools/conntrack_check}
[[ -x $CHECK ]] || fail "conntrack_check not found at $CHECK (set CONNTRACK_CHECK)"
require_tools conntrack perl

LAN_CONNECTIONS=24 # spread by the L4 hash: all on one uplink has a chance of 2 in 2^24
OWN_CONNECTIONS=2
PORT=8080

setup_two_isps
two_uplinks_up
masquerading() { # masquerading IF... — uplinkd's nftables table masquerades on each IF
  local table ifname
  table=$(in_ns router nft list table inet uplinkd) || return 1
  for ifname in "$@"; do grep -q "oifname \"$ifname\" masquerade" <<<"$table" || return 1; done
}
wait_for --deadline 10 --what "masquerade on wan1 and wan2" masquerading wan1 wan2

start_tcp_holder_server inet $PORT

# hold_connections ROLE NAME COUNT SOURCE|- — a process in ROLE that opens COUNT TCP connections to the
# server (bound to SOURCE unless "-") and keeps them open; on SIGUSR1 it writes a byte on each and records
# "sent N" in $H_TMP/hold-NAME.sent. Its pid is in $HOLDER_PID.
hold_connections() {
  local role=$1 name=$2 count=$3 source=$4 ready=$H_TMP/hold-$2
  spawn "hold($name)" "$H_TMP/hold-$name.log" in_ns "$role" perl -MIO::Socket::INET -e '
    my ($dst, $port, $count, $src, $ready) = @ARGV;
    my @sockets;
    for my $i (1 .. $count) {
      push @sockets, IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port, Proto => "tcp", Timeout => 5,
                                           ($src ne "-" ? (LocalAddr => $src) : ()))
        or die "connection $i: $@\n";
    }
    $SIG{PIPE} = "IGNORE";
    $SIG{USR1} = sub {
      my $sent = grep { defined syswrite($_, "x") } @sockets;
      open(my $f, ">>", "$ready.sent") or die; print $f "sent $sent\n"; close $f;
    };
    open(my $f, ">", "$ready.tmp") or die; print $f "ready\n"; close $f; rename("$ready.tmp", $ready) or die;
    sleep while 1;  # sleep without argument: until the next signal
  ' "$INET_ADDR" "$PORT" "$count" "$source" "$ready"
  HOLDER_PID=$H_SPAWNED_PID
  wait_for --deadline 10 --what "$count connections of $name" holder_ready "$name"
}
holder_ready() { # holder_ready NAME — its connections are open (fails at once if it died trying)
  _h_alive "$HOLDER_PID" || fail "holder $1 exited: $(cat "$H_TMP/hold-$1.log")"
  [ -e "$H_TMP/hold-$1" ]
}

log "connections: $LAN_CONNECTIONS from the LAN host (masqueraded), $OWN_CONNECTIONS from the router's wan1 address"
hold_connections lan lan $LAN_CONNECTIONS -
lan_holder=$HOLDER_PID
hold_connections router own $OWN_CONNECTIONS "$A1"
wait_for --deadline 5 --what "conntrack entries of all connections" \
  eval '[ "$(line_count "$(entries_proto "$(conntrack_entries router)" tcp)")" -ge $((LAN_CONNECTIONS + OWN_CONNECTIONS)) ]'
# The router forwards an ISP's DHCP replies that arrive before dhcpcd has configured the offered address: out
# of the other uplink, masqueraded. Those are 30-second UDP entries NATed to an uplink's address like any
# other, but they would expire on their own while the test counts; removed here so that the count is exact.
in_ns router conntrack -D -p udp --orig-port-src 67 >/dev/null 2>&1 || true
before=$(conntrack_entries router)
wan1_nated=$(entries_nated_to "$before" "$A1")
lan_wan1=$(entries_from_to "$before" "$LAN_ADDR" "$A1")
lan_wan2=$(entries_from_to "$before" "$LAN_ADDR" "$A2")
own=$(entries_from_to "$before" "$A1" "$A1")
n1=$(line_count "$lan_wan1") n2=$(line_count "$lan_wan2")
log "LAN connections: $n1 masqueraded to wan1 ($A1), $n2 to wan2 ($A2); $(line_count "$own") of the router's own from $A1"
assert_eq $LAN_CONNECTIONS $((n1 + n2)) "LAN connections masqueraded to wan1 or wan2"
assert_ge "$n1" 1 "LAN connections through wan1"
assert_ge "$n2" 1 "LAN connections through wan2"
assert_eq $OWN_CONNECTIONS "$(line_count "$own")" "the router's own connections from wan1's address"
assert_eq "$lan_wan1" "$(entries_from_to "$wan1_nated" "$LAN_ADDR" "$A1")" "the LAN's wan1 entries are among those NATed to wan1"
source_nated=$(in_ns router conntrack -L --src-nat 2>/dev/null | wc -l)

log "delete wan1's NATed entries"
out=$(in_ns router "$CHECK" delete "$A1" 2>"$H_TMP/conntrack_check.err") ||
  fail "conntrack_check delete $A1: $(cat "$H_TMP/conntrack_check.err")"
log "conntrack_check: $(tr '\n' ' ' <<<"$out")$(cat "$H_TMP/conntrack_check.err")"
assert_eq "deleted $(line_count "$wan1_nated")" "$(head -n1 <<<"$out")" \
  "entries deleted (conntrack -L listed these NATed to wan1: $wan1_nated)"
after=$(conntrack_entries router)
assert_eq "" "$(entries_nated_to "$after" "$A1")" "entries NATed to wan1 left"
assert_eq "$lan_wan2" "$(entries_from_to "$after" "$LAN_ADDR" "$A2")" "the LAN's wan2 entries, unchanged"
assert_eq "$own" "$(entries_from_to "$after" "$A1" "$A1")" "the router's own entries from wan1's address, unchanged"
# TCP entries do not expire during the test (established: five days), so all of them can be compared.
assert_eq "$(comm -23 <(entries_proto "$before" tcp) <(entries_proto "$wan1_nated" tcp))" "$(entries_proto "$after" tcp)" \
  "every other TCP entry, unchanged"
# The kernel filters the dump to source-NATed entries since Linux 5.15 (older kernels send all of them).
examined=$(sed -n 's/.*examined \([0-9]*\) source-NATed.*/\1/p' "$H_TMP/conntrack_check.err")
IFS=. read -r kmajor kminor _ <<<"$(uname -r)"
if [ "$kmajor" -gt 5 ] || { [ "$kmajor" -eq 5 ] && [ "${kminor%%[!0-9]*}" -ge 15 ]; }; then
  assert_eq "$source_nated" "$examined" "entries the kernel sent (conntrack -L --src-nat counted $source_nated)"
fi
out=$(in_ns router "$CHECK" delete "$A1" 2>/dev/null)
assert_eq "deleted 0" "$(head -n1 <<<"$out")" "a second sweep"

log "wan1 loses its carrier; the LAN host writes on every connection: wan1's come back NATed by wan2"
link_down isp1 rtr
wait_for --deadline 10 --what "group of wan2 alone" has_members router 2:1
# Entries that live for microseconds (see below) are seen in conntrack's events, not in `conntrack -L`.
spawn "conntrack-events(router)" "$H_TMP/conntrack-events.log" in_ns router conntrack -E -e NEW -p tcp
events_subscribed() { # a NETLINK_NETFILTER (12) socket in the router has joined multicast groups
  in_ns router awk '$2 == 12 && $4 != "00000000" { found = 1 } END { exit !found }' /proc/net/netlink
}
wait_for --deadline 5 --what "conntrack -E listening" events_subscribed
kill -USR1 "$lan_holder"
wait_for --deadline 5 --what "the LAN host's writes" grep -q "^sent $LAN_CONNECTIONS\$" "$H_TMP/hold-lan.sent"
# Each deleted connection's next packet makes a new entry, routed and masqueraded by wan2. The internet host
# resets it (it never saw that address), which ends the entry at once and tells the application to reconnect
# now, rather than after minutes of retransmissions into the dead uplink. wan2's connections carry on.
wan1_ports=$(awk '{ for (i = 4; i <= NF; i++) if ($i ~ /^sport=/) { sub(/^sport=/, "", $i); print $i; break } }' <<<"$lan_wan1")
renated_by_wan2() {
  local port
  for port in $wan1_ports; do
    grep -q "sport=$port dport=$PORT .*src=$INET_ADDR dst=$A2 " "$H_TMP/conntrack-events.log" || return 1
  done
}
wait_for --deadline 5 --what "new entries NATed to wan2 ($A2) for the $n1 deleted connections" renated_by_wan2
assert_eq 0 "$(grep -c "dst=$A1 " "$H_TMP/conntrack-events.log" || true)" "new entries NATed to wan1"
lan_established() { [ "$(in_ns lan ss -Htn state established "( dport = :$PORT )" | wc -l)" -eq "$1" ]; }
wait_for --deadline 5 --what "$n2 LAN connections left (wan2's; wan1's reset)" lan_established "$n2"
assert_eq "$lan_wan2" "$(entries_from_to "$(conntrack_entries router)" "$LAN_ADDR" "$A2")" "the LAN's wan2 entries, unchanged"

log "the router's own connection whose port the masquerade changed is not taken"
# Synthetic: a LAN-like connection NATed to NAT3:10000, then one of the router's own from NAT3:10000 to the
# same destination; its replies would clash, so the NAT moves it to another port and marks it source-NATed.
# The kernel sends it with the NATed entries; the predicate must keep it.
NAT3=100.64.3.10
assert_eq "created 1" "$(in_ns router "$CHECK" create 1 10.9.0.1 "$INET_ADDR" "$NAT3")"
assert_eq "created 1" "$(in_ns router "$CHECK" create 1 "$NAT3" "$INET_ADDR" "$NAT3")"
own3=$(entries_from_to "$(conntrack_entries router)" "$NAT3" "$NAT3")
assert_eq 1 "$(line_count "$own3")" "the router's own synthetic entry"
assert_not_contains "$own3" "dport=10000" "its reply port (moved by the NAT)"
assert_eq "1 1" "$(in_ns router conntrack -L --src-nat -s 10.9.0.1 2>/dev/null | wc -l) $(
  in_ns router conntrack -L --src-nat -s "$NAT3" 2>/dev/null | wc -l)" "entries marked source-NATed"

log "scale: 30,000 more synthetic entries (10,000 NATed to $NAT3, 10,000 to wan2's address, 10,000 not NATed)"
assert_eq "created 10000" "$(in_ns router "$CHECK" create 10000 10.1.0.1 "$INET_ADDR" "$NAT3")"
assert_eq "created 10000" "$(in_ns router "$CHECK" create 10000 10.2.0.1 "$INET_ADDR" "$A2")"
assert_eq "created 10000" "$(in_ns router "$CHECK" create 10000 10.3.0.1 "$INET_ADDR" -)"
ct_count() { in_ns router conntrack -L "$@" 2>/dev/null | wc -l; }
assert_eq "10000 10000 10000" "$(ct_count -s 10.1.0.1) $(ct_count -s 10.2.0.1) $(ct_count -s 10.3.0.1)" \
  "synthetic entries from 10.1.0.1 (NATed to $NAT3), 10.2.0.1 (to wan2), 10.3.0.1 (not NATed)"
out=$(in_ns router "$CHECK" delete "$NAT3" 2>/dev/null)
log "conntrack_check: $(tr '\n' ' ' <<<"$out")"
assert_eq "deleted 10001" "$(head -n1 <<<"$out")" "synthetic entries NATed to $NAT3"
assert_eq "0 10000 10000 0" "$(ct_count -s 10.1.0.1) $(ct_count -s 10.2.0.1) $(ct_count -s 10.3.0.1) $(ct_count -s 10.9.0.1)" \
  "synthetic entries left from 10.1.0.1, 10.2.0.1, 10.3.0.1, 10.9.0.1"
assert_eq "$own3" "$(entries_from_to "$(conntrack_entries router)" "$NAT3" "$NAT3")" "the router's own entry with a moved port, unchanged"

pass
