#include "cli/hook_command.hpp"

#include <syslog.h>

#include <cstdio>
#include <exception>

#include "cli/control_client.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_json.hpp"

extern char** environ;

namespace uplinkd {
void report_hook_problem(int priority, const std::string& message) {
  std::fprintf(stderr, "uplinkctl hook: %s\n", message.c_str());
  openlog("uplinkctl", LOG_PID, LOG_DAEMON);
  syslog(priority, "hook: %s", message.c_str());
  closelog();
}

Environment current_environment() {
  Environment environment;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string text(*entry);
    auto equals = text.find('=');
    if (equals != std::string::npos) environment[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return environment;
}

int run_hook(const std::string& socket_path, std::optional<DhcpClient> client,
             const std::vector<std::string>& args) {
  try {
    HookEvent event = parse_hook(client, args, current_environment());
    if (event.change == LeaseChange::ignore) return 0;
    auto response = call_daemon(socket_path, {{"command", "hook"}, {"event", hook_event_to_json(event)}});
    if (!response.value("ok", false))
      report_hook_problem(LOG_WARNING, "uplinkd refused the event: " +
                                           response.value("error", std::string("no reason given")));
  } catch (const std::exception& error) {
    report_hook_problem(LOG_WARNING, error.what());
  }
  return 0;
}

}  // namespace uplinkd
