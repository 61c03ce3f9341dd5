# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The measurements of bench/failover.sh: topology, health profiles, one failover run, probe counting and the
# report. Sourced after the integration-test harness (tests/integration/lib/uplinkd_test.sh), whose helpers
# (make_isp, spawn, wait_for, status_json, …) and cleanup trap it relies on.

TARGETS=("$INET_ADDR" 198.51.100.2 198.51.100.3)
TARGETS6=("$INET6_ADDR" 2001:db8:ffff::2 2001:db8:ffff::3)
LAN6_ADDR=fd00:77::10 # a ULA LAN behind uplinkd's NAT66 (see setup_ipv6)
LAN6_GW=fd00:77::1
# One line per run and family, same columns (failover_report.sh); IPv4's stream and IPv6's run side by side.
RESULTS=$H_TMP/failover-results.tsv
RESULTS6=$H_TMP/failover-results6.tsv
PROBES=$H_TMP/failover-probes.tsv
: >"$RESULTS"
: >"$RESULTS6"
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
    # Adaptive timing (the default) with a round every 0.1 s and a 50 ms floor: detection within
    # 0.1 + 4 × 0.05 = 0.3 s on links whose RTT stays under 50 ms (fibre, cable, DSL); 10 probes/s per target,
    # i.e. 3.5 kbit/s per target and direction for a 44-byte echo (docs/benchmarks.md: why this profile).
    fast) printf '%s\n' "interval = 0.1" "timeout = 0.15" "min_timeout = 0.05" ;;
    # uplinkd 0.1's timing, for the before/after comparison: 1.12–1.48 s, and 0.35–0.45 s fast.
    fixed) echo 'timing = "fixed"' ;;
    fast-fixed) printf '%s\n' "interval = 0.1" "timeout = 0.15" 'timing = "fixed"' ;;
    *) fail "unknown profile $1" ;;
  esac
}

write_bench_config() { # write_bench_config PROFILE
  local targets n lines=()
  targets=$(printf '"%s", ' "${TARGETS[@]}" "${TARGETS6[@]}")
  mapfile -t lines < <(profile_lines "$1")
  write_config "$CONFIG" 'multipath_hash_policy = "l4"'
  for n in 1 2; do
    add_uplink "$CONFIG" "$n" 1 "masquerade = true" "[uplink.health]" "targets = [${targets%, }]" "${lines[@]}"
  done
}

# uplink_ready N — wanN is in both families' groups, with their health up (a recovery counts as done only
# then).
uplink_ready() {
  status_json router | jq -e --arg u "wan$1" '.uplinks[] | select(.name == $u)
    | [., .ipv6] | all(.state == "active" and .in_group and .health.state == "up")' >/dev/null
}

# side FAMILY — the jq path of one family's side of an uplink in `status --json`.
side() { if (($1 == 4)); then echo .; else echo .ipv6; fi; }

# uplink_down N FAMILY... — wanN has been taken out of each FAMILY (4, 6): its state is down and it left that
# family's group.
uplink_down() {
  local n=$1 f filter=
  shift
  for f in "$@"; do filter+="${filter:+ and }($(side "$f") | .state == \"down\" and (.in_group | not))"; done
  status_json router | jq -e --arg u "wan$n" ".uplinks[] | select(.name == \$u) | $filter" >/dev/null
}

both_ready() { uplink_ready 1 && uplink_ready 2; }

setup_topology() {
  local n k
  make_isp 1
  make_isp 2
  make_lan
  for k in 1 2; do ip -n "$(ns inet)" addr add "${TARGETS[$k]}/32" dev lo; done
  setup_ipv6
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
  wait_for --deadline 15 --what "wan1's SLAAC address" has_slaac router wan1 1
  wait_for --deadline 15 --what "wan2's SLAAC address" has_slaac router wan2 2
}

