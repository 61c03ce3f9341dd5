#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proves the namespace harness without uplinkd: three ISPs with dnsmasq, a router with dhclient (wan1),
# dhcpcd (wan2) and udhcpc (wan3), leases, pings through each uplink, counters, a dhclient exit hook, a
# dnsmasq restart with a new range, the uplinkd launcher (with stand-in binaries), the netns guard — and
# that cleanup leaves nothing behind, on success and on every kind of failure (run as child scripts).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/netns.sh
source "$HERE/lib/netns.sh"

machine_state() { # the machine's own namespace, as far as tests could change it
  ip -br link | awk '{print $1, $2}' | sort
  ip rule
  ip route show table all
  ip -6 rule
  nft list ruleset 2>/dev/null | md5sum
  hostname
  md5sum /etc/resolv.conf
  ls -a /etc/dhcp /etc/dhcp/dhclient-exit-hooks.d /etc/dhcp/dhclient-enter-hooks.d
  ls -a /var/lib/dhcp /var/lib/dhcpcd 2>/dev/null
  ls -a /run/dhcpcd 2>/dev/null || true
}
before=$(machine_state)

# ---------------------------------------------------------------------------------------------------------
log "topology: isp1..3 with dnsmasq, router, inet, lan"
make_isp 1
make_isp 2
make_isp 3
make_lan
for role in router isp1 isp2 isp3 inet lan; do assert_in_test_netns "$role"; done

# A dhclient exit hook that records what it saw (and a variable handed in by the harness).
cat >"$H_TMP/record-hook" <<'EOF'
echo "$reason $interface $new_ip_address $new_routers $TEST_MARK" >>"$TEST_OUT"
EOF
add_dhclient_exit_hook router record "$H_TMP/record-hook" TEST_MARK=from-harness TEST_OUT="$H_TMP/hook.out"

start_dhclient router wan1
start_dhcpcd router wan2
write_udhcpc_script "$H_TMP/udhcpc-script"
start_udhcpc router wan3 "$H_TMP/udhcpc-script"

wait_for_address router wan1 100.64.1. --deadline 30
wait_for_address router wan2 100.64.2. --deadline 30
wait_for_address router wan3 100.64.3. --deadline 30
log "leases: wan1 $(address_of router wan1), wan2 $(address_of router wan2), wan3 $(address_of router wan3)"
for n in 1 2 3; do
  a=$(address_of router "wan$n")
  assert_contains "$(dnsmasq_leases "$n")" " ${a%/*} " "dnsmasq in isp$n lists the lease of wan$n"
  wait_for --deadline 10 --what "default route via $(isp_gw "$n") on wan$n" \
    eval '[ "$(default_gateway router "wan$n")" == "$(isp_gw "$n")" ]'
done

wait_for --deadline 10 --what "dhclient exit hook ran for BOUND" grep -q '^BOUND wan1 100.64.1.' "$H_TMP/hook.out"
assert_contains "$(cat "$H_TMP/hook.out")" "100.64.1.1 from-harness" "hook saw the router option and the harness variable"

# ---------------------------------------------------------------------------------------------------------
log "traffic: router -> each ISP gateway, router -> inet through each uplink"
for n in 1 2 3; do
  reset_isp_counters "$n"
  assert_ping router "wan$n" "$(isp_gw "$n")"
  assert_ge "$(isp_counter "$n" local)" 3 "isp$n received the pings to its gateway"
done
for n in 1 2 3; do
  for m in 1 2 3; do reset_isp_counters "$m"; done
  assert_ping router "wan$n" "$INET_ADDR" 4
  for m in 1 2 3; do
    if [ "$m" == "$n" ]; then
      assert_ge "$(isp_counter "$m" up)" 4 "pings bound to wan$n were forwarded by isp$n"
      assert_ge "$(isp_counter "$m" down)" 4 "replies came back through isp$n"
    else
      assert_eq 0 "$(isp_counter "$m" up)" "pings bound to wan$n must not pass isp$m"
    fi
  done
