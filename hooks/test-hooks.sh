#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Tests of the hook scripts with a stand-in uplinkctl that records how it was called:
#   - the dhclient and dhcpcd snippets, sourced the way the clients source them, with hostile values;
#   - the udhcpc script, configuring a dummy interface inside a network namespace of its own (unshare -n),
#     so nothing in the machine's namespace is touched. Exits 77 (skipped) when no namespace can be made.
# Usage: test-hooks.sh HOOKS_SOURCE_DIR
#
# The hostile values are single-quoted on purpose, variables are set for the sourced snippets to read, and
# `local` mimics Debian's dhclient-script (dash has it):
# shellcheck disable=SC1091,SC2015,SC2016,SC2030,SC2031,SC2034,SC2181,SC3043
set -u
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
source_dir=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/uplinkd-hooks-test.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# The stand-in: arguments on the first line, then the environment, one variable per line.
cat >"$work/uplinkctl" <<'STANDIN'
#!/bin/sh
{ echo "args: $*"; env; } >"$UPLINKD_TEST_RECORD"
exit "${UPLINKD_TEST_STATUS:-0}"
STANDIN
chmod +x "$work/uplinkctl"
for script in dhclient-exit-hook dhcpcd-hook udhcpc-script; do
	sed -e "s|@UPLINKCTL@|$work/uplinkctl|g" -e "s|@UDHCPC_SCRIPT@|$work/udhcpc-script|g" \
		"$source_dir/$script.in" >"$work/$script"
done
chmod +x "$work/udhcpc-script"
export UPLINKD_TEST_RECORD="$work/record"

recorded() { grep -qxF -- "$1" "$work/record" 2>/dev/null; }

# --- dhclient: sourced from inside functions that declare `local exit_status`, as Debian's script does.
test_dhclient() {
	cd "$work" || return
	rm -f "$work/record" "$work/PWNED"
	hostile='100.64.1.10$(touch PWNED)`touch PWNED`;touch PWNED'
	(
		reason=BOUND interface=eth1 new_ip_address="$hostile" new_routers='100.64.1.1 *'
		export reason interface new_ip_address new_routers
		run_hook() {
			local exit_status=0
			. "$work/dhclient-exit-hook"
			exit_status=$?
			[ "$exit_status" -eq 0 ] || echo "hook returned $exit_status"
			return "$exit_status"
		}
		exit_with_hooks() {
			local exit_status="$1"
			run_hook || exit 99
			exit "$exit_status"
		}
		exit_with_hooks 2
	)
	status=$?
	[ "$status" -eq 2 ] || fail "dhclient: dhclient-script's exit status became $status"
	recorded "args: hook --client dhclient" || fail "dhclient: uplinkctl was not called as expected"
	recorded "new_ip_address=$hostile" || fail "dhclient: new_ip_address did not reach uplinkctl verbatim"
	recorded "new_routers=100.64.1.1 *" || fail "dhclient: new_routers did not reach uplinkctl verbatim"
	[ ! -e "$work/PWNED" ] || fail "dhclient: a DHCP value was executed"

	# A failing uplinkctl must not fail dhclient.
	(
		export reason=EXPIRE interface=eth1 UPLINKD_TEST_STATUS=1
		. "$work/dhclient-exit-hook"
	)
	[ $? -eq 0 ] || fail "dhclient: a failing uplinkctl made the hook fail"
}

# --- dhcpcd: dhcpcd-run-hooks' variables may be set without being exported.
test_dhcpcd() {
	cd "$work" || return
	rm -f "$work/record" "$work/PWNED"
	(
		reason=BOUND interface=wwan0 protocol=dhcp pid=812 new_ip_address='10.20.30.40;touch PWNED'
		new_subnet_cidr=22 new_routers='10.20.28.1' unrelated=secret
		. "$work/dhcpcd-hook"
		[ $? -eq 0 ] || echo "hook failed"
		[ "$reason" = BOUND ] || echo "hook changed reason"
	) | grep . && fail "dhcpcd: the hook failed or changed a variable"
	recorded "args: hook --client dhcpcd" || fail "dhcpcd: uplinkctl was not called as expected"
	recorded "new_ip_address=10.20.30.40;touch PWNED" || fail "dhcpcd: new_ip_address was not exported verbatim"
	recorded "new_subnet_cidr=22" || fail "dhcpcd: new_subnet_cidr was not exported"
	recorded "protocol=dhcp" || fail "dhcpcd: protocol was not exported"
	recorded "unrelated=secret" && fail "dhcpcd: a variable uplinkctl does not need was exported"
	[ ! -e "$work/PWNED" ] || fail "dhcpcd: a DHCP value was executed"
}

