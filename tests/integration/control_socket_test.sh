#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No client can stall uplinkd's control socket, crash the daemon, or block it with its config path.
#  - 200 clients that send half a request and never read, with the daemon's descriptors limited to 64
#    (prlimit): `status` and a DHCP hook are still answered, the daemon's CPU stays low and its log is not
#    flooded (issue 12: 100 % CPU and 2.1 million log lines in 12 s, hooks timing out).
#  - a 64 KiB request nesting 32000 levels of JSON is an error, not a SIGSEGV.
#  - a request without its newline, then a half close, is answered.
#  - a FIFO as config is refused with its path by `uplinkd --check` and by `reload` (and SIGHUP), without
#    blocking; the running config stays.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

CLIENTS=${CONTROL_CLIENTS:-$PWD/tools/control_clients}
[[ -x $CLIENTS ]] || fail "control_clients not found at $CLIENTS (set CONTROL_CLIENTS)"

make_isp 1
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
start_uplinkd router "$CONFIG"
SOCK=$H_TMP/uplinkd.sock
PID=$(uplinkd_pid router)
LOG=$(uplinkd_log router)
start_dhcpcd router wan1
wait_for_address router wan1 100.64.1.
wan1_addr=$(address_of router wan1)

# cpu_ticks PID — user + system time of PID so far, in clock ticks (/proc/PID/stat fields 14 and 15; the
# command name in field 2 may hold spaces, so fields are counted after its closing parenthesis).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# hook_bound — `uplinkctl hook` as dhclient's exit hook calls it for a BOUND of wan1, timed: prints the
# exit status and the milliseconds it took.
hook_bound() {
  local started rc=0
  started=$(_h_now_usec)
  in_ns router env -i UPLINKD_SOCKET="$SOCK" reason=BOUND interface=wan1 new_ip_address="${wan1_addr%/*}" \
    new_subnet_mask=255.255.255.0 new_routers="$(isp_gw 1)" "$UPLINKCTL_BIN" hook --client dhclient \
    >>"$H_TMP/hook.log" 2>&1 || rc=$?
  echo "$rc $((($(_h_now_usec) - started) / 1000))"
}

log "200 stalled clients, 64 descriptors"
prlimit --pid "$PID" --nofile=64:64
assert_eq "64" "$(prlimit --pid "$PID" --nofile --noheadings --output SOFT | tr -d ' ')" "the daemon's soft limit"
hooks_before=$(grep -c 'hook: dhclient BOUND on wan1' "$LOG" || true)
lines_before=$(wc -l <"$LOG")
ticks_before=$(cpu_ticks "$PID")
started=$(_h_now_usec)
# Held for 9 s: past the daemon's 5 s read deadline, so by the end every stalled client has been closed.
STALL_OUT=$H_TMP/stall.out
spawn "control_clients stall" "$STALL_OUT" in_ns router "$CLIENTS" stall "$SOCK" 200 9
STALL_PID=$H_SPAWNED_PID
wait_for --deadline 10 --what "the stalled clients connected" grep -q '^connected' "$STALL_OUT"
connected=$(grep '^connected' "$STALL_OUT")
assert_eq "connected 200 refused 0" "$connected" "200 stalled clients connected"
for round in 1 2 3; do
  t0=$(_h_now_usec)
  out=$(uplinkctl_in router status) || fail "round $round: status not answered while 200 clients stall: $out"
  status_ms=$((($(_h_now_usec) - t0) / 1000))
  assert_contains "$out" wan1 "round $round: status"
  read -r rc hook_ms < <(hook_bound)
  assert_eq 0 "$rc" "round $round: uplinkctl hook exits 0"
  log "round $round: status in $status_ms ms, hook in $hook_ms ms"
  assert_le "$status_ms" 2000 "round $round: status within 2 s"
  assert_le "$hook_ms" 2000 "round $round: hook within 2 s"
  sleep 1
