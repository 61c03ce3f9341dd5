// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "netlink/attributes.hpp"
#include "netlink/codec_common.hpp"
#include "netlink/message_writer.hpp"

namespace uplinkd::netlink {

nlmsghdr* encode_link(std::span<char> buffer, const Link& link) {
  MessageWriter writer(buffer, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  auto* header = writer.put_header<ifinfomsg>();
  if (!header) return nullptr;
  header->ifi_family = AF_UNSPEC;
  header->ifi_index = static_cast<int>(link.index);
  header->ifi_flags = link.admin_up ? IFF_UP : 0;
  header->ifi_change = IFF_UP;
  if (!link.name.empty()) writer.put_string(IFLA_IFNAME, link.name);
  return writer.finish();
}

std::optional<Link> decode_link(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWLINK && message->nlmsg_type != RTM_DELLINK) return std::nullopt;
  std::array<const nlattr*, IFLA_IFNAME + 1> table{};
  if (!index_message(message, sizeof(ifinfomsg), table)) return std::nullopt;
  const auto* header = static_cast<const ifinfomsg*>(family_header(message, sizeof(ifinfomsg)));
  if (header->ifi_index <= 0) return std::nullopt;
  Link link;
  link.index = static_cast<uint32_t>(header->ifi_index);
  link.name = attr_string(table[IFLA_IFNAME]).value_or("");
  link.admin_up = header->ifi_flags & IFF_UP;
  link.carrier = header->ifi_flags & IFF_LOWER_UP;
  return link;
}

std::optional<LinkTraffic> decode_link_traffic(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWLINK) return std::nullopt;
  std::array<const nlattr*, IFLA_STATS64 + 1> table{};
  if (!index_message(message, sizeof(ifinfomsg), table) || !table[IFLA_STATS64]) return std::nullopt;
  const auto* header = static_cast<const ifinfomsg*>(family_header(message, sizeof(ifinfomsg)));
  if (header->ifi_index <= 0) return std::nullopt;
  // The kernel's struct grew over the years; its first four fields have always been these.
  if (attr_payload_length(table[IFLA_STATS64]) < 4 * sizeof(uint64_t)) return std::nullopt;
  rtnl_link_stats64 stats{};
  std::memcpy(&stats, attr_payload(table[IFLA_STATS64]),
              std::min<size_t>(sizeof stats, attr_payload_length(table[IFLA_STATS64])));
  return LinkTraffic{static_cast<uint32_t>(header->ifi_index), stats.rx_packets, stats.tx_packets,
                     stats.rx_bytes, stats.tx_bytes};
}

nlmsghdr* encode_address(std::span<char> buffer, Operation operation, const Address& address) {
  MessageWriter writer(buffer, operation == Operation::remove ? RTM_DELADDR : RTM_NEWADDR,
                       detail::request_flags(operation));
  auto* header = writer.put_header<ifaddrmsg>();
  if (!header) return nullptr;
  header->ifa_family = static_cast<uint8_t>(to_af(address.local.family()));
  header->ifa_prefixlen = address.local.length;
  header->ifa_scope = address.scope;
  header->ifa_index = address.ifindex;
  // IPv4 keeps the interface's own address in IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links);
  // IPv6 uses IFA_ADDRESS alone.
  if (address.local.family() == Family::v4) writer.put_address(IFA_LOCAL, address.local.address);
  writer.put_address(IFA_ADDRESS, address.local.address);
  return writer.finish();
}

std::optional<Address> decode_address(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWADDR && message->nlmsg_type != RTM_DELADDR) return std::nullopt;
  std::array<const nlattr*, IFA_MAX + 1> table{};
  if (!index_message(message, sizeof(ifaddrmsg), table)) return std::nullopt;
  const auto* header = static_cast<const ifaddrmsg*>(family_header(message, sizeof(ifaddrmsg)));
  const auto family = family_from_af(header->ifa_family);
  if (!family || header->ifa_prefixlen > (*family == Family::v4 ? 32 : 128)) return std::nullopt;
  // IFA_LOCAL, when present, is our own end for either family; IFA_ADDRESS is then the peer.
  const nlattr* own = table[IFA_LOCAL] ? table[IFA_LOCAL] : table[IFA_ADDRESS];
  const auto local = attr_address(own, *family);
  if (!local) return std::nullopt;
  Address address;
  address.ifindex = header->ifa_index;
  address.local = Prefix{*local, header->ifa_prefixlen};
  address.scope = header->ifa_scope;
  // ifa_flags holds the low 8 bits; IFA_FLAGS (since 3.14) all of them.
  address.flags =
      table[IFA_FLAGS] ? attr_u32(table[IFA_FLAGS]).value_or(header->ifa_flags) : header->ifa_flags;
  return address;
}

nlmsghdr* encode_link_dump(std::span<char> buffer) {
  MessageWriter writer(buffer, RTM_GETLINK, detail::kDumpFlags);
  auto* header = writer.put_header<ifinfomsg>();
  if (!header) return nullptr;
  header->ifi_family = AF_UNSPEC;
  return writer.finish();
}

nlmsghdr* encode_address_dump(std::span<char> buffer, Family family) {
  MessageWriter writer(buffer, RTM_GETADDR, detail::kDumpFlags);
  auto* header = writer.put_header<ifaddrmsg>();
  if (!header) return nullptr;
  header->ifa_family = static_cast<uint8_t>(to_af(family));
  return writer.finish();
}

}  // namespace uplinkd::netlink
