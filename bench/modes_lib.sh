# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the balancing-mode benchmarks of issue 4 (bench/aggregation.sh, bench/overhead.sh,
# bench/memory.sh): finding the binaries, the router topology of overhead.sh and memory.sh, uplinkd configs
# for it, iperf3 runs, medians and the report header. Sourced after the integration-test harness
# (tests/integration/lib/uplinkd_test.sh) and tests/integration/lib/equalize.sh, whose helpers (make_ns, veth,
# spawn, wait_for, start_uplinkd, eq_iperf_*) and cleanup trap it relies on. bm_binaries runs before them.

# bm_binaries SCRIPT BUILD DO_BUILD — set and export UPLINKD_BIN and UPLINKCTL_BIN: as given by the caller
# when both are set (nothing is built), else those of BUILD, built first when DO_BUILD is 1 (as
# bench/failover.sh does; -j2 at most: the benchmarks measure CPU-bound things on the same machine).
bm_binaries() {
  local script=$1 build=$2 do_build=$3 binary jobs
  if [[ -z ${UPLINKD_BIN:-} || -z ${UPLINKCTL_BIN:-} ]]; then
    if ((do_build)); then
      jobs=$(nproc)
      ((jobs <= 2)) || jobs=2
      echo "$script: building uplinkd and uplinkctl in $build" >&2
      [[ -f $build/build.ninja ]] || cmake -G Ninja -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      ninja -C "$build" -j"$jobs" uplinkd uplinkctl >/dev/null
    fi
    UPLINKD_BIN=$build/src/daemon/uplinkd
    UPLINKCTL_BIN=$build/src/cli/uplinkctl
  fi
  for binary in "$UPLINKD_BIN" "$UPLINKCTL_BIN"; do
    [[ -x $binary ]] || { echo "$script: missing $binary (build it, drop --no-build, or set UPLINKD_BIN and UPLINKCTL_BIN)" >&2; exit 1; }
  done
  export UPLINKD_BIN UPLINKCTL_BIN
}

# bm_require_root SCRIPT
bm_require_root() {
  if ((EUID != 0)); then
    echo "$1 needs root (network namespaces): run it as root" >&2
    exit 1
  fi
}

# bm_require_tools TOOL... — fail clearly when one is missing (scripts/install-deps.sh installs them all).
bm_require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "$tool not found; run scripts/install-deps.sh"
  done
}

# bm_machine — one line saying where and when the figures were measured (for the report's header).
bm_machine() {
  echo "$(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r), load average before the run: $BM_LOAD_BEFORE"
}
BM_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# bm_stats V... — "median min max" of the numbers (median of an even count: the mean of the middle two).
bm_stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.10g %.10g %.10g\n", m, v[1], v[NR] }'
}

# bm_ratio A B [SCALE] [DECIMALS] — A / B × SCALE (default 100) with DECIMALS (default 1); "-" if B is 0 or
# either is not a number.
bm_ratio() {
  awk -v a="$1" -v b="$2" -v s="${3:-100}" -v d="${4:-1}" 'BEGIN {
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) { print "-"; exit }
    printf "%.*f\n", d, a / b * s }'
}

# bm_drop_ns ROLE... — stop whatever still runs in these namespaces of the run (processes started in them:
# iperf3 servers, uplinkd) and delete them, so that a long benchmark does not pile up namespaces; the
# harness's cleanup skips namespaces that are gone.
bm_drop_ns() {
  local role n pid
  for role in "$@"; do
    n=$(_h_ns "$role")
    for pid in $(ip netns pids "$n" 2>/dev/null); do stop_pid "$pid" 3; done
    ip netns del "$n" || fail "could not delete namespace $n"
  done
}

# bm_uplinkd_stop ROLE — stop uplinkd in ROLE and check that it took its objects with it (on_exit "flush"):
# the next measurement in the same namespace must not run through a leftover rule or nft table.
bm_uplinkd_stop() {
  local n
  n=$(_h_ns "$1")
  stop_uplinkd "$1"
  ! ip netns exec "$n" nft list table inet uplinkd >/dev/null 2>&1 || fail "uplinkd left its nft table in $1"
  ! ip -N -n "$n" rule show | grep -q "proto 117" || fail "uplinkd left rules in $1: $(ip -N -n "$n" rule show | grep "proto 117")"
}

# ---------------------------------------------------------------------------------------------------------
# The router topology of overhead.sh and memory.sh:
#
#   cl ── eth0 192.168.77.10/24 ── lan0 192.168.77.1/24  rt  wan1 10.1.0.1/24 ── s1 10.1.0.2/24  sv
#                                                            wan2 10.2.0.1/24 ── s2 10.2.0.2/24  (lo: 198.51.100.1)
#
# The server sv is one host reachable over both of the router's uplinks (a router's two ISPs that end in the
# same place, as in the seed's picture): its service address 198.51.100.1 sits on lo, and it has one route
# back to the LAN, via wan1 (replies of routed, un-NATed traffic all come back over wan1; masqueraded replies
# go to the uplink's own address, so they come back over the uplink the connection used). The router's plain
# route to the server is a static default via wan1's far end; uplinkd's modes use both uplinks, gateways
# 10.1.0.2 and 10.2.0.2. Links are unshaped veths. rp_filter is off everywhere (the server receives one
# source over two links; rp_filter is not what is measured). Roles: cl, rt, sv.
BM_CLIENT_ADDR=192.168.77.10
BM_SERVER_ADDR=198.51.100.1

