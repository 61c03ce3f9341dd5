# shellcheck shell=bash
# The measurements of bench/failover.sh: topology, health profiles, one failover run, probe counting and the
# report. Sourced after the integration-test harness (tests/integration/lib/uplinkd_test.sh), whose helpers
# (make_isp, spawn, wait_for, status_json, …) and cleanup trap it relies on.

TARGETS=("$INET_ADDR" 198.51.100.2 198.51.100.3)
RESULTS=$H_TMP/failover-results.tsv
PROBES=$H_TMP/failover-probes.tsv
: >"$RESULTS"
: >"$PROBES"
CURRENT_PROFILE=
declare -A PROBES_MEASURED=()

now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }

# profile_lines PROFILE — the [uplink.health] keys of a profile besides the targets.
# hold_down = 0 in both: the benchmark fails the same uplink every other run, a flap by the rule, and damping
# would hold it down for 10, 20, 40 … s before it may return. Damping changes only when an uplink comes back,
# none of the figures measured here, so it is off to keep runs short and alike.
profile_lines() {
  echo "hold_down = 0"
  case $1 in
    default) ;;
    # Detection 0.35–0.45 s (2 × 0.1 + 0.15 … 3 × 0.1 + 0.15) for links whose RTT to the targets stays well
    # under 150 ms (fibre, cable, DSL); 10 probes/s per target, i.e. 3.5 kbit/s per target and direction for
    # a 44-byte echo. up_after and down_after stay 3 and 5 (docs/benchmarks.md: why this profile).
    fast) printf '%s\n' "interval = 0.1" "timeout = 0.15" ;;
    *) fail "unknown profile $1" ;;
  esac
}

write_bench_config() { # write_bench_config PROFILE
  local targets n lines=()
  targets=$(printf '"%s", ' "${TARGETS[@]}")
  mapfile -t lines < <(profile_lines "$1")
  write_config "$CONFIG" 'multipath_hash_policy = "l4"'
  for n in 1 2; do
    add_uplink "$CONFIG" "$n" 1 "masquerade = true" "[uplink.health]" "targets = [${targets%, }]" "${lines[@]}"
  done
}

# uplink_ready N — wanN is in the group, with its health up (a recovery counts as done only then).
uplink_ready() {
  status_json router | jq -e --arg u "wan$1" \
    '.uplinks[] | select(.name == $u) | .state == "active" and .in_group and .health.state == "up"' >/dev/null
}

# uplink_down N — wanN has been taken out: its state is down and it left the group.
uplink_down() {
  status_json router | jq -e --arg u "wan$1" \
    '.uplinks[] | select(.name == $u) | .state == "down" and (.in_group | not)' >/dev/null
}

both_ready() { uplink_ready 1 && uplink_ready 2; }

setup_topology() {
  local n k
  make_isp 1
  make_isp 2
  make_lan
  for k in 1 2; do ip -n "$(ns inet)" addr add "${TARGETS[$k]}/32" dev lo; done
  # Probe counters in each ISP's forward path: echo requests from the router to each target, echo replies
  # back. Priority -20 runs before the harness's anti-spoofing chain and the silent-upstream drop.
  for n in 1 2; do
    {
      echo "table ip probes {"
      for k in 0 1 2; do echo "  counter req$k { }"$'\n'"  counter rep$k { }"; done
      echo "  chain forward {"
      echo "    type filter hook forward priority -20; policy accept;"
      for k in 0 1 2; do
        echo "    iifname \"rtr\" ip daddr ${TARGETS[$k]} icmp type echo-request counter name \"req$k\""
        echo "    oifname \"rtr\" ip saddr ${TARGETS[$k]} icmp type echo-reply counter name \"rep$k\""
      done
      echo "  }"
      echo "}"
    } | in_ns "isp$n" nft -f - || fail "probe counters in isp$n"
  done
  CONFIG=$H_TMP/uplinkd.toml
  start_dhcpcd router wan1
  start_dhcpcd router wan2
  wait_for_address router wan1 100.64.1.
  wait_for_address router wan2 100.64.2.
}

# use_profile PROFILE — (re)start uplinkd with the profile's health settings, wait until both uplinks are up,
# and count the probes of this profile once. A restart rather than a reload: every profile starts from a
# monitor without history.
use_profile() {
  [[ $CURRENT_PROFILE == "$1" ]] && return 0
  [[ -n $CURRENT_PROFILE ]] && stop_uplinkd router
  write_bench_config "$1"
  start_uplinkd router "$CONFIG"
  CURRENT_PROFILE=$1
  wait_for --deadline 30 --what "wan1 and wan2 up and in the group ($1 profile)" both_ready
  [[ -n ${PROBES_MEASURED[$1]:-} ]] || measure_probes "$1"
}

