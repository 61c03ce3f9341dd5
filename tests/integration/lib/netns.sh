# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# uplinkd integration-test harness: network namespaces, veth topologies, DHCP servers and clients,
# traffic helpers and the uplinkd launcher. See docs/testing.md.
#
#   source "$(dirname "$0")/lib/netns.sh"   # sets up run id, temp dir and the cleanup trap
#   make_isp 1; make_isp 2                   # isp1, isp2 (dnsmasq), router (wan1, wan2), inet
#   start_dhclient router wan1; wait_for_address router wan1 100.64.1.
#   ...
#   pass                                     # prints PASS; anything else ends in FAIL
#
# Safety rules enforced here:
#   * every namespace, veth, route, rule, sysctl and nft table lives in a namespace this run created;
#     veth pairs are created directly inside their namespaces (ip -n A link add … peer … netns B);
#   * nothing writes the machine's /etc: per-namespace files go to /etc/netns/NAME/ (bound over /etc by
#     `ip netns exec`), everything else to the run's temp dir;
#   * names are unique per run (H_RUN_ID); processes are killed by pid only; cleanup runs on EXIT, INT and
#     TERM, also when the test fails half way, and is idempotent.

[ -n "${_H_NETNS_SH:-}" ] && return 0
_H_NETNS_SH=1

H_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
H_REPO_ROOT=${UPLINKD_SOURCE_DIR:-$(cd "$H_LIB_DIR/../../.." && pwd)}
H_TEST_NAME=${H_TEST_NAME:-$(basename "${BASH_SOURCE[-1]:-$0}" .sh)}

# shellcheck source=assert.sh
. "$H_LIB_DIR/assert.sh"

# The proc inode number the kernel gives the initial network namespace (init_net): PROC_NET_INIT_INO,
# 0xEFFFFFF9, fixed since Linux 3.8 (include/linux/proc_ns.h). Used when /proc/1/ns/net cannot be read.
H_INIT_NET_INO=4026531833

if [ "$(id -u)" -ne 0 ]; then
  echo "FAIL: $H_TEST_NAME needs root (it creates network namespaces); run it with sudo" >&2
  exit 1
fi
for _h_tool in ip nft stat; do
  command -v "$_h_tool" >/dev/null || { echo "FAIL: $_h_tool not found; run scripts/install-deps.sh" >&2; exit 1; }
done
unset _h_tool

# ---------------------------------------------------------------------------------------------------------
# Run state
# Run id: short (≤16 chars) so that namespace names and paths stay readable; unique per process and run.
H_RUN_ID=${H_RUN_ID_OVERRIDE:-ulk$$x$RANDOM}
H_T0=$SECONDS
H_TMP=$(mktemp -d "/tmp/uplinkd-it.$H_RUN_ID.XXXXXX")
chmod 755 "$H_TMP"           # dnsmasq and dhcpcd's unprivileged helpers must be able to reach files here
# Registries (files, so that subshells add to them too): $H_TMP/.pids ("pid:starttime:name" of every
# background process started), .pidfiles (daemons' pidfiles, read and killed at cleanup), .netns (namespaces
# created), .etc-netns-created (exists if this run created /etc/netns itself). /etc/netns/NAME directories
# are found by the run id.
H_NETNS=()                   # full names of namespaces created (also in $H_TMP/.netns)
H_CLEANED=0
H_PASSED=0
H_SKIPPED=0
declare -A H_ISP_ADDR=()     # N -> ISP gateway address (100.64.N.1)

export UPLINKD_BIN=${UPLINKD_BIN:-$H_REPO_ROOT/build/src/daemon/uplinkd}
export UPLINKCTL_BIN=${UPLINKCTL_BIN:-$H_REPO_ROOT/build/src/cli/uplinkctl}

# ---------------------------------------------------------------------------------------------------------
# Processes

# _h_starttime PID — the process's start time (field 22 of /proc/PID/stat); empty if it is gone.
_h_starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }            # the command name may contain spaces and parentheses
  set -- $stat
  echo "${20}"
}

# _h_alive PID — true if PID runs (zombies count as gone).
_h_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# track_pid PID NAME — have cleanup kill PID (by pid, after checking it is still the same process).
# The registry is a file in the temp dir (not only a shell array), so that processes started inside a
# ( subshell ) or $(command substitution) are cleaned up too.
track_pid() {
  local st
  st=$(_h_starttime "$1") || st=0
  echo "$1:$st:$2" >>"$H_TMP/.pids"
  [ -n "${H_PIDLOG:-}" ] && echo "$1 $2" >>"$H_PIDLOG"
  return 0
}