bm_make_router_topology() {
  local k role
  make_ns cl
  make_ns rt
  make_ns sv
  for role in cl rt sv; do
    sysctl_ns "$role" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
      net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  sysctl_ns rt net.ipv4.ip_forward=1
  veth cl eth0 rt lan0
  ip -n "$(ns cl)" addr add "$BM_CLIENT_ADDR/24" dev eth0
  ip -n "$(ns cl)" route add default via 192.168.77.1
  ip -n "$(ns rt)" addr add 192.168.77.1/24 dev lan0
  for k in 1 2; do
    veth rt "wan$k" sv "s$k"
    ip -n "$(ns rt)" addr add "10.$k.0.1/24" dev "wan$k"
    ip -n "$(ns sv)" addr add "10.$k.0.2/24" dev "s$k"
    sysctl_ns rt "net.ipv4.conf.wan$k.rp_filter=0"
    sysctl_ns sv "net.ipv4.conf.s$k.rp_filter=0"
  done
  ip -n "$(ns sv)" addr add "$BM_SERVER_ADDR/32" dev lo
  ip -n "$(ns sv)" route add 192.168.77.0/24 via 10.1.0.1
  ip -n "$(ns rt)" route add default via 10.1.0.2
}

# bm_router_config FILE MODE MASQUERADE [TOP-LEVEL LINES...] — uplinkd's config for rt: MODE (flow, packet,
# connection), uplinks wan1 and wan2 (tables 201, 202, weight 1, static gateways, no health checks: they
# would only add probe packets), masquerade true or false on both; socket, rt_tables and state file in the
# run's temp dir.
bm_router_config() {
  local file=$1 mode=$2 masq=$3 k line
  shift 3
  {
    echo "mode = \"$mode\""
    echo "socket = \"$H_TMP/rt-uplinkd.sock\""
    echo "rt_tables = \"$H_TMP/rt-rt_tables\""
    echo "state_file = \"$H_TMP/rt-state.json\""
    for line in "$@"; do echo "$line"; done
    for k in 1 2; do
      echo ""
      echo "[[uplink]]"
      echo "interface = \"wan$k\""
      echo "table = $((200 + k))"
      echo "gateway = \"10.$k.0.2\""
      echo "weight = 1"
      echo "masquerade = $masq"
    done
  } >"$file"
}

# bm_router_ready — both uplinks active and the last apply succeeded.
bm_router_ready() {
  uplinkctl_in rt status --json |
    jq -e '.converged and .active == 2 and ([.uplinks[] | select(.state == "active")] | length) == 2' >/dev/null
}

# bm_start_router_uplinkd MODE MASQUERADE [TOP-LEVEL LINES...] — write the config, start uplinkd in rt and
# wait until both uplinks are in use.
bm_start_router_uplinkd() {
  local mode=$1 file=$H_TMP/rt-$1-masquerade-$2.toml
  bm_router_config "$file" "$@"
  start_uplinkd rt "$file"
  wait_for --deadline 10 --what "uplinkd in rt ($mode) with both uplinks active" bm_router_ready
}

# Words put before iperf3 by bm_iperf_server and by bm_iperf_client (e.g. taskset -c 1); none by default.
BM_SERVER_PREFIX=()
BM_CLIENT_PREFIX=()

# bm_iperf_server ROLE PORT [ADDRESS] — a one-shot iperf3 server (one test, then it exits) in ROLE, bound to
# ADDRESS if given (UDP answers from the address it was asked on only then); waits until it listens. Log: $H_TMP/iperf3-ROLE-PORT.log.
bm_iperf_server() {
  spawn "iperf3-server($1:$2)" "$H_TMP/iperf3-$1-$2.log" in_ns "$1" "${BM_SERVER_PREFIX[@]}" iperf3 -s -1 -p "$2" ${3:+-B "$3"}
  wait_for --deadline 5 --what "iperf3 server on $1:$2" _h_listening "$1" "$2"
}

# bm_iperf_client ROLE DST PORT SECONDS [IPERF3 ARGS...] — iperf3 --json from ROLE to DST; prints the JSON.
bm_iperf_client() {
  local role=$1 dst=$2 port=$3 secs=$4 out
  shift 4
  out=$(in_ns "$role" timeout $((secs + 30)) "${BM_CLIENT_PREFIX[@]}" iperf3 -c "$dst" -p "$port" -t "$secs" --json "$@" 2>&1) ||
    fail "iperf3 client $role -> $dst:$port failed: $(jq -r '.error // empty' <<<"$out" 2>/dev/null || true) ${out:0:500}"
  echo "$out"
}

# bm_iperf_mbit JSON-FILE — the receiver's throughput in Mbit/s, one decimal (TCP: sum_received).
bm_iperf_mbit() { jq -r '(.end.sum_received // .end.sum).bits_per_second / 1e6 * 10 | round / 10' "$1"; }

# bm_iperf_retransmits JSON-FILE — the TCP sender's retransmitted segments.
bm_iperf_retransmits() { jq -r '.end.sum_sent.retransmits // 0' "$1"; }
