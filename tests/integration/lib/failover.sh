# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers for failover tests: packet streams that measure outages, a silent upstream, health queries, the
# event stream and on_change, conntrack snapshots and long-lived TCP connections. Source after
# uplinkd_test.sh:
#
#   source "$(dirname "$0")/lib/uplinkd_test.sh"
#   source "$(dirname "$0")/lib/failover.sh"
#
# Tools: $UDP_STREAM (default $PWD/tools/udp_stream: ctest runs the scripts from build/tests/integration).

[ -n "${_H_FAILOVER_SH:-}" ] && return 0
_H_FAILOVER_SH=1

UDP_STREAM=${UDP_STREAM:-$PWD/tools/udp_stream}

# require_udp_stream — fail clearly unless the udp_stream tool exists.
require_udp_stream() {
  [[ -x $UDP_STREAM ]] || fail "udp_stream not found at $UDP_STREAM (set UDP_STREAM, or run from build/tests/integration)"
}

# require_tools TOOL... — fail clearly unless each TOOL is there: udp_stream ($UDP_STREAM), conntrack (the
# judge of where connections are NATed), perl (TCP holders and servers, lib/echo.sh), curl, jq or promtool.
require_tools() {
  local tool
  for tool in "$@"; do
    case $tool in
      udp_stream) require_udp_stream ;;
      conntrack) command -v conntrack >/dev/null || fail "conntrack not found (package conntrack)" ;;
      perl) command -v perl >/dev/null || fail "perl not found (package perl-base)" ;;
      curl | jq) command -v "$tool" >/dev/null || fail "$tool not found (package $tool)" ;;
      promtool) command -v promtool >/dev/null || fail "promtool not found (package prometheus)" ;;
      *) fail "require_tools: unknown tool $tool" ;;
    esac
  done
}

# ---------------------------------------------------------------------------------------------------------
# The common topology: two masquerading DHCP uplinks

# setup_two_isps [UPLINK LINES...] — isp1 and isp2 (dnsmasq), the LAN host, and uplinkd started in the router
# with a config ($CONFIG = $H_TMP/uplinkd.toml) for wan1 and wan2: weight 1 each, masquerade, L4 hashing, and
# UPLINK LINES in each uplink's section.
setup_two_isps() {
  make_isp 1
  make_isp 2
  make_lan
  CONFIG=$H_TMP/uplinkd.toml
  write_config "$CONFIG" 'multipath_hash_policy = "l4"'
  add_uplink "$CONFIG" 1 1 "masquerade = true" "$@"
  add_uplink "$CONFIG" 2 1 "masquerade = true" "$@"
  start_uplinkd router "$CONFIG"
}

# two_uplinks_up — dhcpcd on the router's wan1 and wan2; waits for both addresses, the group of both and each
# uplink's table and rule; sets A1 and A2 to the uplinks' addresses.
two_uplinks_up() {
  start_dhcpcd router wan1
  start_dhcpcd router wan2
  wait_for_address router wan1 100.64.1.
  wait_for_address router wan2 100.64.2.
  wait_for --deadline 10 --what "group of wan1 and wan2" has_members router 1:1 2:1
  wait_for --deadline 10 --what "wan1's table and rule" uplink_table_ok router 1
  wait_for --deadline 10 --what "wan2's table and rule" uplink_table_ok router 2
  A1=$(uplink_address router wan1) A2=$(uplink_address router wan2)
}

# uplink_address ROLE IF — IF's IPv4 address, without the prefix length.
uplink_address() {
  local address
  address=$(address_of "$1" "$2")
  [ -n "$address" ] || fail "uplink_address: $2 in $1 has no address"
  echo "${address%/*}"
}

# ---------------------------------------------------------------------------------------------------------
# Packet streams (tools/udp_stream): FLOWS UDP flows, one 64-byte packet per flow per millisecond.

