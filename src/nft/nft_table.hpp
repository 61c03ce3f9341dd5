// SPDX-License-Identifier: GPL-2.0-or-later
// The only code that talks to nftables: libnftables, on uplinkd's own table and nothing else.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "nft/nft_patch.hpp"
#include "nft/nft_script.hpp"
#include "nft/sticky_sources.hpp"
#include "plan/nft_plan.hpp"

struct nft_ctx;

namespace uplinkd {

class NftTable {
 public:
  NftTable();  // a libnftables context with its output and errors captured, not printed
  ~NftTable();
  NftTable(const NftTable&) = delete;
  NftTable& operator=(const NftTable&) = delete;
  NftTable(NftTable&&) noexcept;
  NftTable& operator=(NftTable&&) noexcept;

  // Makes `inet uplinkd` exactly what the plan says, in one transaction: on failure nothing changed.
  // An empty plan removes the table.
  std::optional<KernelError> replace(const NatPlan& plan);
  std::optional<KernelError> replace(const nft::Table& table);

  // One transaction that changes the table as the applier's diff says; `what` names it in the error.
  std::optional<KernelError> apply(const NftPatch& patch, const std::string& what);

  // Removes uplinkd's table; not an error when it is already gone.
  std::optional<KernelError> remove();

  // The table as `nft list table inet uplinkd` prints it; empty when there is none.
  Expected<std::string> list();

  // The sticky sources in uplinkd's table now, IPv4's then IPv6's; none when it has no sticky map.
  Expected<std::vector<nft::StickySource>> sticky_sources();

 private:
  std::optional<KernelError> run(const std::string& what, const std::string& script);

  struct Free {
    void operator()(nft_ctx* context) const;
  };
  std::unique_ptr<nft_ctx, Free> context_;
};

}  // namespace uplinkd
