// SPDX-License-Identifier: GPL-2.0-or-later
#include "config/names.hpp"

#include <algorithm>

#include "config/limits.hpp"

namespace uplinkd {

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
static bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::optional<Complaint> check_table_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  std::string quoted = "\"" + std::string(name) + "\"";
  // iproute2 tries a table argument as a number when it is not a known name (strtoul, base 0), so a name
  // that reads as a number would silently mean another table.
  bool decimal = std::all_of(name.begin(), name.end(), is_digit);
  bool hex = name.size() > 2 && name[0] == '0' && (name[1] == 'x' || name[1] == 'X') &&
             std::all_of(name.begin() + 2, name.end(), is_hex_digit);
  if (decimal || hex)
    return Complaint{"table name " + quoted + " is a number",
                     "iproute2 would read it as a table id; use a name with a letter in it, e.g. \"isp1\""};
  // rt_tables files are split on whitespace and cut at '#'.
  if (name.find_first_of(" \t\r\n\v\f#") != std::string_view::npos)
    return Complaint{"table name " + quoted + " contains whitespace or '#'",
                     "rt_tables files split lines on whitespace and start comments with '#'"};
  if (name == "local" || name == "main" || name == "default" || name == "unspec")
    return Complaint{"table name " + quoted + " is reserved by iproute2",
                     "local, main, default and unspec name the kernel's own tables; choose another name"};
  return std::nullopt;
}

std::optional<Complaint> check_table_id(std::string_view key, int64_t id, uint32_t max) {
  std::string text = std::string(key) + " " + std::to_string(id);
  for (auto reserved : config_limits::kReservedTables)
    if (id == reserved)
      return Complaint{
          text + " is reserved",
          "0 (unspec), 253 (default), 254 (main) and 255 (local) are the kernel's; use another id, "
          "e.g. 200"};
  if (id < 1 || id > max) {
    std::string hint = std::string(key) + " must be 1–" + std::to_string(max);
    if (max == config_limits::kMaxUplinkTable) hint += " (0x00efffff): uplinkd derives nexthop ids from it";
    return Complaint{text + " is out of range", hint};
  }
  return std::nullopt;
}

bool is_valid_interface_name(std::string_view name) {
  // The kernel's dev_valid_name(): 1–15 bytes, not "." or "..", no '/', ':' or whitespace.
  if (name.empty() || name.size() > config_limits::kMaxInterfaceName || name == "." || name == "..")
    return false;
  return name.find_first_of("/: \t\r\n\v\f") == std::string_view::npos;
}

bool is_valid_uplink_name(std::string_view name) {
  if (name.empty() || name.size() > config_limits::kMaxUplinkName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
           c == '-';
  });
}

}  // namespace uplinkd
