// SPDX-License-Identifier: GPL-2.0-or-later
// The applier's whole view of the kernel: the objects uplinkd owns, and a way to change them in one batch.
// Two implementations: NetlinkKernel (src/apply/netlink_kernel.*) and the in-memory FakeKernel that unit
// tests use (tests/fakes/fake_kernel.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "apply/host_objects.hpp"
#include "common/error.hpp"
#include "netlink/mptcp_objects.hpp"
#include "netlink/objects.hpp"
#include "plan/mptcp_endpoints.hpp"

namespace uplinkd {

struct KernelObjects {
  std::vector<netlink::Nexthop> nexthops;
  std::vector<netlink::Route> routes;
  std::vector<netlink::Rule> rules;
  // Others' objects where uplinkd owns the place (apply/foreign.hpp): routes of another protocol in the
  // tables uplinkd claims, rules of another protocol in its priority range or leading to a claimed table.
  std::vector<netlink::Route> foreign_routes;
  std::vector<netlink::Rule> foreign_rules;
};

// The kernel's MPTCP endpoints and limits (one set per network namespace). All of them: an endpoint records
// no owner, so which are uplinkd's is told by their ids alone (plan/mptcp_endpoints.hpp), and the others
// count toward the kernel's cap and show whether another program manages MPTCP.
struct MptcpObjects {
  std::vector<netlink::MptcpEndpoint> endpoints;
  netlink::MptcpLimits limits;
};

enum class ChangeKind { add, replace, remove };
using KernelObject = std::variant<netlink::Nexthop, netlink::Route, netlink::Rule, NftPatch, Sysctl>;

struct Change {
  ChangeKind kind;
  KernelObject object;
};

// "add route 10.0.0.0/8 table 200", "replace nexthop 1962934472", "remove rule 20100 from 100.64.1.10 table
// 200": the words every message about a change uses.
std::string describe(const Change& change);

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Only what uplinkd owns (ownership.hpp): routes of its protocol, rules in its priority range with its
  // protocol, nexthops in its id range.
  virtual Expected<KernelObjects> dump_owned() = 0;

  // The routing tables uplinkd owns by config (its uplinks' tables and the balance table): dump_owned then
  // reports the foreign routes in them and the foreign rules that lead to them.
  virtual void claim_tables(std::vector<uint32_t> tables) { claimed_tables_ = std::move(tables); }

 protected:
  std::vector<uint32_t> claimed_tables_;

 public:
  // Applies the changes in the given order, as one batch where the implementation can. Returns one error per
  // change that failed, in the order of the changes, its `object` being describe(change); the others have
  // taken effect.
  virtual std::vector<KernelError> apply(const std::vector<Change>& changes) = 0;

  // uplinkd's nftables table (without its sets' elements) and the sysctls named, as they are now. A sysctl
  // that cannot be read is left out: writing it will say why.
  virtual Expected<HostObjects> dump_host(const std::vector<std::string>& sysctl_keys) = 0;

  // The kernel's MPTCP endpoints and limits. Fails with ENOENT on a kernel without MPTCP.
  virtual Expected<MptcpObjects> dump_mptcp() = 0;
  // The endpoint changes one by one, in the given order (the kernel takes one per request): one answer per
  // change, nullopt where it took effect; a refused change does not stop the ones after it.
  virtual std::vector<std::optional<KernelError>> apply_mptcp(
      const std::vector<MptcpEndpointChange>& changes) = 0;
  virtual std::optional<KernelError> set_mptcp_limits(const netlink::MptcpLimits& limits) = 0;
};

}  // namespace uplinkd
