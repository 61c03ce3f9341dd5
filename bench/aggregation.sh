#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/aggregation.sh — what `mode = "packet"` gives ONE TCP flow over several links: the equalize seed's
# topology (tests/integration/lib/equalize.sh: two hosts joined by direct links, the same address on every
# link of a host), each link tbf-shaped in both directions, uplinkd on both hosts with the seed's config.
# One iperf3 flow host 1 → host 2 per run (--seconds, default 10, the first second omitted: slow start),
# --repeats runs per case (default 3), the median reported. Cases (--list prints them):
#   - one link of 10 and of 20 Mbit/s without balancing (no uplinkd): what one flow gets from one link, the
#     yardstick of the others;
#   - uplinkd, packet mode: 10+10 (1:1), 10+10+10 (1:1:1), 10+20 (1:2), 10+10+20 (1:1:2);
#   - the hand-made nftables recipe (numgen inc over marks, one fwmark rule and table per link; no uplinkd):
#     10+10 and 10+10+10;
#   - tcp_max_reordering 3 and 1000 (uplinkd's setting, on both hosts) on 10+10+10;
#   - the same with the sender using BBR instead of CUBIC, and BBR without GSO on the links.
# Each case gets a fresh pair of namespaces (no TCP metrics carry over; tcp_no_metrics_save is set too).
# The sender's congestion control is chosen per socket (iperf3 -C): a namespace starts with the machine's
# default, which need not be Debian's (CUBIC), and a non-initial namespace may not change its default.
#
# Figures per case: the receiver's Mbit/s (median, min–max), the sender's retransmitted segments (median),
# × the best single link, and % of the links' sum, where a link's figure is the median of the one-link case
# of its rate with the same congestion control (so both count the same header overhead: a 10 Mbit/s tbf link
# carries 9.5–9.6 Mbit/s of TCP payload).
#
# Run as root: `bench/aggregation.sh`. Prints a markdown table at the end; docs/benchmarks.md
# ("Balancing modes") explains it. About 9 minutes with the defaults. Not part of ctest.
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
SECS=10
REPEATS=3
ONLY=
KEEP=

# name  set-up  link rates (Mbit/s)  weights  sender's congestion control  tcp_max_reordering (- = not set)  GSO
CASES=(
  "one10       one      10        1      cubic -    on"
  "one20       one      20        1      cubic -    on"
  "pkt-2eq     uplinkd  10,10     1,1    cubic -    on"
  "pkt-3eq     uplinkd  10,10,10  1,1,1  cubic -    on"
  "pkt-10+20   uplinkd  10,20     1,2    cubic -    on"
  "pkt-3uneq   uplinkd  10,10,20  1,1,2  cubic -    on"
  "recipe-2eq  recipe   10,10     1,1    cubic -    on"
  "recipe-3eq  recipe   10,10,10  1,1,1  cubic -    on"
  "pkt-3eq-r3  uplinkd  10,10,10  1,1,1  cubic 3    on"
  "pkt-3eq-r1k uplinkd  10,10,10  1,1,1  cubic 1000 on"
  "one10-bbr   one      10        1      bbr   -    on"
  "pkt-2eq-bbr uplinkd  10,10     1,1    bbr   -    on"
  "pkt-3eq-bbr uplinkd  10,10,10  1,1,1  bbr   -    on"
  "pkt-3eq-bbr-r1k uplinkd 10,10,10 1,1,1 bbr  1000 on"
  "pkt-3eq-bbr-nogso uplinkd 10,10,10 1,1,1 bbr -  off"
)

usage() {
  cat >&2 <<EOF
usage: $0 [--seconds S] [--repeats N] [--only CASE,...] [--list] [--no-build] [--build-dir DIR] [--keep DIR]
  --seconds S     length of one iperf3 run (default $SECS; the first second is omitted from the figure)
  --repeats N     runs per case (default $REPEATS); the median is reported
  --only CASES    run only these cases (comma-separated names, see --list); ratios need the one-link cases
  --list          print the cases and exit
  --keep DIR      copy the raw results (TSV) and logs there
EOF
  exit 2
}
while (($#)); do
  case $1 in
    --seconds) SECS=$2; shift ;;
    --repeats) REPEATS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --list) printf '%s\n' "name set-up rates weights cc tcp_max_reordering gso" "${CASES[@]}" | column -t; exit 0 ;;
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
  shift
