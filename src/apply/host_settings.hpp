// SPDX-License-Identifier: GPL-2.0-or-later
// The one part of a plan that is not a kernel object: the table names in the rt_tables file, written only
// when they differ from what was last written, so a converge with nothing new touches nothing. (uplinkd's
// nftables table and its sysctls are kernel objects, reconciled by the Applier like routes.)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "plan/plan.hpp"

namespace uplinkd {

class HostSettings {
 public:
  explicit HostSettings(std::string rt_tables_path);

  std::vector<KernelError> apply(const Plan& plan);

  void set_rt_tables_path(std::string path) { rt_tables_path_ = std::move(path); }

 private:
  std::string rt_tables_path_;
  std::optional<std::vector<TableName>> written_names_;
};

}  // namespace uplinkd
