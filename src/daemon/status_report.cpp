// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/status_report.hpp"

namespace uplinkd {

std::string_view uplink_state_name(const PlannedUplink& uplink, Family family) {
  const UplinkStatus& status = uplink.of(family);
  if (uplink.in_group_of(family)) return "active";
  if (status.usable && status.drained) return "drained";
  if (status.usable) return "standby";
  return "down";
}

namespace {

// One family of the uplink: the entry's own fields for IPv4 (as before IPv6 was balanced), its "ipv6" object
// for IPv6, which also lists the prefixes its rules and routes are made of, and those delegated to it.
nlohmann::json family_json(const PlannedUplink& planned, Family family) {
  const UplinkStatus& status = planned.of(family);
  nlohmann::json side = {
      {"state", std::string(uplink_state_name(planned, family))},
      {"why", status.why},
      {"address", status.address ? nlohmann::json(status.address->to_string()) : nlohmann::json()},
      {"gateway", status.gateway ? nlohmann::json(status.gateway->to_string()) : nlohmann::json()},
      {"gateway_source", std::string(gateway_source_name(status.gateway_source))},
      {"in_group", planned.in_group_of(family)},
      {"kernel_refused", status.refused},  // the kernel refused its objects: `why` gives its answer
  };
  if (family == Family::v6) {
    side["prefixes"] = nlohmann::json::array();
    for (const auto& prefix : status.prefixes) side["prefixes"].push_back(prefix.to_string());
    side["delegated"] = nlohmann::json::array();  // by DHCPv6 (IA_PD): a rule each while it is routable
    for (const auto& prefix : status.delegated) side["delegated"].push_back(prefix.to_string());
  }
  return side;
}

// A family probed by its own targets shows its monitor; one without targets, the other family's verdict it
// follows (`follows` names that family); an uplink probed in neither is healthy as far as uplinkd knows.
nlohmann::json family_health_json(const std::string& uplink, Family family, const HealthReports& health) {
  if (auto own = health.find({uplink, family}); own != health.end()) return own->second;
  const Family other = family == Family::v4 ? Family::v6 : Family::v4;
  nlohmann::json report = {{"state", std::string(health_name(Health::unconfigured))},
                           {"reason", "no health targets"},
                           {"since", nullptr},
                           {"targets", nlohmann::json::array()},
                           {"transitions", nlohmann::json::array()}};
  if (auto followed = health.find({uplink, other}); followed != health.end()) {
    report["state"] = followed->second.value("state", "");
    report["reason"] = followed->second.value("reason", "");
    report["since"] = followed->second.value("since", nlohmann::json());
    report["follows"] = other == Family::v4 ? "ipv4" : "ipv6";
  }
  return report;
}

// Only those the config asked for: uplinkd leaves every other sysctl alone.
nlohmann::json sysctls_json(const Plan& plan) {
  nlohmann::json sysctls = nlohmann::json::array();
  for (const auto& sysctl : plan.sysctls) sysctls.push_back({{"key", sysctl.key}, {"value", sysctl.value}});
  return sysctls;
}

}  // namespace

nlohmann::json status_report(const Config& config, const Plan& plan, const std::vector<std::string>& errors,
                             const HealthReports& health, const IgnoredAdvertisements& ignored_ra) {
  nlohmann::json uplinks = nlohmann::json::array();
  int active = 0;
  int active6 = 0;
  for (size_t i = 0; i < config.uplinks.size() && i < plan.uplinks.size(); ++i) {
    const UplinkConfig& uplink = config.uplinks[i];
    const PlannedUplink& planned = plan.uplinks[i];
    const UplinkStatus& status = planned.status;
    active += planned.in_group;
    active6 += planned.in_group6;
    nlohmann::json entry = family_json(planned, Family::v4);
    entry.update({
        {"name", uplink.name},
        {"interface", uplink.interface},
        {"weight", uplink.weight},
        {"tier", uplink.tier},
        {"table", uplink.table},
        {"table_name", uplink.table_name},
        {"drained", status.drained},
        {"ipv6", family_json(planned, Family::v6)},
    });
    entry["health"] = family_health_json(uplink.name, Family::v4, health);
    entry["ipv6"]["health"] = family_health_json(uplink.name, Family::v6, health);
    if (auto ignored = ignored_ra.find(uplink.name); ignored != ignored_ra.end())
      entry["ipv6"]["router_advertisements"] = "ignored: " + ignored->second;
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
