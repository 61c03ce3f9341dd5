// SPDX-License-Identifier: GPL-2.0-or-later
// The applier's nftables and sysctl path on the fake kernel: what is compared, what one converge changes and
// in which order, what a table change keeps (the sticky sources), and how a removal behind uplinkd's back is
// repaired.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apply/applier.hpp"
#include "apply/sysctl_diff.hpp"
#include "fakes/fake_kernel.hpp"
#include "fakes/world.hpp"

namespace uplinkd {
namespace {

using testing::bring_up;
using testing::config_with;
using testing::FakeKernel;
using testing::uplink;

enum class What { sysctl, nftables, routing };

What what(const Change& change) {
  if (std::holds_alternative<Sysctl>(change.object)) return What::sysctl;
  if (std::holds_alternative<NftPatch>(change.object)) return What::nftables;
  return What::routing;
}

// The kinds of a converge's changes in order, consecutive ones merged: {sysctl, nftables, routing}.
std::vector<What> order(const std::vector<Change>& changes) {
  std::vector<What> kinds;
  for (const auto& change : changes)
    if (kinds.empty() || kinds.back() != what(change)) kinds.push_back(what(change));
  return kinds;
}

const NftPatch& patch_of(const std::vector<Change>& changes) {
  for (const auto& change : changes)
    if (const auto* patch = std::get_if<NftPatch>(&change.object)) return *patch;
  throw std::runtime_error("no nftables change");
}

// Chains in the kernel are found by name, and each has its own hook priority, so their order in the table
// means nothing (the applier re-creates a changed chain alone, at the end).
nft::Table sorted(nft::Table table) {
  std::sort(table.chains.begin(), table.chains.end(),
            [](const nft::Chain& a, const nft::Chain& b) { return a.name < b.name; });
  return table;
}

std::vector<std::string> names(const std::vector<nft::Chain>& chains) {
  std::vector<std::string> result;
  for (const auto& chain : chains) result.push_back(chain.name);
  return result;
}

class HostDiffTest : public ::testing::Test {
 protected:
  Config config = [] {
    auto config = config_with({uplink("wan1", 200, 1), uplink("wan2", 201, 1)});
    for (auto& uplink : config.uplinks) uplink.masquerade = true;
    config.mode = Mode::connection;
    config.sticky_timeout_s = 600;
    config.multipath_hash_policy = 1;
    return config;
  }();
  State state{config};
  FakeKernel kernel;
  Applier applier{kernel};

