# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers for tests of `mode = "connection"` (and anything else that marks connections): short TCP
# connections from a chosen source address, and what the router's conntrack says about each connection — the
# uplink address it was NATed to, its ct mark and its id. Source after uplinkd_test.sh, failover.sh and echo.sh:
#
#   source "$(dirname "$0")/lib/uplinkd_test.sh"
#   source "$(dirname "$0")/lib/failover.sh"
#   source "$(dirname "$0")/lib/echo.sh"
#   source "$(dirname "$0")/lib/connection.sh"
#
# Needs perl and conntrack (require_tools perl conntrack).

[ -n "${_H_CONNECTION_SH:-}" ] && return 0
_H_CONNECTION_SH=1

# uplink_mark TABLE — the mark uplinkd gives the uplink whose table is TABLE (0x75000000 + TABLE), as
# conntrack_split and held_ct print it.
uplink_mark() { printf '0x%08x\n' $((0x75000000 + $1)); }

# short_connections ROLE SRC DST PORT COUNT — COUNT TCP connections from ROLE to DST:PORT, one after the other
# (bound to the local address SRC, or any if SRC is "-"); prints how many were established. One at a time, so
# that the router sees them in the order they are made (a round-robin choice then gives an exact split). The
# server may close them at once; the client closes all of them at the end, so that no source port is used
# twice (a reused port would meet its predecessor's conntrack entry, still in TIME_WAIT).
short_connections() {
  # shellcheck disable=SC2016  # perl's own variables
  in_ns "$1" perl -MIO::Socket::INET -e '
    my ($src, $dst, $port, $count) = @ARGV;
    my @sockets;
    for (1 .. $count) {
      my $socket = IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port, Proto => "tcp", Timeout => 3,
                                         ($src ne "-" ? (LocalAddr => $src) : ()));
      push @sockets, $socket if $socket;
    }
    print scalar(@sockets), "\n";
  ' "$2" "$3" "$4" "$5"
}

# conntrack_split ROUTER SRC DPORT — how ROUTER's conntrack NATed the TCP connections from SRC to port DPORT
# (any destination): one line "ADDRESS MARK COUNT" per reply destination address (the uplink's address for a
# masqueraded connection) and ct mark (hex), sorted. Closed connections are listed as long as their entries
# live (TIME_WAIT: 120 s), so give each batch of connections its own DPORT.
conntrack_split() {
  in_ns "$1" conntrack -L -p tcp -s "$2" --orig-port-dst "$3" 2>/dev/null | awk '
    {
      n = 0; mark = 0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^dst=/) { n++; if (n == 2) reply = substr($i, 5) }
        if ($i ~ /^mark=/) mark = substr($i, 6)
      }
      count[sprintf("%s 0x%08x", reply, mark)]++
    }
    END { for (k in count) print k, count[k] }' | sort
}

# split_count SPLIT ADDRESS — the number of connections in a conntrack_split NATed to ADDRESS (any mark).
split_count() { awk -v a="$2" '$1 == a { n += $3 } END { print n + 0 }' <<<"$1"; }

# held_ct ROUTER NAME — "PORT ADDRESS MARK ID" per connection of echo holder NAME (lib/echo.sh; IPv4 or IPv6),
# in the order of the holder's file: the address ROUTER's conntrack NATed it to (the reply tuple's
# destination), its ct mark (hex) and the entry's id ("- - -" if there is no entry). A connection that keeps all four kept its
# uplink and its conntrack entry.
held_ct() {
  local router=$1 file=$H_TMP/echo-holder-$2 dst port family=ipv4
  read -r dst port <<<"${H_ECHO_HOLDER_DST[$2]:?held_ct: no holder $2}"
  [[ $dst == *:* ]] && family=ipv6
  in_ns "$router" conntrack -L -f "$family" -p tcp --orig-port-dst "$port" -o id 2>/dev/null |
    awk -v ports="$(tr '\n' ' ' <"$file")" -v inet="src=$dst" '
      BEGIN { n = split(ports, port, " "); for (i = 1; i <= n; i++) entry[port[i]] = "- - -" }
      {
        sport = ""; reply = ""; mark = 0; id = "-"
        for (i = 1; i <= NF; i++) {
          if (sport == "" && $i ~ /^sport=/) sport = substr($i, 7)
          if ($i == inet && i < NF) reply = substr($(i + 1), 5)   # the reply tuple: src=DST dst=NAT-ADDRESS
          if ($i ~ /^mark=/) mark = substr($i, 6)
          if ($i ~ /^id=/) id = substr($i, 4)
        }
        if (sport in entry) entry[sport] = sprintf("%s 0x%08x %s", reply, mark, id)
      }
      END { for (i = 1; i <= n; i++) print port[i], entry[port[i]] }'
}

