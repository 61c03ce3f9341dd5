// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/problems.hpp"

#include <algorithm>
#include <climits>
#include <utility>

namespace uplinkd::detail {

void Problems::add(SourceLocation where, std::string what, std::string hint) {
  found_.emplace_back(std::move(where), std::move(what), std::move(hint));
}

void Problems::throw_first() const {
  if (found_.empty()) return;
  auto key = [](const InputError& error) {
    const auto& where = error.where();
    return std::pair(where.line > 0 ? where.line : INT_MAX, where.column);
  };
  // min_element keeps the earliest added among equals, so ties go to the check that ran first.
  throw *std::min_element(found_.begin(), found_.end(),
                          [&](const InputError& a, const InputError& b) { return key(a) < key(b); });
}

}  // namespace uplinkd::detail
