// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/hook_json.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "sources/hook_fields.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {

namespace {

// Far more than a request can carry (the control server caps its size), so it only bounds a forged count.
constexpr size_t kMaxIgnoredRouters = 1'000'000;

std::string lease_text(const Prefix& prefix) {
  // Not Prefix::to_string(): that prints length 0 as "default", which would not read back as a lease.
  return prefix.address.to_string() + "/" + std::to_string(prefix.length);
}

class Fields {
 public:
  Fields(const nlohmann::json& json, std::string_view path) : json_(json), path_(path) {
    if (!json_.is_object()) fail(path_, "must be an object");
  }

  [[noreturn]] void fail(std::string_view field, std::string problem) const {
    throw InputError(SourceLocation{"request"}, std::string(field) + " " + std::move(problem));
  }
  std::string name(std::string_view field) const { return std::string(path_) + "." + std::string(field); }

  const nlohmann::json* find(std::string_view field) const {
    auto found = json_.find(field);
    if (found == json_.end() || found->is_null()) return nullptr;
    return &*found;
  }

  std::string string(std::string_view field, bool required = true) const {
    const auto* value = find(field);
    if (!value) {
      if (required) fail(name(field), "is missing");
      return {};
    }
    if (!value->is_string()) fail(name(field), "must be a string");
    auto text = value->get<std::string>();
    if (text.size() > hook::kMaxValueLength) fail(name(field), "is too long");
    // JSON may carry "\u0000"; inet_pton and interface names would stop reading at it.
    if (text.find('\0') != std::string::npos) fail(name(field), hook::quoted(text) + " holds a NUL byte");
    return text;
  }

  std::optional<Prefix> lease(std::string_view field, Family family) const {
    auto text = string(field, false);
    if (text.empty()) return std::nullopt;
    auto prefix = Prefix::parse(text);
    if (!prefix || text.find('/') == std::string::npos || prefix->family() != family ||
        prefix->address.is_unspecified())
      fail(name(field), hook::quoted(text) +
                            (family == Family::v4
                                 ? " is not an IPv4 address with its prefix length, like 100.64.1.10/24"
                                 : " is not an IPv6 address with its prefix length, like 2001:db8::10/128"));
    return prefix;
  }

  // An array of delegated prefixes, at most kMaxDelegatedPrefixes.
  std::vector<Prefix> delegations(std::string_view field) const {
    std::vector<Prefix> prefixes;
    const auto* value = find(field);
    if (!value) return prefixes;
    if (!value->is_array()) fail(name(field), "must be an array of prefixes");
    if (value->size() > kMaxDelegatedPrefixes)
      fail(name(field), "holds " + std::to_string(value->size()) + " prefixes, at most " +
                            std::to_string(kMaxDelegatedPrefixes) + " are taken");
    for (size_t i = 0; i < value->size(); ++i) {
      const auto& item = (*value)[i];
      auto item_name = name(field) + "[" + std::to_string(i) + "]";
      auto text = item.is_string() ? item.get<std::string>() : std::string();
      auto prefix = text.find('\0') == std::string::npos && text.find('/') != std::string::npos
                        ? Prefix::parse(text)
                        : std::nullopt;
      if (!prefix) fail(item_name, "must be an IPv6 prefix with its length, like 2001:db8:1:100::/56");
      if (auto problem = delegated_prefix_problem(*prefix))
        fail(item_name, hook::quoted(text) + " " + *problem);
      prefixes.push_back(*prefix);
    }
    return prefixes;
  }

  // The addresses of an array of routers; past `room` entries only counted in `ignored`, never read.
  std::vector<IpAddress> routers(std::string_view field, size_t room, size_t& ignored) const {
    std::vector<IpAddress> routers;
    const auto* value = find(field);
    if (!value) return routers;
    if (!value->is_array()) fail(name(field), "must be an array of addresses");
    for (size_t i = 0; i < value->size(); ++i) {
      if (routers.size() == room) {
        ignored += value->size() - i;
        break;
      }
      const auto& item = (*value)[i];
      auto item_name = name(field) + "[" + std::to_string(i) + "]";
      auto text = item.is_string() ? item.get<std::string>() : std::string();
      auto address = text.find('\0') == std::string::npos ? IpAddress::parse(text) : std::nullopt;
      if (!address || address->family() != Family::v4) fail(item_name, "must be a router's IPv4 address");
      routers.push_back(*address);
    }
    return routers;
  }

