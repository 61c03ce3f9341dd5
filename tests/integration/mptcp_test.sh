#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One MPTCP connection over two NATed 10 Mbit/s ISPs, with uplinkd keeping the endpoints (`mptcp = true`,
# issue 15). The router is the MPTCP client (an unmodified iperf3 under Debian's `mptcpize run`); the internet
# host runs the server the same way. uplinkd gives each uplink's address a `subflow` endpoint bound to its
# interface, and its source rules send each subflow out by its own uplink.
#  1. Aggregation: over the steady part of the transfer (bytes, from iperf3's per-second figures after the
#     first two seconds), the MPTCP connection carries at least 1.8× what a plain TCP connection bound to
#     wan1's address carries through isp1 alone in the same run; both links carry a share.
#  2. A silent ISP: isp1 drops everything the router sends it (carrier up) in the middle of a transfer. The
#     same connection goes on over isp2 (iperf3 ends without an error; at most one second of the transfer
#     carries less than a quarter of one ISP's rate), and once isp1 answers again and uplinkd has put wan1's
#     endpoint back, wan1 carries the connection's bytes again.
#  3. A carrier loss of wan1, likewise.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/probe_targets.sh"
source "$(dirname "$0")/lib/traffic.sh"

command -v mptcpize >/dev/null || fail "mptcpize not found (Debian's mptcpize package; scripts/install-deps.sh installs it)"
RATE=10mbit
PORT=5201
CONFIG=$H_TMP/uplinkd.toml

write_config "$CONFIG" "mptcp = true"
for n in 1 2; do
  static_uplink "$n"
  # Both directions of each ISP link at 10 Mbit/s, as a real access line.
  shape_link router "wan$n" "$RATE"
  shape_link "isp$n" rtr "$RATE"
  add_uplink "$CONFIG" "$n" 1 "gateway = \"$(isp_gw "$n")\"" "[uplink.health]" "targets = [\"$INET_ADDR\"]" \
    "hold_down = 0"
done
A1=100.64.1.10 A2=100.64.2.10
start_uplinkd router "$CONFIG"
wait_for --deadline 20 --what "wan1 and wan2 up" healths_are router "wan1=up wan2=up"

# endpoints_are LIST — `ip mptcp endpoint show` of the router names exactly these addresses (sorted, spaces).
endpoints_are() {
  local now
  now=$(in_ns router ip mptcp endpoint show | awk '{print $1}' | sort | paste -sd' ')
  echo "endpoints: $now"
  [ "$now" == "$1" ]
}
wait_for --deadline 10 --what "uplinkd's endpoints for wan1 and wan2" endpoints_are "$A1 $A2"
log "endpoints: $(in_ns router ip mptcp endpoint show | paste -sd';'); limits: $(in_ns router ip mptcp limits show | paste -sd' ')"

spawn "iperf3 server (MPTCP)" "$H_TMP/iperf3-server.log" in_ns inet mptcpize run iperf3 -s -p "$PORT"
wait_for --deadline 5 --what "iperf3 server on inet:$PORT" _h_listening inet "$PORT"

# mptcp_transfer NAME SECONDS — iperf3 under `mptcpize run` from the router to the internet host, in the
# background (wait for $TRANSFER_PID); its JSON in $H_TMP/NAME.json.
mptcp_transfer() {
  in_ns router timeout $(($2 + 20)) mptcpize run iperf3 -c "$INET_ADDR" -p "$PORT" -t "$2" -i 1 --json \
    >"$H_TMP/$1.json" 2>&1 &
  TRANSFER_PID=$!
}
# finished NAME — wait for the transfer, fail with iperf3's error if it had one.
finished() {
  wait "$TRANSFER_PID" || fail "iperf3 ($1) failed: $(jq -r '.error // empty' "$H_TMP/$1.json" 2>/dev/null) $(head -c 300 "$H_TMP/$1.json")"
}
# per_second NAME — the bytes of each second of the transfer, one per line.
per_second() { jq -r '.intervals[].sum.bytes' "$H_TMP/$1.json"; }
# steady NAME — bytes per second over the steady part: the seconds after the first two.
steady() { per_second "$1" | tail -n +3 | awk '{ s += $1; n++ } END { printf "%d\n", s / n }'; }
tx_bytes() { ip -n "$(ns router)" -s -j link show dev "$1" | jq -r '.[0].stats64.tx.bytes'; }

