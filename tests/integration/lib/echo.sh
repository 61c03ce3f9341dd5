# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Long-lived TCP connections that can prove they still work: an echo server (perl) and a holder that keeps
# connections to it open and, when asked, writes a byte on each and counts the echoes; and which uplink
# address conntrack has NATed each held connection to. Source after uplinkd_test.sh:
#
#   source "$(dirname "$0")/lib/uplinkd_test.sh"
#   source "$(dirname "$0")/lib/echo.sh"
#
# Needs perl (perl-base) and, for held_nat, conntrack.

[ -n "${_H_ECHO_SH:-}" ] && return 0
_H_ECHO_SH=1

declare -A H_ECHO_HOLDER=()      # holder name -> pid
declare -A H_ECHO_HOLDER_DST=()  # holder name -> "DST PORT"

# start_echo_server ROLE PORT — a server in ROLE on PORT, IPv4 and IPv6: every connection stays open until the
# client closes it, and what arrives is sent back. Waits until it listens.
start_echo_server() {
  local role=$1 port=$2
  # shellcheck disable=SC2016  # perl's own variables
  spawn "echo server($role:$port)" "$H_TMP/echo-server-$role-$port.log" in_ns "$role" perl -MIO::Socket::IP -MIO::Select -e '
    my $listener = IO::Socket::IP->new(LocalHost => "::", LocalPort => $ARGV[0], Listen => 64, ReuseAddr => 1,
                                       V6Only => 0) or die "listen: $@\n";
    my $select = IO::Select->new($listener);
    while (1) {
      for my $socket ($select->can_read) {
        if ($socket == $listener) { $select->add($listener->accept); next }
        my $n = sysread($socket, my $data, 4096);
        if ($n) { syswrite($socket, $data) } else { $select->remove($socket); close $socket }
      }
    }
  ' "$port"
  wait_for --deadline 5 --what "echo server on $role:$port" _h_listening "$role" "$port"
}

# start_echo_holder ROLE NAME COUNT DST PORT — a process in ROLE that opens COUNT TCP connections to the echo
# server DST:PORT (an IPv4 or IPv6 address) and keeps them open, idle; waits until they are. echo_all NAME makes them echo, held_nat
# NAME says where conntrack NATed them.
start_echo_holder() {
  local role=$1 name=$2 count=$3 dst=$4 port=$5 file=$H_TMP/echo-holder-$2
  [ -z "${H_ECHO_HOLDER[$name]:-}" ] || fail "start_echo_holder: holder $name runs already"
  : >"$file.echoed"
  # The file lists the connections' source ports. On SIGUSR1 the holder writes a byte on each, waits up to 5 s
  # in all for the echoes, and appends "echoed K" to the .echoed file.
  # shellcheck disable=SC2016  # perl's own variables
  spawn "echo holder($name)" "$file.log" in_ns "$role" perl -MIO::Socket::IP -MIO::Select -MTime::HiRes=time -e '
    my ($dst, $port, $count, $file) = @ARGV;
    my @sockets;
    for my $i (1 .. $count) {
      push @sockets, IO::Socket::IP->new(PeerHost => $dst, PeerPort => $port, Proto => "tcp", Timeout => 5)
        or die "connection $i: $@\n";
    }
    $SIG{PIPE} = "IGNORE";
    $SIG{USR1} = sub {
      my $waiting = IO::Select->new(grep { defined syswrite($_, "x") } @sockets);
      my ($echoed, $end) = (0, time + 5);
      while ($waiting->count && time < $end) {
        for my $socket ($waiting->can_read($end - time)) {
          my $n = sysread($socket, my $data, 1);
          $echoed++ if $n && $data eq "x";
          $waiting->remove($socket);
        }
      }
      open(my $f, ">>", "$file.echoed") or die; print $f "echoed $echoed\n"; close $f;
    };
    open(my $f, ">", "$file.tmp") or die; print $f join("\n", map { $_->sockport } @sockets), "\n"; close $f;
    rename("$file.tmp", $file) or die;
    # Not pause(): a signal that lands between the check for pending signals and pause() is not seen
    # until the next one (the classic lost wake-up). A short select() bounds that to 0.1 s.
    select(undef, undef, undef, 0.1) while 1;
  ' "$dst" "$port" "$count" "$file"
  H_ECHO_HOLDER[$name]=$H_SPAWNED_PID
  H_ECHO_HOLDER_DST[$name]="$dst $port"
  wait_for --deadline 10 --what "$count long-lived connections of $name" _h_echo_holder_ready "$name"
}

