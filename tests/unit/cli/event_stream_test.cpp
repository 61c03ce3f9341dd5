// SPDX-License-Identifier: GPL-2.0-or-later
// `uplinkctl events`' client against the daemon's real control server. The client blocks, so the server's
// loop runs on a second thread and everything the server does is posted to it.
#include "cli/event_stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <thread>

#include "daemon/control_server.hpp"

namespace uplinkd {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class EventStreamTest : public ::testing::Test {
 protected:
  // Runs `function` on the server's thread and returns what it returns.
  template <typename Function>
  auto on_loop(Function function) {
    std::packaged_task<decltype(function())()> task(function);
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  void SetUp() override {
    char pattern[] = "/tmp/uplinkd-events-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/control.sock";
    server_ = std::make_unique<ControlServer>(io_, path_, [](const Json& request) -> Json {
      if (request.value("refuse", false)) return {{"ok", false}, {"error", "request: no events for you"}};
      return {{"ok", true}};
    });
    server_->set_stream_command("events");
    loop_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    on_loop([this] { server_.reset(); });
    work_.reset();
    loop_.join();
    std::filesystem::remove_all(dir_);
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::string dir_, path_;
  std::unique_ptr<ControlServer> server_;
  std::thread loop_;
};

TEST_F(EventStreamTest, ReadsEveryEventUntilTheDaemonCloses) {
  EventStream stream(path_, {{"command", "events"}});
  EXPECT_EQ(stream.response(), Json({{"ok", true}}));
  EXPECT_EQ(on_loop([this] { return server_->subscribers(); }), 1u);
  on_loop([this] {
    // Sent before the client reads, they may come in one read: the client must split them.
    for (int i = 0; i < 3; ++i) server_->publish({{"event", "health"}, {"n", i}});
  });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(stream.next_line(), Json({{"event", "health"}, {"n", i}}).dump());
  on_loop([this] { server_.reset(); });
  EXPECT_EQ(stream.next_line(), std::nullopt);
}

TEST_F(EventStreamTest, ARefusalIsTheResponseAndNothingFollows) {
  EventStream stream(path_, {{"command", "events"}, {"refuse", true}});
  EXPECT_EQ(stream.response().value("ok", true), false);
  EXPECT_EQ(stream.next_line(), std::nullopt);
}

TEST_F(EventStreamTest, NoDaemonIsAnErrorNamingTheSocket) {
  try {
    EventStream stream(dir_ + "/nobody.sock", {{"command", "events"}});
    FAIL() << "connected to nothing";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("nobody.sock"));
  }
}

}  // namespace
}  // namespace uplinkd