declare -A H_STREAM_SENDER=()    # stream name -> pid of the sender
declare -A H_STREAM_RECEIVER=()  # stream name -> pid of the receiver

# start_stream NAME FROM_ROLE TO_ROLE DST PORT FLOWS [FIRST_PORT] — a receiver in TO_ROLE on PORT (waits
# until it is ready), then a sender in FROM_ROLE: FLOWS flows to DST:PORT from source ports FIRST_PORT,
# FIRST_PORT+1, … (default 40000), one packet per flow every millisecond, until stop_stream NAME. A second
# stream with the same ports uses the same conntrack entries in the routers on the way, as long as they live
# (30 s for UDP without replies).
start_stream() {
  local name=$1 from=$2 to=$3 dst=$4 port=$5 flows=$6 first=${7:-40000}
  require_udp_stream
  [ -z "${H_STREAM_SENDER[$name]:-}" ] || fail "start_stream: stream $name runs already"
  local recv_log=$H_TMP/stream-$name-recv.log
  : >"$recv_log"
  spawn "udp_stream recv($name)" "$recv_log" in_ns "$to" "$UDP_STREAM" recv "$port"
  H_STREAM_RECEIVER[$name]=$H_SPAWNED_PID
  wait_for --deadline 5 --what "udp_stream receiver $name ready on $to:$port" _h_stream_ready "$name"
  # --seconds is a safety net: stop_stream ends it.
  spawn "udp_stream send($name)" "$H_TMP/stream-$name-send.log" \
    in_ns "$from" "$UDP_STREAM" send "$dst" "$port" --flows "$flows" --first-port "$first" --seconds 600
  H_STREAM_SENDER[$name]=$H_SPAWNED_PID
}

_h_stream_ready() {
  _h_alive "${H_STREAM_RECEIVER[$1]}" || fail "udp_stream receiver $1 exited: $(cat "$H_TMP/stream-$1-recv.log")"
  grep -qx ready "$H_TMP/stream-$1-recv.log"
}

# stop_stream NAME — stop the sender, then the receiver; the receiver's report is then in stream_report.
# Packets still in flight when the receiver stops are not counted as lost (loss is counted up to the last
# packet received).
stop_stream() {
  local name=$1
  [ -n "${H_STREAM_SENDER[$name]:-}" ] || fail "stop_stream: no stream $name"
  _h_alive "${H_STREAM_SENDER[$name]}" || fail "udp_stream sender $name died: $(cat "$H_TMP/stream-$name-send.log")"
  stop_pid "${H_STREAM_SENDER[$name]}"
  stop_pid "${H_STREAM_RECEIVER[$name]}"
  unset "H_STREAM_SENDER[$name]" "H_STREAM_RECEIVER[$name]"
  stream_report "$name" >/dev/null || fail "udp_stream receiver $name printed no report: $(cat "$H_TMP/stream-$name-recv.log")"
}

# stream_report NAME — the JSON report of a stopped stream:
#   {"flows":[{"flow", "received", "lost", "max_gap_ms", "max_gap_at_s", "out_of_order",
#              "paths":[{"from", "packets"}, …]}, …]}
# "paths" lists the source addresses in the order they changed; behind the test ISPs' masquerade the source
# names the ISP (isp_inet_addr N), so a flow that moved from isp1 to isp2 has two paths.
stream_report() { grep '^{' "$H_TMP/stream-$1-recv.log" | tail -n1 | grep .; }

# stream_flows NAME FILTER — the ids of the flows for which the jq FILTER (applied to one flow) is true, on
# one line, e.g. stream_flows s1 '.paths[0].from == "198.18.1.2"'.
stream_flows() { stream_report "$1" | jq -r "[.flows[] | select($2) | .flow] | map(tostring) | join(\" \")"; }

# stream_flow NAME ID — one flow's report, compact.
stream_flow() { stream_report "$1" | jq -c --argjson id "$2" '.flows[] | select(.flow == $id)'; }

