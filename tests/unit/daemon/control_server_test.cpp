// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket against real Unix sockets in a temporary directory. Server and clients share one thread:
// clients are non-blocking and the test turns the io_context until what it waits for has happened.
#include "daemon/control_server.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <filesystem>
#include <optional>
#include <vector>

namespace uplinkd {
namespace {

using asio::local::stream_protocol;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = std::chrono::seconds(5);

// "events" subscribes unless the request says {"refuse": true}; anything else is echoed.
Json handle(const Json& request) {
  if (request.value("command", "") == "events") {
    if (request.value("refuse", false)) return {{"ok", false}, {"error", "request: refused"}};
    return {{"ok", true}};
  }
  return {{"ok", true}, {"got", request}};
}

class Client {
 public:
  Client(asio::io_context& io, const std::string& path) : socket_(io) {
    socket_.connect(stream_protocol::endpoint(path));
    socket_.non_blocking(true);
  }

  void send(const std::string& line) { asio::write(socket_, asio::buffer(line)); }
  void close() { socket_.close(); }
  void shutdown_sending() { socket_.shutdown(stream_protocol::socket::shutdown_send); }

  // The next line, turning `io` until it comes; nothing at the end of the stream or after the deadline.
  std::optional<std::string> line(asio::io_context& io) {
    auto deadline = Clock::now() + kDeadline;
    while (Clock::now() < deadline) {
      if (auto end = pending_.find('\n'); end != std::string::npos) {
        std::string line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        return line;
      }
      if (ended_) return std::nullopt;
      char chunk[65536];
      std::error_code error;
      size_t size = socket_.read_some(asio::buffer(chunk), error);
      if (error == asio::error::would_block) {
        io.run_one_for(std::chrono::milliseconds(2));
        continue;
      }
      if (error) ended_ = true;
      pending_.append(chunk, size);
    }
    ADD_FAILURE() << "no line within the deadline";
    return std::nullopt;
  }

  // Whether the server has closed its end, asked without reading what it sent.
  bool hung_up() {
    pollfd entry{socket_.native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&entry, 1, 0) == 1 && (entry.revents & (POLLHUP | POLLRDHUP));
  }

