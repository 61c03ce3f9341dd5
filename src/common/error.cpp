// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/error.hpp"

#include <cstdio>
#include <cstring>

namespace uplinkd {

std::string SourceLocation::to_string() const {
  // Appended piece by piece: `":" + std::to_string(n)` inserts at the front of a temporary, in which GCC 12
  // at -O3 sees a memcpy that "may overlap" (a -Wrestrict false positive).
  std::string text = file;
  if (line > 0) {
    text += ':';
    text += std::to_string(line);
  }
  if (line > 0 && column > 0) {
    text += ':';
    text += std::to_string(column);
  }
  return text;
}

static std::string compose(const SourceLocation& where, const std::string& what, const std::string& hint) {
  std::string text = where.to_string();
  if (!text.empty()) text += ": ";
  text += what;
  if (!hint.empty()) text += " (" + hint + ")";
  return text;
}

InputError::InputError(SourceLocation where, std::string what, std::string hint)
    : std::runtime_error(compose(where, what, hint)),
      where_(std::move(where)),
      problem_(std::move(what)),
      hint_(std::move(hint)) {}

std::string KernelError::message() const {
  std::string text = object + ": " + (code ? std::strerror(code) : "failed");
  if (!detail.empty()) text += " (" + detail + ")";
  return text;
}

void assertion_failed(const char* condition, const char* file, int line, const char* message) {
  std::fprintf(stderr, "uplinkd: internal error at %s:%d: %s (%s)\n", file, line, message, condition);
  std::abort();
}

}  // namespace uplinkd
