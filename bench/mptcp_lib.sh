# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The measurements of bench/mptcp.sh: topology, uplinkd's config, the throughput runs, the stall runs, and the
# sender and receiver the stall runs use. Sourced after the integration-test harness
# (tests/integration/lib/uplinkd_test.sh and lib/failover.sh), whose helpers (static_uplink, shape_link,
# spawn, wait_for, status_json, health_is, …) and cleanup trap it relies on, and after bench/modes_lib.sh
# (bm_stats, bm_ratio).

MB_RATE=10mbit
MB_IPERF_PORT=5201
MB_CONFIG=$H_TMP/uplinkd.toml
MB_UPLINKS=0 # how many uplinks the running uplinkd has (0: none runs)
# One line per throughput run and per stall run (columns: mb_throughput_run, mb_stall_run).
MB_THROUGHPUT=$H_TMP/throughput.tsv
MB_STALLS=$H_TMP/stalls.tsv
: >"$MB_THROUGHPUT"
: >"$MB_STALLS"
MB_SEQ=0

mb_now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }
mb_address() { echo "100.64.$1.10"; } # mb_address N — the router's address on wanN (static_uplink)

# mb_topology — isp1..3 without DHCP (static_uplink: the router's wanN is 100.64.N.10/24, the ISP masquerades
# to inet), every ISP link shaped to 10 Mbit/s in both directions (tbf, as tests/integration/mptcp_test.sh),
# the internet host's MPTCP limits raised, the sender and receiver of the stall runs written, and an iperf3
# server (MPTCP, under mptcpize) started in inet.
mb_topology() {
  local n
  for n in 1 2 3; do
    static_uplink "$n"
    shape_link router "wan$n" "$MB_RATE"
    shape_link "isp$n" rtr "$MB_RATE"
  done
  # The server accepts up to 8 subflows per connection; the kernel's default (2 joins) would just do for 3
  # uplinks, and the server's limit is not what is measured. The router's limits are uplinkd's job.
  in_ns inet ip mptcp limits set subflows 8 add_addr_accepted 8
  mb_write_tools
  # -J: the server's report reaches the client as JSON (server_output_json) only when the server writes JSON.
  spawn "iperf3 server (MPTCP)" "$H_TMP/iperf3-server.log" in_ns inet mptcpize run iperf3 -s -J -p "$MB_IPERF_PORT"
  wait_for --deadline 5 --what "iperf3 server on inet:$MB_IPERF_PORT" _h_listening inet "$MB_IPERF_PORT"
}

# mb_use_uplinks N — uplinkd in the router with wan1..wanN (restarted if it ran with another number): flow mode
# (the default), `mptcp = true`, weight 1 each, the ISP's gateway, one health target (the internet host, as
# mptcp_test.sh) with the default (adaptive) timing and `hold_down = 0` (the stall runs fail wan1 again and
# again, and damping would keep it down longer each time; it only decides when an uplink returns). Uplinks
# beyond N have their interface set down, so nothing leaves by them. Waits until every uplink is up and has its
# MPTCP endpoint.
mb_use_uplinks() {
  local want=$1 n
  ((MB_UPLINKS == want)) && return 0
  ((MB_UPLINKS == 0)) || stop_uplinkd router
  write_config "$MB_CONFIG" "mptcp = true"
  for n in 1 2 3; do
    if ((n <= want)); then
      ip -n "$(ns router)" link set "wan$n" up
      add_uplink "$MB_CONFIG" "$n" 1 "gateway = \"$(isp_gw "$n")\"" "[uplink.health]" "targets = [\"$INET_ADDR\"]" \
        "hold_down = 0"
    else
      ip -n "$(ns router)" link set "wan$n" down
    fi
  done
  start_uplinkd router "$MB_CONFIG"
  MB_UPLINKS=$want
  wait_for --deadline 30 --what "wan1..wan$want up" healths_are router "$(mb_all_up "$want")"
  wait_for --deadline 10 --what "uplinkd's MPTCP endpoints for wan1..wan$want" mb_endpoints_are "$(mb_addresses "$want")"
  log "uplinkd with $want uplinks: endpoints $(in_ns router ip mptcp endpoint show | paste -sd';'), limits $(in_ns router ip mptcp limits show | paste -sd' ')"
}

