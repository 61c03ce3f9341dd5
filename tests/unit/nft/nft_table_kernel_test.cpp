// SPDX-License-Identifier: GPL-2.0-or-later
// NftTable against a real kernel, but only inside a network namespace of its own: each test forks a child
// that unshares its network namespace (which disappears with the child) before it touches nftables, so the
// machine's ruleset is never seen or changed. Without CAP_SYS_ADMIN the tests are skipped.
#include <gtest/gtest.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>

#include "fakes/own_namespace.hpp"
#include "nft/nft_table.hpp"
#include "plan/nat_chains.hpp"
#include "plan/ownership.hpp"
#include "plan/uplinkd_table.hpp"

namespace uplinkd {
namespace {

using testing::in_own_namespace;

std::string expect_listing(NftTable& nft, const std::string& expected, const char* step) {
  auto listing = nft.list();
  if (!listing) return std::string(step) + ": list failed: " + listing.error().message() + "\n";
  if (*listing != expected)
    return std::string(step) + ": listed\n" + *listing + "\nexpected\n" + expected + "\n";
  return {};
}

// Replaces uplinkd's table with the marks in both spreads (packet, then connection with its sticky maps);
// what went wrong: a refusal, or a listing without `expected`.
std::string accepted_in_both_spreads(NftTable& nft, const NatPlan& nat, MarkPlan marks,
                                     const std::string& expected) {
  std::string problems;
  for (auto spread : {Spread::packet, Spread::connection}) {
    marks.spread = spread;
    marks.sticky_timeout_s = spread == Spread::connection ? 600 : 0;
    if (auto error = nft.replace(nft::uplinkd_table(nat, marks)))
      problems += "replace: " + error->message() + "\n";
    auto listing = nft.list();
    if (!listing || listing->find(expected) == std::string::npos)
      problems +=
          "the listing lacks " + expected + ": " + (listing ? *listing : listing.error().message()) + "\n";
  }
  return problems;
}

TEST(NftTableKernel, ReplaceListRemove) {
  in_own_namespace([] {
    std::string problems;
    NftTable nft;
    problems += expect_listing(nft, "", "fresh namespace");
    if (auto error = nft.remove()) problems += "remove of a missing table: " + error->message() + "\n";

    NatPlan two{{"eth0", "wwan0"}, {}};
    if (auto error = nft.replace(two)) problems += "replace: " + error->message() + "\n";
    problems += expect_listing(nft, nft::render_table(nft::nat_table(two)), "after replace");
    if (auto error = nft.replace(two)) problems += "replace again: " + error->message() + "\n";
    problems += expect_listing(nft, nft::render_table(nft::nat_table(two)), "after replace again");

    NatPlan one{{"eth1"}, {}};
    if (auto error = nft.replace(one)) problems += "replace with another plan: " + error->message() + "\n";
    problems += expect_listing(nft, nft::render_table(nft::nat_table(one)), "after the other plan");

    if (auto error = nft.replace(NatPlan{}))
      problems += "replace with an empty plan: " + error->message() + "\n";
    problems += expect_listing(nft, "", "after the empty plan");
    return problems;
  });
}

TEST(NftTableKernel, AFailedReplaceChangesNothing) {
  in_own_namespace([] {
    std::string problems;
    NftTable nft;
    NatPlan plan{{"eth0"}, {}};
    if (auto error = nft.replace(plan)) problems += "replace: " + error->message() + "\n";
    auto broken = nft::nat_table(plan);
    broken.chains[0].rules.push_back("this is not a rule");
    auto error = nft.replace(broken);
    if (!error) problems += "a broken table was accepted\n";
    if (error && error->detail.find("syntax error") == std::string::npos)
      problems += "error detail lacks nft's message: " + error->message() + "\n";
    if (error && error->object != "replace nftables table inet uplinkd")
      problems += "error names " + error->object + "\n";
    problems += expect_listing(nft, nft::render_table(nft::nat_table(plan)), "after the failed replace");
    return problems;
  });
}

// The pin chain's map is rendered as nft lists it, so an unchanged plan compares equal to the kernel's table.
TEST(NftTableKernel, PinnedUplinksAreAcceptedAndListAsRendered) {
  in_own_namespace([] {
    std::string problems;
    NftTable nft;
    NatPlan plan{
        {"wan1", "wan2"},
        {{*IpAddress::parse("100.64.1.23"), 0x750000c9}, {*IpAddress::parse("100.64.2.7"), 0x750000ca}}};
    if (auto error = nft.replace(plan)) problems += "replace: " + error->message() + "\n";
    problems += expect_listing(nft, nft::render_table(nft::nat_table(plan)), "after replace");
    return problems;
  });
}

// Every statement the mark chains use must be one the kernel and this libnftables accept: each mode with
// sticky sources, rules, exclusions, pinning and NAT, in one table.
TEST(NftTableKernel, MarkChainsOfEveryKindAreAccepted) {
  in_own_namespace([] {
    NftTable nft;
    MarkPlan marks;
    marks.excluded = {*Prefix::parse("192.168.77.0/24"), *Prefix::parse("203.0.113.7/32")};
    marks.v4.destinations = {*Prefix::parse("default")};
    marks.v4.shares = {{0x750000c9, 1}, {0x750000ca, 3}};
    marks.v4.live = {0x750000c9, 0x750000ca};
    marks.v4.interface_marks = {{"wan1", 0x750000c9}, {"wan2", 0x750000ca}};
    TrafficMatch voip{{}, {}, 17, PortRange{5060, 5060}, ""};
    TrafficMatch bulk{*Prefix::parse("10.0.0.0/8"), *Prefix::parse("198.51.100.0/24"), 6, PortRange{1, 1024},
                      "lan0"};
    marks.rules = {{voip, false, Spread::connection, {{0x750000c9, 1}}},
                   {bulk, false, Spread::packet, marks.v4.shares},
                   {TrafficMatch{{}, {}, 50, {}, ""}, true, Spread::connection, {}}};
    NatPlan nat{{"wan1", "wan2"}, {{*IpAddress::parse("100.64.1.23"), 0x750000c9}}};
    return accepted_in_both_spreads(nft, nat, marks, "numgen inc mod 4");
  });
}

// The same for a dual-stack plan: per-family rules, the uplinks' own IPv6 prefixes, IPv6 rules and
// exclusions, both sticky maps, the IPv6 pin map of prefixes (an interval map) and NAT66 with NPTv6.
TEST(NftTableKernel, DualStackMarkChainsAreAccepted) {
  in_own_namespace([] {
    NftTable nft;
    const uint32_t a = 0x750000c9, b = 0x750000ca;
    MarkPlan marks;
    marks.marks_ipv6 = true;
    marks.excluded = {*Prefix::parse("192.168.77.0/24"), *Prefix::parse("fd00:77::/64")};
    marks.v4 = {{*Prefix::parse("default")}, {{a, 1}, {b, 3}}, {a, b}, {{"wan1", a}, {"wan2", b}}};
    marks.v6 = {{*Prefix::parse("default6")}, {{b, 3}}, {b}, {{"wan2", b}}};
    marks.unmarked_sources6 = {*Prefix::parse("2001:db8:1::/64"), *Prefix::parse("fe80::/10")};
    TrafficMatch to6{{}, *Prefix::parse("2001:db8:99::/48"), {}, {}, ""};
    TrafficMatch ping6{*Prefix::parse("fd00:1::/64"), {}, 58, {}, "lan0"};
    TrafficMatch voip{{}, {}, 17, PortRange{5060, 5060}, ""};
    marks.rules = {{to6, false, Spread::connection, {}, {{b, 1}}},
                   {voip, false, Spread::packet, {{a, 1}}, {{b, 1}}},
                   {ping6, true, Spread::connection, {}, {}}};
    NatPlan nat{{"wan1", "wan2"}, {{*IpAddress::parse("100.64.1.23"), a}}};
    nat.masquerade6_interfaces = {"wan1", "wan2"};
    nat.untranslated6 = {*Prefix::parse("2001:db8:1::/64"), *Prefix::parse("fe80::/10")};
    nat.translations6 = {{"wan1", *Prefix::parse("fd00:1::/64"), *Prefix::parse("2001:db8:1:10f::/64")}};
    nat.pinned6 = {{*Prefix::parse("2001:db8:1::/64"), a},
                   {*Prefix::parse("2001:db8:1:100::/60"), a},
                   {*Prefix::parse("2001:db8:2::/64"), b}};
    return accepted_in_both_spreads(nft, nat, marks,
                                    "ip6 daddr & ffff:ffff:ffff:ffff:: map { 2001:db8:1:: : 0x750000c9");
  });
}

// The kernel's handle of one of uplinkd's chains, read with a libnftables context of the test's own
// (NftTable lists without handles); nullopt when it cannot be read.
std::optional<std::string> chain_handle(const std::string& chain) {
  nft_ctx* context = nft_ctx_new(NFT_CTX_DEFAULT);
  nft_ctx_output_set_flags(context, NFT_CTX_OUTPUT_HANDLE);
  nft_ctx_buffer_output(context);
  nft_ctx_buffer_error(context);
  std::optional<std::string> handle;
  const std::string command = "list chain inet " + std::string(ownership::kNftTable) + " " + chain;
  if (nft_run_cmd_from_buffer(context, command.c_str()) == 0) {
    const std::string listing = nft_ctx_get_output_buffer(context);
    const std::string marker = "chain " + chain + " { # handle ";
    if (const auto at = listing.find(marker); at != std::string::npos)
      handle = listing.substr(at + marker.size(), listing.find('\n', at) - at - marker.size());
  }
  nft_ctx_free(context);
  return handle;
}

// A changed chain whose hook stays is emptied and refilled in one transaction (NftPatch says why): the kernel
// takes it, the chain is the same chain (its handle), and it holds the new rules only.
TEST(NftTableKernel, AChangedChainIsRefilledInPlace) {
  in_own_namespace([] {
    std::string problems;
    NftTable nft;
    const NatPlan before{{"wan1", "wan2"}, {{*IpAddress::parse("100.64.1.23"), 0x750000c9}}};
    const NatPlan after{
        {"wan1", "wan2"},
        {{*IpAddress::parse("100.64.1.23"), 0x750000c9}, {*IpAddress::parse("100.64.2.7"), 0x750000ca}}};
    if (auto error = nft.replace(before)) problems += "replace: " + error->message() + "\n";
    const auto handle = chain_handle("pin");
    if (!handle) problems += "no handle for the pin chain\n";
    const nft::Table wanted = nft::nat_table(after);
    NftPatch patch;
    patch.table = wanted.name;
    patch.flushed_chains = {"pin"};
    for (const auto& chain : wanted.chains)
      if (chain.name == "pin") patch.chains.push_back(chain);
    if (auto error = nft.apply(patch, "the pin chain")) problems += "refill: " + error->message() + "\n";
    if (chain_handle("pin") != handle) problems += "the pin chain was created again\n";
    problems += expect_listing(nft, nft::render_table(wanted), "after the refill");
    return problems;
  });
}

TEST(NftTableKernel, OtherTablesAreLeftAlone) {
  in_own_namespace([] {
    std::string problems;
    // Someone else's firewall, written with libnftables directly since NftTable only touches its own.
    nft_ctx* other = nft_ctx_new(NFT_CTX_DEFAULT);
    nft_ctx_buffer_output(other);
    nft_ctx_buffer_error(other);
    if (nft_run_cmd_from_buffer(other, "add table inet firewall; add chain inet firewall input") != 0)
      problems += "could not create the other table\n";
    NftTable nft;
    if (auto error = nft.replace(NatPlan{{"eth0"}, {}})) problems += "replace: " + error->message() + "\n";
    if (auto error = nft.remove()) problems += "remove: " + error->message() + "\n";
    if (nft_run_cmd_from_buffer(other, "list table inet firewall") != 0)
      problems += "the other table is gone\n";
    nft_ctx_free(other);
    return problems;
  });
}

}  // namespace
}  // namespace uplinkd
