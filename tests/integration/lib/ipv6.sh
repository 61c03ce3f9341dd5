# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 beside the IPv4 topology of netns.sh. Addresses (documentation prefixes, all inside our namespaces):
#   ispN  "rtr"  2001:db8:N::1/64 and fe80::1, announced by radvd-like RAs from dnsmasq (SLAAC, ra-only):
#                the router's wanN takes 2001:db8:N::<EUI-64>/64 and "default via fe80::1 proto ra"
#   ispN  "inet" 2001:db8:ff:N::2/64 <-> inet "ispN" 2001:db8:ff:N::1/64 (ISPs route, no NAT66: the source
#                inet sees is the router's own address in 2001:db8:N::/64, which tells the ISP used)
#   inet  lo     2001:db8:ffff::1/128 (the IPv6 "internet host")
# Like the IPv4 side, each ISP drops what the router sends from outside its own prefix (BCP 38), and counts
# new TCP connections forwarded upstream in `table ip6 harness6` (isp6_counter) and the packets dropped for
# their source (isp6_spoofed).

INET6_ADDR=2001:db8:ffff::1
declare -gA H_RA_PID=()  # by ISP number: its RA daemon

isp6_prefix() { echo "2001:db8:$1::"; }  # isp6_prefix N — without the length (/64)

# make_isp6 N [--no-ra] — give ispN (made by make_isp) its IPv6 side and start its router advertisements.
make_isp6() {
  local n=$1 ra=1
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --no-ra) ra=0; shift ;;
      *) fail "make_isp6: unknown option $1" ;;
    esac
  done
  have_ns "isp$n" || fail "make_isp6: isp$n does not exist (make_isp $n first)"
  local isp inet
  isp=$(ns "isp$n") inet=$(ns inet)
  sysctl_ns "isp$n" net.ipv6.conf.all.forwarding=1
  # The router accepts RAs as a host does (its IPv6 forwarding stays off), at once and without DAD delays
  # for the ISP's side.
  sysctl_ns router net.ipv6.conf."wan$n".accept_ra=1
  ip -n "$isp" addr add "fe80::1/64" dev rtr nodad
  ip -n "$isp" addr add "$(isp6_prefix "$n")1/64" dev rtr nodad
  ip -n "$isp" addr add "2001:db8:ff:$n::2/64" dev inet nodad
  ip -n "$inet" addr add "2001:db8:ff:$n::1/64" dev "isp$n" nodad
  ip -n "$inet" -6 route add "$(isp6_prefix "$n")/64" via "2001:db8:ff:$n::2"
  ip -n "$isp" -6 route add default via "2001:db8:ff:$n::1"
  # Not `ip … | grep -q`: grep exits at its match, ip may die of SIGPIPE, and pipefail calls that a miss.
  [[ $(ip -n "$inet" addr show dev lo) == *"$INET6_ADDR/128"* ]] || ip -n "$inet" addr add "$INET6_ADDR/128" dev lo
  in_ns "isp$n" nft -f - <<EOF6 || fail "make_isp6: nft setup in isp$n failed"
table ip6 harness6 {
  counter tcpflows { }
  counter spoofed { }
  chain antispoof {
    type filter hook forward priority -10; policy accept;
    iifname "rtr" ip6 saddr != $(isp6_prefix "$n")/64 counter name "spoofed" drop
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "rtr" oifname "inet" ct state new tcp flags & (syn | ack) == syn counter name "tcpflows"
  }
}
EOF6
  [ $ra -eq 0 ] || start_ra "$n"
}