done
# inet sees the ISP's own address as the source (masquerade): it can tell the ISPs apart.
assert_contains "$(in_ns isp2 nft list table ip harness)" masquerade

log "traffic: 40 TCP flows router -> inet (main table: dhclient's metric-0 default via wan1)"
start_tcp_sink inet 5001
for m in 1 2 3; do reset_isp_counters "$m"; done
ok=$(tcp_flows router "$INET_ADDR" 5001 40)
assert_eq 40 "$ok" "connections accepted by the sink in inet"
# At least 40: under load a SYN may be retransmitted before the sink answers, and conntrack still calls it new.
assert_ge "$(isp_counter 1 tcpflows)" 40 "new TCP connections through isp1"
assert_ge "$(isp_counter 1 syn)" 40 "SYNs through isp1"
assert_eq "0 0" "$(isp_counter 2 flows) $(isp_counter 3 flows)" "flows through isp2 and isp3"

log "LAN host reaches the router"
assert_ping lan "" "$LAN_GW"

log "shaping"
shape_link isp1 rtr 2mbit
assert_contains "$(in_ns isp1 tc qdisc show dev rtr)" "tbf" "tbf on isp1/rtr"
assert_contains "$(in_ns isp1 tc qdisc show dev rtr)" "rate 2Mbit"
unshape_link isp1 rtr

# ---------------------------------------------------------------------------------------------------------
log "renumbering: dnsmasq in isp3 restarted with range .60-.69; udhcpc renews (SIGUSR1), gets a NAK, rebinds"
old3=$(address_of router wan3)
start_dnsmasq 3 --range 100.64.3.60,100.64.3.69
kill -USR1 "$(dhcp_client_pid router wan3)"
wait_for_address router wan3 100.64.3.6 --deadline 30
assert_ne "$old3" "$(address_of router wan3)" "wan3's address after the renumbering"
assert_eq 1 "$(ip -n "$(ns router)" -4 -o addr show dev wan3 | wc -l)" "wan3 keeps one address"

log "link down/up: isp1 cuts the cable, wan1 loses carrier"
link_down isp1 rtr
wait_for_carrier router wan1 down
link_up isp1 rtr
wait_for_carrier router wan1 up

# ---------------------------------------------------------------------------------------------------------
log "uplinkd launcher, with stand-in binaries (the real ones are not needed by this test)"
cat >"$H_TMP/fake-uplinkd" <<'EOF'
#!/bin/bash
# stand-in for uplinkd: checks the contract the harness promises, "listens" by creating the socket file
[ "$UPLINKD_REQUIRE_NETNS" == 1 ] || { echo "UPLINKD_REQUIRE_NETNS not set" >&2; exit 3; }
[ "$1" == -c ] || exit 2
sock=$(sed -n 's/^socket *= *"\(.*\)"/\1/p' "$2")
[ "$(stat -L -c %i /proc/self/ns/net)" != 4026531833 ] || { echo "in init_net" >&2; exit 4; }
trap 'rm -f "$sock"; echo "SIGTERM: bye"; exit 0' TERM
: >"$sock"
echo "fake uplinkd running in $(ip netns identify $$)"
while :; do sleep 0.1; done
EOF
cat >"$H_TMP/fake-uplinkctl" <<'EOF'
#!/bin/bash
[ "$1" == -s ] && [ -e "$2" ] || { echo "no socket $2" >&2; exit 1; }
echo "status: ok ($3)"
EOF
chmod 755 "$H_TMP/fake-uplinkd" "$H_TMP/fake-uplinkctl"
printf 'mode = "flow"\nsocket = "%s"\n' "$H_TMP/fake.sock" >"$H_TMP/fake.toml"
real_uplinkd=$UPLINKD_BIN real_uplinkctl=$UPLINKCTL_BIN
UPLINKD_BIN=$H_TMP/fake-uplinkd UPLINKCTL_BIN=$H_TMP/fake-uplinkctl
start_uplinkd router "$H_TMP/fake.toml"
assert_contains "$(uplinkctl_in router status)" "status: ok (status)"
assert_contains "$(cat "$(uplinkd_log router)")" "fake uplinkd running in $(ns router)"
stop_uplinkd router
assert_eq 0 "$(uplinkd_exit_status router)" "stand-in exit status after SIGTERM"
start_uplinkd router "$H_TMP/fake.toml"
kill9_uplinkd router
assert_eq 137 "$(uplinkd_exit_status router)" "exit status after SIGKILL"
UPLINKD_BIN=$real_uplinkd UPLINKCTL_BIN=$real_uplinkctl

