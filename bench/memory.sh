#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/memory.sh — does memory grow with load? The equalize seed's "Known bugs": every balanced packet left a
# little memory behind for a while, so memory grew with the load until network I/O stopped. This runs the
# router of bench/overhead.sh (bench/modes_lib.sh draws it) at full rate for --duration seconds per mode:
#   - iperf3, --streams parallel TCP streams client → server, unshaped (as fast as the CPUs forward);
#   - connection churn: --churn new TCP connections per second (connect, close), from --sources source
#     addresses of the client in turn, so that conntrack and uplinkd's sticky-source map have entries coming
#     and going all the time;
# in mode "packet" (no masquerade) and mode "connection" (masquerade on both uplinks, sticky_timeout 60 s).
# Every --interval seconds it samples:
#   - conntrack entries in the router's namespace (conntrack -C);
#   - the nf_conntrack slab cache (/proc/slabinfo: objects × object size) and Slab / SUnreclaim of
#     /proc/meminfo — these three are MACHINE-WIDE: other namespaces' conntrack and everything else the kernel
#     allocates count too (on a machine shared with other tests, their changes show here);
#   - uplinkd's nftables table: rules and set/map elements (the sticky map);
#   - uplinkd's RSS (VmRSS).
# At the end it prints the samples once a minute and, per figure, the first third of the samples after a
# warm-up (--warmup, default 180 s: conntrack's TIME_WAIT entries live 120 s and its garbage collector frees
# them in batches about a minute apart, a saw-tooth) against the last third (mean and maximum): a figure is
# "flat" when the last third's maximum is within 10 % (and a small absolute margin) of the first third's.
# A bounded saw-tooth counts as flat; growth for the whole run does not. --report FILE prints the report
# again from a kept memory.tsv.
#
# Run as root: `bench/memory.sh [--duration S]`. The load runs at nice 10 (--no-nice: 0) so that other
# work on a shared machine keeps its CPU share; it still takes every idle cycle. 2 × --duration plus about a
# minute (default 600 s: about 21 minutes). Not part of ctest.
#
# Everything runs in namespaces made by the integration-test harness, named after a unique run id; the
# machine's own namespace and /etc are never touched; processes are stopped by pid only; the harness's trap
# removes namespaces and temp files on exit, also after a failure or ^C.
#
# Binaries: $UPLINKD_BIN and $UPLINKCTL_BIN when both are set (nothing is built); otherwise those of the
# build dir (default build-bench), built first unless --no-build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
DO_BUILD=1
DURATION=600
INTERVAL=10
WARMUP=180
REPORT=
MODES=packet,connection
STREAMS=4
CHURN=100
SOURCES=50
NICE=10
CC=cubic
KEEP=

usage() {
  cat >&2 <<EOF
usage: $0 [--duration S] [--interval S] [--modes LIST] [--streams N] [--churn N] [--sources N] [--cc NAME] [--no-nice] [--warmup S]
          [--report FILE] [--no-build] [--build-dir DIR] [--keep DIR]
  --duration S    load time per mode (default $DURATION)
  --interval S    sampling period (default $INTERVAL)
  --modes LIST    comma-separated, from packet,connection (default $MODES)
  --streams N     parallel iperf3 streams (default $STREAMS)
  --churn N       new TCP connections per second besides iperf3 (default $CHURN; 0: none)
  --sources N     client source addresses the churn cycles through (default $SOURCES, at most 100)
  --cc NAME       the iperf3 sender's TCP congestion control (default $CC, Debian's default)
  --warmup S      samples left out of the flat-or-not comparison (default $WARMUP: conntrack's TIME_WAIT
                  entries live 120 s, then its garbage collector frees them in batches about a minute apart)
  --no-nice       run the load at nice 0 instead of 10
  --report FILE   print the report again from a kept memory.tsv (see --keep) and exit; needs no root
  --keep DIR      copy the raw samples (TSV), configs and logs there
EOF
  exit 2
}
while (($#)); do
  case $1 in
    --duration) DURATION=$2; shift ;;
    --interval) INTERVAL=$2; shift ;;
    --modes) MODES=$2; shift ;;
    --streams) STREAMS=$2; shift ;;
    --churn) CHURN=$2; shift ;;
    --sources) SOURCES=$2; shift ;;
    --no-nice) NICE=0 ;;
    --warmup) WARMUP=$2; shift ;;
    --report) REPORT=$2; shift ;;
    --cc) CC=$2; shift ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
  shift
