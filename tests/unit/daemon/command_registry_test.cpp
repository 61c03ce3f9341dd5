// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/command_registry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"

namespace uplinkd {
namespace {

using ::testing::HasSubstr;

CommandRegistry registry() {
  CommandRegistry commands;
  commands.add("echo", "answers with what it got", [](const nlohmann::json& request) {
    return nlohmann::json{{"got", request.value("value", 0)}};
  });
  commands.add("refuse", "always a bad request", [](const nlohmann::json&) -> nlohmann::json {
    throw InputError({"request"}, "value is wrong", "send a better one");
  });
  commands.add("crash", "an internal failure",
               [](const nlohmann::json&) -> nlohmann::json { throw std::runtime_error("boom"); });
  return commands;
}

TEST(CommandRegistry, DispatchesByName) {
  auto response = registry().dispatch({{"command", "echo"}, {"value", 7}});
  EXPECT_EQ(response["ok"], true);
  EXPECT_EQ(response["got"], 7);
}

TEST(CommandRegistry, HelpListsEveryCommand) {
  auto response = registry().dispatch({{"command", "help"}});
  EXPECT_EQ(response["ok"], true);
  EXPECT_EQ(response["commands"].size(), 3u);
  EXPECT_EQ(response["commands"]["echo"], "answers with what it got");
}

TEST(CommandRegistry, BadRequestsSayWhatIsWrong) {
  auto commands = registry();
  auto missing = commands.dispatch({{"value", 1}});
  EXPECT_EQ(missing["ok"], false);
  EXPECT_THAT(missing["error"].get<std::string>(), HasSubstr("\"command\" is missing"));
  auto unknown = commands.dispatch({{"command", "frobnicate"}});
  EXPECT_THAT(unknown["error"].get<std::string>(), HasSubstr("unknown command \"frobnicate\""));
  auto not_string = commands.dispatch({{"command", 5}});
  EXPECT_EQ(not_string["ok"], false);
  auto refused = commands.dispatch({{"command", "refuse"}});
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["error"], "request: value is wrong (send a better one)");
}

// Nothing a client sends is echoed back unbounded.
TEST(CommandRegistry, AnUnknownCommandIsQuotedCut) {
  auto response = registry().dispatch({{"command", std::string(60000, 'x')}});
  EXPECT_EQ(response["ok"], false);
  EXPECT_THAT(response["error"].get<std::string>(), HasSubstr("unknown command \"xxxx"));
  EXPECT_LT(response["error"].get<std::string>().size(), 300u);
}

TEST(CommandRegistry, InternalFailuresAreReportedNotThrown) {
  auto response = registry().dispatch({{"command", "crash"}});
  EXPECT_EQ(response["ok"], false);
  EXPECT_THAT(response["error"].get<std::string>(), HasSubstr("internal error: boom"));
}

}  // namespace
}  // namespace uplinkd
