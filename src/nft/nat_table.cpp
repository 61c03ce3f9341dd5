#include "nft/nat_table.hpp"

#include "plan/ownership.hpp"

namespace uplinkd::nft {

void add_nat_chains(Table& table, const NatPlan& plan) {
  if (plan.masquerade_interfaces.empty()) return;
  // srcnat (100) is where masquerade belongs; a firewall's own nat chains at the same hook coexist with ours.
  Chain chain{"postrouting", ChainHook{"nat", "postrouting", "srcnat"}, {}};
  for (const auto& interface : plan.masquerade_interfaces)
    chain.rules.push_back("oifname " + quoted_interface(interface) + " masquerade");
  table.chains.push_back(std::move(chain));
}

Table nat_table(const NatPlan& plan) {
  Table table{"inet", ownership::kNftTable, {}};
  add_nat_chains(table, plan);
  return table;
}

}  // namespace uplinkd::nft

namespace uplinkd {

std::string render_nat_table(const NatPlan& plan) {
  return nft::render_replace(nft::nat_table(plan));
}

}  // namespace uplinkd
