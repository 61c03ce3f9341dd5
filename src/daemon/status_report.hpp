// The `status` command's answer, built from the plan so that what the operator reads is what was applied.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

// "active" (in the balanced group), "standby" (usable, but a better tier is in use), "drained" (usable, kept
// out of the group by the operator), "down" (not usable).
// Each family apart: an uplink can be active for IPv4 and down for IPv6.
std::string_view uplink_state_name(const PlannedUplink& uplink, Family family = Family::v4);

// `health` holds, by uplink name, the health_json() of uplinks that are probed.
nlohmann::json status_report(const Config& config, const Plan& plan, const std::vector<std::string>& errors,
                             const std::map<std::string, nlohmann::json>& health = {});

}  // namespace uplinkd
