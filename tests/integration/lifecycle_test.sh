#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reloads and stops. A good reload (uplinkctl reload or SIGHUP) changes the group's weights in place; a bad
# config file (out-of-range value, TOML syntax error, unknown key) is refused with its file:line:col, by
# `reload`, by SIGHUP, by `uplinkd --check` and by a second `uplinkd -c`, and changes nothing in the kernel.
# Table names written to the router's own rt_tables.d (under /etc/netns/NAME, bound over /etc/iproute2 by
# `ip netns exec`) work with `ip route show table NAME`. SIGTERM with on_exit = "flush" removes everything
# uplinkd owns and nothing else; with on_exit = "keep" everything stays and a restart adopts it unchanged,
# and `uplinkd --flush` (the package's prerm) then removes it: refused while the daemon still answers.
# A dhcp-lb file is only validated (--check): that format cannot carry `socket`, `rt_tables` or
# `state_file`, so a daemon started with one would use /run/uplinkd.sock, /etc/iproute2/rt_tables.d and
# /var/lib/uplinkd — paths outside the run's temp dir and /etc/netns/NAME, which tests must not write.
set -euo pipefail
source "$(dirname "$0")/lib/uplinkd_test.sh"

make_isp 1
make_isp 2
make_isp 3

# The router's own /etc/iproute2: a copy of the machine's (so nothing iproute2 reads there is lost), bound
# over /etc/iproute2 for every program started with `ip netns exec` in the router — uplinkd included, so
# this must exist before it starts.
etc=$(etc_netns router)
cp -a /etc/iproute2 "$etc/iproute2"
RT_TABLES=$etc/iproute2/rt_tables.d/uplinkd.conf
machine_rt_before=$(ls -la /etc/iproute2/rt_tables.d)

CONFIG=$H_TMP/uplinkd.toml
SOCK=$H_TMP/uplinkd.sock

# lc_config FILE W1 W2 W3 [TOP-LEVEL LINES...] — wan1..3 (tables 201..203) with these weights; masquerade
# on wan1, so that uplinkd's nft table exists too; table names go to the router's rt_tables.d.
lc_config() {
  local file=$1 w1=$2 w2=$3 w3=$4
  shift 4
  write_config "$file" "$@"
  sed -i "s|^rt_tables = .*|rt_tables = \"$RT_TABLES\"|" "$file"
  add_uplink "$file" 1 "$w1" "masquerade = true"
  add_uplink "$file" 2 "$w2"
  add_uplink "$file" 3 "$w3"
}

# rules_and_routes — uplinkd's rules and routes (not its nexthops, nor the group's members that ip prints
# under the balanced route): a weight change must leave them alone.
rules_and_routes() {
  ip -N -n "$(ns router)" rule | grep "proto $UPLINKD_PROTO" | sort
  ip -N -n "$(ns router)" route show table all proto $UPLINKD_PROTO | grep -v '^[[:space:]]*nexthop ' | sort
}

# weights — "name=weight" of every uplink, as status reports them.
weights() { status_json router | jq -r '[.uplinks[] | "\(.name)=\(.weight)"] | join(" ")'; }

# refused_count — how many times uplinkd logged a refused reload.
refused_count() { grep -c "reload refused" "$(uplinkd_log router)" || true; }

lc_config "$CONFIG" 1 3 2
start_uplinkd router "$CONFIG"
for n in 1 2 3; do start_dhcpcd router "wan$n"; done   # no hook: gateways come from dhcpcd's routes
for n in 1 2 3; do wait_for_address router "wan$n" "100.64.$n."; done
wait_for --deadline 10 --what "group of wan1:1 wan2:3 wan3:2" has_members router 1:1 2:3 3:2
wait_for --deadline 5 --what "uplinkd's nft table" in_ns router nft list table inet uplinkd
assert_converged router

log "table names in the router's rt_tables.d"
wait_for --deadline 5 --what "201 uplinkd-wan1 in $RT_TABLES" grep -qx "201 uplinkd-wan1 # uplinkd" "$RT_TABLES"
table_by_name=$(in_ns router ip route show table uplinkd-wan1)
assert_contains "$table_by_name" "default nhid $(uplink_nh 201) via $(isp_gw 1) dev wan1" \
  "ip route show table uplinkd-wan1 (by name)"
assert_contains "$(in_ns router ip route show table uplinkd-balance)" "default nhid $GROUP_FLOW" \
  "ip route show table uplinkd-balance (by name)"
assert_eq "$machine_rt_before" "$(ls -la /etc/iproute2/rt_tables.d)" "the machine's rt_tables.d is untouched"

