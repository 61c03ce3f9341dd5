// SPDX-License-Identifier: GPL-2.0-or-later
// One request line of the control socket, from bytes to the response line, without any I/O: what the control
// server does with a line, and what fuzz/control_request_fuzz.cpp feeds arbitrary bytes to.
//
// Every bound here is against a hostile local client: a line is at most kMaxRequestBytes, its JSON nests at
// most kMaxRequestDepth levels (refused while parsing, so nothing deeper is ever built or printed), and what
// an error quotes back of the request is cut to kMaxQuoted bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace uplinkd {

inline constexpr size_t kMaxRequestBytes = 64 * 1024;
// A hook event, the deepest request uplinkd knows, nests 3 levels ({"event": {"routers": [...]}}).
inline constexpr int kMaxRequestDepth = 16;
inline constexpr size_t kMaxQuoted = 128;

struct ParsedRequest {
  nlohmann::json request;  // an object; null when refused
  nlohmann::json refusal;  // the error response when the line is not a request
  bool ok() const { return refusal.is_null(); }
};

// The line without its newline (a trailing "\r" or blanks are fine: JSON allows them).
ParsedRequest parse_request(std::string_view line);

// {"ok": false, "error": message}
nlohmann::json error_response(const std::string& message);

// The response as one line with its newline. Invalid UTF-8 (an interface name is only bytes) must not stop
// an answer or an event, so it is replaced, not thrown.
std::string response_line(const nlohmann::json& response);

// What an error message may quote of a client's value: compact JSON, at most `limit` bytes (then "..."),
// and no deeper than a few levels whatever the value holds. Never throws.
std::string quoted_for_error(const nlohmann::json& value, size_t limit = kMaxQuoted);
std::string quoted_text_for_error(std::string_view text, size_t limit = kMaxQuoted);

// A line to its response line: parse_request, then `dispatch` for a request that parsed. The control
// server's one-shot path; a subscription needs the request too, so the server calls the parts itself.
std::string answer_request_line(std::string_view line,
                                const std::function<nlohmann::json(const nlohmann::json&)>& dispatch);

}  // namespace uplinkd
