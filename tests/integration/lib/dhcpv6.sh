# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# DHCPv6 with prefix delegation: kea-dhcp6 in the ISP namespaces (made by make_isp and make_isp6), and the
# DHCPv6 clients dhclient -6 and dhcpcd -6 in the router. Source after netns.sh, dhcp.sh and ipv6.sh.
# Every config, lease, pid, lock and socket file is in the run's temp dir: nothing under /etc, /var/lib/kea,
# /run/kea, /var/lib/dhcp or /var/lib/dhcpcd is read or written.
#
#   ispN  kea-dhcp6 on "rtr": IA_NA 2001:db8:N::100-1ff, IA_PD /60s out of a /56 (start_kea6 N POOL), short
#         lifetimes (renew 4 s, rebind 6 s, preferred 10 s, valid 15 s) so that renumbering and expiry are
#         seen within seconds; the ISP lets the router's delegated prefixes through its BCP 38 filter
#         (allow_delegated6) and routes them to the router (route_delegated6), as a BNG does.

declare -gA H_KEA_PID=()  # by ISP number

# The lifetimes kea gives (seconds).
KEA6_RENEW=4
KEA6_REBIND=6
KEA6_PREFERRED=10
KEA6_VALID=15

# pd_pool N [GENERATION] — the /56 ispN delegates /60s from: 2001:db8:N:100::/56, or :200:: for generation 2.
# Which /60 a client gets is kea's choice (dhclient -6 -N -P is offered two and takes the second).
pd_pool() { echo "2001:db8:$1:${2:-1}00::"; }

_h_no_tentative() { [ -z "$(ip -n "$(_h_ns "$1")" -6 -o addr show dev "$2" tentative)" ]; }

# start_kea6 N [GENERATION] [--keep-leases] — (re)start kea-dhcp6 in ispN delegating from pd_pool N
# GENERATION. A restart forgets the leases (unless --keep-leases), as a server that was renumbered would:
# a client renewing the old prefix gets it back with lifetimes 0 and a new one (RFC 8415 18.3.4).
start_kea6() {
  local n=$1 generation=${2:-1} keep=0
  [ "${3:-}" == --keep-leases ] && keep=1
  command -v kea-dhcp6 >/dev/null || fail "kea-dhcp6 not found (package kea-dhcp6-server); run scripts/install-deps.sh"
  stop_kea6 "$n"
  local base=$H_TMP/kea6-isp$n
  mkdir -p "$base.run"
  [ $keep -eq 1 ] || rm -f "$base.leases" "$base.leases".*
  cat >"$base.json" <<EOF
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "rtr" ] },
  "data-directory": "$base.run",
  "server-id": { "type": "LLT", "persist": false },
  "control-socket": { "socket-type": "unix", "socket-name": "$base.run/control.sock" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$base.leases", "lfc-interval": 0 },
  "renew-timer": $KEA6_RENEW, "rebind-timer": $KEA6_REBIND,
  "preferred-lifetime": $KEA6_PREFERRED, "valid-lifetime": $KEA6_VALID,
  "subnet6": [ { "id": 1, "subnet": "2001:db8:$n::/64", "interface": "rtr",
    "pools": [ { "pool": "2001:db8:$n::100-2001:db8:$n::1ff" } ],
    "pd-pools": [ { "prefix": "$(pd_pool "$n" "$generation")", "prefix-len": 56, "delegated-len": 60 } ] } ],
  "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "stdout" } ], "severity": "INFO" } ]
} }
EOF
  # kea binds to the link-local address of "rtr": it must be past DAD.
  wait_for --deadline 5 --what "isp$n's rtr past DAD" _h_no_tentative "isp$n" rtr
  spawn "kea-dhcp6(isp$n)" "$base.log" \
    env KEA_PIDFILE_DIR="$base.run" KEA_LOCKFILE_DIR="$base.run" \
    ip netns exec "$(ns "isp$n")" kea-dhcp6 -c "$base.json"
  H_KEA_PID[$n]=$H_SPAWNED_PID
  wait_for --deadline 5 --what "kea-dhcp6 in isp$n listening on port 547" _h_kea6_ready "$n"
}

_h_kea6_ready() {
  _h_alive "${H_KEA_PID[$1]}" || fail "kea-dhcp6 in isp$1 exited: $(tail -n 5 "$H_TMP/kea6-isp$1.log")"
  in_ns "isp$1" ss -Hlun 'sport = :547' | grep -q .
}

