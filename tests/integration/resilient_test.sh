#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A silent upstream takes only its own connections down. Three DHCP uplinks with masquerade and three health
# targets each; 30 long-lived TCP connections from the LAN host to an echo server on the internet host, each
# writing a line every 0.2 s and reading it back. The router's conntrack says which uplink each one uses.
# wan3's upstream goes silent (carrier up): wan3 goes down, every connection on wan1 and wan2 keeps exchanging
# data over the same connection and the same uplink (its conntrack entry is the same entry, by id), exactly the
# conntrack entries NATed to wan3's address are deleted (the daemon's count is checked against ours), and
# wan3's connections are reset and reopened through wan1 or wan2. wan3 recovers: nothing moves. This is run
# with `mode = "resilient"` and again with `mode = "flow"` (pinning keeps masqueraded connections in both).
# Then without masquerade (routed uplinks; nothing pins): UDP streams (tools/udp_stream) and `ip route get`
# show that flow mode rehashes part of the surviving uplinks' flows when wan3 leaves and again when it returns,
# while resilient mode moves only wan3's. The numbers logged here are those in docs/failover.md.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

require_tools udp_stream conntrack perl

CONNECTIONS=30   # on three equal uplinks: none on wan3 has a chance of (2/3)^30 = 5e-6
ECHO_PORT=7000
STREAM_PORT=5001
STREAM_FLOWS=60  # routed part: about 40 on wan1 and wan2, of which flow mode moves about a quarter
STREAM_INTERVAL_US=20000
ROUTE_SAMPLES=1500
TARGET2=198.51.100.2
TARGET3=198.51.100.3

make_isp 1
make_isp 2
make_isp 3
make_lan
ip -n "$(ns inet)" addr add "$TARGET2/32" dev lo
ip -n "$(ns inet)" addr add "$TARGET3/32" dev lo

CONFIG=$H_TMP/uplinkd.toml
# configure MODE masquerade|routed — write the config: three uplinks of weight 1, three health targets each
# (two echo targets, and a TCP connect to a closed port: the internet host's reset is an answer). hold_down = 0
# turns flap damping off: the test fails and restores wan3 four times within a minute on purpose, and each
# recovery must take only up_after rounds, not a hold that doubles each time.
configure() {
  local mode=$1 masquerade=() n
  if [ "$2" == masquerade ]; then masquerade=("masquerade = true"); fi
  write_config "$CONFIG" "mode = \"$mode\"" 'multipath_hash_policy = "l4"' \
    "[resilient]" "buckets = 64" "idle_timer = 1"
  for n in 1 2 3; do
    add_uplink "$CONFIG" "$n" 1 "${masquerade[@]}" "[uplink.health]" \
      "targets = [\"$INET_ADDR\", \"$TARGET2\", \"tcp:$TARGET3:443\"]" "hold_down = 0"
  done
}

configure resilient masquerade
start_uplinkd router "$CONFIG"
start_dhcpcd router wan1
start_dhcpcd router wan2
start_dhcpcd router wan3
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
for n in 1 2 3; do wait_for --deadline 10 --what "wan$n's table and rule" uplink_table_ok router "$n"; done
A1=$(uplink_address router wan1) A2=$(uplink_address router wan2) A3=$(uplink_address router wan3)

# all_up — every uplink's probes answered (health up) and the group holds all three.
all_up() {
  status_json router | jq -e '[.uplinks[] | select(.health.state == "up")] | length == 3' >/dev/null &&
    has_members router 1:1 2:1 3:1
}
wait_for --deadline 20 --what "all three uplinks up and in the group" all_up

