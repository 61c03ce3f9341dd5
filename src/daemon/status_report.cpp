#include "daemon/status_report.hpp"

namespace uplinkd {

std::string_view uplink_state_name(const PlannedUplink& uplink) {
  if (uplink.in_group) return "active";
  if (uplink.status.usable && uplink.status.drained) return "drained";
  if (uplink.status.usable) return "standby";
  return "down";
}

namespace {

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
  for (size_t i = 0; i < config.uplinks.size() && i < plan.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    const PlannedUplink& planned = plan.uplinks[i];
    const UplinkStatus& status = planned.status;
    active += planned.in_group;
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
      {"uplinks", uplinks},
      {"sysctls", sysctls_json(plan)},
      {"notes", plan.notes},
      {"errors", errors},
      {"converged", errors.empty()},
  };
}

}  // namespace uplinkd
