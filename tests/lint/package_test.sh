#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package holds what it should and behaves as docs/packaging.md says. Nothing of it is installed
# on this machine: the package is unpacked with dpkg-deb into a temp dir, and its maintainer scripts run
# in a mount namespace of their own with empty tmpfs over /etc, /run and /var/lib, and stand-ins for
# systemctl, deb-systemd-helper, deb-systemd-invoke, systemd-tmpfiles and uplinkd on PATH that only log.
#
# Checked: every file at its place with its mode and owner root, and no other file; the control fields
# (Version is the project's, Depends from dpkg-shlibdeps); conffiles are exactly the files under /etc; the
# unit does nothing without /etc/uplinkd/uplinkd.toml and the package ships none; the hooks call
# /usr/sbin/uplinkctl; the changelog's top entry is this version, gzipped -9n; copyright is DEP-5,
# GPL-2.0-or-later; the unpacked uplinkd and uplinkctl print the version. The maintainer scripts: a first
# installation enables and starts nothing; an upgrade try-restarts; removal stops the unit, then runs
# `uplinkd --flush` (with -c when the config exists) and fails only when a daemon still answers (exit 2);
# purge removes /var/lib/uplinkd and uplinkd's lines of rt_tables.d/uplinkd.conf, keeps others' lines and
# the admin's config. Then lintian: its full output is printed; an E: line fails, and so does a W: tag that
# docs/packaging.md does not explain. Before all that the test checks itself on broken copies of the
# package, which it must fail.
#
# Usage: package_test.sh DEB VERSION SOURCE_DIR. The .deb is scripts/package.sh's; when it is missing the
# test is skipped (77) rather than build it: that would be a second Release build in CI, and scripts/test.sh
# builds the package before ctest runs, so CI never skips. Root is needed for the maintainer scripts' mount
# namespace (CI runs as root); without it they are not run, and the test says so.
set -euo pipefail

