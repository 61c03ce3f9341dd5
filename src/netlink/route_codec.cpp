// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "netlink/attributes.hpp"
#include "netlink/codec_common.hpp"
#include "netlink/message_writer.hpp"

namespace uplinkd::netlink {

namespace {

// A gateway of the route's own family is RTA_GATEWAY; another family's (an IPv4 route via an IPv6 link-local
// router, RFC 5549) needs RTA_VIA, which carries the family with it.
void put_gateway(MessageWriter& writer, Family route_family, const IpAddress& gateway) {
  if (gateway.family() == route_family) {
    writer.put_address(RTA_GATEWAY, gateway);
    return;
  }
  std::array<char, sizeof(uint16_t) + 16> via{};
  const uint16_t family = static_cast<uint16_t>(to_af(gateway.family()));
  std::memcpy(via.data(), &family, sizeof family);
  std::memcpy(via.data() + sizeof family, gateway.data(), gateway.size());
  writer.put(RTA_VIA, via.data(), sizeof family + gateway.size());
}

std::optional<IpAddress> read_via(const nlattr* attr) {
  if (!attr || attr_payload_length(attr) < sizeof(uint16_t)) return std::nullopt;
  uint16_t af;
  std::memcpy(&af, attr_payload(attr), sizeof af);
  const auto family = family_from_af(af);
  if (!family) return std::nullopt;
  const size_t size = *family == Family::v4 ? 4 : 16;
  if (attr_payload_length(attr) != sizeof af + size) return std::nullopt;
  return IpAddress::from_bytes(*family, static_cast<const char*>(attr_payload(attr)) + sizeof af);
}

// RTA_GATEWAY, else RTA_VIA; false when either is present but malformed.
bool read_gateway(const nlattr* gateway, const nlattr* via, Family family, std::optional<IpAddress>& out) {
  if (gateway) {
    out = attr_address(gateway, family);
    return out.has_value();
  }
  if (via) {
    out = read_via(via);
    return out.has_value();
  }
  return true;
}

void put_multipath(MessageWriter& writer, const Route& route) {
  nlattr* nest = writer.nest_start(RTA_MULTIPATH);
  for (const auto& leg : route.multipath) {
    char* start = writer.tail();
    auto* hop = static_cast<rtnexthop*>(writer.reserve(sizeof(rtnexthop)));
    if (!hop) return;
    // rtnh_hops is the weight minus one, as in `ip route ... nexthop weight N`.
    hop->rtnh_hops = static_cast<unsigned char>(leg.weight - 1);
    hop->rtnh_ifindex = static_cast<int>(leg.ifindex);
    hop->rtnh_flags = leg.onlink ? RTNH_F_ONLINK : 0;
    if (leg.gateway) put_gateway(writer, route.family(), *leg.gateway);
    hop->rtnh_len = static_cast<unsigned short>(writer.tail() - start);
  }
  writer.nest_end(nest);
}

bool read_multipath(const nlattr* attr, Family family, std::vector<RouteNexthop>& out) {
  const char* cursor = static_cast<const char*>(attr_payload(attr));
  size_t left = attr_payload_length(attr);
  while (left >= sizeof(rtnexthop)) {
    const auto* hop = reinterpret_cast<const rtnexthop*>(cursor);
    if (hop->rtnh_len < sizeof(rtnexthop) || hop->rtnh_len > left) return false;
    RouteNexthop leg;
    leg.ifindex = static_cast<uint32_t>(hop->rtnh_ifindex);
    leg.weight = static_cast<uint16_t>(hop->rtnh_hops + 1);
    leg.onlink = hop->rtnh_flags & RTNH_F_ONLINK;
    std::array<const nlattr*, RTA_MAX + 1> table{};
    const size_t header = RTNH_ALIGN(sizeof(rtnexthop));
    if (hop->rtnh_len > header && !index_attributes(cursor + header, hop->rtnh_len - header, table))
      return false;
    if (!read_gateway(table[RTA_GATEWAY], table[RTA_VIA], family, leg.gateway)) return false;
    out.push_back(leg);
    const size_t step = RTNH_ALIGN(hop->rtnh_len);
    if (step >= left) break;
    cursor += step;
    left -= step;
  }
  return true;
}

}  // namespace

nlmsghdr* encode_route(std::span<char> buffer, Operation operation, const Route& route) {
  MessageWriter writer(buffer, operation == Operation::remove ? RTM_DELROUTE : RTM_NEWROUTE,
                       detail::request_flags(operation));
  auto* header = writer.put_header<rtmsg>();
  if (!header) return nullptr;
  header->rtm_family = static_cast<unsigned char>(to_af(route.family()));
  header->rtm_dst_len = route.destination.length;
  // rtm_table holds only 8 bits; RTA_TABLE, always sent, is what the kernel uses.
  header->rtm_table = detail::header_table(route.table);
  header->rtm_protocol = route.protocol;
  // A delete with RT_SCOPE_NOWHERE matches a route of any scope, as `ip route del` does.
  header->rtm_scope = operation == Operation::remove ? uint8_t{RT_SCOPE_NOWHERE} : route.scope;
  header->rtm_type = route.type;
  header->rtm_flags = route.onlink ? RTNH_F_ONLINK : 0;

  writer.put_u32(RTA_TABLE, route.table);
  if (route.destination.length > 0) writer.put_address(RTA_DST, route.destination.network().address);
  if (route.priority) writer.put_u32(RTA_PRIORITY, route.priority);
  if (route.prefsrc) writer.put_address(RTA_PREFSRC, *route.prefsrc);
  if (route.nexthop_id) {
    // The kernel refuses a delete naming a nexthop id that no longer exists (EINVAL, not ENOENT), which would
    // make removing a route after its nexthop fail; destination, table, protocol and metric identify it
    // anyway.
    if (operation != Operation::remove) writer.put_u32(RTA_NH_ID, route.nexthop_id);
  } else {
    if (route.gateway) put_gateway(writer, route.family(), *route.gateway);
    if (route.oif) writer.put_u32(RTA_OIF, route.oif);
    if (!route.multipath.empty()) put_multipath(writer, route);
  }
  return writer.finish();
}

std::optional<Route> decode_route(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWROUTE && message->nlmsg_type != RTM_DELROUTE) return std::nullopt;
  std::array<const nlattr*, RTA_MAX + 1> table{};
  if (!index_message(message, sizeof(rtmsg), table)) return std::nullopt;
  const auto* header = static_cast<const rtmsg*>(family_header(message, sizeof(rtmsg)));
  const auto family = family_from_af(header->rtm_family);
  if (!family || header->rtm_dst_len > (*family == Family::v4 ? 32 : 128)) return std::nullopt;

