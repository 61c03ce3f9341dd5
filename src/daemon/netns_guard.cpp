// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/netns_guard.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <string_view>

namespace uplinkd {
namespace {

// The inode the kernel gives init_net's /proc/*/ns/net entry (PROC_NET_INIT_INO in include/linux/proc_ns.h):
// used when /proc/1/ns/net cannot be read, as in some sandboxes even for root.
constexpr ino_t kInitNetInode = 0xEFFFFFF9;

}  // namespace

std::optional<std::string> netns_guard_refusal() {
  const char* required = std::getenv("UPLINKD_REQUIRE_NETNS");
  if (!required || std::string_view(required) != "1") return std::nullopt;
  struct stat self {};
  if (stat("/proc/self/ns/net", &self) != 0) return "cannot read /proc/self/ns/net";
  struct stat init {};
  ino_t initial = stat("/proc/1/ns/net", &init) == 0 ? init.st_ino : kInitNetInode;
  if (self.st_ino == initial)
    return "UPLINKD_REQUIRE_NETNS=1 and this is the initial network namespace: refusing to touch the "
           "machine's "
           "own routing (run it with `ip netns exec NAME`)";
  return std::nullopt;
}

}  // namespace uplinkd