# measure_probes PROFILE — count wan1's probes in isp1 for PROBE_SECONDS with no other traffic. The window is
# a fixed measuring time, not a wait for something to happen. Its ends are the midpoints of the reset and of
# the read (nsenter: no mount namespace to set up, so both take milliseconds, not a loaded machine's 100s).
measure_probes() {
  local profile=$1 a b t0 t1 counters k nsenter_isp1
  nsenter_isp1=(nsenter --net="/run/netns/$(ns isp1)")
  log "counting wan1's probes for ${PROBE_SECONDS} s ($profile profile)"
  a=$(now_ms)
  "${nsenter_isp1[@]}" nft reset counters table ip probes >/dev/null
  b=$(now_ms)
  t0=$(((a + b) / 2))
  sleep "$PROBE_SECONDS"
  a=$(now_ms)
  counters=$("${nsenter_isp1[@]}" nft -j list counters table ip probes)
  b=$(now_ms)
  t1=$(((a + b) / 2))
  for k in 0 1 2; do
    jq -r --arg p "$profile" --arg t "${TARGETS[$k]}" --arg k "$k" --argjson ms $((t1 - t0)) '
      [.nftables[] | select(.counter) | .counter] as $c
      | ($c[] | select(.name == "req" + $k)) as $q | ($c[] | select(.name == "rep" + $k)) as $r
      | [$p, $t, $ms, $q.packets, $q.bytes, $r.packets, $r.bytes] | @tsv' <<<"$counters" >>"$PROBES"
  done
  PROBES_MEASURED[$profile]=1
}

# stream_flowing BASE — the ISPs have forwarded at least 200 ms worth of the stream since BASE was read.
stream_flowing() { (($(isp_counter 1 up) + $(isp_counter 2 up) - $1 >= FLOWS * 200)); }

receiver_ready() { grep -q '^ready' "$1"; }

report_of() { grep '^{' "$1" | tail -n1; } # the receiver's JSON line

# The stream's sender and receiver run with a real-time priority (--rt-priority, 0 for none): on a loaded
# machine a sender that is not scheduled for 100 ms sends its backlog in a burst afterwards, and every flow,
# failed or not, shows a 100 ms gap without losing a packet. uplinkd itself runs as it would on a router.
stream_cmd() {
  if ((RT_PRIORITY > 0)); then echo chrt -f "$RT_PRIORITY" "$UDP_STREAM"; else echo "$UDP_STREAM"; fi
}

# start_receiver LOGFILE PORT — udp_stream recv in inet; its pid in RECEIVER_PID once it listens.
start_receiver() {
  # shellcheck disable=SC2046 # stream_cmd is words on purpose
  H_QUIET=1 spawn "udp_stream recv" "$1" in_ns inet $(stream_cmd) recv "$2" --seconds 3600
  RECEIVER_PID=$H_SPAWNED_PID
  wait_for --deadline 10 --what "udp_stream receiver on inet:$2" receiver_ready "$1"
}

# inject KIND N — make wanN fail. The silent upstream's nft runs under nsenter, which only enters the network
# namespace (ip netns exec also sets up a mount namespace: up to 200 ms on a loaded machine, which would blur
# the moment of the failure).
inject() {
  case $1 in
    silent)
      nsenter --net="/run/netns/$(ns "isp$2")" nft -f - <<'NFT'
table ip blackhole {
  chain forward {
    type filter hook forward priority 10; policy accept;
    iifname "rtr" drop
  }
}
NFT
      ;;
    carrier) link_down "isp$2" rtr ;;
  esac
}

repair() { # repair KIND N
  case $1 in
    silent) nsenter --net="/run/netns/$(ns "isp$2")" nft delete table ip blackhole ;;
    carrier) link_up "isp$2" rtr ;;
  esac
}

# transition_ms N TO AFTER_MS — the time (ms since the epoch) of wanN's last health transition to TO, if it
# is not earlier than AFTER_MS; empty otherwise.
transition_ms() {
  local at ms
  at=$(status_json router | jq -r --arg u "wan$1" --arg to "$2" \
    '.uplinks[] | select(.name == $u) | [.health.transitions[] | select(.to == $to)] | last | .at // empty')
  [[ -n $at ]] || return 0
  ms=$(date -d "$at" +%s%3N)
  ((ms >= $3 - 1)) && echo "$ms"
  return 0
}

# converge_ms FROM_LINE N — how long uplinkd's converge after wanN went down took (ms), from its log after
# line FROM_LINE: the first "… kernel changes in T us" after "uplink wanN: down".
converge_ms() {
  awk -v from="$1" -v u="uplink wan$2: down" 'NR > from && index($0, u) { seen = 1 }
    seen && match($0, /kernel changes in [0-9]+ us/) {
      printf "%.1f\n", substr($0, RSTART + 18, RLENGTH - 21) / 1000; exit }' "$(uplinkd_log router)"
}

