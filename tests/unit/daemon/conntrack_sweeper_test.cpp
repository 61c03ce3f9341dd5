// SPDX-License-Identifier: GPL-2.0-or-later
// The sweeper with a fake sweep (the real one needs a conntrack table, tests/integration/conntrack_test.sh):
// sweeps run off the loop, results come back on it, one sweep per address at a time, and destruction joins.
#include "daemon/conntrack_sweeper.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace uplinkd {
namespace {

using namespace std::chrono_literals;

// An uplink's IPv4 address as the sweeper takes it: a host prefix.
Prefix ip(const char* text) {
  return Prefix::host(*IpAddress::parse(text));
}

// A sweep that blocks until released, so that a test can ask again while one runs.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = false;
  int entered = 0;
  std::vector<Prefix> swept;
  std::thread::id thread;

  Expected<size_t> sweep(const Prefix& address) {
    std::unique_lock lock(mutex);
    ++entered;
    swept.push_back(address);
    thread = std::this_thread::get_id();
    changed.notify_all();
    changed.wait(lock, [this] { return open; });
    return size_t{7};
  }
  void wait_entered(int count) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 5s, [&] { return entered >= count; }))
        << "sweeps entered: " << entered;
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    changed.notify_all();
  }
};

// Runs the loop until `done` holds, for at most 5 s.
template <class Predicate>
bool run_until(asio::io_context& io, Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

TEST(ConntrackSweeper, RunsOffTheLoopAndAnswersOnIt) {
  asio::io_context io;
  Gate gate;
  ConntrackSweeper sweeper(io, [&](const Prefix& address) { return gate.sweep(address); });
  std::vector<std::pair<size_t, std::thread::id>> results;
  sweeper.sweep(ip("100.64.1.10"), [&](const Expected<size_t>& deleted, auto) {
    results.emplace_back(*deleted, std::this_thread::get_id());
  });
  gate.wait_entered(1);  // sweep() returned while the sweep still runs: the loop is free
  EXPECT_NE(gate.thread, std::this_thread::get_id());
  EXPECT_EQ(sweeper.in_flight(), 1u);
  gate.release();
  ASSERT_TRUE(run_until(io, [&] { return !results.empty(); }));
  EXPECT_EQ(results.at(0).first, 7u);
  EXPECT_EQ(results.at(0).second, std::this_thread::get_id());
  EXPECT_EQ(sweeper.in_flight(), 0u);
}

TEST(ConntrackSweeper, OneSweepPerAddressAndOneMoreWhenAskedMeanwhile) {
  asio::io_context io;
  Gate gate;
  ConntrackSweeper sweeper(io, [&](const Prefix& address) { return gate.sweep(address); });
  int first = 0, second = 0, third = 0, other = 0;
  sweeper.sweep(ip("100.64.1.10"), [&](const auto&, auto) { ++first; });
  gate.wait_entered(1);
  sweeper.sweep(ip("100.64.1.10"), [&](const auto&, auto) { ++second; });
  sweeper.sweep(ip("100.64.1.10"), [&](const auto&, auto) { ++third; });
  sweeper.sweep(ip("100.64.2.10"), [&](const auto&, auto) { ++other; });
  EXPECT_EQ(sweeper.in_flight(), 2u);
  gate.release();
  ASSERT_TRUE(run_until(io, [&] { return sweeper.in_flight() == 0; }));
  // The first, the other address, and one more for the address asked three times.
  EXPECT_EQ(gate.swept, (std::vector{ip("100.64.1.10"), ip("100.64.2.10"), ip("100.64.1.10")}));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 0);  // superseded by the third request
  EXPECT_EQ(third, 1);
  EXPECT_EQ(other, 1);
}

TEST(ConntrackSweeper, DestructionWaitsForTheRunningSweepAndDropsTheQueue) {
  asio::io_context io;
  Gate gate;
  std::atomic<bool> destroyed = false;
  int answered = 0;
  std::thread releaser([&] {
    gate.wait_entered(1);
    std::this_thread::sleep_for(50ms);  // long enough for the destructor to be waiting
    EXPECT_FALSE(destroyed);
    gate.release();
  });
  {
    ConntrackSweeper sweeper(io, [&](const Prefix& address) { return gate.sweep(address); });
    sweeper.sweep(ip("100.64.1.10"), [&](const auto&, auto) { ++answered; });
    sweeper.sweep(ip("100.64.2.10"), [&](const auto&, auto) { ++answered; });
    gate.wait_entered(1);
  }
  destroyed = true;
  releaser.join();
  EXPECT_EQ(gate.swept.size(), 1u);  // the queued one never started
  io.restart();
  io.run_for(20ms);
  EXPECT_EQ(answered, 0);  // results after destruction are not delivered
}

}  // namespace
}  // namespace uplinkd
