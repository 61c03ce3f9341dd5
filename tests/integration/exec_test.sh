#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `uplinkctl exec UPLINK -- CMD` (issue 14, item 5): CMD's connections leave only by UPLINK, with its source.
# Two ISPs without NAT of their own (the internet host sees the router's uplink address itself), each with
# IPv4 by DHCP and IPv6 by RAs, dropping any source not theirs (BCP 38); the internet host answers on all of
# 198.51.100.0/24 and 2001:db8:ffff::/64 with an HTTP server that tells each client the address it sees.
# The router's own connections are spread by destination (flow mode, L4 hash), so 20 destinations show both
# uplinks for a plain curl: the control that a check of exec cannot pass by luck.
#  a. mode flow without masquerade, where uplinkd has no fwmark rule at all: curl under exec to 20 destinations
#     is seen from wan1's address every time for wan1 and from wan2's for wan2, IPv4 and IPv6; so is busybox nc.
#     The mark is on the socket at its creation, before any connect (getsockopt right after socket()), and the
#     source is the uplink's once connected; a socket that only carries the mark (no bind) is still spread over
#     both here: the preload library's bind to the uplink's address is what steers it in this mode.
#  b. a drained uplink still runs exec (the operator tests an ISP while it takes no new connections).
#  c. with masquerade, uplinkd's `fwmark MARK lookup TABLE` rules exist: `ip route get DST mark MARK` goes out by
#     the uplink with its source, and a socket marked before connect (mark only) leaves by it every time.
#  d. refusals: an uplink without carrier (exit 1, "uplink wan2 is not usable: no carrier on wan2", CMD not run),
#     an unknown one (exit 1, naming the known ones), a static program (exit 1, LD_PRELOAD cannot reach it), a
#     command that is not there (127), no daemon (2), no `--` (a usage error); CMD's own exit status otherwise.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/ipv6.sh"

require_tools perl
command -v curl >/dev/null || fail "curl not found (scripts/install-deps.sh installs it)"
command -v busybox >/dev/null || fail "busybox not found (scripts/install-deps.sh installs it)"

PORT=8088
COUNT=20
M1=$(printf '0x%08x' $((0x75000000 + 201))) M2=$(printf '0x%08x' $((0x75000000 + 202)))
DESTS4=() DESTS6=()
for ((i = 1; i <= COUNT; i++)); do
  DESTS4+=("198.51.100.$i")
  DESTS6+=("2001:db8:ffff::$(printf %x "$i")")
done

make_isp 1 --no-nat
make_isp 2 --no-nat
make_isp6 1
make_isp6 2
ip -n "$(ns inet)" route add local 198.51.100.0/24 dev lo
ip -n "$(ns inet)" -6 route add local 2001:db8:ffff::/64 dev lo

# The internet host's HTTP server: each answer's body is the client's address as the server sees it (an IPv4
# client's without its ::ffff: prefix). One client at a time, 5 s at most each.
# shellcheck disable=SC2016  # perl's own variables
spawn "whoami http(inet)" "$H_TMP/whoami-http.log" in_ns inet perl -MIO::Socket::IP -e '
  my $server = IO::Socket::IP->new(LocalHost => "::", LocalPort => $ARGV[0], Listen => 128, ReuseAddr => 1,
                                   V6Only => 0) or die "listen: $@\n";
  $| = 1;
  while (my $client = $server->accept) {
    eval {
      local $SIG{ALRM} = sub { die "timeout\n" };
      alarm 5;
      while (defined(my $line = <$client>)) { last if $line =~ /^\r?\n$/ }
      (my $peer = $client->peerhost) =~ s/^::ffff://;
      print $client "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ", length($peer) + 1,
                    "\r\n\r\n$peer\n";
      print "$peer\n";
      alarm 0;
    };
    close $client;
  }' "$PORT"
wait_for --deadline 5 --what "the HTTP server on inet:$PORT" _h_listening inet "$PORT"

CONFIG=$H_TMP/uplinkd.toml
# configure [UPLINK LINES...] — wan1 and wan2, weight 1 each, mode flow with the L4 hash.
configure() {
  write_config "$CONFIG" 'multipath_hash_policy = "l4"'
  add_uplink "$CONFIG" 1 1 "$@"
  add_uplink "$CONFIG" 2 1 "$@"
}
configure
start_uplinkd router "$CONFIG"
two_uplinks_up6
wait_for --deadline 10 --what "the IPv6 group of wan1 and wan2" group6_is router "$((0x76000000 + 201)),$((0x76000000 + 202))"
log "wan1: $A1 and $S1; wan2: $A2 and $S2"

url() { if [[ $1 == *:* ]]; then echo "http://[$1]:$PORT/"; else echo "http://$1:$PORT/"; fi; }

