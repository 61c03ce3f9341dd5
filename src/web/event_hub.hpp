// SPDX-License-Identifier: GPL-2.0-or-later
// Hands the daemon's events to the HTTP threads streaming /api/events. The loop publishes and never waits
// (a short lock, no I/O); each stream's thread waits for lines after the last one it sent. A stream that
// falls behind the kept lines is told so, as a slow `uplinkctl events` subscriber is.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace uplinkd {

class EventHub {
 public:
  explicit EventHub(size_t keep = 256, size_t max_streams = 16);

  void publish(std::string line);  // any thread
  void close();                    // wakes every waiting stream; they end

  struct Lines {
    std::vector<std::string> lines;
    uint64_t next = 0;    // pass it to the next wait
    bool missed = false;  // lines after `after` were no longer kept
    bool closed = false;
  };
  // Lines numbered `after` and up, or none once `timeout` passed or the hub closed.
  Lines wait(uint64_t after, std::chrono::milliseconds timeout);
  uint64_t next() const;                                // the number the next published line gets
  std::vector<std::string> recent(size_t count) const;  // the last `count` lines, oldest first

  // A stream holds one of the limited places for as long as it is open: every stream holds an HTTP thread.
  bool join();
  void leave();
  size_t streams() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> lines_;
  uint64_t first_ = 0;  // the number of lines_.front()
  size_t keep_;
  size_t max_streams_;
  size_t streams_ = 0;
  bool closed_ = false;
};

}  // namespace uplinkd