 private:
  stream_protocol::socket socket_;
  std::string pending_;
  bool ended_ = false;
};

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/uplinkd-control-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    server_ = std::make_unique<ControlServer>(io_, dir_ + "/control.sock", handle);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  template <typename Condition>
  bool turn_until(Condition condition) {
    auto deadline = Clock::now() + kDeadline;
    while (!condition()) {
      if (Clock::now() > deadline) return false;
      io_.run_one_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  std::unique_ptr<Client> subscriber() {
    auto client = std::make_unique<Client>(io_, server_->path());
    size_t before = server_->subscribers();
    client->send(R"({"command": "events"})"
                 "\n");
    EXPECT_TRUE(turn_until([&] { return server_->subscribers() == before + 1; }));
    return client;
  }

  asio::io_context io_;
  std::string dir_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlServerTest, AnswersOneRequestAndCloses) {
  Client client(io_, server_->path());
  client.send(R"({"command": "echo", "value": 7})"
              "\n");
  auto line = client.line(io_);
  ASSERT_TRUE(line);
  EXPECT_EQ(Json::parse(*line)["got"]["value"], 7);
  EXPECT_EQ(client.line(io_), std::nullopt);

  Client garbage(io_, server_->path());
  garbage.send("not json\n");
  EXPECT_THAT(garbage.line(io_).value_or(""), HasSubstr("not a JSON object"));
  EXPECT_EQ(server_->subscribers(), 0u);
}

TEST_F(ControlServerTest, WithoutAStreamCommandNothingSubscribes) {
  Client client(io_, server_->path());
  client.send(R"({"command": "events"})"
              "\n");
  EXPECT_EQ(client.line(io_), R"({"ok":true})");
  EXPECT_EQ(client.line(io_), std::nullopt);
  EXPECT_EQ(server_->subscribers(), 0u);
}

TEST_F(ControlServerTest, ARefusedSubscriptionGetsItsErrorAndIsClosed) {
  server_->set_stream_command("events");
  Client client(io_, server_->path());
  client.send(R"({"command": "events", "refuse": true})"
              "\n");
  EXPECT_THAT(client.line(io_).value_or(""), HasSubstr("refused"));
  EXPECT_EQ(client.line(io_), std::nullopt);
  EXPECT_EQ(server_->subscribers(), 0u);
}

TEST_F(ControlServerTest, SubscribersGetTheResponseThenEveryEventInOrder) {
  server_->set_stream_command("events");
  auto first = subscriber();
  auto second = subscriber();
  // Published before the loop has written even the response: the order must still hold.
  for (int i = 0; i < 100; ++i) server_->publish({{"event", "health"}, {"n", i}});
  for (auto* client : {first.get(), second.get()}) {
    EXPECT_EQ(client->line(io_), R"({"ok":true})");
    for (int i = 0; i < 100; ++i) {
      auto line = client->line(io_);
      ASSERT_TRUE(line) << i;
      EXPECT_EQ(Json::parse(*line)["n"], i);
    }
  }
  EXPECT_EQ(server_->subscribers(), 2u);
  // Other requests are still answered while subscribers are connected.
  Client other(io_, server_->path());
  other.send(R"({"command": "echo"})"
             "\n");
  EXPECT_THAT(other.line(io_).value_or(""), HasSubstr("echo"));
}

TEST_F(ControlServerTest, ASubscriberThatClosesIsForgottenWithoutAnEvent) {
  server_->set_stream_command("events");
  auto leaving = subscriber();
  auto staying = subscriber();
  leaving->close();
  EXPECT_TRUE(turn_until([&] { return server_->subscribers() == 1; }));
  server_->publish({{"event", "after"}});
  EXPECT_EQ(staying->line(io_), R"({"ok":true})");
  EXPECT_EQ(staying->line(io_), R"({"event":"after"})");
}

// socat and others shut down their sending side after the request; they are still listening.
TEST_F(ControlServerTest, ASubscriberThatOnlyStopsSendingStillGetsEvents) {
  server_->set_stream_command("events");
  auto client = subscriber();
  client->shutdown_sending();
  EXPECT_EQ(client->line(io_), R"({"ok":true})");
  server_->publish({{"event", "still"}});
  EXPECT_EQ(client->line(io_), R"({"event":"still"})");
  EXPECT_EQ(server_->subscribers(), 1u);
}

TEST_F(ControlServerTest, ASlowSubscriberIsDroppedWithoutSlowingOthers) {
  server_->set_stream_command("events", StreamLimits{.max_lines = 50, .grace = std::chrono::seconds(60)});
  auto slow = subscriber();
  auto fast = subscriber();
  EXPECT_EQ(fast->line(io_), R"({"ok":true})");
  const std::string padding(4000, 'x');
  const int kEvents = 2000;  // 8 MB: far more than the socket buffers and the queue hold
  // Single-threaded: a publish() that blocked on the slow one's full socket would hang here for good.
  for (int i = 0; i < kEvents; ++i) {
    server_->publish({{"n", i}, {"padding", padding}});
    auto line = fast->line(io_);  // the fast one reads as it goes; the slow one never does
    ASSERT_TRUE(line);
    ASSERT_EQ(Json::parse(*line)["n"], i);
  }
  EXPECT_EQ(server_->subscribers(), 1u);

  // The slow one, reading at last, finds a prefix of the events in order, the notice, and the end.
  EXPECT_EQ(slow->line(io_), R"({"ok":true})");
  int expected = 0;
  std::optional<std::string> line;
  while ((line = slow->line(io_)) && Json::parse(*line).contains("n"))
    EXPECT_EQ(Json::parse(*line)["n"], expected++);
  EXPECT_GT(expected, 0);
  EXPECT_LT(expected, kEvents);
  EXPECT_EQ(line, R"({"event":"dropped","reason":"too slow"})");
  EXPECT_EQ(slow->line(io_), std::nullopt);
}

TEST_F(ControlServerTest, ADroppedSubscriberThatNeverReadsIsClosedAfterTheGrace) {
  server_->set_stream_command("events",
                              StreamLimits{.max_lines = 10, .grace = std::chrono::milliseconds(500)});
  auto stuck = subscriber();
  const std::string padding(4000, 'x');
  for (int i = 0; i < 1000 && server_->subscribers() > 0; ++i) {
    server_->publish({{"n", i}, {"padding", padding}});
    io_.poll();
  }
  ASSERT_EQ(server_->subscribers(), 0u);
  EXPECT_FALSE(stuck->hung_up());
  EXPECT_TRUE(turn_until([&] { return stuck->hung_up(); }));
}

TEST_F(ControlServerTest, DestroyingTheServerClosesSubscribers) {
  server_->set_stream_command("events");
  auto client = subscriber();
  std::string path = server_->path();
  server_.reset();
  EXPECT_TRUE(turn_until([&] { return client->hung_up(); }));
  EXPECT_FALSE(std::filesystem::exists(path));
}

// `printf '{"command":"status"}' | socat - UNIX:…`: no newline, then a half close.
TEST_F(ControlServerTest, ARequestWithoutNewlineBeforeAHalfCloseIsAnswered) {
  Client client(io_, server_->path());
  client.send(R"({"command": "echo", "value": 8})");
  client.shutdown_sending();
  auto line = client.line(io_);
  ASSERT_TRUE(line);
  EXPECT_EQ(Json::parse(*line)["got"]["value"], 8);
  EXPECT_EQ(client.line(io_), std::nullopt);
}

TEST_F(ControlServerTest, DeepJsonIsAnErrorNotACrash) {
  Client client(io_, server_->path());
  client.send(R"({"command":"echo","weight":)" + std::string(32000, '[') + std::string(32000, ']') + "}\n");
  EXPECT_THAT(client.line(io_).value_or(""), HasSubstr("nested deeper than 16 levels"));
}

class ControlServerLimitsTest : public ControlServerTest {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/uplinkd-control-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ConnectionLimits limits;
    limits.max_connections = 4;
    limits.read_timeout = std::chrono::milliseconds(300);
    server_ = std::make_unique<ControlServer>(io_, dir_ + "/control.sock", handle, limits);
  }
};

TEST_F(ControlServerLimitsTest, AClientThatSendsNoRequestIsClosedAfterTheReadDeadline) {
  Client silent(io_, server_->path());
  Client half(io_, server_->path());
  half.send(R"({"command": "ec)");
  EXPECT_TRUE(turn_until([&] { return server_->connections() == 2; }));
  const auto started = Clock::now();
  EXPECT_TRUE(turn_until([&] { return silent.hung_up() && half.hung_up(); }));
  EXPECT_GE(Clock::now() - started, std::chrono::milliseconds(200));
  EXPECT_TRUE(turn_until([&] { return server_->connections() == 0; }));
}

// At the cap, the oldest connection without a complete request makes room: a hook is never queued behind
// stalled clients, and a subscriber (its request is complete) is not the one dropped.
TEST_F(ControlServerLimitsTest, AtTheCapTheOldestStalledConnectionMakesRoom) {
  ConnectionLimits limits;
  limits.max_connections = 4;
  limits.read_timeout = std::chrono::seconds(60);  // only the cap may close the stalled ones here
  server_.reset();
  server_ = std::make_unique<ControlServer>(io_, dir_ + "/control.sock", handle, limits);
  server_->set_stream_command("events");
  auto listening = subscriber();
  std::vector<std::unique_ptr<Client>> stalled;
  for (size_t round = 0; round < 3; ++round) {
    while (server_->connections() < 4) {
      size_t before = server_->connections();
      stalled.push_back(std::make_unique<Client>(io_, server_->path()));
      ASSERT_TRUE(turn_until([&] { return server_->connections() == before + 1; }));
    }
    Client hook(io_, server_->path());
    hook.send(R"({"command": "echo", "value": 1})"
              "\n");
    EXPECT_THAT(hook.line(io_).value_or(""), HasSubstr("\"value\":1")) << round;
    EXPECT_TRUE(turn_until([&] { return stalled[round]->hung_up(); })) << round;
    for (size_t later = round + 1; later < stalled.size(); ++later)
      EXPECT_FALSE(stalled[later]->hung_up()) << round << " " << later;
    // The hook's own connection is gone too before the next round counts.
    ASSERT_TRUE(turn_until([&] { return server_->connections() == 1 + stalled.size() - (round + 1); }));
  }
  EXPECT_EQ(server_->subscribers(), 1u);
  EXPECT_FALSE(listening->hung_up());
}

// Half of the connections at most are subscribers (2 of 4 here), so that a hook always finds room.
TEST_F(ControlServerLimitsTest, SubscribersBeyondTheirLimitAreRefusedWithAReason) {
  server_->set_stream_command("events");
  auto first = subscriber();
  auto second = subscriber();
  Client third(io_, server_->path());
  third.send(R"({"command": "events"})"
             "\n");
  EXPECT_THAT(third.line(io_).value_or(""), HasSubstr("2 event subscribers, the limit"));
  EXPECT_EQ(server_->subscribers(), 2u);
  Client hook(io_, server_->path());
  hook.send(R"({"command": "echo"})"
            "\n");
  EXPECT_THAT(hook.line(io_).value_or(""), HasSubstr("echo"));
}

// The test's process holds both ends of every connection, so it can run the server out of descriptors: the
// soft limit is lowered to a little above what is open, and the rest is filled with /dev/null.
class DescriptorFiller {
 public:
  DescriptorFiller() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(open_count() + 32);
    setrlimit(RLIMIT_NOFILE, &low);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fds_.push_back(fd);
  }
  ~DescriptorFiller() {
    release_all();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }
  void release_one() {
    ::close(fds_.back());
    fds_.pop_back();
  }
  void release_all() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
  }

