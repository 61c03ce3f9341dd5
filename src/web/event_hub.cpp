// SPDX-License-Identifier: GPL-2.0-or-later
#include "web/event_hub.hpp"

namespace uplinkd {

EventHub::EventHub(size_t keep, size_t max_streams) : keep_(keep), max_streams_(max_streams) {}

void EventHub::publish(std::string line) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
    if (lines_.size() > keep_) {
      lines_.pop_front();
      ++first_;
    }
  }
  changed_.notify_all();
}

void EventHub::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

EventHub::Lines EventHub::wait(uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return closed_ || first_ + lines_.size() > after; });
  Lines result;
  result.closed = closed_;
  result.missed = after < first_;
  const uint64_t from = std::max(after, first_);
  for (uint64_t seq = from; seq < first_ + lines_.size(); ++seq) result.lines.push_back(lines_[seq - first_]);
  result.next = first_ + lines_.size();
  return result;
}

uint64_t EventHub::next() const {
  std::lock_guard lock(mutex_);
  return first_ + lines_.size();
}

std::vector<std::string> EventHub::recent(size_t count) const {
  std::lock_guard lock(mutex_);
  const size_t from = lines_.size() > count ? lines_.size() - count : 0;
  return {lines_.begin() + static_cast<std::ptrdiff_t>(from), lines_.end()};
}

bool EventHub::join() {
  std::lock_guard lock(mutex_);
  if (closed_ || streams_ >= max_streams_) return false;
  ++streams_;
  return true;
}

void EventHub::leave() {
  std::lock_guard lock(mutex_);
  --streams_;
}

size_t EventHub::streams() const {
  std::lock_guard lock(mutex_);
  return streams_;
}

}  // namespace uplinkd
