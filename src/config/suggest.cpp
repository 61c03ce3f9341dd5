// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/suggest.hpp"

#include <algorithm>
#include <vector>

namespace uplinkd::detail {

static size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest(std::string_view word, std::span<const std::string_view> candidates) {
  // Short words may be one edit off, longer ones two or three: "mood" finds "mode", "foo" finds nothing.
  size_t best = word.size() < 4 ? 2 : word.size() < 9 ? 3 : 4;
  std::string_view found;
  for (auto candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    if (distance < best) best = distance, found = candidate;
  }
  return std::string(found);
}

std::string join(std::span<const std::string_view> words) {
  std::string text;
  for (auto word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}

}  // namespace uplinkd::detail
