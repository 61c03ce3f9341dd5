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
exit $status