# held_on HELD_CT ADDRESS — the lines of a held_ct result NATed to ADDRESS.
held_on() { awk -v a="$2" '$2 == a' <<<"$1"; }

# held_destroyed LOG PORT ADDRESS HELD — conntrack -E's log LOG (destroyed_entries, failover.sh) has reported
# the deletion, by a request and not a timeout, of the entry of every held connection in HELD (held_on lines:
# source port first) to PORT that was NATed to ADDRESS.
held_destroyed() {
  local gone sport _
  gone=$(destroyed_entries "$1")
  while read -r sport _; do
    grep -q "sport=$sport dport=$2 .*dst=$3 .*by=userspace" <<<"$gone" || return 1
  done <<<"$4"
}

# uplinkd_nft ROLE — uplinkd's nftables table in ROLE as nft lists it (empty if there is none).
uplinkd_nft() { in_ns "$1" nft list table inet uplinkd 2>/dev/null || true; }

# nft_changed ROLE BEFORE — true once uplinkd's table differs from BEFORE (for wait_for after an operator
# command: the new choice of uplinks is in place).
nft_changed() { [ "$(uplinkd_nft "$1")" != "$2" ]; }

# start_tcp_closer ROLE PORT... — one server in ROLE that listens on every PORT, IPv4 and IPv6, and closes each
# connection as soon as it has accepted it (perl: busybox nc forks per connection and drops SYNs under load,
# which would cost a connection a retransmitted SYN). Waits until it listens on all of them.
start_tcp_closer() {
  local role=$1 port
  shift
  # shellcheck disable=SC2016  # perl's own variables
  spawn "tcp-closer($role:$*)" "$H_TMP/tcp-closer-$role.log" in_ns "$role" perl -MIO::Socket::IP -MIO::Select -e '
    my $select = IO::Select->new(map {
      IO::Socket::IP->new(LocalHost => "::", LocalPort => $_, V6Only => 0, Listen => 1024, ReuseAddr => 1)
        or die "listen on $_: $@\n"
    } @ARGV);
    while (1) { for my $listener ($select->can_read) { my $c = $listener->accept; close $c if $c } }
  ' "$@"
  for port in "$@"; do wait_for --deadline 5 --what "TCP closer on $role:$port" _h_listening "$role" "$port"; done
}

# add_spoof_counter N — count, in ispN, the packets the router sends through it towards the internet with a
# source address that is not ispN's (ahead of the ISP's antispoof filter, which drops them): a connection
# NATed to one uplink's address that left by another. spoofed N reads it.
add_spoof_counter() {
  in_ns "isp$1" nft -f - <<NFT || fail "add_spoof_counter $1"
table ip conntest {
  counter spoofed { }
  chain forward {
    type filter hook forward priority -20; policy accept;
    iifname "rtr" oifname "inet" ip saddr != 100.64.$1.0/24 counter name "spoofed"
  }
}
NFT
}

spoofed() { in_ns "isp$1" nft list counter ip conntest spoofed | grep -o 'packets [0-9]*' | cut -d' ' -f2; }

# drop_first_syns ROLE PORT — ROLE drops the first SYN of every connection to its PORT (per source address and
# port), so each connection is made by a retransmitted SYN (after the kernel's initial RTO, 1 s). first_syns
# ROLE says how many it dropped.
drop_first_syns() {
  in_ns "$1" nft -f - <<NFT || fail "drop_first_syns $1 $2"
table ip firstsyn {
  set seen { type ipv4_addr . inet_service; flags dynamic; timeout 5m; }
  counter dropped { }
  chain input {
    type filter hook input priority -10; policy accept;
    tcp dport $2 tcp flags & (syn | ack) == syn ip saddr . tcp sport != @seen add @seen { ip saddr . tcp sport } counter name "dropped" drop
  }
}
NFT
}

first_syns() { in_ns "$1" nft list counter ip firstsyn dropped | grep -o 'packets [0-9]*' | cut -d' ' -f2; }
