// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/hook_env.hpp"

#include "common/error.hpp"
#include "sources/hook_fields.hpp"

namespace uplinkd {

namespace {

DhcpClient guess_client(const std::vector<std::string>& args, const Environment& env) {
  if (!args.empty()) return DhcpClient::udhcpc;
  // dhcpcd describes the interface in these on every call; dhclient never sets any of them. (Not `pid`:
  // dhclient 4.4 sets it too, in script_init().)
  for (const char* variable : {"ifcarrier", "protocol", "if_up"})
    if (env.contains(variable)) return DhcpClient::dhcpcd;
  return DhcpClient::dhclient;
}

}  // namespace

HookEvent parse_hook(std::optional<DhcpClient> client, const std::vector<std::string>& args,
                     const Environment& env) {
  auto chosen = client.value_or(guess_client(args, env));
  if (chosen != DhcpClient::udhcpc && !args.empty())
    throw InputError(SourceLocation{"hook arguments"}, "unexpected argument " + hook::quoted(args[0]),
                     std::string(to_string(chosen)) + " passes its lease in the environment only");
  switch (chosen) {
    case DhcpClient::dhclient:
      return parse_dhclient(env);
    case DhcpClient::dhcpcd:
      return parse_dhcpcd(env);
    case DhcpClient::udhcpc:
      return parse_udhcpc(args, env);
  }
  UPLINKD_ASSERT(false, "DhcpClient out of range");
  return {};
}

}  // namespace uplinkd
