#!/usr/bin/env bash
# uplinkd demo: two ISPs, a router that balances over both, and a failover — all inside network
# namespaces that this script creates and removes; nothing in the machine's own network is touched.
#
#   sudo scripts/demo.sh [--no-deps] [--no-build] [--flows N] [--pause]
#
#     ISP 1 (dnsmasq) ──wan1──┐                ┌── lan (192.168.77.10)
#                             router (uplinkd) ┤
#     ISP 2 (dnsmasq) ──wan2──┘                └── (both ISPs) ── inet (198.51.100.1)
#
# Steps: install dependencies (scripts/install-deps.sh), build uplinkd with CMake/Ninja into build/, build
# the topology, get DHCP leases on both uplinks with dhclient, start uplinkd (weights 1 and 2, mode flow,
# L4 hash, health probes to three internet addresses), open N short TCP connections from the LAN host to
# the internet host and count per ISP how many went through it; then ISP 1's upstream goes silent (its
# cable stays in: only the health probes can tell) and comes back, then ISP 1's cable is cut and restored;
# each time show the status and count again; clean up.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps=1 build=1 flows=300 pause=0
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --no-deps) deps=0; shift ;;
    --no-build) build=0; shift ;;
    --flows) flows=$2; shift 2 ;;
    --pause) pause=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $flows =~ ^[0-9]+$ ]] && [ "$flows" -ge 10 ] || { echo "demo: --flows needs a number ≥ 10" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root to create network namespaces: sudo $0 $*" >&2
  exit 1
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ $deps -eq 1 ]; then
  say "Installing dependencies (scripts/install-deps.sh)"
  "$ROOT/scripts/install-deps.sh"
fi
if [ $build -eq 1 ]; then
  say "Building uplinkd into build/"
  cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$ROOT/build" --target uplinkd uplinkctl
fi

export UPLINKD_BIN=${UPLINKD_BIN:-$ROOT/build/src/daemon/uplinkd}
export UPLINKCTL_BIN=${UPLINKCTL_BIN:-$ROOT/build/src/cli/uplinkctl}
H_TEST_NAME=demo
# shellcheck source=../tests/integration/lib/netns.sh
source "$ROOT/tests/integration/lib/netns.sh"   # namespaces, cleanup on exit/^C, helpers
# shellcheck source=../tests/integration/lib/failover.sh
source "$ROOT/tests/integration/lib/failover.sh" # blackhole_upstream, restore_upstream: a silent ISP

# ---------------------------------------------------------------------------------------------------------
say "Topology (namespaces $H_RUN_ID-*)"
make_isp 1
make_isp 2
make_lan
start_tcp_sink inet 80
# Three probe targets on the internet host, as one would use three resolvers in different networks.
for a in 2 3; do ip -n "$(ns inet)" addr add "198.51.100.$a/32" dev lo; done
cat <<EOF
  isp1    $(ns isp1)    dnsmasq on 100.64.1.0/24, gateway 100.64.1.1, masquerades to inet as $(isp_inet_addr 1)
  isp2    $(ns isp2)    dnsmasq on 100.64.2.0/24, gateway 100.64.2.1, masquerades to inet as $(isp_inet_addr 2)
  router  $(ns router)  wan1, wan2 (DHCP), lan0 192.168.77.1/24
  lan     $(ns lan)     192.168.77.10, default via the router
  inet    $(ns inet)    $INET_ADDR (and .2, .3: health probe targets), a TCP server on port 80
EOF

sock=$H_TMP/uplinkd.sock
# The dhclient exit hook (hooks/dhclient-exit-hook.in, @UPLINKCTL@ filled in with the uplinkctl built here)
# goes into the router's /etc/netns/…/dhcp/dhclient-exit-hooks.d/uplinkd. dhclient gives its script a fixed
# environment, so a hook sourced before it exports the socket (uplinkctl reads UPLINKD_SOCKET) and PATH.
hook_src=$ROOT/hooks/dhclient-exit-hook.in
[ -r "$hook_src" ] || hook_src=$ROOT/hooks/dhclient-exit-hook
if [ -r "$hook_src" ]; then
  sed "s|@UPLINKCTL@|$UPLINKCTL_BIN|g" "$hook_src" >"$H_TMP/dhclient-exit-hook"
  add_dhclient_exit_hook router uplinkd "$H_TMP/dhclient-exit-hook" \
    UPLINKCTL="$UPLINKCTL_BIN" UPLINKD_SOCKET="$sock" PATH="$(dirname "$UPLINKCTL_BIN"):/usr/sbin:/usr/bin:/sbin:/bin"
  echo "  dhclient exit hook: ${hook_src#"$ROOT"/} -> /etc/netns/$(ns router)/dhcp/dhclient-exit-hooks.d/uplinkd"
else
  echo "  (no hooks/dhclient-exit-hook: uplinkd learns the leases from netlink alone)"
fi

say "DHCP: dhclient on wan1 and wan2"
start_dhclient router wan1 --metric 101    # each dhclient's default route gets its own metric,
start_dhclient router wan2 --metric 102    # else the second one cannot add its default route
wait_for_address router wan1 100.64.1. --deadline 30
wait_for_address router wan2 100.64.2. --deadline 30
echo "  wan1 $(address_of router wan1) gateway $(default_gateway router wan1)"
echo "  wan2 $(address_of router wan2) gateway $(default_gateway router wan2)"

