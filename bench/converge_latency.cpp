// SPDX-License-Identifier: GPL-2.0-or-later
// converge_latency: how long uplinkd takes from an event to the kernel state it calls for (issues 2 and 13).
//
// Runs inside the router namespace that bench/run.sh builds (latency/topology.hpp: wanK, K = 1..N, dual
// stack, uplinkd configured with table 300+K for wanK). Subcommands:
//   cold-start  fork/exec uplinkd and time until every object of its full plan has been announced by the
//               kernel; the last start is left running for the other subcommands (its pid in --pidfile);
//   hook        200 DHCP renews sent as hook events whose router alternates between 100.64.K.1 and .2;
//   address     200 IPv4 address changes (add the new one, delete the old one, .10 <-> .11) seen by netlink;
//   prefix6     200 IPv6 renumberings: an address in the other /64 appears, the old one goes;
//   router6     200 times an uplink's RA router (`proto ra` default route) leaves and comes back.
// Figures go to stdout as RESULT lines (tab-separated, milliseconds) for run.sh's table; progress to stderr.
// See docs/benchmarks.md for what each figure starts and ends with.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>
#include <tuple>
#include <vector>

#include "latency/harness.hpp"
#include "latency/paths.hpp"

int main(int argc, char** argv) {
  using namespace uplinkd::bench;
  CLI::App app{"converge_latency: uplinkd's event-to-kernel latency (run it through bench/run.sh)"};
  app.require_subcommand(1);
  int uplinks = 2, iterations = 200, repeat = 5;
  std::string socket_path, pidfile, log;
  std::vector<std::string> command;
  auto* cold =
      app.add_subcommand("cold-start", "start uplinkd and time until its full plan is in the kernel");
  cold->add_option("--uplinks", uplinks)->required();
  cold->add_option("--repeat", repeat, "starts to time; the last one keeps running");
  cold->add_option("--pidfile", pidfile, "where the running uplinkd's pid is written")->required();
  cold->add_option("--log", log, "uplinkd's stdout and stderr")->required();
  cold->add_option("command", command, "uplinkd and its arguments (after --)")->required();
  using Path = int (*)(const std::string&, int, int);
  const std::vector<std::tuple<std::string, std::string, Path>> paths = {
      {"hook", "renews as hook events: send to response", hook_path},
      {"address", "IPv4 address changes: netlink ack to uplinkd's changes", address_path},
      {"prefix6", "IPv6 SLAAC renumbering: netlink ack to uplinkd's changes", prefix6_path},
      {"router6", "IPv6 RA router leaves and returns: netlink ack to uplinkd's changes", router6_path}};
  for (const auto& [name, description, path] : paths) {
    auto* sub = app.add_subcommand(name, description);
    sub->add_option("--uplinks", uplinks)->required();
    sub->add_option("--socket", socket_path)->required();
    sub->add_option("--iterations", iterations);
  }
  CLI11_PARSE(app, argc, argv);
  require_own_netns();
  if (uplinks < 1 || uplinks > 254 || iterations < 1 || repeat < 1)
    die("out-of-range --uplinks/--iterations");
  try {
    if (app.got_subcommand("cold-start")) return cold_start(uplinks, repeat, pidfile, log, command);
    for (const auto& [name, description, path] : paths)
      if (app.got_subcommand(name)) return path(socket_path, uplinks, iterations);
  } catch (const std::exception& error) {
    die(error.what());
  }
  return 1;
}
