#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every example config passes `uplinkd --check`: each file in examples/ (README.md aside) and
# contrib/uplinkd.toml.example, the one the README tells installers to copy. --check must say what the file
# says: "FILE: OK, N uplinks, mode M" with N the file's [[uplink]] sections (or dhcp-lb lines) and M its
# top-level `mode` (flow when it has none). One broken copy (weight 300) must be refused with
# FILE:LINE:COL, so that a --check that accepted everything could not pass this test.
# No namespace and no root: --check only reads the file (unlike the other integration tests, this one does
# not source the harness).
set -euo pipefail

ROOT=${UPLINKD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UPLINKD_BIN=${UPLINKD_BIN:-$ROOT/build/src/daemon/uplinkd}
T0=$SECONDS
failures=0

bad() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

[ -x "$UPLINKD_BIN" ] || { echo "FAIL: examples_test: uplinkd not found at $UPLINKD_BIN (build it, or set UPLINKD_BIN)"; exit 1; }

# is_dhcp_lb FILE — true if uplinkd reads FILE as dhcp-lb lines: its first line that is neither blank nor a
# comment has, before any `#`, neither `=` nor `[` (docs/configuration.md, "Which format").
is_dhcp_lb() {
  awk '{ sub(/#.*/, "") } /[^[:space:]]/ { exit ($0 ~ /[=[]/) ? 1 : 0 }' "$1" &&
    grep -qv '^[[:space:]]*\(#.*\)\{0,1\}$' "$1"
}

# expected FILE — what `uplinkd --check -c FILE` should print after "FILE: ".
expected() {
  local n mode
  if is_dhcp_lb "$1"; then
    n=$(sed 's/#.*//' "$1" | grep -c '[^[:space:]]' || true)
    mode=flow
  else
    n=$(grep -c '^[[:space:]]*\[\[uplink\]\]' "$1" || true)
    # the top level ends at the first table header
    mode=$(awk '/^[[:space:]]*\[/ { exit } /^[[:space:]]*mode[[:space:]]*=/ { if (match($0, /"[a-z]+"/)) print substr($0, RSTART + 1, RLENGTH - 2) }' "$1")
    mode=${mode:-flow}
  fi
  if [ "$n" -eq 1 ]; then echo "OK, 1 uplink, mode $mode"; else echo "OK, $n uplinks, mode $mode"; fi
}

files=()
for f in "$ROOT"/examples/*; do
  [ -f "$f" ] && [[ $f != *.md ]] && files+=("$f")
done
[ ${#files[@]} -ge 2 ] || bad "expected the example configs in $ROOT/examples, found ${#files[@]}"
files+=("$ROOT/contrib/uplinkd.toml.example")

for f in "${files[@]}"; do
  want="$f: $(expected "$f")"
  if out=$("$UPLINKD_BIN" --check -c "$f" 2>&1); then
    if [ "$out" == "$want" ]; then echo "ok   ${f#"$ROOT"/}: ${out#"$f": }"; else bad "${f#"$ROOT"/}: --check said '$out', expected '$want'"; fi
  else
    bad "${f#"$ROOT"/}: uplinkd --check refused it: $out"
  fi
done

# A broken copy: the first `weight = N` of an example raised to 300 (weights are 1–256).
tmp=$(mktemp -d /tmp/uplinkd-examples.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT
src=$ROOT/examples/nat-router-connection.toml
if [ -r "$src" ]; then
  broken=$tmp/broken.toml
  sed '0,/^weight = [0-9]*/s//weight = 300/' "$src" >"$broken"
  line=$(grep -n '^weight = 300' "$broken" | head -n1 | cut -d: -f1)
  rc=0
  out=$("$UPLINKD_BIN" --check -c "$broken" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] && [[ $out == "$broken:$line:10: weight 300 is out of range"* ]]; then
    echo "ok   a copy with weight = 300 is refused: ${out#"$tmp"/}"
  else
    bad "a copy of ${src#"$ROOT"/} with weight = 300 (line $line): --check exited $rc, said '$out'"
  fi
else
  bad "no $src to break"
fi

if [ "$failures" -eq 0 ]; then
  echo "PASS: examples_test ($((SECONDS - T0))s)"
else
  echo "FAIL: examples_test ($failures problems after $((SECONDS - T0))s)"
  exit 1
fi
