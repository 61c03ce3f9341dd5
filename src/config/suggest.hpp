// SPDX-License-Identifier: GPL-2.0-or-later
// "Did you mean" for misspelt keys and words.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace uplinkd::detail {

// The candidate nearest to `word` by edit distance, or "" when none is near enough to be a typo.
std::string closest(std::string_view word, std::span<const std::string_view> candidates);

// "a, b, c"
std::string join(std::span<const std::string_view> words);

}  // namespace uplinkd::detail
