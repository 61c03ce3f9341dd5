# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The tables bench/failover.sh prints from $RESULTS and $RESULTS6 (one line per run: the IPv4 stream's and the
# IPv6 stream's figures, columns below) and $PROBES (one line per profile and target), ready to paste into the
# README or docs/benchmarks.md.
#
# $RESULTS and $RESULTS6 columns: 1 kind, 2 profile, 3 run, 4 failed uplink, 5 phase (ms), 6 health verdict after the
# failure (ms), 7 verdict "up" after the repair (ms), 8 moved flows, 9 their longest gap (ms), 10 the most
# packets one of them lost, 11 moved flows whose path was not exactly failed → surviving uplink, 12 surviving
# flows, 13 their lost packets, 14 their longest gap (ms), 15 their path changes, 16 flows seen; during
# recovery: 17 flows seen, 18 lost packets, 19 flows that moved or used the returning uplink, 20 longest gap
# (ms); 21 how long injecting the failure took (ms), 22 uplinkd's converge after the verdict (ms, its log).
# $PROBES columns: profile, target, window (ms), request packets, request bytes, reply packets, reply bytes.

# results_of FAMILY — the results file of a family (4 or 6).
results_of() { if (($1 == 4)); then echo "$RESULTS"; else echo "$RESULTS6"; fi; }

# summary COLUMN KIND PROFILE [FAMILY] — "median p90 max" of COLUMN over the runs of KIND/PROFILE (nearest
# rank, as bench/run.sh: p90 of 10 samples is the 9th smallest), "-" when no run has a value.
summary() {
  awk -F'\t' -v c="$1" -v k="$2" -v p="$3" '$1 == k && $2 == p && $c != "" { print $c }' "$(results_of "${4:-4}")" | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "- - -"; exit }
      m = int((NR + 1) / 2); q = int((9 * NR + 9) / 10); if (q > NR) q = NR
      printf "%.1f %.1f %.1f\n", v[m], v[q], v[NR] }'
}

# total COLUMN KIND PROFILE [sum|max] [FAMILY] — the sum (or the maximum) of COLUMN over those runs.
total() {
  awk -F'\t' -v c="$1" -v k="$2" -v p="$3" -v how="${4:-sum}" '$1 == k && $2 == p {
      n++; s += $c; if ($c > m) m = $c }
    END { if (how == "max") printf "%.1f\n", m; else print s + 0 }' "$(results_of "${5:-4}")"
}

runs_of() { awk -F'\t' -v k="$1" -v p="$2" '$1 == k && $2 == p { n++ } END { print n + 0 }' "$RESULTS"; }

# fails KIND FAMILY — true if a failure of KIND takes FAMILY out (failed_families in failover_lib.sh).
fails() { [[ " $(failed_families "$1") " == *" $2 "* ]]; }