# track_pidfile FILE — have cleanup read FILE and kill that pid (only if it runs in one of our namespaces).
track_pidfile() { echo "$1" >>"$H_TMP/.pidfiles"; }

# spawn NAME LOGFILE CMD... — start CMD in the background with stdin from /dev/null and output to LOGFILE,
# track its pid and put it in $H_SPAWNED_PID. Use `in_ns NS …` in CMD to run it in a namespace (ip netns exec
# and unshare exec the command: the pid is the program's own).
spawn() {
  local name=$1 logfile=$2
  shift 2
  # in_ns is a shell function: run as a background job it would be a subshell whose pid is not the
  # program's. Resolve it here so that the job execs `ip netns exec`, which execs the program.
  if [ "$1" == in_ns ]; then
    local n
    n=$(_h_ns "$2")
    shift 2
    set -- ip netns exec "$n" "$@"
  fi
  "$@" </dev/null >>"$logfile" 2>&1 &
  H_SPAWNED_PID=$!
  track_pid "$H_SPAWNED_PID" "$name"
  [ -n "${H_QUIET:-}" ] || log "started $name (pid $H_SPAWNED_PID, log ${logfile#"$H_TMP"/})"
}

# stop_pid PID [DEADLINE] — SIGTERM, wait for exit (reaping our own children), SIGKILL if it lingers.
stop_pid() {
  local pid=$1 deadline=${2:-5}
  _h_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  if ! poll_until --deadline "$deadline" _h_not_alive "$pid"; then
    log "pid $pid did not exit on SIGTERM within ${deadline}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    poll_until --deadline 5 _h_not_alive "$pid"
  fi
  wait "$pid" 2>/dev/null || true  # its status is the signal's; set -e must not end the test
  return 0
}

_h_not_alive() { ! _h_alive "$1"; }

# _h_netns_inodes — inode numbers of our namespaces, one per line.
_h_netns_inodes() {
  local n
  for n in $(cat "$H_TMP/.netns" 2>/dev/null); do stat -L -c %i "/run/netns/$n" 2>/dev/null; done
}

# _h_pid_in_our_netns PID — true if PID runs in one of the namespaces this run created.
_h_pid_in_our_netns() {
  local ino
  ino=$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) || return 1
  _h_netns_inodes | grep -qx "$ino"
}

# ---------------------------------------------------------------------------------------------------------
# Cleanup

_h_cleanup() {
  [ "$H_CLEANED" -eq 1 ] && return 0
  H_CLEANED=1
  set +e
  trap '' INT TERM             # a second ^C must not interrupt the cleanup half way

  local pid st name f victims=() n
  H_NETNS=()
  [ -r "$H_TMP/.netns" ] && mapfile -t H_NETNS <"$H_TMP/.netns"
  for f in /run/netns/"$H_RUN_ID"-*; do         # belt and braces: anything named after this run
    [ -e "$f" ] && ! printf '%s\n' "${H_NETNS[@]}" | grep -qx "${f##*/}" && H_NETNS+=("${f##*/}")
  done
  # 1. daemons recorded by pidfile (only if they run in one of our namespaces: never kill a stranger)
  if [ -r "$H_TMP/.pidfiles" ]; then
    while read -r f; do
      [ -r "$f" ] || continue
      pid=$(head -n1 "$f" 2>/dev/null | tr -dc 0-9)
      [ -n "$pid" ] && _h_alive "$pid" && _h_pid_in_our_netns "$pid" && victims+=("$pid")
    done <"$H_TMP/.pidfiles"
  fi
  # 2. processes we started (only if the pid still belongs to the process we started)
  if [ -r "$H_TMP/.pids" ]; then
    while IFS=: read -r pid st name; do
      _h_alive "$pid" || continue
      [ "$(_h_starttime "$pid")" == "$st" ] || continue
      victims+=("$pid")
    done <"$H_TMP/.pids"
  fi
  # 3. whatever still runs inside our namespaces (children of the above, helpers, hooks)
  for n in "${H_NETNS[@]}"; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do victims+=("$pid"); done
  done
  if [ ${#victims[@]} -gt 0 ]; then
    kill -TERM "${victims[@]}" 2>/dev/null
    local end=$((SECONDS + 3)) any
    while [ $SECONDS -le $end ]; do
      any=0
      for pid in "${victims[@]}"; do _h_alive "$pid" && any=1; done
      [ $any -eq 0 ] && break
      sleep 0.05
    done
    for pid in "${victims[@]}"; do _h_alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
    for n in "${H_NETNS[@]}"; do
      for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    done
  fi
  wait 2>/dev/null

  # 4. namespaces (deleting one deletes its veths, routes, rules, nft tables and qdiscs)
  for n in "${H_NETNS[@]}"; do
    [ -e "/run/netns/$n" ] && { ip netns del "$n" 2>/dev/null || log "cleanup: could not delete namespace $n"; }
  done
  # 5. /etc/netns/NAME directories, /etc/netns itself if this run created it, the run's temp dir
  for f in /etc/netns/"$H_RUN_ID"-*; do
    [ -e "$f" ] && rm -rf -- "$f"
  done
  [ -e "$H_TMP/.etc-netns-created" ] && rmdir /etc/netns 2>/dev/null
  if [ -n "${H_KEEP_TMP:-}" ]; then
    log "cleanup: keeping $H_TMP (H_KEEP_TMP set)"
  else
    case $H_TMP in /tmp/uplinkd-it.*) rm -rf -- "$H_TMP" ;; esac
  fi
  H_NETNS=()
  return 0
}

# On failure, show the tail of every log of the run before it is removed.
_h_dump_logs() {
  local f
  for f in "$H_TMP"/*.log; do
    [ -s "$f" ] || continue
    echo "----- ${f##*/} (last 25 lines) -----" >&2
    tail -n 25 "$f" >&2
  done
}

