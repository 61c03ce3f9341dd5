// SPDX-License-Identifier: GPL-2.0-or-later
// [[rule]] sections: what each matches and what it does, checked against the uplinks they name.
#include <charconv>
#include <set>

#include "config/names.hpp"
#include "config/validate.hpp"

namespace uplinkd::detail {
namespace {

struct NamedProtocol {
  std::string_view name;
  uint8_t number;
};
// The protocols people write by name; any other is given by its number (/etc/protocols).
// "icmp" is IPv4's ICMP and "icmpv6" IPv6's: two protocols, so a rule naming one meets one family.
constexpr NamedProtocol kProtocols[] = {{"icmp", kProtocolIcmp},
                                        {"icmpv6", kProtocolIcmpv6},
                                        {"tcp", 6},
                                        {"udp", 17},
                                        {"gre", 47},
                                        {"esp", 50},
                                        {"ah", 51},
                                        {"sctp", 132}};
constexpr uint8_t kTcp = 6, kUdp = 17, kSctp = 132;

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::optional<uint8_t> checked_protocol(const Located<std::variant<std::string, int64_t>>& raw,
                                        Problems& problems) {
  if (!raw.given()) return std::nullopt;
  constexpr const char* kHint =
      "use \"tcp\", \"udp\", \"icmp\", \"icmpv6\", \"sctp\", \"gre\", \"esp\", \"ah\" or 0–255";
  if (const auto* number = std::get_if<int64_t>(&*raw.value)) {
    if (*number >= 0 && *number <= 255) return static_cast<uint8_t>(*number);
    problems.add(raw.where, "proto " + std::to_string(*number) + " is out of range", kHint);
    return std::nullopt;
  }
  const auto& name = std::get<std::string>(*raw.value);
  for (const auto& known : kProtocols)
    if (known.name == name) return known.number;
  problems.add(raw.where, "proto " + quoted(name) + " is not a protocol uplinkd knows by name", kHint);
  return std::nullopt;
}

std::optional<uint16_t> port_number(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(value);
}

std::optional<PortRange> checked_dport(const Located<std::variant<std::string, int64_t>>& raw,
                                       Problems& problems) {
  if (!raw.given()) return std::nullopt;
  constexpr const char* kHint = "use a port 1–65535 (5060) or a range (\"10000-20000\")";
  if (const auto* number = std::get_if<int64_t>(&*raw.value)) {
    if (*number >= 1 && *number <= 65535) return PortRange{uint16_t(*number), uint16_t(*number)};
    problems.add(raw.where, "dport " + std::to_string(*number) + " is out of range", kHint);
    return std::nullopt;
  }
  const std::string_view text = std::get<std::string>(*raw.value);
  const auto dash = text.find('-');
  auto first = port_number(text.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : port_number(text.substr(dash + 1));
  if (first && last && *first <= *last) return PortRange{*first, *last};
  problems.add(raw.where, "dport " + quoted(text) + " is not a port or a range of ports", kHint);
  return std::nullopt;
}

std::optional<Mode> checked_rule_mode(const Located<std::string>& raw, Problems& problems) {
  if (!raw.given()) return std::nullopt;
  for (auto mode : {Mode::packet, Mode::connection})
    if (mode_name(mode) == *raw.value) return mode;
  problems.add(raw.where, "a rule's mode " + quoted(*raw.value) + " is not \"packet\" or \"connection\"",
               "flow and resilient are the kernel's choice for everything no rule marks; a rule chooses "
               "\"packet\" or \"connection\"");
  return std::nullopt;
}

std::vector<std::string> checked_uplinks(const Located<LocatedStrings>& raw, const Config& config,
                                         Problems& problems) {
  std::vector<std::string> names;
  if (!raw.given()) return names;
  if (raw.value->empty())
    problems.add(raw.where, "uplinks is empty",
                 "name the uplinks this traffic may use, or leave the key out");
  std::set<std::string> seen;
  for (const auto& item : *raw.value) {
    const auto& name = *item.value;
    if (!config.find_uplink(name)) {
      std::string known;
      for (const auto& uplink : config.uplinks) known += (known.empty() ? "" : ", ") + quoted(uplink.name);
      problems.add(item.where, "no uplink is named " + quoted(name), "the uplinks are " + known);
    } else if (!seen.insert(name).second) {
      problems.add(item.where, "uplink " + quoted(name) + " is listed twice", "list each uplink once");
    } else {
      names.push_back(name);
    }
  }
  return names;
}

std::string_view ip_version(Family family) {
  return family == Family::v4 ? "IPv4" : "IPv6";
}

// A match that no packet can meet: src and dst of two families, or a prefix of one family with the other's
// ICMP. Each key is fine alone, so the problem points at the rule.
void check_match_family(const RawRule& raw, const TrafficMatch& match, Problems& problems) {
  if (match.source && match.destination && match.source->family() != match.destination->family()) {
    problems.add(raw.dst.where,
                 "dst " + quoted(*raw.dst.value) + " is " +
                     std::string(ip_version(match.destination->family())) + " but src " +
                     quoted(*raw.src.value) + " is " + std::string(ip_version(match.source->family())),
                 "a packet has one family: split this into two rules");
    return;
  }
  const auto& prefix = match.source ? match.source : match.destination;
  if (!prefix || !match.protocol) return;
  const bool icmp_of_other_family = (*match.protocol == kProtocolIcmp && prefix->family() == Family::v6) ||
                                    (*match.protocol == kProtocolIcmpv6 && prefix->family() == Family::v4);
  if (icmp_of_other_family)
    problems.add(raw.proto.where,
                 "proto " + std::string(*match.protocol == kProtocolIcmp ? "\"icmp\"" : "\"icmpv6\"") +
                     " never meets " + std::string(ip_version(prefix->family())) + " traffic",
                 prefix->family() == Family::v6 ? "IPv6's ICMP is proto = \"icmpv6\""
                                                : "IPv4's ICMP is proto = \"icmp\"");
}

TrafficRule checked_rule(const RawRule& raw, const Config& config, Problems& problems) {
  TrafficRule rule;
  rule.where = raw.where;
  if (raw.src.given()) rule.match.source = checked_prefix("src", raw.src, problems);
  if (raw.dst.given()) rule.match.destination = checked_prefix("dst", raw.dst, problems);
  rule.match.protocol = checked_protocol(raw.proto, problems);
  check_match_family(raw, rule.match, problems);
  rule.match.dport = checked_dport(raw.dport, problems);
  if (raw.dport.given() && raw.proto.given() && rule.match.protocol && *rule.match.protocol != kTcp &&
      *rule.match.protocol != kUdp && *rule.match.protocol != kSctp)
    problems.add(raw.dport.where, "dport needs proto \"tcp\", \"udp\" or \"sctp\"",
                 "only those protocols have ports");
  else if (raw.dport.given() && !raw.proto.given())
    problems.add(raw.dport.where, "dport needs a proto", "add proto = \"tcp\" or proto = \"udp\"");
  if (raw.iif.given()) {
    if (is_valid_interface_name(*raw.iif.value))
      rule.match.iif = *raw.iif.value;
    else
      problems.add(raw.iif.where, "iif " + quoted(*raw.iif.value) + " is not a valid interface name",
                   "use the name `ip link` shows: 1–15 characters, no '/', no spaces");
  }
  rule.exclude = raw.exclude.value.value_or(false);
  rule.uplinks = checked_uplinks(raw.uplinks, config, problems);
  rule.mode = checked_rule_mode(raw.mode, problems);
  if (rule.exclude && (raw.uplinks.given() || raw.mode.given()))
    problems.add(raw.exclude.where, "a rule with exclude = true cannot also choose uplinks or a mode",
                 "excluded traffic is never balanced; split this into two rules");
  else if (!rule.exclude && !raw.uplinks.given() && !raw.mode.given())
    problems.add(raw.where, "this rule does nothing",
                 "give it uplinks = [...], mode = \"packet\" or \"connection\", or exclude = true");
  return rule;
}

}  // namespace

std::optional<Prefix> checked_prefix(std::string_view what, const Located<std::string>& raw,
                                     Problems& problems) {
  auto prefix = Prefix::parse(*raw.value);
  if (!prefix) {
    problems.add(raw.where, std::string(what) + " " + quoted(*raw.value) + " is not a prefix",
                 "use A.B.C.D/N, X:X::/N, \"default\" (0.0.0.0/0) or \"default6\" (::/0)");
    return std::nullopt;
  }
  if (prefix->network() != *prefix) {
    problems.add(raw.where, std::string(what) + " " + quoted(*raw.value) + " has host bits set",
                 "did you mean \"" + prefix->network().address.to_string() + "/" +
                     std::to_string(prefix->length) + "\"?");
    return std::nullopt;
  }
  return prefix;
}

void check_rules(const RawConfig& raw, Config& config, Problems& problems) {
  for (const auto& rule : raw.rules) config.rules.push_back(checked_rule(rule, config, problems));
}

}  // namespace uplinkd::detail
