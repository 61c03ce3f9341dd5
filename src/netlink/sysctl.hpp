// SPDX-License-Identifier: GPL-2.0-or-later
// Reading and writing the few sysctls uplinkd manages (fib_multipath_hash_policy, rp_filter,
// tcp_max_reordering). They are per network namespace, so they follow the daemon into its namespace.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace uplinkd::netlink {

// `name` is a path under `root`: "net/ipv4/fib_multipath_hash_policy", or in sysctl's dotted form
// "net.ipv4.fib_multipath_hash_policy" (use slashes when a component holds a dot, e.g. an interface
// "eth0.7"). Names with ".." or a leading "/" are refused. The value is returned without its trailing
// newline.
Expected<std::string> read_sysctl(std::string_view name, std::string_view root = "/proc/sys");
std::optional<KernelError> write_sysctl(std::string_view name, std::string_view value,
                                        std::string_view root = "/proc/sys");

}  // namespace uplinkd::netlink