wan3_down() {
  status_json router | jq -e '.uplinks[] | select(.name == "wan3") | .health.state == "down"' >/dev/null &&
    has_members router 1:1 2:1
}
# wan3_down_since — when the daemon saw wan3 go down (ms since the epoch, from its health transition).
wan3_down_since() { date -d "$(status_json router | jq -r '.uplinks[] | select(.name == "wan3") | .health.since')" +%s%3N; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# ---------------------------------------------------------------------------------------------------------
# Long-lived TCP connections: an echo server in inet and a client in the LAN.

# The server echoes every byte back. A connection's first line is "hello SLOT LANPORT"; the server records
# "LANPORT PEER" in server.peers: the peer address is 198.18.N.2 behind ispN's masquerade, so it names the
# uplink the connection arrived by, independently of the router's conntrack.
cat >"$H_TMP/echo_server.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET; use IO::Select;
my ($port, $peers) = @ARGV;
my $listener = IO::Socket::INET->new(LocalPort => $port, Listen => 256, ReuseAddr => 1) or die "listen: $@\n";
my $select = IO::Select->new($listener);
my %pending;  # socket -> bytes before the hello line is complete
$SIG{PIPE} = "IGNORE";
open(my $log, ">>", $peers) or die; $log->autoflush(1);
while (1) {
  for my $s ($select->can_read) {
    if ($s == $listener) { my $c = $listener->accept or next; $select->add($c); $pending{$c} = ""; next; }
    my $n = sysread($s, my $buf, 65536);
    if (!$n) { $select->remove($s); delete $pending{$s}; close $s; next; }
    if (defined $pending{$s}) {
      $pending{$s} .= $buf;
      if ($pending{$s} =~ /^hello \d+ (\d+)\n/) { print $log "$1 ", $s->peerhost, "\n"; delete $pending{$s}; }
    }
    syswrite($s, $buf);
  }
}
PERL

# The client keeps COUNT slots, each with one connection. Every TICK seconds it writes "ping\n" on each and
# reads what comes back; a connection that fails (reset, end of file, write error) is logged to client.events
# ("MS SLOT PORT REASON") and a new one is opened at the next tick. client.state is rewritten every tick:
# "SLOT PORT CONNECTS ECHOED" per line (ECHOED: lines echoed on the current connection).
cat >"$H_TMP/echo_client.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET; use IO::Select; use Time::HiRes qw(time);
my ($dst, $port, $count, $tick, $state, $events) = @ARGV;
$SIG{PIPE} = "IGNORE";
open(my $ev, ">>", $events) or die; $ev->autoflush(1);
my $select = IO::Select->new;
my (@sock, @lport, @connects, @echoed);
my %slot_of;
sub ms { int(time * 1000) }
sub open_slot {
  my $i = shift;
  my $s = IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port, Proto => "tcp", Timeout => 2);
  if (!$s) { print $ev ms(), " $i - connect: $@\n"; return; }
  $sock[$i] = $s; $lport[$i] = $s->sockport; $connects[$i]++; $echoed[$i] = -1;  # the hello comes back too
  $slot_of{$s} = $i; $select->add($s);
  syswrite($s, "hello $i $lport[$i]\n");
}
sub close_slot {
  my ($i, $why) = @_;
  print $ev ms(), " $i $lport[$i] $why\n";
  $select->remove($sock[$i]); delete $slot_of{$sock[$i]}; close $sock[$i]; $sock[$i] = undef;
}
for my $i (0 .. $count - 1) { $connects[$i] = 0; $lport[$i] = 0; $echoed[$i] = 0; open_slot($i); }
my $next = time;
while (1) {
  if (time >= $next) {
    for my $i (0 .. $count - 1) {
      if (!$sock[$i]) { open_slot($i); next; }
      defined syswrite($sock[$i], "ping\n") or close_slot($i, "write: $!");
    }
    open(my $f, ">", "$state.tmp") or die;
    print $f "$_ $lport[$_] $connects[$_] $echoed[$_]\n" for 0 .. $count - 1;
    close $f; rename("$state.tmp", $state) or die;
    $next += $tick; $next = time + $tick if $next < time;
  }
  my $wait = $next - time;
  for my $s ($select->can_read($wait > 0 ? $wait : 0)) {
    my $i = $slot_of{$s};
    next unless defined $i;
    my $n = sysread($s, my $buf, 65536);
    if (!defined $n) { close_slot($i, "read: $!"); }
    elsif ($n == 0) { close_slot($i, "end of file"); }
    else { $echoed[$i] += ($buf =~ tr/\n//); }
  }
}
PERL

spawn "echo-server(inet:$ECHO_PORT)" "$H_TMP/echo-server.log" in_ns inet perl "$H_TMP/echo_server.pl" $ECHO_PORT "$H_TMP/server.peers"
wait_for --deadline 5 --what "echo server on inet:$ECHO_PORT" _h_listening inet $ECHO_PORT

CLIENT_PID=""
start_client() {
  rm -f "$H_TMP/client.state" "$H_TMP/client.events"
  spawn "echo-client(lan)" "$H_TMP/echo-client.log" in_ns lan perl "$H_TMP/echo_client.pl" \
    "$INET_ADDR" $ECHO_PORT $CONNECTIONS 0.2 "$H_TMP/client.state" "$H_TMP/client.events"
  CLIENT_PID=$H_SPAWNED_PID
  wait_for --deadline 20 --what "$CONNECTIONS connections exchanging data" all_echoing
}
stop_client() { stop_pid "$CLIENT_PID"; CLIENT_PID=""; }
client_state() {
  _h_alive "$CLIENT_PID" || fail "the echo client exited: $(tail -n 5 "$H_TMP/echo-client.log")"
  cat "$H_TMP/client.state" 2>/dev/null
}
all_echoing() { [ "$(client_state | awk '$4 >= 1' | wc -l)" -eq $CONNECTIONS ]; }

# ct_lan — the router's conntrack entries of the LAN's connections to the echo server, one per line:
# "LANPORT NATADDR NATPORT ID". conntrack -L is the judge, not the code under test.
ct_lan() {
  in_ns router conntrack -L -p tcp -s "$LAN_ADDR" -d "$INET_ADDR" --dport $ECHO_PORT -o id 2>/dev/null |
    awk '{ s = 0; d = 0; p = 0; id = ""
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^sport=/ && ++s == 1) { split($i, kv, "="); lport = kv[2] }
             if ($i ~ /^dst=/ && ++d == 2) { split($i, kv, "="); nat = kv[2] }
             if ($i ~ /^dport=/ && ++p == 2) { split($i, kv, "="); natport = kv[2] }
             if ($i ~ /^id=/) { split($i, kv, "="); id = kv[2] }
           }
           print lport, nat, natport, id }' | sort -n
}
# wan3_nated — every conntrack entry (any protocol) NATed to wan3's address, with its id (a replaced entry
# differs). conntrack -L is the judge, not the code under test.
wan3_nated() { entries_nated_to "$(conntrack_entries router -o id)" "$A3"; }