# start_ra N [ROUTER_LIFETIME] [PREFIX] [INTERVAL] [PREFERENCE] — dnsmasq in ispN announcing PREFIX/64
# (default 2001:db8:N::) for SLAAC (ra-only, no DHCPv6) with fe80::1 as the router, every INTERVAL seconds
# (default 3; a real ISP's are minutes apart) and in answer to router solicitations. PREFERENCE "high" or
# "low" (RFC 4191; default medium) decides which router main's default route takes when several advertise.
start_ra() {
  local n=$1 lifetime=${2:-1800} prefix=${3:-$(isp6_prefix "$1")} interval=${4:-3} preference=${5:+$5,}
  local pidfile=$H_TMP/dnsmasq-ra-isp$n.pid
  stop_ra "$n"
  track_pidfile "$pidfile"
  spawn "dnsmasq-ra(isp$n)" "$H_TMP/dnsmasq-ra-isp$n.log" \
    in_ns "isp$n" dnsmasq --keep-in-foreground --log-facility=- \
    --conf-file=/dev/null --no-resolv --no-hosts --port=0 \
    --interface=rtr --bind-interfaces --except-interface=lo \
    --enable-ra --dhcp-range="$prefix,ra-only,64" --ra-param="rtr,${preference}$interval,$lifetime" \
    --pid-file="$pidfile" --user=root --group=root
  H_RA_PID[$n]=$H_SPAWNED_PID
}

