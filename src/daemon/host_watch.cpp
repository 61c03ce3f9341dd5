// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/host_watch.hpp"

#include <linux/netfilter.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "plan/ownership.hpp"

namespace uplinkd {
namespace {

netlink::NftablesMonitor open_monitor() {
  auto monitor = netlink::NftablesMonitor::open(NFPROTO_INET, ownership::kNftTable);
  if (!monitor) throw std::runtime_error("nftables monitor: " + monitor.error().message());
  return std::move(*monitor);
}

}  // namespace

HostWatch::HostWatch(asio::io_context& io, std::function<void(const std::string&)> repair,
                     std::function<void()> check)
    : repair_(std::move(repair)),
      check_(std::move(check)),
      monitor_(open_monitor()),
      stream_(io, monitor_.fd()),
      coalesce_(io),
      check_timer_(io) {
  wait_for_events();
  schedule_check();
}

HostWatch::~HostWatch() {
  // The stream does not own the monitor's descriptor; the monitor closes it.
  stream_.release();
}

void HostWatch::wait_for_events() {
  stream_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code error) {
    if (error) return;
    on_events();
    wait_for_events();
  });
}

void HostWatch::on_events() {
  auto changed = monitor_.read_pending();
  if (!changed) {
    spdlog::warn("nftables monitor: {}", changed.error().message());
    return;
  }
  if (!*changed || repair_pending_) return;
  repair_pending_ = true;
  coalesce_.expires_after(kCoalesce);
  coalesce_.async_wait([this](std::error_code error) {
    if (error) return;
    repair_pending_ = false;
    repair_("another program changed nftables table inet " + std::string(ownership::kNftTable));
  });
}

void HostWatch::schedule_check() {
  check_timer_.expires_after(kCheckPeriod);
  check_timer_.async_wait([this](std::error_code error) {
    if (error) return;
    check_();
    schedule_check();
  });
}

}  // namespace uplinkd