# setup_ipv6 — the IPv6 side (tests/integration/lib/ipv6.sh): each ISP announces its /64 by RA, the router
# takes a SLAAC address on each wan and forwards a ULA LAN, which uplinkd's `masquerade = true` translates
# (NAT66; its pin chain keeps a flow on the uplink whose prefix it was masqueraded into, and a dead uplink's
# IPv6 entries are swept, so a moved flow is masqueraded again on its new uplink). The ISPs do not NAT IPv6:
# the source inet sees is the router's address in 2001:db8:N::/64, which names the uplink a flow took.
setup_ipv6() {
  local n k
  make_isp6 1
  make_isp6 2
  # A carrier loss is the ISP's end going down; IPv6 flushes an interface's addresses when it goes down
  # (keep_addr_on_down = 0), so the ISP would come back without 2001:db8:N::1 and never route the prefix
  # again. A real ISP keeps its addresses over a link blip (fe80::1: see repair).
  for n in 1 2; do sysctl_ns "isp$n" net.ipv6.conf.rtr.keep_addr_on_down=1; done
  for k in 1 2; do ip -n "$(ns inet)" addr add "${TARGETS6[$k]}/128" dev lo nodad; done
  # A forwarding router ignores RAs unless accept_ra = 2; set before forwarding, which purges RA routes of
  # interfaces without it.
  sysctl_ns router net.ipv6.conf.wan1.accept_ra=2
  sysctl_ns router net.ipv6.conf.wan2.accept_ra=2
  sysctl_ns router net.ipv6.conf.all.forwarding=1
  ip -n "$(ns router)" addr add "$LAN6_GW/64" dev lan0 nodad
  ip -n "$(ns lan)" addr add "$LAN6_ADDR/64" dev eth0 nodad
  ip -n "$(ns lan)" -6 route add default via "$LAN6_GW"
  # The IPv6 stream forwarded upstream, per ISP (the probes are ICMPv6, the stream UDP).
  for n in 1 2; do
    in_ns "isp$n" nft -f - <<EOF6 || fail "IPv6 stream counter in isp$n"
table ip6 bench6 {
  counter up { }
  chain forward {
    type filter hook forward priority -20; policy accept;
    iifname "rtr" oifname "inet" meta l4proto udp counter name "up"
  }
}
EOF6
  done
}

isp6_stream_counter() { in_ns "isp$1" nft list counter ip6 bench6 up | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

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

# stream_flowing BASE BASE6 — the ISPs have forwarded at least 200 ms worth of each family's stream since the
# bases were read.
stream_flowing() {
  (($(isp_counter 1 up) + $(isp_counter 2 up) - $1 >= FLOWS * 200)) &&
    (($(isp6_stream_counter 1) + $(isp6_stream_counter 2) - $2 >= FLOWS * 200))
}

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

# inject KIND N — make wanN fail: silent (its IPv4 upstream drops everything, IPv6 works), silent6 (the
# reverse) or carrier. The silent upstream's nft runs under nsenter, which only enters the network namespace
# (ip netns exec also sets up a mount namespace: up to 200 ms on a loaded machine, which would blur the moment
# of the failure).
inject() {
  case $1 in
    silent | silent6)
      nsenter --net="/run/netns/$(ns "isp$2")" nft -f - <<NFT
table $(blackhole_family "$1") blackhole {
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

blackhole_family() { if [[ $1 == silent6 ]]; then echo ip6; else echo ip; fi; }

# failed_families KIND — the families a failure of KIND takes out.
failed_families() {
  case $1 in
    silent) echo 4 ;;
    silent6) echo 6 ;;
    carrier) echo 4 6 ;;
  esac
}

repair() { # repair KIND N
  case $1 in
    silent | silent6) nsenter --net="/run/netns/$(ns "isp$2")" nft delete table "$(blackhole_family "$1")" blackhole ;;
    carrier)
      link_up "isp$2" rtr
      # The kernel drops link-local addresses on down even with keep_addr_on_down, and the router's
      # default route names fe80::1: give it back, as a real router's link-local returns with its link.
      ip -n "$(ns "isp$2")" addr replace fe80::1/64 dev rtr nodad
      ;;
  esac
}

# transition_ms N TO AFTER_MS FAMILY — the time (ms since the epoch) of wanN's last health transition of
# FAMILY to TO, if it is not earlier than AFTER_MS; empty otherwise.
transition_ms() {
  local at ms
  at=$(status_json router | jq -r --arg u "wan$1" --arg to "$2" \
    ".uplinks[] | select(.name == \$u) | $(side "$4") | [.health.transitions[] | select(.to == \$to)] | last | .at // empty")
  [[ -n $at ]] || return 0
  ms=$(date -d "$at" +%s%3N)
  ((ms >= $3 - 1)) && echo "$ms"
  return 0
}