# stream_summary NAME — one line per flow: "flow ID: paths A(N)>B(M) lost L max_gap G ms at S s".
stream_summary() {
  stream_report "$1" | jq -r '.flows[] | "flow \(.flow): paths \([.paths[] | "\(.from)(\(.packets))"] | join(">")) lost \(.lost) max_gap \(.max_gap_ms) ms at \(.max_gap_at_s) s"'
}

# predicted_uplink ROLE IIF SRC DST PROTO SPORT DPORT — the interface ROLE's routing would forward that flow
# out of (ip route get with the ports: the same multipath hash as a forwarded packet gets).
predicted_uplink() {
  ip -n "$(_h_ns "$1")" route get "$4" from "$3" iif "$2" ipproto "$5" sport "$6" dport "$7" |
    grep -o 'dev [a-z0-9]*' | head -n1 | cut -d' ' -f2
}

# spread_first_port ROLE IIF SRC DST PORT FLOWS IF_A IF_B [MIN] — the first source port P from 40000 up
# (in steps of FLOWS) for which at least MIN (default 2) of the UDP flows P..P+FLOWS-1 to DST:PORT would be
# forwarded out of IF_A and at least MIN out of IF_B. So a failover test always has flows on both uplinks
# (with 8 flows and equal weights, all on one uplink has a chance of 1 in 128).
spread_first_port() {
  local role=$1 iif=$2 src=$3 dst=$4 port=$5 flows=$6 a=$7 b=$8 min=${9:-2} first p on_a on_b out
  for ((first = 40000; first < 40000 + 20 * flows; first += flows)); do
    on_a=0 on_b=0
    for ((p = first; p < first + flows; p++)); do
      out=$(predicted_uplink "$role" "$iif" "$src" "$dst" udp "$p" "$port")
      [ "$out" == "$a" ] && on_a=$((on_a + 1))
      [ "$out" == "$b" ] && on_b=$((on_b + 1))
    done
    if [ $on_a -ge "$min" ] && [ $on_b -ge "$min" ]; then
      echo "$first"
      return 0
    fi
  done
  fail "spread_first_port: no port range spreads $flows flows over $a and $b"
}

# ---------------------------------------------------------------------------------------------------------
# Failures upstream

# blackhole_upstream N — ispN silently drops everything the router sends through it (a forward-hook chain
# dropping iifname "rtr"): the carrier stays up and the gateway itself still answers ARP and pings, but
# nothing gets beyond it — the failure only health probes to the internet can see.
blackhole_upstream() {
  in_ns "isp$1" nft -f - <<'NFT' || fail "blackhole_upstream $1"
table ip blackhole {
  chain forward {
    type filter hook forward priority 10; policy accept;
    iifname "rtr" drop
  }
}
NFT
}

# restore_upstream N — undo blackhole_upstream N.
restore_upstream() { in_ns "isp$1" nft delete table ip blackhole || fail "restore_upstream $1"; }

# ---------------------------------------------------------------------------------------------------------
# Health and state, from `uplinkctl status --json`

# uplink_json ROLE UPLINK — one uplink's status object, compact.
uplink_json() { status_json "$1" | jq -c --arg u "$2" '.uplinks[] | select(.name == $u)'; }

# health_state ROLE UPLINK — unconfigured, probing, up, degraded or down.
health_state() { status_json "$1" | jq -r --arg u "$2" '.uplinks[] | select(.name == $u) | .health.state'; }

# health_reason ROLE UPLINK — why the health is what it is, in the monitor's words.
health_reason() { status_json "$1" | jq -r --arg u "$2" '.uplinks[] | select(.name == $u) | .health.reason'; }

# in_group ROLE UPLINK — true if the uplink is in the balanced group (status's in_group).
in_group() { [ "$(uplink_field "$1" "$2" in_group)" == true ]; }

# health_is ROLE UPLINK STATE — true if the uplink's health state is STATE (for wait_for).
health_is() {
  local state
  state=$(health_state "$1" "$2")
  echo "health of $2: $state"
  [ "$state" == "$3" ]
}

