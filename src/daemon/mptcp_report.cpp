// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/mptcp_report.hpp"

#include <algorithm>

namespace uplinkd {
namespace {

std::string family_text(Family family) {
  return family == Family::v4 ? "ipv4" : "ipv6";
}

// The uplink whose id this is (mptcp_id_owner), if the config still has it.
const UplinkConfig* owner(const Config& config, uint8_t id) {
  const auto found = mptcp_id_owner(id);
  if (!found || found->uplink_index >= config.uplinks.size()) return nullptr;
  return &config.uplinks[found->uplink_index];
}

nlohmann::json endpoint_json(const netlink::MptcpEndpoint& endpoint) {
  return {{"id", endpoint.id}, {"address", endpoint.address.to_string()}, {"backup", endpoint.backup}};
}

// The uplink's IPv4 fields are the entry's own, its IPv6 ones in "ipv6" (status_report.cpp).
nlohmann::json* family_object(nlohmann::json& entry, Family family) {
  if (family == Family::v4) return &entry;
  auto side = entry.find("ipv6");
  return side != entry.end() && side->is_object() ? &*side : nullptr;
}

nlohmann::json* uplink_entry(nlohmann::json& report, const std::string& name) {
  auto uplinks = report.find("uplinks");
  if (uplinks == report.end() || !uplinks->is_array()) return nullptr;
  for (auto& entry : *uplinks)
    if (entry.value("name", "") == name) return &entry;
  return nullptr;
}

}  // namespace

std::vector<nlohmann::json> mptcp_events(const Config& config, const MptcpOutcome& outcome) {
  std::vector<nlohmann::json> events;
  for (const auto& change : outcome.changes) {
    const bool refused = std::any_of(outcome.failed.begin(), outcome.failed.end(),
                                     [&](const MptcpFailure& failure) { return failure.change == change; });
    if (refused) continue;
    const auto& endpoint = change.endpoint;
    nlohmann::json event = {{"event", "mptcp"}};
    switch (change.kind) {
      case MptcpEndpointChange::Kind::remove:
        event["action"] = "remove";
        break;
      case MptcpEndpointChange::Kind::add:
        event["action"] = "add";
        break;
      case MptcpEndpointChange::Kind::set_backup:
        event["action"] = "backup";
        break;
    }
    // An endpoint of an uplink that a reload took out of the config has no uplink to name.
    if (const UplinkConfig* uplink = owner(config, endpoint.id)) {
      event["uplink"] = uplink->name;
      event["interface"] = uplink->interface;
    }
    const auto whose = mptcp_id_owner(endpoint.id);
    event["family"] = family_text(whose ? whose->family : endpoint.address.family());
    event.update(endpoint_json(endpoint));
    events.push_back(std::move(event));
  }
  if (outcome.raised_limits)
    events.push_back({{"event", "mptcp"},
                      {"action", "limits"},
                      {"subflows", outcome.raised_limits->subflows},
                      {"add_addr_accepted", outcome.raised_limits->add_addr_accepted}});
  return events;
}

KernelError mptcp_refusal(const Config& config, const MptcpFailure& failure) {
  const auto& endpoint = failure.change.endpoint;
  const UplinkConfig* uplink = owner(config, endpoint.id);
  const auto whose = mptcp_id_owner(endpoint.id);
  const Family family = whose ? whose->family : endpoint.address.family();
  const std::string who = uplink ? "uplink " + uplink->name + "'s " : "";
  KernelError error = failure.error;
  error.object = who + (family == Family::v4 ? "IPv4" : "IPv6") + " MPTCP endpoint: " + error.object;
  return error;
}

void add_mptcp_status(nlohmann::json& report, const Config& config, const MptcpOutcome& outcome) {
  nlohmann::json mptcp = {{"configured", outcome.configured}, {"managed", outcome.managed}};
  mptcp["limits"] = outcome.limits ? nlohmann::json{{"subflows", outcome.limits->subflows},
                                                    {"add_addr_accepted", outcome.limits->add_addr_accepted}}
                                   : nlohmann::json();
  if (outcome.foreign_manager) mptcp["foreign_manager"] = *outcome.foreign_manager;
  if (outcome.unavailable) mptcp["unavailable"] = *outcome.unavailable;
  report["mptcp"] = std::move(mptcp);

  for (const auto& uplink : config.uplinks) {
    nlohmann::json* entry = uplink_entry(report, uplink.name);
    if (!entry) continue;
    for (const Family family : {Family::v4, Family::v6})
      if (nlohmann::json* side = family_object(*entry, family)) (*side)["mptcp_endpoint"] = nullptr;
  }
  for (const auto& planned : outcome.endpoints) {
    nlohmann::json* entry = uplink_entry(report, planned.uplink);
    nlohmann::json* side = entry ? family_object(*entry, planned.family) : nullptr;
    if (side) (*side)["mptcp_endpoint"] = endpoint_json(planned.endpoint);
  }
  for (const auto& failure : outcome.failed) {
    if (failure.change.kind == MptcpEndpointChange::Kind::remove) continue;  // a leftover: no uplink's own
    const UplinkConfig* uplink = owner(config, failure.change.endpoint.id);
    const auto whose = mptcp_id_owner(failure.change.endpoint.id);
    nlohmann::json* entry = uplink ? uplink_entry(report, uplink->name) : nullptr;
    nlohmann::json* side = entry && whose ? family_object(*entry, whose->family) : nullptr;
    if (side) (*side)["mptcp_refused"] = failure.error.message();
  }
  if (!outcome.notes.empty()) {
    auto& notes = report["notes"];
    if (!notes.is_array()) notes = nlohmann::json::array();
    for (const auto& note : outcome.notes) notes.push_back(note);
  }
}

}  // namespace uplinkd
