#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs every Debian package uplinkd needs to build, test, benchmark and run its demo.
# Service-less variants are chosen on purpose (dnsmasq-base, dhcpcd-base): the tests start these
# programs themselves inside network namespaces, and a service started by the package in the machine's own
# namespace would hand out leases or rewrite routes there.
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config clang-format clang libclang-rt-14-dev dpkg-dev
  libmnl-dev libnftables-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libasio-dev libgtest-dev libgmock-dev libbenchmark-dev libnetfilter-conntrack-dev libcap-ng-dev
  libsystemd-dev  # sd_notify: Type=notify, the watchdog
  libcpp-httplib-dev  # the [web] endpoint: /metrics, /api/status, /api/events, the status page
  scdoc  # the man pages (docs/man/*.scd) are built to roff at build time
)
runtime_test_packages=(
  iproute2 nftables conntrack iputils-ping iperf3 procps psmisc jq
  dnsmasq-base isc-dhcp-client dhcpcd-base udhcpc busybox
  kea-dhcp6-server  # DHCPv6 with prefix delegation (tests/integration/dhcpv6_test.sh)
  radvd  # router advertisements to the LAN, deprecated by hooks/radvd-deprecate (tests/integration/nat66_test.sh)
  systemd  # systemd-analyze, for the unit's sandboxing check (tests/lint/unit_security_test.sh)
  man-db  # man -l: the man pages render (tests/lint/man_pages_test.sh)
  prometheus  # promtool check metrics on /metrics (tests/integration/web_test.sh); its service is kept from starting
  chromium chromium-driver python3-selenium  # the status page in headless Chromium (tests/integration/web_page_test.sh)
  lintian  # the package's checks (tests/lint/package_test.sh)
  curl  # HTTP requests to the [web] endpoint, and uplinkctl exec's test
  mptcpize  # an unmodified iperf3 speaks MPTCP (tests/integration/mptcp_test.sh); not mptcpd, whose service would keep endpoints
)

missing=()
for pkg in "${build_packages[@]}" "${runtime_test_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run this script as root" >&2
  exit 1
fi

# Keep any package from starting a service while it is installed (iperf3 and nftables ship units).
# An existing policy-rc.d belongs to the machine and is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
trap '[ "$own_policy" -eq 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
