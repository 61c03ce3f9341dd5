// SPDX-License-Identifier: GPL-2.0-or-later
// Reads dhcp-lb's /etc/dhcp-lb format: one uplink per line, `interface table-name table-id weight`, `#`
// comments. The format is four whitespace-separated words, so a dozen lines of tokenizer read it exactly
// and know each word's column; no library parses this format, and bending a general one to it would cost
// more than it saves. The original tool insisted on single spaces; any run of blanks is accepted here.
#include <charconv>
#include <vector>

#include "config/format.hpp"

namespace uplinkd::detail {
namespace {

constexpr const char* kLineShape = "each line is: interface table-name table-id weight";

struct Word {
  std::string_view text;
  int column = 0;  // 1-based
};

// The words of one line, up to a word that starts a comment. A '#' inside a word stays in it, and
// validation then rejects it where it matters (table names).
std::vector<Word> split_words(std::string_view line) {
  std::vector<Word> words;
  size_t i = 0;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    if (i == line.size() || line[i] == '#') break;
    size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    words.push_back({line.substr(start, i - start), static_cast<int>(start) + 1});
  }
  return words;
}

Located<int64_t> number(const Word& word, const SourceLocation& where, std::string_view what,
                        Problems& problems) {
  Located<int64_t> result;
  result.where = where;
  int64_t value = 0;
  auto [end, error] = std::from_chars(word.text.data(), word.text.data() + word.text.size(), value);
  if (error == std::errc::result_out_of_range) {
    problems.add(where, std::string(what) + " " + std::string(word.text) + " is out of range",
                 std::string(what == "weight" ? "weight must be 1–256" : "use a table id such as 200"));
  } else if (error != std::errc() || end != word.text.data() + word.text.size()) {
    problems.add(where, std::string(what) + " \"" + std::string(word.text) + "\" is not a number",
                 "write it in decimal digits, e.g. " + std::string(what == "weight" ? "1" : "200"));
  } else {
    result.value = value;
  }
  return result;
}

}  // namespace

RawConfig read_dhcp_lb(std::string_view text, const std::string& path, Problems& problems) {
  RawConfig raw;
  raw.path = path;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    auto words = split_words(line);
    if (words.empty()) continue;
    auto at = [&](int column) { return SourceLocation{path, line_number, column}; };
    if (words.size() < 4) {
      static constexpr const char* kMissing[] = {"", "the table name", "the table id", "the weight"};
      const auto& last = words.back();
      problems.add(at(last.column + static_cast<int>(last.text.size())),
                   std::string("missing ") + kMissing[words.size()], kLineShape);
      continue;
    }
    if (words.size() > 4) {
      problems.add(at(words[4].column), "unexpected fifth field \"" + std::string(words[4].text) + "\"",
                   std::string(kLineShape) + "; start a comment with #");
      continue;
    }
    RawUplink uplink;
    uplink.where = at(1);
    uplink.interface = {std::string(words[0].text), at(words[0].column)};
    uplink.table_name = {std::string(words[1].text), at(words[1].column)};
    uplink.table = number(words[2], at(words[2].column), "table id", problems);
    uplink.weight = number(words[3], at(words[3].column), "weight", problems);
    raw.uplinks.push_back(std::move(uplink));
  }
  return raw;
}

}  // namespace uplinkd::detail