done
[[ $SECS =~ ^[1-9][0-9]*$ && $SECS -ge 3 && $REPEATS =~ ^[1-9][0-9]*$ ]] || usage

# shellcheck source=bench/modes_lib.sh
source "$ROOT/bench/modes_lib.sh"
bm_require_root bench/aggregation.sh
bm_binaries bench/aggregation.sh "$BUILD" "$DO_BUILD"

export H_TEST_NAME=bench-aggregation # the harness names its log lines and verdict after it
# shellcheck source=tests/integration/lib/uplinkd_test.sh
source "$ROOT/tests/integration/lib/uplinkd_test.sh"
# shellcheck source=tests/integration/lib/equalize.sh
source "$ROOT/tests/integration/lib/equalize.sh"
bm_require_tools iperf3 jq tc

RESULTS=$H_TMP/aggregation.tsv # name, repeat, Mbit/s, retransmits, tcp_max_reordering seen in the namespaces
: >"$RESULTS"
CASE_NO=0

# recipe ROLE WEIGHT... — the per-packet recipe found in howtos, typed by hand: a route-type output chain
# that marks every packet to the pair's /24 by `numgen inc`, one fwmark rule and one table per link (the
# rules before main, whose connected routes would otherwise take everything). No ARP or broadcast care, no
# sysctls: the defaults.
recipe() {
  local role=$1 n k=0 i=0 w map="" mark
  n=$(_h_ns "$role")
  shift
  for w in "$@"; do
    mark=$(printf '0x%08x' $((0x75000000 + 200 + k)))
    ip -n "$n" route add "$EQ_PREFIX" dev "eq$k" table $((200 + k))
    ip -n "$n" rule add priority 20010 fwmark "$mark" lookup $((200 + k))
    if ((w == 1)); then map+="$i : $mark, "; else map+="$i-$((i + w - 1)) : $mark, "; fi
    i=$((i + w)) k=$((k + 1))
  done
  ip netns exec "$n" nft -f - <<EOF || fail "recipe in $role"
table inet recipe {
  chain out {
    type route hook output priority mangle; policy accept;
    ip daddr $EQ_PREFIX meta mark set numgen inc mod $i map { ${map%, } }
  }
}
EOF
}

# has_numgen ROLE MOD — uplinkd's local chain in ROLE spreads by `numgen inc mod MOD`.
has_numgen() { ip netns exec "$(_h_ns "$1")" nft list chain inet uplinkd balance_local 2>/dev/null | grep -q "numgen inc mod $2 "; }

