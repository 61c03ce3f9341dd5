// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkctl: talks to a running uplinkd over its control socket.
#include <syslog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "cli/control_client.hpp"
#include "cli/default_socket.hpp"
#include "cli/event_stream.hpp"
#include "cli/exec_command.hpp"
#include "cli/hook_command.hpp"
#include "cli/status_table.hpp"
#include "common/version.hpp"

namespace {

// Prints the daemon's answer; a refused request is an error on stderr and exit code 1.
int finish(const nlohmann::json& response, const std::function<void(const nlohmann::json&)>& print) {
  if (!response.value("ok", false)) {
    std::cerr << "uplinkctl: " << response.value("error", std::string("uplinkd refused the request")) << "\n";
    return 1;
  }
  print(response);
  return 0;
}

// The one-line confirmation of drain, undrain and weight, from the daemon's fields where it sends them.
std::string operator_confirmation(const nlohmann::json& request, const nlohmann::json& response) {
  std::string action = request["command"];
  std::string name = response.value("uplink", request["uplink"].get<std::string>());
  if (action != "weight") {
    if (response.value("changed", true) == false) return name + " was already " + action + "ed";
    return action + "ed " + name;  // drained, undrained
  }
  std::string text = name + " weight " + response.value("weight", request["weight"]).dump();
  if (response.contains("was")) text += " (was " + response["was"].dump() + ")";
  return text;
}

// Every line after the response, flushed at once so that a pipe sees each event when it happens.
int stream_events(const std::string& socket, std::optional<size_t> count, std::chrono::milliseconds timeout) {
  uplinkd::EventStream stream(socket, {{"command", "events"}}, timeout);
  return finish(stream.response(), [&](const nlohmann::json&) {
    for (size_t seen = 0; !count || seen < *count; ++seen) {
      auto line = stream.next_line();
      if (!line) break;
      std::cout << *line << std::endl;
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"uplinkctl — see and steer a running uplinkd"};
  const char* socket_from_env = std::getenv("UPLINKD_SOCKET");
  std::string socket = socket_from_env ? socket_from_env : uplinkd::default_socket();
  app.add_option(
      "-s,--socket", socket,
      "uplinkd's control socket (default $UPLINKD_SOCKET, or /run/uplinkd/uplinkd.sock, or the old "
      "/run/uplinkd.sock when only it exists)");
  // One deadline per call: connect, request and answer. Hooks default to less, since a DHCP client waits.
  std::string timeout_text;
  if (const char* from_env = std::getenv("UPLINKCTL_TIMEOUT")) timeout_text = from_env;
  app.add_option("-t,--timeout", timeout_text,
                 "seconds to wait for uplinkd's answer, all included (default $UPLINKCTL_TIMEOUT, or 3 for "
                 "hook and 5 for the others)");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("uplinkctl ") + uplinkd::kVersion);
  // Global options after the subcommand too (`uplinkctl hook -s SOCK`, as DHCP client configs write it):
  // each subcommand passes the options it does not know up to the app. Set before the subcommands, which
  // inherit it.
  app.fallthrough();

  auto* status = app.add_subcommand(
      "status", "show every uplink: state and why, health, address, gateway, weight, tier, table");
  bool json = false;
  status->add_flag("--json", json, "print the daemon's JSON as it is");
  auto* plan = app.add_subcommand("plan", "print the plan as equivalent ip/nft commands (changes nothing)");
  auto* reload =
      app.add_subcommand("reload", "re-read the config file; a bad one is refused and the old one stays");
  auto* call =
      app.add_subcommand("call", "send one raw request line (JSON) and print the raw answer, for scripts");
  std::string raw_request;
  call->add_option("request", raw_request, "e.g. '{\"command\": \"help\"}'")->required();
  auto* hook =
      app.add_subcommand("hook", "called by DHCP clients' hooks: report a lease event (always exits 0)");
  std::string client_name;
  std::vector<std::string> hook_args;
  hook->add_option("--client", client_name,
                   "dhclient, dhcpcd or udhcpc (guessed from the environment if absent)")
      ->check(CLI::IsMember({"dhclient", "dhcpcd", "udhcpc"}));
  hook->add_option("args", hook_args, "udhcpc's action (deconfig, bound, renew, ...)");

  auto* events = app.add_subcommand(
      "events", "print state changes as JSON lines as they happen, until uplinkd closes the stream");
  std::optional<size_t> event_count;
  events->add_option("--count", event_count, "exit after N events")->check(CLI::Range(1, 1000000000));
  // drain, undrain and weight: one uplink, one change, the same request shape.
  std::string uplink;
  auto* drain = app.add_subcommand("drain", "take an uplink out of balancing, whatever its health");
  drain->add_option("uplink", uplink, "the uplink's name")->required();
  auto* undrain = app.add_subcommand("undrain", "undo drain: the uplink balances again when it is usable");
  undrain->add_option("uplink", uplink, "the uplink's name")->required();
  auto* weight = app.add_subcommand("weight", "change an uplink's weight in the running daemon");
  int new_weight = 0;
  weight->add_option("uplink", uplink, "the uplink's name")->required();
  weight->add_option("weight", new_weight, "1-256")->required()->check(CLI::Range(1, 256));
  auto* exec = app.add_subcommand(
      "exec", "run a command whose connections leave only by one uplink: exec UPLINK -- COMMAND [ARGS...]");
  std::vector<std::string> exec_command;
  exec->add_option("uplink", uplink, "the uplink's name")->required();
  exec->add_option("command", exec_command, "the command and its arguments, after --")->required();

  try {
    app.parse(argc, argv);
    // Without `--`, the command's own options would be taken for uplinkctl's (`exec wan1 ping -t 5 HOST`
    // would lose its -t 5 to --timeout): the command is whatever follows the first `--`, and nothing else.
    if (exec->parsed()) {
      char** end = argv + argc;
      char** dashes =
          std::find_if(argv + 1, end, [](const char* word) { return std::string_view(word) == "--"; });
      if (dashes == end || std::vector<std::string>(dashes + 1, end) != exec_command)
        throw CLI::ValidationError("command", "put -- before it: uplinkctl exec UPLINK -- COMMAND [ARGS...]");
    }
  } catch (const CLI::ParseError& error) {
    // A DHCP client's hook must never fail, even when it calls us wrongly. --help and --version are answers,
    // not mistakes (exit code 0), for hook as for the others.
    if (hook->parsed() && error.get_exit_code() != 0) {
      uplinkd::report_hook_problem(LOG_WARNING, "bad arguments: " + std::string(error.what()));
      return 0;
    }
    return app.exit(error);
  }

  std::optional<std::chrono::milliseconds> timeout;
  if (!timeout_text.empty() && !(timeout = uplinkd::parse_timeout(timeout_text))) {
    std::string problem = "timeout \"" + timeout_text + "\" is not a number of seconds from 0.001 to 3600";
    if (!hook->parsed()) {
      std::cerr << "uplinkctl: " << problem << "\n";
      return 2;
    }
    uplinkd::report_hook_problem(LOG_WARNING, problem + "; using 3");
  }
  if (hook->parsed()) {
    std::optional<uplinkd::DhcpClient> client;
    if (!client_name.empty()) client = uplinkd::dhcp_client_from_string(client_name);
    return uplinkd::run_hook(socket, client, hook_args, timeout.value_or(uplinkd::kHookTimeout));
  }
  const auto answer_within = timeout.value_or(uplinkd::kDefaultTimeout);
  try {
    if (status->parsed()) {
      return finish(uplinkd::call_daemon(socket, {{"command", "status"}}, answer_within),
                    [&](const nlohmann::json& response) {
                      std::cout << (json ? response.dump(2) + "\n" : uplinkd::render_status_table(response));
                    });
    }
    if (plan->parsed()) {
      return finish(uplinkd::call_daemon(socket, {{"command", "plan"}}, answer_within),
                    [](const nlohmann::json& response) {
                      for (const auto& command : response.value("commands", nlohmann::json::array()))
                        std::cout << command.get<std::string>() << "\n";
                      // As comments, so that the output stays a script: what the daemon's next converge
                      // would change of the MPTCP endpoints, and why it keeps none.
                      for (const auto& change : response.value("mptcp_changes", nlohmann::json::array()))
                        if (change.is_string())
                          std::cout << "# pending: " << change.get<std::string>() << "\n";
                      if (auto why = response.find("mptcp_unmanaged");
                          why != response.end() && why->is_string())
                        std::cout << "# MPTCP endpoints left alone: " << why->get<std::string>() << "\n";
                    });
    }
    if (call->parsed()) {
      auto response = uplinkd::call_daemon_raw(socket, raw_request, answer_within);
      std::cout << response.dump() << "\n";
      return response.value("ok", false) ? 0 : 1;
    }
    if (events->parsed()) return stream_events(socket, event_count, answer_within);
    if (exec->parsed()) return uplinkd::run_exec(socket, answer_within, uplink, exec_command);
    for (auto* command : {drain, undrain, weight}) {
      if (!command->parsed()) continue;
      nlohmann::json request = {{"command", command->get_name()}, {"uplink", uplink}};
      if (command == weight) request["weight"] = new_weight;
      return finish(uplinkd::call_daemon(socket, request, answer_within),
                    [&](const nlohmann::json& response) {
                      std::cout << operator_confirmation(request, response) << "\n";
                    });
    }
    if (reload->parsed()) {
      return finish(uplinkd::call_daemon(socket, {{"command", "reload"}}, answer_within),
                    [](const nlohmann::json& response) {
                      std::cout << "reloaded " << response.value("config", std::string()) << "\n";
                    });
    }
  } catch (const std::exception& error) {
    std::cerr << "uplinkctl: " << error.what() << "\n";
    return 2;
  }
  return 0;
}
