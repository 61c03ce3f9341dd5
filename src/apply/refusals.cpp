// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/refusals.hpp"

#include "plan/ownership.hpp"

namespace uplinkd {
namespace {

constexpr uint8_t kActionToTable = 1;  // FR_ACT_TO_TBL

bool owns(const UplinkConfig& uplink, const netlink::Nexthop& nexthop) {
  return nexthop.id == ownership::uplink_nexthop_id(uplink.table, nexthop.family);
}
bool owns(const UplinkConfig& uplink, const netlink::Route& route) {
  return route.table == uplink.table;
}
bool owns(const UplinkConfig& uplink, const netlink::Rule& rule) {
  return rule.action == kActionToTable && rule.table == uplink.table;
}

// nftables and sysctl changes belong to no single uplink.
template <class Other>
bool owns(const UplinkConfig&, const Other&) {
  return false;
}

std::optional<Family> family_of(const netlink::Nexthop& nexthop) {
  return nexthop.family;
}
std::optional<Family> family_of(const netlink::Route& route) {
  return route.family();
}
std::optional<Family> family_of(const netlink::Rule& rule) {
  return rule.family;
}
template <class Other>
std::optional<Family> family_of(const Other&) {
  return std::nullopt;
}

}  // namespace

std::optional<Family> object_family(const KernelObject& object) {
  return std::visit([](const auto& value) { return family_of(value); }, object);
}

const UplinkConfig* owner_uplink(const Config& config, const KernelObject& object) {
  for (const auto& uplink : config.uplinks)
    if (std::visit([&](const auto& value) { return owns(uplink, value); }, object)) return &uplink;
  return nullptr;
}

std::map<UplinkFamily, std::string> refused_uplinks(const Config& config,
                                                    const std::vector<FailedChange>& failed) {
  std::map<UplinkFamily, std::string> refused;
  for (const auto& failure : failed) {
    if (failure.change.kind == ChangeKind::remove) continue;
    const UplinkConfig* uplink = owner_uplink(config, failure.change.object);
    const auto family = object_family(failure.change.object);
    if (uplink && family) refused.emplace(UplinkFamily{uplink->interface, *family}, failure.error.message());
  }
  return refused;
}

}  // namespace uplinkd
