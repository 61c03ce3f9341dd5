// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/host_settings.hpp"

#include <spdlog/spdlog.h>

#include "config/rt_tables.hpp"

namespace uplinkd {

HostSettings::HostSettings(std::string rt_tables_path) : rt_tables_path_(std::move(rt_tables_path)) {}

std::vector<KernelError> HostSettings::apply(const Plan& plan) {
  std::vector<KernelError> errors;
  if (written_names_ != plan.table_names) {
    TableNames names;
    for (const auto& name : plan.table_names) names.emplace_back(name.id, name.name);
    try {
      auto result = write_table_names(rt_tables_path_, names);
      for (const auto& conflict : result.conflicts) spdlog::warn("table names: {}", conflict);
      written_names_ = plan.table_names;
    } catch (const std::exception& error) {
      errors.push_back(KernelError{"write table names to " + rt_tables_path_, 0, error.what()});
    }
  }
  return errors;
}

}  // namespace uplinkd
