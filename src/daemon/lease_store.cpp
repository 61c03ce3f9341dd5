// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/lease_store.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <system_error>
#include <variant>

#include "common/atomic_file.hpp"
#include "common/regular_file.hpp"

namespace uplinkd {

namespace {

// At most 64 uplinks of a few hundred bytes each; anything near this is not uplinkd's file.
constexpr size_t kMaxStateFileBytes = 1024 * 1024;

std::optional<std::string> string_field(const nlohmann::json& entry, const char* field) {
  if (!entry.is_object() || !entry.contains(field) || !entry[field].is_string()) return std::nullopt;
  return entry[field].get<std::string>();
}

// A lease as save_leases() wrote it, or why the entry cannot be one: the file may be old, edited by hand or
// damaged, and what it says becomes a route, so it is judged as a hook's lease would be.
std::variant<DhcpLease, std::string> read_lease(const nlohmann::json& entry) {
  auto address_text = string_field(entry, "address");
  auto address = address_text ? Prefix::parse(*address_text) : std::nullopt;
  if (!address || address->family() != Family::v4 || address_text->find('/') == std::string::npos)
    return "address is not an IPv4 address with its prefix length";
  if (address->address.is_unspecified()) return "address is 0.0.0.0, which is no lease";
  auto client_text = string_field(entry, "client");
  auto client = client_text ? dhcp_client_from_string(*client_text) : std::nullopt;
  if (!client) return "client is not dhclient, dhcpcd or udhcpc";
  DhcpLease lease{*address, std::nullopt, *client};
  if (entry.contains("gateway")) {
    auto gateway_text = string_field(entry, "gateway");
    auto gateway = gateway_text ? IpAddress::parse(*gateway_text) : std::nullopt;
    if (!gateway || gateway->family() != Family::v4) return "gateway is not an IPv4 address";
    if (auto problem = gateway_problem(*gateway, address)) return "gateway " + *gateway_text + " " + *problem;
    lease.gateway = gateway;
  }
  return lease;
}

// The prefixes delegated to one interface, or why the entry cannot be: judged as a hook's would be, since
// each becomes a `from PREFIX` rule.
std::variant<std::vector<Prefix>, std::string> read_delegated(const nlohmann::json& entry) {
  if (!entry.is_array()) return "not an array of prefixes";
  if (entry.size() > kMaxDelegatedPrefixes)
    return "more than " + std::to_string(kMaxDelegatedPrefixes) + " prefixes";
  std::vector<Prefix> prefixes;
  for (const auto& item : entry) {
    auto text = item.is_string() ? item.get<std::string>() : std::string();
    auto prefix = text.find('/') != std::string::npos ? Prefix::parse(text) : std::nullopt;
    if (!prefix) return nlohmann::json(item).dump() + " is not a prefix with its length";
    if (auto problem = delegated_prefix_problem(*prefix)) return text + " " + *problem;
    prefixes.push_back(*prefix);
  }
  return prefixes;
}

template <class T>
void read_entries(const std::string& path, const nlohmann::json& json, const char* key, const char* what,
                  std::variant<T, std::string> (*read)(const nlohmann::json&),
                  std::map<std::string, T>& into) {
  if (!json.contains(key)) return;
  if (!json[key].is_object()) {
    spdlog::warn("state file {}: {} is not an object; ignored", path, key);
    return;
  }
  for (const auto& [interface, entry] : json[key].items()) {
    auto value = read(entry);
    if (const auto* problem = std::get_if<std::string>(&value))
      spdlog::warn("state file {}: {} of {}: {}; ignored", path, what, nlohmann::json(interface).dump(),
                   *problem);
    else
      into[interface] = std::get<T>(std::move(value));
  }
}

}  // namespace

StoredLeases load_leases(const std::string& path) {
  StoredLeases stored;
  std::optional<std::string> text;
  try {
    text = read_regular_file(path, kMaxStateFileBytes);
  } catch (const FileReadError& error) {
    spdlog::warn("state file {}; ignored", error.what());
    return stored;
  }
  if (!text) return stored;
  nlohmann::json json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("leases") || !json["leases"].is_object()) {
    spdlog::warn("state file {}: not uplinkd's format; ignored", path);
    return stored;
  }
  read_entries(path, json, "leases", "lease", read_lease, stored.leases);
  read_entries(path, json, "delegated", "delegated prefixes", read_delegated, stored.delegated);
  return stored;
}

void save_leases(const std::string& path, const StoredLeases& stored) {
  nlohmann::json json = {{"version", 1}, {"leases", nlohmann::json::object()}};
  for (const auto& [interface, lease] : stored.leases) {
    // Not Prefix::to_string(), which says "default" for a length of 0.
    nlohmann::json entry = {
        {"address", lease.address.address.to_string() + "/" + std::to_string(lease.address.length)},
        {"client", std::string(to_string(lease.client))}};
    if (lease.gateway) entry["gateway"] = lease.gateway->to_string();
    json["leases"][interface] = entry;
  }
  if (!stored.delegated.empty()) {
    json["delegated"] = nlohmann::json::object();
    for (const auto& [interface, prefixes] : stored.delegated) {
      json["delegated"][interface] = nlohmann::json::array();
      for (const auto& prefix : prefixes) json["delegated"][interface].push_back(prefix.to_string());
    }
  }
  try {
    write_file_atomically(path, json.dump(2) + "\n");
  } catch (const std::system_error& error) {
    throw std::system_error(error.code(), "state file " + path);
  }
}

}  // namespace uplinkd
