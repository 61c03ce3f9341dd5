#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# False alarms of adaptive probe timing against fixed timing (uplinkd 0.1), with ONE target per uplink on a
# lossy link, where they are frequent enough to count (with three targets one comes every few hours or days:
# docs/health.md). Eight uplinks side by side in one daemon, each with its own ISP and target (20 ms RTT,
# tools/delayed_echo.py); its ISP drops a share of the router's packets at random (nft numgen, per packet):
#   wan1, wan2: adaptive timing, 10 % loss      wan3, wan4: fixed timing, 10 % loss
#   wan5, wan6: adaptive timing, 30 % loss      wan7, wan8: fixed timing, 30 % loss
# Damping is off (hold_down = 0), so every false alarm counts. Over SECONDS (default 600, the issue's ten
# minutes; UPLINKD_FALSE_ALARM_SECONDS overrides it for a quick look) the health events to `down` are counted.
# docs/health.md expects per uplink and 10 minutes: fixed 1.5 at 10 % and 25 at 30 %, adaptive 0.17 and 12.
# The checks: at 30 % the adaptive pair raises fewer alarms than the fixed pair (expected 24 against 49, a
# difference of about three standard deviations), and at 10 % no more, give or take one alarm (expected
# 0.3 against 3: counts this small are mostly noise, and a single alarm more is within it).
# The run is a fixed observation period, not a wait for a condition: it counts what happens in it. ctest runs
# it beside the other tests (no RUN_SERIAL; tests/integration/CMakeLists.txt), so it adds little to CI's time.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/probe_targets.sh"

SECONDS_TO_WATCH=${UPLINKD_FALSE_ALARM_SECONDS:-600}
[[ $SECONDS_TO_WATCH =~ ^[1-9][0-9]*$ ]] || fail "UPLINKD_FALSE_ALARM_SECONDS must be a whole number of seconds"
RTT_MS=20
CONFIG=$H_TMP/uplinkd.toml
target_of() { echo "198.51.100.$((100 + $1))"; }
timing_of() { if (($1 == 3 || $1 == 4 || $1 == 7 || $1 == 8)); then echo fixed; else echo adaptive; fi; }
loss_of() { if (($1 <= 4)); then echo 10; else echo 30; fi; }

write_config "$CONFIG"
for n in 1 2 3 4 5 6 7 8; do
  static_uplink "$n"
  delayed_target "$(target_of "$n")" "$RTT_MS"
  add_uplink "$CONFIG" "$n" 1 "gateway = \"$(isp_gw "$n")\"" "[uplink.health]" \
    "targets = [\"$(target_of "$n")\"]" "timing = \"$(timing_of "$n")\"" "hold_down = 0"
done
start_uplinkd router "$CONFIG"
all_up="wan1=up wan2=up wan3=up wan4=up wan5=up wan6=up wan7=up wan8=up"
wait_for --deadline 30 --what "wan1..8 health up" healths_are router "$all_up"
start_event_log router alarms
event_log_sync router alarms wan1

for n in 1 2 3 4 5 6 7 8; do lose_upstream "$n" "$(loss_of "$n")"; done
log "watching $SECONDS_TO_WATCH s: wan1,2 adaptive and wan3,4 fixed at 10 % loss; wan5,6 adaptive and" \
  "wan7,8 fixed at 30 % loss; one target each, ${RTT_MS} ms RTT, hold_down = 0"
sleep "$SECONDS_TO_WATCH"

# alarms N — health events of wanN to `down` since the loss began.
alarms() {
  grep '^{' "$(event_log alarms)" |
    jq -r --arg u "wan$1" 'select(.event == "health" and .uplink == $u and .to == "down") | .uplink' | wc -l
}
declare -A count=()
for n in 1 2 3 4 5 6 7 8; do count[$n]=$(alarms "$n"); done
per_10min() { jq -n "$1 * 600 / $SECONDS_TO_WATCH / 2 * 10 | round / 10"; }
adaptive10=$((count[1] + count[2])) fixed10=$((count[3] + count[4]))
adaptive30=$((count[5] + count[6])) fixed30=$((count[7] + count[8]))
log "false alarms in $SECONDS_TO_WATCH s, per uplink: $(for n in 1 2 3 4 5 6 7 8; do
  printf 'wan%s (%s, %s %%) %s; ' "$n" "$(timing_of "$n")" "$(loss_of "$n")" "${count[$n]}"; done)"
log "per uplink and 10 minutes: 10 % loss: adaptive $(per_10min $adaptive10), fixed $(per_10min $fixed10);" \
  "30 % loss: adaptive $(per_10min $adaptive30), fixed $(per_10min $fixed30)"
log "losses seen by the targets: $(status_json router | jq -c '[.uplinks[] | {(.name): .health.targets[0].loss_percent}] | add')"

assert_ge "$fixed30" 1 "false alarms of the fixed pair at 30 % loss (expected ~49 in 10 min: none means the loss is not there)"
assert_le "$adaptive30" $((fixed30 - 1)) "false alarms of the adaptive pair at 30 % loss (fixed pair: $fixed30)"
assert_le "$adaptive10" $((fixed10 + 1)) "false alarms of the adaptive pair at 10 % loss (fixed pair: $fixed10)"

pass
