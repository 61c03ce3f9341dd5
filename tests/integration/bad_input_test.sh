#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Garbage never changes anything. With three usable uplinks (and uplinkd's nft table, for masquerade), hook
# calls with garbage environments from each DHCP client — shell metacharacters, an unknown interface, a
# valid lease for an interface that is no uplink's, huge values, missing variables — and garbage requests on
# the control socket are each refused with a reason that names the culprit; the hook still exits 0 (it must
# never make a DHCP client fail), nothing is executed, and every kernel object and the status stay exactly as
# they were. Last, uplinkctl names the socket it cannot reach, and `hook` exits 0 even then.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

setup_three_isps   # wan1..3, weights 1, 3, 2, masquerade on all three: uplinkd's nft table exists too
SOCK=$H_TMP/uplinkd.sock
for n in 1 2 3; do start_dhcpcd router "wan$n"; done   # no hook: gateways come from dhcpcd's routes
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
wait_for --deadline 10 --what "group of wan1:1 wan2:3 wan3:2" has_members router 1:1 2:3 3:2
wait_for --deadline 5 --what "uplinkd's nft table" in_ns router nft list table inet uplinkd
assert_converged router
everything=$(owned_objects router)
status_before=$(status_settled router)
leases_before=$(cat "$H_TMP/state.json" 2>/dev/null || echo "(no state file)")   # leases learned from hooks
assert_contains "$everything" 'oifname "wan1" masquerade' "the recorded objects include the nft table"
wan1_addr=$(address_of router wan1)
PWNED=$H_TMP/pwned
TOUCH="touch $PWNED"

# unchanged WHAT — the kernel objects, the status and the remembered leases are as recorded, and nothing
# was executed.
unchanged() {
  assert_eq "$everything" "$(owned_objects router)" "$1: uplinkd's kernel objects"
  assert_eq "$status_before" "$(status_settled router)" "$1: status"
  assert_eq "$leases_before" "$(cat "$H_TMP/state.json" 2>/dev/null || echo "(no state file)")" "$1: state file"
  [ ! -e "$PWNED" ] || fail "$1: a payload in the input was executed ($PWNED exists)"
}

# hook_case WHAT EXPECTED-STDERR-PART CLIENT-ARGS... -- VAR=VALUE... — run `uplinkctl hook CLIENT-ARGS` in
# the router with only VAR=VALUE… (and the socket) in its environment, as a DHCP client runs its hook;
# it must exit 0, say why on stderr, and change nothing.
hook_case() {
  local what=$1 expected=$2 args=() rc=0 err
  shift 2
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  err=$(in_ns router env -i UPLINKD_SOCKET="$SOCK" "$@" "$UPLINKCTL_BIN" hook "${args[@]}" 2>&1 >/dev/null) ||
    rc=$?
  assert_eq 0 "$rc" "hook ($what) exits 0"
  assert_contains "$err" "uplinkctl hook: " "hook ($what) says why on stderr"
  assert_contains "$err" "$expected" "hook ($what): the reason"
  unchanged "hook ($what)"
}

log "garbage hook environments, as dhclient, dhcpcd and udhcpc would hand them over"
hook_case "dhclient, address 999.1.1.1" 'new_ip_address "999.1.1.1" is not an IPv4 address' --client dhclient -- \
  reason=BOUND interface=wan1 new_ip_address=999.1.1.1 new_subnet_mask=255.255.255.0 new_routers=100.64.1.1
hook_case "udhcpc, ip with ';reboot'" 'ip "1.2.3.4;reboot" is not an IPv4 address' --client udhcpc bound -- \
  interface=wan1 'ip=1.2.3.4;reboot' mask=24 router=100.64.1.1
hook_case "dhcpcd, interface with \$(…)" "interface \"wan1\$($TOUCH)\" is not an interface name" --client dhcpcd -- \
  reason=BOUND "interface=wan1\$($TOUCH)" new_ip_address=100.64.1.77 new_subnet_cidr=24 new_routers=100.64.1.1
hook_case "dhclient, wan1's own lease but a router with backticks" 'new_routers "`touch" is not an IPv4 address' \
  --client dhclient -- reason=RENEW interface=wan1 new_ip_address="${wan1_addr%/*}" new_subnet_mask=255.255.255.0 \
  "new_routers=$(isp_gw 1) \`$TOUCH\`"
hook_case "dhcpcd, reason with '; touch'" "reason \"BOUND; $TOUCH\" is not a reason dhcpcd gives" --client dhcpcd -- \
  "reason=BOUND; $TOUCH" interface=wan1 new_ip_address=100.64.1.77 new_subnet_cidr=24
