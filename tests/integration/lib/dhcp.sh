# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# DHCP server (dnsmasq in the ISP namespaces) and clients (dhclient, dhcpcd, udhcpc in the router).
# Sourced by netns.sh. Every state, lease, pid and config file lives in the run's temp dir or in
# /etc/netns/NAME/; nothing is written to the machine's /etc, /run or /var/lib.

declare -A H_DNSMASQ_PID=()   # N -> pid
declare -A H_CLIENT_PID=()    # "ROLE/IF" -> pid of the DHCP client on that interface

# start_dnsmasq N [--lease TIME] [--range FIRST,LAST] [--router ADDR] [-- EXTRA-DNSMASQ-OPTIONS...]
# (Re)start dnsmasq in ispN (a running one is stopped first, its lease file kept): DHCP only (--port=0), no
# resolv.conf, no hosts, bound to the ISP's router-facing interface, authoritative (a client renewing a lease
# the server does not know gets a NAK at once: handy after a restart with a new range).
start_dnsmasq() {
  local n=$1 lease=2m range="" router=""
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --lease) lease=$2; shift 2 ;;
      --range) range=$2; shift 2 ;;
      --router) router=$2; shift 2 ;;
      --) shift; break ;;
      *) fail "start_dnsmasq: unknown option $1" ;;
    esac
  done
  [ -n "$range" ] || range="100.64.$n.10,100.64.$n.50"
  [ -n "$router" ] || router=$(isp_gw "$n")
  command -v dnsmasq >/dev/null || fail "dnsmasq not found (package dnsmasq-base)"
  stop_dnsmasq "$n"
  local pidfile=$H_TMP/dnsmasq-isp$n.pid
  track_pidfile "$pidfile"
  spawn "dnsmasq(isp$n)" "$H_TMP/dnsmasq-isp$n.log" \
    in_ns "isp$n" dnsmasq --keep-in-foreground --log-facility=- --log-dhcp \
    --conf-file=/dev/null --no-resolv --no-hosts --port=0 \
    --interface=rtr --bind-interfaces --except-interface=lo \
    --dhcp-range="$range,255.255.255.0,$lease" --dhcp-option=option:router,"$router" \
    --dhcp-authoritative --no-ping --dhcp-leasefile="$H_TMP/dnsmasq-isp$n.leases" --pid-file="$pidfile" \
    --user=root --group=root "$@"
  H_DNSMASQ_PID[$n]=$H_SPAWNED_PID
  wait_for --deadline 5 --what "dnsmasq in isp$n listening on port 67" _h_dnsmasq_ready "$n"
}

_h_dnsmasq_ready() {
  _h_alive "${H_DNSMASQ_PID[$1]}" || fail "dnsmasq in isp$1 exited: $(tail -n 5 "$H_TMP/dnsmasq-isp$1.log")"
  in_ns "isp$1" ss -Hlun 'sport = :67' | grep -q .
}

