// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the table-driven error tests: one bad input and the message it must produce.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "config/config.hpp"

namespace uplinkd::testing {

struct ErrorCase {
  std::string name;       // the test's name: letters, digits and '_'
  std::string text;       // the config file
  std::string message;    // "line:col: problem", without the file name and the hint
  std::string hint = {};  // a part of the hint, when it matters
};

inline std::ostream& operator<<(std::ostream& out, const ErrorCase& c) {
  return out << c.name;
}

struct Outcome {
  std::string message;  // "file:line:col: problem", or "no error"
  std::string hint;
};

inline Outcome outcome_of(const std::string& text, const std::string& path) {
  try {
    parse_config(text, path);
  } catch (const InputError& error) {
    return {error.where().to_string() + ": " + error.problem(), error.hint()};
  }
  return {"no error", ""};
}

inline std::string case_name(const ::testing::TestParamInfo<ErrorCase>& info) {
  return info.param.name;
}

}  // namespace uplinkd::testing