mb_all_up() { local n out=""; for ((n = 1; n <= $1; n++)); do out+="wan$n=up "; done; echo "${out% }"; }
mb_addresses() { local n out=""; for ((n = 1; n <= $1; n++)); do out+="$(mb_address "$n") "; done; echo "${out% }"; }

# mb_endpoints_are LIST — the router's MPTCP endpoints are exactly these addresses (sorted, spaces).
mb_endpoints_are() {
  local now
  now=$(ip -n "$(ns router)" mptcp endpoint show | awk '{ print $1 }' | sort | paste -sd' ')
  echo "endpoints: $now"
  [[ $now == "$1" ]]
}

mb_tx_bytes() { ip -n "$(ns router)" -s -j link show dev "$1" | jq -r '.[0].stats64.tx.bytes'; }

# ---------------------------------------------------------------------------------------------------------
# Throughput

# mb_iperf NAME KIND [IPERF3 ARGS...] — one iperf3 transfer of $SECS s from the router to the internet host,
# KIND mptcp (under `mptcpize run`) or tcp; CUBIC chosen per socket (-C, as bench/aggregation.sh: a namespace
# starts with the machine's default, BBR here); the server's report comes back in the JSON (--get-server-output).
# JSON in $H_TMP/NAME.json. Fails the run if iperf3 fails.
mb_iperf() {
  local name=$1 kind=$2 wrap=()
  shift 2
  [[ $kind == mptcp ]] && wrap=(mptcpize run)
  in_ns router timeout $((SECS + 30)) "${wrap[@]}" iperf3 -c "$INET_ADDR" -p "$MB_IPERF_PORT" -t "$SECS" -i 1 \
    -C cubic --get-server-output --json "$@" >"$H_TMP/$name.json" 2>&1 ||
    fail "iperf3 ($name) failed: $(jq -r '.error // empty' "$H_TMP/$name.json" 2>/dev/null) $(head -c 300 "$H_TMP/$name.json")"
}

# mb_steady NAME — bytes per second the receiver got over the steady part of transfer NAME: the server's
# intervals that start 2 s or later (slow start, and MPTCP's second subflow joining, are left out), their bytes
# over their seconds (the last interval is a fraction of a second: the end of the transfer).
mb_steady() {
  jq -r '[.server_output_json.intervals[].sum | select(.start >= 1.999)] | if length == 0 then 0
    else (map(.bytes) | add) / (map(.seconds) | add) | floor end' "$H_TMP/$1.json"
}

# mb_throughput_run N RUN — one run with N uplinks: one plain TCP connection bound to each uplink's address
# (its source rule keeps it on that ISP), one MPTCP connection, and one plain TCP connection as flow mode
# routes it (not bound: the hash picks one uplink). One line in $MB_THROUGHPUT: uplinks, run, per-ISP
# baselines (comma-separated, bytes/s), their sum, MPTCP, flow, the MPTCP transfer's bytes sent per uplink
# (tx counters, comma-separated: each carries a share only if the connection really is MPTCP), the uplink
# the flow-mode connection took.
mb_throughput_run() {
  local links=$1 run=$2 n base=() sum=0 before=() shares=() mptcp flow flow_by="" d best=0 tx
  for ((n = 1; n <= links; n++)); do
    mb_iperf "tcp$links-$run-isp$n" tcp -B "$(mb_address "$n")"
    base+=("$(mb_steady "tcp$links-$run-isp$n")")
    sum=$((sum + base[n - 1]))
  done
  for ((n = 1; n <= links; n++)); do before+=("$(mb_tx_bytes "wan$n")"); done
  mb_iperf "mptcp$links-$run" mptcp
  for ((n = 1; n <= links; n++)); do
    d=$(($(mb_tx_bytes "wan$n") - before[n - 1]))
    shares+=("$d")
  done
  mptcp=$(mb_steady "mptcp$links-$run")
  for ((n = 1; n <= links; n++)); do before[n - 1]=$(mb_tx_bytes "wan$n"); done
  mb_iperf "flow$links-$run" tcp
  for ((n = 1; n <= links; n++)); do
    d=$(($(mb_tx_bytes "wan$n") - before[n - 1]))
    ((d > best)) && best=$d flow_by=wan$n
  done
  flow=$(mb_steady "flow$links-$run")
  tx=$(printf '%s,' "${shares[@]}")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$links" "$run" "$(
    IFS=,
    echo "${base[*]}"
  )" "$sum" "$mptcp" "$flow" "${tx%,}" "$flow_by" >>"$MB_THROUGHPUT"
  log "$links uplinks, run $run: one ISP each $(printf '%s ' "${base[@]}" | awk '{ for (i = 1; i <= NF; i++) printf "%.2f ", $i * 8 / 1e6 }')Mbit/s," \
    "sum $(mb_mbit "$sum"); MPTCP $(mb_mbit "$mptcp") = $(bm_ratio "$mptcp" "$sum") % (bytes sent per uplink: ${tx%,});" \
    "flow mode $(mb_mbit "$flow") = $(bm_ratio "$flow" "$sum") % (by $flow_by)"
}