# --- inside the mount namespace: run_scripts CONTROL_DIR STUB_DIR, prints one line per problem. ---------
if [ "${1:-}" = --scripts ]; then
	control=$2 stubs=$3
	mount -t tmpfs tmpfs /etc
	mount -t tmpfs tmpfs /run
	mount -t tmpfs tmpfs /var/lib
	export PATH=$stubs:/usr/sbin:/usr/bin:/sbin:/bin LOG=$stubs/calls
	# run SCRIPT ARGS... — the script's exit status; its calls to the stand-ins are in $LOG, one per line.
	run() {
		: >"$LOG"
		local status=0
		sh "$control/$1" "${@:2}" >"$stubs/out" 2>&1 || status=$?
		return $status
	}
	called() { grep -qx -- "$1" "$LOG"; }
	problem() { echo "$1 (calls: $(paste -sd';' "$LOG"); output: $(paste -sd' ' "$stubs/out"))"; }

	mkdir -p /run/systemd/system  # systemd is running, as far as the scripts can tell

	# A first installation: state recorded, units reloaded, nothing enabled or started.
	if ! DSH_INSTALLED=1 run postinst configure; then problem "postinst configure (first installation) failed"; fi
	grep -Eq '(^| )(enable|reenable|start|restart|try-restart)( |$)' "$LOG" &&
		problem "postinst enabled or started uplinkd on a first installation"
	called "deb-systemd-helper update-state uplinkd.service" ||
		problem "postinst did not record the unit's state (deb-systemd-helper update-state)"
	called "systemctl --system daemon-reload" || problem "postinst did not reload systemd's units"
	called "systemd-tmpfiles --create uplinkd.conf" || problem "postinst did not create the tmpfiles link"

	# An upgrade of an enabled unit: links renewed, the daemon restarted if it runs, nothing started.
	if ! DSH_INSTALLED=0 DSH_WAS_ENABLED=0 run postinst configure 0.0.9; then problem "postinst configure 0.0.9 failed"; fi
	called "deb-systemd-invoke try-restart uplinkd.service" || problem "postinst did not try-restart on upgrade"
	called "deb-systemd-helper enable uplinkd.service" ||
		problem "postinst did not keep the links of a unit that was enabled"
	grep -Eq '(^| )start( |$)' "$LOG" && problem "postinst started uplinkd on upgrade"

	# An upgrade of a unit the admin never enabled: it stays disabled.
	if ! DSH_INSTALLED=0 DSH_WAS_ENABLED=1 run postinst configure 0.0.9; then problem "postinst configure 0.0.9 failed"; fi
	called "deb-systemd-helper enable uplinkd.service" && problem "postinst enabled a unit the admin had not enabled"

	# Removal: stop, then flush; with the admin's config, its socket.
	if ! run prerm remove; then problem "prerm remove failed"; fi
	[ "$(cat "$LOG")" = "$(printf 'deb-systemd-invoke stop uplinkd.service\nuplinkd --flush')" ] ||
		problem "prerm remove did not stop the unit and then run uplinkd --flush"
	mkdir -p /etc/uplinkd && echo 'mode = "flow"' >/etc/uplinkd/uplinkd.toml
	run prerm remove || problem "prerm remove (with a config) failed"
	called "uplinkd --flush -c /etc/uplinkd/uplinkd.toml" || problem "prerm remove did not give uplinkd --flush the config"
	if UPLINKD_FLUSH_STATUS=2 run prerm remove; then problem "prerm remove went on while a daemon still answers"; fi
	UPLINKD_FLUSH_STATUS=1 run prerm remove || problem "prerm remove failed on a flush error other than a running daemon"
	run prerm upgrade || problem "prerm upgrade failed"
	[ ! -s "$LOG" ] || problem "prerm upgrade stopped or flushed something"

	# remove: runtime leftovers go. purge: state and uplinkd's table names; others' lines and the config stay.
	mkdir -p /run/uplinkd /var/lib/uplinkd /etc/iproute2/rt_tables.d
	ln -s uplinkd/uplinkd.sock /run/uplinkd.sock
	: >/run/uplinkd/uplinkd.sock
	run postrm remove || problem "postrm remove failed"
	{ [ -e /run/uplinkd ] || [ -L /run/uplinkd.sock ]; } && problem "postrm remove left /run/uplinkd or /run/uplinkd.sock"
	echo '{}' >/var/lib/uplinkd/state.json
	printf '200 uplinkd-cable # uplinkd\n300 mine\n1000 uplinkd-balance # uplinkd\n' >/etc/iproute2/rt_tables.d/uplinkd.conf
	run postrm purge || problem "postrm purge failed"
	[ -e /var/lib/uplinkd ] && problem "postrm purge left /var/lib/uplinkd"
	[ "$(cat /etc/iproute2/rt_tables.d/uplinkd.conf 2>&1)" = "300 mine" ] ||
		problem "postrm purge: rt_tables.d/uplinkd.conf should hold only '300 mine', has: $(cat /etc/iproute2/rt_tables.d/uplinkd.conf 2>&1)"
	[ -f /etc/uplinkd/uplinkd.toml ] || problem "postrm purge removed the admin's /etc/uplinkd/uplinkd.toml"
	called "deb-systemd-helper purge uplinkd.service" || problem "postrm purge did not purge the unit's links"
	printf '200 uplinkd-cable # uplinkd\n' >/etc/iproute2/rt_tables.d/uplinkd.conf
	run postrm purge || problem "postrm purge failed"
	[ -e /etc/iproute2/rt_tables.d/uplinkd.conf ] && problem "postrm purge left an rt_tables.d/uplinkd.conf with only uplinkd's lines"
	exit 0
fi

deb=${1:?usage: package_test.sh DEB VERSION SOURCE_DIR}
version=${2:?usage: package_test.sh DEB VERSION SOURCE_DIR}
source_dir=${3:?usage: package_test.sh DEB VERSION SOURCE_DIR}
if [ ! -f "$deb" ]; then
	echo "SKIP: no $deb; build it with scripts/package.sh (scripts/test.sh does, before ctest)"
	exit 77