# current_map — "SLOT LANPORT UPLINK NATADDR NATPORT ID" for each slot's current connection (UPLINK: the one
# whose address the entry is NATed to, or "none").
current_map() {
  local ct state
  ct=$(ct_lan)
  state=$(client_state)
  awk -v ct="$ct" -v names="$A1=wan1 $A2=wan2 $A3=wan3" '
    BEGIN {
      n = split(names, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); uplink[p[1]] = p[2] }
      n = split(ct, lines, "\n"); for (i = 1; i <= n; i++) { split(lines[i], f, " "); entry[f[1]] = f[2] " " f[3] " " f[4] }
    }
    { e = entry[$2]; split(e, f, " "); print $1, $2, (f[1] in uplink ? uplink[f[1]] : "none"), e }' <<<"$state"
}
slots_on() { awk -v u="$2" '$3 == u { print $1 }' <<<"$1" | tr '\n' ' '; }  # slots_on MAP UPLINK
entries_of() { # entries_of MAP SLOT... — the map's lines for these slots
  local map=$1
  shift
  awk -v s=" $* " 'index(s, " " $1 " ")' <<<"$map"
}
# echoing_more STATE N SLOT... — each slot's connection is the one it had in STATE (a client state taken
# earlier; the test fails at once if not) and has echoed at least N more lines since.
echoing_more() {
  local before=$1 more=$2 now changes rc=0
  shift 2
  now=$(client_state)
  changes=$(awk -v before="$before" -v more="$more" -v slots=" $* " '
    BEGIN { n = split(before, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); conn[f[1]] = f[2] " " f[3]; echoed[f[1]] = f[4] } }
    index(slots, " " $1 " ") {
      if ($2 " " $3 != conn[$1]) { print "slot " $1 ": connection (port, connects) " conn[$1] " is now " $2 " " $3; changed = 1 }
      else if ($4 < echoed[$1] + more) short = 1
    }
    END { exit changed ? 2 : short }' <<<"$now") || rc=$?
  [ $rc -ne 2 ] || fail "a connection that should have lasted was replaced: $changes"
  return $rc
}
# server_disagrees MAP SLOT... — for each slot whose connection the server saw arrive by another uplink than
# the router's conntrack says (or not at all), a line "slot S port P: router UPLINK, server UPLINK".
server_disagrees() {
  local map=$1
  shift
  awk -v slots=" $* " 'NR == FNR { sub(/^198\.18\./, "", $2); sub(/\.2$/, "", $2); seen[$1] = "wan" $2; next }
    index(slots, " " $1 " ") && seen[$2] != $3 { print "slot " $1 " port " $2 ": router " $3 ", server " (seen[$2] == "" ? "-" : seen[$2]) }' \
    "$H_TMP/server.peers" - <<<"$map"
}
server_agrees() { [ -z "$(server_disagrees "$@")" ]; }
deletions_after() { [ "$(deletion_lines)" -gt "$1" ]; }
deletion_lines() { grep -c "uplink wan3: deleted .* conntrack entries masqueraded to $A3" "$(uplinkd_log router)" || true; }