hook_case "udhcpc, action \$(…)" "action \"\$($TOUCH)\" is not one udhcpc gives" --client udhcpc "\$($TOUCH)" -- \
  interface=wan1 ip=100.64.1.77 mask=24
hook_case "dhcpcd, prefix length with '&&'" "new_subnet_cidr \"24 && $TOUCH\" is not a prefix length" \
  --client dhcpcd -- reason=BOUND interface=wan1 new_ip_address=100.64.1.77 "new_subnet_cidr=24 && $TOUCH"
hook_case "dhclient, interface with a newline" 'interface "wan1\x0awan2" is not an interface name' \
  --client dhclient -- reason=BOUND $'interface=wan1\nwan2' new_ip_address=100.64.1.77 new_subnet_mask=255.255.255.0
hook_case "dhclient, unknown interface eth9" 'uplinkd refused the event: request: event.interface "eth9" is not an uplink' \
  --client dhclient -- reason=BOUND interface=eth9 new_ip_address=100.64.9.10 new_subnet_mask=255.255.255.0 \
  new_routers=100.64.9.1
hook_case "dhcpcd, a valid lease for lo (no uplink's)" 'event.interface "lo" is not an uplink' --client dhcpcd -- \
  reason=BOUND interface=lo protocol=dhcp new_ip_address=100.64.1.77 new_subnet_cidr=24 new_routers=100.64.1.1
hook_case "udhcpc, a 100000-byte interface name" "interface is too long (100000 bytes" --client udhcpc bound -- \
  "interface=$(printf 'a%.0s' $(seq 100000))" ip=100.64.1.77 mask=24
hook_case "dhclient, a 100000-byte router list" "new_routers is too long (100000 bytes" --client dhclient -- \
  reason=BOUND interface=wan1 new_ip_address=100.64.1.77 new_subnet_mask=255.255.255.0 \
  "new_routers=$(head -c 100000 /dev/zero | tr '\0' 1)"
hook_case "dhclient, empty environment" "reason is missing" --client dhclient --
hook_case "dhclient, BOUND without an address" "new_ip_address is missing" --client dhclient -- \
  reason=BOUND interface=wan1
hook_case "udhcpc, bound without interface" "interface is missing" --client udhcpc bound -- ip=100.64.1.77 mask=24
hook_case "udhcpc, no action" "udhcpc's action is missing" --client udhcpc -- interface=wan1
hook_case "udhcpc, two actions" 'unexpected argument "renew"' --client udhcpc bound renew -- \
  interface=wan1 ip=100.64.1.77 mask=24
hook_case "dhclient, a netmask with a hole" 'new_subnet_mask "255.0.255.0" is not a netmask' --client dhclient -- \
  reason=BOUND interface=wan1 new_ip_address=100.64.1.77 new_subnet_mask=255.0.255.0
# A lease whose router is 0.0.0.0 (or any other value that is no unicast gateway) is no longer garbage as a
# whole: the router is refused on its own and the lease kept without it (issue 12) — bad_router_test.sh and
# tests/unit/sources/hook_routers_test.cpp.
hook_case "no --client, dhcpcd's variables, bad address" 'new_ip_address "100.64.1.777" is not an IPv4 address' -- \
  reason=BOUND interface=wan1 pid=123 ifcarrier=up new_ip_address=100.64.1.777 new_subnet_cidr=24

log "garbage through uplinkd's own hook scripts, sourced by a shell as dhclient-script and dhcpcd-run-hooks do"
PATH_VAR=PATH=/usr/sbin:/usr/bin:/sbin:/bin
# script_case WHAT EXPECTED HOOK-SCRIPT VAR=VALUE... — `. HOOK-SCRIPT` in sh with that environment.
script_case() {
  local what=$1 expected=$2 script=$3 rc=0 err
  shift 3
  err=$(in_ns router env -i "$PATH_VAR" UPLINKD_SOCKET="$SOCK" "$@" sh -c '. "$1"' sh "$script" 2>&1 >/dev/null) ||
    rc=$?
  assert_eq 0 "$rc" "hook script ($what) returns 0"
  assert_contains "$err" "$expected" "hook script ($what): the reason"
  unchanged "hook script ($what)"
}
script_case "dhclient exit hook, interface '; touch'" "interface \"wan1;$TOUCH\" is not an interface name" \
  "$(hook_script dhclient-exit-hook)" reason=BOUND "interface=wan1;$TOUCH" new_ip_address=100.64.1.77 \
  new_subnet_mask=255.255.255.0
