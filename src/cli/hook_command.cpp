// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/hook_command.hpp"

#include <signal.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "cli/control_client.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_json.hpp"

extern char** environ;

namespace uplinkd {
namespace {

// Only async-signal-safe calls: the process may be anywhere, in syslog() or in malloc.
void give_up(int) {
  static const char message[] = "uplinkctl hook: no answer from uplinkd before the deadline; giving up\n";
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
  ::_exit(0);
}

void start_watchdog(std::chrono::milliseconds timeout) {
  struct sigaction action {};
  action.sa_handler = give_up;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGALRM, &action, nullptr);
  itimerval timer{};
  timer.it_value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  timer.it_value.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setitimer(ITIMER_REAL, &timer, nullptr);
}

}  // namespace

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
             const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  // The exchange ends a little before the watchdog, so that its error is reported (and syslogged) normally;
  // the watchdog is for what has no deadline of its own.
  start_watchdog(timeout);
  const auto exchange = timeout - std::min(timeout / 4, std::chrono::milliseconds(250));
  try {
    HookEvent event = parse_hook(client, args, current_environment());
    if (event.change == LeaseChange::ignore) return 0;
    auto response =
        call_daemon(socket_path, {{"command", "hook"}, {"event", hook_event_to_json(event)}}, exchange);
    if (!response.value("ok", false))
      report_hook_problem(LOG_WARNING, "uplinkd refused the event: " +
                                           response.value("error", std::string("no reason given")));
  } catch (const std::exception& error) {
    report_hook_problem(LOG_WARNING, error.what());
  }
  return 0;
}

}  // namespace uplinkd