# failover_run KIND PROFILE RUN — one run: the stream through both uplinks, wanN fails (N alternates), the
# stream is measured until it has moved; a second receiver then measures while wanN comes back. One line of
# $RESULTS per run (columns in failover_report.sh).
failover_run() {
  local kind=$1 profile=$2 run=$3 dead surv port first rx1 rx2 base phase t0 t1 t_rec sender r1 r2 down up
  local logline failure recovery moved survivors converge
  SEQ=$((SEQ + 1))
  dead=$((run % 2 ? 1 : 2)) surv=$((run % 2 ? 2 : 1))
  port=$((5000 + SEQ)) first=$((20000 + SEQ * 64)) # new 5-tuples every run: no conntrack entry carries over
  rx1=$H_TMP/rx-$SEQ-failure.log rx2=$H_TMP/rx-$SEQ-recovery.log
  wait_for --deadline 30 --what "wan1 and wan2 up before run $SEQ" both_ready
  logline=$(wc -l <"$(uplinkd_log router)")

  start_receiver "$rx1" "$port"
  base=$(($(isp_counter 1 up) + $(isp_counter 2 up)))
  # shellcheck disable=SC2046 # stream_cmd is words on purpose
  H_QUIET=1 spawn "udp_stream send" "$H_TMP/tx-$SEQ.log" in_ns lan $(stream_cmd) send "$INET_ADDR" "$port" \
    --flows "$FLOWS" --seconds 3600 --first-port "$first"
  sender=$H_SPAWNED_PID
  wait_for --deadline 10 --what "the stream through the ISPs" stream_flowing "$base"
  # A random phase against the probe schedule (longer than the default interval, 0.36 s): the sleep sets
  # when the failure happens, it does not wait for anything.
  phase=$((RANDOM % 1000))
  sleep "$(printf '0.%03d' "$phase")"
  t0=$(now_ms)
  inject "$kind" "$dead"
  t1=$(now_ms)
  wait_for --deadline 15 --what "wan$dead taken out after $kind failure" uplink_down "$dead"
  # Half a second of the stream on its new path before this receiver stops: a fixed observation period,
  # in which the surviving flows must not lose anything either.
  sleep 0.5
  stop_pid "$RECEIVER_PID"
  r1=$(report_of "$rx1")
  [[ -n $r1 ]] || fail "no report from the receiver (run $SEQ): $(tail -n 5 "$rx1")"
  down=$(transition_ms "$dead" down "$t0")
  converge=$(converge_ms "$logline" "$dead")

  start_receiver "$rx2" "$port"
  repair "$kind" "$dead"
  t_rec=$(now_ms) # after the command: starting a process may take 100 ms and more on a loaded machine
  wait_for --deadline 30 --what "wan$dead back in the group after the $kind failure ended" uplink_ready "$dead"
  # One second more with wan$dead back in the group (fixed observation period): no flow may move back or
  # lose packets; their connections are pinned to the uplink whose address they were masqueraded to.
  sleep 1
  stop_pid "$sender"
  stop_pid "$RECEIVER_PID"
  r2=$(report_of "$rx2")
  [[ -n $r2 ]] || fail "no report from the recovery receiver (run $SEQ): $(tail -n 5 "$rx2")"
  up=$(transition_ms "$dead" up "$t_rec")

  # The flows that were on the failed uplink (moved) and on the other one (surviving), during the failure.
  failure=$(jq -r --arg d "198.18.$dead.2" --arg s "198.18.$surv.2" '
    .flows as $f
    | ($f | map(select(.paths[0].from == $d))) as $m
    | ($f | map(select(.paths[0].from == $s))) as $v
    | [($m | length), ($m | map(.max_gap_ms) | max // 0), ($m | map(.lost) | max // 0),
       ($m | map(select((.paths | length) != 2 or .paths[1].from != $s)) | length),
       ($v | length), ($v | map(.lost) | add // 0), ($v | map(.max_gap_ms) | max // 0),
       ($v | map(select((.paths | length) != 1)) | length), ($f | length)] | @tsv' <<<"$r1")
  # All flows while the uplink comes back.
  recovery=$(jq -r --arg d "198.18.$dead.2" '
    .flows as $f
    | [($f | length), ($f | map(.lost) | add // 0),
       ($f | map(select((.paths | length) != 1 or .paths[0].from == $d)) | length),
       ($f | map(.max_gap_ms) | max // 0)] | @tsv' <<<"$r2")
  read -r moved _ _ _ survivors _ <<<"$failure"
  ((moved > 0 && survivors > 0)) ||
    fail "run $SEQ: all $FLOWS flows hashed onto one uplink (moved $moved, surviving $survivors); use more --flows"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$profile" "$SEQ" "$dead" "$phase" \
    "${down:+$((down - t0))}" "${up:+$((up - t_rec))}" "$failure" "$recovery" "$((t1 - t0))" "$converge" \
    >>"$RESULTS"
  log "run $SEQ ($kind, $profile, wan$dead fails, phase $phase ms): $(awk -F'\t' '{
    printf "%s moved flows lost up to %s packets (longest gap %.1f ms); surviving flows lost %s (longest gap %.1f ms); verdict %s ms after the start of the injection (which took %s ms), converge %s ms; recovery: verdict %s ms after the repair, %s lost, %s moved, longest gap %.1f ms",
      $8, $10, $9, $13, $14, $6, $21, $22, $7, $18, $19, $20 }' <<<"$(tail -n1 "$RESULTS")")"
}
