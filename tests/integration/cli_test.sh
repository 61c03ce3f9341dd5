#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uplinkctl's manners (issue 14, item 6), with the real binaries and a real daemon for the uplink names:
#  - `--version` of both binaries names the same version; every subcommand's `--help` exits 0 with its usage,
#    `hook --help` included (it used to report "bad arguments");
#  - global options are accepted after the subcommand (`uplinkctl hook -s SOCK`, as DHCP client configs
#    write it): the socket given there is the one used;
#  - bash completion (contrib/uplinkctl.bash-completion): subcommands, a subcommand's options, the DHCP
#    clients after --client, the running daemon's uplink names after drain, undrain, weight and exec, and
#    exec's command (a command name after --, then files).
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

COMPLETION=${UPLINKD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/contrib/uplinkctl.bash-completion

log "--version and --help"
daemon_version=$("$UPLINKD_BIN" --version)
ctl_version=$("$UPLINKCTL_BIN" --version)
[[ $daemon_version =~ ^uplinkd\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "uplinkd --version: '$daemon_version'"
assert_eq "uplinkctl ${daemon_version#uplinkd }" "$ctl_version" "uplinkctl --version"
for command in status plan reload call hook events drain undrain weight exec; do
  rc=0
  out=$("$UPLINKCTL_BIN" "$command" --help 2>&1) || rc=$?
  assert_eq 0 "$rc" "exit status of uplinkctl $command --help"
  assert_contains "$out" "Usage:" "uplinkctl $command --help"
  assert_not_contains "$out" "bad arguments" "uplinkctl $command --help"
done
assert_contains "$("$UPLINKCTL_BIN" hook --help)" "--client" "uplinkctl hook --help"

log "global options after the subcommand"
MISSING=$H_TMP/no-such.sock
rc=0
out=$("$UPLINKCTL_BIN" status -s "$MISSING" -t 1 2>&1) || rc=$?
assert_eq 2 "$rc" "exit status of status -s MISSING (cannot connect, not a usage error)"
assert_contains "$out" "$MISSING" "status -s after the subcommand uses that socket"
rc=0
out=$(env -i reason=BOUND interface=wan1 new_ip_address=100.64.1.23 new_subnet_mask=255.255.255.0 \
  new_routers=100.64.1.1 "$UPLINKCTL_BIN" hook --client dhclient \
  -s "$MISSING" 2>&1) || rc=$?
assert_eq 0 "$rc" "a hook always exits 0"
assert_contains "$out" "$MISSING" "hook -s after the subcommand uses that socket"

log "bash completion"
make_isp 1
make_isp 2
CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
add_uplink "$CONFIG" 2 1
start_uplinkd router "$CONFIG"
# complete WORD... — what the completion offers for the last WORD of `uplinkctl WORD...`, sorted, one line.
complete_words() {
  PATH="$(dirname "$UPLINKCTL_BIN"):$PATH" bash -c '
    source "$1"; shift
    COMP_WORDS=(uplinkctl "$@"); COMP_CWORD=$#
    _uplinkctl
    printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "' _ "$COMPLETION" "$@"
}
assert_eq "drain" "$(complete_words dr)" "completion of 'dr'"
assert_eq "undrain" "$(complete_words -s "$H_TMP/uplinkd.sock" un)" "completion of 'un' after a global option"
assert_eq "--json" "$(complete_words status --j)" "completion of status's options"
assert_eq "dhclient dhcpcd" "$(complete_words hook --client dh)" "completion of --client"
assert_eq "wan1 wan2" "$(complete_words -s "$H_TMP/uplinkd.sock" drain wan)" "uplink names from the running daemon"
assert_eq "wan2" "$(complete_words weight --socket "$H_TMP/uplinkd.sock" wan2)" "an uplink name after a global option"
assert_eq "" "$(complete_words -s "$H_TMP/uplinkd.sock" weight wan1 wan)" "no uplink name as weight's second argument"
assert_eq "exec" "$(complete_words exe)" "completion of 'exe'"
assert_eq "wan1 wan2" "$(complete_words -s "$H_TMP/uplinkd.sock" exec wan)" "exec: uplink names from the running daemon"
assert_eq "--" "$(complete_words -s "$H_TMP/uplinkd.sock" exec wan1 -)" "exec: -- after the uplink"
assert_eq "uplinkctl" "$(complete_words exec wan1 -- uplinkc)" "exec: a command name after --"
assert_eq "$H_TMP/uplinkd.toml" "$(complete_words exec wan1 -- cat "$H_TMP/uplinkd.to")" "exec: the command's arguments are files"
pass
