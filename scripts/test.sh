#!/usr/bin/env bash
# Installs what the tests need, builds uplinkd, and runs every test: unit tests, the namespace integration
# tests (as root), and the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Exits non-zero when any test fails. Usage: sudo scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh

cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$jobs"

cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DUPLINKD_SANITIZE=ON \
  -DUPLINKD_INTEGRATION_TESTS=OFF -DUPLINKD_BENCHMARKS=OFF >/dev/null
ninja -C build-asan -j"$jobs"

status=0
echo "== unit tests under ASan+UBSan"
(cd build-asan && ctest -L unit --output-on-failure -j"$jobs") || status=1
echo "== all tests (unit, then integration in network namespaces)"
(cd build && ctest --output-on-failure) || status=1

# Fuzzing: every target under fuzz/ runs for a short, fixed budget as a libFuzzer binary (clang from Debian,
# ASan+UBSan, its own build-fuzz/ with only the fuzz targets); a crash, hang, leak or sanitizer report fails
# the run. About 3-4 minutes on 2 cores, the build included. Longer searches: scripts/fuzz.sh 60
# (docs/fuzzing.md). UPLINKD_CI_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${UPLINKD_CI_FUZZ_SECONDS:-15}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzz targets, ${fuzz_seconds} s each (clang, libFuzzer, ASan+UBSan)"
  scripts/fuzz.sh "$fuzz_seconds" || status=1
fi
exit $status