# seen [exec UPLINK] DEST... — a curl from the router to each DEST (under `uplinkctl exec UPLINK --` when
# given); prints the address the server saw for each, one per line ("-" for a failed one).
seen() {
  local prefix=(in_ns router) dest
  [ "$1" != exec ] || { prefix=(uplinkctl_in router exec "$2" --); shift 2; }
  for dest in "$@"; do
    "${prefix[@]}" curl -s -m 5 "$(url "$dest")" || echo "-"
  done
}

# all_are EXPECTED LINES WHAT — every line is EXPECTED (and there are COUNT of them).
all_are() {
  assert_eq "$COUNT" "$(grep -cxF "$1" <<<"$2" || true)" "$3 (seen: $(sort <<<"$2" | uniq -c | tr -s ' \n' ' '))"
}

log "a. the control: the router's own connections to $COUNT destinations are spread over both uplinks"
assert_eq "" "$(ip -n "$(ns router)" rule show priority 20050)" "no fwmark rule in mode flow without masquerade"
plain=$(seen "${DESTS4[@]}")
assert_eq "$COUNT" "$(grep -cxE "$A1|$A2" <<<"$plain" || true)" "plain curl reached the server from an uplink's address"
assert_ge "$(grep -cxF "$A1" <<<"$plain" || true)" 1 "plain curl by wan1"
assert_ge "$(grep -cxF "$A2" <<<"$plain" || true)" 1 "plain curl by wan2"
plain6=$(seen "${DESTS6[@]}")
assert_ge "$(grep -cxF "$S1" <<<"$plain6" || true)" 1 "plain IPv6 curl by wan1"
assert_ge "$(grep -cxF "$S2" <<<"$plain6" || true)" 1 "plain IPv6 curl by wan2"

log "a. curl under exec: every connection from the uplink's own address"
all_are "$A1" "$(seen exec wan1 "${DESTS4[@]}")" "exec wan1: IPv4 seen from wan1's address"
all_are "$A2" "$(seen exec wan2 "${DESTS4[@]}")" "exec wan2: IPv4 seen from wan2's address"
all_are "$S1" "$(seen exec wan1 "${DESTS6[@]}")" "exec wan1: IPv6 seen from wan1's address"
all_are "$S2" "$(seen exec wan2 "${DESTS6[@]}")" "exec wan2: IPv6 seen from wan2's address"

log "a. busybox nc under exec"
for n in 1 2; do
  want=$A1
  [ "$n" -eq 1 ] || want=$A2
  for dest in 198.51.100.7 198.51.100.8 198.51.100.9; do
    out=$(printf 'GET / HTTP/1.0\r\n\r\n' | uplinkctl_in router exec "wan$n" -- busybox nc -w 5 "$dest" "$PORT")
    assert_eq "$want" "$(tail -n1 <<<"$out" | tr -d '\r')" "busybox nc to $dest under exec wan$n"
  done
done

