#include "daemon/lease_store.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace uplinkd {

Leases load_leases(const std::string& path) {
  Leases leases;
  std::ifstream in(path);
  if (!in) return leases;
  nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("leases") || !json["leases"].is_object()) {
    spdlog::warn("state file {}: not uplinkd's format; ignored", path);
    return leases;
  }
  for (const auto& [interface, entry] : json["leases"].items()) {
    auto address = entry.contains("address") && entry["address"].is_string()
                       ? Prefix::parse(entry["address"].get<std::string>())
                       : std::nullopt;
    auto client = entry.contains("client") && entry["client"].is_string()
                      ? dhcp_client_from_string(entry["client"].get<std::string>())
                      : std::nullopt;
    if (!address || !client) {
      spdlog::warn("state file {}: lease of {} is incomplete; ignored", path, interface);
      continue;
    }
    DhcpLease lease{*address, std::nullopt, *client};
    if (entry.contains("gateway") && entry["gateway"].is_string())
      lease.gateway = IpAddress::parse(entry["gateway"].get<std::string>());
    leases[interface] = lease;
  }
  return leases;
}

void save_leases(const std::string& path, const Leases& leases) {
  nlohmann::json json = {{"version", 1}, {"leases", nlohmann::json::object()}};
  for (const auto& [interface, lease] : leases) {
    nlohmann::json entry = {{"address", lease.address.to_string()},
                            {"client", std::string(to_string(lease.client))}};
    if (lease.gateway) entry["gateway"] = lease.gateway->to_string();
    json["leases"][interface] = entry;
  }
  std::filesystem::path target(path);
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << json.dump(2) << "\n";
    out.flush();
    if (!out) throw std::system_error(errno, std::generic_category(), "state file " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), "state file " + path);
}

}  // namespace uplinkd