stop_kea6() {
  local pid=${H_KEA_PID[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid"
  unset "H_KEA_PID[$1]"
}

# allow_delegated6 N — ispN's BCP 38 filter (ipv6.sh) also passes sources in 2001:db8:N::/48, the ISP's own
# space its delegations come from; inet routes that /48 back to ispN.
allow_delegated6() {
  local n=$1
  in_ns "isp$n" nft insert rule ip6 harness6 antispoof iifname "rtr" ip6 saddr "2001:db8:$n::/48" accept ||
    fail "allow_delegated6 $n: nft failed"
  ip -n "$(ns inet)" -6 route add "2001:db8:$n::/48" via "2001:db8:ff:$n::2"
}

# router_link_local IF — the router's link-local address on IF.
router_link_local() {
  ip -n "$(ns router)" -6 -o addr show dev "$1" scope link | awk '{sub("/.*", "", $4); print $4; exit}'
}

# route_delegated6 N PREFIX — ispN routes PREFIX to the router's link-local address on wanN.
route_delegated6() {
  local ll
  ll=$(router_link_local "wan$1")
  [ -n "$ll" ] || fail "route_delegated6: wan$1 has no link-local address"
  ip -n "$(ns "isp$1")" -6 route replace "$2" via "$ll" dev rtr
}

# start_dhclient6 ROLE IF — dhclient -6 -P -N (an address and a delegated prefix) on IF, with the stock
# dhclient-script (its exit hooks as installed by install_dhclient_hook) and pid and lease files of its own.
start_dhclient6() {
  local role=$1 ifname=$2 d base
  command -v dhclient >/dev/null || fail "dhclient not found (package isc-dhcp-client)"
  d=$(dhclient_etc "$role")
  base=$H_TMP/dhclient6-$role-$ifname
  # dhclient binds to the link-local address and gives up ("Can't bind to dhcp address") while it is
  # tentative.
  wait_for --deadline 5 --what "$role/$ifname's link-local address past DAD" _h_no_tentative "$role" "$ifname"
  track_pidfile "$base.pid"
  spawn "dhclient6($role/$ifname)" "$base.log" \
    in_ns "$role" dhclient -6 -P -N -d -v -pf "$base.pid" -lf "$base.leases" -cf "$d/dhclient.conf" \
    -sf /sbin/dhclient-script "$ifname"
  H_CLIENT_PID[$role/$ifname]=$H_SPAWNED_PID
}

# release_dhclient6 ROLE IF — `dhclient -6 -r`: the running dhclient is stopped, and the lease released,
# with RELEASE6 for each binding.
release_dhclient6() {
  local role=$1 ifname=$2 d base
  d=$(dhclient_etc "$role")
  base=$H_TMP/dhclient6-$role-$ifname
  in_ns "$role" dhclient -6 -r -v -pf "$base.pid" -lf "$base.leases" -cf "$d/dhclient.conf" \
    -sf /sbin/dhclient-script "$ifname" >>"$base.log" 2>&1 || fail "dhclient -6 -r on $ifname failed"
  unset "H_CLIENT_PID[$role/$ifname]"
}

# start_dhcpcd6 ROLE IF HOOKSCRIPT — dhcpcd -6 asking for an address (ia_na) and a prefix (ia_pd) on IF, in a
# private mount namespace as start_dhcpcd (dhcp.sh) explains. Router advertisements are left to the kernel
# (noipv6rs; the interface has accept_ra 2): dhcpcd solicits at once because the config names its IAs.
start_dhcpcd6() {
  local role=$1 ifname=$2 script=$3
  command -v dhcpcd >/dev/null || fail "dhcpcd not found (package dhcpcd-base)"
  local base=$H_TMP/dhcpcd6-$role-$ifname
  mkdir -p "$base.db"
  cat >"$base.conf" <<EOF
# uplinkd test harness: DHCPv6 only, an address and a delegated prefix, no router solicitation.
ipv6only
noipv6rs
nodelay
interface $ifname
  ia_na 1
  ia_pd 2
EOF
  spawn "dhcpcd6($role/$ifname)" "$base.log" \
    in_ns "$role" unshare --mount --propagation private \
    sh -c 'mount -t tmpfs -o mode=0755 uplinkd-test /run && mkdir -p /run/dhcpcd &&
           mount --bind "$1" /var/lib/dhcpcd && shift && exec "$@"' \
    sh "$base.db" dhcpcd -6 -B -d -f "$base.conf" -c "$script" "$ifname"
  H_CLIENT_PID[$role/$ifname]=$H_SPAWNED_PID
}

# freeze_dhcp_client ROLE IF / thaw_dhcp_client ROLE IF — SIGSTOP / SIGCONT the client (by its pid): while
# frozen it calls no hook, so what uplinkd knows can only come from elsewhere (its lease store).
freeze_dhcp_client() { kill -STOP "${H_CLIENT_PID[$1/$2]:?no client on $1/$2}"; }
thaw_dhcp_client() { kill -CONT "${H_CLIENT_PID[$1/$2]:?no client on $1/$2}"; }

# delegated_rules ROLE — "PREFIX TABLE" for each of uplinkd's IPv6 rules at priority 20100 from a /60 (what
# kea delegates here; the uplinks' own prefixes are /64 and /128), sorted, on one line.
delegated_rules() {
  ip -N -n "$(_h_ns "$1")" -6 rule show priority 20100 |
    awk -v proto="$UPLINKD_PROTO" '$0 ~ "proto " proto && /from [0-9a-f:]+\/60 / {
      for (i = 1; i <= NF; i++) { if ($i == "from") p = $(i + 1); if ($i == "lookup") t = $(i + 1) }
      print p, t }' | sort | paste -sd, -
}

# uplinkd_logged ROLE TEXT... — true once uplinkd's log in ROLE has a line holding each TEXT.
uplinkd_logged() {
  local role=$1 lines
  shift
  lines=$(cat "$(uplinkd_log "$role")")
  local text
  for text in "$@"; do lines=$(grep -F -- "$text" <<<"$lines") || return 1; done
}
