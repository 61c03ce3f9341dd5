// SPDX-License-Identifier: GPL-2.0-or-later
// Checks of single names and ids that more than one setting needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uplinkd {

// What is wrong with a value, and what to do about it.
struct Complaint {
  std::string what;
  std::string hint;
};

// A name for the rt_tables file. "" is fine: it means "write no name".
std::optional<Complaint> check_table_name(std::string_view name);
// `key` names the setting in the message ("table", "balance_table"); `max` is its upper bound.
std::optional<Complaint> check_table_id(std::string_view key, int64_t id, uint32_t max);
bool is_valid_interface_name(std::string_view name);
bool is_valid_uplink_name(std::string_view name);

}  // namespace uplinkd
