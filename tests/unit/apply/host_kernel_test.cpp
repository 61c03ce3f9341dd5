// SPDX-License-Identifier: GPL-2.0-or-later
// The applier's nftables and sysctl path against the real kernel, each test in a network namespace of its
// own (fakes/own_namespace.hpp): the dump over NETLINK_NETFILTER, the learnt comparison, the chain-by-chain
// transaction that keeps the sticky map's elements, the repair after a flush, and the nftables monitor.
#include <gtest/gtest.h>
#include <nftables/libnftables.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "apply/applier.hpp"
#include "apply/netlink_kernel.hpp"
#include "fakes/own_namespace.hpp"
#include "netlink/nftables_monitor.hpp"
#include "netlink/sysctl.hpp"
#include "plan/ownership.hpp"
#include "plan/uplinkd_table.hpp"

namespace uplinkd {
namespace {

using testing::in_own_namespace;

constexpr uint32_t kA = 0x750000c9;
constexpr uint32_t kB = 0x750000ca;
constexpr const char* kHashPolicy = "net.ipv4.fib_multipath_hash_policy";

Plan connection_plan(uint32_t weight_b) {
  NatPlan nat{{"wan1", "wan2"}, {{*IpAddress::parse("100.64.1.23"), kA}}};
  MarkPlan marks;
  marks.spread = Spread::connection;
  marks.v4.destinations = {*Prefix::parse("default")};
  marks.v4.shares = {{kA, 1}, {kB, weight_b}};
  marks.v4.live = {kA, kB};
  marks.v4.interface_marks = {{"wan1", kA}, {"wan2", kB}};
  marks.sticky_timeout_s = 600;
  marks.rules = {{TrafficMatch{{}, {}, 17, PortRange{5060, 5060}, ""}, false, Spread::connection, {{kA, 1}}}};
  Plan plan;
  plan.nftables = nft::uplinkd_table(nat, marks);
  plan.sysctls = {{kHashPolicy, "1"}};
  return plan;
}

// Runs nft commands in another process: what another program (`nft`, a firewall manager) would do.
bool run_elsewhere(const std::string& commands) {
  pid_t child = fork();
  if (child == 0) {
    nft_ctx* context = nft_ctx_new(NFT_CTX_DEFAULT);
    nft_ctx_buffer_output(context);
    nft_ctx_buffer_error(context);
    _exit(nft_run_cmd_from_buffer(context, commands.c_str()) == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string sticky_elements(size_t count) {
  std::string text = "add element inet uplinkd sticky { ";
  for (size_t i = 0; i < count; ++i)
    text += (i ? ", 10.9." : "10.9.") + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + " : " +
            std::to_string(kA);
  return text + " }\n";
}

std::string hash_policy() {
  auto value = netlink::read_sysctl(kHashPolicy);
  return value ? *value : "unreadable";
}

size_t sticky_count() {
  NftTable nft;
  auto sources = nft.sticky_sources();
  return sources ? sources->size() : 0;
}

TEST(HostKernel, AppliedTableComparesEqualAndKeepsStickySourcesThroughAWeightChange) {
  in_own_namespace([] {
    std::string problems;
    auto kernel = NetlinkKernel::open();
    if (!kernel) return "open: " + kernel.error().message();
    Applier applier(**kernel);
    auto first = applier.apply(connection_plan(1));
    for (const auto& error : first.errors) problems += "first apply: " + error.message() + "\n";
    auto again = applier.apply(connection_plan(1));
    if (!again.changes.empty()) problems += "an unchanged plan changed " + describe(again.changes[0]) + "\n";
    if (!run_elsewhere(sticky_elements(2000))) problems += "could not add sticky sources\n";
    if (!run_elsewhere("add element inet uplinkd sticky6 { fd00:1::10 : " + std::to_string(kA) +
                       ", fd00:1::11 : " + std::to_string(kA) + " }\n"))
      problems += "could not add IPv6 sticky sources\n";
    if (sticky_count() != 2002) problems += "sticky sources before: " + std::to_string(sticky_count()) + "\n";

    auto weight = applier.apply(connection_plan(3));
    if (weight.changes.size() != 1) {
      problems += "a weight change made " + std::to_string(weight.changes.size()) + " changes\n";
    } else {
      const auto& patch = std::get<NftPatch>(weight.changes[0].object);
      if (patch.whole_table) problems += "a weight change replaced the whole table\n";
      if (patch.chains.size() != 1 || patch.chains[0].name != "balance")
        problems += "a weight change rewrote " + describe(weight.changes[0]) + "\n";
    }
    for (const auto& error : weight.errors) problems += "weight change: " + error.message() + "\n";
    if (sticky_count() != 2002) problems += "sticky sources after: " + std::to_string(sticky_count()) + "\n";
    NftTable nft;
    auto listing = nft.list();
    if (!listing || listing->find("numgen inc mod 4") == std::string::npos)
      problems += "the new weights are not in the chain\n";
    auto differences = applier.host_differences(connection_plan(3));
    if (!differences || !differences->empty()) problems += "differences right after the weight change\n";
    return problems;
  });
}

TEST(HostKernel, AFlushedRulesetIsRestoredAndOtherTablesAreLeftAlone) {
  in_own_namespace([] {
    std::string problems;
    auto kernel = NetlinkKernel::open();
    if (!kernel) return "open: " + kernel.error().message();
    Applier applier(**kernel);
    applier.apply(connection_plan(1));
    if (!run_elsewhere(
            "flush ruleset\nadd table inet filter\nadd chain inet filter input { type filter hook "
            "input priority 0; policy accept; }\nadd rule inet filter input tcp dport 22 accept\n"))
      problems += "could not flush and add the user's table\n";
    auto differences = applier.host_differences(connection_plan(1));
    if (!differences || differences->size() != 1) problems += "the flush is not seen as one difference\n";
    auto repair = applier.apply(connection_plan(1));
    for (const auto& error : repair.errors) problems += "repair: " + error.message() + "\n";
    if (repair.changes.size() != 1 || !std::get<NftPatch>(repair.changes[0].object).before_routing)
      problems += "the repair is not one masquerading-first table\n";
    differences = applier.host_differences(connection_plan(1));
    if (!differences || !differences->empty()) problems += "differences after the repair\n";
    // Someone edits a chain of uplinkd's: only that chain is rewritten.
    if (!run_elsewhere("add rule inet uplinkd postrouting counter\n"))
      problems += "could not edit the chain\n";
    auto edit = applier.apply(connection_plan(1));
    if (edit.changes.size() != 1 ||
        describe(edit.changes[0]) != "replace nftables chains postrouting of inet uplinkd")
      problems += "an edited chain was not rewritten alone\n";
    applier.apply(connection_plan(2));
    applier.flush();
    if (run_elsewhere("list table inet uplinkd\n")) problems += "flush left uplinkd's table\n";
    if (!run_elsewhere("list chain inet filter input\n")) problems += "the user's table was touched\n";
    return problems;
  });
}

TEST(HostKernel, ASysctlChangedBehindItsBackIsRestored) {
  in_own_namespace([] {
    std::string problems;
    auto kernel = NetlinkKernel::open();
    if (!kernel) return "open: " + kernel.error().message();
    Applier applier(**kernel);
    applier.apply(connection_plan(1));
    if (hash_policy() != "1") problems += "sysctl not set\n";
    netlink::write_sysctl(kHashPolicy, "0");
    auto differences = applier.host_differences(connection_plan(1));
    if (!differences || differences->size() != 1) problems += "the changed sysctl is not one difference\n";
    applier.apply(connection_plan(1));
    if (hash_policy() != "1") problems += "sysctl not restored\n";
    return problems;
  });
}

TEST(HostKernel, TheMonitorTellsOthersChangesFromItsOwnEcho) {
  in_own_namespace([] {
    std::string problems;
    auto monitor = netlink::NftablesMonitor::open(1 /* NFPROTO_INET */, ownership::kNftTable);
    if (!monitor) return "monitor: " + monitor.error().message();
    auto kernel = NetlinkKernel::open();
    if (!kernel) return "open: " + kernel.error().message();
    Applier applier(**kernel);
    applier.apply(connection_plan(1));
    applier.apply(connection_plan(2));
    auto own = monitor->read_pending();
    if (!own || *own) problems += "uplinkd's own transactions were taken for someone else's\n";
    run_elsewhere("add table inet filter\n");
    auto other_table = monitor->read_pending();
    if (!other_table || *other_table) problems += "another table's change was taken for uplinkd's\n";
    run_elsewhere(sticky_elements(10));
    auto elements = monitor->read_pending();
    if (!elements || *elements) problems += "sticky sources added by hand were taken for a change\n";
    run_elsewhere("flush ruleset\n");
    auto flushed = monitor->read_pending();
    if (!flushed || !*flushed) problems += "a flush of the ruleset was not seen\n";
    return problems;
  });
}

}  // namespace
}  // namespace uplinkd