# ---------------------------------------------------------------------------------------------------------
say "uplinkd"
if [ ! -x "$UPLINKD_BIN" ] || [ ! -x "$UPLINKCTL_BIN" ]; then
  fail "the topology works, but uplinkd is not built: $UPLINKD_BIN / $UPLINKCTL_BIN missing (run without --no-build, or set UPLINKD_BIN and UPLINKCTL_BIN)"
fi
cat >"$H_TMP/uplinkd.toml" <<EOF
# uplinkd demo configuration
mode = "flow"
multipath_hash_policy = "l4"
socket = "$sock"
rt_tables = "$H_TMP/rt_tables"
state_file = "$H_TMP/state.json"

[[uplink]]
name = "isp1"
interface = "wan1"
table = 101
table_name = "isp1"
weight = 1
masquerade = true
[uplink.health]
targets = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]

[[uplink]]
name = "isp2"
interface = "wan2"
table = 102
table_name = "isp2"
weight = 2
masquerade = true
[uplink.health]
targets = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
EOF
sed 's/^/  /' "$H_TMP/uplinkd.toml"
start_uplinkd router "$H_TMP/uplinkd.toml"
echo
uplinkctl_in router status | sed 's/^/  /'

# count_flows LABEL [COUNT] [LIMIT] — open COUNT (default $flows) connections from the LAN host to inet:80
# (giving up on those not answered within LIMIT seconds, default 10), print how many passed each ISP (new TCP
# connections forwarded there).
count_flows() {
  reset_isp_counters 1
  reset_isp_counters 2
  local ok f1 f2 count=${2:-$flows}
  ok=$(tcp_flows lan "$INET_ADDR" 80 "$count" "${3:-10}")
  f1=$(isp_counter 1 tcpflows) f2=$(isp_counter 2 tcpflows)   # new TCP connections (not health probes)
  printf '  %-28s connected %3d/%d   via isp1: %3d   via isp2: %3d\n' "$1" "$ok" "$count" "$f1" "$f2"
  LAST_F1=$f1 LAST_F2=$f2
}

# A batch of probe flows passes both ISPs (a) / only isp2 (b): the plan is in force.
_both_used() { count_flows "probe" 30 2 >/dev/null; [ "$LAST_F1" -gt 0 ] && [ "$LAST_F2" -gt 0 ]; }
_only_isp2() { count_flows "probe" 20 2 >/dev/null; [ "$LAST_F1" -eq 0 ] && [ "$LAST_F2" -gt 0 ]; }

say "Balancing: $flows TCP connections lan -> inet:80 (weights 1:2, L4 hash)"
wait_for --deadline 30 --what "new flows from the LAN to leave by both uplinks" _both_used
count_flows "both uplinks up"
echo "  expected about $((flows / 3)) via isp1 and $((2 * flows / 3)) via isp2"

health_of() { uplinkctl_in router status --json | jq -r --arg u "$1" '.uplinks[] | select(.name == $u) | .health.state'; }
_health_is() { [ "$(health_of "$1")" = "$2" ]; }
wait_for --deadline 10 --what "both uplinks' probes to answer" _health_is isp1 up
wait_for --deadline 10 --what "both uplinks' probes to answer" _health_is isp2 up

say "Failover: ISP 1's upstream goes silent (the cable stays in; only probes can tell)"
blackhole_upstream 1
silent_at=${EPOCHREALTIME/./}
wait_for --deadline 10 --what "isp1's health to go down" _health_is isp1 down
took_ms=$(((${EPOCHREALTIME/./} - silent_at) / 1000))
echo "  isp1 declared down ${took_ms} ms after its upstream went silent (default probes: at most 1480 ms," \
  "plus this script's polling)"
uplinkctl_in router status | sed 's/^/  /'
count_flows "isp1 silent"

say "Recovery: ISP 1 answers again"
restore_upstream 1
wait_for --deadline 10 --what "isp1's health to come back" _health_is isp1 up
wait_for --deadline 30 --what "new flows to use isp1 again" _both_used
count_flows "isp1 answers again"

say "Failover: ISP 1's cable is cut (wan1 loses carrier)"
link_down isp1 rtr
wait_for_carrier router wan1 down
wait_for --deadline 30 --what "new flows to avoid isp1" _only_isp2
uplinkctl_in router status | sed 's/^/  /'
count_flows "wan1 down"

say "Recovery: the cable is back"
link_up isp1 rtr
wait_for_carrier router wan1 up
wait_for --deadline 60 --what "new flows to use isp1 again" _both_used
uplinkctl_in router status | sed 's/^/  /'
count_flows "wan1 back"

if [ $pause -eq 1 ]; then
  say "Paused: try e.g. sudo ip netns exec $(ns router) ip route show table all; $UPLINKCTL_BIN -s $sock status"
  read -r -p "  Press Enter to tear everything down. " _ </dev/tty || true
fi
say "Cleaning up"
pass