stop_dnsmasq() { # stop_dnsmasq N
  local pid=${H_DNSMASQ_PID[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid"
  unset "H_DNSMASQ_PID[$1]"
}

# dnsmasq_leases N — the lease file of ispN's dnsmasq (expiry mac ip name clientid per line).
dnsmasq_leases() { cat "$H_TMP/dnsmasq-isp$1.leases" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------------------
# dhclient (isc-dhcp-client)

# dhclient_etc ROLE — prepare /etc/netns/NAME/dhcp (bound over /etc/dhcp by ip netns exec): a copy of the
# machine's dhclient.conf, empty dhclient-exit-hooks.d, and dhclient-enter-hooks.d holding one sandbox hook
# that turns make_resolv_conf and set_hostname into no-ops. Why: the stock dhclient-script writes a temp
# file next to /etc/resolv.conf, i.e. into the machine's real /etc (only the file itself is bound over), and
# `hostname` would rename the machine (ip netns exec shares the UTS namespace). Prints the dhcp dir.
dhclient_etc() {
  local etc d
  etc=$(etc_netns "$1")
  d=$etc/dhcp
  if [ ! -d "$d" ]; then
    mkdir -p "$d/dhclient-exit-hooks.d" "$d/dhclient-enter-hooks.d"
    if [ -r /etc/dhcp/dhclient.conf ]; then cp /etc/dhcp/dhclient.conf "$d/dhclient.conf"; else : >"$d/dhclient.conf"; fi
    cat >"$d/dhclient-enter-hooks.d/00-uplinkd-test-sandbox" <<'EOF'
# uplinkd test harness: keep dhclient-script inside the namespace (sourced by /sbin/dhclient-script).
make_resolv_conf() { :; }
set_hostname() { :; }
EOF
  fi
  echo "$d"
}

# dhclient_exit_hooks_dir ROLE — the exit-hooks directory dhclient-script runs in ROLE (bound over
# /etc/dhcp/dhclient-exit-hooks.d). Hook files are sourced by dhclient-script in run-parts order; names
# may use only [A-Za-z0-9_-] (no dots), or run-parts skips them.
dhclient_exit_hooks_dir() { echo "$(dhclient_etc "$1")/dhclient-exit-hooks.d"; }

# add_dhclient_exit_hook ROLE NAME FILE [VAR=VALUE...] — install FILE as exit hook NAME. VAR=VALUE pairs are
# exported by a hook sourced just before it (00-NAME-env): dhclient gives its script a fixed environment
# (PATH=/usr/ucb:/usr/bin:/usr/sbin:/bin:/sbin and the lease variables), so the test's environment does not
# reach hooks otherwise.
add_dhclient_exit_hook() {
  local role=$1 name=$2 file=$3 d kv
  shift 3
  [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || fail "add_dhclient_exit_hook: run-parts would skip the name '$name'"
  [ -r "$file" ] || fail "add_dhclient_exit_hook: no such file $file"
  d=$(dhclient_exit_hooks_dir "$role")
  if [ $# -gt 0 ]; then
    : >"$d/00-$name-env"
    for kv in "$@"; do
      [[ $kv == *=* ]] || fail "add_dhclient_exit_hook: expected VAR=VALUE, got '$kv'"
      printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}" >>"$d/00-$name-env"
    done
  fi
  cp "$file" "$d/$name"
  chmod 755 "$d/$name"
}

# start_dhclient ROLE IF [--metric M] [DHCLIENT-OPTIONS...] — dhclient -d -4 on IF in ROLE, with pid, lease
# and config files of its own and the stock /sbin/dhclient-script.
# --metric M: the script installs its default route with metric M (IF_METRIC, set by an enter hook). Without
# it the route has metric 0 — and a second dhclient in the same namespace cannot add its default route
# ("File exists"), exactly as on a real machine with two dhclients and no metrics.
start_dhclient() {
  local role=$1 ifname=$2 d
  shift 2
  command -v dhclient >/dev/null || fail "dhclient not found (package isc-dhcp-client)"
  d=$(dhclient_etc "$role")
  if [ "${1:-}" == --metric ]; then
    [[ $2 =~ ^[0-9]+$ ]] || fail "start_dhclient: bad metric '$2'"
    echo "[ \"\$interface\" = \"$ifname\" ] && IF_METRIC=$2" >>"$d/dhclient-enter-hooks.d/10-uplinkd-test-metric"
    shift 2
  fi
  local base=$H_TMP/dhclient-$role-$ifname
  track_pidfile "$base.pid"
  spawn "dhclient($role/$ifname)" "$base.log" \
    in_ns "$role" dhclient -d -4 -v -pf "$base.pid" -lf "$base.leases" -cf "$d/dhclient.conf" \
    -sf /sbin/dhclient-script "$@" "$ifname"
  H_CLIENT_PID[$role/$ifname]=$H_SPAWNED_PID
}

# ---------------------------------------------------------------------------------------------------------
# dhcpcd (dhcpcd-base, 9.x)

# start_dhcpcd ROLE IF [HOOKSCRIPT] — dhcpcd -4 -B on IF in ROLE, config in the temp dir, hook script
# HOOKSCRIPT (default: a no-op script, so that dhcpcd changes only the interface's address and routes).
# dhcpcd 9 keeps pid file and control socket in /run/dhcpcd/IF-4.{pid,sock} and its DUID, secret and leases
# in /var/lib/dhcpcd — fixed paths that would collide between runs (interfaces have the same names in every
# run's router) and write the machine's /var/lib. So it runs in a private mount namespace with a tmpfs on
# /run and the run's own directory bound over /var/lib/dhcpcd. Privilege separation stays on (its
# unprivileged helpers chroot into /usr/lib/dhcpcd, the dhcpcd user's home, and need nothing from us).
start_dhcpcd() {
  local role=$1 ifname=$2 script=${3:-}
  command -v dhcpcd >/dev/null || fail "dhcpcd not found (package dhcpcd-base)"
  local base=$H_TMP/dhcpcd-$role-$ifname
  mkdir -p "$base.db"
  if [ -z "$script" ]; then
    script=$H_TMP/dhcpcd-noop-hook.sh
    # Written once, by rename: rewriting it while an earlier dhcpcd runs it fails with "Text file busy".
    if [ ! -e "$script" ]; then
      printf '#!/bin/sh\n# uplinkd test harness: dhcpcd hook that changes nothing\nexit 0\n' >"$script.new"
      chmod 755 "$script.new"
      mv -f "$script.new" "$script"
    fi
  fi
  cat >"$base.conf" <<EOF
# uplinkd test harness: IPv4 only, no link-local, no IPv6, no ARP probe (faster); fresh DUID per run.
ipv4only
noipv4ll
noipv6rs
noarp
nodelay
option subnet_mask, routers, broadcast_address
EOF
  spawn "dhcpcd($role/$ifname)" "$base.log" \
    in_ns "$role" unshare --mount --propagation private \
    sh -c 'mount -t tmpfs -o mode=0755 uplinkd-test /run && mkdir -p /run/dhcpcd &&
           mount --bind "$1" /var/lib/dhcpcd && shift && exec "$@"' \
    sh "$base.db" dhcpcd -4 -B -d -f "$base.conf" -c "$script" "$ifname"
  H_CLIENT_PID[$role/$ifname]=$H_SPAWNED_PID
}

# ---------------------------------------------------------------------------------------------------------
# udhcpc (busybox)

# write_udhcpc_script FILE [--no-route] — a minimal udhcpc script: sets the address with
# `ip addr add "$ip/$mask" dev "$interface"` and (unless --no-route) a default route via the router with
# metric 300; removes them on deconfig.
write_udhcpc_script() {
  local file=$1 route=1
  [ "${2:-}" == --no-route ] && route=0
  cat >"$file" <<EOF
#!/bin/sh
# uplinkd test harness: udhcpc script (udhcpc -s). Variables: \$1 event, \$interface, \$ip, \$mask, \$router.
route=$route
case "\$1" in
  deconfig) ip -4 addr flush dev "\$interface" ;;
  bound|renew)
    ip -4 addr show dev "\$interface" | grep -q " \$ip/" || ip -4 addr flush dev "\$interface"
    ip addr replace "\$ip/\$mask" dev "\$interface"
    if [ "\$route" = 1 ] && [ -n "\$router" ]; then
      ip route replace default via "\${router%% *}" dev "\$interface" metric 300
    fi ;;
esac
exit 0
EOF
  chmod 755 "$file"
}

# start_udhcpc ROLE IF SCRIPT [UDHCPC-OPTIONS...] — busybox udhcpc -f on IF in ROLE with script SCRIPT,
# retrying quickly (-t 20 -T 1 -A 1).
start_udhcpc() {
  local role=$1 ifname=$2 script=$3
  shift 3
  [ -x "$script" ] || fail "start_udhcpc: script $script is not executable"
  local bin=(busybox udhcpc)
  command -v busybox >/dev/null || { command -v udhcpc >/dev/null && bin=(udhcpc); } ||
    fail "udhcpc not found (package busybox or udhcpc)"
  local base=$H_TMP/udhcpc-$role-$ifname
  track_pidfile "$base.pid"
  spawn "udhcpc($role/$ifname)" "$base.log" \
    in_ns "$role" "${bin[@]}" -f -i "$ifname" -s "$script" -p "$base.pid" -t 20 -T 1 -A 1 "$@"
  H_CLIENT_PID[$role/$ifname]=$H_SPAWNED_PID
}

# stop_dhcp_client ROLE IF — stop the DHCP client started on IF (SIGTERM; dhclient/dhcpcd/udhcpc keep the
# address: none of them releases on SIGTERM with these options).
stop_dhcp_client() {
  local key=$1/$2
  [ -n "${H_CLIENT_PID[$key]:-}" ] || return 0
  stop_pid "${H_CLIENT_PID[$key]}"
  unset "H_CLIENT_PID[$key]"
}

# dhcp_client_pid ROLE IF — the pid of the DHCP client started on IF.
dhcp_client_pid() { echo "${H_CLIENT_PID[$1/$2]:-}"; }

# ---------------------------------------------------------------------------------------------------------
# Addresses

# address_of ROLE IF — the first IPv4 address/prefix on IF (e.g. 100.64.1.23/24); empty if none.
address_of() {
  ip -n "$(_h_ns "$1")" -4 -o addr show dev "$2" 2>/dev/null | awk '{print $4; exit}'
}

_h_has_address() { # ROLE IF PREFIX
  local a
  a=$(ip -n "$(_h_ns "$1")" -4 -o addr show dev "$2" 2>/dev/null | awk '{print $4}')
  [ -n "$a" ] || return 1
  [ -z "$3" ] && return 0
  grep -q "^$3" <<<"$a"
}

# wait_for_address ROLE IF [PREFIX] [--deadline S] — wait until IF has an IPv4 address starting with PREFIX
# (a string prefix such as "100.64.1."), default deadline 30 s. Read it with address_of.
wait_for_address() {
  local role=$1 ifname=$2 prefix="" deadline=30
  shift 2
  [ $# -gt 0 ] && [ "$1" != --deadline ] && { prefix=$1; shift; }
  [ "${1:-}" == --deadline ] && deadline=$2
  wait_for --deadline "$deadline" --what "an address ${prefix:+$prefix* }on $role/$ifname" \
    _h_has_address "$role" "$ifname" "$prefix"
}

# wait_for_no_address ROLE IF [--deadline S]
wait_for_no_address() {
  local deadline=30
  [ "${3:-}" == --deadline ] && deadline=$4
  wait_for --deadline "$deadline" --what "no address on $1/$2" _h_not _h_has_address "$1" "$2" ""
}

# default_gateway ROLE [IF] — gateway of the first default route in ROLE's main table (on IF if given).
default_gateway() {
  ip -n "$(_h_ns "$1")" -4 route show default ${2:+dev "$2"} | awk '{for (i = 1; i < NF; i++) if ($i == "via") {print $(i + 1); exit}}'
}