mb_mbit() { awk -v b="$1" 'BEGIN { printf "%.2f Mbit/s\n", b * 8 / 1e6 }'; }

# ---------------------------------------------------------------------------------------------------------
# The stall runs' sender and receiver

# mb_write_tools — write the receiver and the sender to $H_TMP. Plain TCP programs, as an unmodified program
# is: the runs make them MPTCP with `mptcpize run`, or leave them TCP for flow mode. Python, because the
# receiver must time every read of the connection (iperf3 reports 0.1 s intervals at best, and reads 128 KB
# at a time, 50 ms of the aggregate here), and because Debian has no tool that both reads a stream and
# timestamps each read.
mb_write_tools() {
  cat >"$H_TMP/stall_receiver.py" <<'PY'
# stall_receiver.py PORT ARRIVALS PROGRESS — accepts TCP connections on PORT (an MPTCP listener under
# mptcpize) and reads the first one until its end, noting the time (CLOCK_REALTIME, as the script's and
# uplinkd's timestamps) and size of every read: "TIME BYTES" lines into ARRIVALS once the connection has
# ended. Every 0.1 s PROGRESS holds "LAST_READ_TIME TOTAL_BYTES". Prints "ready" once it listens and a JSON
# report at the end: connections accepted (a reconnect would be a second), bytes, how the connection ended,
# and whether it was MPTCP (MPTCP_INFO readable and no fallback).
import json, os, select, socket, struct, sys, time
SOL_MPTCP, MPTCP_INFO, FALLBACK = 284, 1, 1
port, arrivals_path, progress_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(8)
print("ready", flush=True)
poller = select.poll()
poller.register(srv, select.POLLIN)
conns, main, arrivals, total, accepts, ended, kind = {}, None, [], 0, 0, None, "tcp"
buf = bytearray(262144)
last_progress = 0.0

def mptcp_kind(sock):
    try:
        info = sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)
    except OSError:
        return "tcp"
    flags = struct.unpack_from("I", info, 8)[0] if len(info) >= 12 else 0
    return "mptcp-fallback" if flags & FALLBACK else "mptcp"

while ended is None:
    for fd, _ in poller.poll(100):
        if fd == srv.fileno():
            c, _ = srv.accept()
            accepts += 1
            conns[c.fileno()] = c
            poller.register(c, select.POLLIN)
            if main is None:
                main = c
            continue
        c = conns[fd]
        try:
            n = c.recv_into(buf)
        except OSError as e:
            n, err = 0, str(e)
        else:
            err = None
        now = time.time()
        if c is main:
            if n:
                if not arrivals:
                    kind = mptcp_kind(c)
                arrivals.append((now, n))
                total += n
            else:
                ended = err or "eof"
        if not n:
            poller.unregister(c)
            del conns[fd]
            c.close()
    now = time.time()
    if now - last_progress >= 0.1:
        last_progress = now
        with open(progress_path + ".tmp", "w") as f:
            f.write("%.6f %d\n" % (arrivals[-1][0] if arrivals else 0, total))
        os.replace(progress_path + ".tmp", progress_path)
with open(arrivals_path, "w") as f:
    f.writelines("%.6f %d\n" % a for a in arrivals)
print(json.dumps({"accepts": accepts, "bytes": total, "end": ended, "kind": kind}), flush=True)
PY
  cat >"$H_TMP/stall_sender.py" <<'PY'
