// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/conflicting_hooks.hpp"

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "common/regular_file.hpp"

namespace uplinkd {
namespace {

constexpr size_t kMaxHookBytes = 1 << 20;  // a hook is a script; anything larger is not one of these

bool names_table(const std::string& line, const Config& config) {
  std::vector<std::string> names{std::to_string(config.balance_table)};
  if (!config.balance_table_name.empty()) names.push_back(config.balance_table_name);
  for (const auto& uplink : config.uplinks) {
    names.push_back(std::to_string(uplink.table));
    if (!uplink.table_name.empty()) names.push_back(uplink.table_name);
  }
  for (const auto& name : names) {
    const std::regex word("(table|lookup)[\"', ]+" +
                          std::regex_replace(name, std::regex(R"([.^$|()\[\]{}*+?\\-])"), R"(\$&)") +
                          R"(([^A-Za-z0-9_.-]|$))");
    if (std::regex_search(line, word)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> hook_conflict(const std::string& text, const Config& config) {
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  std::optional<std::string> recipe;
  while (std::getline(lines, line)) {
    ++number;
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const std::string at = "line " + std::to_string(number) + ": " + line.substr(start, 100);
    const bool routing =
        line.find("ip rule") != std::string::npos || line.find("ip route") != std::string::npos ||
        line.find("\"rule\"") != std::string::npos || line.find("\"route\"") != std::string::npos;
    if (routing && names_table(line, config)) return "edits uplinkd's routing tables (" + at + ")";
    if (line.find("ip rule del") != std::string::npos ||
        line.find("ip route flush table") != std::string::npos)
      recipe =
          recipe.value_or("edits per-uplink routing tables and rules, as the LARTC recipe does (" + at + ")");
    if (line.find("dhcp-lb") != std::string::npos) recipe = recipe.value_or("is dhcp-lb's hook (" + at + ")");
  }
  return recipe;
}

std::vector<std::string> conflicting_hook_warnings(const Config& config) {
  const char* configured = std::getenv("UPLINKD_DHCLIENT_DIR");
  const std::filesystem::path dir = configured && *configured ? configured : "/etc/dhcp";
  std::vector<std::filesystem::path> hooks{dir / "dhclient-exit-hooks"};
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "dhclient-exit-hooks.d", error))
    hooks.push_back(entry.path());
  std::vector<std::string> warnings;
  for (const auto& path : hooks) {
    std::optional<std::string> text;
    try {
      text = read_regular_file(path, kMaxHookBytes);
    } catch (const FileReadError&) {
      continue;  // not a script dhclient would run as a hook, or unreadable: nothing to warn about
    }
    if (!text) continue;
    if (auto why = hook_conflict(*text, config))
      warnings.push_back(
          "dhclient exit hook " + path.string() + " " + *why +
          ": it and uplinkd would fight over the same tables at every DHCP event; remove it (" +
          path.string() +
          "); uplinkd's own dhclient hook, which only calls `uplinkctl hook`, "
          "replaces it");
  }
  return warnings;
}

}  // namespace uplinkd