_h_on_exit() {
  local rc=$?
  trap - EXIT
  exec 1>&"$H_OUT_FD" 2>&"$H_ERR_FD"  # an exit from inside poll_until's command would leave them in its file
  if [ "$rc" -eq 0 ] && [ -s "$H_TMP/.failed" ]; then rc=1; fi
  if [ "$rc" -eq 0 ] && [ "$H_PASSED" -ne 1 ] && [ "$H_SKIPPED" -ne 1 ]; then
    echo "$(_h_stamp) FAIL: the test exited before calling pass" >&2
    rc=1
  fi
  [ "$rc" -ne 0 ] && [ -z "${H_NO_LOG_DUMP:-}" ] && _h_dump_logs
  _h_cleanup
  if [ "$H_SKIPPED" -eq 1 ] && [ "$rc" -eq 0 ]; then
    :
  elif [ "$rc" -eq 0 ]; then
    echo "PASS: $H_TEST_NAME ($((SECONDS - H_T0))s)"
  else
    echo "FAIL: $H_TEST_NAME (exit $rc after $((SECONDS - H_T0))s)"
  fi
  exit "$rc"
}

_h_on_signal() {
  echo "$(_h_stamp) interrupted by SIG$1; cleaning up" >&2
  [ -d "$H_TMP" ] && echo "SIG$1" >>"$H_TMP/.failed"
  exit $((128 + $2))           # runs the EXIT trap
}

# Under set -e, name the command that failed (set -e alone exits silently).
_h_on_err() {
  local rc=$? line=$1 cmd=$2
  case $- in *e*) ;; *) return 0 ;; esac
  [ "${BASH_SUBSHELL:-0}" -gt 0 ] && return 0
  echo "$(_h_stamp) FAIL: command exited $rc at ${BASH_SOURCE[1]##*/}:$line: $cmd" >&2
}

trap _h_on_exit EXIT
trap '_h_on_signal INT 2' INT
trap '_h_on_signal TERM 15' TERM
trap '_h_on_err "$LINENO" "$BASH_COMMAND"' ERR

# ---------------------------------------------------------------------------------------------------------
# Namespaces

# ns ROLE — the full namespace name of ROLE for this run (isp1, isp2, isp3, router, inet, lan, …).
ns() {
  [[ $1 =~ ^[a-z][a-z0-9]{0,11}$ ]] || fail "ns: bad role name '$1' (lower-case letters and digits, ≤12)"
  echo "$H_RUN_ID-$1"
}

# _h_ns ROLE|FULLNAME — accept either; the namespace must have been created by this run.
_h_ns() {
  local n=$1
  [[ $n == "$H_RUN_ID"-* ]] || n=$H_RUN_ID-$1
  # fast path (no fork): created by this shell; else the registry file (created in a subshell)
  if [[ " ${H_NETNS[*]} " == *" $n "* ]] || grep -qxF "$n" "$H_TMP/.netns" 2>/dev/null; then
    echo "$n"
    return 0
  fi
  fail "namespace '$1' ($n) was not created by this run (create it with make_ns)"
}

have_ns() { # have_ns ROLE — true if this run created it
  grep -qxF "$(ns "$1")" "$H_TMP/.netns" 2>/dev/null
}