# ---------------------------------------------------------------------------------------------------------
log "1. one MPTCP connection against one plain TCP connection through isp1"
# The baseline is bound to wan1's address (-B): its source rule keeps it on isp1.
in_ns router timeout 28 iperf3 -c "$INET_ADDR" -p "$PORT" -t 8 -i 1 --json -B "$A1" >"$H_TMP/baseline.json" 2>&1 ||
  fail "iperf3 bound to $A1 failed: $(head -c 300 "$H_TMP/baseline.json")"
base=$(steady baseline)
t1=$(tx_bytes wan1) t2=$(tx_bytes wan2)
mptcp_transfer aggregate 8
finished aggregate
d1=$(($(tx_bytes wan1) - t1)) d2=$(($(tx_bytes wan2) - t2))
agg=$(steady aggregate)
ratio=$(jq -n "$agg / $base * 100 | round / 100")
log "steady part: one ISP $((base * 8 / 1000)) kbit/s, MPTCP $((agg * 8 / 1000)) kbit/s: ${ratio}×;" \
  "wan1 sent $d1 bytes, wan2 $d2"
jq -e -n "$agg >= 1.8 * $base" >/dev/null || fail "one MPTCP connection reached ${ratio}× one ISP (goal ≥ 1.8×)"
for d in "$d1" "$d2"; do
  jq -e -n "$d >= 0.3 * ($d1 + $d2)" >/dev/null || fail "a link carried under 30 % of the MPTCP transfer: wan1 $d1, wan2 $d2"
done

# survive NAME BREAK REPAIR — an MPTCP transfer of 16 s; BREAK runs after 4 s, REPAIR once wan1 is down and
# 4 s have passed; then the connection must have gone on and used wan1 again.
survive() {
  local name=$1 break_cmd=$2 repair_cmd=$3 low w1
  mptcp_transfer "$name" 16
  sleep 4 # a fixed point inside the transfer, not a wait for a condition
  $break_cmd
  wait_for --deadline 5 --what "wan1 down" health_is router wan1 down
  wait_for --deadline 5 --what "wan1's endpoint removed" endpoints_are "$A2"
  sleep 3 # the transfer runs on isp2 alone for a while
  $repair_cmd
  wait_for --deadline 10 --what "wan1 up again" health_is router wan1 up
  wait_for --deadline 5 --what "wan1's endpoint back" endpoints_are "$A1 $A2"
  w1=$(tx_bytes wan1)
  finished "$name"
  w1=$(($(tx_bytes wan1) - w1))
  # The longest run of seconds below a quarter of one ISP's rate: the stall the failure cost the connection
  # (iperf3's figures are the sender's writes, so a stall shows as a second with little or nothing).
  low=$(per_second "$name" | tail -n +3 |
    awk -v q="$((base / 4))" '{ if ($1 < q) { run++; if (run > max) max = run } else run = 0 } END { print max + 0 }')
  log "$name: per second $(per_second "$name" | paste -sd' '); seconds in a row under a quarter of one ISP:" \
    "$low; wan1 sent $w1 bytes after its endpoint came back"
  [ "$low" -le 1 ] || fail "$name: the transfer stalled for $low seconds in a row (under a quarter of one ISP's rate)"
  [ "$w1" -ge $((base / 2)) ] || fail "$name: wan1 sent only $w1 bytes after its endpoint came back"
}

log "2. isp1 goes silent in the middle of a transfer"
survive silent "blackhole_upstream 1" "restore_upstream 1"

log "3. wan1 loses its carrier in the middle of a transfer"
survive carrier "link_down isp1 rtr" "link_up isp1 rtr"

pass