log "good reload with uplinkctl: weights change in place"
kept=$(rules_and_routes)
lc_config "$CONFIG" 2 2 5
out=$(uplinkctl_in router reload) || fail "uplinkctl reload of a good config failed: $out"
assert_eq "reloaded $CONFIG" "$out" "uplinkctl reload's answer"
wait_for --deadline 5 --what "group of wan1:2 wan2:2 wan3:5 after reload" has_members router 1:2 2:2 3:5
assert_eq "wan1=2 wan2=2 wan3=5" "$(weights)" "status shows the new weights"
assert_eq "$kept" "$(rules_and_routes)" "a weight change leaves uplinkd's rules and routes as they were"
assert_no_duplicates router
assert_converged router

log "good reload with SIGHUP"
lc_config "$CONFIG" 4 1 1
kill -HUP "$(uplinkd_pid router)"
wait_for --deadline 5 --what "group of wan1:4 wan2:1 wan3:1 after SIGHUP" has_members router 1:4 2:1 3:1
wait_for --deadline 5 --what "status to show the new weights" eval '[ "$(weights)" == "wan1=4 wan2=1 wan3=1" ]'
assert_eq "$kept" "$(rules_and_routes)" "SIGHUP leaves uplinkd's rules and routes as they were"
assert_no_duplicates router
assert_converged router
cp "$CONFIG" "$H_TMP/good.toml"
everything=$(owned_objects router)
status_before=$(status_settled router)

# bad_config KIND FILE [SOCKET] — FILE becomes the good config (socket SOCKET, default ours) spoilt one way;
# prints the expected "FILE:LINE:" of the problem and, after a space, the expected column (or a regex).
bad_config() {
  local kind=$1 file=$2 sock=${3:-$SOCK} line
  lc_config "$file" 4 1 1
  sed -i "s|^socket = .*|socket = \"$sock\"|" "$file"
  case $kind in
    weight)   # wan2's weight out of range
      sed -i '/interface = "wan2"/,/weight/ s/^weight = 1$/weight = 300/' "$file"
      line=$(grep -n '^weight = 300$' "$file" | cut -d: -f1)
      echo "$file:$line: 10" ;;
    syntax)   # the third [[uplink]] header lacks a bracket
      line=$(grep -n '^\[\[uplink\]\]$' "$file" | sed -n 3p | cut -d: -f1)
      sed -i "${line}s/.*/[[uplink]/" "$file"
      echo "$file:$line: [0-9]+" ;;
    unknown)  # a misspelt key in the second [[uplink]]
      sed -i '/interface = "wan2"/a wieght = 2' "$file"
      line=$(grep -n '^wieght = 2$' "$file" | cut -d: -f1)
      echo "$file:$line: 1" ;;
  esac
  [ -n "$line" ] || fail "bad_config $kind: could not spoil $file"
}

