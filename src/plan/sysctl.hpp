// A sysctl the planner wants set. The kernel sends no event when one changes, so the daemon re-reads them on
// a slow timer (daemon/host_watch.hpp) and the applier restores them.
#pragma once

#include <string>

namespace uplinkd {

struct Sysctl {
  std::string key;  // below /proc/sys, with dots: "net.ipv4.fib_multipath_hash_policy"
  std::string value;
  bool operator==(const Sysctl&) const = default;
};

}  // namespace uplinkd
