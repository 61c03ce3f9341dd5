#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd unit keeps its sandbox: `systemd-analyze security --offline=yes` (no systemd as PID 1 needed)
# must rate contrib/uplinkd.service at or below MAX_EXPOSURE, `systemd-analyze verify` must have nothing
# to say about it, and the few settings uplinkd depends on must be as docs/operations.md ("Privileges and
# sandboxing") says: only CAP_NET_ADMIN and CAP_NET_RAW, and /proc/sys left writable (no
# ProtectKernelTunables=, no ProcSubset=), since uplinkd writes sysctls under /proc/sys/net.
#
# Usage: unit_security_test.sh UNIT_FILE UPLINKD_BINARY. Prints the exposure score. It first checks itself on
# weakened copies of the unit, which it must fail.
set -euo pipefail
unit=${1:?usage: unit_security_test.sh UNIT_FILE UPLINKD_BINARY}
binary=$(realpath "${2:?usage: unit_security_test.sh UNIT_FILE UPLINKD_BINARY}")
# 10 × the score systemd-analyze prints (0.0 safest … 10.0): 2.6 with systemd 252 when this was written
# (7.1 before the unit was hardened). The margin absorbs other systemd versions' weights, not a lost setting.
MAX_EXPOSURE=30

command -v systemd-analyze >/dev/null ||
  { echo "FAIL: systemd-analyze is missing (package systemd; scripts/install-deps.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check FILE — prints what is wrong with the unit FILE, nothing when it is good.
check() {
  local file=$1 copy=$tmp/uplinkd.service out
  # verify wants the programs to exist: the built binary stands in for /usr/sbin/uplinkd.
  sed "s|/usr/sbin/uplinkd|$binary|g" "$file" >"$copy"
  out=$(systemd-analyze verify "$copy" 2>&1) || echo "systemd-analyze verify failed: $out"
  [ -z "$out" ] || echo "systemd-analyze verify: $out"
  if ! out=$(systemd-analyze security --offline=yes --threshold=$MAX_EXPOSURE "$copy" 2>&1); then
    echo "exposure above $((MAX_EXPOSURE / 10)).$((MAX_EXPOSURE % 10)): $(grep 'Overall exposure' <<<"$out")"
  fi
  grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' "$file" ||
    echo "CapabilityBoundingSet= is not exactly CAP_NET_ADMIN CAP_NET_RAW"
  grep -qx 'AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW' "$file" ||
    echo "AmbientCapabilities= is not exactly CAP_NET_ADMIN CAP_NET_RAW"
  grep -qx 'ProtectSystem=strict' "$file" || echo "ProtectSystem= is not strict"
  if grep -Eq '^(ProtectKernelTunables=(yes|true|on|1)|ProcSubset=pid)' "$file"; then
    echo "/proc/sys is made read-only (ProtectKernelTunables= or ProcSubset=): uplinkd cannot set its sysctls"
  fi
  return 0
}

self_check() {
  local weak=$tmp/weak.service problems
  grep -Ev '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|RestrictAddressFamilies|SystemCallFilter|RestrictNamespaces|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectClock|ProtectHostname|ProtectProc|MemoryDenyWriteExecute|LockPersonality|PrivateMounts|PrivateIPC)=' \
    "$unit" >"$weak"
  problems=$(check "$weak")
  grep -q 'exposure above' <<<"$problems" || { echo "FAIL: self-check: a unit without its sandbox passed" >&2; exit 1; }
  sed 's/^ProtectHome=yes$/ProtectHome=sure/' "$unit" >"$weak"
  problems=$(check "$weak")
  grep -q 'verify' <<<"$problems" || { echo "FAIL: self-check: verify let ProtectHome=sure through" >&2; exit 1; }
  { cat "$unit"; echo 'ProtectKernelTunables=yes'; } | sed 's/^CapabilityBoundingSet=.*/CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_ADMIN/' >"$weak"
  problems=$(check "$weak")
  grep -q '/proc/sys' <<<"$problems" && grep -q 'CapabilityBoundingSet' <<<"$problems" ||
    { echo "FAIL: self-check: ProtectKernelTunables=yes or a third capability passed" >&2; exit 1; }
}

self_check
problems=$(check "$unit")
echo "$(systemd-analyze security --offline=yes "$unit" 2>&1 | grep 'Overall exposure')"
if [ -n "$problems" ]; then
  echo "FAIL: $unit:" >&2
  echo "$problems" >&2
  exit 1
fi
echo "PASS: $unit (exposure at most $((MAX_EXPOSURE / 10)).$((MAX_EXPOSURE % 10)))"
