#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The HTTP endpoint ([web], issue 14 item 4) on two uplinks with ICMP health, in the router's namespace:
#  - GET /metrics is Prometheus' text format (its content type; `promtool check metrics` finds no problem),
#    with the uplinks' one-hot state, usable, weight, tier, probe RTT histograms, loss, probe and transition
#    counters, interface bytes, apply latency and uplinkd_build_info carrying `uplinkd --version`'s version;
#  - GET /api/status is `uplinkctl status --json`'s JSON;
#  - GET /api/events opens with `event: status` and `event: recent`, then carries each event as the same JSON
#    line `uplinkctl events` prints (a drain of wan2, then a dead upstream);
#  - event streams are capped at 16: the 17th is answered 503, and /metrics still answers with 20 clients
#    open (the latency is bench/web.sh's to measure, not this test's);
#  - a non-loopback listen address is refused unless allow_remote, and a taken port stops uplinkd at start.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/web.sh"

require_tools curl promtool jq

PORT=9470
URL=http://127.0.0.1:$PORT

# Fixed timing: a round waits its whole 0.4 s. Adaptive timing with down_after 2 takes ~0.16 s without an
# answer for an outage, and a loaded machine stalls that long (wan1 went down right after it came up in a run
# beside a build), while this test needs a steady "up" until it cuts isp1 itself.
start_web_router "$PORT" '[uplink.health]' "targets = [\"$INET_ADDR\"]" 'interval = 0.2' 'timeout = 0.4' 'down_after = 2' \
  'timing = "fixed"'

get() { in_ns router curl -sS --max-time 5 "$@"; }

log "/metrics: Prometheus' format"
headers=$(get -o "$H_TMP/metrics.txt" -D - "$URL/metrics")
assert_contains "$headers" "Content-Type: text/plain; version=0.0.4" "/metrics' content type"
problems=$(promtool check metrics <"$H_TMP/metrics.txt" 2>&1) || fail "promtool check metrics: $problems"
log "promtool check metrics: no problems"
metrics=$(cat "$H_TMP/metrics.txt")
version=$("$UPLINKD_BIN" --version | awk '{print $2}')
assert_contains "$metrics" "uplinkd_build_info{version=\"$version\"} 1" "build_info"
assert_contains "$metrics" 'uplinkd_uplink_state{uplink="wan1",family="ipv4",state="active"} 1' "wan1 active"
assert_contains "$metrics" 'uplinkd_uplink_state{uplink="wan1",family="ipv4",state="down"} 0' "one-hot"
assert_contains "$metrics" 'uplinkd_uplink_usable{uplink="wan2",family="ipv4"} 1' "wan2 usable"
assert_contains "$metrics" 'uplinkd_uplink_weight{uplink="wan2"} 1' "wan2's weight"
assert_contains "$metrics" 'uplinkd_uplink_tier{uplink="wan2"} 1' "wan2's tier"
# metric NAME LABELS — the value of one series.
metric() { awk -v series="$1$2" '$1 == series {print $2}' "$H_TMP/metrics.txt"; }
target="uplink=\"wan1\",family=\"ipv4\",target=\"$INET_ADDR\""
for name in uplinkd_probes_sent_total uplinkd_probe_rtt_seconds_count; do
  value=$(metric $name "{$target}")
  [ -n "$value" ] && [ "${value%.*}" -gt 0 ] || fail "$name{$target} is '$value', not a count above 0"
done
assert_eq 0 "$(metric uplinkd_probe_loss_ratio "{$target}")" "wan1's loss ratio while isp1 answers"
bytes=$(metric uplinkd_uplink_transmit_bytes_total '{uplink="wan1"}')
[ -n "$bytes" ] && [ "$bytes" -gt 0 ] || fail "wan1's transmit bytes are '$bytes' (probes and DHCP left by it)"
applies=$(metric uplinkd_apply_duration_seconds_count "")
[ -n "$applies" ] && [ "$applies" -gt 0 ] || fail "no apply in uplinkd_apply_duration_seconds_count ($applies)"

log "/api/status is uplinkctl status --json"
# What does not change between the two reads: the uplinks' configured and planned fields.
stable='{mode, active, converged, uplinks: [.uplinks[] | {name, interface, state, why, address, weight, tier, in_group}]}'
assert_eq "$(status_json router | jq -S "$stable")" "$(get "$URL/api/status" | jq -S "$stable")" "/api/status"
assert_ne "" "$(get "$URL/api/status" | jq -r '.uplinks[0].traffic.tx_bytes // empty')" "traffic in the status"