# ---------------------------------------------------------------------------------------------------------
# Cleanup, proven with child scripts that succeed, fail in several ways, or are killed.
log "cleanup scenarios (child test scripts)"
child_lib=$HERE/lib/netns.sh
# write_child NAME full|light BODY — a child test script. "full" starts one of every kind of process the
# harness knows (dnsmasq ×2, dhclient, dhcpcd, udhcpc, a TCP sink) and waits for two leases; "light" only
# one ISP with dnsmasq and the sink.
write_child() {
  local name=$1 kind=$2 body=$3
  {
    echo '#!/usr/bin/env bash'
    echo 'set -euo pipefail'
    echo "source '$child_lib'"
    echo 'echo "$H_RUN_ID" >"$CHILD_ID_FILE"'
    if [ "$kind" == full ]; then
      echo 'make_isp 1; make_isp 2; make_lan; start_dhclient router wan1; start_dhcpcd router wan2'
      echo 'write_udhcpc_script "$H_TMP/u.sh"; start_udhcpc lan eth0 "$H_TMP/u.sh"   # no server: keeps trying'
      echo 'start_tcp_sink inet 5001; wait_for_address router wan1 100.64.1.; wait_for_address router wan2 100.64.2.'
    else
      echo 'make_isp 1; start_tcp_sink inet 5001'
      echo ':'
      echo ':'
    fi
    printf '%s\n' "$body"
  } >"$H_TMP/child-$name.sh"
}

# start_child NAME — run child NAME in the background (children run in parallel: their names differ).
declare -A child_pid=()
start_child() {
  local name=$1
  set -m   # job control on while starting it: otherwise bash starts background jobs with SIGINT ignored
  CHILD_ID_FILE=$H_TMP/child-$name.id H_PIDLOG=$H_TMP/child-$name.pids H_TEST_NAME=child-$name \
    bash "$H_TMP/child-$name.sh" >"$H_TMP/child-$name.out" 2>&1 &
  child_pid[$name]=$!
  set +m
}

# finish_child NAME [SIGNAL] — (send SIGNAL once the child waits, then) wait for it; sets child_rc,
# child_id, child_out.
finish_child() {
  local name=$1 signal=${2:-} pid=${child_pid[$1]}
  if [ -n "$signal" ]; then
    wait_for --deadline 60 --what "child $name to reach its wait" test -e "$H_TMP/child-$name.waiting"
    kill "-$signal" "$pid"
  fi
  child_rc=0
  wait "$pid" || child_rc=$?
  child_id=$(cat "$H_TMP/child-$name.id")
  child_out=$(cat "$H_TMP/child-$name.out")
  log "child $name ($child_id) exited $child_rc"
}

# assert_child_left_nothing NAME — no namespace, /etc/netns dir, temp dir or process of its run is left.
assert_child_left_nothing() {
  local name=$1 pid rest
  [ -n "$child_id" ] || fail "child $name did not report its run id"
  assert_eq "" "$(ls /run/netns 2>/dev/null | grep "^$child_id-" || true)" "namespaces left by child $name"
  assert_eq "" "$(ls /etc/netns 2>/dev/null | grep "^$child_id-" || true)" "/etc/netns dirs left by child $name"
  assert_eq "" "$(ls -d /tmp/uplinkd-it."$child_id".* 2>/dev/null || true)" "temp dir left by child $name"
  [ -s "$H_TMP/child-$name.pids" ] || fail "child $name recorded no pids"
  while read -r pid rest; do
    _h_alive "$pid" && fail "child $name left process $pid ($rest) running"
  done <"$H_TMP/child-$name.pids"
  local f args
  for f in /proc/[0-9]*/cmdline; do
    mapfile -d '' args <"$f" 2>/dev/null || continue
    [[ "${args[*]}" == *"$child_id"* ]] && fail "child $name left a process behind: $f: ${args[*]}"
  done
  return 0
}