# stall_sender.py DST PORT [SOURCE] — one TCP connection to DST:PORT (from SOURCE if given), CUBIC, sending
# as fast as it may until SIGTERM; then it closes its side, waits for the receiver's close and exits 0. Any
# error of the connection ends it with status 1.
import signal, socket, sys
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
dst, port = sys.argv[1], int(sys.argv[2])
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
    if len(sys.argv) > 3:
        s.bind((sys.argv[3], 0))
    s.connect((dst, port))
    s.settimeout(0.1)
    block = bytes(65536)
    while not stop:
        try:
            s.send(block)
        except socket.timeout:
            pass
    s.settimeout(20)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
    print("done", flush=True)
except OSError as e:
    print("error: %s" % e, flush=True)
    sys.exit(1)
PY
}

# ---------------------------------------------------------------------------------------------------------
# Stall runs

# The stall runs' sender and receiver run with SCHED_FIFO priority 20 (chrt), as bench/failover.sh's stream:
# on this shared 2-CPU machine a reader not scheduled for 50–150 ms would show a gap that the network did not
# make. uplinkd runs at normal priority, as on a router.
MB_RT=(chrt -f 20)

# mb_inject KIND — make wan1 fail: silent (isp1 drops everything from the router, carrier up; nft under
# nsenter, which enters only the network namespace and so takes milliseconds, not ip netns exec's up to
# 200 ms of mount set-up) or carrier (isp1's end of the link goes down: wan1 loses its carrier).
mb_inject() {
  case $1 in
    silent)
      nsenter --net="/run/netns/$(ns isp1)" nft -f - <<'NFT'
table ip blackhole {
  chain forward {
    type filter hook forward priority 10; policy accept;
    iifname "rtr" drop
  }
}
NFT
      ;;
    carrier) link_down isp1 rtr ;;
  esac
}

mb_repair() {
  case $1 in
    silent) nsenter --net="/run/netns/$(ns isp1)" nft delete table ip blackhole ;;
    carrier) link_up isp1 rtr ;;
  esac
}

# mb_transition_ms TO AFTER_MS — when wan1's last health transition to TO happened (ms since the epoch), if not
# before AFTER_MS; empty otherwise.
mb_transition_ms() {
  local at ms
  at=$(status_json router | jq -r --arg to "$1" \
    '.uplinks[] | select(.name == "wan1") | [.health.transitions[] | select(.to == $to)] | last | .at // empty')
  [[ -n $at ]] || return 0
  ms=$(date -d "$at" +%s%3N)
  ((ms >= $2 - 1)) && echo "$ms"
  return 0
}

# mb_received_since MS FILE — the receiver (progress FILE) has read something after MS (ms since the epoch).
mb_received_since() {
  local last
  read -r last _ <"$2" 2>/dev/null || return 1
  awk -v l="$last" -v t="$1" 'BEGIN { exit !(l * 1000 > t) }'
}

# mb_received_more BYTES FILE — the receiver (progress FILE) has read more than BYTES in all.
mb_received_more() {
  local total
  read -r _ total <"$2" 2>/dev/null || return 1
  ((total > $1))
}

# mb_stop_sender PID — stop the sender with SIGTERM (it closes its side and waits for the receiver's close);
# SIGKILL after 30 s. Its exit status in MB_SENDER_RC (not printed: a $(…) subshell cannot wait for it).
mb_stop_sender() {
  MB_SENDER_RC=0
  kill -TERM "$1" 2>/dev/null || true
  if ! poll_until --deadline 30 _h_not_alive "$1"; then
    kill -KILL "$1" 2>/dev/null || true
    poll_until --deadline 5 _h_not_alive "$1" || true
  fi
  wait "$1" 2>/dev/null || MB_SENDER_RC=$?
}