# converge_ms FROM_LINE N FAMILY — how long uplinkd's converge after wanN went down took (ms), from its log
# after line FROM_LINE: the first "… kernel changes in T us" after "uplink wanN: down" ("wanN ipv6: down").
converge_ms() {
  local u="uplink wan$2: down"
  (($3 == 6)) && u="uplink wan$2 ipv6: down"
  awk -v from="$1" -v u="$u" 'NR > from && index($0, u) { seen = 1 }
    seen && match($0, /kernel changes in [0-9]+ us/) {
      printf "%.1f\n", substr($0, RSTART + 18, RLENGTH - 21) / 1000; exit }' "$(uplinkd_log router)"
}

# path_of FAMILY N — how the receiver names the path through ispN: IPv4 arrives masqueraded by the ISP to
# 198.18.N.2, IPv6 from the router's own address in 2001:db8:N::/64 (a prefix: jq's startswith).
path_of() { if (($1 == 4)); then echo "198.18.$2.2"; else echo "2001:db8:$2:"; fi; }

# start_receivers SEQ PHASE_NAME — a receiver per family in inet (ports 5000+SEQ and 6000+SEQ), into
# RECEIVERS[4] and RECEIVERS[6], logs rx-SEQ-PHASE_NAME-F.log.
declare -A RECEIVERS=()
start_receivers() {
  local f
  for f in 4 6; do
    start_receiver "$H_TMP/rx-$1-$2-$f.log" "$(stream_port "$f" "$1")"
    RECEIVERS[$f]=$RECEIVER_PID
  done
}
stream_port() { echo $(((${1} == 4 ? 5000 : 6000) + $2)); }

