#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Adaptive probe timing with the real daemon (docs/health.md, "Adaptive timing"): three uplinks whose one
# health target each answers after 1 ms, 20 ms and 150 ms (tools/delayed_echo.py; this kernel has no netem).
#  1. Each uplink's round timeout settles where the RTT puts it: max(min_timeout, SRTT + 4 RTTVAR), so 80 ms
#     for the 1 and 20 ms targets and just over 150 ms for the 150 ms one (status: health.timeout_ms).
#  2. The three targets go silent at once (one nft rule in the internet host), RUNS times: every uplink is
#     down within its bound, interval + down_after × its timeout (0.68 s for 1 and 20 ms, ~0.97 s for 150 ms),
#     with a margin for the measurement (the nft command's own time) and a loaded machine; then they recover.
#  3. With timing = "fixed" (uplinkd 0.1) the same failure takes longer than the adaptive bound of the 1 ms
#     uplink: at least (down_after − 1) × interval + timeout = 1.12 s; the comparison shows the test can see
#     the difference.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/probe_targets.sh"

RTTS=(1 20 150)
RUNS=4
MARGIN_MS=100 # the daemon's timers and status on a loaded 2-core machine, beyond the measurement's own error
CONFIG=$H_TMP/uplinkd.toml
target_of() { echo "198.51.100.1$1"; }

# write_uplinks [HEALTH_LINE...] — the three uplinks, each probing its own target, damping off (each run
# fails them again, which the rule would call a flap).
write_uplinks() {
  local n
  write_config "$CONFIG"
  for n in 1 2 3; do
    add_uplink "$CONFIG" "$n" 1 "gateway = \"$(isp_gw "$n")\"" "[uplink.health]" \
      "targets = [\"$(target_of "$n")\"]" "hold_down = 0" "$@"
  done
}

# silence / speak — the internet host drops / accepts again every probe to the three targets: one nft command
# in its namespace (nsenter: no mount namespace to make, so milliseconds), timed. Prints the midpoint and the
# command's duration, the measurement's error either way.
INET_NFT=(nsenter --net="/run/netns/$(ns inet)" nft)
silence() {
  local a b
  a=$(now_ms)
  "${INET_NFT[@]}" -f - <<NFT
table ip silent {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr { $(target_of 1), $(target_of 2), $(target_of 3) } drop
  }
}
NFT
  b=$(now_ms)
  echo "$(((a + b) / 2)) $((b - a))"
}
speak() { "${INET_NFT[@]}" delete table ip silent; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

for n in 1 2 3; do
  static_uplink "$n"
  delayed_target "$(target_of "$n")" "${RTTS[n - 1]}"
done

# ---------------------------------------------------------------------------------------------------------
log "1. adaptive timing: each uplink's round timeout follows its target's RTT"
write_uplinks
start_uplinkd router "$CONFIG"
wait_for --deadline 20 --what "wan1..3 health up" healths_are router "wan1=up wan2=up wan3=up"
# settled N — the uplink's timeout is within 10 ms of where its RTT puts it (RTTVAR has decayed).
settled() {
  local t expected
  t=$(timeout_ms router "wan$1")
  expected=$((RTTS[$1 - 1] > 80 ? RTTS[$1 - 1] : 80))
  echo "wan$1: timeout $t ms, expected about $expected"
  jq -e --argjson t "$t" --argjson e "$expected" -n '$t >= $e and $t <= $e + 10' >/dev/null
}
for n in 1 2 3; do wait_for --deadline 30 --what "wan$n's round timeout settled" settled "$n"; done
log "round timeouts: $(status_json router | jq -c '[.uplinks[] | {(.name): .health.timeout_ms}] | add')"

# ---------------------------------------------------------------------------------------------------------
log "2. the three targets go silent at once, $RUNS times: each uplink is down within its bound"
INTERVAL_MS=360 DOWN_AFTER=4
declare -A worst=()
for ((run = 1; run <= RUNS; run++)); do
  declare -A bound=()
  for n in 1 2 3; do
    bound[$n]=$(jq -n --argjson t "$(timeout_ms router "wan$n")" "$INTERVAL_MS + $DOWN_AFTER * \$t | ceil")
  done
  read -r at error < <(silence)
  wait_for --deadline 5 --what "wan1..3 down" healths_are router "wan1=down wan2=down wan3=down"
  line="run $run (nft took $error ms):"
  for n in 1 2 3; do
    took=$(($(last_transition_ms router "wan$n") - at))
    line+=" wan$n (${RTTS[n - 1]} ms) down after $took ms (bound ${bound[$n]});"
    assert_le "$took" $((bound[$n] + error / 2 + MARGIN_MS)) \
      "ms from the silence to wan$n's down (RTT ${RTTS[n - 1]} ms, bound ${bound[$n]} ms, run $run)"
    assert_contains "$(health_transitions router "wan$n" | tail -n1)" "4 rounds in a row without quorum" \
      "wan$n's last transition"
    ((took > ${worst[$n]:-0})) && worst[$n]=$took
  done
  log "$line"
  speak
  wait_for --deadline 10 --what "wan1..3 up again" healths_are router "wan1=up wan2=up wan3=up"
  # A random phase against the probe schedule for the next run.
  sleep "0.$((RANDOM % 360 + 100))"
done
log "worst over $RUNS runs: wan1 ${worst[1]} ms, wan2 ${worst[2]} ms, wan3 ${worst[3]} ms"

# ---------------------------------------------------------------------------------------------------------
log "3. fixed timing (uplinkd 0.1): the same failure takes its 1.12–1.48 s"
stop_uplinkd router
write_uplinks 'timing = "fixed"'
start_uplinkd router "$CONFIG"
wait_for --deadline 20 --what "wan1..3 health up (fixed timing)" healths_are router "wan1=up wan2=up wan3=up"
assert_eq 400 "$(timeout_ms router wan1)" "wan1's round timeout with fixed timing (ms)"
read -r at error < <(silence)
wait_for --deadline 5 --what "wan1..3 down (fixed timing)" healths_are router "wan1=down wan2=down wan3=down"
took=$(($(last_transition_ms router wan1) - at))
log "fixed timing: wan1 (1 ms) down after $took ms (nft took $error ms); adaptive's worst was ${worst[1]} ms"
assert_ge "$took" $((1120 - error / 2 - 20)) "ms from the silence to wan1's down with fixed timing"
assert_contains "$(health_transitions router wan1 | tail -n1)" "3 rounds in a row without quorum" \
  "wan1's last transition with fixed timing"
speak

pass