write_child ok full 'pass'
write_child fail full 'fail "deliberate failure"'
write_child sigterm full ': >"${CHILD_ID_FILE%.id}.waiting"; wait_for --deadline 60 false; pass'
write_child sigint light ': >"${CHILD_ID_FILE%.id}.waiting"; wait_for --deadline 60 false; pass'
write_child errexit light 'false; pass'
write_child subshell light 'x=$(fail "inside a command substitution") || true; pass'
write_child nopass light 'exit 0'
write_child timeout light 'wait_for --deadline 0.3 --what "the impossible" false'
# The guard: pretend the router namespace were init_net; start_uplinkd must refuse before starting anything.
write_child guard light 'printf "#!/bin/sh\n: >%s\n" "/tmp/ran-$H_RUN_ID" >"$H_TMP/u"; chmod 755 "$H_TMP/u"
UPLINKD_BIN=$H_TMP/u UPLINKCTL_BIN=$H_TMP/u
printf "socket = \"%s\"\n" "$H_TMP/s" >"$H_TMP/c.toml"
H_INIT_NET_INO=$(stat -L -c %i "/run/netns/$(ns router)")
start_uplinkd router "$H_TMP/c.toml"
pass'
for c in ok fail sigterm sigint errexit subshell nopass timeout guard; do start_child "$c"; done

finish_child ok
assert_eq 0 "$child_rc" "exit status of a passing child"
assert_contains "$child_out" "PASS: child-ok"
assert_child_left_nothing ok

finish_child fail
assert_eq 1 "$child_rc" "exit status of a child that calls fail"
assert_contains "$child_out" "FAIL: deliberate failure"
assert_contains "$child_out" "FAIL: child-fail"
assert_contains "$child_out" "dnsmasq-isp1.log (last 25 lines)" "logs are shown on failure"
assert_child_left_nothing fail

finish_child sigterm TERM
assert_eq 143 "$child_rc" "exit status of a child killed by SIGTERM"
assert_contains "$child_out" "interrupted by SIGTERM"
assert_child_left_nothing sigterm

finish_child sigint INT
assert_eq 130 "$child_rc" "exit status of a child interrupted by SIGINT"
assert_child_left_nothing sigint

finish_child errexit
assert_ne 0 "$child_rc" "exit status of a child stopped by set -e"
assert_contains "$child_out" "FAIL: command exited 1 at child-errexit.sh:8: false"
assert_child_left_nothing errexit

finish_child subshell
assert_eq 1 "$child_rc" "a fail inside \$(…) still fails the test"
assert_contains "$child_out" "FAIL: child-subshell"
assert_child_left_nothing subshell

finish_child nopass
assert_eq 1 "$child_rc" "exit 0 without pass"
assert_contains "$child_out" "the test exited before calling pass"
assert_child_left_nothing nopass

finish_child timeout
assert_eq 1 "$child_rc"
assert_contains "$child_out" "timed out after 0.3s waiting for: the impossible"
assert_child_left_nothing timeout

finish_child guard
assert_eq 1 "$child_rc" "start_uplinkd in a namespace posing as init_net"
assert_contains "$child_out" "REFUSING: 'ip netns exec $child_id-router' runs in the machine's initial network namespace"
[ ! -e "/tmp/ran-$child_id" ] || { rm -f "/tmp/ran-$child_id"; fail "the guard let the binary run"; }
assert_child_left_nothing guard

# ---------------------------------------------------------------------------------------------------------
# The machine's own namespace and /etc are as they were (our own namespaces still exist at this point,
# and they are not part of the comparison).
after=$(machine_state)
assert_eq "$before" "$after" "the machine's links, rules, routes, nftables, hostname and DHCP files"
pass
