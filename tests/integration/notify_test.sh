#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd's view of uplinkd (Type=notify, issue 14 item 2), without systemd: the test listens on a
# NOTIFY_SOCKET of its own (a Unix datagram socket in its temp dir, one line per message) and gives uplinkd
# WATCHDOG_USEC=400000. It checks the messages and their order:
#  - READY=1 with a STATUS= summary once the first plan is in the kernel, and no other state message before;
#  - STATUS= follows the uplinks ("balancing over 2 of 2 uplinks" once both have leases);
#  - WATCHDOG=1 every 200 ms (half of WATCHDOG_USEC) from the event loop;
#  - RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a reload, a refused one included;
#  - STOPPING=1 at SIGTERM, the last state message.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"
source "$(dirname "$0")/lib/failover.sh"

make_isp 1
make_isp 2
# In the router's namespace like everything else (a Unix socket by path reaches across namespaces anyway).
NOTIFY_SOCK=$H_TMP/notify.sock
NOTIFY_LOG=$H_TMP/notify.log
# shellcheck disable=SC2016  # perl's own variables
spawn "notify listener" "$H_TMP/notify-listener.log" in_ns router perl -MIO::Socket::UNIX -MSocket -e '
  my $socket = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $ARGV[0]) or die "listen: $!\n";
  open(my $log, ">>", $ARGV[1]) or die "$ARGV[1]: $!\n";
  $log->autoflush(1);
  while (defined $socket->recv(my $message, 4096)) { $message =~ s/\n/ /g; print $log "$message\n" }' \
  "$NOTIFY_SOCK" "$NOTIFY_LOG"
wait_for --deadline 5 --what "the notify socket" test -S "$NOTIFY_SOCK"

# states — the messages other than WATCHDOG=1, in order.
states() { grep -v '^WATCHDOG=1$' "$NOTIFY_LOG" || true; }
watchdogs() { grep -c '^WATCHDOG=1$' "$NOTIFY_LOG" || true; }
last_state_is() { [[ $(states | tail -n 1) == "$1"* ]]; }
has_state() { states | grep -q "$1"; }

CONFIG=$H_TMP/uplinkd.toml
write_config "$CONFIG"
add_uplink "$CONFIG" 1 1
add_uplink "$CONFIG" 2 1
NOTIFY_SOCKET=$NOTIFY_SOCK WATCHDOG_USEC=400000 start_uplinkd router "$CONFIG"

log "READY=1 first"
wait_for --deadline 5 --what "READY=1" has_state '^READY=1'
assert_eq "READY=1 STATUS=no uplink usable for IPv4" "$(states | head -n 1)" "the first state message"

log "STATUS= follows the uplinks"
start_dhcpcd router wan1
start_dhcpcd router wan2
two_uplinks_up
wait_for --deadline 5 --what "STATUS= with both uplinks" last_state_is "STATUS=balancing over 2 of 2 uplinks"

log "WATCHDOG=1 every 200 ms"
before=$(watchdogs)
# A fixed span measured, not a wait for something to happen: how many pings fall into it.
sleep 2
pings=$(($(watchdogs) - before))
log "$pings watchdog pings in 2 s"
# Every 200 ms gives 10; systemd needs one per 400 ms (5), and more than 12 would be pings not paced by the
# timer. The bounds are the contract, not the machine's speed.
assert_between "$pings" 5 12 "WATCHDOG=1 messages in 2 s at WATCHDOG_USEC=400000"

log "RELOADING=1 and READY=1 around a reload"
uplinkctl_in router reload >/dev/null
wait_for --deadline 5 --what "READY=1 after the reload" last_state_is "READY=1 STATUS=balancing over 2 of 2 uplinks"
reload_pair=$(states | tail -n 2 | head -n 1)
[[ $reload_pair =~ ^RELOADING=1\ MONOTONIC_USEC=[0-9]+$ ]] || fail "the message before READY=1: '$reload_pair'"
count=$(states | wc -l)
echo "mode = \"nonsense\"" >>"$CONFIG"
uplinkctl_in router reload >/dev/null 2>&1 && fail "a bad config was reloaded"
wait_for --deadline 5 --what "two more state messages after a refused reload" \
  eval '[ "$(states | wc -l)" -ge $((count + 2)) ]'
assert_eq "RELOADING=1" "$(states | tail -n 2 | head -n 1 | cut -d' ' -f1)" "a refused reload begins with RELOADING=1"
assert_eq "READY=1 STATUS=balancing over 2 of 2 uplinks" "$(states | tail -n 1)" "and ends with READY=1, the old config going on"

log "STOPPING=1 at SIGTERM"
stop_uplinkd router
assert_eq "STOPPING=1" "$(states | tail -n 1)" "the last state message"
log "messages: $(states | cut -c1-60 | paste -sd'|')"
pass
