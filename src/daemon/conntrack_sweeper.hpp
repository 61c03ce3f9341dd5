// SPDX-License-Identifier: GPL-2.0-or-later
// Runs delete_nated_conntrack() (apply/conntrack_cleanup.hpp) off the event loop. A sweep costs about 1.4 µs
// of CPU per conntrack entry (225 ms for 160,000), too long to stall netlink events, hooks and `status` for:
// one worker thread takes the sweeps in order, each with its own conntrack sockets, and hands every result
// back to the loop with asio::post. The loop thread alone calls sweep() and runs the callbacks, so the
// bookkeeping below needs no lock; only the queue to the worker has one.
#pragma once

#include <asio.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "apply/conntrack_cleanup.hpp"
#include "common/error.hpp"
#include "common/ip.hpp"

namespace uplinkd {

class ConntrackSweeper {
 public:
  using Done = std::function<void(const Expected<size_t>& deleted, std::chrono::microseconds took)>;
  using SweepFunction = std::function<Expected<size_t>(const Prefix&)>;

  // `sweep_function` runs on the worker thread; unit tests pass a fake.
  explicit ConntrackSweeper(asio::io_context& io, SweepFunction sweep_function = delete_nated_conntrack);
  // Drops the sweeps not yet started and waits for the running one (a sweep cannot be interrupted inside
  // libnetfilter_conntrack; it ends within its fraction of a second). Their callbacks never run.
  ~ConntrackSweeper();
  ConntrackSweeper(const ConntrackSweeper&) = delete;
  ConntrackSweeper& operator=(const ConntrackSweeper&) = delete;

  // Deletes the conntrack entries NATed into `prefix` (an IPv4 uplink's address as a host prefix, an IPv6
  // uplink's prefixes) on the worker; `done` runs on the loop afterwards. One sweep per prefix at a time:
  // asked again while one is queued or running, it runs once more when that one ends (entries made in
  // between would be missed otherwise), and only the last request's `done` runs.
  void sweep(const Prefix& prefix, Done done);
  size_t in_flight() const { return pending_.size(); }

 private:
  struct Pending {
    Done done;
    bool again = false;
    Done again_done;
  };
  void start(const Prefix& prefix);
  void finish(const Prefix& prefix, const Expected<size_t>& deleted, std::chrono::microseconds took);
  void work();

  asio::io_context& io_;
  SweepFunction sweep_function_;
  // Cleared by the destructor (on the loop thread): a result posted before it but run after is dropped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::map<Prefix, Pending> pending_;  // loop thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Prefix> queue_;  // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  std::thread worker_;        // last: started once everything above exists
};

}  // namespace uplinkd
