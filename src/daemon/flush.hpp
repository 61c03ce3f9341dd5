// SPDX-License-Identifier: GPL-2.0-or-later
// `uplinkd --flush`: what a stop with on_exit = "flush" removes, without a daemon. A daemon stopped with
// on_exit = "keep" (or killed) leaves its routes, rules, nexthops and nftables table in the kernel, and
// nothing of it goes away by itself; this removes them. The package's prerm runs it after stopping the
// unit, so that removing the package leaves the network as it was whatever on_exit says.
#pragma once

#include <string>
#include <vector>

namespace uplinkd {

// True when something accepts connections on the Unix socket at `path`: a running daemon, which would put
// back within a second whatever a flush removed under it.
bool socket_answers(const std::string& path);

struct FlushResult {
  size_t removed = 0;               // kernel objects removed
  std::vector<std::string> errors;  // one line each: a failed dump, or a change the kernel refused
};

// Removes every kernel object uplinkd owns (plan/ownership.hpp: routes of its protocol in any table, rules
// of its protocol in its priority range, nexthops in its id ranges, the nftables table inet uplinkd; MPTCP
// endpoints with ids 200-255, plan/mptcp_endpoints.hpp), as Daemon::shutdown does with on_exit = "flush".
// Needs no config: ownership is by those marks alone, so nothing of anyone else's is touched. Sysctls a
// config set and the MPTCP limits stay, as they do after a daemon's flush.
FlushResult flush_owned_objects();

}  // namespace uplinkd
