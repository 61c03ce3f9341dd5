# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# IPv6 behind a router that translates it (NAT66): the LAN host with a ULA, and an internet host on which every
# address of 2001:db8:ffff::/64 is its own, with a server that answers each connection with the source address
# it sees, so that the uplink a connection left by is read where it arrived. Source after uplinkd_test.sh and
# ipv6.sh:
#
#   source "$(dirname "$0")/lib/uplinkd_test.sh"
#   source "$(dirname "$0")/lib/ipv6.sh"
#   source "$(dirname "$0")/lib/lan6.sh"
#
# Needs perl (IO::Socket::IP, in perl's core).

[ -n "${_H_LAN6_SH:-}" ] && return 0
_H_LAN6_SH=1

LAN6_ULA=fd00:1::10
LAN6_GW=fd00:1::1

# make_lan6 — make_lan, then the ULA prefix fd00:1::/64 on the LAN: $LAN6_GW on the router's lan0, $LAN6_ULA on
# the host, whose default6 is the router. The router forwards IPv6, so its uplinks take router advertisements
# only with accept_ra = 2: call it after make_isp6 for each ISP.
make_lan6() {
  make_lan
  sysctl_ns router net.ipv6.conf.all.forwarding=1
  local n
  for n in 1 2 3; do
    have_ns "isp$n" && sysctl_ns router "net.ipv6.conf.wan$n.accept_ra=2"
  done
  sysctl_ns lan net.ipv6.conf.eth0.dad_transmits=0
  ip -n "$(ns router)" addr add "$LAN6_GW/64" dev lan0 nodad
  ip -n "$(ns lan)" addr add "$LAN6_ULA/64" dev eth0 nodad
  ip -n "$(ns lan)" -6 route add default via "$LAN6_GW"
}

# start_whoami6 PORT — on the internet host, all of 2001:db8:ffff::/64 local (also as sources: inbound_seen6
# binds them), and a whoami server on PORT.
start_whoami6() {
  ip -n "$(ns inet)" -6 route add local 2001:db8:ffff::/64 dev lo
  # bind() takes only assigned addresses, not those of a local route, unless nonlocal binds are allowed.
  sysctl_ns inet net.ipv6.ip_nonlocal_bind=1
  start_whoami6_on inet "$1"
}

# start_whoami6_on ROLE PORT [ADDRESS] — a server on ROLE's PORT (IPv6, or ADDRESS: 0.0.0.0 for IPv4) that
# writes each connection's peer address and closes it.
start_whoami6_on() {
  # shellcheck disable=SC2016  # perl's own variables
  spawn "whoami server($1:$2)" "$H_TMP/whoami-$1-$2.log" in_ns "$1" perl -MIO::Socket::IP -e '
    my ($port, $address) = @ARGV;
    my $server = IO::Socket::IP->new(LocalHost => $address, LocalPort => $port, Listen => 128, ReuseAddr => 1,
                                     ($address =~ /:/ ? (V6Only => 1) : ())) or die "listen: $@\n";
    while (my $peer = $server->accept) { print $peer $peer->peerhost, "\n"; close $peer }' "$2" "${3:-::}"
  wait_for --deadline 5 --what "the whoami server on $1:$2" _h_listening "$1" "$2"
}

# _lan6_whoami_clients ROLE COUNT FIRST PORT PEER [SOURCE] — COUNT connections from ROLE, one after the other,
# to PEER at PORT, bound to SOURCE if given; PEER and SOURCE are sprintf formats given FIRST + i (a fixed
# address ignores it). Prints the address the whoami server saw for each ("-" when one failed).
_lan6_whoami_clients() {
  # shellcheck disable=SC2016  # perl's own variables
  in_ns "$1" perl -MIO::Socket::IP -e '
    my ($count, $first, $port, $peer, $source) = @ARGV;
    for my $i (0 .. $count - 1) {
      my %bind = $source ? (LocalHost => sprintf($source, $first + $i)) : ();
      my $socket = IO::Socket::IP->new(PeerHost => sprintf($peer, $first + $i), PeerPort => $port,
                                       Timeout => 5, %bind);
      warn "connection to ", sprintf($peer, $first + $i), " failed: $@\n" unless $socket;
      my $seen = $socket ? <$socket> : undef;
      chomp $seen if defined $seen;
      print defined $seen ? "$seen\n" : "-\n";
    }' "$2" "$3" "$4" "$5" "${6:-}"
}

# sources_seen6 COUNT FIRST PORT [SOURCE] — COUNT connections from the LAN host, one after the other, to
# 2001:db8:ffff::FIRST, ::FIRST+1, … (hex) at PORT (bound to SOURCE if given); prints the source the whoami
# server saw for each ("-" when one failed).
sources_seen6() { _lan6_whoami_clients lan "$1" "$2" "$3" "2001:db8:ffff::%x" "${4:-}"; }

# inbound_seen6 COUNT FIRST ADDRESS PORT — COUNT connections from the internet host to ADDRESS at PORT (a
# whoami server behind the router: start_whoami6_on), from 2001:db8:ffff::FIRST, ::FIRST+1, … (hex); prints
# the source that server saw for each ("-" when one failed). An IPv4 ADDRESS: from inet's own address.
inbound_seen6() {
  local source="2001:db8:ffff::%x"
  [[ $3 == *:* ]] || source=""
  _lan6_whoami_clients inet "$1" "$2" "$4" "$3" "$source"
}

# count_of LINES TEXT — how many of the lines are exactly TEXT.
count_of() { grep -cxF "$2" <<<"$1" || true; }

# tally_lines LINES — "TEXT×COUNT …", most frequent first, on one line (for messages).
tally_lines() { sort <<<"$1" | uniq -c | sort -rn | awk '{ printf "%s%s×%s", (NR > 1 ? " " : ""), $2, $1 }'; }
