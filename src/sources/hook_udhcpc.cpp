// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/hook_env.hpp"
#include "sources/hook_fields.hpp"
#include "sources/hook_reasons.hpp"

namespace uplinkd {

using namespace hook;

HookEvent parse_udhcpc(const std::vector<std::string>& args, const Environment& env) {
  const SourceLocation where{"hook arguments"};
  if (args.empty())
    throw InputError(where, "udhcpc's action is missing",
                     "udhcpc passes it as $1: deconfig, bound, renew, ...");
  if (args.size() > 1) throw InputError(where, "unexpected argument " + quoted(args[1]), "udhcpc passes one");
  if (args[0].size() > kMaxValueLength || !hook_reason_change(DhcpClient::udhcpc, args[0]))
    throw InputError(where, "action " + quoted(args[0]) + " is not one udhcpc gives",
                     "known: deconfig, bound, renew, leasefail, nak");

  HookEvent event;
  event.client = DhcpClient::udhcpc;
  event.reason = args[0];
  event.change = *hook_reason_change(DhcpClient::udhcpc, event.reason);
  event.interface = interface_name(env, "interface");
  if (event.change == LeaseChange::up) {
    // busybox sets `subnet` (dotted) and, in all but very old versions, `mask` (a length) as well.
    event.address = lease_prefix(env, "ip", {{"mask", true}, {"subnet"}});
    take_routers(event, ipv4_address_list(env, "router"));
  }
  return event;
}

}  // namespace uplinkd