# make_ns ROLE — create namespace ROLE (idempotent): loopback up, everything else at kernel defaults.
make_ns() {
  local n
  have_ns "$1" && return 0
  n=$(ns "$1")
  [ -e "/run/netns/$n" ] && fail "namespace $n exists already (name collision)"
  H_NETNS+=("$n")              # recorded before it exists: a half-made namespace is still removed
  echo "$n" >>"$H_TMP/.netns"
  ip netns add "$n" || fail "could not create namespace $n"
  ip -n "$n" link set lo up
  assert_in_test_netns "$n"
}

# in_ns ROLE CMD... — run CMD in the namespace (ip netns exec; binds /etc/netns/NAME/* over /etc).
in_ns() {
  local n
  n=$(_h_ns "$1")
  shift
  ip netns exec "$n" "$@"
}

# assert_in_test_netns ROLE — run a probe inside the namespace and refuse (fail) if it is the machine's
# initial network namespace or not the namespace this run created under that name.
# The probe compares the inode of /proc/self/ns/net with /proc/1/ns/net. Where reading /proc/1/ns/net is
# denied (it is on some hardened/containerised hosts, even for root: EACCES), it compares with
# 4026531833 = PROC_NET_INIT_INO (0xEFFFFFF9), the fixed proc inode of init_net.
assert_in_test_netns() {
  local n out self init src expected
  n=$(_h_ns "$1")
  expected=$(stat -L -c %i "/run/netns/$n" 2>/dev/null) || fail "namespace $n has no /run/netns entry"
  out=$(ip netns exec "$n" sh -c '
    self=$(stat -L -c %i /proc/self/ns/net) || exit 3
    if init=$(stat -L -c %i /proc/1/ns/net 2>/dev/null); then src=/proc/1/ns/net
    else init='"$H_INIT_NET_INO"'; src=PROC_NET_INIT_INO; fi
    echo "$self $init $src"') || fail "assert_in_test_netns: cannot run a probe in namespace $n"
  read -r self init src <<<"$out"
  [ -n "$self" ] && [ -n "$init" ] || fail "assert_in_test_netns: probe in $n gave '$out'"
  if [ "$self" == "$init" ] || [ "$self" == "$H_INIT_NET_INO" ]; then
    fail "REFUSING: 'ip netns exec $n' runs in the machine's initial network namespace (inode $self, compared with $src); nothing is started there"
  fi
  [ "$self" == "$expected" ] || fail "REFUSING: probe in $n ran in namespace inode $self, expected $expected"
}

# sysctl_ns ROLE KEY=VALUE... — set sysctls inside the namespace (never in the machine's).
sysctl_ns() {
  local n=$1
  shift
  in_ns "$n" sysctl -q -w "$@" >/dev/null || fail "sysctl in $n failed: $*"
}

# veth ROLE_A IF_A ROLE_B IF_B — a veth pair created directly inside the two namespaces (nothing appears in
# the machine's namespace, not even for a moment), both ends up.
veth() {
  local a b
  a=$(_h_ns "$1") b=$(_h_ns "$3")
  [ ${#2} -le 15 ] && [ ${#4} -le 15 ] || fail "veth: interface names longer than 15 chars: $2 $4"
  ip -n "$a" link add "$2" type veth peer name "$4" netns "$b" || fail "veth: could not create $1/$2 <-> $3/$4"
  ip -n "$a" link set "$2" up
  ip -n "$b" link set "$4" up
}

# etc_netns ROLE — create /etc/netns/NAME for the namespace (empty resolv.conf) and print its path.
# `ip netns exec` bind-mounts each entry of it over /etc/ENTRY in the program's private mount namespace.
etc_netns() {
  local n d
  n=$(_h_ns "$1")
  d=/etc/netns/$n
  if [ ! -d "$d" ]; then
    [ -d /etc/netns ] || { mkdir /etc/netns 2>/dev/null && : >"$H_TMP/.etc-netns-created"; }
    mkdir "$d" || fail "could not create $d"
    : >"$d/resolv.conf"
  fi
  echo "$d"
}

# ---------------------------------------------------------------------------------------------------------
# Topology. Addresses (all inside our namespaces; traffic never goes anywhere else):
#   ispN  "rtr"  100.64.N.1/24   <-> router "wanN" (DHCP from dnsmasq in ispN: 100.64.N.10–50)
#   ispN  "inet" 198.18.N.2/30   <-> inet   "ispN" 198.18.N.1/30; ispN masquerades to inet as 198.18.N.2,
#                                      so inet (and the counters in ispN) tell which ISP a packet used
#   inet  lo     198.51.100.1/32 (the "internet host"; routes back to 100.64.N.0/24 via ispN)
#   lan   "eth0" 192.168.77.10/24 <-> router "lan0" 192.168.77.1/24 (lan's default route via the router)

INET_ADDR=198.51.100.1
LAN_ADDR=192.168.77.10
LAN_GW=192.168.77.1

isp_gw() { echo "100.64.$1.1"; }           # isp_gw N — the ISP's address on the router's link
isp_inet_addr() { echo "198.18.$1.2"; }    # isp_inet_addr N — the source inet sees for traffic via ispN

make_router() {
  have_ns router && return 0
  make_ns router
  sysctl_ns router net.ipv4.ip_forward=1
}

make_inet() {
  have_ns inet && return 0
  make_ns inet
  ip -n "$(ns inet)" addr add "$INET_ADDR/32" dev lo
}

# make_lan — namespace lan behind the router (192.168.77.0/24), default route via the router.
make_lan() {
  have_ns lan && return 0
  make_router
  make_ns lan
  veth lan eth0 router lan0
  ip -n "$(ns router)" addr add "$LAN_GW/24" dev lan0
  ip -n "$(ns lan)" addr add "$LAN_ADDR/24" dev eth0
  ip -n "$(ns lan)" route add default via "$LAN_GW"
}

# make_isp N [--lease TIME] [--no-dhcp] [--no-nat] — ISP namespace ispN linked to the router (wanN, no address:
# it is for a DHCP client) and to inet; forwarding on; nft counters (see isp_counter); masquerade to inet;
# like a real ISP (BCP 38) it drops what the router sends with a source outside 100.64.N.0/24, so a
# connection that leaves by the wrong uplink with the other's address dies here, as it would for real;
# dnsmasq serving 100.64.N.10–50 with router 100.64.N.1 (lease TIME, default 2m, dnsmasq's minimum).
make_isp() {
  local n=$1 lease=2m dhcp=1 nat=1
  shift
  [[ $n =~ ^[1-9][0-9]?$ ]] && [ "$n" -le 99 ] || fail "make_isp: N must be 1..99, got '$n'"
  while [ $# -gt 0 ]; do
    case $1 in
      --lease) lease=$2; shift 2 ;;
      --no-dhcp) dhcp=0; shift ;;
      --no-nat) nat=0; shift ;;
      *) fail "make_isp: unknown option $1" ;;
    esac
  done
  have_ns "isp$n" && fail "make_isp: isp$n exists already"
  make_router
  make_inet
  make_ns "isp$n"
  local isp inet
  isp=$(ns "isp$n") inet=$(ns inet)
  sysctl_ns "isp$n" net.ipv4.ip_forward=1
  veth "isp$n" rtr router "wan$n"
  veth "isp$n" inet inet "isp$n"
  ip -n "$isp" addr add "$(isp_gw "$n")/24" dev rtr
  ip -n "$isp" addr add "198.18.$n.2/30" dev inet
  ip -n "$isp" route add default via "198.18.$n.1"
  ip -n "$inet" addr add "198.18.$n.1/30" dev "isp$n"
  ip -n "$inet" route add "100.64.$n.0/24" via "198.18.$n.2"
  H_ISP_ADDR[$n]=$(isp_gw "$n")
  local natrule="oifname \"inet\" masquerade"
  [ $nat -eq 1 ] || natrule=""
  in_ns "isp$n" nft -f - <<EOF || fail "make_isp: nft setup in isp$n failed"
table ip harness {
  counter up { }
  counter flows { }
  counter tcpflows { }
  counter syn { }
  counter down { }
  counter local { }
  counter spoofed { }
  chain antispoof {
    type filter hook forward priority -10; policy accept;
    iifname "rtr" ip saddr != 100.64.$n.0/24 counter name "spoofed" drop
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "rtr" oifname "inet" counter name "up"
    iifname "rtr" oifname "inet" ct state new meta l4proto != tcp counter name "flows"
    iifname "rtr" oifname "inet" ct state new tcp flags & (syn | ack) == syn counter name "flows"
    iifname "rtr" oifname "inet" ct state new tcp flags & (syn | ack) == syn counter name "tcpflows"
    iifname "rtr" oifname "inet" tcp flags & (syn | ack) == syn counter name "syn"
    iifname "inet" oifname "rtr" counter name "down"
  }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "rtr" counter name "local"
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    $natrule
  }
}
EOF
  if [ $dhcp -eq 1 ]; then start_dnsmasq "$n" --lease "$lease"; fi
}

. "$H_LIB_DIR/dhcp.sh"
. "$H_LIB_DIR/traffic.sh"
. "$H_LIB_DIR/uplinkd.sh"

log "run $H_RUN_ID: temp dir $H_TMP"
