# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers for tests of traffic rules and exclusions (issue 4): more hosts behind the router, UDP flows from
# chosen source ports, where conntrack NATed each flow and which ct mark it holds, and a judge table in the
# router that counts packets by the mark they carry when they are forwarded. The judges are the kernel's own
# (conntrack, nft counters of a table of the test's), never the daemon's report. Source after
# uplinkd_test.sh and failover.sh:
#
#   source "$(dirname "$0")/lib/uplinkd_test.sh"
#   source "$(dirname "$0")/lib/failover.sh"
#   source "$(dirname "$0")/lib/rules.sh"

[ -n "${_H_RULES_SH:-}" ] && return 0
_H_RULES_SH=1

# A second LAN host on a link of its own, and a server on a third router link, both with a default route via
# the router. Nothing outside the router knows their prefixes: the server is reachable only through the
# connected route in the router's main table, so a packet for it that an uplink's table routed would leave by
# that uplink and die upstream.
LAN2_ADDR=192.168.78.10
LAN2_GW=192.168.78.1
SRV_ADDR=192.0.2.10
SRV_GW=192.0.2.1
SRV_PREFIX=192.0.2.0/24

# make_lan2 — namespace lan2 (eth0 $LAN2_ADDR/24) behind the router's lan1 ($LAN2_GW/24).
make_lan2() {
  have_ns lan2 && return 0
  make_router
  make_ns lan2
  veth lan2 eth0 router lan1
  ip -n "$(ns router)" addr add "$LAN2_GW/24" dev lan1
  ip -n "$(ns lan2)" addr add "$LAN2_ADDR/24" dev eth0
  ip -n "$(ns lan2)" route add default via "$LAN2_GW"
}

# make_server — namespace srv (eth0 $SRV_ADDR/24) behind the router's srv0 ($SRV_GW/24).
make_server() {
  have_ns srv && return 0
  make_router
  make_ns srv
  veth srv eth0 router srv0
  ip -n "$(ns router)" addr add "$SRV_GW/24" dev srv0
  ip -n "$(ns srv)" addr add "$SRV_ADDR/24" dev eth0
  ip -n "$(ns srv)" route add default via "$SRV_GW"
}

# uplink_mark N — the packet mark of uplink wanN (table 200 + N, as add_uplink gives it): 0x75000000 + table.
uplink_mark() { printf '0x%08x' $((0x75000000 + 200 + $1)); }

# udp_flows ROLE DST PORT FIRST COUNT — COUNT UDP flows from ROLE to DST:PORT, one datagram each, from the
# source ports FIRST … FIRST+COUNT-1 (perl: bash's /dev/udp cannot choose the port). Each flow is new to
# conntrack as long as its last entry lives (30 s unreplied): use a fresh FIRST for each batch.
udp_flows() {
  local role=$1 dst=$2 port=$3 first=$4 count=$5
  # shellcheck disable=SC2016  # perl's own variables
  in_ns "$role" perl -MIO::Socket::INET -e '
    my ($dst, $port, $first, $count) = @ARGV;
    for my $sport ($first .. $first + $count - 1) {
      my $socket = IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port, LocalPort => $sport,
                                         Proto => "udp", ReuseAddr => 1) or die "udp flow from port $sport: $@\n";
      defined $socket->send("x") or die "send from port $sport: $!\n";
    }' "$dst" "$port" "$first" "$count" || fail "udp_flows $*"
}

# udp_nat ROLE SRC DPORT FIRST COUNT — for each of the UDP flows from SRC, source ports FIRST … FIRST+COUNT-1,
# to DPORT: "SPORT NAT-ADDRESS MARK" — the address ROLE's conntrack NATed it to (the reply tuple's destination:
# SRC itself if not NATed; "-" if there is no entry) and the entry's ct mark (hex; "-").
udp_nat() {
  local role=$1 src=$2 dport=$3 first=$4 count=$5
  in_ns "$role" conntrack -L -p udp --orig-src "$src" --orig-port-dst "$dport" 2>/dev/null |
    awk -v first="$first" -v last=$((first + count - 1)) '
      BEGIN { for (p = first; p <= last; p++) { nat[p] = "-"; mark[p] = "-" } }
      {
        n = 0; sport = ""; m = "-"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^(src|dst)=/) { split($i, kv, "="); address[++n] = kv[2] }
          if (sport == "" && $i ~ /^sport=/) sport = substr($i, 7)
          if ($i ~ /^mark=/) m = sprintf("0x%08x", substr($i, 6))
        }
        if (sport in nat) { nat[sport] = address[4]; mark[sport] = m }
      }
      END { for (p = first; p <= last; p++) print p, nat[p], mark[p] }'
}