# failure_figures FAMILY DEAD SURV REPORT — the tab-separated columns 8-16 of $RESULTS for one family's
# receiver report: the flows that were on the failed uplink (moved, or merely hit if the failure left their
# family alone) and those on the other one (surviving).
failure_figures() {
  jq -r --arg d "$(path_of "$1" "$2")" --arg s "$(path_of "$1" "$3")" '
    .flows as $f
    | ($f | map(select(.paths[0].from | startswith($d)))) as $m
    | ($f | map(select(.paths[0].from | startswith($s)))) as $v
    | [($m | length), ($m | map(.max_gap_ms) | max // 0), ($m | map(.lost) | max // 0),
       ($m | map(select((.paths | length) != 2 or (.paths[1].from | startswith($s) | not))) | length),
       ($v | length), ($v | map(.lost) | add // 0), ($v | map(.max_gap_ms) | max // 0),
       ($v | map(select((.paths | length) != 1)) | length), ($f | length)] | @tsv' <<<"$4"
}

# recovery_figures FAMILY DEAD REPORT — columns 17-20: all flows while the uplink comes back.
recovery_figures() {
  jq -r --arg d "$(path_of "$1" "$2")" '
    .flows as $f
    | [($f | length), ($f | map(.lost) | add // 0),
       ($f | map(select((.paths | length) != 1 or (.paths[0].from | startswith($d)))) | length),
       ($f | map(.max_gap_ms) | max // 0)] | @tsv' <<<"$3"
}

# failover_run KIND PROFILE RUN — one run: an IPv4 and an IPv6 stream through both uplinks, wanN fails (N
# alternates), the streams are measured until it has been taken out; second receivers then measure while wanN
# comes back. One line per run in $RESULTS (IPv4's stream) and in $RESULTS6 (IPv6's), columns in
# failover_report.sh. A failure of one family (silent, silent6) must leave the other's flows alone: their
# line shows what they lost.
failover_run() {
  local kind=$1 profile=$2 run=$3 dead surv first base base6 phase t0 t1 t_rec f file logline moved survivors
  local -A senders=() reports1=() reports2=()
  local down up failure recovery converge families
  families=$(failed_families "$kind")
  SEQ=$((SEQ + 1))
  dead=$((run % 2 ? 1 : 2)) surv=$((run % 2 ? 2 : 1))
  first=$((20000 + SEQ * 64)) # new 5-tuples every run: no conntrack entry carries over
  wait_for --deadline 30 --what "wan1 and wan2 up before run $SEQ" both_ready
  logline=$(wc -l <"$(uplinkd_log router)")

  start_receivers "$SEQ" failure
  base=$(($(isp_counter 1 up) + $(isp_counter 2 up)))
  base6=$(($(isp6_stream_counter 1) + $(isp6_stream_counter 2)))
  # shellcheck disable=SC2046 # stream_cmd is words on purpose
  H_QUIET=1 spawn "udp_stream send" "$H_TMP/tx-$SEQ-4.log" in_ns lan $(stream_cmd) send "$INET_ADDR" \
    "$(stream_port 4 "$SEQ")" --flows "$FLOWS" --seconds 3600 --first-port "$first"
  senders[4]=$H_SPAWNED_PID
  # shellcheck disable=SC2046
  H_QUIET=1 spawn "udp_stream send6" "$H_TMP/tx-$SEQ-6.log" in_ns lan $(stream_cmd) send "$INET6_ADDR" \
    "$(stream_port 6 "$SEQ")" --flows "$FLOWS" --seconds 3600 --first-port "$first"
  senders[6]=$H_SPAWNED_PID
  wait_for --deadline 10 --what "both streams through the ISPs" stream_flowing "$base" "$base6"
  # A random phase against the probe schedule (longer than the default interval, 0.36 s): the sleep sets
  # when the failure happens, it does not wait for anything.
  phase=$((RANDOM % 1000))
  sleep "$(printf '0.%03d' "$phase")"
  t0=$(now_ms)
  inject "$kind" "$dead"
  t1=$(now_ms)
  # shellcheck disable=SC2086 # families are words
  wait_for --deadline 15 --what "wan$dead taken out after $kind failure" uplink_down "$dead" $families
  # Half a second of the streams on their new paths before these receivers stop: a fixed observation
  # period, in which the surviving flows must not lose anything either.
  sleep 0.5
  for f in 4 6; do
    stop_pid "${RECEIVERS[$f]}"
    reports1[$f]=$(report_of "$H_TMP/rx-$SEQ-failure-$f.log")
    [[ -n ${reports1[$f]} ]] || fail "no IPv$f report from the receiver (run $SEQ): $(tail -n 5 "$H_TMP/rx-$SEQ-failure-$f.log")"
  done

  start_receivers "$SEQ" recovery
  repair "$kind" "$dead"
  t_rec=$(now_ms) # after the command: starting a process may take 100 ms and more on a loaded machine
  wait_for --deadline 30 --what "wan$dead back in the groups after the $kind failure ended" uplink_ready "$dead"
  # One second more with wan$dead back in the groups (fixed observation period): no flow may move back or
  # lose packets; their connections are pinned to the uplink whose address they were masqueraded to.
  sleep 1
  for f in 4 6; do
    stop_pid "${senders[$f]}"
    stop_pid "${RECEIVERS[$f]}"
    reports2[$f]=$(report_of "$H_TMP/rx-$SEQ-recovery-$f.log")
    [[ -n ${reports2[$f]} ]] || fail "no IPv$f report from the recovery receiver (run $SEQ)"
  done

  for f in 4 6; do
    file=$RESULTS
    ((f == 6)) && file=$RESULTS6
    down=$(transition_ms "$dead" down "$t0" "$f")
    up=$(transition_ms "$dead" up "$t_rec" "$f")
    converge=$(converge_ms "$logline" "$dead" "$f")
    failure=$(failure_figures "$f" "$dead" "$surv" "${reports1[$f]}")
    recovery=$(recovery_figures "$f" "$dead" "${reports2[$f]}")
    read -r moved _ _ _ survivors _ <<<"$failure"
    ((moved > 0 && survivors > 0)) ||
      fail "run $SEQ: all $FLOWS IPv$f flows hashed onto one uplink (failed $moved, surviving $survivors); use more --flows"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$profile" "$SEQ" "$dead" "$phase" \
      "${down:+$((down - t0))}" "${up:+$((up - t_rec))}" "$failure" "$recovery" "$((t1 - t0))" "$converge" \
      >>"$file"
    log "run $SEQ ($kind, $profile, wan$dead fails, phase $phase ms), IPv$f: $(awk -F'\t' '{
      printf "%s flows of the failed uplink lost up to %s packets (longest gap %.1f ms); surviving flows lost %s (longest gap %.1f ms); verdict %s ms after the start of the injection (which took %s ms), converge %s ms; recovery: verdict %s ms after the repair, %s lost, %s moved, longest gap %.1f ms",
        $8, $10, $9, $13, $14, $6, $21, $22, $7, $18, $19, $20 }' <<<"$(tail -n1 "$file")")"
  done
}