# mb_gaps ARRIVALS T0_MS — the reads around the failure (T0_MS, ms since the epoch), from the receiver's log:
# "NOISE STALL START END LATER RATE", times in ms:
#   NOISE  the longest gap between two reads before the failure, from 1 s after the first read (slow start
#          left out): what the links and the machine do without a failure;
#   STALL  the longest gap between two reads that ends after the failure and starts before the failure window
#          ends (MB_WINDOW_MS after it: the detection bound with the default health settings is 1 s, and
#          uplinkd's reaction follows within milliseconds); START and END: its ends relative to the failure;
#   LATER  the longest gap that starts after that window (the connection on wan2 alone, the repair, and after);
#   RATE   what the receiver read in the failure window, in Mbit/s.
MB_WINDOW_MS=2000
mb_gaps() {
  awk -v t0="$2" -v w="$MB_WINDOW_MS" '{
      t = $1 * 1000
      if (t > t0 && t <= t0 + w) bytes += $2
      if (NR == 1) first = t
      else {
        g = t - prev
        if (t <= t0) { if (prev >= first + 1000 && g > noise) noise = g }
        else if (prev < t0 + w) { if (g > stall) { stall = g; s = prev - t0; e = t - t0 } }
        else if (g > later) later = g
      }
      prev = t
    } END { printf "%.1f %.1f %.1f %.1f %.1f %.2f\n", noise, stall, s, e, later, bytes * 8 / w / 1000 }' "$1"
}

# mb_cost ARRIVALS T0_MS T_REP_MS — what the failure cost the connection, in ms of transfer on the path that
# survived: how far the reads of the failure window (MB_WINDOW_MS after T0_MS) fall short of that window at
# the rate the connection reads from the window's end until the repair (T_REP_MS), i.e. on wan2 alone. "-"
# when it read under 1 Mbit/s then (a plain TCP connection on wan1 has no path until the repair: its cost is
# the stall). Unlike the longest gap, this counts the reads that only trickle while in-order data waits.
mb_cost() {
  awk -v t0="$2" -v tr="$3" -v w="$MB_WINDOW_MS" '{
      t = $1 * 1000 - t0
      if (t > 0 && t <= w) inside += $2
      else if (t > w && t <= tr - t0) { after += $2 }
    } END {
      rate = (tr - t0 > w) ? after / (tr - t0 - w) : 0          # bytes per ms
      if (rate * 8 < 1000) print "-"; else printf "%.0f\n", (rate * w - inside) / rate }' "$1"
}

# mb_paths PORT — the uplinks the router's connection to PORT has established TCP (sub)flows on, "wan1+wan2"
# ("none" when it has none): `ss` lists an MPTCP connection's subflows as TCP sockets, by local address
# (a joined subflow's as ADDRESS%DEV, bound to its endpoint's interface).
mb_paths() {
  local out
  out=$(ip netns exec "$(ns router)" ss -Htn state established "( dport = :$1 )" | awk '{ sub(/[%:].*/, "", $3); print $3 }' |
    sed -n 's/^100\.64\.\([0-9]*\)\.10$/wan\1/p' | sort | paste -sd+)
  echo "${out:-none}"
}