# masquerade_failover MODE — the masqueraded part for MODE (the config is already in force).
masquerade_failover() {
  local mode=$1 map survivors wan3_slots nated n_nated deleted t0 t_down state slot
  start_client
  map=$(current_map)
  survivors="$(slots_on "$map" wan1)$(slots_on "$map" wan2)"
  wan3_slots=$(slots_on "$map" wan3)
  log "$mode: $CONNECTIONS connections: wan1 [$(slots_on "$map" wan1)] wan2 [$(slots_on "$map" wan2)] wan3 [$wan3_slots]"
  assert_eq 0 "$(awk '$3 == "none"' <<<"$map" | wc -l)" "connections without a conntrack entry NATed to an uplink: $map"
  for n in 1 2 3; do assert_ne "" "$(slots_on "$map" "wan$n")" "$mode: connections on wan$n"; done
  assert_eq "" "$(server_disagrees "$map" $(seq 0 $((CONNECTIONS - 1))))" "the uplinks the server saw connections arrive by"

  # The router forwards an ISP's DHCP replies that arrive before dhcpcd has configured the offered address:
  # masqueraded out of another uplink, 30-second UDP entries. Removed so that they cannot expire while the
  # daemon and this test count (see conntrack_test.sh).
  in_ns router conntrack -D -p udp --orig-port-src 67 >/dev/null 2>&1 || true
  nated=$(wan3_nated)
  n_nated=$(line_count "$nated")
  assert_eq "$(wc -w <<<"$wan3_slots")" "$(line_count "$(grep "dport=$ECHO_PORT " <<<"$nated" || true)")" \
    "entries NATed to wan3 that are the LAN's echo connections"
  deleted=$(deletion_lines)
  state=$(client_state)

  log "$mode: wan3's upstream goes silent ($n_nated conntrack entries NATed to $A3)"
  t0=$(now_ms)
  blackhole_upstream 3
  wait_for --deadline 10 --what "wan3 down and out of the group" wan3_down
  t_down=$(wan3_down_since)
  wait_for --deadline 5 --what "the daemon's conntrack deletion for wan3" deletions_after "$deleted"
  local logged
  logged=$(grep "uplink wan3: deleted .* conntrack entries masqueraded to $A3" "$(uplinkd_log router)" | tail -n1 |
    sed -n 's/.*deleted \([0-9]*\) conntrack.*/\1/p')
  log "$mode: wan3 down $((t_down - t0)) ms after the silence began; the daemon logged 'deleted $logged', conntrack -L listed $n_nated"
  assert_eq "" "$(comm -12 <(echo "$nated") <(wan3_nated))" "entries NATed to wan3 still there (same id)"
  assert_eq "$(entries_of "$map" $survivors)" "$(entries_of "$(current_map)" $survivors)" \
    "wan1's and wan2's connections and their conntrack entries (NAT address, port, id)"
  assert_eq "$n_nated" "$logged" "entries the daemon says it deleted, against conntrack -L's count before"

  wait_for --deadline 10 --what "wan1's and wan2's connections echoing on (5 more lines each)" \
    echoing_more "$state" 5 $survivors
  reopened() { # wan3's slots have new connections, NATed to wan1's or wan2's address
    current_map | awk -v slots=" $wan3_slots " 'index(slots, " " $1 " ") && $3 != "wan1" && $3 != "wan2" { bad = 1 } END { exit bad }'
  }
  wait_for --deadline 20 --what "wan3's connections reopened through wan1 or wan2" reopened
  map=$(current_map)
  wait_for --deadline 10 --what "the reopened connections echoing" echoing_more "$(client_state)" 3 $wan3_slots
  wait_for --deadline 5 --what "the server to see the reopened connections arrive by the same uplinks as the router" \
    server_agrees "$map" $wan3_slots
  local ends
  ends=$(cut -d' ' -f4- "$H_TMP/client.events" | sort | uniq -c | tr '\n' ',' | tr -s ' ')
  log "$mode: wan3's connections ended by:$ends; the last ended $(($(awk 'END { print $1 }' "$H_TMP/client.events") - t0)) ms after the silence began"
  assert_eq "$(wc -w <<<"$wan3_slots")" "$(wc -l <"$H_TMP/client.events")" "connections that ended (only wan3's, once each)"
  for slot in $survivors; do
    ! grep -q "^[0-9]* $slot " "$H_TMP/client.events" || fail "surviving slot $slot's connection ended"
  done

  log "$mode: wan3 recovers"
  state=$(client_state)
  restore_upstream 3
  wait_for --deadline 15 --what "wan3 up and back in the group" all_up
  wait_for --deadline 10 --what "every connection echoing on (5 more lines each)" \
    echoing_more "$state" 5 $(seq 0 $((CONNECTIONS - 1)))
  assert_eq "$(entries_of "$map" $(seq 0 $((CONNECTIONS - 1))))" "$(entries_of "$(current_map)" $(seq 0 $((CONNECTIONS - 1))))" \
    "every connection and its conntrack entry after wan3's recovery"
  assert_eq "$(wc -w <<<"$wan3_slots")" "$(wc -l <"$H_TMP/client.events")" "connections that ended during the recovery: none"
  log "$mode: the $(wc -w <<<"$survivors") connections on wan1/wan2 lasted through wan3's failure and recovery (same conntrack entries); wan3's $(wc -w <<<"$wan3_slots") were reset, reopened by wan1/wan2 and stayed there"
  stop_client
}

