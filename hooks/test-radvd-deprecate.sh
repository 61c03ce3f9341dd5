#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Tests of radvd-deprecate on radvd configs in a temp dir, with a stand-in radvd (a shell that counts the
# SIGHUPs it gets): which blocks change for which uplink, family and state, that a restore gives back exactly
# the file that was there, that nothing changes (and radvd is not signalled) when nothing has to, and the
# usage errors. Nothing outside the temp dir is read or written.
# Usage: test-radvd-deprecate.sh HOOKS_SOURCE_DIR
#
# `A && B || fail`: fail is meant to run when either fails.
# shellcheck disable=SC2015
set -u
script=$(cd "$1" && pwd)/radvd-deprecate
work=$(mktemp -d /tmp/uplinkd-radvd-test.XXXXXX)
standin=
cleanup() {
	[ -z "$standin" ] || kill "$standin" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

conf=$work/radvd.conf
cat >"$conf" <<'EOF'
interface lan0 {
	AdvSendAdvert on;
	prefix 2001:db8:1:100::/64 {  # uplinkd: wan1
		AdvOnLink on;
		AdvPreferredLifetime 3600;
		AdvValidLifetime 7200;
	};
	prefix 2001:db8:10:100::/64 { # uplinkd: wan10
		AdvPreferredLifetime 1800;
	};
	prefix 2001:db8:2:100::/64 {	#uplinkd:wan2
	};
	prefix fd00:1::/64 {
		AdvPreferredLifetime 600;
	};
};
EOF
chmod 640 "$conf"
original=$(cat "$conf")

# The stand-in radvd: its pid in a pidfile, a line in $work/hups per SIGHUP.
: >"$work/hups"
sh -c 'trap "echo hup >>\"$1\"" HUP; while :; do sleep 0.05; done' _ "$work/hups" &
standin=$!
echo "$standin" >"$work/radvd.pid"

# run UPLINK FAMILY STATE [ARGS...] — the script as uplinkd runs it; its exit status in $rc.
run() {
	u=$1 f=$2 s=$3
	shift 3
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin UPLINKD_UPLINK="$u" UPLINKD_FAMILY="$f" UPLINKD_NEW_STATE="$s" \
		UPLINKD_OLD_STATE=x UPLINKD_INTERFACE="$u" sh "$script" "$@" >"$work/out" 2>&1
	rc=$?
}
hups_are() { # hups_are N — waits up to 2 s for the stand-in to have seen N signals
	i=0
	while [ "$(wc -l <"$work/hups")" -ne "$1" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(wc -l <"$work/hups")" -eq "$1" ]
}
block() { # block PREFIX — the lines of one prefix block
	awk -v p="$1" 'index($0, "prefix " p " ") { on = 1 } on { print } on && /};/ { exit }' "$conf"
}

run wan1 ipv6 down --config "$conf" --pidfile "$work/radvd.pid"
[ $rc -eq 0 ] || fail "deprecate wan1: exit $rc: $(cat "$work/out")"
block 2001:db8:1:100::/64 | grep -q 'AdvPreferredLifetime 0; # uplinkd: was 3600$' || fail "wan1 not deprecated: $(block 2001:db8:1:100::/64)"
block 2001:db8:1:100::/64 | grep -q 'AdvValidLifetime 7200;' || fail "wan1's valid lifetime changed"
block 2001:db8:10:100::/64 | grep -q 'AdvPreferredLifetime 1800;$' || fail "wan10 changed for wan1"
block fd00:1::/64 | grep -q 'AdvPreferredLifetime 600;$' || fail "an unmarked prefix changed"
[ "$(stat -c %a "$conf")" = 640 ] || fail "the file's mode changed to $(stat -c %a "$conf")"
hups_are 1 || fail "radvd got $(wc -l <"$work/hups") SIGHUPs, not 1"
for left in "$work"/.radvd-deprecate.*; do [ -e "$left" ] && fail "a temp file was left behind: $left"; done

run wan1 ipv6 down --config "$conf" --pidfile "$work/radvd.pid"
[ $rc -eq 0 ] || fail "deprecating twice: exit $rc"
block 2001:db8:1:100::/64 | grep -c 'AdvPreferredLifetime' | grep -qx 1 || fail "deprecating twice doubled the line"
hups_are 1 || fail "radvd was signalled although nothing changed"

run wan1 ipv4 active --config "$conf" --pidfile "$work/radvd.pid"
block 2001:db8:1:100::/64 | grep -q 'AdvPreferredLifetime 0;' || fail "an IPv4 change restored the IPv6 prefix"

# A block without AdvPreferredLifetime (radvd's default) gets one, and loses it again.
run wan2 ipv6 drained --config "$conf" --pidfile "$work/radvd.pid"
block 2001:db8:2:100::/64 | grep -q 'AdvPreferredLifetime 0; # uplinkd: was unset' || fail "wan2 not deprecated: $(block 2001:db8:2:100::/64)"
hups_are 2 || fail "radvd not signalled for wan2"

run wan1 ipv6 active --config "$conf" --pidfile "$work/radvd.pid"
# One at a time: two signals that arrive while the stand-in sleeps are delivered as one.
hups_are 3 || fail "radvd not signalled for restoring wan1"
run wan2 ipv6 standby --config "$conf" --pidfile "$work/radvd.pid"
[ "$(cat "$conf")" = "$original" ] || fail "restoring did not give back the original file: $(diff "$conf" - <<EOF
$original
EOF
)"
hups_are 4 || fail "radvd got $(wc -l <"$work/hups") SIGHUPs, not 4"

run wan3 ipv6 down --config "$conf" --pidfile "$work/radvd.pid"
[ $rc -eq 0 ] || fail "an uplink without a marked prefix: exit $rc"
[ "$(cat "$conf")" = "$original" ] || fail "an unknown uplink changed the file"

run wan1 ipv6 down --config "$conf" --pidfile "$work/nothing.pid"
[ $rc -eq 1 ] || fail "a missing pidfile: exit $rc, not 1"
grep -q "no radvd pid in $work/nothing.pid" "$work/out" || fail "a missing pidfile is not named: $(cat "$work/out")"
run wan1 ipv6 active --config "$conf"
[ $rc -eq 0 ] || fail "without --pidfile: exit $rc"

run wan1 ipv6 down --config "$work/missing.conf"
[ $rc -eq 1 ] && grep -q "missing.conf: no such file" "$work/out" || fail "a missing config: exit $rc, $(cat "$work/out")"
run wan1 ipv6 down
[ $rc -eq 2 ] || fail "no --config: exit $rc, not 2"
env -i sh "$script" --config "$conf" >"$work/out" 2>&1
[ $? -eq 2 ] && grep -q "run it as uplinkd's on_change" "$work/out" || fail "no environment: $(cat "$work/out")"

if [ $failures -ne 0 ]; then
	echo "$failures failed" >&2
	exit 1
fi
echo "radvd-deprecate: all checks passed"
