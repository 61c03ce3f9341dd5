#include "cli/status_table.hpp"

#include <algorithm>
#include <vector>

namespace uplinkd {
namespace {

std::string field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string render_status_table(const nlohmann::json& status) {
  std::vector<std::vector<std::string>> rows = {
      {"UPLINK", "INTERFACE", "STATE", "ADDRESS", "GATEWAY", "WEIGHT", "TIER", "TABLE", "WHY"}};
  for (const auto& uplink : status.value("uplinks", nlohmann::json::array())) {
    std::string gateway = field(uplink, "gateway");
    if (gateway != "-") gateway += " (" + field(uplink, "gateway_source") + ")";
    std::string table = field(uplink, "table");
    if (field(uplink, "table_name") != "-") table += " " + field(uplink, "table_name");
    rows.push_back({field(uplink, "name"), field(uplink, "interface"), field(uplink, "state"),
                    field(uplink, "address"), gateway, field(uplink, "weight"), field(uplink, "tier"), table,
                    field(uplink, "why")});
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());

  std::string text = "mode " + field(status, "mode") + ", balancing over " + field(status, "active") +
                     " of " + std::to_string(rows.size() - 1) + " uplinks\n";
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    text += line + "\n";
  }
  for (const auto& note : status.value("notes", nlohmann::json::array()))
    text += "note: " + note.get<std::string>() + "\n";
  for (const auto& error : status.value("errors", nlohmann::json::array()))
    text += "error: " + error.get<std::string>() + "\n";
  return text;
}

}  // namespace uplinkd