log "mode resilient, masquerade: a resilient group of 64 buckets"
[ "$(ip -n "$(ns router)" -j nexthop show id $GROUP_RESILIENT | jq -r '.[0].type')" == resilient ] ||
  fail "no resilient group $GROUP_RESILIENT: $(ip -n "$(ns router)" nexthop show)"
masquerade_failover resilient

log "mode flow, masquerade"
configure flow masquerade
uplinkctl_in router reload >/dev/null
wait_for --deadline 5 --what "the flow group (hash-threshold) holding all three" \
  sh -c "ip -n $(ns router) nexthop show id $GROUP_FLOW | grep -q . && ! ip -n $(ns router) nexthop show id $GROUP_RESILIENT 2>/dev/null | grep -q ."
wait_for --deadline 5 all_up
masquerade_failover flow

# ---------------------------------------------------------------------------------------------------------
# Routed uplinks: no masquerade in the router, so nothing pins a flow and the group alone decides.
# Each ISP now routes the LAN's prefix (it accepts 192.168.77.0/24 from the router as from a customer with a
# routed subnet). The ISPs' own masquerade towards inet stays: it is how the receiver tells which ISP a packet
# came through (198.18.N.2), i.e. the path of each flow.
for n in 1 2 3; do
  in_ns "isp$n" nft insert rule ip harness antispoof iifname rtr ip saddr 192.168.77.0/24 accept
  in_ns "isp$n" nft add counter ip harness stream
  in_ns "isp$n" nft add rule ip harness forward iifname rtr udp dport $STREAM_PORT counter name stream
done
stream_packets() { isp_counter "$1" stream; }

# route_choices — the uplink `ip route get` picks for ROUTE_SAMPLES UDP flows from the LAN host (source ports
# 10000…), as the router forwards them: one interface name per line.
route_choices() {
  local p
  for ((p = 10000; p < 10000 + ROUTE_SAMPLES; p++)); do
    echo "route get $INET_ADDR from $LAN_ADDR iif lan0 ipproto udp sport $p dport $STREAM_PORT"
  done | in_ns router ip -batch - | grep -o ' dev wan[0-9]' | cut -c6-
}
# moved_survivors BEFORE AFTER — how many flows on wan1 or wan2 in BEFORE are elsewhere in AFTER.
moved_survivors() { paste -d' ' <(echo "$1") <(echo "$2") | awk '$1 != "wan3" && $1 != $2' | wc -l; }
wan3_buckets() {
  ip -n "$(ns router)" -j nexthop bucket show id $GROUP_RESILIENT 2>/dev/null |
    jq --argjson nh "$(uplink_nh 203)" '[.[] | select(.bucket.nhid == $nh)] | length'
}

