// SPDX-License-Identifier: GPL-2.0-or-later
#include "web/web_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <cstring>
#include <future>
#include <stdexcept>

#include "web/status_page.hpp"

namespace uplinkd {
namespace {

constexpr const char* kJson = "application/json";

void busy(httplib::Response& response, const std::string& why) {
  response.status = 503;
  response.set_header("Retry-After", "10");
  response.set_content(nlohmann::json{{"error", why}}.dump() + "\n", kJson);
}

std::string sse(const std::string& event, const std::string& data) {
  return (event.empty() ? "" : "event: " + event + "\n") + "data: " + data + "\n\n";
}

}  // namespace

WebServer::WebServer(asio::io_context& io, const WebEndpoint& endpoint, WebSources sources)
    : io_(io),
      sources_(std::move(sources)),
      hub_(256, kMaxEventStreams),
      server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  // An idle keep-alive connection holds a pool thread too: a browser's is let go soon.
  server_->set_keep_alive_timeout(2);
  server_->set_read_timeout(5);
  server_->set_write_timeout(5);
  server_->set_payload_max_length(4096);  // every route is a GET
  // cpp-httplib's default adds SO_REUSEPORT, with which a second uplinkd would share the port silently.
  server_->set_socket_options([](int socket) {
    int on = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });
  route();
  if (!server_->bind_to_port(endpoint.address.to_string(), endpoint.port))
    throw std::runtime_error("web: cannot listen on " + endpoint.to_string() + ": " + std::strerror(errno));
  listener_ = std::thread([this] { server_->listen_after_bind(); });
}

WebServer::~WebServer() {
  hub_.close();
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

void WebServer::publish(const nlohmann::json& event) {
  hub_.publish(event.dump());
}

// The answer of `work` run on the loop, or nullopt when the loop did not get to it within kLoopWait (it is
// busy or stopping): the HTTP thread waits, never the loop.
template <class T>
std::optional<T> WebServer::on_loop(const std::function<T()>& work) {
  auto promise = std::make_shared<std::promise<T>>();
  auto answer = promise->get_future();
  asio::post(io_, [promise, work] {
    try {
      promise->set_value(work());
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  if (answer.wait_for(kLoopWait) != std::future_status::ready) return std::nullopt;
  return answer.get();
}

void WebServer::route() {
  server_->Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("Cache-Control", "no-cache");
    response.set_content(std::string(status_page_html()), "text/html; charset=utf-8");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    auto snapshot = on_loop(sources_.metrics);
    if (!snapshot) return busy(response, "uplinkd's loop did not answer within 1 s");
    snapshot->event_streams = hub_.streams();
    response.set_content(render_metrics(*snapshot), kMetricsContentType);
  });
  server_->Get("/api/status", [this](const httplib::Request&, httplib::Response& response) {
    auto status = on_loop(sources_.status);
    if (!status) return busy(response, "uplinkd's loop did not answer within 1 s");
    response.set_header("Cache-Control", "no-cache");
    response.set_content(status->dump() + "\n", kJson);
  });
  server_->Get("/api/events", [this](const httplib::Request&, httplib::Response& response) {
    if (!hub_.join())
      return busy(response, "too many event streams open (" + std::to_string(kMaxEventStreams) +
                                "); poll /api/status instead");
    response.set_header("Cache-Control", "no-cache");
    response.set_header("X-Accel-Buffering", "no");  // a proxy in front must not hold the stream back
    struct Stream {
      uint64_t next = 0;
      bool opened = false;
      std::chrono::steady_clock::time_point last_status;
    };
    auto stream = std::make_shared<Stream>();
    stream->next = hub_.next();
    response.set_chunked_content_provider(
        "text/event-stream",
        [this, stream](size_t, httplib::DataSink& sink) {
          auto send = [&](const std::string& text) { return sink.write(text.data(), text.size()); };
          auto send_status = [&] {
            stream->last_status = std::chrono::steady_clock::now();
            auto status = on_loop(sources_.status);
            return !status || send(sse("status", status->dump()));
          };
          if (!stream->opened) {
            stream->opened = true;
            nlohmann::json recent = nlohmann::json::array();
            for (const auto& line : hub_.recent(kRecentEvents)) recent.push_back(nlohmann::json::parse(line));
            return send("retry: 3000\n\n") && send_status() && send(sse("recent", recent.dump()));
          }
          auto batch = hub_.wait(stream->next, std::chrono::milliseconds(500));
          if (batch.closed) {
            sink.done();
            return true;
          }
          if (batch.missed && !send(sse("", R"({"event":"dropped","reason":"too slow"})"))) return false;
          for (size_t i = 0; i < batch.lines.size(); ++i)
            if (!send("id: " + std::to_string(batch.next - batch.lines.size() + i) + "\n" +
                      sse("", batch.lines[i])))
              return false;
          stream->next = batch.next;
          if (std::chrono::steady_clock::now() - stream->last_status >= kStatusEvery) return send_status();
          return true;
        },
        [this](bool) { hub_.leave(); });
  });
}

}  // namespace uplinkd
