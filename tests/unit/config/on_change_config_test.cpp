// SPDX-License-Identifier: GPL-2.0-or-later
// on_change and on_change_timeout: the forms accepted, the defaults, and each mistake's place and message.
#include <gmock/gmock.h>

#include "error_case.hpp"

namespace uplinkd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kUplink = "[[uplink]]\ninterface = \"eth0\"\n";

Config parse(const std::string& text) {
  return parse_config(text, "uplinkd.toml");
}

TEST(OnChangeConfig, NoneByDefault) {
  auto config = parse(kUplink);
  EXPECT_TRUE(config.on_change.empty());
  EXPECT_DOUBLE_EQ(config.on_change_timeout_s, 10);
}

TEST(OnChangeConfig, StringIsTheProgramAlone) {
  auto config = parse("on_change = \"/usr/local/bin/notify\"\n" + kUplink);
  EXPECT_THAT(config.on_change, ElementsAre("/usr/local/bin/notify"));
}

TEST(OnChangeConfig, ArrayIsProgramAndArguments) {
  // Arguments are passed as written: no shell splits, expands or quotes them.
  auto config =
      parse("on_change = [\"/usr/local/bin/notify\", \"--to\", \"ops team\", \"$HOME\", \"\"]\n" + kUplink);
  EXPECT_THAT(config.on_change, ElementsAre("/usr/local/bin/notify", "--to", "ops team", "$HOME", ""));
}

TEST(OnChangeConfig, ProgramNeedNotExistYet) {
  auto config = parse("on_change = \"/nonexistent/uplinkd-test/notify\"\n" + kUplink);
  EXPECT_THAT(config.on_change, ElementsAre("/nonexistent/uplinkd-test/notify"));
}

TEST(OnChangeConfig, TimeoutInSeconds) {
  EXPECT_DOUBLE_EQ(parse("on_change_timeout = 2.5\n" + kUplink).on_change_timeout_s, 2.5);
  EXPECT_DOUBLE_EQ(parse("on_change_timeout = 3600\n" + kUplink).on_change_timeout_s, 3600);
  EXPECT_DOUBLE_EQ(parse("on_change_timeout = 0.001\n" + kUplink).on_change_timeout_s, 0.001);
}

TEST(OnChangeConfig, TimeoutWithoutProgramIsHarmless) {
  auto config = parse("on_change_timeout = 5\n" + kUplink);
  EXPECT_TRUE(config.on_change.empty());
  EXPECT_DOUBLE_EQ(config.on_change_timeout_s, 5);
}

TEST(OnChangeConfig, DhcpLbFormatHasNone) {
  auto config = parse_config("eth0 table-eth0 200 1\n", "/etc/dhcp-lb");
  EXPECT_TRUE(config.on_change.empty());
  EXPECT_DOUBLE_EQ(config.on_change_timeout_s, 10);
}

// The example in docs/configuration.md ("on_change"), kept in step with it.
TEST(OnChangeConfig, DocumentedExample) {
  auto config = parse(R"(on_change = ["/usr/local/bin/uplink-changed", "--notify", "ops@example.net"]
on_change_timeout = 10
)" + kUplink);
  EXPECT_THAT(config.on_change, ElementsAre("/usr/local/bin/uplink-changed", "--notify", "ops@example.net"));
  EXPECT_DOUBLE_EQ(config.on_change_timeout_s, 10);
}

std::vector<ErrorCase> on_change_errors() {
  return {
      {"Relative", "on_change = \"notify.sh\"\n" + kUplink,
       "1:13: on_change program \"notify.sh\" is not an absolute path", "\"/usr/local/bin/notify.sh\""},
      {"RelativeWithDirectory", "on_change = [\"./bin/notify\", \"-v\"]\n" + kUplink,
       "1:14: on_change program \"./bin/notify\" is not an absolute path", "does not search PATH"},
      {"EmptyString", "on_change = \"\"\n" + kUplink, "1:13: on_change program is empty", "absolute path"},
      {"EmptyProgramInArray", "on_change = [\"\", \"x\"]\n" + kUplink, "1:14: on_change program is empty",
       ""},
      {"EmptyArray", "on_change = []\n" + kUplink, "1:13: on_change is empty", "leave the key out"},
      {"NulInArgument", "on_change = [\"/bin/notify\", \"a\\u0000b\"]\n" + kUplink,
       "1:29: on_change contains a NUL character (\\u0000)", ""},
      {"NotStringOrArray", "on_change = 1\n" + kUplink,
       "1:13: on_change must be a string or an array of strings, not an integer", ""},
      {"ArrayOfNumbers", "on_change = [\"/bin/notify\", 2]\n" + kUplink,
       "1:29: each element of on_change must be a string, not an integer", ""},
      {"Table", "[on_change]\nprogram = \"/bin/notify\"\n" + kUplink,
       "1:1: on_change must be a string or an array of strings, not a table", ""},
      {"Misspelt", "on_chnage = \"/bin/notify\"\n" + kUplink,
       "1:1: unknown key \"on_chnage\" in the top level", "did you mean \"on_change\"?"},
      {"InUplinkTable", kUplink + "on_change = \"/bin/notify\"\n",
       "3:1: unknown key \"on_change\" in [[uplink]]", ""},
      {"TimeoutZero", "on_change_timeout = 0\n" + kUplink,
       "1:21: on_change_timeout must be more than 0 and at most 3600 seconds", "e.g. on_change_timeout = 10"},
      {"TimeoutNegative", "on_change_timeout = -1.5\n" + kUplink,
       "1:21: on_change_timeout must be more than 0 and at most 3600 seconds", ""},
      {"TimeoutOverAnHour", "on_change_timeout = 10000\n" + kUplink,
       "1:21: on_change_timeout must be more than 0 and at most 3600 seconds", "seconds"},
      {"TimeoutNan", "on_change_timeout = nan\n" + kUplink,
       "1:21: on_change_timeout must be more than 0 and at most 3600 seconds", ""},
      {"TimeoutInf", "on_change_timeout = inf\n" + kUplink,
       "1:21: on_change_timeout must be more than 0 and at most 3600 seconds", ""},
      {"TimeoutString", "on_change_timeout = \"10s\"\n" + kUplink,
       "1:21: on_change_timeout must be a number, not a string", ""},
      {"FirstInFileWins", "on_change_timeout = 0\non_change = \"x\"\n" + kUplink,
       "1:21: on_change_timeout must be more than 0 and at most 3600 seconds", ""},
  };
}

class OnChangeError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(OnChangeError, PointsAtTheMistake) {
  const auto& c = GetParam();
  auto outcome = outcome_of(c.text, "uplinkd.toml");
  EXPECT_EQ(outcome.message, "uplinkd.toml:" + c.message);
  EXPECT_THAT(outcome.hint, HasSubstr(c.hint));
  EXPECT_FALSE(outcome.hint.empty()) << "every error says what to do";
}

INSTANTIATE_TEST_SUITE_P(Values, OnChangeError, ::testing::ValuesIn(on_change_errors()), case_name);

}  // namespace
}  // namespace uplinkd::testing