log "/api/events: the lines of uplinkctl events"
spawn "uplinkctl events" "$H_TMP/events.jsonl" in_ns router "$UPLINKCTL_BIN" -s "$H_TMP/uplinkd.sock" events
spawn "sse client" "$H_TMP/sse.txt" in_ns router curl -sS -N "$URL/api/events"
sse_opened() { grep -q '^event: recent' "$H_TMP/sse.txt"; }
wait_for --deadline 5 --what "the stream's status and recent events" sse_opened
assert_contains "$(head -n 4 "$H_TMP/sse.txt")" "event: status" "the stream's first event"
subscribed() { [ "$(status_json router | jq '.event_subscribers')" -ge 1 ]; }
wait_for --deadline 5 --what "uplinkctl events subscribed" subscribed
uplinkctl_in router drain wan2 >/dev/null
blackhole_upstream 1
wan1_down() { grep -q '"event":"uplink".*"to":"down"' "$H_TMP/events.jsonl"; }
wait_for --deadline 10 --what "wan1's uplink event" wan1_down
# The stream's event lines: objects (`event: status` data has no "event" key, `recent` is an array).
sse_lines() { sed -n 's/^data: //p' "$H_TMP/sse.txt" | grep '^{.*"event":' || true; }
wan1_down_sse() { sse_lines | grep -q '"event":"uplink".*"to":"down"'; }
wait_for --deadline 5 --what "wan1's uplink event on the stream" wan1_down_sse
for kind in operator health uplink; do
  from_cli=$(grep "\"event\":\"$kind\"" "$H_TMP/events.jsonl" | head -n 1 || true)
  from_sse=$(sse_lines | grep "\"event\":\"$kind\"" | head -n 1 || true)
  assert_ne "" "$from_cli" "a $kind event from uplinkctl events"
  assert_eq "$from_cli" "$from_sse" "the $kind event on /api/events"
done
restore_upstream 1

log "event streams are capped; /metrics answers all the same"
for i in $(seq 2 16); do spawn "sse client $i" "$H_TMP/sse-$i.txt" in_ns router curl -sS -N "$URL/api/events"; done
streams() { [ "$(get "$URL/api/status" | jq '.web_event_streams')" == 16 ]; }
wait_for --deadline 10 --what "16 event streams" streams
for i in 17 18 19 20; do
  code=$(get -o "$H_TMP/refused.json" -w '%{http_code}' "$URL/api/events")
  assert_eq 503 "$code" "event stream $i"
done
assert_contains "$(cat "$H_TMP/refused.json")" "poll /api/status" "the refusal says what to do"
assert_eq 200 "$(get -o /dev/null -w '%{http_code}' "$URL/metrics")" "/metrics with 16 streams open"
assert_eq 200 "$(get -o /dev/null -w '%{http_code}' "$URL/")" "the page with 16 streams open"
assert_contains "$(get "$URL/metrics")" "uplinkd_web_event_streams 16" "the streams in /metrics"

log "bad [web] settings"
BAD=$H_TMP/bad.toml
write_config "$BAD" '[web]' 'listen = "192.0.2.1:9470"'
add_uplink "$BAD" 1 1
assert_fails "$UPLINKD_BIN" --check -c "$BAD"
assert_contains "$("$UPLINKD_BIN" --check -c "$BAD" 2>&1 || true)" "is not a loopback address" "the refusal"
# With the daemon stopped, so that the one started here changes nothing but fails at its start.
stop_uplinkd router
spawn "port holder" "$H_TMP/holder.log" in_ns router perl -MIO::Socket::INET -e \
  'my $held = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], Listen => 1, ReuseAddr => 1) or die "$!\n"; sleep' $PORT
port_taken() { in_ns router ss -Hltn "sport = :$PORT" | grep -q LISTEN; }
wait_for --deadline 5 --what "the port holder" port_taken
set +e
output=$(in_ns router env UPLINKD_REQUIRE_NETNS=1 timeout 10 "$UPLINKD_BIN" -c "$CONFIG" 2>&1)
status=$?
set -e
assert_eq 1 "$status" "uplinkd's exit status with its port taken"
assert_contains "$output" "web: cannot listen on 127.0.0.1:$PORT: Address already in use" "uplinkd's message"

pass