script_case "dhcpcd hook, address \$(…)" "new_ip_address \"\$($TOUCH)\" is not an IPv4 address" \
  "$(hook_script dhcpcd-hook)" reason=BOUND interface=wan1 protocol=dhcp "new_ip_address=\$($TOUCH)" \
  new_subnet_cidr=24
script_case "dhcpcd hook, routers with '|'" "new_routers \"|\" is not an IPv4 address" \
  "$(hook_script dhcpcd-hook)" reason=BOUND interface=wan1 protocol=dhcp new_ip_address=100.64.1.77 \
  new_subnet_cidr=24 "new_routers=100.64.1.1 | $TOUCH"

log "garbage on the control socket"
# call_case WHAT EXPECTED-ERROR-PART LINE — `uplinkctl call LINE`: ok=false, an error naming the culprit.
call_case() {
  local what=$1 expected=$2 line=$3 rc=0 out
  out=$(uplinkctl_in router call "$line" 2>&1) || rc=$?
  assert_eq 1 "$rc" "call ($what) exits 1"
  assert_eq false "$(jq -r .ok <<<"$out")" "call ($what): ok"
  assert_contains "$(jq -r .error <<<"$out")" "$expected" "call ($what): the error"
  unchanged "call ($what)"
}
# event JQ-UPDATE — a hook request whose event is a valid BOUND for wan1, changed by JQ-UPDATE.
event() {
  jq -cn --arg addr "$wan1_addr" --arg gw "$(isp_gw 1)" \
    "{command: \"hook\", event: {client: \"dhclient\", interface: \"wan1\", reason: \"BOUND\", change: \"up\",
      address: \$addr, routers: [\$gw]}} | $1"
}
call_case "not JSON" "not a JSON object on one line" 'status please'
call_case "a JSON array" "not a JSON object on one line" '[{"command":"status"}]'
call_case "a JSON string" "not a JSON object on one line" '"status"'
call_case "truncated JSON" "not a JSON object on one line" '{"command":"status"'
call_case "invalid UTF-8" "not a JSON object on one line" $'{"command":"st\xffatus"}'
call_case "an empty object" '"command" is missing' '{}'
call_case "command is a number" '"command" is missing' '{"command":42}'
call_case "unknown command" 'unknown command "frobnicate"' '{"command":"frobnicate"}'
call_case "unknown command with shell" "unknown command \"status; $TOUCH\"" "{\"command\":\"status; $TOUCH\"}"
call_case "hook without event" "event is missing" '{"command":"hook"}'
call_case "hook, event is a string" "event must be an object" '{"command":"hook","event":"BOUND"}'
call_case "hook, event is null" "event must be an object" '{"command":"hook","event":null}'
call_case "hook, bad address" 'event.address "999.1.1.1/24" is not an IPv4 address' "$(event '.event.address = "999.1.1.1/24"')"
call_case "hook, address without length" 'event.address "100.64.1.77"' "$(event '.event.address = "100.64.1.77"')"
call_case "hook, up without address" "event.address is missing" "$(event 'del(.event.address)')"
call_case "hook, unknown interface" 'event.interface "eth9" is not an uplink' "$(event '.event.interface = "eth9"')"
call_case "hook, interface with shell" "event.interface \"wan1;$TOUCH\" is not an interface name" \
  "$(event ".event.interface = \"wan1;$TOUCH\"")"
call_case "hook, interface is a number" "event.interface must be a string" "$(event '.event.interface = 5')"
call_case "hook, client is unknown" 'event.client "evil" is not dhclient, dhcpcd or udhcpc' "$(event '.event.client = "evil"')"
call_case "hook, change is unknown" 'event.change "sideways" is not up, down or ignore' "$(event '.event.change = "sideways"')"
call_case "hook, reason is unknown" 'event.reason "REBOOT!" is not a reason dhclient gives' "$(event '.event.reason = "REBOOT!"')"
call_case "hook, routers is a string" "event.routers must be an array" "$(event '.event.routers = "100.64.1.1"')"
call_case "hook, a router is a number" "event.routers[0] must be a router's IPv4 address" "$(event '.event.routers = [1]')"
call_case "hook, a router is IPv6" "event.routers[1] must be a router's IPv4 address" "$(event '.event.routers += ["fe80::1"]')"
# 65 routers are no longer refused as a whole: the first 64 are kept (issue 12; tests/unit/sources).
call_case "hook, a NUL in the interface" "event.interface" "$(event '.event.interface = "wan1\u0000x"')"
call_case "hook, a 3000-byte reason" "event.reason is too long" "$(event ".event.reason = \"$(printf 'B%.0s' $(seq 3000))\"")"
# A line over the daemon's 64 KiB limit: uplinkd answers "request: longer than 64 KiB" and closes. Whether uplinkctl
# sees that answer depends on a race — if the daemon closes while uplinkctl is still writing, uplinkctl
# reports the broken pipe (exit 2, naming the socket) instead. Either way it is refused and harmless.
rc=0
out=$(uplinkctl_in router call "{\"command\":\"status\",\"pad\":\"$(head -c 100000 /dev/zero | tr '\0' x)\"}" 2>&1) ||
  rc=$?