fi
deb=$(realpath "$deb")
for tool in dpkg-deb dpkg-parsechangelog lintian pkg-config; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
unit_dir=$(pkg-config --variable=systemdsystemunitdir systemd)
unit_dir=${unit_dir#/}
scripts_run=0
if [ "$(id -u)" -eq 0 ] && unshare --mount --propagation private true 2>/dev/null; then scripts_run=1; fi

# Every file of the package: path, mode. Any other file is a failure too, so a new install() rule must be
# added here on purpose.
expected_files="\
etc/dhcp/dhclient-exit-hooks.d/uplinkd 644
etc/uplinkd/uplinkd.toml.example 644
$unit_dir/uplinkd.service 644
usr/lib/dhcpcd/dhcpcd-hooks/95-uplinkd 644
usr/lib/tmpfiles.d/uplinkd.conf 644
usr/lib/$multiarch/uplinkd/libuplinkd-exec.so 644
usr/libexec/uplinkd/radvd-deprecate 755
usr/libexec/uplinkd/udhcpc-script 755
usr/sbin/uplinkctl 755
usr/sbin/uplinkd 755
usr/share/bash-completion/completions/uplinkctl 644
usr/share/doc/uplinkd/NEWS.md.gz 644
usr/share/doc/uplinkd/README.md 644
usr/share/doc/uplinkd/changelog.gz 644
usr/share/doc/uplinkd/copyright 644
usr/share/man/man5/uplinkd.toml.5.gz 644
usr/share/man/man8/uplinkctl.8.gz 644
usr/share/man/man8/uplinkd.8.gz 644"

# check_package DEB — prints one line per problem, nothing when the package is good.
check_package() {
	local pkg=$1 dir root control stubs field expected actual path name
	dir=$(mktemp -d "$tmp/check.XXXXXX")
	root=$dir/root control=$dir/control stubs=$dir/stubs
	dpkg-deb -x "$pkg" "$root"
	dpkg-deb -e "$pkg" "$control"

	# Files, modes, owners.
	actual=$(cd "$root" && find . ! -type d -printf '%P %m\n' | sort)
	expected=$(sort <<<"$expected_files")
	[ "$actual" = "$expected" ] ||
		echo "files or modes differ from the list (< missing, > not expected): $(diff <(echo "$expected") <(echo "$actual") | grep '^[<>]' | paste -sd' ')"
	dpkg-deb -c "$pkg" | awk '$2 != "root/root" { print "not owned by root/root: " $6 }'

	# Control fields.
	for field in Package:uplinkd "Version:$version" "Architecture:$arch" Section:net Priority:optional; do
		actual=$(dpkg-deb -f "$pkg" "${field%%:*}")
		[ "$actual" = "${field#*:}" ] || echo "control field ${field%%:*} is '$actual', not '${field#*:}'"
	done
	[[ $(dpkg-deb -f "$pkg" Depends) == *libnftables1* ]] ||
		echo "Depends has no libnftables1 (dpkg-shlibdeps did not run?): $(dpkg-deb -f "$pkg" Depends)"
	[ -n "$(dpkg-deb -f "$pkg" Maintainer)" ] || echo "no Maintainer"

	# conffiles: exactly the files under /etc.
	expected=$(cd "$root" && find etc ! -type d -printf '/%p\n' | sort)
	actual=$(sort "$control/conffiles" 2>/dev/null || true)
	[ "$actual" = "$expected" ] || echo "conffiles ($(paste -sd' ' <<<"$actual")) are not the files under /etc ($(paste -sd' ' <<<"$expected"))"

	# What is inside the files.
	grep -qx 'ConditionPathExists=/etc/uplinkd/uplinkd.toml' "$root/$unit_dir/uplinkd.service" ||
		echo "the unit lacks ConditionPathExists=/etc/uplinkd/uplinkd.toml"
	[ ! -e "$root/etc/uplinkd/uplinkd.toml" ] || echo "the package ships /etc/uplinkd/uplinkd.toml: an example would re-route the router"
	for path in etc/dhcp/dhclient-exit-hooks.d/uplinkd usr/lib/dhcpcd/dhcpcd-hooks/95-uplinkd usr/libexec/uplinkd/udhcpc-script; do
		grep -q '"/usr/sbin/uplinkctl"' "$root/$path" || echo "$path does not call /usr/sbin/uplinkctl"
	done
	actual=$(gzip -dc "$root/usr/share/doc/uplinkd/changelog.gz" | dpkg-parsechangelog -l- -S Version 2>&1 || true)
	[ "$actual" = "$version" ] ||
		echo "changelog.gz's top entry is '$actual', not $version: add an entry to packaging/changelog"
	for name in usr/share/doc/uplinkd/changelog.gz usr/share/doc/uplinkd/NEWS.md.gz usr/share/man/man5/uplinkd.toml.5.gz \
		usr/share/man/man8/uplinkd.8.gz usr/share/man/man8/uplinkctl.8.gz; do
		[ -f "$root/$name" ] || continue
		gzip -t "$root/$name" 2>/dev/null || { echo "$name is not gzip"; continue; }
		# Bytes 4-7 of the gzip header are the time stamp: 0 with gzip -n.
		[ "$(od -An -tu4 -j4 -N4 "$root/$name" | tr -d ' ')" = 0 ] || echo "$name has a time stamp (gzip without -n)"
	done
	path=$root/usr/share/doc/uplinkd/copyright
	head -n1 "$path" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
		echo "copyright is not DEP-5 (first line: $(head -n1 "$path"))"
	grep -qx 'License: GPL-2.0-or-later' "$path" || echo "copyright names no License: GPL-2.0-or-later"
	grep -q '/usr/share/common-licenses/GPL-2' "$path" || echo "copyright does not point to /usr/share/common-licenses/GPL-2"
	for name in uplinkd uplinkctl; do
		actual=$("$root/usr/sbin/$name" --version 2>&1 || true)
		[ "$actual" = "$name $version" ] || echo "usr/sbin/$name --version printed '$actual', not '$name $version'"
	done

	# Maintainer scripts: POSIX sh with set -e, then what they do.
	for name in postinst prerm postrm; do
		[ -f "$control/$name" ] || { echo "no $name"; continue; }
		head -n1 "$control/$name" | grep -qx '#!/bin/sh' || echo "$name is not a #!/bin/sh script"
		grep -qx 'set -e' "$control/$name" || echo "$name has no 'set -e'"
		sh -n "$control/$name" 2>/dev/null || echo "$name: $(sh -n "$control/$name" 2>&1)"
		[ "$(stat -c %a "$control/$name")" = 755 ] || echo "$name's mode is $(stat -c %a "$control/$name"), not 755"
	done
	if [ "$scripts_run" -eq 1 ]; then
		mkdir -p "$stubs"
		for name in systemctl deb-systemd-helper deb-systemd-invoke systemd-tmpfiles uplinkd; do
			cat >"$stubs/$name" <<-EOF
				#!/bin/sh
				echo "$name \$*" >>"\$LOG"
				case "$name \$*" in
				"deb-systemd-helper debian-installed "*) exit "\${DSH_INSTALLED:-1}" ;;
				"deb-systemd-helper --quiet was-enabled "*) exit "\${DSH_WAS_ENABLED:-1}" ;;
				"uplinkd --flush"*) exit "\${UPLINKD_FLUSH_STATUS:-0}" ;;
				esac
				exit 0
			EOF
			chmod 755 "$stubs/$name"
		done
		unshare --mount --propagation private bash "$0" --scripts "$control" "$stubs" 2>&1 ||
			echo "the maintainer scripts' run failed"
	fi
}

