// SPDX-License-Identifier: GPL-2.0-or-later
// The DHCPv6 readers of hook_fields.hpp.
#include <charconv>

#include "sources/hook_fields.hpp"

namespace uplinkd::hook {

namespace {

IpAddress ipv6_address(std::string_view variable, std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address || address->family() != Family::v6) fail(variable, quoted(text) + " is not an IPv6 address");
  return *address;
}

Prefix checked_delegation(std::string_view variable, std::string_view text, const Prefix& prefix) {
  if (auto problem = delegated_prefix_problem(prefix))
    fail(variable, quoted(text) + " " + *problem,
         "a delegated prefix is a global one, like 2001:db8:1:100::/56");
  return prefix;
}

}  // namespace

std::optional<Prefix> optional_delegated_prefix(const Environment& env, std::string_view variable) {
  auto text = optional_value(env, variable);
  if (!text) return std::nullopt;
  auto slash = text->find('/');
  if (slash == std::string_view::npos)
    fail(variable, quoted(*text) + " has no prefix length", "dhclient writes it as 2001:db8:1:100::/56");
  auto address = ipv6_address(variable, text->substr(0, slash));
  auto length = cidr_length(variable, text->substr(slash + 1), 128);
  return checked_delegation(variable, *text, Prefix{address, length});
}

Prefix delegated_prefix(const Environment& env, std::string_view address_variable,
                        std::string_view length_variable) {
  auto text = required_value(env, address_variable);
  auto address = ipv6_address(address_variable, text);
  auto length_text = optional_value(env, length_variable);
  if (!length_text)
    fail(length_variable, "is missing for " + std::string(address_variable) + " " + quoted(text));
  Prefix prefix{address, cidr_length(length_variable, *length_text, 128)};
  return checked_delegation(address_variable, prefix.to_string(), prefix);
}

std::optional<Prefix> optional_ipv6_lease(const Environment& env, std::string_view address_variable,
                                          std::string_view length_variable) {
  auto text = optional_value(env, address_variable);
  if (!text) return std::nullopt;
  auto address = ipv6_address(address_variable, *text);
  if (auto problem = gateway_problem(address)) fail(address_variable, quoted(*text) + " " + *problem);
  auto length_text = optional_value(env, length_variable);
  return Prefix{address, length_text ? cidr_length(length_variable, *length_text, 128) : uint8_t{128}};
}

std::optional<uint32_t> optional_lifetime(const Environment& env, std::string_view variable) {
  auto text = optional_value(env, variable);
  if (!text) return std::nullopt;
  uint32_t seconds = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), seconds);
  if (error != std::errc{} || end != text->data() + text->size())
    fail(variable, quoted(*text) + " is not a lifetime in seconds (0-4294967295)");
  return seconds;
}

}  // namespace uplinkd::hook
