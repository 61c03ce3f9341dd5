// SPDX-License-Identifier: GPL-2.0-or-later
// What systemd learns from uplinkd (Type=notify, sd_notify(3)): READY=1 once the first plan is in the kernel,
// STATUS= with a one-line summary, RELOADING=1 … READY=1 around a reload, STOPPING=1, and WATCHDOG=1 from the
// event loop at half of WATCHDOG_USEC, so that a stuck loop is restarted. Without NOTIFY_SOCKET (started by
// hand, in the tests' namespaces) every call does nothing.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <string>

#include "config/config.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

// "balancing over 2 of 3 uplinks" (and "; IPv6 over 1 of 3" once IPv6 is planned); "no uplink usable: …".
std::string service_status(const Config& config, const Plan& plan);

class ServiceNotifier {
 public:
  explicit ServiceNotifier(asio::io_context& io);

  void ready(const std::string& status);
  void reloading();
  void stopping();
  void status(const std::string& status);  // sent only when it changed, and once ready

 private:
  void send(const std::string& message);
  void schedule_watchdog();

  asio::steady_timer watchdog_timer_;
  std::chrono::microseconds watchdog_interval_{0};  // half of WATCHDOG_USEC; 0: no watchdog
  bool ready_ = false;  // STATUS= changes are kept until READY=1 says the first plan is in place
  std::string status_;
};

}  // namespace uplinkd