# wait_health ROLE UPLINK STATE [DEADLINE] — wait until the uplink's health is STATE (default deadline 10 s).
wait_health() {
  wait_for --deadline "${4:-10}" --what "health of $2 in $1 to be $3" health_is "$1" "$2" "$3"
}

# wait_in_group ROLE UPLINK true|false [DEADLINE] — wait until status's in_group of the uplink is as asked.
wait_in_group() {
  wait_for --deadline "${4:-10}" --what "in_group of $2 in $1 to be $3" _h_in_group_is "$1" "$2" "$3"
}
_h_in_group_is() { [ "$(uplink_field "$1" "$2" in_group)" == "$3" ]; }

# uplink_states ROLE — "wan1=STATE wan2=STATE …" as status reports them (active, standby, drained, down).
uplink_states() { status_json "$1" | jq -r '[.uplinks[] | "\(.name)=\(.state)"] | join(" ")'; }

# health_states ROLE — "wan1=HEALTH wan2=HEALTH …" (unconfigured, probing, up, degraded, down).
health_states() { status_json "$1" | jq -r '[.uplinks[] | "\(.name)=\(.health.state)"] | join(" ")'; }

# states_are ROLE "wan1=… wan2=…" — true if uplink_states is that; prints what they are, for wait_for's message.
states_are() {
  local now
  now=$(uplink_states "$1")
  echo "$now"
  [ "$now" == "$2" ]
}

# healths_are ROLE "wan1=… wan2=…" — the same for health_states.
healths_are() {
  local now
  now=$(health_states "$1")
  echo "$now"
  [ "$now" == "$2" ]
}

# last_transition_ms ROLE UPLINK — when the uplink's last health transition happened (ms since the epoch).
last_transition_ms() {
  date -d "$(status_json "$1" | jq -r --arg u "$2" '.uplinks[] | select(.name == $u) | .health.transitions[-1].at')" \
    +%s%3N
}

# health_transitions ROLE UPLINK — the uplink's health transitions, one "FROM>TO: REASON" per line.
health_transitions() {
  status_json "$1" | jq -r --arg u "$2" '.uplinks[] | select(.name == $u) | .health.transitions[] | "\(.from)>\(.to): \(.reason)"'
}

# ---------------------------------------------------------------------------------------------------------
# The event stream and on_change

# start_event_log ROLE NAME — `uplinkctl events` in ROLE in the background, its lines in $H_TMP/events-NAME.log
# (path printed by event_log NAME). There is no replay, so call event_log_sync before the events of
# interest happen.
start_event_log() {
  local role=$1 name=$2
  : >"$(event_log "$name")"
  spawn "uplinkctl events($name)" "$(event_log "$name")" in_ns "$role" "$UPLINKCTL_BIN" \
    -s "${H_UPLINKD_SOCK[$(_h_ns "$role")]}" events
}

event_log() { echo "$H_TMP/events-$1.log"; }

# event_log_sync ROLE NAME UPLINK — make sure the events stream NAME is subscribed: the daemon publishes an
# operator event only for a change, so set UPLINK's weight one up and back (the group's weights change for a
# moment: do it before the traffic of interest) and wait for the second operator event.
event_log_sync() {
  local role=$1 name=$2 uplink=$3 weight
  weight=$(uplink_field "$role" "$uplink" weight)
  [[ $weight =~ ^[0-9]+$ ]] || fail "event_log_sync: no weight for $uplink"
  uplinkctl_in "$role" weight "$uplink" $((weight % 256 + 1)) >/dev/null
  uplinkctl_in "$role" weight "$uplink" "$weight" >/dev/null
  wait_for --deadline 5 --what "events stream $name subscribed (operator event for $uplink's weight $weight)" \
    _h_event_seen "$name" "$uplink" "$weight"
}

