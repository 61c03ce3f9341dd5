// SPDX-License-Identifier: GPL-2.0-or-later
// The HTTP endpoint ([web]): GET /metrics, /api/status, /api/events (Server-Sent Events) and / (the status
// page), served by cpp-httplib (Debian's libcpp-httplib) from a pool of threads of its own.
//
// The daemon's loop never waits for HTTP: a request that needs the daemon's state posts a function to the
// loop and its HTTP thread waits (at most kLoopWait) for the answer; events reach streams through the
// EventHub. cpp-httplib holds a pool thread per open connection, event streams included, so streams are
// capped below the pool's size: the other threads stay free for /metrics and the page, however many pages
// are open (a page refused a stream polls /api/status instead).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/config.hpp"
#include "web/event_hub.hpp"
#include "web/metrics.hpp"

namespace httplib {
class Server;
}

namespace uplinkd {

// Each runs on the daemon's loop.
struct WebSources {
  std::function<MetricsSnapshot()> metrics;
  std::function<nlohmann::json()> status;
};

class WebServer {
 public:
  static constexpr size_t kThreads = 24;
  static constexpr size_t kMaxEventStreams = 16;
  static constexpr auto kLoopWait = std::chrono::seconds(1);
  static constexpr auto kStatusEvery = std::chrono::seconds(2);  // `event: status` on each stream
  static constexpr size_t kRecentEvents = 50;                    // `event: recent` when a stream opens

  // Listens before returning; throws std::runtime_error naming the address when it cannot.
  WebServer(asio::io_context& io, const WebEndpoint& endpoint, WebSources sources);
  ~WebServer();  // closes the streams and joins every thread
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  void publish(const nlohmann::json& event);  // from the loop
  size_t event_streams() const { return hub_.streams(); }

 private:
  void route();
  template <class T>
  std::optional<T> on_loop(const std::function<T()>& work);

  asio::io_context& io_;
  WebSources sources_;
  EventHub hub_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
};

}  // namespace uplinkd
