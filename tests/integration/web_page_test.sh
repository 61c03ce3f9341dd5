#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The live status page (GET /, issue 14 item 4) in headless Chromium, run in the router's namespace so that
# 127.0.0.1 is uplinkd's [web] endpoint. Two masquerading DHCP uplinks with ICMP health; tools/web_page_check.py
# (python3-selenium, chromium-driver) opens the page, waits for both cards to say `active` and the events
# stream to be open, then isp2 cuts wan2's cable (its end of the veth goes down: the carrier is lost). The card
# of wan2 must say `down` within 2 s of the daemon publishing the `uplink` event (measured from the event's
# `at`), on that event and not on a later status sample, the events list must say so, and the console must
# have no error from the load to the end. With MPTCP (mptcp = true), each card shows its uplink's endpoint
# before the cut and wan2's "no endpoint" after it. Screenshots: web_page.png (1280x900) and web_page_phone.png
# (390x844 CSS px) in $WEB_PAGE_OUT_DIR (default: the directory ctest runs it from, build/tests/integration).
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"
source "$(dirname "$0")/lib/web.sh"

require_tools curl
PYTHON=${WEB_PAGE_PYTHON:-/usr/bin/python3} # Debian's, which has python3-selenium
CHECK=$H_REPO_ROOT/tests/integration/tools/web_page_check.py
OUT_DIR=${WEB_PAGE_OUT_DIR:-$PWD}
command -v chromium >/dev/null || fail "chromium not found (package chromium; scripts/install-deps.sh)"
command -v chromedriver >/dev/null || fail "chromedriver not found (package chromium-driver)"
"$PYTHON" -c 'import selenium' 2>/dev/null || fail "$PYTHON has no selenium (package python3-selenium)"

PORT=9470
URL=http://127.0.0.1:$PORT/

# With MPTCP endpoints (where the kernel has MPTCP): each card names its endpoint, and wan2's goes with it.
MPTCP_CHECKS=()
if [ -d /proc/sys/net/mptcp ]; then
  WEB_ROUTER_TOP='mptcp = true'
  MPTCP_CHECKS=(--expect "wan1:mptcp:IPv4 endpoint 255" --expect "wan2:mptcp:IPv4 endpoint 253"
    --expect-after "wan2:mptcp:no endpoint")
fi
start_web_router "$PORT" '[uplink.health]' "targets = [\"$INET_ADDR\"]" 'interval = 0.5'
wait_health router wan1 up 15
wait_health router wan2 up 15

page=$(in_ns router curl -sS --max-time 5 "$URL")
assert_contains "$page" '<link rel="icon" href="data:,">' "GET / (the page, with no favicon to fetch)"

# Some traffic on wan1 for its share (pings by wan1's table while the page looks).
spawn "ping(wan1)" "$H_TMP/ping.log" in_ns router ping -q -i 0.05 -s 1200 -I wan1 "$INET_ADDR"

mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR/web_page.png" "$OUT_DIR/web_page_phone.png" "$OUT_DIR/web_page_failed.png"
log "the page in headless Chromium; isp2 will cut wan2's cable"
# In the router's namespace; the harness kills whatever still runs there at exit (Chromium's processes too),
# and the browser's profile is in a temp dir under $H_TMP.
rc=0
in_ns router timeout 120 "$PYTHON" "$CHECK" --url "$URL" --out-dir "$OUT_DIR" --uplinks wan1,wan2 \
  --down-uplink wan2 --watch 10 --down-command "ip -n $(ns isp2) link set rtr down" --bound-ms 2000 --tmp "$H_TMP" \
  "${MPTCP_CHECKS[@]}" >"$H_TMP/check.log" 2>&1 || rc=$?
sed 's/^/  /' "$H_TMP/check.log" >&2
[ "$rc" -eq 0 ] || fail "web_page_check.py exited $rc"
delay=$(sed -n 's/^MEASURED_DELAY_MS=//p' "$H_TMP/check.log")
[[ $delay =~ ^-?[0-9]+$ ]] || fail "web_page_check.py printed no MEASURED_DELAY_MS"
log "wan2's card said down $delay ms after the daemon published the event (bound 2000 ms)"
assert_le "$delay" 2000 "ms from the uplink event to the card's state"
assert_eq down "$(uplink_field router wan2 state)" "wan2's state by uplinkctl"
for png in web_page.png web_page_phone.png; do
  [ -s "$OUT_DIR/$png" ] || fail "no screenshot $OUT_DIR/$png"
done
log "screenshots: $OUT_DIR/web_page.png $OUT_DIR/web_page_phone.png"

pass
