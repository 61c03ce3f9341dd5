// SPDX-License-Identifier: GPL-2.0-or-later
// `uplinkctl exec UPLINK -- CMD [ARGS...]`: runs CMD so that its connections leave only by UPLINK, with that
// uplink's source address and table, like mwan3's `mwan3 use`. uplinkctl asks the daemon for the uplink
// (`status`), refuses one that is unknown or down in both families, and execs CMD with libuplinkd-exec.so
// preloaded (src/cli/exec_shim.c says what it does to each socket, and why at creation and before the source
// is chosen). Exit status: CMD's own once it runs; 1 when the uplink is unknown or not usable, or CMD cannot
// be steered (static, Go, another architecture); 2 when the daemon cannot be reached; 127 when CMD cannot be
// run.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace uplinkd {

// What the preload library steers CMD's sockets by.
struct ExecTarget {
  std::string uplink;
  uint32_t mark = 0;     // ownership::uplink_mark(table)
  std::string address;   // IPv4, without its length; empty when the uplink's IPv4 side is down
  std::string address6;  // IPv6 likewise
};

// The uplink named `name` in a `status` answer, or why nothing may run: `refusal` names an unknown uplink and
// the known ones, or says why an uplink down in both families is not usable. A drained or standby uplink is
// usable: testing an ISP while it takes no new connections is what exec is for.
struct ExecChoice {
  std::optional<ExecTarget> target;
  std::string refusal;
};
ExecChoice choose_exec_target(const nlohmann::json& status, const std::string& name);

// Why the preload library could not steer the program at `path`, which the C library's LD_PRELOAD would
// then skip in silence: a static program (no dynamic loader), one of another ELF class or machine, or a Go
// program (its sockets never pass through the C library). Nothing for a dynamic ELF of this machine, a
// script (its interpreter is found at exec) or a file that cannot be read (exec then says why).
std::optional<std::string> unsteerable_program(const std::string& path);

// Where execvp(3) would find `name` with `search_path` ($PATH; unset: glibc's default); nothing when it would
// find nothing. A name with a slash is itself.
std::optional<std::string> find_program(const std::string& name, const char* search_path);

// The preload library: beside uplinkctl in a build tree, else where the package installs it.
std::string exec_shim_path();

// The whole command. Returns an exit status only when CMD did not start; throws std::runtime_error when the
// daemon cannot be reached (main makes that exit status 2).
int run_exec(const std::string& socket_path, std::chrono::milliseconds timeout, const std::string& uplink,
             const std::vector<std::string>& command);

}  // namespace uplinkd