  Route route;
  route.destination.address = IpAddress::any(*family);
  route.destination.length = header->rtm_dst_len;
  if (table[RTA_DST]) {
    const auto destination = attr_address(table[RTA_DST], *family);
    if (!destination) return std::nullopt;
    route.destination.address = *destination;
  }
  route.table = table[RTA_TABLE] ? attr_u32(table[RTA_TABLE]).value_or(header->rtm_table) : header->rtm_table;
  route.protocol = header->rtm_protocol;
  route.scope = header->rtm_scope;
  route.type = header->rtm_type;
  route.priority = attr_u32(table[RTA_PRIORITY]).value_or(0);
  if (table[RTA_PREFSRC] && !(route.prefsrc = attr_address(table[RTA_PREFSRC], *family))) return std::nullopt;
  route.nexthop_id = attr_u32(table[RTA_NH_ID]).value_or(0);
  // With nexthop_compat_mode (the default) the kernel also expands the nexthop object into RTA_GATEWAY,
  // RTA_OIF and RTA_MULTIPATH; uplinkd's route says only nhid, so those are dropped.
  if (route.nexthop_id) return route;
  route.onlink = header->rtm_flags & RTNH_F_ONLINK;
  if (!read_gateway(table[RTA_GATEWAY], table[RTA_VIA], *family, route.gateway)) return std::nullopt;
  route.oif = attr_u32(table[RTA_OIF]).value_or(0);
  if (table[RTA_MULTIPATH] && !read_multipath(table[RTA_MULTIPATH], *family, route.multipath))
    return std::nullopt;
  return route;
}

nlmsghdr* encode_route_dump(std::span<char> buffer, Family family, uint32_t table, uint8_t protocol) {
  MessageWriter writer(buffer, RTM_GETROUTE, detail::kDumpFlags);
  auto* header = writer.put_header<rtmsg>();
  if (!header) return nullptr;
  header->rtm_family = static_cast<unsigned char>(to_af(family));
  header->rtm_table = detail::header_table(table);
  header->rtm_protocol = protocol;
  if (table) writer.put_u32(RTA_TABLE, table);
  return writer.finish();
}

}  // namespace uplinkd::netlink
