#include "sources/hook_json.hpp"

#include "common/error.hpp"
#include "sources/hook_fields.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {

namespace {

// Enough routers for any real lease (the option holds 63), few enough that a request cannot balloon.
constexpr size_t kMaxRouters = 64;

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

  std::optional<Prefix> lease(std::string_view field) const {
    auto text = string(field, false);
    if (text.empty()) return std::nullopt;
    auto prefix = Prefix::parse(text);
    if (!prefix || text.find('/') == std::string::npos || prefix->family() != Family::v4 ||
        prefix->address.is_unspecified())
      fail(name(field),
           hook::quoted(text) + " is not an IPv4 address with its prefix length, like 100.64.1.10/24");
    return prefix;
  }

  std::vector<IpAddress> routers(std::string_view field) const {
    std::vector<IpAddress> routers;
    const auto* value = find(field);
    if (!value) return routers;
    if (!value->is_array()) fail(name(field), "must be an array of addresses");
    if (value->size() > kMaxRouters)
      fail(name(field), "holds more than " + std::to_string(kMaxRouters) + " routers");
    for (size_t i = 0; i < value->size(); ++i) {
      const auto& item = (*value)[i];
      auto item_name = name(field) + "[" + std::to_string(i) + "]";
      auto text = item.is_string() ? item.get<std::string>() : std::string();
      auto address = text.find('\0') == std::string::npos ? IpAddress::parse(text) : std::nullopt;
      if (!address || address->family() != Family::v4 || address->is_unspecified())
        fail(item_name, "must be a router's IPv4 address");
      routers.push_back(*address);
    }
    return routers;
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
  if (event.old_address) json["old_address"] = lease_text(*event.old_address);
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

  event.address = fields.lease("address");
  if (event.change == LeaseChange::up && !event.address)
    fields.fail(fields.name("address"), "is missing, and a lease that is up needs one");
  event.routers = fields.routers("routers");
  event.old_address = fields.lease("old_address");
  return event;
}

}  // namespace uplinkd
