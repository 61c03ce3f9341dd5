#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Debian package: a Release build in build-release/ as a Debian packager's (dpkg-buildflags,
# prefix /usr, no tests, no benchmarks, no -Werror), then CPack's DEB generator over the install() rules.
# Prints the path of build-release/uplinkd_<version>_<arch>.deb (version from project(), arch from
# `dpkg --print-architecture`). Needs scripts/install-deps.sh's packages; no root, and it installs nothing
# on this machine (docs/packaging.md says how to install the package). Usage: scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="build-release"

# Debian's flags (CMake reads no CPPFLAGS, so they join CXXFLAGS, as debhelper does), given as -D so that a
# build-release/ left from another run cannot keep old ones. SOURCE_DATE_EPOCH (the last commit's time, as
# dpkg-buildpackage takes it from the changelog) makes the man pages' dates and the archive reproducible.
# hardening=+all adds bindnow (-z now: all of the GOT read-only before main) to Debian's default flags, as
# for a network daemon that runs as root it should be.
export DEB_BUILD_MAINT_OPTIONS=${DEB_BUILD_MAINT_OPTIONS:-hardening=+all}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DUPLINKD_WERROR=OFF \
  -DBUILD_TESTING=OFF -DUPLINKD_BENCHMARKS=OFF -DUPLINKD_INTEGRATION_TESTS=OFF \
  -DCMAKE_CXX_FLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  -DCMAKE_C_FLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  -DCMAKE_MODULE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
ninja -C "$build" -j"$(nproc)" >&2

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
deb=$build/uplinkd_${version}_$(dpkg --print-architecture).deb
rm -f "$deb"
(cd "$build" && cpack -G DEB >&2)
[ -f "$deb" ] || { echo "package.sh: cpack made no $deb" >&2; exit 1; }
echo "$PWD/$deb"