  size_t count(std::string_view field, size_t max) const {
    const auto* value = find(field);
    if (!value) return 0;
    // A parsed 5 is unsigned, a constructed one signed: test the value, not the type.
    if (!value->is_number_integer() || value->get<int64_t>() < 0 || value->get<uint64_t>() > max)
      fail(name(field), "must be a count from 0 to " + std::to_string(max));
    return value->get<size_t>();
  }

 private:
  const nlohmann::json& json_;
  std::string_view path_;
};

}  // namespace

nlohmann::json hook_event_to_json(const HookEvent& event) {
  nlohmann::json json = {
      {"client", to_string(event.client)}, {"interface", event.interface},       {"reason", event.reason},
      {"change", to_string(event.change)}, {"routers", nlohmann::json::array()},
  };
  if (event.address) json["address"] = lease_text(*event.address);
  for (const auto& router : event.routers) json["routers"].push_back(router.to_string());
  // Addresses only: the daemon judges them again with its own check, and an old daemon ignores the field.
  if (!event.refused_routers.empty()) {
    json["refused_routers"] = nlohmann::json::array();
    for (const auto& refused : event.refused_routers)
      json["refused_routers"].push_back(refused.address.to_string());
  }
  if (event.ignored_routers) json["ignored_routers"] = event.ignored_routers;
  if (event.old_address) json["old_address"] = lease_text(*event.old_address);
  // The family follows from the reason; these are written only when there are any, so an IPv4 event reads
  // as it did before.
  for (auto [field, prefixes] : {std::pair{"delegated", &event.delegated}, {"withdrawn", &event.withdrawn}}) {
    if (prefixes->empty()) continue;
    json[field] = nlohmann::json::array();
    for (const auto& prefix : *prefixes) json[field].push_back(prefix.to_string());
  }
  return json;
}

HookEvent hook_event_from_json(const nlohmann::json& json, std::string_view path) {
  Fields fields(json, path);
  HookEvent event;

  auto client = fields.string("client");
  if (auto known = dhcp_client_from_string(client))
    event.client = *known;
  else
    fields.fail(fields.name("client"), hook::quoted(client) + " is not dhclient, dhcpcd or udhcpc");

  event.interface = fields.string("interface");
  if (!hook::is_plain_interface_name(event.interface))
    fields.fail(fields.name("interface"), hook::quoted(event.interface) + " is not an interface name");

  event.reason = fields.string("reason");
  if (!hook_reason_change(event.client, event.reason))
    fields.fail(fields.name("reason"), hook::quoted(event.reason) + " is not a reason " +
                                           std::string(to_string(event.client)) + " gives");

  auto change = fields.string("change");
  if (auto known = lease_change_from_string(change))
    event.change = *known;
  else
    fields.fail(fields.name("change"), hook::quoted(change) + " is not up, down or ignore");

  event.family = *hook_reason_family(event.client, event.reason);
  event.address = fields.lease("address", event.family);
  // A DHCPv6 lease may hold only delegated prefixes (and the address from router advertisements).
  if (event.change == LeaseChange::up && !event.address && event.family == Family::v4)
    fields.fail(fields.name("address"), "is missing, and a lease that is up needs one");
  // Judged here again (the socket takes requests from anyone): "routers" and "refused_routers" are the
  // lease's routers in the server's order, sorted by the client; an invalid one among "routers" is refused.
  size_t ignored = 0;
  auto given = fields.routers("routers", kMaxRouters, ignored);
  auto refused = fields.routers("refused_routers", kMaxRouters - given.size(), ignored);
  given.insert(given.end(), refused.begin(), refused.end());
  take_routers(event, given);
  // A count, not a list: a client cannot make the daemon hold more than kMaxRouters addresses. Capped, so
  // that what the daemon accepts it would also accept back.
  event.ignored_routers =
      std::min(ignored + fields.count("ignored_routers", kMaxIgnoredRouters), kMaxIgnoredRouters);
  event.old_address = fields.lease("old_address", event.family);
  event.delegated = fields.delegations("delegated");
  event.withdrawn = fields.delegations("withdrawn");
  if (event.family == Family::v4 && (!event.delegated.empty() || !event.withdrawn.empty()))
    fields.fail(fields.name("delegated"),
                "is for DHCPv6 events only, and " + event.reason + " is an IPv4 one");
  if (event.family == Family::v6 && !event.routers.empty())
    fields.fail(fields.name("routers"), "must be empty for a DHCPv6 event: DHCPv6 has no routers");
  return event;
}

}  // namespace uplinkd
