#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh — the figures of issues 2 and 13: event-to-kernel latency for 2, 32 and 64 dual-stack uplinks
# (IPv4: hook renew, address change; IPv6: SLAAC renumbering, RA router leaving and returning), cold start,
# and the daemon's RSS and idle CPU with 32 uplinks. Needs root: run `bench/run.sh` as root.
# Prints a markdown table at the end (docs/benchmarks.md explains every figure).
#
# Everything runs in network namespaces this script creates, named after a unique run id: per uplink count
# one "router" namespace where uplinkd runs (wanK, K = 1..N) and one "isp" namespace holding every veth peer
# with the gateways 100.64.K.1 and .2 (one namespace for all ISPs, so 32 uplinks need not be 32 namespaces).
# The machine's own namespace and /etc are never touched; processes are stopped by pid only; namespaces and
# the temp dir are removed on exit, also on failure or ^C.
#
# Options: --no-build (use the binaries in the build dir as they are), --iterations N (default 200),
#          --uplinks N,N,... (uplink counts, default 2,32,64; 32 adds the memory and idle-CPU figures),
#          --build-dir DIR (default build-bench), --idle-seconds S (default 10),
#          --log-level LEVEL (uplinkd's, default info), --keep-logs DIR (copy uplinkd's logs there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
ITERATIONS=200
UPLINK_COUNTS=(2 32 64)
IDLE_SECONDS=10
COLD_REPEAT=5
LOG_LEVEL=info
KEEP_LOGS=
while (($#)); do
  case $1 in
    --no-build) DO_BUILD=0 ;;
    --iterations) ITERATIONS=$2; shift ;;
    --uplinks) IFS=, read -r -a UPLINK_COUNTS <<<"$2"; shift ;;
    --build-dir) BUILD=$2; shift ;;
    --idle-seconds) IDLE_SECONDS=$2; shift ;;
    --log-level) LOG_LEVEL=$2; shift ;;
    --keep-logs) KEEP_LOGS=$2; shift ;;
    *)
      echo "usage: $0 [--no-build] [--iterations N] [--uplinks N,N,...] [--build-dir DIR] [--idle-seconds S]" \
        "[--log-level L] [--keep-logs DIR]" >&2
      exit 2
      ;;
  esac
  shift
done

if ((EUID != 0)); then
  echo "bench/run.sh needs root (network namespaces): run it as root" >&2
  exit 1
fi

RUN_ID="ulkb$$x$RANDOM"
TMP=$(mktemp -d "/tmp/uplinkd-bench.$RUN_ID.XXXXXX")
NAMESPACES=()
CLEANED=0

log() { printf '[%s] %s\n' "$RUN_ID" "$*" >&2; }

ns_inode() { stat -Lc %i "/run/netns/$1" 2>/dev/null || true; }

# Kills PID only if it still lives in one of this run's namespaces: a pid from a file may have been reused.
kill_if_ours() {
  local pid=$1 signal=$2 inode ns
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  inode=$(stat -Lc %i "/proc/$pid/ns/net" 2>/dev/null) || return 0
  for ns in "${NAMESPACES[@]}"; do
    if [[ -n $inode && $inode == "$(ns_inode "$ns")" ]]; then
      kill "-$signal" "$pid" 2>/dev/null || true
      return 0
    fi
  done
}

ns_pids() { # every process in the run's namespaces
  local ns
  for ns in "${NAMESPACES[@]}"; do
    [[ -e /run/netns/$ns ]] && ip netns pids "$ns" 2>/dev/null
  done
  true
}