case $rc in
  1) assert_eq false "$(jq -r .ok <<<"$out")" "call (a 100000-byte line): ok"
     assert_contains "$(jq -r .error <<<"$out")" "request: longer than 64 KiB" "call (a 100000-byte line): the error" ;;
  2) assert_contains "$out" "$SOCK" "call (a 100000-byte line) names the socket" ;;
  *) fail "call (a 100000-byte line) exited $rc: $out" ;;
esac
unchanged "call (a 100000-byte line)"
out=$(uplinkctl_in router status) || fail "uplinkd no longer answers status after the garbage: $out"
assert_contains "$out" "wan1" "status after the garbage"
_h_alive "$(uplinkd_pid router)" || fail "uplinkd died"
assert_no_duplicates router
assert_converged router
assert_eq "$everything" "$(owned_objects router)" "after all the garbage, the kernel is as before"

log "uplinkctl without a daemon"
rc=0
err=$(in_ns router "$UPLINKCTL_BIN" -s /nonexistent status 2>&1) || rc=$?
assert_ne 0 "$rc" "uplinkctl -s /nonexistent status exits non-zero"
assert_contains "$err" "cannot reach uplinkd at /nonexistent" "uplinkctl names the socket it cannot reach"
: >"$H_TMP/not-a-socket"
rc=0
err=$(in_ns router "$UPLINKCTL_BIN" -s "$H_TMP/not-a-socket" status 2>&1) || rc=$?
assert_ne 0 "$rc" "uplinkctl -s REGULAR-FILE status exits non-zero"
assert_contains "$err" "cannot reach uplinkd at $H_TMP/not-a-socket" "uplinkctl names the path that is no socket"
for sock in /nonexistent "$H_TMP/not-a-socket"; do
  rc=0
  err=$(in_ns router env -i UPLINKD_SOCKET="$sock" reason=BOUND interface=wan1 new_ip_address="${wan1_addr%/*}" \
    new_subnet_mask=255.255.255.0 new_routers="$(isp_gw 1)" "$UPLINKCTL_BIN" hook --client dhclient 2>&1) || rc=$?
  assert_eq 0 "$rc" "uplinkctl hook with the daemon unreachable at $sock exits 0"
  assert_contains "$err" "cannot reach uplinkd at $sock" "uplinkctl hook names the socket it cannot reach"
done
unchanged "uplinkctl without a daemon"

log "the control socket is for root only"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
rc=0
err=$(in_ns router "${nobody[@]}" "$UPLINKCTL_BIN" -s "$SOCK" status 2>&1) || rc=$?
assert_ne 0 "$rc" "a user other than root cannot use the socket"
assert_contains "$err" "Permission denied" "the socket file's mode (0600) keeps other users out"
chmod 0666 "$SOCK"   # even with the file opened up, the daemon checks who is calling
rc=0
err=$(in_ns router "${nobody[@]}" "$UPLINKCTL_BIN" -s "$SOCK" call '{"command":"reload"}' 2>&1) || rc=$?
assert_ne 0 "$rc" "a user other than root is refused by the daemon"
assert_contains "$err" "permission denied (the control socket is for root)" "the daemon checks peer credentials"
chmod 0600 "$SOCK"
unchanged "requests from another user"

# Arguments that uplinkctl's own parser rejects: the hook must still exit 0, and like every other refusal it
# says why.
log "hook arguments uplinkctl cannot parse"
for args in "--client bogus" "--no-such-flag"; do
  rc=0
  # shellcheck disable=SC2086
  err=$(in_ns router env -i UPLINKD_SOCKET="$SOCK" reason=BOUND interface=wan1 "$UPLINKCTL_BIN" hook $args 2>&1) ||
    rc=$?
  assert_eq 0 "$rc" "uplinkctl hook $args exits 0"
  unchanged "uplinkctl hook $args"
  assert_contains "$err" "uplinkctl hook: bad arguments" "uplinkctl hook $args says why it did nothing"
done
pass