# streaming_on N... — each ISP N has forwarded 500 more stream packets since the last mark_streams.
declare -A STREAM_BASE=()
mark_streams() { local n; for n in 1 2 3; do STREAM_BASE[$n]=$(stream_packets "$n"); done; }
streaming_on() {
  local n
  for n in "$@"; do [ "$(stream_packets "$n")" -ge $((STREAM_BASE[$n] + 500)) ] || return 1; done
}

wan3_has_buckets() { [ "$(wan3_buckets)" -ge 1 ]; }

# routed_failover MODE — STREAM_FLOWS UDP flows from the LAN host while wan3 fails and recovers, with MODE and
# no masquerade. Sets ROUTED_RESULT to "MOVED MOVED_BACK SURVIVORS ROUTE_MOVED WAN3_BACK WAN3_FLOWS": of the
# flows that began on wan1 or wan2 (SURVIVORS), those whose path changed (MOVED) and changed again (MOVED_BACK);
# of the ROUTE_SAMPLES `ip route get` flows on wan1 or wan2, those choosing another uplink while wan3 is down;
# of wan3's flows, those that went back to wan3 when it returned.
routed_failover() {
  local mode=$1 report before during route_moved receiver sender
  configure "$mode" routed
  uplinkctl_in router reload >/dev/null
  wait_for --deadline 5 --what "no masquerade left in uplinkd's table" \
    sh -c "! ip netns exec $(ns router) nft list table inet uplinkd | grep -q masquerade"
  wait_for --deadline 10 all_up

  before=$(route_choices)
  assert_eq $ROUTE_SAMPLES "$(wc -l <<<"$before")" "ip route get answers"
  report=$H_TMP/stream-$mode.json
  : >"$report"
  spawn "udp_stream recv ($mode)" "$report" in_ns inet "$UDP_STREAM" recv $STREAM_PORT
  receiver=$H_SPAWNED_PID
  wait_for --deadline 5 --what "the receiver ready" grep -q '^ready' "$report"
  spawn "udp_stream send ($mode)" "$H_TMP/stream-send-$mode.log" in_ns lan "$UDP_STREAM" send "$INET_ADDR" \
    $STREAM_PORT --flows $STREAM_FLOWS --interval-us $STREAM_INTERVAL_US --seconds 120 --first-port 40000
  sender=$H_SPAWNED_PID
  mark_streams
  wait_for --deadline 10 --what "streams through all three ISPs" streaming_on 1 2 3

  log "$mode, routed: wan3's upstream goes silent"
  blackhole_upstream 3
  wait_for --deadline 10 --what "wan3 down and out of the group" wan3_down
  during=$(route_choices)
  route_moved=$(moved_survivors "$before" "$during")
  mark_streams
  wait_for --deadline 10 --what "streams through isp1 and isp2 after the failure" streaming_on 1 2

  log "$mode, routed: wan3 recovers"
  restore_upstream 3
  wait_for --deadline 15 --what "wan3 up and back in the group" all_up
  if [ "$mode" == resilient ]; then
    # Busy buckets stay where they are; idle ones move to wan3 after idle_timer (1 s).
    wait_for --deadline 10 --what "buckets given back to wan3" wan3_has_buckets
    # A fixed observation period, to show that something does NOT happen: the flows stay where they are
    # although wan3 is back in the group.
    sleep 2
  else
    mark_streams
    wait_for --deadline 10 --what "streams through isp3 again" streaming_on 3
  fi
  mark_streams
  wait_for --deadline 10 --what "more streams through isp1 and isp2" streaming_on 1 2
  stop_pid "$sender"
  stop_pid "$receiver"

  local flows paths=$H_TMP/paths-$mode.tsv
  flows=$(grep '^{' "$report") || fail "no report from udp_stream recv: $(cat "$report")"
  # Per flow: its uplinks in order ("wan2,wan1,wan2"), lost packets, longest gap (ms).
  jq -r '.flows[] | [(.paths | map(.from) | join(",")), .lost, .max_gap_ms] | @tsv' <<<"$flows" |
    sed 's/198\.18\.\([0-9]\)\.2/wan\1/g' >"$paths"
  assert_eq $STREAM_FLOWS "$(wc -l <"$paths")" "flows the receiver saw"
  count() { awk -F'\t' "$1" "$paths" | wc -l; }
  local survivors moved moved_back wan3_flows wan3_moved wan3_back unmoved_gaps wan3_gaps
  survivors=$(count '$1 !~ /^wan3/')
  moved=$(count '$1 !~ /^wan3/ && $1 ~ /,/')
  moved_back=$(count '$1 !~ /^wan3/ && $1 ~ /,.*,/')
  wan3_flows=$(count '$1 ~ /^wan3/')
  wan3_moved=$(count '$1 ~ /^wan3,wan[12]/')
  wan3_back=$(count '$1 ~ /^wan3,wan[12],wan3/')
  unmoved_gaps=$(awk -F'\t' '$1 !~ /,/ { if ($3 > m) m = $3; l += $2 } END { printf "%d lost, longest gap %.0f ms", l, m }' "$paths")
  wan3_gaps=$(awk -F'\t' '$1 ~ /^wan3/ { if (!n++ || $3 < lo) lo = $3; if ($3 > hi) hi = $3 } END { printf "%.0f-%.0f ms", lo, hi }' "$paths")
  log "$mode, routed: $STREAM_FLOWS UDP flows; of the $survivors on wan1/wan2, $moved moved to another uplink and $moved_back of them moved back; of wan3's $wan3_flows, $wan3_moved moved to wan1/wan2 (longest gaps $wan3_gaps) and $wan3_back went back to wan3; flows that never moved: $unmoved_gaps"
  log "$mode, routed: ip route get over $ROUTE_SAMPLES flows: $route_moved of the $(grep -cv wan3 <<<"$before") on wan1/wan2 choose another uplink while wan3 is down"
  assert_eq "$wan3_flows" "$wan3_moved" "$mode: wan3's flows that moved to wan1 or wan2"
  ROUTED_RESULT="$moved $moved_back $survivors $route_moved $wan3_back $wan3_flows"
}