_h_echo_holder_ready() {
  _h_alive "${H_ECHO_HOLDER[$1]}" || fail "echo holder $1 exited: $(cat "$H_TMP/echo-holder-$1.log")"
  [ -e "$H_TMP/echo-holder-$1" ]
}

# echo_all NAME — signal the holder and wait for its report; prints how many of its connections echoed.
echo_all() {
  local file=$H_TMP/echo-holder-$1 before
  [ -n "${H_ECHO_HOLDER[$1]:-}" ] || fail "echo_all: no holder $1"
  before=$(wc -l <"$file.echoed")
  kill -USR1 "${H_ECHO_HOLDER[$1]}"
  # The holder gives its echoes 5 s; the rest is for a machine whose CPUs are busy forwarding (softirq work
  # is not subject to nice). If it does not report, where it is stuck goes into the failure message.
  local pid=${H_ECHO_HOLDER[$1]}
  poll_until --deadline 20 _h_echo_reported "$file.echoed" "$before" ||
    fail "no report from holder $1 within 20 s (pid $pid: $(_h_alive "$pid" && echo "alive, state $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null), wchan $(cat "/proc/$pid/wchan" 2>/dev/null), syscall $(cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null), $(grep -E "^Sig(Pnd|Blk|Ign|Cgt)" "/proc/$pid/status" 2>/dev/null | tr -s "\t\n" "  ")" || echo gone); log: $(tail -n 3 "$H_TMP/echo-holder-$1.log" 2>/dev/null))"
  tail -n1 "$file.echoed" | cut -d' ' -f2
}

# _h_echo_reported FILE BEFORE — FILE has more than BEFORE lines. A function, so that poll_until counts the
# lines anew on every try: `poll_until test "$(wc -l <FILE)" -gt N` would count once, before the first try,
# and fail whenever the holder took longer than that one count (the "holder never reports" flake under load).
_h_echo_reported() { [ "$(wc -l <"$1")" -gt "$2" ]; }

# held_nat ROUTER NAME — "PORT ADDRESS" per connection of holder NAME: the address ROUTER's conntrack NATed it
# to (the reply tuple's destination; "-" if there is no entry). One `conntrack -L` is the judge, not the code
# under test.
held_nat() {
  local router=$1 file=$H_TMP/echo-holder-$2 dst port
  read -r dst port <<<"${H_ECHO_HOLDER_DST[$2]:?held_nat: no holder $2}"
  in_ns "$router" conntrack -L -p tcp --orig-port-dst "$port" 2>/dev/null |
    awk -v ports="$(tr '\n' ' ' <"$file")" -v inet="src=$dst" '
      BEGIN { n = split(ports, port, " "); for (i = 1; i <= n; i++) nat[port[i]] = "-" }
      {
        sport = ""; reply = ""
        for (i = 1; i < NF; i++) {
          if (sport == "" && $i ~ /^sport=/) sport = substr($i, 7)
          if ($i == inet) reply = substr($(i + 1), 5)   # the reply tuple: src=DST dst=NAT-ADDRESS
        }
        if (sport in nat) nat[sport] = reply
      }
      END { for (i = 1; i <= n; i++) print port[i], nat[port[i]] }'
}

# held_count_nated_to ROUTER NAME ADDRESS — how many of holder NAME's connections conntrack has NATed to ADDRESS.
held_count_nated_to() { held_nat "$1" "$2" | awk -v a="$3" '$2 == a' | wc -l; }
