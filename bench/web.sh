#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/web.sh — how fast /metrics answers while status pages are open (issue 14, item 4: within 100 ms with
# 20 pages open). uplinkd runs with one DHCP uplink, ICMP health and [web] on 127.0.0.1 in the router's
# namespace; COUNT requests of /metrics, one after the other (curl's time_total: connect, request, whole
# answer; curl's own start is not in the figure), median, p99 and max, with
#   - no page open;
#   - PAGES pages open: each holds an /api/events stream as the page does (the first 16 get one, the
#     others are refused with 503 and poll /api/status every 2 s instead, as the page then does).
# Also printed: the daemon's CPU time over each phase, and its threads.
#
# Needs root: `bench/web.sh`. Everything runs in namespaces made by the integration-test harness
# (tests/integration/lib), which removes them and stops every process by pid on exit.
#
# Binaries: $UPLINKD_BIN and $UPLINKCTL_BIN when both are set (nothing is built); otherwise those of the build
# dir (default build-bench), built first unless --no-build.
#
# Options: --count N (requests per phase, default 200), --pages N (default 20), --no-build, --build-dir DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
COUNT=200
PAGES=20
usage() {
  echo "usage: $0 [--count N] [--pages N] [--no-build] [--build-dir DIR]" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --count) COUNT=$2; shift ;;
    --pages) PAGES=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[[ $COUNT =~ ^[1-9][0-9]*$ && $PAGES =~ ^[0-9]+$ ]] || usage

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"
bm_require_root bench/web.sh
command -v curl >/dev/null || { echo "bench/web.sh: curl is missing (scripts/install-deps.sh)" >&2; exit 1; }
bm_binaries bench/web.sh "$BUILD" "$DO_BUILD"

export H_TEST_NAME=bench-web
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"

PORT=9470
URL=http://127.0.0.1:$PORT
make_isp 1
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG" '[web]' "listen = \"127.0.0.1:$PORT\""
add_uplink "$CONFIG" 1 1 "masquerade = true" '[uplink.health]' "targets = [\"$INET_ADDR\"]" 'interval = 0.2'
start_uplinkd router "$CONFIG"
start_dhcpcd router wan1
wait_for_address router wan1 100.64.1.
PID=$(uplinkd_pid router)

cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ print int(($12 + $13) * 1000 / hz) }'; }

ROWS=()
# phase NAME — COUNT requests of /metrics, in ms.
phase() {
  local name=$1 out=$H_TMP/metrics-latency-$RANDOM cpu0 started samples
  cpu0=$(cpu_ms "$PID")
  started=$(_h_now_usec)
  for _ in $(seq "$COUNT"); do
    in_ns router curl -sS -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$URL/metrics" >>"$out"
  done
  local wall_ms=$((($(_h_now_usec) - started) / 1000))
  local failed
  failed=$(awk '$1 != 200' "$out" | wc -l)
  mapfile -t samples < <(awk '$1 == 200 { printf "%.3f\n", $2 * 1000 }' "$out")
  read -r median p99 max < <(printf '%s\n' "${samples[@]}" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    i = int(NR * 0.99 + 0.999); if (i < 1) i = 1
    print m, v[i], v[NR] }')
  ROWS+=("| $name | ${#samples[@]} | $failed | $median | $p99 | $max | $(($(cpu_ms "$PID") - cpu0)) ms over $wall_ms ms | $(ls "/proc/$PID/task" | wc -l) |")
  log "$name: median $median ms, p99 $p99 ms, max $max ms, $failed not 200"
}

phase "no page open"

# A page: the event stream while there is room, else polling /api/status every 2 s (what the page does).
for i in $(seq "$PAGES"); do
  spawn "page $i" "$H_TMP/page-$i.log" in_ns router bash -c '
    curl -sS -N -o /dev/null -w "%{http_code}\n" "$1/api/events"
    while :; do curl -sS -o /dev/null "$1/api/status"; sleep 2; done' page "$URL"
done
streams_open() { [ "$(in_ns router curl -sS "$URL/api/status" | jq '.web_event_streams')" -ge $((PAGES < 16 ? PAGES : 16)) ]; }
wait_for --deadline 20 --what "the pages' event streams" streams_open
phase "$PAGES pages open"

echo
echo "## /metrics while status pages are open ($(bm_machine))"
echo
echo "| phase | answers | not 200 | median ms | p99 ms | max ms | daemon CPU | daemon threads |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${ROWS[@]}"
pass