 private:
  static size_t open_count() {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
    return count;
  }
  rlimit saved_{};
  std::vector<int> fds_;
};

TEST_F(ControlServerTest, OutOfDescriptorsTheOldestStalledConnectionMakesRoom) {
  Client stalled(io_, server_->path());
  ASSERT_TRUE(turn_until([&] { return server_->connections() == 1; }));
  DescriptorFiller filler;
  filler.release_one();  // the client's end; the server's accept then finds none
  Client hook(io_, server_->path());
  hook.send(R"({"command": "echo", "value": 3})"
            "\n");
  EXPECT_THAT(hook.line(io_).value_or(""), HasSubstr("\"value\":3"));
  EXPECT_TRUE(stalled.hung_up());
}

// With nothing to drop, accepting waits on a timer: a handful of handlers in a second, not a busy loop (the
// issue's daemon logged 2.1 million lines in 12 s), and the waiting client is answered once descriptors are
// free again.
TEST_F(ControlServerTest, OutOfDescriptorsWithNothingToDropAcceptingBacksOff) {
  auto filler = std::make_unique<DescriptorFiller>();
  filler->release_one();
  Client waiting(io_, server_->path());
  waiting.send(R"({"command": "echo", "value": 4})"
               "\n");
  const size_t handlers = io_.run_for(std::chrono::seconds(1));
  EXPECT_LT(handlers, 30u);
  EXPECT_EQ(server_->connections(), 0u);
  filler.reset();
  EXPECT_THAT(waiting.line(io_).value_or(""), HasSubstr("\"value\":4"));
}

TEST_F(ControlServerTest, PublishingWithoutSubscribersDoesNothing) {
  server_->set_stream_command("events");
  server_->publish({{"event", "nobody"}});
  EXPECT_EQ(server_->subscribers(), 0u);
}

}  // namespace
}  // namespace uplinkd
