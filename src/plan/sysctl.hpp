// SPDX-License-Identifier: GPL-2.0-or-later
// A sysctl the planner wants set. The kernel sends no event when one changes, so the daemon re-reads them on
// a slow timer (daemon/host_watch.hpp) and the applier restores them.
#pragma once

#include <string>
#include <string_view>

namespace uplinkd {

struct Sysctl {
  std::string key;  // below /proc/sys, with dots: "net.ipv4.fib_multipath_hash_policy"
  std::string value;
  // Set only where the kernel has it: one that lacks it needs none (net.mptcp.pm_type before 5.19, when the
  // in-kernel path manager was the only one). Without this, a sysctl the kernel lacks is an error.
  bool if_present = false;
  bool operator==(const Sysctl&) const = default;
};

// An interface's IPv6 setting `name` ("accept_ra"), as a Sysctl key: dotted, or with slashes when the
// interface's name holds a dot (a VLAN "eth0.7"), which the dotted form could not tell from a separator.
inline std::string ipv6_interface_sysctl(std::string_view interface, std::string_view name) {
  const char separator = interface.find('.') == std::string_view::npos ? '.' : '/';
  std::string key = "net" + std::string(1, separator) + "ipv6" + separator + "conf" + separator;
  return key + std::string(interface) + separator + std::string(name);
}

}  // namespace uplinkd
