// SPDX-License-Identifier: GPL-2.0-or-later
// parse_config() reads a file an administrator wrote, but also whatever `uplinkd --check -c FILE` is pointed
// at: any bytes must end in a Config or an InputError. A Config that comes out must also keep the promises
// docs/configuration.md makes, since the planner relies on them without checking again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "config/config.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  uplinkd::Config config;
  try {
    config = uplinkd::parse_config(text, "fuzz.conf");
  } catch (const uplinkd::InputError&) {
    return 0;
  }
  require(!config.uplinks.empty());
  require(!config.destinations.empty());
  std::set<uint32_t> tables{config.balance_table};
  std::set<std::string> interfaces;
  std::set<std::string> names;
  for (const auto& uplink : config.uplinks) {
    require(uplink.weight >= 1 && uplink.weight <= 256);
    require(uplink.table != 0 && uplink.table != 253 && uplink.table != 254 && uplink.table != 255);
    require(tables.insert(uplink.table).second);
    require(interfaces.insert(uplink.interface).second);
    require(names.insert(uplink.name).second);
    require(!uplink.interface.empty() && uplink.interface.size() <= 15);
    require((uplink.gateway_kind == uplinkd::GatewayKind::fixed) == uplink.gateway.has_value());
  }
  return 0;
}
