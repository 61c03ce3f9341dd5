#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the fuzz targets under fuzz/ (one per fuzz/corpus/<target>/) as libFuzzer binaries (clang,
# ASan+UBSan) in build-fuzz/ and runs each for SECONDS (default 60) on a fresh copy of its seed corpus.
# Prints, per target, how many inputs it ran and whether it crashed; a crashing input is left in
# build-fuzz/fuzz-artifacts/<target>/ (see docs/fuzzing.md for what to do with it). Exits non-zero when any
# target crashed, leaked, hung or ran out of memory. scripts/test.sh runs it with a short budget in CI.
#
#   scripts/fuzz.sh [SECONDS]
#
# clang and its libFuzzer runtime are a developer's tools, not the project's build dependencies: if they are
# missing, this script installs them (as root) or says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac
# Every target has a seed corpus, and every corpus a target (fuzz/CMakeLists.txt registers each as a test).
targets=()
for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done

# Debian's clang-14 keeps libFuzzer (libclang_rt.fuzzer) and the sanitizer runtimes in libclang-rt-14-dev,
# which clang only recommends: an install without recommends has clang but cannot link -fsanitize=fuzzer.
libfuzzer_links() {
  local dir rc
  dir=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$dir/t.cpp"
  rc=0
  clang++ -fsanitize=fuzzer,address,undefined "$dir/t.cpp" -o "$dir/t" 2>/dev/null || rc=1
  rm -rf "$dir"
  return $rc
}
if ! command -v clang++ >/dev/null || ! libfuzzer_links; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz: needs clang with libFuzzer: apt-get install clang libclang-rt-14-dev (as root)" >&2
    exit 1
  fi
  echo "== installing clang and libFuzzer (clang libclang-rt-14-dev)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang libclang-rt-14-dev >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      clang libclang-rt-14-dev >/dev/null; }
  libfuzzer_links || { echo "fuzz: clang still cannot link -fsanitize=fuzzer" >&2; exit 1; }
fi

echo "== building the fuzzers in build-fuzz/"
CC=clang CXX=clang++ cmake -G Ninja -S . -B build-fuzz -DUPLINKD_FUZZ=ON -DUPLINKD_INTEGRATION_TESTS=OFF \
  -DUPLINKD_BENCHMARKS=OFF >/dev/null
# Only the libFuzzer binaries (and the modules they test): not the replay binaries, not the daemon.
ninja -C build-fuzz "${targets[@]}" >/dev/null

status=0
summary=()
for target in "${targets[@]}"; do
  corpus=build-fuzz/fuzz-corpus/$target
  artifacts=build-fuzz/fuzz-artifacts/$target
  log=build-fuzz/fuzz-logs/$target.log
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp fuzz/corpus/"$target"/* "$corpus"/
  seeds=$(find "$corpus" -type f | wc -l)
  echo "== $target: ${seconds}s from $seeds seeds"
  rc=0
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: memory that grows without bound is a bug too.
  build-fuzz/fuzz/"$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found=$(find "$corpus" -type f | wc -l)
  line="$target: ${execs:-?} executions, corpus $seeds -> $found inputs"
  if [ "$rc" -ne 0 ]; then
    status=1
    line+=", FAIL (exit $rc): $(find "$artifacts" -type f | tr '\n' ' ')"
    echo "   $line"
    grep -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal|ALARM|out-of-memory|leak' "$log" | sed 's/^/   /' || true
    echo "   log: $log"
  else
    line+=", no crash: PASS"
    echo "   $line"
  fi
  summary+=("$line")
done

echo "== summary (${seconds}s per target)"
printf '   %s\n' "${summary[@]}"
exit $status