# run_case NAME SETUP RATES WEIGHTS CC TCP_MAX_REORDERING GSO — build a fresh pair, set it up, --repeats runs.
run_case() {
  local name=$1 setup=$2 cc=$5 tmr=$6 gso=$7 rates weights a b k r json sum=0 w seen
  IFS=, read -ra rates <<<"$3"
  IFS=, read -ra weights <<<"$4"
  CASE_NO=$((CASE_NO + 1))
  a=a$CASE_NO b=b$CASE_NO
  log "case $name: $setup, links ${rates[*]} Mbit/s, weights ${weights[*]}, $cc, tcp_max_reordering $tmr, GSO $gso"
  if [[ $gso == off ]]; then EQ_GSO_MAX_SEGS=1 make_host_pair ${#rates[@]} "$a" "$b"; else make_host_pair ${#rates[@]} "$a" "$b"; fi
  for k in "$a" "$b"; do sysctl_ns "$k" net.ipv4.tcp_no_metrics_save=1; done
  for ((k = 0; k < ${#rates[@]}; k++)); do
    shape_link "$EQ_H1" "eq$k" "${rates[$k]}"
    shape_link "$EQ_H2" "eq$k" "${rates[$k]}"
  done
  case $setup in
    one) ;;
    uplinkd)
      for w in "${weights[@]}"; do sum=$((sum + w)); done
      for k in "$a" "$b"; do
        EQ_TCP_MAX_REORDERING=${tmr#-} write_equalize_config "$H_TMP/$k.toml" "$H_TMP/$k" "${weights[@]}"
        start_uplinkd "$k" "$H_TMP/$k.toml"
        wait_for --deadline 10 --what "uplinkd's numgen map in $k" has_numgen "$k" "$sum"
      done
      ;;
    recipe) recipe "$a" "${weights[@]}"; recipe "$b" "${weights[@]}" ;;
    *) fail "unknown set-up $setup" ;;
  esac
  seen="$(in_ns "$a" sysctl -n net.ipv4.tcp_max_reordering)/$(in_ns "$b" sysctl -n net.ipv4.tcp_max_reordering)"
  for ((r = 1; r <= REPEATS; r++)); do
    json=$H_TMP/$name-$r.json
    eq_iperf_server "$b" $((5200 + r))
    eq_iperf_client "$a" $((5200 + r)) "$SECS" -C "$cc" -O 1 >"$json"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$r" "$(eq_iperf_mbit "$json")" "$(eq_iperf_retransmits "$json")" "$seen" >>"$RESULTS"
    log "case $name run $r: $(eq_iperf_mbit "$json") Mbit/s, $(eq_iperf_retransmits "$json") retransmits"
  done
  if [[ $setup == uplinkd ]]; then bm_uplinkd_stop "$a"; bm_uplinkd_stop "$b"; fi
  bm_drop_ns "$a" "$b"
}

column_of() { # column_of NAME COLUMN — the values of COLUMN over NAME's runs
  awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$RESULTS"
}

# one_link RATE CC — the median of the one-link case of that rate and congestion control, empty if not run.
one_link() {
  local c name
  for c in "${CASES[@]}"; do
    read -r name setup rates _ cc _ _ <<<"$c"
    [[ $setup == one && $rates == "$1" && $cc == "$2" ]] || continue
    [[ -n $(column_of "$name" 3) ]] || continue
    # shellcheck disable=SC2046 # one value per line
    bm_stats $(column_of "$name" 3) | cut -d' ' -f1
    return 0
  done
}

print_report() {
  local c name setup rates weights cc tmr gso med min max retr best sum rate base label
  echo
  echo "uplinkd packet mode, one TCP flow — $(bm_machine)"
  echo "iperf3, $SECS s per run (first second omitted), $REPEATS runs per case; tbf on both ends of every link (lib/equalize.sh: burst ≥ 30000 B, latency 100 ms)"
  echo
  echo "| Case | Set-up | Links (Mbit/s) | Weights | Sender's TCP | tcp_max_reordering (host 1/2) | GSO | Mbit/s median (min–max) | Retransmits, median | × best single link | % of the links' sum |"
  echo "|---|---|---|---|---|---|---|---:|---:|---:|---:|"
  for c in "${CASES[@]}"; do
    read -r name setup rates weights cc tmr gso <<<"$c"
    [[ -n $(column_of "$name" 3) ]] || continue
    # shellcheck disable=SC2046 # one value per line
    read -r med min max <<<"$(bm_stats $(column_of "$name" 3))"
    # shellcheck disable=SC2046
    read -r retr _ _ <<<"$(bm_stats $(column_of "$name" 4))"
    best=0 sum=0
    for rate in ${rates//,/ }; do
      base=$(one_link "$rate" "$cc")
      if [[ -z $base ]]; then sum=-; break; fi
      sum=$(awk -v s="$sum" -v b="$base" 'BEGIN { print s + b }')
      best=$(awk -v m="$best" -v b="$base" 'BEGIN { print (b > m) ? b : m }')
    done
    case $setup in one) label="one link, no balancing" ;; uplinkd) label="uplinkd packet" ;; recipe) label="hand-made nft recipe" ;; esac
    printf '| %s | %s | %s | %s | %s | %s | %s | %s (%s–%s) | %s | %s | %s |\n' "$name" "$label" "${rates//,/+}" \
      "${weights//,/:}" "$cc" "$(column_of "$name" 5 | sort -u | paste -sd' ')" "$gso" "$med" "$min" "$max" "$retr" \
      "$(if [[ $sum == - ]]; then echo -; else bm_ratio "$med" "$best" 1 2; fi)" \
      "$(if [[ $sum == - ]]; then echo -; else bm_ratio "$med" "$sum"; fi)"
  done
}

for c in "${CASES[@]}"; do
  read -r name _ <<<"$c"
  [[ -z $ONLY || ,$ONLY, == *",$name,"* ]] || continue
  # shellcheck disable=SC2086 # the case's fields are words
  run_case $c
done
print_report
if [[ -n $KEEP ]]; then
  mkdir -p "$KEEP"
  cp "$RESULTS" "$H_TMP"/*.toml "$KEEP/" 2>/dev/null || true
  cp "$H_TMP"/*.log "$KEEP/" 2>/dev/null || true
  log "raw results and logs copied to $KEEP"
fi
pass