log "a. the mark is on the socket from its creation; the source is the uplink's once connected"
# socket_probe FAMILY DEST — creates a TCP socket, prints its mark (SO_MARK, 36) and its address at once,
# before anything else, then connects to DEST and prints its address again.
# shellcheck disable=SC2016  # perl's own variables
socket_probe='
  use Socket qw(:all);
  my ($family, $dest, $port) = @ARGV;
  my $af = $family eq "6" ? AF_INET6 : AF_INET;
  socket(my $s, $af, SOCK_STREAM, 0) or die "socket: $!\n";
  my $mark = unpack("I", getsockopt($s, SOL_SOCKET, 36) // die "getsockopt: $!\n");
  my $host = sub { (getnameinfo(getsockname($s), NI_NUMERICHOST))[1] };
  my $before = $host->();
  my (undef, $address) = getaddrinfo($dest, $port, {family => $af, socktype => SOCK_STREAM});
  connect($s, $address->{addr}) or die "connect: $!\n";
  printf "0x%08x %s %s\n", $mark, $before, $host->();'
assert_eq "$M2 0.0.0.0 $A2" "$(uplinkctl_in router exec wan2 -- perl -e "$socket_probe" 4 198.51.100.3 "$PORT")" \
  "exec wan2, IPv4: mark at creation, unbound until connect, then wan2's address"
assert_eq "$M1 :: $S1" "$(uplinkctl_in router exec wan1 -- perl -e "$socket_probe" 6 2001:db8:ffff::3 "$PORT")" \
  "exec wan1, IPv6: mark at creation, unbound until connect, then wan1's address"

# marked_only MARK DEST... — from the router, a TCP connection to each DEST from a socket with MARK set at its
# creation and nothing else (no bind); prints the address the server saw for each.
# shellcheck disable=SC2016  # perl's own variables
marked_only() {
  in_ns router perl -MSocket=:all -e '
    my ($mark, $port, @dests) = @ARGV;
    for my $dest (@dests) {
      socket(my $s, AF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
      setsockopt($s, SOL_SOCKET, 36, pack("I", hex $mark)) or die "SO_MARK: $!\n";
      my $seen = "-";
      if (connect($s, pack_sockaddr_in($port, inet_aton($dest)))) {
        syswrite($s, "GET / HTTP/1.0\r\n\r\n");
        local $/;
        my $answer = <$s> // "";
        $seen = $1 if $answer =~ /\r\n\r\n(\S+)/;
      }
      print "$seen\n";
      close $s;
    }' "$1" "$PORT" "${@:2}"
}
only_marked=$(marked_only "$M2" "${DESTS4[@]}")
assert_ge "$(grep -cxF "$A1" <<<"$only_marked" || true)" 1 \
  "without a fwmark rule a mark alone does not steer (so the bind does): a marked socket by wan1"

log "b. a drained uplink still runs exec"
assert_eq "drained wan2" "$(uplinkctl_in router drain wan2)" "uplinkctl drain"
wait_for --deadline 5 --what "group of wan1 alone" has_members router 1:1
assert_eq drained "$(uplink_field router wan2 state)" "wan2's state"
all_are "$A2" "$(seen exec wan2 "${DESTS4[@]}")" "exec wan2 while drained: IPv4 from wan2's address"
all_are "$S2" "$(seen exec wan2 "${DESTS6[@]:0:5}" "${DESTS6[@]:5}")" "exec wan2 while drained: IPv6 from wan2's address"
uplinkctl_in router undrain wan2 >/dev/null
wait_for --deadline 5 --what "group of wan1 and wan2" has_members router 1:1 2:1

log "c. with masquerade, the fwmark rules route a marked socket by its uplink, with its source"
configure "masquerade = true"
uplinkctl_in router reload >/dev/null
has_mark_rule() { [[ $(ip -n "$(ns router)" rule show priority 20050) == *"fwmark $1 lookup $2"* ]]; }
wait_for --deadline 5 --what "wan2's fwmark rule" has_mark_rule "$M2" 202
for dest in "${DESTS4[@]}"; do
  route=$(ip -n "$(ns router)" route get "$dest" mark "$M2")
  assert_contains "$route" "dev wan2" "ip route get $dest mark $M2"
  assert_contains "$route" "src $A2" "ip route get $dest mark $M2"
done
all_are "$A2" "$(marked_only "$M2" "${DESTS4[@]}")" "a socket marked at creation, no bind: wan2's address"
all_are "$A1" "$(seen exec wan1 "${DESTS4[@]}")" "exec wan1 with masquerade: wan1's address"

log "d. refusals and exit statuses"
rc=0
uplinkctl_in router exec wan1 -- sh -c 'exit 7' || rc=$?
assert_eq 7 "$rc" "exec passes the command's exit status on"
rc=0
out=$(uplinkctl_in router exec wan1 -- no-such-command-here 2>&1) || rc=$?
assert_eq 127 "$rc" "exit status of a command that is not there"
assert_contains "$out" "no-such-command-here: command not found" "its message"
rc=0
out=$(uplinkctl_in router exec wan1 -- /sbin/ldconfig -p 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status for a static program"
assert_contains "$out" "statically linked" "why a static program is refused"
rc=0
out=$(uplinkctl_in router exec wan9 -- true 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status for an unknown uplink"
assert_eq 'uplinkctl: no uplink named "wan9" (uplinks: wan1, wan2)' "$out" "the message for an unknown uplink"
rc=0
out=$(in_ns router "$UPLINKCTL_BIN" -s "$H_TMP/no-such.sock" -t 1 exec wan1 -- true 2>&1) || rc=$?
assert_eq 2 "$rc" "exit status without a daemon"
assert_contains "$out" "cannot reach uplinkd" "its message"
rc=0
out=$(uplinkctl_in router exec wan1 touch "$H_TMP/ran" 2>&1) || rc=$?
assert_ge "$rc" 100 "exit status without -- (a usage error)"
assert_contains "$out" "put -- before it" "its message"
[ ! -e "$H_TMP/ran" ] || fail "exec ran a command given without --"

link_down isp2 rtr
states_of() { uplink_json router "$1" | jq -r '.state + " " + .ipv6.state'; }
down_in_both() { [ "$(states_of "$1")" == "down down" ]; }
wait_for --deadline 10 --what "wan2 down in both families" down_in_both wan2
rc=0
out=$(uplinkctl_in router exec wan2 -- touch "$H_TMP/ran" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit status for an uplink without carrier"
assert_eq "uplinkctl: uplink wan2 is not usable: no carrier on wan2" "$out" "the message for an uplink without carrier"
[ ! -e "$H_TMP/ran" ] || fail "exec ran the command by an uplink that is not usable"
all_are "$A1" "$(seen exec wan1 "${DESTS4[@]}")" "exec wan1 while wan2 has no carrier"

pass
