# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Traffic between our namespaces, per-ISP counters and link shaping. Sourced by netns.sh.
# Only ever send to addresses of namespaces this run created (INET_ADDR, isp_gw N, LAN_ADDR, …).

# ping_from ROLE SRC DST [COUNT] — COUNT (default 3) pings from ROLE to DST, bound to SRC (an interface
# name or a local address: ping -I). True if at least one reply came back; the output goes to stderr on
# failure. Use with wait_for or `|| fail`.
ping_from() {
  local role=$1 src=$2 dst=$3 count=${4:-3} out
  if out=$(in_ns "$role" ping -n -q -c "$count" -i 0.2 -W 1 ${src:+-I "$src"} "$dst" 2>&1); then return 0; fi
  echo "ping from $role (-I $src) to $dst failed: $out" >&2
  return 1
}

# assert_ping ROLE SRC DST [COUNT] — ping_from, failing the test if no reply comes back.
assert_ping() { ping_from "$@" || fail "no reply to ping from $1 (-I $2) to $3"; }

# isp_counter N [up|flows|tcpflows|syn|down|local] [packets|bytes] — a counter of the nft table in ispN:
#   up    packets forwarded from the router to inet through ispN (default)
#   flows new connections forwarded from the router to inet: conntrack state new, and for TCP only an initial
#         SYN (conntrack's loose pick-up would count a stray ACK after a connection's end as new)
#   tcpflows  new TCP connections only (health probes are not TCP); a SYN retransmitted before any answer is
#         conntrack state new again and counts twice: for exact counts read the ISP's conntrack entries
#   syn   TCP SYNs (without ACK) forwarded from the router to inet
#   down  packets forwarded from inet to the router
#   local packets from the router addressed to ispN itself (e.g. pings to its gateway address)
isp_counter() {
  local n=$1 name=${2:-up} field=${3:-packets} out
  out=$(in_ns "isp$n" nft list counter ip harness "$name" 2>&1) || fail "isp_counter: $out"
  out=$(grep -o "$field [0-9]*" <<<"$out" | head -n1)
  echo "${out#* }"
}

# add_isp_counter N — kept for readability in tests: make_isp already installs the counters; this resets them.
add_isp_counter() { reset_isp_counters "$1"; }

# reset_isp_counters N — zero every counter in ispN.
reset_isp_counters() { in_ns "isp$1" nft reset counters table ip harness >/dev/null || fail "reset_isp_counters $1"; }

# isp_counters [KIND] — "isp1=N isp2=M …" for every ISP of the run.
isp_counters() {
  local n out=""
  for n in $(printf '%s\n' "${!H_ISP_ADDR[@]}" | sort -n); do out+="isp$n=$(isp_counter "$n" "${1:-up}") "; done
  echo "${out% }"
}

# start_tcp_sink ROLE PORT — a TCP server in ROLE that accepts any number of connections and closes each
# at once (busybox nc -ll -e true).
start_tcp_sink() {
  local role=$1 port=$2
  spawn "tcp-sink($role:$port)" "$H_TMP/tcp-sink-$role-$port.log" in_ns "$role" busybox nc -ll -p "$port" -e /bin/true
  wait_for --deadline 5 --what "TCP sink on $role:$port" _h_listening "$role" "$port"
}

_h_listening() { in_ns "$1" ss -Hltn "sport = :$2" | grep -q .; }

# tcp_flows ROLE DST PORT COUNT [TIMEOUT] — open COUNT short TCP connections from ROLE to DST:PORT, each
# from a new source port (bash /dev/tcp, up to 50 at a time; a refused connection counts too: its SYN went
# out). Prints how many connected. Attempts still pending after TIMEOUT seconds (default 20) are abandoned.
tcp_flows() {
  local role=$1 dst=$2 port=$3 count=$4 limit=${5:-20}
  in_ns "$role" bash -c '
    dst=$1 port=$2 count=$3 end=$((SECONDS + $4)) ok=0 pids=()
    for ((i = 0; i < count; i++)); do
      (exec 3<>"/dev/tcp/$dst/$port") 2>/dev/null &
      pids+=($!)
      if [ ${#pids[@]} -eq 50 ] || [ $i -eq $((count - 1)) ]; then
        while [ -n "$(jobs -rp)" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
        kill -KILL $(jobs -rp) 2>/dev/null
        for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
        pids=()
      fi
    done
    echo $ok' _ "$dst" "$port" "$count" "$limit"
}

# shape_link ROLE IF RATE [BURST] [LATENCY] — tbf on IF's egress (e.g. shape_link isp1 rtr 10mbit). Shape
# both ends of a veth for a symmetric link. BURST defaults to rate/250 (one tick at HZ=250), at least 15k.
shape_link() {
  local role=$1 ifname=$2 rate=$3 burst=${4:-} latency=${5:-50ms}
  if [ -z "$burst" ]; then
    local num unit bps
    [[ $rate =~ ^([0-9]+)([kmg]?)(bit|bps)$ ]] || fail "shape_link: rate '$rate' not understood (use e.g. 800kbit, 10mbit)"
    num=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
    case $unit in k) bps=$((num * 1000)) ;; m) bps=$((num * 1000000)) ;; g) bps=$((num * 1000000000)) ;; *) bps=$num ;; esac
    [ "${BASH_REMATCH[3]}" == bps ] || bps=$((bps / 8))
    burst=$((bps / 250))
    [ "$burst" -ge 15000 ] || burst=15000
  fi
  in_ns "$role" tc qdisc replace dev "$ifname" root tbf rate "$rate" burst "$burst" latency "$latency" ||
    fail "shape_link: tc on $role/$ifname failed"
}

# unshape_link ROLE IF
unshape_link() { in_ns "$1" tc qdisc del dev "$2" root 2>/dev/null || true; }

# link_down ROLE IF / link_up ROLE IF — e.g. link_down isp1 rtr: the router's wan1 loses carrier (a cut
# cable); link_down router wan1: the router's own interface is set down.
link_down() { ip -n "$(_h_ns "$1")" link set "$2" down || fail "link_down $1 $2"; }
link_up() { ip -n "$(_h_ns "$1")" link set "$2" up || fail "link_up $1 $2"; }

# wait_for_carrier ROLE IF [up|down] — wait until IF's carrier is as asked (default up).
wait_for_carrier() {
  local want=${3:-up}
  wait_for --deadline 10 --what "carrier $want on $1/$2" _h_carrier_is "$1" "$2" "$want"
}

_h_carrier_is() {
  local c
  c=$(ip -n "$(_h_ns "$1")" -o link show dev "$2" 2>/dev/null)
  if [ "$3" == up ]; then [[ $c == *LOWER_UP* ]]; else [[ $c != *LOWER_UP* ]]; fi
}
