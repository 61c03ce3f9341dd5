#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# MptcpSocket against the real kernel, inside a namespace of this test's own (tools/mptcp_kernel_check does
# each step and reads it back; `ip mptcp` is the second opinion after each): three endpoints on two veths
# (two IPv4, one IPv6, one of them backup) are added and listed in id order, backup is toggled both ways,
# limits set and read, the kernel's refusals come back named (duplicate address, id in use, unknown id, a
# limit above 8, a ninth endpoint), fullmesh survives a backup change, endpoints that `ip` made read back as
# `ip` shows them, one endpoint is removed and the rest flushed.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

CHECK=${MPTCP_KERNEL_CHECK:-$PWD/tools/mptcp_kernel_check}
[[ -x $CHECK ]] || fail "mptcp_kernel_check not found at $CHECK (set MPTCP_KERNEL_CHECK)"

make_ns mp # refuses to go on unless the namespace is not the machine's own
NS=$(ns mp)
# veth pairs with both ends here: the dummy module is not available everywhere.
for n in 1 2; do
  ip -n "$NS" link add "wan$n" type veth peer name "wan$n-peer"
  ip -n "$NS" link set "wan$n-peer" up
  ip -n "$NS" link set "wan$n" up
  ip -n "$NS" addr add "100.64.$n.10/24" dev "wan$n"
done
ip -n "$NS" addr add 2001:db8:1::10/64 dev wan1 nodad
assert_in_test_netns mp

# check STEP ARGS... — run the check tool's step in the namespace and show what it printed; fail when it fails.
# Its output stays in CHECK_OUT.
check() {
  local out
  out=$(in_ns mp "$CHECK" "$@" 2>&1) || fail "mptcp_kernel_check $* failed: $out"
  printf '  %s\n' "${out//$'\n'/$'\n'  }" >&2
  CHECK_OUT=$out
}
# ip's listing without its trailing blanks (ip ends every line with one).
ip_endpoints() { ip -n "$NS" mptcp endpoint show | sed 's/[[:space:]]*$//'; }
ip_limits() { ip -n "$NS" mptcp limits show | sed 's/[[:space:]]*$//'; }
# The tool's `show` and ip must print the same endpoints and limits, line for line.
same_as_ip() {
  check show
  local ours theirs
  ours=$CHECK_OUT
  theirs=$(ip_endpoints; ip_limits)
  [[ $ours == "$theirs" ]] ||
    fail "$1: the check tool and ip differ"$'\n'"tool:"$'\n'"$ours"$'\n'"ip:"$'\n'"$theirs"
  log "ok: $1 (ip agrees)"
}
ip_has() { # ip_has LINE — ip lists exactly this endpoint line
  grep -qxF -- "$1" <<<"$(ip_endpoints)" || fail "ip mptcp endpoint show lacks '$1':"$'\n'"$(ip_endpoints)"
}

check setup
same_as_ip "three endpoints added"
ip_has "100.64.1.10 id 201 subflow dev wan1"
ip_has "100.64.2.10 id 202 subflow backup dev wan2"
ip_has "2001:db8:1::10 id 203 subflow dev wan1"

check backup 202 off
check backup 201 on
same_as_ip "backup toggled"
ip_has "100.64.1.10 id 201 subflow backup dev wan1"
ip_has "100.64.2.10 id 202 subflow dev wan2"

check limits 4 3
same_as_ip "limits set"
assert_eq "add_addr_accepted 3 subflows 4" "$(ip_limits)" "ip mptcp limits show"

check errors
assert_contains "$CHECK_OUT" "adding MPTCP endpoint 100.64.1.10 id 210 on wan1: File exists" \
  "the duplicate address's error"
same_as_ip "the refusals changed nothing"

check fullmesh
same_as_ip "the fullmesh endpoint is gone again"

# Endpoints another tool made (a signal endpoint with a port, a fullmesh one) read back as ip shows them.
ip -n "$NS" mptcp endpoint add 100.64.2.10 dev wan2 signal port 10001 id 9
same_as_ip "endpoints made by ip"
ip_has "100.64.2.10 port 10001 id 9 signal dev wan2"
ip -n "$NS" mptcp endpoint del id 9

check remove 203
same_as_ip "id 203 removed"
[[ $(ip_endpoints) != *2001:db8:1::10* ]] || fail "ip still lists the removed IPv6 endpoint"

check flush
same_as_ip "flushed"
[[ -z $(ip_endpoints) ]] || fail "ip still lists endpoints after the flush: $(ip_endpoints)"

pass
