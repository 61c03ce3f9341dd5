// SPDX-License-Identifier: GPL-2.0-or-later
// Everything uplinkd knows about its uplinks, updated by typed events from the sources. Pure: no I/O.
// Each event handler returns whether anything the planner reads has changed, so the daemon only plans when
// it must.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "netlink/objects.hpp"
#include "sources/hook_event.hpp"
#include "state/backoff.hpp"
#include "state/uplink_facts.hpp"

namespace uplinkd {

class State {
 public:
  State() = default;
  explicit State(const Config& config) { reconfigure(config); }

  // Keeps what is known about interfaces that stay uplinks; forgets the others.
  void reconfigure(const Config& config);

  // A full dump (at start and after a netlink overrun) replaces all kernel-derived facts. Hook leases stay.
  bool reset(const std::vector<netlink::Link>& links, const std::vector<netlink::Address>& addresses,
             const std::vector<netlink::Route>& routes);

  bool on_link(const netlink::Link& link, bool removed);
  bool on_address(const netlink::Address& address, bool removed);
  bool on_route(const netlink::Route& route, bool removed);
  // Throws InputError when the event names an interface that is no uplink's.
  bool on_hook(const HookEvent& event);
  bool restore_lease(const std::string& interface, const DhcpLease& lease);
  // Delegated prefixes saved before a restart (lease_store.hpp); at most kMaxDelegatedPrefixes are kept.
  bool restore_delegated(const std::string& interface, const std::vector<Prefix>& prefixes);
  // The verdict of the HealthMonitor of the uplink's `family`. Health is not a kernel fact: resets and link
  // events keep it.
  bool on_health(const std::string& interface, Family family, const HealthVerdict& verdict);
  // One verdict for both families (an uplink probed as a whole).
  bool on_health(const std::string& interface, const HealthVerdict& verdict);
  // The operator's drain. Not a kernel fact either: resets keep it, and so does a reload.
  bool set_drained(const std::string& interface, bool drained);

  // The kernel refused one of the uplink's objects of `family`, made of `address` and `gateway`: the uplink
  // is unusable for that family (and its objects unplanned) until a back-off that grows with each refusal in
  // a row has passed.
  bool on_kernel_refused(const std::string& interface, Family family, const std::string& reason,
                         const std::optional<Prefix>& address, const std::optional<IpAddress>& gateway,
                         BackoffTime now);
  // The kernel took every object of the uplink's `family`: a refusal is over.
  bool on_kernel_accepted(const std::string& interface, Family family);
  // Refusals whose back-off has passed are retried: their uplinks' objects are planned again, still outside
  // the group, until the kernel answers.
  bool retry_refused(BackoffTime now);
  // When the next refusal is due for a retry, if any is waiting.
  std::optional<BackoffTime> next_refusal_retry() const;

  const UplinkFacts& facts(const std::string& interface) const;
  const std::map<std::string, UplinkFacts>& all_facts() const { return facts_; }

  // Another program's MPTCP endpoints are in the kernel (foreign_manager()'s words,
  // plan/mptcp_endpoints.hpp), seen before planning: uplinkd then leaves MPTCP alone, its sysctls too (a
  // userspace path manager's pm_type = 1 stays).
  void set_mptcp_other_manager(std::optional<std::string> words) { mptcp_other_manager_ = std::move(words); }
  const std::optional<std::string>& mptcp_other_manager() const { return mptcp_other_manager_; }

 private:
  UplinkFacts* by_ifindex(uint32_t ifindex);
  UplinkFacts* by_interface(const std::string& interface);
  static bool on_dhcpv6(UplinkFacts& facts, const HookEvent& event);

  std::map<std::string, UplinkFacts> facts_;  // by interface name
  std::optional<std::string> mptcp_other_manager_;
};

}  // namespace uplinkd