for kind in weight syntax unknown; do
  log "bad config ($kind): uplinkctl reload refuses it, nothing changes"
  read -r prefix column < <(bad_config "$kind" "$CONFIG")
  rc=0
  err=$(uplinkctl_in router reload 2>&1 >/dev/null) || rc=$?
  assert_ne 0 "$rc" "uplinkctl reload of a bad config ($kind) exits non-zero"
  [[ $err =~ ^uplinkctl:\ ${prefix}${column}:\  ]] ||
    fail "reload ($kind): expected 'uplinkctl: $prefix$column: …', got: $err"
  case $kind in
    weight) assert_contains "$err" "weight 300 is out of range" ;;
    syntax) assert_contains "$err" "invalid TOML" ;;
    unknown) assert_contains "$err" "unknown key \"wieght\"" ;;
  esac
  assert_contains "$err" "the running config stays in force" "reload ($kind) says the old config stays"
  assert_eq "$everything" "$(owned_objects router)" "a refused reload ($kind) changes no kernel object"
  assert_eq "$status_before" "$(status_settled router)" "a refused reload ($kind) leaves the status as it was"
  has_members router 1:4 2:1 3:1 || fail "the group changed after a refused reload ($kind)"

  log "bad config ($kind): SIGHUP refuses it, nothing changes"
  # shellcheck disable=SC2034  # read by the eval below
  refused=$(refused_count)
  kill -HUP "$(uplinkd_pid router)"
  wait_for --deadline 5 --what "'reload refused' in uplinkd's log after SIGHUP ($kind)" \
    eval '[ "$(refused_count)" -gt "$refused" ]'
  assert_contains "$(grep "reload refused" "$(uplinkd_log router)" | tail -n1)" "$prefix" \
    "the log names where the problem is"
  _h_alive "$(uplinkd_pid router)" || fail "uplinkd died after SIGHUP with a bad config ($kind)"
  assert_eq "$everything" "$(owned_objects router)" "a refused SIGHUP ($kind) changes no kernel object"
  assert_eq "$status_before" "$(status_settled router)" "a refused SIGHUP ($kind) leaves the status as it was"

  log "bad config ($kind): uplinkd --check and a second uplinkd -c refuse it"
  rc=0
  err=$(in_ns router "$UPLINKD_BIN" --check -c "$CONFIG" 2>&1) || rc=$?
  assert_ne 0 "$rc" "uplinkd --check of a bad config ($kind) exits non-zero"
  [[ $err =~ ^${prefix}${column}:\  ]] || fail "--check ($kind): expected '$prefix$column: …', got: $err"

  second=$H_TMP/second-$kind.toml
  second_sock=$H_TMP/second-$kind.sock
  read -r prefix column < <(bad_config "$kind" "$second" "$second_sock")
  assert_in_test_netns router   # the same guard as start_uplinkd's, before any uplinkd runs
  rc=0
  # timeout is only a deadline in case it wrongly starts (it should exit at once); 124 would be that case.
  err=$(in_ns router env UPLINKD_REQUIRE_NETNS=1 timeout 10 "$UPLINKD_BIN" -c "$second" 2>&1) || rc=$?
  assert_ne 0 "$rc" "a second uplinkd with a bad config ($kind) refuses to start"
  assert_ne 124 "$rc" "a second uplinkd with a bad config ($kind) ran until killed"
  [[ $err =~ ^${prefix}${column}:\  ]] || fail "uplinkd -c ($kind): expected '$prefix$column: …', got: $err"
  [ ! -e "$second_sock" ] || fail "the refused second uplinkd created its socket $second_sock"
  assert_eq "$everything" "$(owned_objects router)" "a refused second uplinkd ($kind) changes no kernel object"
done
cp "$H_TMP/good.toml" "$CONFIG"
out=$(in_ns router "$UPLINKD_BIN" --check -c "$CONFIG") || fail "uplinkd --check of the good config failed: $out"
assert_eq "$CONFIG: OK, 3 uplinks, mode flow" "$out" "uplinkd --check of the good config"
assert_eq "$status_before" "$(status_settled router)" "after all refusals the status is as before"
assert_converged router
assert_eq "$everything" "$(owned_objects router)" "after all refusals the kernel is as before"

log "dhcp-lb format: --check only (it cannot name a socket, rt_tables or state file in the test's dirs)"
DHCP_LB=$H_TMP/dhcp-lb
cat >"$DHCP_LB" <<'EOF'
# interface routing-table table-id weight
wan1 table-wan1 201 1
wan2	table-wan2  202 3   # the cable line
wan3 table-wan3 203 2
EOF
out=$(in_ns router "$UPLINKD_BIN" --check -c "$DHCP_LB") || fail "uplinkd --check of a dhcp-lb file failed: $out"
assert_eq "$DHCP_LB: OK, 3 uplinks, mode flow" "$out" "uplinkd --check of a dhcp-lb file"
printf 'wan1 table-wan1 201 1\nwan2 table-wan2 2x2 3\n' >"$H_TMP/dhcp-lb-bad"
rc=0
err=$(in_ns router "$UPLINKD_BIN" --check -c "$H_TMP/dhcp-lb-bad" 2>&1) || rc=$?
assert_ne 0 "$rc" "uplinkd --check of a bad dhcp-lb file exits non-zero"
[[ $err == "$H_TMP/dhcp-lb-bad:2:17: table id \"2x2\" is not a number"* ]] ||
  fail "--check of a bad dhcp-lb file: expected '$H_TMP/dhcp-lb-bad:2:17: table id …', got: $err"
printf 'wan1 table-wan1 201\n' >"$H_TMP/dhcp-lb-short"
rc=0
err=$(in_ns router "$UPLINKD_BIN" --check -c "$H_TMP/dhcp-lb-short" 2>&1) || rc=$?
assert_ne 0 "$rc" "uplinkd --check of a dhcp-lb line with three fields exits non-zero"
[[ $err == "$H_TMP/dhcp-lb-short:1:"* ]] || fail "--check of a short dhcp-lb line: expected '$H_TMP/dhcp-lb-short:1:…', got: $err"