stop_ra() {
  local pid=${H_RA_PID[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid"
  unset "H_RA_PID[$1]"
}

# slaac_address ROLE IF N — IF's global address in 2001:db8:N::/64 once DAD is over (empty before).
slaac_address() {
  ip -n "$(_h_ns "$1")" -6 -o addr show dev "$2" scope global -tentative |
    awk -v p="2001:db8:$3:" '$4 ~ "^" p {sub("/.*", "", $4); print $4; exit}'
}

# has_slaac ROLE IF N — true when IF has its address in 2001:db8:N::/64, past DAD.
has_slaac() { [ -n "$(slaac_address "$@")" ]; }

# uplink6_ok ROLE N — wanN's IPv6 table (connected prefix, default via its nexthop) and prefix rule are there.
uplink6_ok() {
  local netns table=$((200 + $2))
  netns=$(_h_ns "$1")
  ip -N -n "$netns" -6 rule show priority 20100 |
    grep -q "from $(isp6_prefix "$2")/64 lookup $table proto $UPLINKD_PROTO" || return 1
  ip -N -n "$netns" -6 route show table "$table" | grep -q "^default nhid $((0x76000000 + table)) via fe80::1 dev wan$2" || return 1
  ip -N -n "$netns" -6 route show table "$table" | grep -q "^$(isp6_prefix "$2")/64 dev wan$2 proto $UPLINKD_PROTO"
}

# two_uplinks_up6 — two_uplinks_up (failover.sh), then both uplinks' SLAAC addresses and their IPv6 tables and
# prefix rules; sets S1 and S2 to the router's addresses on wan1 and wan2.
two_uplinks_up6() {
  two_uplinks_up
  wait_for --deadline 10 --what "wan1's SLAAC address" has_slaac router wan1 1
  wait_for --deadline 10 --what "wan2's SLAAC address" has_slaac router wan2 2
  wait_for --deadline 10 --what "wan1's IPv6 table and prefix rule" uplink6_ok router 1
  wait_for --deadline 10 --what "wan2's IPv6 table and prefix rule" uplink6_ok router 2
  S1=$(slaac_address router wan1 1) S2=$(slaac_address router wan2 2)
}

# group6_members ROLE — the uplinks that balance IPv6, as their IPv6 nexthop ids "ID,ID" in ascending order
# (empty: none). In flow mode default6 is a multipath route whose legs name each uplink's router and device
# (the id is the nexthop of that router and device); in resilient mode, or with one uplink, it names a
# nexthop (a group's members, or the one).
group6_members() {
  local netns route id
  netns=$(_h_ns "$1")
  route=$(ip -N -n "$netns" -6 route show table 1000 default 2>/dev/null)
  id=$(sed -n 's/.* nhid \([0-9]*\).*/\1/p' <<<"$route")
  if [ -n "$id" ]; then
    local shown
    shown=$(ip -n "$netns" nexthop show id "$id" 2>/dev/null)
    if [[ $shown == *" group "* ]]; then
      sed -n 's/.* group \([^ ]*\).*/\1/p' <<<"$shown" | sed 's/,[0-9]*//g; s/\// /g' | tr ' ' '\n' |
        grep -v '^$' | sort -n | paste -sd,
    else
      echo "$id"
    fi
    return
  fi
  local nexthops
  nexthops=$(ip -N -n "$netns" -6 nexthop show)
  awk '$1 == "nexthop" && $2 == "via" { print $3, $5 }' <<<"$route" | while read -r via dev; do
    awk -v via="$via" -v dev="$dev" '$3 == "via" && $4 == via && $6 == dev { print $2 }' <<<"$nexthops"
  done | sort -n | paste -sd,
}

# group6_is ROLE IDS — group6_members ROLE is IDS ("ID,ID", empty for none).
group6_is() { [ "$(group6_members "$1")" == "$2" ]; }

# health6_is ROLE UPLINK STATE — the uplink's IPv6 health state in ROLE's status is STATE (uplink_json: failover.sh).
health6_is() { [ "$(uplink_json "$1" "$2" | jq -r .ipv6.health.state)" == "$3" ]; }

# isp6_counter N — new IPv6 TCP connections ispN forwarded upstream since its counters were reset.
isp6_counter() {
  in_ns "isp$1" nft list counter ip6 harness6 tcpflows | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
# isp6_spoofed N — packets from the router that ispN's BCP 38 filter dropped (a source not of ispN's) since its
# counters were reset.
isp6_spoofed() {
  in_ns "isp$1" nft list counter ip6 harness6 spoofed | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
reset_isp6_counters() { in_ns "isp$1" nft reset counters table ip6 harness6 >/dev/null || fail "reset_isp6_counters $1"; }

# blackhole_upstream6 N — ispN silently drops the IPv6 the router sends through it (carrier up, fe80::1 still
# answers neighbour solicitations and pings): IPv6's silent upstream, with the ISP's IPv4 untouched.
blackhole_upstream6() {
  in_ns "isp$1" nft -f - <<'NFT' || fail "blackhole_upstream6 $1"
table ip6 blackhole6 {
  chain forward {
    type filter hook forward priority 10; policy accept;
    iifname "rtr" drop
  }
}
NFT
}

# restore_upstream6 N — undo blackhole_upstream6 N.
restore_upstream6() { in_ns "isp$1" nft delete table ip6 blackhole6 || fail "restore_upstream6 $1"; }

# connect6 COUNT PORT [FIRST] — COUNT new IPv6 TCP connections from the router to as many addresses of the
# internet host (2001:db8:ffff::FIRST on, in hex; FIRST defaults to 1: route 2001:db8:ffff::/64 to inet's lo
# first), at PORT; sets OK to how many connected and C1, C2 to the new connections isp1 and isp2 forwarded.
connect6() {
  reset_isp6_counters 1
  reset_isp6_counters 2
  OK=$(in_ns router bash -c '
    ok=0
    for ((i = 0; i < $1; i++)); do
      timeout 5 bash -c "exec 3<>/dev/tcp/2001:db8:ffff::$(printf %x "$(($3 + i))")/$2" 2>/dev/null && ok=$((ok + 1))
    done
    echo $ok' _ "$1" "$2" "${3:-1}")
  C1=$(isp6_counter 1) C2=$(isp6_counter 2)
  log "IPv6: $OK of $1 connected; isp1 forwarded $C1, isp2 $C2"
}

# isp6_link_up N — ispN's side of wanN comes up again (after link_down ispN rtr) as a real ISP router would:
# with fe80::1 and 2001:db8:N::1, which the kernel removed with the link (link-locals go on down even with
# keep_addr_on_down, and the router's default route names fe80::1); then until the router resolves fe80::1
# on wanN again (IPv6 multipath skips a nexthop whose neighbour entry failed while the link was down).
isp6_link_up() {
  link_up "isp$1" rtr
  ip -n "$(ns "isp$1")" addr replace fe80::1/64 dev rtr nodad
  ip -n "$(ns "isp$1")" addr replace "$(isp6_prefix "$1")1/64" dev rtr nodad
  wait_for --deadline 10 --what "fe80::1 answering on wan$1" in_ns router ping -c 1 -W 1 -I "wan$1" fe80::1
}
