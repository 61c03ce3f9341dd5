// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/status_table.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

namespace uplinkd {
namespace {

using Json = nlohmann::json;

// Every field is optional and read without trusting its type: an older or newer daemon must still give a
// table, never an exception.
std::string as_text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string field(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "-";
  return as_text(*it);
}

std::optional<double> number(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

const Json& object_at(const Json& object, const char* key) {
  static const Json kNone = Json::object();
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kNone;
}

const Json& array_at(const Json& object, const char* key) {
  static const Json kNone = Json::array();
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kNone;
}

bool drained(const Json& uplink) {
  auto it = uplink.find("drained");
  return it != uplink.end() && it->is_boolean() && it->get<bool>();
}

std::string fixed(std::optional<double> value, int decimals, const char* unit) {
  if (!value) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f%s", decimals, *value, unit);
  return text;
}

std::string health_cell(const Json& uplink) {
  const Json& health = object_at(uplink, "health");
  std::string state = health.contains("state") ? field(health, "state") : "";
  if (!drained(uplink)) return state.empty() ? "-" : state;
  return state.empty() ? "drained" : state + ", drained";
}

// States whose reason says something the operator must read; "up" and "unconfigured" need no excuse.
bool reason_worth_showing(const std::string& state) {
  return state == "probing" || state == "degraded" || state == "down";
}

std::string padded(const std::string& text, size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

// Each probed family of an uplink: its label ("wan1", or "wan1 ipv6") and its health object. A family that
// follows the other's verdict has nothing of its own to show.
std::vector<std::pair<std::string, const Json*>> probed_families(const Json& uplinks) {
  std::vector<std::pair<std::string, const Json*>> families;
  for (const auto& uplink : uplinks) {
    families.emplace_back(field(uplink, "name"), &object_at(uplink, "health"));
    const Json& health6 = object_at(object_at(uplink, "ipv6"), "health");
    if (!health6.empty() && !health6.contains("follows") && field(health6, "state") != "unconfigured")
      families.emplace_back(field(uplink, "name") + " ipv6", &health6);
  }
  return families;
}

// Below the table: why an uplink is not healthy, why its probes fail to be sent, and every probe target's
// figures.
std::string health_details(const Json& uplinks) {
  const auto families = probed_families(uplinks);
  size_t name_width = 0, target_width = 0;
  for (const auto& [label, health] : families) {
    name_width = std::max(name_width, label.size());
    for (const auto& target : array_at(*health, "targets"))
      target_width = std::max(target_width, field(target, "target").size());
  }
  std::string text;
  for (const auto& [label, health] : families) {
    std::string name = padded(label, name_width);
    std::string state = field(*health, "state");
    if (reason_worth_showing(state) && field(*health, "reason") != "-") {
      text += "  " + name + " " + state;
      if (field(*health, "since") != "-") text += " since " + field(*health, "since");
      text += ": " + field(*health, "reason") + "\n";
    }
    if (field(*health, "last_error") != "-")
      text += "  " + name + " probes: " + field(*health, "last_error") + "\n";
    for (const auto& target : array_at(*health, "targets")) {
      text += "  " + name + " " + padded(field(target, "target"), target_width);
      text += "  rtt " + fixed(number(target, "rtt_ms"), 2, " ms");
      text += "  jitter " + fixed(number(target, "jitter_ms"), 2, " ms");
      text += "  loss " + fixed(number(target, "loss_percent"), 1, "%");
      if (auto samples = number(target, "samples"))
        text += " (" + fixed(samples, 0, *samples == 1 ? " probe)" : " probes)");
      text += "\n";
    }
  }
  return text;
}

}  // namespace

// Each uplink's IPv6 side, once it has an address or a delegated prefix: the table's columns are its IPv4
// side.
std::string ipv6_lines(const Json& uplinks) {
  std::string text;
  for (const auto& uplink : uplinks) {
    if (!uplink.contains("ipv6") || !uplink["ipv6"].is_object()) continue;
    const Json& side = uplink["ipv6"];
    // Likely why it has no address: say so even then.
    if (side.contains("router_advertisements"))
      text += "ipv6 " + field(uplink, "name") + ": router advertisements " +
              field(side, "router_advertisements") + "\n";
    if (field(side, "address") == "-" && array_at(side, "delegated").empty()) continue;
    std::string prefixes;
    for (const auto& prefix : array_at(side, "prefixes"))
      prefixes += (prefixes.empty() ? "" : " ") + as_text(prefix);
    text += "ipv6 " + field(uplink, "name") + ": " + field(side, "state") + ", " + field(side, "address");
    if (field(side, "gateway") != "-")
      text += " via " + field(side, "gateway") + " (" + field(side, "gateway_source") + ")";
    std::string delegated;
    for (const auto& prefix : array_at(side, "delegated"))
      delegated += (delegated.empty() ? "" : " ") + as_text(prefix);
    text += ", prefixes " + prefixes + (delegated.empty() ? "" : ", delegated " + delegated) + ": " +
            field(side, "why");
    const Json& health = object_at(side, "health");
    if (health.contains("follows"))
      text +=
          "; health " + field(health, "state") + " (as " + field(health, "follows") + ", no ipv6 targets)";
    else if (health.contains("state"))
      text += "; health " + field(health, "state");
    text += "\n";
  }
  return text;
}

namespace {

// uplinkd's MPTCP endpoints, once it keeps some or is asked to: who manages them, the limits, then one line
// per uplink family with an endpoint (or whose endpoint the kernel refused).
std::string mptcp_lines(const Json& status) {
  const Json& mptcp = object_at(status, "mptcp");
  std::string lines;
  auto endpoint_line = [&](const std::string& label, const Json& side) {
    const Json& endpoint = object_at(side, "mptcp_endpoint");
    if (!endpoint.empty()) {
      const auto backup = endpoint.find("backup");
      lines += "mptcp " + label + ": endpoint " + field(endpoint, "id") + " " + field(endpoint, "address") +
               (backup != endpoint.end() && backup->is_boolean() && backup->get<bool>() ? " backup" : "") +
               "\n";
    }
    if (field(side, "mptcp_refused") != "-")
      lines += "mptcp " + label + ": refused by the kernel: " + field(side, "mptcp_refused") + "\n";
  };
  for (const auto& uplink : array_at(status, "uplinks")) {
    endpoint_line(field(uplink, "name"), uplink);
    endpoint_line(field(uplink, "name") + " ipv6", object_at(uplink, "ipv6"));
  }
  const bool configured = mptcp.contains("configured") && mptcp["configured"] == true;
  if (!configured && lines.empty()) return "";
  std::string head = "mptcp: ";
  if (mptcp.contains("foreign_manager"))
    head += "left alone: " + field(mptcp, "foreign_manager");
  else if (mptcp.contains("unavailable"))
    head += "unavailable: " + field(mptcp, "unavailable");
  else
    head += std::string(configured ? "endpoints kept by uplinkd" : "uplinkd's endpoints being removed");
  const Json& limits = object_at(mptcp, "limits");
  if (!limits.empty())
    head += ", limits subflows " + field(limits, "subflows") + " add_addr_accepted " +
            field(limits, "add_addr_accepted");
  return head + "\n" + lines;
}

}  // namespace

std::string render_status_table(const Json& status) {
  const Json& uplinks = array_at(status, "uplinks");
  // A daemon from before health checking sends neither field; its table stays as it was.
  bool with_health = std::any_of(uplinks.begin(), uplinks.end(), [](const Json& uplink) {
    return uplink.contains("health") || uplink.contains("drained");
  });
  std::vector<std::vector<std::string>> rows = {
      {"UPLINK", "INTERFACE", "STATE", "ADDRESS", "GATEWAY", "WEIGHT", "TIER", "TABLE", "WHY"}};
  if (with_health) rows.front().insert(rows.front().end() - 1, "HEALTH");
  for (const auto& uplink : uplinks) {
    std::string gateway = field(uplink, "gateway");
    if (gateway != "-") gateway += " (" + field(uplink, "gateway_source") + ")";
    std::string table = field(uplink, "table");
    if (field(uplink, "table_name") != "-") table += " " + field(uplink, "table_name");
    rows.push_back({field(uplink, "name"), field(uplink, "interface"), field(uplink, "state"),
                    field(uplink, "address"), gateway, field(uplink, "weight"), field(uplink, "tier"), table,
                    field(uplink, "why")});
    if (with_health) rows.back().insert(rows.back().end() - 1, health_cell(uplink));
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());

  std::string text = "mode " + field(status, "mode") + ", balancing over " + field(status, "active") +
                     " of " + std::to_string(rows.size() - 1) + " uplinks\n";
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += i + 1 < row.size() ? padded(row[i], widths[i] + 2) : row[i];
    text += line + "\n";
  }
  text += ipv6_lines(uplinks);
  text += mptcp_lines(status);
  text += health_details(uplinks);
  for (const auto& sysctl : array_at(status, "sysctls"))
    text += "sysctl: " + field(sysctl, "key") + " = " + field(sysctl, "value") + "\n";
  // Another program undoing uplinkd's objects, or leaving its own in uplinkd's tables (design-choices.md).
  for (const auto& entry : array_at(status, "contested")) {
    text += "contested: " + field(entry, "object") + " (" + field(entry, "by") + "), repaired " +
            field(entry, "repairs") + (field(entry, "repairs") == "1" ? " time" : " times");
    if (auto ago = number(entry, "last_repair_s_ago")) text += ", last " + fixed(ago, 1, " s ago");
    text += "\n";
  }
  for (const auto& foreign : array_at(status, "foreign"))
    text += "foreign: " + as_text(foreign) + " (another program's, left alone)\n";
  for (const auto& note : array_at(status, "notes")) text += "note: " + as_text(note) + "\n";
  for (const auto& error : array_at(status, "errors")) text += "error: " + as_text(error) + "\n";
  return text;
}

}  // namespace uplinkd
