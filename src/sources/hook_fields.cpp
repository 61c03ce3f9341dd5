// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/hook_fields.hpp"

#include <algorithm>
#include <charconv>

namespace uplinkd::hook {

bool is_plain_interface_name(std::string_view name) {
  // IFNAMSIZ is 16 with the terminating NUL.
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

std::string quoted(std::string_view value) {
  constexpr size_t kShown = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "\"";
  for (unsigned char c : value.substr(0, kShown)) {
    if (c == '"' || c == '\\') {
      text += '\\';
      text += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      text += "\\x";
      text += kHex[c >> 4];
      text += kHex[c & 0xf];
    } else {
      text += static_cast<char>(c);
    }
  }
  text += '"';
  if (value.size() > kShown) text += "... (" + std::to_string(value.size()) + " bytes)";
  return text;
}

void fail(std::string_view variable, std::string problem, std::string hint) {
  throw InputError(SourceLocation{"hook environment"}, std::string(variable) + " " + problem,
                   std::move(hint));
}

std::optional<std::string_view> optional_value(const Environment& env, std::string_view variable) {
  auto found = env.find(std::string(variable));
  if (found == env.end() || found->second.empty()) return std::nullopt;
  if (found->second.size() > kMaxValueLength)
    fail(variable, "is too long (" + std::to_string(found->second.size()) + " bytes, at most " +
                       std::to_string(kMaxValueLength) + ")");
  // The environment cannot hold a NUL, but a value may come from elsewhere (a test, a JSON request), and
  // inet_pton would read only up to it.
  if (found->second.find('\0') != std::string::npos)
    fail(variable, quoted(found->second) + " holds a NUL byte");
  return found->second;
}

std::string_view required_value(const Environment& env, std::string_view variable, std::string_view hint) {
  auto value = optional_value(env, variable);
  if (!value) fail(variable, "is missing", std::string(hint));
  return *value;
}

std::string interface_name(const Environment& env, std::string_view variable) {
  auto name = required_value(env, variable, "the DHCP client sets it for every hook call");
  if (!is_plain_interface_name(name))
    fail(variable, quoted(name) + " is not an interface name",
         "uplinkd accepts 1-15 characters of letters, digits, '_', '.' and '-'");
  return std::string(name);
}

IpAddress ipv4_address(std::string_view variable, std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address || address->family() != Family::v4) fail(variable, quoted(text) + " is not an IPv4 address");
  return *address;
}

uint8_t netmask_length(std::string_view variable, std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address || address->family() != Family::v4) fail(variable, quoted(text) + " is not a dotted netmask");
  auto length = netmask_to_length(text);
  if (!length) fail(variable, quoted(text) + " is not a netmask: its one bits are not contiguous");
  return *length;
}

uint8_t cidr_length(std::string_view variable, std::string_view text, uint8_t max) {
  // from_chars rather than stoi: no sign, no whitespace, no locale, and overflow is reported.
  unsigned length = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (error != std::errc{} || end != text.data() + text.size() || length > max)
    fail(variable, quoted(text) + " is not a prefix length (0-" + std::to_string(max) + ")");
  return static_cast<uint8_t>(length);
}

std::vector<IpAddress> ipv4_address_list(const Environment& env, std::string_view variable) {
  std::vector<IpAddress> addresses;
  auto text = optional_value(env, variable);
  if (!text) return addresses;
  // Hand-split: the clients write a plain list joined by single spaces; tabs and runs of spaces are
  // tolerated. Each word is then checked by inet_pton, so nothing but addresses gets through.
  size_t position = 0;
  while (position < text->size()) {
    auto start = text->find_first_not_of(" \t", position);
    if (start == std::string_view::npos) break;
    auto end = std::min(text->find_first_of(" \t", start), text->size());
    auto word = text->substr(start, end - start);
    addresses.push_back(ipv4_address(variable, word));
    position = end;
  }
  return addresses;
}

namespace {

std::optional<uint8_t> length_from(const Environment& env, std::initializer_list<LengthVariable> variables) {
  std::optional<uint8_t> length;
  std::string_view first;
  for (const auto& variable : variables) {
    auto text = optional_value(env, variable.name);
    if (!text) continue;
    auto this_length =
        variable.cidr ? cidr_length(variable.name, *text) : netmask_length(variable.name, *text);
    if (length && *length != this_length)
      fail(variable.name,
           quoted(*text) + " disagrees with " + std::string(first) + " (/" + std::to_string(*length) + ")");
    if (!length) first = variable.name;
    length = this_length;
  }
  return length;
}

Prefix checked_lease(std::string_view address_variable, std::string_view address_text,
                     std::optional<uint8_t> length) {
  auto address = ipv4_address(address_variable, address_text);
  if (address.is_unspecified()) fail(address_variable, "is 0.0.0.0, which is no lease");
  return Prefix{address, length.value_or(32)};
}

std::string names_of(std::initializer_list<LengthVariable> variables) {
  std::string names;
  for (const auto& variable : variables) names += (names.empty() ? "" : " or ") + std::string(variable.name);
  return names;
}

}  // namespace

Prefix lease_prefix(const Environment& env, std::string_view address_variable,
                    std::initializer_list<LengthVariable> length_variables) {
  auto address = required_value(env, address_variable, "a lease without an address cannot be used");
  auto length = length_from(env, length_variables);
  if (!length)
    throw InputError(SourceLocation{"hook environment"}, names_of(length_variables) + " is missing for " +
                                                             std::string(address_variable) + " " +
                                                             quoted(address));
  return checked_lease(address_variable, address, length);
}

std::optional<Prefix> optional_lease_prefix(const Environment& env, std::string_view address_variable,
                                            std::initializer_list<LengthVariable> length_variables) {
  auto address = optional_value(env, address_variable);
  auto length = length_from(env, length_variables);
  if (!address) return std::nullopt;
  return checked_lease(address_variable, *address, length);
}

}  // namespace uplinkd::hook
