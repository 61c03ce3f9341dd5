// SPDX-License-Identifier: GPL-2.0-or-later
// The config as a whole: default tables that clash with nothing, and no two uplinks sharing what must be
// theirs alone.
#include "config/validate.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "config/limits.hpp"

namespace uplinkd::detail {
namespace {

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

bool is_reserved(uint32_t table) {
  const auto& reserved = config_limits::kReservedTables;
  return std::find(std::begin(reserved), std::end(reserved), table) != std::end(reserved);
}

// Uplinks without a table get the lowest free id from 200 up, in file order, so adding a table to one uplink
// never moves another's that was written out.
void assign_default_tables(const RawConfig& raw, std::vector<CheckedUplink>& uplinks,
                           uint32_t balance_table) {
  std::set<int64_t> taken{balance_table};
  for (const auto& uplink : raw.uplinks)
    if (uplink.table.given()) taken.insert(*uplink.table.value);
  uint32_t next = config_limits::kFirstDefaultTable;
  for (size_t i = 0; i < uplinks.size(); ++i) {
    if (raw.uplinks[i].table.given()) continue;
    while (taken.count(next) || is_reserved(next)) ++next;
    uplinks[i].uplink.table = next;
    taken.insert(next);
  }
}

// Reports each value that something earlier already has, pointing at the later one and naming the first.
template <class Key>
class Unique {
 public:
  Unique(std::string what, std::string fix) : what_(std::move(what)), fix_(std::move(fix)) {}

  // `origin` describes this claim to a later one that clashes with it; by default, where it is written.
  void claim(const Key& key, const std::string& shown, const SourceLocation& where, Problems& problems,
             std::string origin = {}) {
    if (origin.empty()) origin = where.to_string();
    auto [first, inserted] = seen_.emplace(key, origin);
    if (!inserted)
      problems.add(where, what_ + " " + shown + " is used twice", "also " + first->second + "; " + fix_);
  }

 private:
  std::string what_;
  std::string fix_;
  std::map<Key, std::string> seen_;
};

std::string origin_of(std::string_view key, const SourceLocation& where, bool given) {
  return std::string(key) + (given ? " at " + where.to_string() : " by default");
}

void check_unique(const RawConfig& raw, const Config& config, const std::vector<CheckedUplink>& uplinks,
                  Problems& problems) {
  Unique<std::string> interfaces("interface", "each interface can be one uplink only");
  Unique<std::string> names("uplink name", "give each uplink its own name");
  Unique<uint32_t> tables("table", "each uplink needs a table of its own, apart from balance_table");
  Unique<std::string> table_names("table name", "each table needs a name of its own, or none (\"\")");

  // The balance table claims first: an uplink that clashes with it is the one to change.
  const auto& balance = raw.balance_table;
  tables.claim(config.balance_table, std::to_string(config.balance_table), balance.where, problems,
               origin_of("balance_table", balance.where, balance.given()));
  if (!config.balance_table_name.empty()) {
    const auto& name = raw.balance_table_name;
    table_names.claim(config.balance_table_name, quoted(config.balance_table_name), name.where, problems,
                      origin_of("balance_table_name", name.where, name.given()));
  }
  // Interfaces before names: when two names are both their interface, the interface is the mistake.
  for (const auto& checked : uplinks) {
    const auto& uplink = checked.uplink;
    if (checked.interface_ok)
      interfaces.claim(uplink.interface, quoted(uplink.interface), checked.interface_at, problems);
    if (checked.name_ok) names.claim(uplink.name, quoted(uplink.name), checked.name_at, problems);
    if (checked.table_ok)
      tables.claim(uplink.table, std::to_string(uplink.table), checked.table_at, problems);
    if (checked.table_name_ok && !uplink.table_name.empty())
      table_names.claim(uplink.table_name, quoted(uplink.table_name), checked.table_name_at, problems);
  }
}

}  // namespace

Config validate(const RawConfig& raw) {
  Problems problems;
  Config config;
  check_settings(raw, config, problems);
  if (raw.uplinks.empty())
    problems.add({raw.path}, "no uplinks are configured",
                 "add an [[uplink]] table with at least interface = \"...\" for each uplink");
  std::vector<CheckedUplink> uplinks;
  for (const auto& uplink : raw.uplinks) {
    uplinks.push_back(check_uplink(uplink, problems));
    if (!uplink.family.given()) uplinks.back().uplink.families = config.families;
    if (!uplink.mptcp.given()) uplinks.back().uplink.mptcp = config.mptcp;
    check_health_families(uplink.health.targets, uplinks.back().uplink.families, problems);
  }
  assign_default_tables(raw, uplinks, config.balance_table);
  check_unique(raw, config, uplinks, problems);
  for (const auto& checked : uplinks) config.uplinks.push_back(checked.uplink);
  check_rules(raw, config, problems);
  check_nptv6(raw.nptv6, config, problems);
  check_web(raw, config, problems);
  problems.throw_first();
  return config;
}

}  // namespace uplinkd::detail