cleanup() {
  ((CLEANED)) && return 0
  CLEANED=1
  set +e
  trap '' INT TERM  # a second ^C must not interrupt the removal
  local pid f
  for f in "$TMP"/*.pid; do [[ -f $f ]] && kill_if_ours "$(cat "$f")" TERM; done
  for pid in $(ns_pids); do kill_if_ours "$pid" TERM; done
  for _ in $(seq 30); do
    [[ -z $(ns_pids) ]] && break
    sleep 0.1
  done
  for pid in $(ns_pids); do kill_if_ours "$pid" KILL; done
  for ns in "${NAMESPACES[@]}"; do
    [[ -e /run/netns/$ns ]] && ip netns del "$ns"
  done
  rm -rf "$TMP"
  log "cleaned up: namespaces ${NAMESPACES[*]:-none} deleted, $TMP removed"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ((DO_BUILD)); then
  log "building in $BUILD"
  [[ -f $BUILD/build.ninja ]] || cmake -G Ninja -S "$ROOT" -B "$BUILD" >"$TMP/cmake.log"
  ninja -C "$BUILD" -j"$(nproc)" uplinkd converge_latency >"$TMP/build.log" || {
    cat "$TMP/build.log" >&2
    exit 1
  }
fi
UPLINKD=$BUILD/src/daemon/uplinkd
BENCH=$BUILD/bench/converge_latency
for binary in "$UPLINKD" "$BENCH"; do
  [[ -x $binary ]] || { log "missing $binary (run without --no-build)"; exit 1; }
done

# The same check uplinkd and the bench make, before anything is started in ROUTER: a process started with
# `ip netns exec` must be in that namespace and not in the initial one. /proc/1/ns/net may be unreadable
# even for root; init_net's inode is then 4026531833 (PROC_NET_INIT_INO).
assert_in_netns() {
  local ns=$1 self initial expected
  self=$(ip netns exec "$ns" stat -Lc %i /proc/self/ns/net)
  initial=$(stat -Lc %i /proc/1/ns/net 2>/dev/null || echo 4026531833)
  expected=$(ns_inode "$ns")
  if [[ -z $self || $self == "$initial" || $self != "$expected" ]]; then
    log "refusing: a process in namespace $ns has net ns inode '$self' (initial $initial, expected $expected)"
    exit 1
  fi
}

make_topology() { # make_topology N ROUTER ISP
  local n=$1 router=$2 isp=$3 k
  ip netns add "$router"
  NAMESPACES+=("$router")
  ip netns add "$isp"
  NAMESPACES+=("$isp")
  # A DHCP-style address change adds the new address before deleting the old one; without promotion, the
  # old primary's deletion would take the new secondary with it.
  ip netns exec "$router" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.default.promote_secondaries=1
  # IPv6 (dual stack): the bench plays the kernel's SLAAC and RA facts itself (addresses and `proto ra`
  # default routes), so the router must not run DAD (its figures start at the address event after DAD, which
  # takes a second) nor accept real RAs. Set before the links exist: new links copy `default`.
  ip netns exec "$router" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
  {
    echo "link set lo up"
    for ((k = 1; k <= n; k++)); do echo "link add wan$k type veth peer name isp$k netns $isp"; done
  } | ip -n "$router" -batch -
  {
    echo "link set lo up"
    for ((k = 1; k <= n; k++)); do
      echo "address add 100.64.$k.1/24 dev isp$k"
      echo "address add 100.64.$k.2/24 dev isp$k"
      # The IPv6 routers the bench announces in turn (fe80::1, fe80::2) and the prefix's own router.
      echo "address add fe80::1/64 dev isp$k nodad"
      echo "address add fe80::2/64 dev isp$k nodad"
      echo "address add 2001:db8:$k::1/64 dev isp$k nodad"
      echo "link set isp$k up"
    done
  } | ip -n "$isp" -batch -
  {
    for ((k = 1; k <= n; k++)); do
      echo "address add 100.64.$k.10/24 dev wan$k"
      echo "link set wan$k up"
      # What a DHCP client without a hook leaves: uplinkd learns the gateway from it.
      echo "route add default via 100.64.$k.1 dev wan$k metric $k"
      # What SLAAC and a router advertisement leave: a global address in 2001:db8:K::/64 and a default
      # route `proto ra` via the link-local router. The kernel's own RA routes all have metric 1024, but it
      # refuses two routes of one metric from userspace (bench/latency/topology.hpp): 1024 + K.
      echo "address add 2001:db8:$k::10/64 dev wan$k nodad"
      echo "route add default via fe80::1 dev wan$k proto ra metric $((1024 + k))"
    done
  } | ip -n "$router" -batch -
  # uplinkd counts an uplink only with carrier: wait for every veth to have it, so that cold start measures
  # uplinkd and not the veths' link-up.
  for _ in $(seq 100); do
    (($(ip -n "$router" -o link show up | grep -c 'wan[0-9]*@.*LOWER_UP' || true) == n)) && return 0
    sleep 0.05
  done
  log "the wan links of $router did not all get carrier"
  exit 1
}

write_config() { # write_config N DIR
  local n=$1 dir=$2 k
  {
    echo "socket = \"$dir/uplinkd.sock\""
    echo "rt_tables = \"$dir/rt_tables\""
    echo "state_file = \"$dir/state.json\""
    echo 'on_exit = "flush"'
    for ((k = 1; k <= n; k++)); do
      printf '\n[[uplink]]\ninterface = "wan%d"\ntable = %d\nweight = 1\n' "$k" $((300 + k))
    done
  } >"$dir/uplinkd.toml"
}

stop_daemon() { # stop_daemon PIDFILE — SIGTERM by pid, then wait: uplinkd flushes its objects on the way out
  local pid
  pid=$(cat "$1")
  kill_if_ours "$pid" TERM
  for _ in $(seq 50); do
    [[ -e /proc/$pid ]] || break
    sleep 0.1
  done
  kill_if_ours "$pid" KILL
  rm -f "$1"
}

# /proc/PID/stat fields 14 and 15 (utime, stime) in clock ticks; the command name (field 2) may hold spaces,
# so count from after its closing parenthesis.
cpu_ticks() {
  local rest
  rest=$(sed 's/^.*) //' "/proc/$1/stat")
  awk '{ print $12 + $13 }' <<<"$rest"
}

RESULTS=$TMP/results.tsv
: >"$RESULTS"
declare -A FIGURE

run_for() { # run_for N
  local n=$1
  local router="$RUN_ID-router$n" isp="$RUN_ID-isp$n" dir="$TMP/n$n" pidfile pid
  mkdir -p "$dir"
  log "topology with $n uplinks: namespaces $router, $isp"
  make_topology "$n" "$router" "$isp"
  write_config "$n" "$dir"
  "$UPLINKD" --check -c "$dir/uplinkd.toml" >/dev/null
  assert_in_netns "$router"
  pidfile=$TMP/uplinkd-$n.pid

  log "cold start, $n uplinks, $COLD_REPEAT starts"
  ip netns exec "$router" "$BENCH" cold-start --uplinks "$n" --repeat "$COLD_REPEAT" --pidfile "$pidfile" \
    --log "$dir/uplinkd.log" -- "$UPLINKD" -c "$dir/uplinkd.toml" --log-level "$LOG_LEVEL" >>"$RESULTS"
  pid=$(cat "$pidfile")
  log "hook path, $n uplinks, $ITERATIONS renews"
  ip netns exec "$router" "$BENCH" hook --uplinks "$n" --socket "$dir/uplinkd.sock" --iterations "$ITERATIONS" >>"$RESULTS"
  log "netlink address path, $n uplinks, $ITERATIONS address changes"
  ip netns exec "$router" "$BENCH" address --uplinks "$n" --socket "$dir/uplinkd.sock" --iterations "$ITERATIONS" >>"$RESULTS"
  log "IPv6 SLAAC renumbering, $n uplinks, $ITERATIONS new prefixes and old ones gone"
  ip netns exec "$router" "$BENCH" prefix6 --uplinks "$n" --socket "$dir/uplinkd.sock" --iterations "$ITERATIONS" >>"$RESULTS"
  log "IPv6 RA routers, $n uplinks, $ITERATIONS routers leaving and returning"
  ip netns exec "$router" "$BENCH" router6 --uplinks "$n" --socket "$dir/uplinkd.sock" --iterations "$ITERATIONS" >>"$RESULTS"

  if ((n == 32)); then
    FIGURE[rss]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    FIGURE[hwm]=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
    # Idle means no events: wait until the veths' IPv6 link-local addresses have finished DAD (their
    # RTM_NEWADDR/NEWROUTE events reach uplinkd, which ignores them but wakes up), then a second more so that
    # the echoes of the last run's changes have been handled.
    for _ in $(seq 100); do
      [[ -z $(ip -n "$router" -6 address show tentative) ]] && break
      sleep 0.1
    done
    sleep 1
    log "idle CPU: $IDLE_SECONDS s without events"
    local ticks0 ticks1 sched0 sched1 t0 t1 wake0 wake1
    wake0=$(awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$pid/status")
    ticks0=$(cpu_ticks "$pid")
    sched0=$(awk '{ print $1 }' "/proc/$pid/schedstat" 2>/dev/null || echo 0)
    t0=$(date +%s%N)
    sleep "$IDLE_SECONDS"
    ticks1=$(cpu_ticks "$pid")
    wake1=$(awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$pid/status")
    sched1=$(awk '{ print $1 }' "/proc/$pid/schedstat" 2>/dev/null || echo 0)
    t1=$(date +%s%N)
    local hz
    hz=$(getconf CLK_TCK)
    FIGURE[idle_ticks]=$((ticks1 - ticks0))
    FIGURE[idle_pct]=$(awk -v d=$((ticks1 - ticks0)) -v hz="$hz" -v ns=$((t1 - t0)) \
      'BEGIN { printf "%.3f", 100 * (d / hz) / (ns / 1e9) }')
    FIGURE[idle_res]=$(awk -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.2f", 100 / hz / s }')
    FIGURE[idle_sched_us]=$(((sched1 - sched0) / 1000))
    FIGURE[idle_s]=$IDLE_SECONDS
    FIGURE[idle_wakeups]=$((wake1 - wake0))
  fi
  stop_daemon "$pidfile"
  grep -q 'critical\|error' "$dir/uplinkd.log" && { log "uplinkd logged errors:"; grep 'critical\|error' "$dir/uplinkd.log" >&2; }
  if [[ -n $KEEP_LOGS ]]; then
    mkdir -p "$KEEP_LOGS"
    cp "$dir/uplinkd.log" "$KEEP_LOGS/uplinkd-$n.log"
  fi
  ip netns del "$router"
  ip netns del "$isp"
}

# The machine may be shared (builds, other tests): its load is part of the figures' context.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for n in "${UPLINK_COUNTS[@]}"; do run_for "$n"; done

# The table, ready to paste into the README or docs/benchmarks.md.
echo
echo "uplinkd benchmarks — $(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r), load average before the run: $LOAD_BEFORE"
echo
echo "| Figure | Uplinks | Samples | Median (ms) | p90 (ms) | p99 (ms) | Max (ms) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '$1 == "RESULT" { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8 }' "$RESULTS"
if [[ -n ${FIGURE[rss]:-} ]]; then
echo
echo "| Daemon, 32 uplinks | Value |"
echo "|---|---:|"
echo "| RSS (VmRSS) after the 32-uplink runs | ${FIGURE[rss]} kB |"
echo "| Peak RSS (VmHWM) | ${FIGURE[hwm]} kB |"
echo "| CPU while idle, utime+stime over ${FIGURE[idle_s]} s | ${FIGURE[idle_pct]} % of one core (${FIGURE[idle_ticks]} ticks; resolution ${FIGURE[idle_res]} %) |"
echo "| On-CPU time while idle (schedstat) over ${FIGURE[idle_s]} s | ${FIGURE[idle_sched_us]} µs |"
echo "| Wake-ups while idle (voluntary context switches) over ${FIGURE[idle_s]} s | ${FIGURE[idle_wakeups]} |"
fi
late=$(awk -F'\t' '$1 == "LATE" { s += $3 } END { print s + 0 }' "$RESULTS")
if ((late > 0)); then
  echo
  echo "Warning: $late changes of uplinkd's arrived after the address path's end condition (see docs/benchmarks.md)."
fi
