// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket's request path without the socket: the bytes a local client sends, cut at the first
// newline as the server reads them (or taken whole, as after a half close), parsed by parse_request() and
// dispatched by a CommandRegistry whose commands do what the daemon's do with a request: read fields, refuse
// with an InputError that quotes the bad value, throw something else, or hand an event to the real
// hook_event_from_json(). The response must be exactly one line of JSON: an object with a boolean "ok", and
// when it is false an "error" string of bounded size, whatever the request held (issue 12: a 32000-deep
// request crashed the daemon in the error path).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "daemon/command_registry.hpp"
#include "daemon/request.hpp"
#include "sources/hook_json.hpp"

namespace {

using Json = nlohmann::json;

void require(bool condition) {
  if (!condition) std::abort();
}

uplinkd::CommandRegistry make_registry() {
  using uplinkd::InputError;
  uplinkd::CommandRegistry commands;
  commands.add("status", "a report built from nothing the client sent", [](const Json&) {
    return Json{{"uplinks", Json::array({{{"name", "wan1"}}})}};
  });
  // As the daemon's drain/undrain/weight: a named uplink and a bounded integer, each error quoting the value.
  commands.add("weight", "as the daemon's weight command", [](const Json& request) {
    const Json& uplink = request.contains("uplink") ? request["uplink"] : Json();
    if (!uplink.is_string() || uplink.get<std::string>() != "wan1")
      throw InputError({"request"}, "no uplink named " + uplinkd::quoted_for_error(uplink), "uplinks: wan1");
    const Json& weight = request.contains("weight") ? request["weight"] : Json();
    if (!weight.is_number_integer() || weight.get<int64_t>() < 1 || weight.get<int64_t>() > 256)
      throw InputError({"request"},
                       "weight must be an integer from 1 to 256, got " + uplinkd::quoted_for_error(weight));
    return Json{{"uplink", "wan1"}, {"weight", weight}};
  });
  commands.add("hook", "the real hook event reader", [](const Json& request) {
    if (!request.contains("event")) throw InputError({"request"}, "event is missing");
    const uplinkd::HookEvent event = uplinkd::hook_event_from_json(request["event"]);
    return Json{{"interface", event.interface}};
  });
  commands.add("internal", "fails as a bug would", [](const Json& request) -> Json {
    throw std::runtime_error("failed on " + uplinkd::quoted_for_error(request));
  });
  return commands;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uplinkd::CommandRegistry commands = make_registry();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  const std::string response =
      uplinkd::answer_request_line(line, [](const Json& request) { return commands.dispatch(request); });

  require(!response.empty() && response.back() == '\n');
  require(response.find('\n') == response.size() - 1);
  const Json parsed = Json::parse(response, nullptr, /*allow_exceptions=*/false);
  require(parsed.is_object());
  require(parsed.contains("ok") && parsed["ok"].is_boolean());
  if (!parsed["ok"].get<bool>()) {
    require(parsed.contains("error") && parsed["error"].is_string());
    // The longest message quotes a few values of at most kMaxQuoted bytes, or one hook value of at most 2
    // KiB.
    require(parsed["error"].get_ref<const std::string&>().size() < 8192);
  }
  return 0;
}
