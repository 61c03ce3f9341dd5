// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/conntrack_sweeper.hpp"

namespace uplinkd {

ConntrackSweeper::ConntrackSweeper(asio::io_context& io, SweepFunction sweep_function)
    : io_(io), sweep_function_(std::move(sweep_function)), worker_([this] { work(); }) {}

ConntrackSweeper::~ConntrackSweeper() {
  *alive_ = false;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  worker_.join();
}

void ConntrackSweeper::sweep(const Prefix& prefix, Done done) {
  auto [it, fresh] = pending_.try_emplace(prefix);
  if (!fresh) {
    it->second.again = true;
    it->second.again_done = std::move(done);
    return;
  }
  it->second.done = std::move(done);
  start(prefix);
}

void ConntrackSweeper::start(const Prefix& prefix) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(prefix);
  }
  wake_.notify_one();
}

void ConntrackSweeper::finish(const Prefix& prefix, const Expected<size_t>& deleted,
                              std::chrono::microseconds took) {
  auto it = pending_.find(prefix);
  if (it == pending_.end()) return;
  Done done = std::move(it->second.done);
  if (it->second.again) {
    it->second.done = std::move(it->second.again_done);
    it->second.again = false;
    start(prefix);
  } else {
    pending_.erase(it);
  }
  if (done) done(deleted, took);
}

void ConntrackSweeper::work() {
  for (;;) {
    Prefix prefix;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      prefix = queue_.front();
      queue_.pop_front();
    }
    const auto started = std::chrono::steady_clock::now();
    auto deleted = sweep_function_(prefix);
    auto took =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    // The work guard keeps io_.run() from returning for lack of work before the result is delivered.
    asio::post(io_, [this, alive = alive_, prefix, deleted = std::move(deleted), took,
                     guard = asio::make_work_guard(io_)] {
      if (*alive) finish(prefix, deleted, took);
    });
  }
}

}  // namespace uplinkd
