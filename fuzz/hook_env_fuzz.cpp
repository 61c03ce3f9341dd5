// SPDX-License-Identifier: GPL-2.0-or-later
// parse_hook() reads a DHCP client's environment, whose values come from a DHCP server on the uplink's
// network: any of them may be hostile. The bytes are read as text lines so that seeds stay readable:
//   line 1          the client (dhclient, dhcpcd, udhcpc), anything else lets parse_hook() guess;
//   VAR=VALUE       an environment variable (split at the first '=');
//   any other line  a positional argument, as udhcpc passes its action.
// An event that comes out must also be accepted by the daemon: uplinkctl sends it as JSON, and
// hook_event_from_json() must read back the same event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sources/hook_env.hpp"
#include "sources/hook_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<uplinkd::DhcpClient> client;
  std::vector<std::string> args;
  uplinkd::Environment env;
  bool first = true;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (first) {
      client = uplinkd::dhcp_client_from_string(line);
      first = false;
    } else if (const size_t equals = line.find('='); equals != std::string_view::npos) {
      env.insert_or_assign(std::string(line.substr(0, equals)), std::string(line.substr(equals + 1)));
    } else {
      args.emplace_back(line);
    }
  }

  uplinkd::HookEvent event;
  try {
    event = uplinkd::parse_hook(client, args, env);
  } catch (const uplinkd::InputError&) {
    return 0;
  }
  // An InputError here is a bug too: the daemon would refuse what its own hook sent.
  const auto sent = uplinkd::hook_event_to_json(event);
  if (uplinkd::hook_event_from_json(nlohmann::json::parse(sent.dump())) != event) std::abort();
  return 0;
}
