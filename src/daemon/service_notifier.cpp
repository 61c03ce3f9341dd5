// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/service_notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstring>

namespace uplinkd {
namespace {

size_t in_group(const Plan& plan, Family family) {
  size_t count = 0;
  for (const auto& uplink : plan.uplinks) count += uplink.in_group_of(family);
  return count;
}

}  // namespace

std::string service_status(const Config& config, const Plan& plan) {
  const size_t total = config.uplinks.size();
  const size_t v4 = in_group(plan, Family::v4);
  std::string text = v4 ? "balancing over " + std::to_string(v4) + " of " + std::to_string(total) + " uplinks"
                        : "no uplink usable for IPv4";
  if (plans_ipv6(plan)) {
    const size_t v6 = in_group(plan, Family::v6);
    text += v6 ? "; IPv6 over " + std::to_string(v6) + " of " + std::to_string(total)
               : "; no uplink usable for IPv6";
  }
  return text;
}

ServiceNotifier::ServiceNotifier(asio::io_context& io) : watchdog_timer_(io) {
  uint64_t usec = 0;
  // WATCHDOG_PID, when set, must be ours: sd_watchdog_enabled checks it.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
    schedule_watchdog();
  }
}

void ServiceNotifier::ready(const std::string& status) {
  ready_ = true;
  status_ = status;
  send("READY=1\nSTATUS=" + status);
}

void ServiceNotifier::reloading() {
  // MONOTONIC_USEC: what systemd's Type=notify-reload asks for with RELOADING=1 (sd_notify(3)); harmless
  // for Type=notify.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotifier::stopping() {
  watchdog_timer_.cancel();
  send("STOPPING=1");
}

void ServiceNotifier::status(const std::string& status) {
  if (status == status_) return;
  status_ = status;
  if (ready_) send("STATUS=" + status);
}

void ServiceNotifier::send(const std::string& message) {
  const int result = sd_notify(0, message.c_str());
  if (result < 0) spdlog::warn("sd_notify: {}", std::strerror(-result));
}

// From the loop itself: a loop stuck in a handler sends nothing, and systemd restarts the service.
void ServiceNotifier::schedule_watchdog() {
  send("WATCHDOG=1");
  watchdog_timer_.expires_after(watchdog_interval_);
  watchdog_timer_.async_wait([this](const asio::error_code& error) {
    if (!error) schedule_watchdog();
  });
}

}  // namespace uplinkd
