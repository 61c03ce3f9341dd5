#include "daemon/router_advertisements.hpp"

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

}  // namespace uplinkd
