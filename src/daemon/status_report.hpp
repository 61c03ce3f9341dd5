// SPDX-License-Identifier: GPL-2.0-or-later
// The `status` command's answer, built from the plan so that what the operator reads is what was applied.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

// "active" (in the balanced group), "standby" (usable, but a better tier is in use), "drained" (usable, kept
// out of the group by the operator), "down" (not usable).
// Each family apart: an uplink can be active for IPv4 and down for IPv6.
std::string_view uplink_state_name(const PlannedUplink& uplink, Family family = Family::v4);

// The health_json() of each probed family of an uplink, by uplink name and family.
using HealthReports = std::map<std::pair<std::string, Family>, nlohmann::json>;

// By uplink name: why the kernel ignores its router advertisements (router_advertisements.hpp).
using IgnoredAdvertisements = std::map<std::string, std::string>;

nlohmann::json status_report(const Config& config, const Plan& plan, const std::vector<std::string>& errors,
                             const HealthReports& health = {}, const IgnoredAdvertisements& ignored_ra = {});

}  // namespace uplinkd