_h_event_seen() {
  jq -e -s --arg u "$2" --argjson w "$3" 'any(.[]; .event == "operator" and .uplink == $u and .weight == $w)' \
    "$(event_log "$1")" >/dev/null
}

# events_of NAME UPLINK [SKIP] — the events of UPLINK in stream NAME after its first SKIP lines, one
# "EVENT FROM>TO" per line (health and uplink events).
events_of() {
  tail -n +"$((${3:-0} + 1))" "$(event_log "$1")" |
    jq -r --arg u "$2" 'select(.uplink == $u and (.event == "health" or .event == "uplink")) | "\(.event) \(.from)>\(.to)"'
}

# write_change_recorder FILE OUT — an on_change program (a #!/bin/sh script, absolute path FILE) that appends
# "UPLINK OLD NEW REASON" to OUT for every change.
write_change_recorder() {
  local file=$1 out=$2
  cat >"$file" <<EOF
#!/bin/sh
# uplinkd test harness: on_change recorder (run by uplinkd without a shell, environment only UPLINKD_*, PATH)
echo "\$UPLINKD_UPLINK \$UPLINKD_OLD_STATE \$UPLINKD_NEW_STATE \$UPLINKD_REASON" >>'$out'
EOF
  chmod 755 "$file"
  : >"$out"
}

# ---------------------------------------------------------------------------------------------------------
# Conntrack (the judge of which connection is NATed where; `conntrack -L`, not the code under test)

# conntrack_entries ROLE [CONNTRACK-ARGS...] — ROLE's conntrack entries, sorted, one per line: "PROTO OSRC
# RDST TUPLES": the original source, the reply destination (where source NAT sent the connection: the original
# source unless NATed) and both tuples as `conntrack -L` prints them, without timeout, state or counters.
# CONNTRACK-ARGS go to `conntrack -L`: e.g. -o id adds the entry's id=N, so a replaced entry differs.
conntrack_entries() {
  in_ns "$1" conntrack -L "${@:2}" 2>/dev/null |
    awk '{
      n = 0; tuples = ""
      for (i = 2; i <= NF; i++) if ($i ~ /^(src|dst|sport|dport|type|code|id)=/) {
        tuples = tuples " " $i
        if ($i ~ /^(src|dst)=/) { split($i, kv, "="); address[++n] = kv[2] }
      }
      print $1, address[1], address[4] tuples
    }' | sort
}

# entries_from_to ENTRIES OSRC RDST — the entries from OSRC whose replies go to RDST.
entries_from_to() { awk -v s="$2" -v d="$3" '$2 == s && $3 == d' <<<"$1"; }

# entries_nated_to ENTRIES ADDRESS — the entries NATed to ADDRESS: replies go to it, the connection did not
# start there.
entries_nated_to() { awk -v a="$2" '$2 != a && $3 == a' <<<"$1"; }

# entries_proto ENTRIES PROTO — the entries of one protocol (tcp, udp, icmp).
entries_proto() { awk -v p="$2" '$1 == p' <<<"$1"; }

# entries_sports ENTRIES — the original source ports, sorted numerically, on one line.
entries_sports() {
  awk '{ for (i = 4; i <= NF; i++) if ($i ~ /^sport=/) { sub(/^sport=/, "", $i); print $i; break } }' <<<"$1" |
    sort -n | tr '\n' ' ' | sed 's/ $//'
}

# line_count TEXT — the number of lines (0 for an empty text).
line_count() { if [ -z "$1" ]; then echo 0; else wc -l <<<"$1"; fi; }

# ---------------------------------------------------------------------------------------------------------
# Long-lived TCP connections

