// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkd: balances traffic over several uplinks and fails over between them. Runs in the foreground and
// logs to stderr (systemd's journal picks it up).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "common/version.hpp"
#include "config/config.hpp"
#include "daemon/conflicting_hooks.hpp"
#include "daemon/daemon.hpp"
#include "daemon/flush.hpp"
#include "daemon/netns_guard.hpp"
#include "daemon/privileges.hpp"

namespace {

// uplinkd --flush [-c FILE]: for the package's prerm (after the unit is stopped), and for an admin taking
// uplinkd out of a router whose daemon stopped with on_exit = "keep". The config only names the socket to
// look for a running daemon at; a config that does not load does not stop the flush.
int flush_and_exit(const std::string& config_path) {
  std::string socket = uplinkd::Config{}.socket;
  if (!config_path.empty()) {
    try {
      socket = uplinkd::load_config(config_path).socket;
    } catch (const uplinkd::InputError& error) {
      std::cerr << "uplinkd: " << error.what() << "\nuplinkd: looking for a daemon at " << socket
                << " instead\n";
    }
  }
  if (uplinkd::socket_answers(socket)) {
    std::cerr << "uplinkd: a daemon answers on " << socket
              << ": stop it first (systemctl stop uplinkd), or it puts back what --flush removes\n";
    return 2;  // apart from a failed flush: the package's prerm stops a removal for this one only
  }
  if (auto refusal = uplinkd::netns_guard_refusal()) {
    std::cerr << "uplinkd: " << *refusal << "\n";
    return 1;
  }
  auto result = uplinkd::flush_owned_objects();
  for (const auto& error : result.errors) std::cerr << "uplinkd: " << error << "\n";
  std::cout << "uplinkd: removed " << result.removed << " kernel objects\n";
  return result.errors.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"uplinkd — balance traffic over several uplinks and fail over between them"};
  std::string config_path;
  bool check_only = false;
  bool flush_only = false;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path,
                 "config file: TOML, or dhcp-lb's `interface table-name table-id weight` lines");
  auto* check = app.add_flag("--check", check_only, "validate the config and exit (0 when it is good)");
  app.add_flag("--flush", flush_only,
               "remove every kernel object uplinkd owns (what on_exit = \"flush\" removes) and exit; "
               "refused while a daemon answers on the control socket (-c names it; default "
               "/run/uplinkd/uplinkd.sock)")
      ->excludes(check);
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.set_version_flag("--version", std::string("uplinkd ") + uplinkd::kVersion);
  try {
    app.parse(argc, argv);
    if (config_path.empty() && !flush_only) throw CLI::RequiredError("--config");
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  if (flush_only) return flush_and_exit(config_path);

  uplinkd::Config config;
  try {
    config = uplinkd::load_config(config_path);
  } catch (const uplinkd::InputError& error) {
    std::cerr << error.what() << "\n";
    return 1;
  }
  if (check_only) {
    for (const auto& warning : uplinkd::conflicting_hook_warnings(config))
      std::cerr << "warning: " << warning << "\n";
    std::cout << config_path << ": OK, " << config.uplinks.size() << " uplinks, mode "
              << uplinkd::mode_name(config.mode) << "\n";
    return 0;
  }
  if (auto refusal = uplinkd::netns_guard_refusal()) {
    std::cerr << "uplinkd: " << *refusal << "\n";
    return 1;
  }

  auto logger = spdlog::stderr_color_mt("uplinkd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(log_level));
  spdlog::set_default_logger(logger);
  // After the checks that need more (the netns guard reads /proc/1/ns/net, which needs ptrace access to
  // init) and before the Daemon: from here on only CAP_NET_ADMIN and CAP_NET_RAW. Nothing has started a
  // thread yet, and capabilities are a thread's.
  try {
    auto outcome = uplinkd::drop_to_least_privilege();
    spdlog::info("capabilities: keeping {} (bounding set {}), dropped {}",
                 uplinkd::capability_names(outcome.after.permitted),
                 uplinkd::capability_names(outcome.after.bounding),
                 uplinkd::capability_names(outcome.before.permitted & ~outcome.after.permitted));
    if (outcome.missing)
      spdlog::warn(
          "uplinkd was started without {}: what needs it will fail (run it as root, or with the "
          "unit's AmbientCapabilities)",
          uplinkd::capability_names(outcome.missing));
  } catch (const std::exception& error) {
    spdlog::critical("{}", error.what());
    return 1;
  }
  // The default socket, /run/uplinkd/uplinkd.sock, is in the directory systemd makes (RuntimeDirectory=);
  // started by hand, uplinkd makes it itself. Only the last level, as `mkdir` would.
  auto socket_directory = std::filesystem::path(config.socket).parent_path();
  if (!socket_directory.empty() && ::mkdir(socket_directory.c_str(), 0755) != 0 && errno != EEXIST)
    spdlog::warn("cannot create {}, the control socket's directory: {}", socket_directory.string(),
                 std::strerror(errno));
  try {
    uplinkd::Daemon daemon(std::move(config));
    return daemon.run();
  } catch (const std::exception& error) {
    spdlog::critical("{}", error.what());
    return 1;
  }
}
