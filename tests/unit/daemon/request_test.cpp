// SPDX-License-Identifier: GPL-2.0-or-later
// A request line to its parsed form or refusal, and what errors may quote of it: pure, table-driven.
#include "daemon/request.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace uplinkd {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string nested(int depth, const std::string& inner = "1") {
  return std::string(static_cast<size_t>(depth), '[') + inner + std::string(static_cast<size_t>(depth), ']');
}

std::string error_of(const ParsedRequest& parsed) {
  return parsed.ok() ? std::string("(accepted)") : parsed.refusal.value("error", std::string());
}

TEST(ParseRequest, AcceptsOneObject) {
  auto parsed = parse_request(R"({"command": "status", "n": [1, {"a": null}]})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.request["command"], "status");
  EXPECT_TRUE(parse_request("{\"command\": \"status\"}\r").ok());
}

TEST(ParseRequest, RefusesWhatIsNotAnObject) {
  for (const char* line : {"", "status", "[]", "\"status\"", "{\"command\":", "{} {}", "{\"a\":\"\xff\"}"})
    EXPECT_EQ(error_of(parse_request(line)), "request: not a JSON object on one line") << line;
}

// The request object is level 1: 16 levels in all are fine, 17 are not.
TEST(ParseRequest, NestingIsLimitedWhileParsing) {
  EXPECT_TRUE(parse_request("{\"weight\": " + nested(kMaxRequestDepth - 1) + "}").ok());
  EXPECT_THAT(error_of(parse_request("{\"weight\": " + nested(kMaxRequestDepth) + "}")),
              HasSubstr("nested deeper than 16 levels"));
  EXPECT_THAT(error_of(parse_request(nested(kMaxRequestDepth + 1))), HasSubstr("nested deeper"));
}

// The crash of issue 12: 32000 levels in 64 KiB. Neither the parser, nor the refusal, nor a destructor may
// recurse that deep.
TEST(ParseRequest, ThirtyTwoThousandLevelsAreRefusedNotACrash) {
  std::string line = R"({"command":"weight","uplink":"wan1","weight":)" + nested(32000) + "}";
  ASSERT_LE(line.size(), kMaxRequestBytes);
  EXPECT_THAT(error_of(parse_request(line)), HasSubstr("nested deeper"));
  // Unbalanced: the parser gives up at the end, still without recursing.
  EXPECT_FALSE(parse_request(std::string(60000, '[')).ok());
  EXPECT_FALSE(parse_request("{\"a\":" + std::string(60000, '{')).ok());
}

TEST(ParseRequest, ALineOverTheLimitIsRefused) {
  std::string line = R"({"pad": ")" + std::string(kMaxRequestBytes, 'x') + "\"}";
  EXPECT_THAT(error_of(parse_request(line)), HasSubstr("longer than 64 KiB"));
}

TEST(QuotedForError, ShortValuesAreQuotedWhole) {
  EXPECT_EQ(quoted_for_error(Json(7)), "7");
  EXPECT_EQ(quoted_for_error(Json("x")), "\"x\"");
  EXPECT_EQ(quoted_for_error(Json::parse(R"({"a":[1,true,null]})")), R"({"a":[1,true,null]})");
  EXPECT_EQ(quoted_text_for_error("frobnicate"), "\"frobnicate\"");
  EXPECT_EQ(quoted_text_for_error("say \"hi\"\n"), R"("say \"hi\"\n")");
}

TEST(QuotedForError, LongValuesAreCut) {
  const std::string long_text(100000, 'x');
  for (const std::string& quoted :
       {quoted_text_for_error(long_text), quoted_for_error(Json(long_text)),
        quoted_for_error(Json::array({long_text, long_text})), quoted_for_error(Json{{long_text, 1}})}) {
    EXPECT_LE(quoted.size(), kMaxQuoted + 3);
    EXPECT_THAT(quoted, ::testing::EndsWith("..."));
  }
  Json many = Json::array();
  for (int i = 0; i < 100000; ++i) many.push_back(i);
  EXPECT_LE(quoted_for_error(many).size(), kMaxQuoted + 3);
}

TEST(QuotedForError, DeepValuesAreNotWalkedToTheBottom) {
  // Built by the parser, which does not recurse; nor does the destructor of nlohmann::json (3.10+).
  const Json deep = Json::parse(nested(100000));
  EXPECT_EQ(quoted_for_error(deep), "[[[[[...]]]]]");
}

TEST(QuotedForError, ACutNeverSplitsAUtf8Sequence) {
  std::string text;
  while (text.size() < 300) text += "\xc3\xa9";  // é
  auto quoted = quoted_text_for_error(text, 10);
  EXPECT_EQ(quoted, "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...");
  EXPECT_NO_THROW((void)Json(quoted).dump());
  // Invalid UTF-8 in a value is replaced, not thrown.
  EXPECT_NO_THROW((void)quoted_text_for_error("\xff\xfe"));
}

TEST(AnswerRequestLine, EveryLineGetsOneResponseLine) {
  auto echo = [](const Json& request) { return Json{{"ok", true}, {"got", request}}; };
  EXPECT_EQ(answer_request_line(R"({"command":"x"})", echo), "{\"got\":{\"command\":\"x\"},\"ok\":true}\n");
  EXPECT_EQ(answer_request_line("nope", echo),
            "{\"error\":\"request: not a JSON object on one line\",\"ok\":false}\n");
}

}  // namespace
}  // namespace uplinkd
