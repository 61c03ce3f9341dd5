// SPDX-License-Identifier: GPL-2.0-or-later
// Tells the daemon when uplinkd's nftables table or sysctls may no longer be what it wrote, so that a
// converge repairs them. nftables announces every change (NFNLGRP_NFTABLES): a change of uplinkd's table by
// another process (`nft flush ruleset`, nftables.service's reload, a firewall manager) asks for a repair
// after a short pause that gathers a burst into one. Sysctls announce nothing: they are compared on a slow
// timer. Both only ask; the applier's dump and diff decide what, if anything, differs.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "netlink/nftables_monitor.hpp"

namespace uplinkd {

class HostWatch {
 public:
  static constexpr auto kCoalesce = std::chrono::milliseconds(200);
  static constexpr auto kCheckPeriod = std::chrono::seconds(5);

  // `repair(reason)` runs a converge; `check()` compares and converges when something differs.
  // Throws std::runtime_error when the nftables monitor cannot be opened.
  HostWatch(asio::io_context& io, std::function<void(const std::string&)> repair,
            std::function<void()> check);
  ~HostWatch();
  HostWatch(const HostWatch&) = delete;
  HostWatch& operator=(const HostWatch&) = delete;

 private:
  void wait_for_events();
  void on_events();
  void schedule_check();

  std::function<void(const std::string&)> repair_;
  std::function<void()> check_;
  netlink::NftablesMonitor monitor_;
  asio::posix::stream_descriptor stream_;
  asio::steady_timer coalesce_;
  asio::steady_timer check_timer_;
  bool repair_pending_ = false;
};

}  // namespace uplinkd
