// SPDX-License-Identifier: GPL-2.0-or-later
// hook_event_from_json() reads requests from any local client of the control socket. The daemon parses a
// request without exceptions and refuses what is not JSON itself, so only what parses reaches the reader.
// An event it accepts must survive the trip back to JSON unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "sources/hook_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  uplinkd::HookEvent event;
  try {
    event = uplinkd::hook_event_from_json(json);
  } catch (const uplinkd::InputError&) {
    return 0;
  }
  if (uplinkd::hook_event_from_json(uplinkd::hook_event_to_json(event)) != event) std::abort();
  return 0;
}