routed_failover flow
read -r f_moved f_back f_surv f_route f_w3_back f_w3 <<<"$ROUTED_RESULT"
# Hash-threshold with three equal members and the last one gone: wan2's slice of the hash space, [1/3, 2/3),
# becomes [1/2, 1), so its flows in [1/3, 1/2) go to wan1: a quarter of the survivors' flows move, and move
# back when wan3 returns.
assert_ge "$f_moved" 1 "flow mode, routed: surviving flows rehashed to another uplink"
assert_ge "$f_back" 1 "flow mode, routed: surviving flows rehashed back when wan3 returned"
assert_between "$f_route" $((ROUTE_SAMPLES * 2 / 3 / 4 * 7 / 10)) $((ROUTE_SAMPLES * 2 / 3 / 4 * 13 / 10)) \
  "flow mode, routed: ip route get flows on wan1/wan2 rehashed (about a quarter of 2/3 of $ROUTE_SAMPLES)"
assert_eq "$f_w3" "$f_w3_back" "flow mode, routed: wan3's flows that went back to wan3"

routed_failover resilient
read -r r_moved r_back r_surv r_route r_w3_back r_w3 <<<"$ROUTED_RESULT"
assert_eq 0 "$r_moved" "resilient mode, routed: surviving flows that moved"
assert_eq 0 "$r_back" "resilient mode, routed: surviving flows that moved back"
assert_eq 0 "$r_route" "resilient mode, routed: ip route get flows on wan1/wan2 that chose another uplink"
assert_eq 0 "$r_w3_back" "resilient mode, routed: wan3's busy flows that went back to wan3"

log "summary, routed: surviving flows moved: flow $f_moved/$f_surv (and back), resilient $r_moved/$r_surv; wan3's flows back on wan3 after its recovery: flow $f_w3_back/$f_w3, resilient $r_w3_back/$r_w3"
assert_converged router
pass
