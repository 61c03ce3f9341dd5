#include "daemon/status_report.hpp"

namespace uplinkd {

std::string_view uplink_state_name(const PlannedUplink& uplink, Family family) {
  const UplinkStatus& status = uplink.of(family);
  if (family == Family::v4 ? uplink.in_group : uplink.in_group6) return "active";
  if (status.usable && status.drained) return "drained";
  if (status.usable) return "standby";
  return "down";
}

namespace {

std::string address_text(const std::optional<Prefix>& address) {
  return address ? address->to_string() : std::string();
}

// The uplink's IPv6 side, as the top-level fields give its IPv4 side.
nlohmann::json ipv6_json(const PlannedUplink& planned) {
  const UplinkStatus& status = planned.status6;
  nlohmann::json prefixes = nlohmann::json::array();
  for (const auto& prefix : status.prefixes) prefixes.push_back(prefix.to_string());
  return {
      {"state", std::string(uplink_state_name(planned, Family::v6))},
      {"why", status.why},
      {"address", status.address ? nlohmann::json(address_text(status.address)) : nlohmann::json()},
      {"prefixes", prefixes},
      {"gateway", status.gateway ? nlohmann::json(status.gateway->to_string()) : nlohmann::json()},
      {"gateway_source", std::string(gateway_source_name(status.gateway_source))},
      {"in_group", planned.in_group6},
      {"kernel_refused", status.refused},
  };
}

// Only those the config asked for: uplinkd leaves every other sysctl alone.
nlohmann::json sysctls_json(const Plan& plan) {
  nlohmann::json sysctls = nlohmann::json::array();
  for (const auto& sysctl : plan.sysctls) sysctls.push_back({{"key", sysctl.key}, {"value", sysctl.value}});
  return sysctls;
}

}  // namespace

nlohmann::json status_report(const Config& config, const Plan& plan, const std::vector<std::string>& errors,
                             const std::map<std::string, nlohmann::json>& health) {
  nlohmann::json uplinks = nlohmann::json::array();
  int active = 0;
  int active6 = 0;
  for (size_t i = 0; i < config.uplinks.size() && i < plan.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    const PlannedUplink& planned = plan.uplinks[i];
    const UplinkStatus& status = planned.status;
    active += planned.in_group;
    active6 += planned.in_group6;
    nlohmann::json entry = {
        {"name", uplink.name},
        {"interface", uplink.interface},
        {"state", std::string(uplink_state_name(planned))},
        {"why", status.why},
        {"address", status.address ? nlohmann::json(status.address->to_string()) : nlohmann::json()},
        {"gateway", status.gateway ? nlohmann::json(status.gateway->to_string()) : nlohmann::json()},
        {"gateway_source", std::string(gateway_source_name(status.gateway_source))},
        {"weight", uplink.weight},
        {"tier", uplink.tier},
        {"table", uplink.table},
        {"table_name", uplink.table_name},
        {"in_group", planned.in_group},
        {"drained", status.drained},
        {"kernel_refused", status.refused},  // the kernel refused its objects: `why` gives its answer
        {"ipv6", ipv6_json(planned)},
    };
    auto probed = health.find(uplink.name);
    entry["health"] = probed != health.end()
                          ? probed->second
                          : nlohmann::json{{"state", std::string(health_name(status.health))},
                                           {"reason", "no health targets"},
                                           {"since", nullptr},
                                           {"targets", nlohmann::json::array()},
                                           {"transitions", nlohmann::json::array()}};
    uplinks.push_back(entry);
  }
  return {
      {"mode", std::string(mode_name(config.mode))},
      {"config", config.path},
      {"active", active},
      {"active6", active6},
      {"uplinks", uplinks},
      {"sysctls", sysctls_json(plan)},
      {"notes", plan.notes},
      {"errors", errors},
      {"converged", errors.empty()},
  };
}

}  // namespace uplinkd
