#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what the tests need, builds uplinkd, and runs every test: unit tests, the namespace integration
# tests (as root), and the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Warnings are errors in these builds (UPLINKD_WERROR). It also builds the Debian package as
# scripts/package.sh does (Release, dpkg-buildflags, no -Werror), which the tests then unpack and check.
# Exits non-zero when any test fails. Usage, as root: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh

cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPLINKD_WERROR=ON >/dev/null
ninja -C build -j"$jobs"

cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DUPLINKD_SANITIZE=ON -DUPLINKD_WERROR=ON \
  -DUPLINKD_INTEGRATION_TESTS=OFF -DUPLINKD_BENCHMARKS=OFF >/dev/null
ninja -C build-asan -j"$jobs"

# The packager's build and the Debian package, before ctest: lint.package checks build-release/'s .deb and
# would skip without it. scripts/package.sh builds as Debian's tools do: Release, dpkg-buildflags' flags
# (CMake reads no CPPFLAGS, so they join CXXFLAGS, as debhelper does), given as -D so that a build-release/
# left from another run cannot keep old ones; no tests, no -Werror.
echo "== Release build with dpkg-buildflags and the Debian package (scripts/package.sh)"
scripts/package.sh

status=0
echo "== unit tests under ASan+UBSan"
(cd build-asan && ctest -L unit --output-on-failure -j"$jobs") || status=1
# Fuzzing: every target under fuzz/ runs for a short, fixed budget as a libFuzzer binary (clang from Debian,
# ASan+UBSan, its own build-fuzz/ with only the fuzz targets); a crash, hang, leak or sanitizer report fails
# the run. About 3-4 minutes on 2 cores, the build included. Longer searches: scripts/fuzz.sh 60
# (docs/fuzzing.md). UPLINKD_CI_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${UPLINKD_CI_FUZZ_SECONDS:-15}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzz targets, ${fuzz_seconds} s each (clang, libFuzzer, ASan+UBSan)"
  scripts/fuzz.sh "$fuzz_seconds" || status=1
fi
# The full ctest run comes last, so that its summary is the run's closing lines. Two at a time: the integration
# tests hold a lock that keeps them one at a time, and the ten-minute false-alarm count runs beside them
# (tests/integration/CMakeLists.txt).
echo "== all tests (unit, then integration in network namespaces)"
(cd build && ctest --output-on-failure -j2) || status=1

exit $status
