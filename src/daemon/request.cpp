// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/request.hpp"

namespace uplinkd {
namespace {

using Json = nlohmann::json;

constexpr int kMaxQuotedDepth = 4;

// Compact JSON, recursing only kMaxQuotedDepth levels and stopping once `out` is past `limit`, so the cost is
// bounded by the limit and not by the value.
void render(const Json& value, std::string& out, size_t limit, int depth) {
  if (out.size() > limit) return;
  if ((value.is_object() || value.is_array()) && depth >= kMaxQuotedDepth) {
    out += value.is_object() ? "{...}" : "[...]";
    return;
  }
  if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      if (out.size() > limit) return;
      if (!first) out += ',';
      first = false;
      out += quoted_text_for_error(key, limit);
      out += ':';
      render(item, out, limit, depth + 1);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : value) {
      if (out.size() > limit) return;
      if (!first) out += ',';
      first = false;
      render(item, out, limit, depth + 1);
    }
    out += ']';
  } else if (value.is_string()) {
    out += quoted_text_for_error(value.get_ref<const std::string&>(), limit);
  } else {
    out += value.dump();  // a number, a boolean or null: short
  }
}

std::string cut(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  // Not in the middle of a UTF-8 sequence: the error goes out as JSON, and a cut one would be replaced.
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "...";
}

}  // namespace

ParsedRequest parse_request(std::string_view line) {
  if (line.size() > kMaxRequestBytes)
    return {nullptr, error_response("request: longer than " + std::to_string(kMaxRequestBytes / 1024) +
                                    " KiB (send one JSON object on one line)")};
  bool too_deep = false;
  // The parser itself is not recursive; refusing every value below the limit keeps the tree it builds (and
  // everything that walks it later: dump(), the destructor) shallow.
  Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= kMaxRequestDepth) {
      too_deep = true;
      return false;
    }
    return !too_deep;
  };
  Json request = Json::parse(line.begin(), line.end(), limit_depth, /*allow_exceptions=*/false);
  if (too_deep)
    return {nullptr, error_response("request: JSON nested deeper than " + std::to_string(kMaxRequestDepth) +
                                    " levels (requests are flat objects)")};
  if (request.is_discarded() || !request.is_object())
    return {nullptr, error_response("request: not a JSON object on one line")};
  return {std::move(request), nullptr};
}

Json error_response(const std::string& message) {
  return {{"ok", false}, {"error", message}};
}

std::string response_line(const Json& response) {
  return response.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string quoted_for_error(const Json& value, size_t limit) {
  std::string out;
  render(value, out, limit, 0);
  return cut(std::move(out), limit);
}

std::string quoted_text_for_error(std::string_view text, size_t limit) {
  // Only what is needed of a long string is escaped.
  Json string = std::string(text.substr(0, limit + 1));
  return cut(string.dump(-1, ' ', false, Json::error_handler_t::replace), limit);
}

std::string answer_request_line(std::string_view line, const std::function<Json(const Json&)>& dispatch) {
  ParsedRequest parsed = parse_request(line);
  return response_line(parsed.ok() ? dispatch(parsed.request) : parsed.refusal);
}

}  // namespace uplinkd