  void SetUp() override {
    bring_up(state, "wan1", 1);
    bring_up(state, "wan2", 2);
  }
  ApplyOutcome apply() { return applier.apply(make_plan(config, state)); }
};

TEST_F(HostDiffTest, StartSetsSysctlsThenMasqueradeThenRouting) {
  auto outcome = apply();
  ASSERT_TRUE(outcome.converged());
  EXPECT_EQ(order(outcome.changes), (std::vector{What::sysctl, What::nftables, What::routing}));
  EXPECT_TRUE(patch_of(outcome.changes).whole_table);
  EXPECT_EQ(kernel.sysctls["net.ipv4.fib_multipath_hash_policy"], "1\n");
  ASSERT_TRUE(kernel.nftables);
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, AnUnchangedPlanChangesNothingThoughTheKernelListsRulesInItsOwnWords) {
  apply();
  auto outcome = apply();
  EXPECT_TRUE(outcome.changes.empty());
  auto differences = applier.host_differences(make_plan(config, state));
  ASSERT_TRUE(differences);
  EXPECT_TRUE(differences->empty());
}

TEST_F(HostDiffTest, AWeightChangeRewritesOneChainAfterRoutingAndKeepsTheStickySources) {
  apply();
  kernel.sticky_elements = {"10.0.0.1 : 0x750000c8", "10.0.0.2 : 0x750000c9"};
  config.uplinks[1].weight = 3;
  auto outcome = apply();
  ASSERT_TRUE(outcome.converged());
  EXPECT_EQ(order(outcome.changes), (std::vector{What::routing, What::nftables}));
  const auto& patch = patch_of(outcome.changes);
  EXPECT_FALSE(patch.whole_table);
  EXPECT_TRUE(patch.maps.empty());
  EXPECT_EQ(names(patch.chains), std::vector<std::string>{"balance"});
  // Refilled in place: a re-created base chain leaves an instant in which a packet meets no rule.
  EXPECT_EQ(patch.flushed_chains, std::vector<std::string>{"balance"});
  EXPECT_TRUE(patch.deleted_chains.empty());
  EXPECT_EQ(kernel.sticky_elements.size(), 2u);
  EXPECT_EQ(sorted(*kernel.nftables),
            sorted(make_plan(config, state).nftables));  // no rule twice, none missing
}

TEST_F(HostDiffTest, AFailoverChangesRoutingBeforeThePinMap) {
  apply();
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  auto outcome = apply();
  ASSERT_TRUE(outcome.converged());
  EXPECT_EQ(order(outcome.changes), (std::vector{What::routing, What::nftables}));
  EXPECT_FALSE(patch_of(outcome.changes).before_routing);
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, ANewMasqueradeGoesBeforeRouting) {
  apply();
  config.uplinks[1].masquerade = false;
  apply();
  config.uplinks[1].masquerade = true;
  auto outcome = apply();
  EXPECT_EQ(order(outcome.changes).front(), What::nftables);
  EXPECT_TRUE(patch_of(outcome.changes).before_routing);
}

TEST_F(HostDiffTest, AChangedStickyTimeoutReplacesTheWholeTable) {
  apply();
  kernel.sticky_elements = {"10.0.0.1 : 0x750000c8"};
  config.sticky_timeout_s = 60;
  auto outcome = apply();
  EXPECT_TRUE(patch_of(outcome.changes).whole_table);
  EXPECT_TRUE(kernel.sticky_elements.empty());  // a map cannot be redefined in place: its elements go
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, AFlushedTableIsRestoredWhole) {
  apply();
  kernel.nftables.reset();  // `nft flush ruleset`
  auto differences = applier.host_differences(make_plan(config, state));
  ASSERT_TRUE(differences);
  ASSERT_EQ(differences->size(), 1u);
  auto outcome = apply();
  EXPECT_EQ(outcome.changes.size(), 1u);
  EXPECT_TRUE(patch_of(outcome.changes).before_routing);
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, AnEditedChainIsRewrittenAloneAndAForeignChainIsDeleted) {
  apply();
  const std::string edited = kernel.nftables->chains[0].name;
  kernel.nftables->chains[0].rules.push_back("counter");
  kernel.nftables->chains.push_back(nft::Chain{"intruder", std::nullopt, {"accept"}});
  auto outcome = apply();
  ASSERT_TRUE(outcome.converged());
  const auto& patch = patch_of(outcome.changes);
  EXPECT_EQ(names(patch.chains), std::vector<std::string>{edited});
  EXPECT_EQ(patch.flushed_chains, std::vector<std::string>{edited});
  EXPECT_EQ(patch.deleted_chains, std::vector<std::string>{"intruder"});
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, AFailoverRefillsThePinChainInPlace) {
  apply();
  state.on_link(netlink::Link{12, "wan2", true, false}, false);
  const auto outcome = apply();
  const auto& patch = patch_of(outcome.changes);
  EXPECT_THAT(patch.flushed_chains, ::testing::Contains("pin"));
  EXPECT_TRUE(patch.deleted_chains.empty());
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, AChainWhoseHookChangedIsCreatedAgain) {
  apply();
  auto& chain = kernel.nftables->chains[0];
  const std::string name = chain.name;
  ASSERT_TRUE(chain.hook);
  chain.hook->priority = "raw";  // the kernel cannot change a base chain's priority in place
  const auto outcome = apply();
  const auto& patch = patch_of(outcome.changes);
  EXPECT_EQ(patch.deleted_chains, std::vector<std::string>{name});
  EXPECT_TRUE(patch.flushed_chains.empty());
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, AfterARestartAChangedChainIsCreatedAgainOnce) {
  apply();
  Applier restarted{kernel};  // knows nothing of what the kernel's chains came from
  config.uplinks[1].weight = 3;
  const auto first = restarted.apply(make_plan(config, state));
  EXPECT_FALSE(patch_of(first.changes).deleted_chains.empty());
  config.uplinks[1].weight = 2;
  const auto second = restarted.apply(make_plan(config, state));
  EXPECT_EQ(patch_of(second.changes).flushed_chains, std::vector<std::string>{"balance"});
  EXPECT_TRUE(patch_of(second.changes).deleted_chains.empty());
}

TEST_F(HostDiffTest, ASysctlChangedBehindItsBackIsOneDifferenceAndIsRestored) {
  apply();
  kernel.sysctls["net.ipv4.fib_multipath_hash_policy"] = "0\n";
  auto differences = applier.host_differences(make_plan(config, state));
  ASSERT_TRUE(differences);
  ASSERT_EQ(differences->size(), 1u);
  EXPECT_EQ(describe(differences->front()), "replace sysctl net.ipv4.fib_multipath_hash_policy = 1");
  apply();
  EXPECT_EQ(kernel.sysctls["net.ipv4.fib_multipath_hash_policy"], "1\n");
}

TEST_F(HostDiffTest, AFailedTransactionIsRetriedWhole) {
  kernel.fail_with = [](const Change& change) -> std::optional<int> {
    if (std::holds_alternative<NftPatch>(change.object)) return EINVAL;
    return std::nullopt;
  };
  EXPECT_FALSE(apply().converged());
  EXPECT_FALSE(kernel.nftables);
  kernel.fail_with = nullptr;
  EXPECT_TRUE(apply().converged());
  EXPECT_EQ(sorted(*kernel.nftables), sorted(make_plan(config, state).nftables));
}

TEST_F(HostDiffTest, FlushRemovesTheTableAfterTheRoutesAndLeavesSysctls) {
  apply();
  auto outcome = applier.flush();
  ASSERT_TRUE(outcome.converged());
  EXPECT_EQ(order(outcome.changes), (std::vector{What::routing, What::nftables}));
  EXPECT_TRUE(patch_of(outcome.changes).remove_table);
  EXPECT_FALSE(kernel.nftables);
  EXPECT_EQ(kernel.sysctls["net.ipv4.fib_multipath_hash_policy"], "1\n");
  EXPECT_TRUE(applier.flush().changes.empty());
}

// net.mptcp.pm_type before 5.19, net.mptcp.* on a kernel without MPTCP: nothing to set, and no error.
TEST(SysctlDiff, AnIfPresentSysctlTheKernelLacksIsLeftOut) {
  const std::vector<Sysctl> wanted = {{"net.mptcp.enabled", "1", true}, {"net.mptcp.pm_type", "0", true}};
  EXPECT_TRUE(diff_sysctls(wanted, {}).empty());
  auto changes = diff_sysctls(wanted, {{"net.mptcp.enabled", "0\n"}, {"net.mptcp.pm_type", "0\n"}});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(describe(changes[0]), "replace sysctl net.mptcp.enabled = 1");
  EXPECT_EQ(diff_sysctls({{"net.ipv4.tcp_max_reordering", "3"}}, {}).size(), 1u);  // one that must be there
}

}  // namespace
}  // namespace uplinkd