# repack NAME COMMAND — a copy of the package as $tmp/NAME.deb, changed by COMMAND run in its unpacked tree
# (DEBIAN/ holds the control files).
repack() {
	local tree=$tmp/$1
	dpkg-deb -R "$deb" "$tree"
	(cd "$tree" && eval "$2")
	dpkg-deb --root-owner-group -b "$tree" "$tmp/$1.deb" >/dev/null
}

# must_fail NAME EXPECTED COMMAND — the checks must report EXPECTED on the copy that COMMAND broke.
must_fail() {
	local out
	repack "$1" "$3"
	out=$(check_package "$tmp/$1.deb")
	if [[ $out != *"$2"* ]]; then
		echo "FAIL: the checks missed a broken package ($1): expected '$2', got: ${out:-nothing}" >&2
		exit 1
	fi
	echo "self-check: $1 is caught: $(grep -F -- "$2" <<<"$out" | head -n1)"
}

must_fail enables-on-install "postinst enabled or started uplinkd on a first installation" \
	"sed -i 's/^set -e\$/set -e\ndeb-systemd-invoke start uplinkd.service/' DEBIAN/postinst"
must_fail no-flush "prerm remove did not stop the unit and then run uplinkd --flush" \
	"sed -i 's/uplinkd --flush \"\\\$@\"/true/' DEBIAN/prerm"
must_fail hook-not-conffile "conffiles" "sed -i '/dhclient/d' DEBIAN/conffiles"
must_fail ships-config "the package ships /etc/uplinkd/uplinkd.toml" \
	"cp etc/uplinkd/uplinkd.toml.example etc/uplinkd/uplinkd.toml"
must_fail no-man-page "usr/share/man/man8/uplinkd.8.gz" "rm usr/share/man/man8/uplinkd.8.gz"
[ "$scripts_run" -eq 1 ] || echo "NOTE: the maintainer scripts are only checked statically (running them needs root)"

echo "== $deb"
problems=$(check_package "$deb")
status=0
if [ -n "$problems" ]; then
	echo "$problems" | sed 's/^/FAIL: /' >&2
	status=1
fi

echo "== lintian --pedantic --display-info"
lintian_out=$(lintian --pedantic --display-info "$deb" 2>&1) || true
echo "$lintian_out"
if grep -q '^E: ' <<<"$lintian_out"; then
	echo "FAIL: lintian reports errors (E: above)" >&2
	status=1
fi
while read -r tag; do
	[ -n "$tag" ] || continue
	grep -qF -- "$tag" "$source_dir/docs/packaging.md" ||
		{ echo "FAIL: lintian warns $tag, which docs/packaging.md does not explain: fix it or explain it there" >&2; status=1; }
done < <(awk '/^W: / { print $3 }' <<<"$lintian_out" | sort -u)

[ "$status" -eq 0 ] && echo "PASS: $deb"
exit $status