done
[[ $DURATION =~ ^[1-9][0-9]*$ && $INTERVAL =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ && $DURATION -ge $((3 * INTERVAL)) &&
  $STREAMS =~ ^[1-9][0-9]*$ && $STREAMS -le 64 && $CHURN =~ ^[0-9]+$ && $SOURCES =~ ^[1-9][0-9]*$ &&
  $SOURCES -le 100 ]] || usage
for m in ${MODES//,/ }; do [[ $m == packet || $m == connection ]] || usage; done

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"

# ---------------------------------------------------------------------------------------------------------
# Report

FIGURES=("conntrack entries (router)" "nf_conntrack slab, kB (machine)" "Slab, kB (machine)"
  "SUnreclaim, kB (machine)" "uplinkd nft rules" "uplinkd nft set/map elements" "uplinkd RSS, kB")
MARGINS=(100 256 4096 4096 0 5 256) # absolute slack per figure, besides the 10 %

# warmup_used — the warm-up left out of the comparison: --warmup, unless the run is too short to keep three
# samples per third after it (then none).
warmup_used() { if ((DURATION - WARMUP >= 9 * INTERVAL)); then echo "$WARMUP"; else echo 0; fi; }

# thirds MODE COLUMN — "first-mean first-max last-mean last-max" over the samples of MODE after the warm-up.
thirds() {
  awk -F'\t' -v m="$1" -v c="$2" -v w="$(warmup_used)" '$1 == m && $2 > w && $c != "-" { v[++n] = $c }
    END {
      if (n < 3) { print "- - - -"; exit }
      k = int(n / 3)
      for (i = 1; i <= k; i++) { s1 += v[i]; if (i == 1 || v[i] > m1) m1 = v[i] }
      for (i = n - k + 1; i <= n; i++) { s3 += v[i]; if (i == n - k + 1 || v[i] > m3) m3 = v[i] }
      printf "%.0f %.0f %.0f %.0f\n", s1 / k, m1, s3 / k, m3 }' "$SAMPLES"
}

print_report() {
  local mode i c f1 m1 f3 m3 verdict every
  every=$(((60 + INTERVAL - 1) / INTERVAL))
  echo
  if [[ -n ${RERENDER:-} ]]; then
    echo "uplinkd memory under load — re-rendered from $SAMPLES (the run's settings are not in the file)"
  else
    echo "uplinkd memory under load — $(bm_machine)"
    echo "router with 2 unshaped uplinks; iperf3 $STREAMS TCP streams ($CC) at full rate (nice $NICE) plus $CHURN new TCP connections/s from $SOURCES sources, $DURATION s per mode, a sample every $INTERVAL s"
  fi
  echo "Machine-wide figures (marked) include everything else the machine's kernel does meanwhile."
  echo
  echo "| Mode | t (s) | conntrack entries | nf_conntrack slab kB (machine) | Slab kB (machine) | SUnreclaim kB (machine) | nft rules / elements | uplinkd RSS kB | churn connections made / failed |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  # t = 0 (before the load), then one sample a minute, and the last one of each mode.
  awk -F'\t' -v e="$every" 'NR == FNR { last[$1] = FNR; next }
    { n[$1]++ } $2 == 0 || (n[$1] - 1) % e == 0 || FNR == last[$1] {
      printf "| %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' \
    "$SAMPLES" "$SAMPLES"
  echo
  echo "Flat or not: the samples after a warm-up of $(warmup_used) s (conntrack's TIME_WAIT entries live 120 s, and its garbage collector frees them in batches), in thirds."
  echo
  echo "| Mode | Figure | First third: mean / max | Last third: mean / max | Max, last vs first | Flat? |"
  echo "|---|---|---:|---:|---:|---|"
  for mode in ${MODES//,/ }; do
    for i in "${!FIGURES[@]}"; do
      c=$((i + 3)) # $SAMPLES column of the figure
      read -r f1 m1 f3 m3 <<<"$(thirds "$mode" "$c")"
      if [[ $m1 == - ]]; then verdict="-"
      elif awk -v a="$m1" -v b="$m3" -v s="${MARGINS[$i]}" 'BEGIN { exit !(b <= a * 1.10 + s) }'; then verdict=flat
      else verdict="GREW"; fi
      printf '| %s | %s | %s / %s | %s / %s | %s | %s |\n' "$mode" "${FIGURES[$i]}" "$f1" "$m1" "$f3" "$m3" \
        "$(awk -v a="$m1" -v b="$m3" 'BEGIN { if (a == "-" || a + 0 == 0) print "-"; else printf "%+.1f %%\n", (b - a) * 100 / a }')" "$verdict"
    done
  done
  [[ -z ${RERENDER:-} ]] || return 0
  echo
  for mode in ${MODES//,/ }; do
    echo "$mode: iperf3 ${IPERF_MBIT[$mode]:--} Mbit/s over the run; churn connections made / failed: ${CHURN_DONE[$mode]:--}"
  done
}

if [[ -n $REPORT ]]; then
  [[ -r $REPORT ]] || { echo "bench/memory.sh: cannot read $REPORT" >&2; exit 1; }
  SAMPLES=$REPORT
  MODES=$(cut -f1 "$SAMPLES" | uniq | paste -sd,)
  DURATION=$(awk -F"\t" "{ if (\$2 > m) m = \$2 } END { print m + 0 }" "$SAMPLES")
  declare -A IPERF_MBIT=() CHURN_DONE=()
  RERENDER=1 print_report
  exit 0
fi
bm_require_root bench/memory.sh
bm_binaries bench/memory.sh "$BUILD" "$DO_BUILD"

export H_TEST_NAME=bench-memory # the harness names its log lines and verdict after it
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"
bm_require_tools iperf3 jq nft conntrack perl

SAMPLES=$H_TMP/memory.tsv
: >"$SAMPLES"
CHURN_PORT=7000
IPERF_PORT=5201

# The churn's two ends (perl-base only). The client paces itself to RATE connections per second from its
# start and keeps a count in a file (rewritten every second), so that a slow machine shows as a lower rate
# rather than a burst.
cat >"$H_TMP/churn-server.pl" <<'EOF'
use strict; use warnings; use IO::Socket::INET;
my ($addr, $port) = @ARGV;
my $l = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Listen => 1024, ReuseAddr => 1, Proto => 'tcp')
  or die "listen $addr:$port: $!\n";
while (1) { my $c = $l->accept or next; close $c; }
EOF
cat >"$H_TMP/churn-client.pl" <<'EOF'
use strict; use warnings; use IO::Socket::INET; use Time::HiRes qw(time sleep);
my ($dst, $port, $rate, $nsrc, $countfile) = @ARGV;
my ($ok, $failed, $t0, $written) = (0, 0, time, 0);
sub save { open my $f, '>', "$countfile.new" or return; print $f "$ok $failed\n"; close $f; rename "$countfile.new", $countfile; }
$SIG{TERM} = sub { save(); exit 0 };
while (1) {
  my $n = $ok + $failed;
  my $s = IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port, LocalAddr => '192.168.77.' . (100 + $n % $nsrc),
    Proto => 'tcp', Timeout => 2);
  if ($s) { close $s; $ok++ } else { $failed++ }
  my $now = time;
  if ($now - $written >= 1) { save(); $written = $now; }
  my $wait = $t0 + ($n + 1) / $rate - $now;
  sleep $wait if $wait > 0;
}
EOF

# ---------------------------------------------------------------------------------------------------------
# Samples

slab_conntrack_kb() { # the nf_conntrack cache: objects × object size (kB), machine-wide; "-" if unreadable
  awk '$1 == "nf_conntrack" { printf "%d\n", $3 * $4 / 1024; found = 1 } END { if (!found) print "-" }' /proc/slabinfo 2>/dev/null || echo -
}
meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
nft_counts() { # "RULES ELEMENTS" of uplinkd's table in rt
  in_ns rt nft -j list table inet uplinkd 2>/dev/null |
    jq -r '[.nftables[] | select(.rule)] as $r | [.nftables[] | (.set // .map // empty) | (.elem // []) | length] as $e
      | "\($r | length) \($e | add // 0)"' || echo "- -"
}
uplinkd_rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$(uplinkd_pid rt)/status" 2>/dev/null || echo -; }
churn_count() { cat "$H_TMP/churn-count" 2>/dev/null || echo "0 0"; }

# sample MODE T — one line of $SAMPLES: mode, t (s), conntrack entries, nf_conntrack slab kB, Slab kB,
# SUnreclaim kB, nft rules, nft elements, uplinkd RSS kB, churn connections made, failed.
sample() {
  local ct
  ct=$(in_ns rt conntrack -C 2>/dev/null) || ct=-
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$ct" "$(slab_conntrack_kb)" "$(meminfo_kb Slab)" \
    "$(meminfo_kb SUnreclaim)" "$(nft_counts | tr ' ' '\t')" "$(uplinkd_rss_kb)" "$(churn_count | tr ' ' '\t')" >>"$SAMPLES"
}

# ---------------------------------------------------------------------------------------------------------
# One mode under load

run_mode() {
  local mode=$1 t0 t next iperf_pid
  case $mode in
    packet) bm_start_router_uplinkd packet false ;;
    connection) bm_start_router_uplinkd connection true "sticky_timeout = 60" ;;
  esac
  rm -f "$H_TMP/churn-count"
  sample "$mode" 0
  spawn "iperf3-server" "$H_TMP/iperf3-server-$mode.log" in_ns sv iperf3 -s -1 -p $IPERF_PORT
  wait_for --deadline 5 --what "iperf3 server on sv:$IPERF_PORT" _h_listening sv $IPERF_PORT
  spawn "iperf3-client" "$H_TMP/iperf3-client-$mode.json" in_ns cl nice -n "$NICE" iperf3 -c "$BM_SERVER_ADDR" \
    -p $IPERF_PORT -t "$DURATION" -P "$STREAMS" -C "$CC" --json
  iperf_pid=$H_SPAWNED_PID
  if ((CHURN > 0)); then
    spawn "churn-client" "$H_TMP/churn-client-$mode.log" in_ns cl nice -n "$NICE" perl "$H_TMP/churn-client.pl" \
      "$BM_SERVER_ADDR" $CHURN_PORT "$CHURN" "$SOURCES" "$H_TMP/churn-count"
    CHURN_PID=$H_SPAWNED_PID
  fi
  log "$mode: load running for $DURATION s, a sample every $INTERVAL s"
  t0=$SECONDS next=$INTERVAL
  while ((SECONDS - t0 < DURATION)); do
    # A fixed sampling period, not a wait for something to happen.
    sleep $((t0 + next - SECONDS > 0 ? t0 + next - SECONDS : 0))
    t=$((SECONDS - t0))
    sample "$mode" "$t"
    next=$((next + INTERVAL))
    _h_alive "$iperf_pid" || ((SECONDS - t0 >= DURATION - 2)) || fail "iperf3 ended early in $mode: $(tail -c 600 "$H_TMP/iperf3-client-$mode.json")"
  done
  ((CHURN == 0)) || stop_pid "$CHURN_PID"
  wait_for --deadline 30 --what "iperf3 client to finish" _h_not_alive "$iperf_pid"
  wait "$iperf_pid" 2>/dev/null || true
  IPERF_MBIT[$mode]=$(bm_iperf_mbit "$H_TMP/iperf3-client-$mode.json" 2>/dev/null || echo -)
  CHURN_DONE[$mode]=$(churn_count)
  log "$mode: iperf3 ${IPERF_MBIT[$mode]} Mbit/s; churn connections made/failed ${CHURN_DONE[$mode]}"
  bm_uplinkd_stop rt
  # The next mode starts from an empty conntrack table in the router, as the first did.
  in_ns rt conntrack -F >/dev/null 2>&1 || true
}
declare -A IPERF_MBIT=() CHURN_DONE=()

bm_make_router_topology
for ((k = 0; k < SOURCES; k++)); do ip -n "$(ns cl)" addr add "192.168.77.$((100 + k))/24" dev eth0; done
wait_for --deadline 5 --what "the server reachable from the client" ping_from cl "" "$BM_SERVER_ADDR" 1
if ((CHURN > 0)); then
  spawn "churn-server" "$H_TMP/churn-server.log" in_ns sv perl "$H_TMP/churn-server.pl" "$BM_SERVER_ADDR" $CHURN_PORT
  wait_for --deadline 5 --what "churn server on sv:$CHURN_PORT" _h_listening sv $CHURN_PORT
fi
for mode in ${MODES//,/ }; do run_mode "$mode"; done
print_report
if [[ -n $KEEP ]]; then
  mkdir -p "$KEEP"
  cp "$SAMPLES" "$H_TMP"/*.toml "$KEEP/" 2>/dev/null || true
  cp "$H_TMP"/*.log "$H_TMP"/*.json "$KEEP/" 2>/dev/null || true
  log "raw samples and logs copied to $KEEP"
fi
pass
