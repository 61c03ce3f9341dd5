// The parts of a plan that are not routing objects: sysctls, table names in the rt_tables file, and
// uplinkd's nftables table. Each is written only when it differs from what was last written, so a converge
// with nothing new touches nothing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "nft/nft_script.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

class NftTable;

class HostSettings {
 public:
  explicit HostSettings(std::string rt_tables_path);
  ~HostSettings();

  std::vector<KernelError> apply(const Plan& plan);
  // A clean shutdown with on_exit = "flush": uplinkd's nftables table goes. Sysctls stay as configured, and
  // table names stay so that `ip route show table NAME` still reads after a restart.
  std::vector<KernelError> remove();

  void set_rt_tables_path(std::string path) { rt_tables_path_ = std::move(path); }

 private:
  std::string rt_tables_path_;
  std::vector<Sysctl> applied_sysctls_;
  std::optional<std::vector<TableName>> written_names_;
  std::optional<nft::Table> applied_table_;
  std::unique_ptr<NftTable> nft_;
};

}  // namespace uplinkd
