#include "apply/host_settings.hpp"

#include <spdlog/spdlog.h>

#include "config/rt_tables.hpp"
#include "netlink/sysctl.hpp"
#include "nft/nft_table.hpp"
#include "plan/uplinkd_table.hpp"

namespace uplinkd {

HostSettings::HostSettings(std::string rt_tables_path) : rt_tables_path_(std::move(rt_tables_path)) {}

HostSettings::~HostSettings() = default;

std::vector<KernelError> HostSettings::apply(const Plan& plan) {
  std::vector<KernelError> errors;
  if (plan.sysctls != applied_sysctls_) {
    bool all_written = true;
    for (const auto& sysctl : plan.sysctls) {
      if (auto error = netlink::write_sysctl(sysctl.key, sysctl.value)) {
        errors.push_back(*error);
        all_written = false;
      }
    }
    if (all_written) applied_sysctls_ = plan.sysctls;
  }

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

  if (auto table = nft::uplinkd_table(plan.nat, plan.marks); applied_table_ != table) {
    if (!nft_) nft_ = std::make_unique<NftTable>();
    auto written = table;
    if (!written.maps.empty()) {
      if (auto sources = nft_->sticky_sources())
        nft::keep_sticky_sources(written, *sources, plan.marks.shares);
      else  // not worth failing the change for: the sources pick again, as after a restart
        spdlog::warn("sticky sources are forgotten: {}", sources.error().message());
    }
    auto error = nft_->replace(written);
    if (error)
      errors.push_back(*error);
    else
      applied_table_ = std::move(table);
  }
  return errors;
}

std::vector<KernelError> HostSettings::remove() {
  std::vector<KernelError> errors;
  if (!nft_) nft_ = std::make_unique<NftTable>();
  if (auto error = nft_->remove()) errors.push_back(*error);
  applied_table_.reset();
  return errors;
}

}  // namespace uplinkd
