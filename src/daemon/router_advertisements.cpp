// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/router_advertisements.hpp"

#include <algorithm>
#include <charconv>

#include "netlink/sysctl.hpp"
#include "plan/sysctl.hpp"

namespace uplinkd {

std::optional<std::string> advertisements_ignored(const RaSettings& settings) {
  if (settings.accept_ra <= 0) return "accept_ra is 0 (set accept_ra = 2 on the uplink to take them)";
  if (settings.forwarding > 0 && settings.accept_ra == 1)
    return "forwarding is on and accept_ra is 1 (set accept_ra = 2 on the uplink to take them on a router)";
  return std::nullopt;
}

std::optional<RaSettings> read_ra_settings(const std::string& interface) {
  auto read = [&](const char* name) -> std::optional<int> {
    auto text = netlink::read_sysctl(ipv6_interface_sysctl(interface, name));
    if (!text) return std::nullopt;
    int value = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
    return value;
  };
  auto forwarding = read("forwarding");
  auto accept_ra = read("accept_ra");
  if (!forwarding || !accept_ra) return std::nullopt;
  return RaSettings{*forwarding, *accept_ra};
}

std::vector<std::string> began_taking_advertisements(const Config& config, const ApplyOutcome& outcome) {
  auto set_by = [&](const Change& change, const std::string& key) {
    const auto* sysctl = std::get_if<Sysctl>(&change.object);
    return change.kind != ChangeKind::remove && sysctl && sysctl->key == key;
  };
  std::vector<std::string> interfaces;
  for (const UplinkConfig& uplink : config.uplinks) {
    if (!uplink.accept_ra || *uplink.accept_ra <= 0) continue;
    const std::string key = ipv6_interface_sysctl(uplink.interface, "accept_ra");
    const bool set = std::any_of(outcome.changes.begin(), outcome.changes.end(),
                                 [&](const Change& change) { return set_by(change, key); });
    const bool failed = std::any_of(outcome.failed.begin(), outcome.failed.end(),
                                    [&](const FailedChange& failure) { return set_by(failure.change, key); });
    if (set && !failed) interfaces.push_back(uplink.interface);
  }
  return interfaces;
}

}  // namespace uplinkd
