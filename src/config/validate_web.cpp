// SPDX-License-Identifier: GPL-2.0-or-later
// [web]: where the HTTP endpoint listens (docs/configuration.md, "[web]"). Off unless `listen` is given.
#include <charconv>

#include "config/validate.hpp"

namespace uplinkd {

std::string WebEndpoint::to_string() const {
  const std::string host =
      address.family() == Family::v6 ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(port);
}

namespace detail {
namespace {

constexpr const char* kListenHint =
    "give \"ADDRESS:PORT\" (\"127.0.0.1:9470\", \"[::1]:9470\") or an address alone for port 9470";

// "ADDR:PORT", "[IPV6]:PORT", "[IPV6]", an IPv6 address alone (its colons are not a port) or an IPv4 address
// alone.
std::optional<WebEndpoint> parse_endpoint(std::string_view text, std::string& problem) {
  std::string_view host = text;
  std::optional<std::string_view> port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return problem = "has no closing \"]\"", std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':'))
        return problem = "has something other than \":PORT\" after \"]\"", std::nullopt;
      port = rest.substr(1);
    }
  } else if (text.find(':') == text.rfind(':') && text.find(':') != std::string_view::npos) {
    host = text.substr(0, text.find(':'));  // one colon: IPv4 with a port
    port = text.substr(text.find(':') + 1);
  }
  const auto address = IpAddress::parse(host);
  if (!address) return problem = "has no IP address (a host name is not resolved)", std::nullopt;
  if (text.starts_with('[') && address->family() != Family::v6)
    return problem = "puts an IPv4 address in brackets", std::nullopt;
  WebEndpoint endpoint{*address, WebEndpoint::kDefaultPort};
  if (port) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (error != std::errc() || end != port->data() + port->size() || value < 1 || value > 65535)
      return problem = "has a port that is not a number from 1 to 65535", std::nullopt;
    endpoint.port = static_cast<uint16_t>(value);
  }
  return endpoint;
}

}  // namespace

void check_web(const RawConfig& raw, Config& config, Problems& problems) {
  if (!raw.web_listen.given()) {
    if (raw.web_allow_remote.given())
      problems.add(raw.web_allow_remote.where, "allow_remote is set but [web] has no listen",
                   "add listen = \"127.0.0.1:9470\" to [web], or remove the table to keep the endpoint off");
    return;
  }
  const std::string what = "listen \"" + *raw.web_listen.value + "\"";
  std::string problem;
  auto endpoint = parse_endpoint(*raw.web_listen.value, problem);
  if (!endpoint) return problems.add(raw.web_listen.where, what + " " + problem, kListenHint);
  const bool remote_allowed = raw.web_allow_remote.value.value_or(false);
  if (!endpoint->address.is_loopback() && !remote_allowed)
    return problems.add(
        raw.web_listen.where, what + " is not a loopback address",
        "the endpoint shows the network's state to whoever reaches it: listen on 127.0.0.1 or "
        "::1, or set allow_remote = true in [web] and filter who may connect");
  config.web = *endpoint;
}

}  // namespace detail
}  // namespace uplinkd