# mb_stall_run KIND MODE RUN — one connection from the router to the internet host over wan1 and wan2 (MODE
# mptcp: under mptcpize, a subflow on each; MODE flow: plain TCP bound to wan1's address, so the connection
# is on the uplink that fails, as half the connections of a flow-balanced router are). Schedule, every sleep a
# fixed part of it, not a wait for an event:
#   - 3 s of transfer once bytes flow (the before);
#   - wan1 fails (KIND), and stays failed for $OUTAGE s from the injection;
#   - the failure is repaired; once wan1 is up (and, for MPTCP, its endpoint back) and the receiver reads
#     again, a 3 s window in which wan1's tx counter says whether wan1 carries the connection again;
#   - the sender is stopped (SIGTERM: it closes cleanly) and the receiver reports.
# One line in $MB_STALLS: kind, mode, run, detection (ms after the injection), injection command (ms),
# mb_gaps's six figures (noise gap, stall, its start and end after the injection, later gap, Mbit/s read in
# the failure window), sender's exit status, connections accepted,
# how the receiver's connection ended, its kind (mptcp, mptcp-fallback, tcp), wan1's Mbit/s in the window,
# the uplinks the connection had (sub)flows on just before the failure / just before the repair / at the end,
# the failure's cost (mb_cost), and the times of the injection and of the repair (ms since the epoch).
mb_stall_run() {
  local kind=$1 mode=$2 run=$3 port wrap=() src=() rx progress sender receiver
  local t0 t1 t_rep down w1 report gaps cost paths
  MB_SEQ=$((MB_SEQ + 1))
  rx=$H_TMP/stall-$MB_SEQ-$kind-$mode
  port=$((6000 + MB_SEQ))
  progress=$rx.progress
  [[ $mode == mptcp ]] && wrap=(mptcpize run)
  [[ $mode == flow ]] && src=("$(mb_address 1)")
  wait_for --deadline 30 --what "wan1 and wan2 up before stall run $MB_SEQ" healths_are router "wan1=up wan2=up"
  wait_for --deadline 10 --what "both endpoints before stall run $MB_SEQ" mb_endpoints_are "$(mb_addresses 2)"

  H_QUIET=1 spawn "stall receiver" "$rx.log" in_ns inet "${MB_RT[@]}" "${wrap[@]}" python3 "$H_TMP/stall_receiver.py" \
    "$port" "$rx.arrivals" "$progress"
  receiver=$H_SPAWNED_PID
  wait_for --deadline 10 --what "stall receiver on inet:$port" grep -qx ready "$rx.log"
  H_QUIET=1 spawn "stall sender" "$rx.sender.log" in_ns router "${MB_RT[@]}" "${wrap[@]}" python3 "$H_TMP/stall_sender.py" \
    "$INET_ADDR" "$port" "${src[@]}"
  sender=$H_SPAWNED_PID
  wait_for --deadline 10 --what "the stall run's connection carrying data" mb_received_more 100000 "$progress"
  sleep 3 # the transfer before the failure: a fixed part of the run

  paths=$(mb_paths "$port")
  t0=$(mb_now_ms)
  mb_inject "$kind"
  t1=$(mb_now_ms)
  wait_for --deadline 10 --what "wan1 down after the $kind failure" health_is router wan1 down
  [[ $mode == flow ]] || wait_for --deadline 10 --what "wan1's endpoint removed" mb_endpoints_are "$(mb_address 2)"
  # The rest of the outage: a fixed length from the injection, so that every run and both modes see the same.
  sleep "$(awk -v ms=$((OUTAGE * 1000 - ($(mb_now_ms) - t0))) 'BEGIN { printf "%.3f\n", (ms > 0 ? ms : 0) / 1000 }')"
  paths+=" / $(mb_paths "$port")"
  mb_repair "$kind"
  t_rep=$(mb_now_ms)
  wait_for --deadline 20 --what "wan1 up again after the $kind failure" health_is router wan1 up
  [[ $mode == flow ]] || wait_for --deadline 10 --what "wan1's endpoint back" mb_endpoints_are "$(mb_addresses 2)"
  # A plain TCP connection resumes only at its next retransmission, which backs off during the outage.
  wait_for --deadline 60 --what "the receiver reading again after the repair" mb_received_since "$t_rep" "$progress"
  w1=$(mb_tx_bytes wan1)
  sleep 3 # the window in which wan1 must carry the connection again: a fixed measuring time
  w1=$(($(mb_tx_bytes wan1) - w1))
  paths+=" / $(mb_paths "$port")"

  mb_stop_sender "$sender"
  wait_for --deadline 20 --what "the stall receiver's report" grep -q '^{' "$rx.log"
  stop_pid "$receiver"
  report=$(grep '^{' "$rx.log" | tail -n1)
  down=$(mb_transition_ms down "$t0")
  gaps=$(mb_gaps "$rx.arrivals" "$t0")
  cost=$(mb_cost "$rx.arrivals" "$t0" "$t_rep")
  end=$(jq -r '.end' <<<"$report")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$mode" "$run" "${down:+$((down - t0))}" \
    "$((t1 - t0))" "${gaps// /$'\t'}" "$MB_SENDER_RC" "$(jq -r '.accepts' <<<"$report")" "$end" "$(jq -r '.kind' <<<"$report")" \
    "$(awk -v b="$w1" 'BEGIN { printf "%.2f\n", b * 8 / 3e6 }')" "$paths" "$cost" "$t0" "$t_rep" >>"$MB_STALLS"
  log "stall run $MB_SEQ ($kind, $mode, run $run): $(tail -n1 "$MB_STALLS" | awk -F'\t' '{
      printf "detection %s ms; longest gap before the failure %s ms; stall %s ms (from %s to %s ms after the failure), later gaps up to %s ms, %s Mbit/s read in the 2 s after the failure, cost %s ms; sender exit %s, %s connection(s) accepted, ended: %s, %s; wan1 afterwards %s Mbit/s; (sub)flows on before / during / after %s",
        $4, $6, $7, $8, $9, $10, $11, $18, $12, $13, $14, $15, $16, $17 }')"
}