# --- udhcpc, inside the namespace (this script re-runs itself under unshare -n).
test_udhcpc_in_namespace() {
	cd "$work" || return
	# A veth pair rather than a dummy: the dummy module is not loadable everywhere (containers).
	ip link add ulk0 type veth peer name ulk1 || { fail "udhcpc: cannot create an interface"; return; }
	ip link set dev ulk1 up
	export interface=ulk0 ip=192.0.2.77 subnet=255.255.255.128 mask=25 router='192.0.2.1 192.0.2.2'
	"$work/udhcpc-script" deconfig || fail "udhcpc: deconfig failed"
	recorded "args: hook --client udhcpc deconfig" || fail "udhcpc: uplinkctl not told of deconfig"
	"$work/udhcpc-script" bound || fail "udhcpc: bound failed"
	recorded "args: hook --client udhcpc bound" || fail "udhcpc: uplinkctl not told of bound"
	ip -4 -o addr show dev ulk0 | grep -q "inet 192.0.2.77/25 brd 192.0.2.127" || fail "udhcpc: address not set"
	ifindex=$(ip -o link show dev ulk0 | awk -F: '{ print $1 }')
	[ "$ifindex" -gt 0 ] || fail "udhcpc: no ifindex for ulk0"
	routes=$(ip -4 route show exact 0.0.0.0/0 dev ulk0)
	echo "$routes" | grep -q "^default via 192.0.2.1 proto dhcp metric $((1000 + 8 * ifindex))" ||
		fail "udhcpc: first default route missing: $routes"
	echo "$routes" | grep -q "^default via 192.0.2.2 proto dhcp metric $((1001 + 8 * ifindex))" ||
		fail "udhcpc: second default route missing: $routes"

	router='192.0.2.3' "$work/udhcpc-script" renew || fail "udhcpc: renew failed"
	routes=$(ip -4 route show exact 0.0.0.0/0 dev ulk0)
	[ "$(echo "$routes" | wc -l)" -eq 1 ] && echo "$routes" | grep -q "via 192.0.2.3" ||
		fail "udhcpc: routes after the routers changed: $routes"

	mask=32 subnet=255.255.255.255 router=198.51.100.1 "$work/udhcpc-script" renew || fail "udhcpc: /32 renew failed"
	ip -4 route show exact 0.0.0.0/0 dev ulk0 | grep -q "via 198.51.100.1 .*onlink" ||
		fail "udhcpc: no onlink route for a /32 lease"

	rm -f "$work/PWNED"
	router='$(touch PWNED) 192.0.2.1;touch PWNED' "$work/udhcpc-script" renew 2>/dev/null
	interface='ulk0;touch PWNED' "$work/udhcpc-script" bound 2>/dev/null && fail "udhcpc: a hostile interface name was accepted"
	[ ! -e "$work/PWNED" ] || fail "udhcpc: a DHCP value was executed"

	"$work/udhcpc-script" deconfig || fail "udhcpc: deconfig failed"
	[ -z "$(ip -4 -o addr show dev ulk0)" ] || fail "udhcpc: deconfig left addresses"
	[ -z "$(ip -4 route show exact 0.0.0.0/0 dev ulk0)" ] || fail "udhcpc: deconfig left default routes"
}

if [ "${2:-}" = --udhcpc-in-namespace ]; then
	# Refuse to run unless this really is a namespace of our own.
	[ "$(readlink /proc/self/ns/net)" != "$3" ] || exit 3
	test_udhcpc_in_namespace
	exit "$failures"
fi

test_dhclient
test_dhcpcd
own_namespace=$(readlink /proc/self/ns/net)
if unshare -n true 2>/dev/null; then
	unshare -n sh "$self" "$source_dir" --udhcpc-in-namespace "$own_namespace" || fail "udhcpc tests ($?)"
else
	echo "udhcpc part skipped: cannot create a network namespace" >&2
	[ "$failures" -eq 0 ] && exit 77
fi
[ "$failures" -eq 0 ] && echo "hook scripts: all passed"
exit "$failures"