label() { # label KIND PROFILE
  case $1/$2 in
    silent/default) echo "silent IPv4 upstream (IPv6 works) | default, adaptive (0.36 s, 0.08–0.4 s, 4)" ;;
    silent/fast) echo "silent IPv4 upstream (IPv6 works) | fast, adaptive (0.1 s, 0.05–0.15 s, 4)" ;;
    silent6/default) echo "silent IPv6 upstream (IPv4 works) | default, adaptive (0.36 s, 0.08–0.4 s, 4)" ;;
    silent6/fast) echo "silent IPv6 upstream (IPv4 works) | fast, adaptive (0.1 s, 0.05–0.15 s, 4)" ;;
    silent/fixed) echo "silent IPv4 upstream (IPv6 works) | uplinkd 0.1's default, fixed (0.36 s, 0.4 s, 3)" ;;
    silent6/fixed) echo "silent IPv6 upstream (IPv4 works) | uplinkd 0.1's default, fixed (0.36 s, 0.4 s, 3)" ;;
    silent/fast-fixed) echo "silent IPv4 upstream (IPv6 works) | uplinkd 0.1's fast, fixed (0.1 s, 0.15 s, 3)" ;;
    carrier/*) echo "carrier loss | $2" ;;
  esac
}

goal() { # goal KIND PROFILE — what the outage should stay under, from docs/health.md's arithmetic
  case $1/$2 in
    silent*/default) echo "≤ 680 (0.36 + 4 × 0.08 s)" ;;
    silent*/fast) echo "≤ 300 (0.1 + 4 × 0.05 s)" ;;
    silent*/fixed) echo "≤ 1480 (3 × 0.36 + 0.4 s)" ;;
    silent*/fast-fixed) echo "≤ 450 (3 × 0.1 + 0.15 s)" ;;
    carrier/*) echo "≤ 50" ;;
  esac
}

# outage_cells KIND PROFILE FAMILY — the "median | p90 | max" cells of the packets a flow of the failed
# uplink lost; for a family the failure left alone, what its flows on that uplink lost at most (goal 0).
outage_cells() {
  local l1 l2 l3
  if fails "$1" "$3"; then
    read -r l1 l2 l3 <<<"$(summary 10 "$1" "$2" "$3")"
    echo "$l1 | $l2 | $l3"
  else
    echo "not failed: its flows lost $(total 10 "$1" "$2" max "$3") at most | | "
  fi
}

print_report() {
  local kinds=(silent/fixed silent/default silent6/fixed silent6/default silent/fast-fixed silent/fast silent6/fast carrier/default) kp k p n f o o1 o2 o3
  local c4 c6 v1 v3
  echo
  echo "uplinkd failover — $(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r), load average before the run: $LOAD_BEFORE"
  echo "$FLOWS flows of one 64-byte packet per ms per family from the LAN host (IPv4 and IPv6 side by side), two dual-stack uplinks (DHCP + SLAAC/RA; flow mode, L4 hash, masquerade and a NAT66 masquerade), 3 ICMP and 3 ICMPv6 targets per uplink, hold_down = 0"
  echo
  echo "| Failure | Health settings (interval, timeout, down_after) | Runs | IPv4 outage: packets lost by a flow of the failed uplink (≈ ms), median | p90 | max | IPv6 outage, median | p90 | max | Goal (ms) | uplinkd's converge after the verdict, IPv4 / IPv6 median (ms) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
  for kp in "${kinds[@]}"; do
    k=${kp%/*} p=${kp#*/}
    n=$(runs_of "$k" "$p")
    ((n > 0)) || continue
    read -r c4 _ _ <<<"$(summary 22 "$k" "$p" 4)"
    read -r c6 _ _ <<<"$(summary 22 "$k" "$p" 6)"
    echo "| $(label "$k" "$p") | $n | $(outage_cells "$k" "$p" 4) | $(outage_cells "$k" "$p" 6) | $(goal "$k" "$p") | $c4 / $c6 |"
  done
  echo
  echo "| Failure | Health settings | Family | Longest gap of a flow of the failed uplink (ms), median / max | Verdict after the failure, median / max (ms) | Flows on the surviving uplink (all runs) | Packets they lost during the failure | Their longest gap (ms) | Packets lost by all flows during the recovery | Flows that moved on recovery | Longest gap during recovery (ms) | Back up after the repair, median / max (ms) |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for kp in "${kinds[@]}"; do
    k=${kp%/*} p=${kp#*/}
    (($(runs_of "$k" "$p") > 0)) || continue
    for f in 4 6; do
      fails "$k" "$f" || continue
      read -r o1 _ o3 <<<"$(summary 9 "$k" "$p" "$f")"
      read -r v1 _ v3 <<<"$(summary 6 "$k" "$p" "$f")"
      read -r c4 _ c6 <<<"$(summary 7 "$k" "$p" "$f")"
      echo "| $(label "$k" "$p") | IPv$f | $o1 / $o3 | $v1 / $v3 | $(total 12 "$k" "$p" sum "$f") | $(total 13 "$k" "$p" sum "$f") | $(total 14 "$k" "$p" max "$f") | $(total 18 "$k" "$p" sum "$f") | $(total 19 "$k" "$p" sum "$f") | $(total 20 "$k" "$p" max "$f") | $c4 / $c6 |"
    done
  done
  # Anomalies count only where the family failed: a family left alone has nowhere to move.
  o="0 0 0"
  for f in 4 6; do
    o=$(awk -F'\t' -v f="$FLOWS" -v fam="$f" -v prev="$o" '
      BEGIN { split(prev, p, " "); a = p[1]; b = p[2]; c = p[3] }
      { failed = ($1 == "carrier") || ($1 == "silent" && fam == 4) || ($1 == "silent6" && fam == 6)
        if (failed) { a += $11; b += $15 }
        if ($16 < f) c++; if ($17 < f) c++ }
      END { print a + 0, b + 0, c + 0 }' "$(results_of "$f")")
  done
  read -r o1 o2 o3 <<<"$o"
  if ((o1 + o2 + o3 > 0)); then
    echo
    echo "Anomalies: $o1 moved flows did not go exactly failed → surviving uplink, $o2 surviving flows changed path," \
      "$o3 receiver reports missed a flow."
  fi
  echo
  echo "Starting the command that injects a failure took $(awk -F'\t' '{ print $21 }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') ms (median): the machine's load."
  echo
  echo "Probe traffic of one uplink (wan1), counted in its ISP's forward path over the window, stream off; bytes are IP packet bytes:"
  echo
  echo "| Health settings | Target | Window (s) | Requests/s | Replies/s | Bytes per request | Upstream (bytes/s) | Downstream (bytes/s) | Upstream (bit/s) | Downstream (bit/s) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{
      s = $3 / 1000
      printf "| %s | %s | %.1f | %.2f | %.2f | %.0f | %.1f | %.1f | %.0f | %.0f |\n", $1, $2, s, $4 / s, $6 / s,
        ($4 ? $5 / $4 : 0), $5 / s, $7 / s, 8 * $5 / s, 8 * $7 / s }' "$PROBES"
}
