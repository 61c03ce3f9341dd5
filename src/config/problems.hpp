// SPDX-License-Identifier: GPL-2.0-or-later
// Collects the problems found in one input and reports the one nearest its top, so that a user who fixes
// errors one at a time works down the file instead of being sent back and forth. toml++ hands tables over
// sorted by key, not in file order, which is why "first" cannot simply mean "first found".
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"

namespace uplinkd::detail {

class Problems {
 public:
  void add(SourceLocation where, std::string what, std::string hint = {});
  bool empty() const { return found_.empty(); }
  size_t size() const { return found_.size(); }
  // Throws the problem with the lowest line and column; those with no line (about the file as a whole) come
  // last. Returns when there is none.
  void throw_first() const;

 private:
  std::vector<InputError> found_;
};

}  // namespace uplinkd::detail
