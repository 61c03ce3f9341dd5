// `uplinkctl hook`: what DHCP clients' hooks call. It reads the client's environment, tells the daemon, and
// always exits 0: a DHCP client must never fail because uplinkd is down or confused.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sources/hook_event.hpp"

namespace uplinkd {

// Returns the process exit code, which is always 0; what went wrong is logged to stderr and syslog.
int run_hook(const std::string& socket_path, std::optional<DhcpClient> client,
             const std::vector<std::string>& args);

Environment current_environment();

// Writes why a hook call did nothing to stderr and syslog (priority as in syslog(3)).
void report_hook_problem(int priority, const std::string& message);

}  // namespace uplinkd
