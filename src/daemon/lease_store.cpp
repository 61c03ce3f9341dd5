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

}  // namespace

Leases load_leases(const std::string& path) {
  Leases leases;
  std::optional<std::string> text;
  try {
    text = read_regular_file(path, kMaxStateFileBytes);
  } catch (const FileReadError& error) {
    spdlog::warn("state file {}; ignored", error.what());
    return leases;
  }
  if (!text) return leases;
  nlohmann::json json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("leases") || !json["leases"].is_object()) {
    spdlog::warn("state file {}: not uplinkd's format; ignored", path);
    return leases;
  }
  for (const auto& [interface, entry] : json["leases"].items()) {
    auto lease = read_lease(entry);
    if (const auto* problem = std::get_if<std::string>(&lease))
      spdlog::warn("state file {}: lease of {}: {}; ignored", path, nlohmann::json(interface).dump(),
                   *problem);
    else
      leases[interface] = std::get<DhcpLease>(lease);
  }
  return leases;
}

void save_leases(const std::string& path, const Leases& leases) {
  nlohmann::json json = {{"version", 1}, {"leases", nlohmann::json::object()}};
  for (const auto& [interface, lease] : leases) {
    // Not Prefix::to_string(), which says "default" for a length of 0.
    nlohmann::json entry = {
        {"address", lease.address.address.to_string() + "/" + std::to_string(lease.address.length)},
        {"client", std::string(to_string(lease.client))}};
    if (lease.gateway) entry["gateway"] = lease.gateway->to_string();
    json["leases"][interface] = entry;
  }
  try {
    write_file_atomically(path, json.dump(2) + "\n");
  } catch (const std::system_error& error) {
    throw std::system_error(error.code(), "state file " + path);
  }
}

}  // namespace uplinkd
