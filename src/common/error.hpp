// SPDX-License-Identifier: GPL-2.0-or-later
// uplinkd's error policy, one rule for each kind of failure (docs/errors.md says the same for users):
//
//  * Bad input — a config file, a DHCP hook's environment, a control request — throws InputError. It carries
//    where the input is wrong (`file:line:col`, or the request field) and what to do about it. Input is
//    validated as a whole before anything is changed, so an InputError never leaves a change half done.
//  * Kernel and other run-time failures are values: KernelError, returned (alone, in Expected<T>, or in a
//    list for a batch). They name the object (`route default table 200: No such device`), are logged, and
//    the next sync retries.
//  * A broken invariant — a bug — aborts with a message (UPLINKD_ASSERT).
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace uplinkd {

struct SourceLocation {
  std::string file;  // or the name of the input, e.g. "hook environment", "request"
  int line = 0;      // 0 when the input has no lines
  int column = 0;

  std::string to_string() const;  // "file:line:col", "file:line", or "file"
};

class InputError : public std::runtime_error {
 public:
  InputError(SourceLocation where, std::string what, std::string hint = {});

  const SourceLocation& where() const { return where_; }
  const std::string& problem() const { return problem_; }
  const std::string& hint() const { return hint_; }

 private:
  SourceLocation where_;
  std::string problem_;
  std::string hint_;
};

struct KernelError {
  std::string object;  // what was being done, e.g. "add route default table 200"
  int code = 0;        // a positive errno
  std::string detail;  // the kernel's extended ack message, if it sent one

  std::string message() const;  // "add route default table 200: No such device (detail)"
};

// A value or the KernelError that prevented it. std::expected is C++23 and g++ 12 lacks it; Debian 12 has
// no tl-expected package, so this is the small subset uplinkd needs.
template <class T>
class Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(KernelError error) : value_(std::move(error)) {}

  bool has_value() const { return value_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(value_); }
  const T& value() const { return std::get<0>(value_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const KernelError& error() const { return std::get<1>(value_); }

 private:
  std::variant<T, KernelError> value_;
};

[[noreturn]] void assertion_failed(const char* condition, const char* file, int line, const char* message);

}  // namespace uplinkd

#define UPLINKD_ASSERT(condition, message) \
  ((condition) ? (void)0 : ::uplinkd::assertion_failed(#condition, __FILE__, __LINE__, (message)))
