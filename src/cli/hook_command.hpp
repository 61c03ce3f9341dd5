// SPDX-License-Identifier: GPL-2.0-or-later
// `uplinkctl hook`: what DHCP clients' hooks call. It reads the client's environment, tells the daemon, and
// always exits 0 within its deadline: dhclient, dhcpcd and udhcpc run hooks synchronously, so a hook that
// failed or hung would make the client fail or hang, whether uplinkd is down, stopped, or confused.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sources/hook_event.hpp"

namespace uplinkd {

// The whole call (connect, request, answer) by default; `--timeout` or $UPLINKCTL_TIMEOUT change it.
inline constexpr std::chrono::milliseconds kHookTimeout{3000};

// Returns the process exit code, which is always 0; what went wrong is logged to stderr and syslog. A
// watchdog ends the process with status 0 at `timeout` whatever it is waiting for (even syslog).
int run_hook(const std::string& socket_path, std::optional<DhcpClient> client,
             const std::vector<std::string>& args, std::chrono::milliseconds timeout = kHookTimeout);

Environment current_environment();

// Writes why a hook call did nothing to stderr and syslog (priority as in syslog(3)).
void report_hook_problem(int priority, const std::string& message);

}  // namespace uplinkd