# count_field LINES FIELD VALUE — how many of LINES have VALUE in (1-based) FIELD.
count_field() { awk -v f="$2" -v v="$3" '$f == v { n++ } END { print n + 0 }' <<<"$1"; }

# tally LINES FIELD — "VALUE×COUNT" for each value of FIELD, most frequent first, on one line.
tally() {
  awk -v f="$2" '{ print $f }' <<<"$1" | sort | uniq -c | sort -rn |
    awk '{ printf "%s%s×%s", (NR > 1 ? " " : ""), $2, $1 }'
}

# main_default_dev ROLE — the interface of the default route in ROLE's main table that routing would pick
# (the lowest metric): where unmarked, unbalanced traffic leaves.
main_default_dev() {
  ip -n "$(_h_ns "$1")" -4 route show table main default |
    awk '{ m = 0; for (i = 1; i < NF; i++) { if ($i == "dev") d = $(i + 1); if ($i == "metric") m = $(i + 1) }
           if (best == "" || m < bm) { best = d; bm = m } } END { print best }'
}

# ---------------------------------------------------------------------------------------------------------
# The mark judge: a table of the test's own in the router (inet rulesjudge), in the forward hook, where a
# forwarded packet carries the mark that the prerouting chains gave it and that routed it. uplinkd owns only
# inet uplinkd, so this table is no business of its.

# install_mark_judge ROLE — counters for: packets to the server ($SRV_PREFIX) and how many of them were
# marked (srv_all, srv_marked); packets of the second LAN host ($LAN2_ADDR) to the inet host and how many
# were marked, all of them and only each connection's first (lan2_all, lan2_marked, lan2_new, lan2_new_marked).
install_mark_judge() {
  in_ns "$1" nft -f - <<EOF || fail "install_mark_judge: nft in $1 failed"
table inet rulesjudge {
  counter srv_all { }
  counter srv_marked { }
  counter lan2_all { }
  counter lan2_marked { }
  counter lan2_new { }
  counter lan2_new_marked { }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip daddr $SRV_PREFIX counter name "srv_all"
    ip daddr $SRV_PREFIX meta mark != 0 counter name "srv_marked"
    ip saddr $LAN2_ADDR ip daddr $INET_ADDR counter name "lan2_all"
    ip saddr $LAN2_ADDR ip daddr $INET_ADDR meta mark != 0 counter name "lan2_marked"
    ip saddr $LAN2_ADDR ip daddr $INET_ADDR ct state new counter name "lan2_new"
    ip saddr $LAN2_ADDR ip daddr $INET_ADDR ct state new meta mark != 0 counter name "lan2_new_marked"
  }
}
EOF
}

# judge ROLE NAME — packets counted by the judge's counter NAME.
judge() {
  local out
  out=$(in_ns "$1" nft list counter inet rulesjudge "$2" 2>&1) || fail "judge $2: $out"
  out=$(grep -o 'packets [0-9]*' <<<"$out" | head -n1)
  echo "${out#* }"
}

# reset_judge ROLE — zero the judge's counters.
reset_judge() { in_ns "$1" nft reset counters table inet rulesjudge >/dev/null || fail "reset_judge"; }

# tcp_entries ROLE SRC DST DPORT — ROLE's conntrack entries of TCP connections from SRC to DST:DPORT, one
# "ID NAT-ADDRESS MARK" per line (the entry's id, the reply tuple's destination: SRC itself if not NATed, the
# ct mark in hex). Ids tell the entries of a new batch of connections from older ones (TIME_WAIT lasts 120 s).
# An exact count of new connections per uplink, unlike counting SYNs in ct state new: conntrack calls every
# packet of the original direction new until a reply is seen, so a retransmitted SYN counts twice there.
tcp_entries() {
  in_ns "$1" conntrack -L -p tcp --orig-src "$2" --orig-dst "$3" --dport "$4" -o id 2>/dev/null |
    awk '{
      n = 0; id = ""; m = "-"
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^(src|dst)=/) { split($i, kv, "="); address[++n] = kv[2] }
        if ($i ~ /^id=/) id = substr($i, 4)
        if ($i ~ /^mark=/) m = sprintf("0x%08x", substr($i, 6))
      }
      print id, address[4], m
    }' | sort
}