done
wait_for --deadline 15 --what "the stalled clients to let go" _h_not_alive "$STALL_PID"
wall_ms=$((($(_h_now_usec) - started) / 1000))
ticks=$(($(cpu_ticks "$PID") - ticks_before))
cpu_ms=$((ticks * 1000 / $(getconf CLK_TCK)))
closed=$(grep '^closed-by-peer' "$STALL_OUT" || echo "closed-by-peer ?")
lines=$(($(wc -l <"$LOG") - lines_before))
hooks=$(($(grep -c 'hook: dhclient BOUND on wan1' "$LOG" || true) - hooks_before))
log "over ${wall_ms} ms: daemon CPU ${cpu_ms} ms, ${lines} log lines, ${hooks} hooks logged; stalled clients: $closed"
assert_eq 3 "$hooks" "every hook reached the daemon"
assert_le $((cpu_ms * 100)) $((wall_ms * 20)) "the daemon's CPU stays under 20 % of the stall"
assert_le "$lines" 40 "the log is not flooded"
assert_eq "closed-by-peer 200" "$closed" "the daemon closed every stalled client (cap, descriptors, read deadline)"
_h_alive "$PID" || fail "uplinkd died"

log "a request of 32000 levels of JSON"
deep="{\"command\":\"weight\",\"uplink\":\"wan1\",\"weight\":$(printf '[%.0s' $(seq 32000))$(printf ']%.0s' $(seq 32000))}"
rc=0
out=$(uplinkctl_in router call "$deep" 2>&1) || rc=$?
assert_eq 1 "$rc" "uplinkctl call (deep JSON) exits 1"
assert_contains "$(jq -r .error <<<"$out")" "nested deeper than 16 levels" "deep JSON: the error"
_h_alive "$PID" || fail "uplinkd died on deep JSON"
rc=0
out=$(uplinkctl_in router call '{"command":"weight","uplink":"wan1","weight":[[[[[[[[[[1]]]]]]]]]]}' 2>&1) || rc=$?
assert_eq 1 "$rc" "a weight of 10 levels is refused"
assert_contains "$out" 'got [[[[[...]]]]]' "the error quotes the value cut short"

log "a request without its newline, then a half close"
out=$(in_ns router "$CLIENTS" half-close "$SOCK" '{"command":"status"}') || fail "no answer to a half-closed request: $out"
assert_eq true "$(jq -r .ok <<<"$out")" "the half-closed request is answered"
assert_contains "$out" wan1 "with the status"

log "a FIFO as the config file"
FIFO=$H_TMP/fifo.toml
mkfifo "$FIFO"
rc=0
out=$(timeout 10 "$UPLINKD_BIN" --check -c "$FIFO" 2>&1) || rc=$?
assert_eq 1 "$rc" "uplinkd --check -c FIFO exits 1 (124 would be a hang)"
assert_contains "$out" "$FIFO: the config file is a FIFO, not a regular file" "--check names the path and the problem"
mv "$CONFIG" "$CONFIG.real"
mkfifo "$CONFIG"
rc=0
out=$(timeout 10 "$UPLINKCTL_BIN" -s "$SOCK" reload 2>&1) || rc=$?
assert_eq 1 "$rc" "reload of a FIFO is refused (124 would be a hang)"
assert_contains "$out" "$CONFIG: the config file is a FIFO, not a regular file" "reload names the path"
assert_contains "$out" "the running config stays in force" "reload keeps the running config"
kill -HUP "$PID"
wait_for --deadline 5 --what "SIGHUP's reload refused in the log" grep -q "reload refused: $CONFIG: the config file is a FIFO" "$LOG"
out=$(uplinkctl_in router status) || fail "status after the FIFO reloads: $out"
assert_contains "$out" wan1 "status after the FIFO reloads"
rm "$CONFIG"
mv "$CONFIG.real" "$CONFIG"
uplinkctl_in router reload >/dev/null || fail "reload of the real config again"
pass