log "SIGTERM with on_exit = \"flush\" (the default): everything uplinkd owns goes, nothing else"
main_defaults=$(ip -n "$(ns router)" route show default)
assert_eq 3 "$(grep -c 'proto dhcp' <<<"$main_defaults")" "dhcpcd's three default routes in main"
stop_uplinkd router
assert_eq 0 "$(uplinkd_exit_status router)" "uplinkd's exit status after SIGTERM"
netns=$(ns router)
assert_eq "" "$(ip -N -n "$netns" rule | grep "proto $UPLINKD_PROTO" || true)" "no rule of uplinkd's is left"
assert_eq "" "$(ip -N -n "$netns" route show table all proto $UPLINKD_PROTO)" "no route of uplinkd's is left"
assert_eq 0 "$(ip -n "$netns" -j nexthop show | jq --argjson lo $((0x75000000)) --argjson hi $((0x75ffffff)) \
  '[.[] | select(.id >= $lo and .id <= $hi)] | length')" "no nexthop in uplinkd's id range is left"
assert_eq "" "$(ip -N -n "$netns" nexthop | grep "proto $UPLINKD_PROTO" || true)" "no nexthop of uplinkd's is left"
if in_ns router nft list table inet uplinkd >/dev/null 2>&1; then fail "the nft table inet uplinkd is left"; fi
assert_eq "" "$(owned_objects router)" "owned_objects is empty"
assert_eq "$main_defaults" "$(ip -n "$netns" route show default)" "dhcpcd's default routes in main are untouched"

log "on_exit = \"keep\": SIGTERM leaves everything, a restart adopts it"
lc_config "$CONFIG" 1 3 2 'on_exit = "keep"'
start_uplinkd router "$CONFIG"
wait_for --deadline 10 --what "group of wan1:1 wan2:3 wan3:2" has_members router 1:1 2:3 3:2
wait_for --deadline 5 --what "uplinkd's nft table" in_ns router nft list table inet uplinkd
assert_converged router
kept_all=$(owned_objects router)
stop_uplinkd router
assert_eq 0 "$(uplinkd_exit_status router)" "uplinkd's exit status after SIGTERM (keep)"
assert_eq "$kept_all" "$(owned_objects router)" "on_exit = \"keep\" leaves every object in place"
assert_contains "$(in_ns router ip route show table uplinkd-wan1)" "default nhid $(uplink_nh 201)" \
  "wan1's table is still there (by name) after the stop"
start_uplinkd router "$CONFIG"
wait_for --deadline 10 --what "group of wan1:1 wan2:3 wan3:2 after the restart" has_members router 1:1 2:3 3:2
wait_for --deadline 5 --what "converged after the restart" eval '[ "$(status_json router | jq -r .converged)" == true ]'
assert_no_duplicates router
assert_eq "$kept_all" "$(owned_objects router)" "the restart adopted the kept objects unchanged"
assert_converged router

log "uplinkd --flush: refused while the daemon answers; after a stop with on_exit = \"keep\" it removes all of it"
rc=0
out=$(in_ns router env UPLINKD_REQUIRE_NETNS=1 "$UPLINKD_BIN" --flush -c "$CONFIG" 2>&1) || rc=$?
assert_eq 2 "$rc" "uplinkd --flush's exit status while the daemon runs"
assert_contains "$out" "a daemon answers on $SOCK" "uplinkd --flush names the running daemon's socket"
assert_eq "$kept_all" "$(owned_objects router)" "a refused --flush changes nothing"
stop_uplinkd router
assert_eq "$kept_all" "$(owned_objects router)" "on_exit = \"keep\" left every object in place again"
out=$(in_ns router env UPLINKD_REQUIRE_NETNS=1 "$UPLINKD_BIN" --flush -c "$CONFIG" 2>&1) ||
  fail "uplinkd --flush after the stop failed: $out"
[[ $out =~ ^uplinkd:\ removed\ [1-9][0-9]*\ kernel\ objects$ ]] || fail "uplinkd --flush said: $out"
assert_eq "" "$(owned_objects router)" "uplinkd --flush leaves nothing of uplinkd's (rules, routes, nexthops, nft)"
assert_eq "$main_defaults" "$(ip -n "$netns" route show default)" "dhcpcd's default routes in main are untouched"
out=$(in_ns router env UPLINKD_REQUIRE_NETNS=1 "$UPLINKD_BIN" --flush 2>&1) ||
  fail "uplinkd --flush with nothing to remove failed: $out"
assert_eq "uplinkd: removed 0 kernel objects" "$out" "a second uplinkd --flush (no -c) finds nothing"
assert_eq "$machine_rt_before" "$(ls -la /etc/iproute2/rt_tables.d)" "the machine's rt_tables.d is untouched"
pass