# start_tcp_holder_server ROLE PORT — a server in ROLE that accepts every connection and keeps it open until
# the client closes it (perl; busybox nc forks per connection and drops SYNs under load).
start_tcp_holder_server() {
  local role=$1 port=$2
  spawn "tcp-holder-server($role:$port)" "$H_TMP/tcp-holder-server-$role-$port.log" in_ns "$role" \
    perl -MIO::Socket::INET -e '
      my $listener = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 256, ReuseAddr => 1) or die "listen: $@\n";
      my @connections;
      while (my $connection = $listener->accept) { push @connections, $connection }
    ' "$port"
  wait_for --deadline 5 --what "TCP holder server on $role:$port" _h_listening "$role" "$port"
}

# hold_tcp_connections ROLE NAME COUNT DST PORT — a process in ROLE that opens COUNT TCP connections to
# DST:PORT and keeps them open, idle, until it is stopped; its pid is in $H_HOLDER_PID.
hold_tcp_connections() {
  local role=$1 name=$2 count=$3 dst=$4 port=$5 ready=$H_TMP/tcp-hold-$2.ready
  spawn "tcp-hold($name)" "$H_TMP/tcp-hold-$name.log" in_ns "$role" perl -MIO::Socket::INET -e '
    my ($dst, $port, $count, $ready) = @ARGV;
    my @sockets;
    for my $i (1 .. $count) {
      push @sockets, IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port, Proto => "tcp", Timeout => 5)
        or die "connection $i: $@\n";
    }
    open(my $f, ">", "$ready.tmp") or die; print $f "ready\n"; close $f; rename("$ready.tmp", $ready) or die;
    sleep while 1;
  ' "$dst" "$port" "$count" "$ready"
  H_HOLDER_PID=$H_SPAWNED_PID
  wait_for --deadline 10 --what "$count TCP connections of $name" _h_holder_ready "$H_HOLDER_PID" "$name"
}

_h_holder_ready() {
  _h_alive "$1" || fail "TCP holder $2 exited: $(cat "$H_TMP/tcp-hold-$2.log")"
  [ -e "$H_TMP/tcp-hold-$2.ready" ]
}

# start_conntrack_destroy_log ROLE NAME — record ROLE's conntrack DESTROY events (`conntrack -E`) from now
# on; destroyed_entries NAME reads them. Waits until the listener has joined the event groups.
start_conntrack_destroy_log() {
  local role=$1 name=$2
  spawn "conntrack-destroy($role/$name)" "$H_TMP/conntrack-destroy-$name.log" in_ns "$role" conntrack -E -e DESTROY
  wait_for --deadline 5 --what "conntrack -E listening in $role" _h_conntrack_events_subscribed "$role"
}

_h_conntrack_events_subscribed() { # a NETLINK_NETFILTER (12) socket in ROLE has joined multicast groups
  in_ns "$1" awk '$2 == 12 && $4 != "00000000" { found = 1 } END { exit !found }' /proc/net/netlink
}

# destroyed_entries NAME [SKIP] — the entries whose DESTROY events log NAME recorded (after its first SKIP
# lines: see destroy_log_lines), in the form of conntrack_entries ("PROTO OSRC RDST TUPLES"), each followed
# by " by=userspace" (deleted by a netlink request, e.g. uplinkd's or conntrack -D) or " by=kernel" (timed
# out, or killed by the kernel itself).
destroyed_entries() {
  tail -n +"$((${2:-0} + 1))" "$H_TMP/conntrack-destroy-$1.log" | awk '$1 == "[DESTROY]" {
      n = 0; tuples = ""
      for (i = 3; i <= NF; i++) if ($i ~ /^(src|dst|sport|dport|type|code|id)=/) {
        tuples = tuples " " $i
        if ($i ~ /^(src|dst)=/) { split($i, kv, "="); address[++n] = kv[2] }
      }
      print $2, address[1], address[4] tuples, (index($0, "[USERSPACE]") ? "by=userspace" : "by=kernel")
    }' | sort
}

# destroy_log_lines NAME — how many lines the DESTROY events log NAME has now (for destroyed_entries' SKIP).
destroy_log_lines() { wc -l <"$H_TMP/conntrack-destroy-$1.log"; }
