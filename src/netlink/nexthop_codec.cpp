// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "netlink/attributes.hpp"
#include "netlink/codec_common.hpp"
#include "netlink/message_writer.hpp"

namespace uplinkd::netlink {

namespace {

// The resilient group's timers are clock_t on the wire: the kernel converts with clock_t_to_jiffies, so the
// unit is USER_HZ, which userspace reads as sysconf(_SC_CLK_TCK) (iproute2 does the same via get_user_hz()).
uint32_t user_hz() {
  static const uint32_t hz = [] {
    const long ticks = sysconf(_SC_CLK_TCK);
    return ticks > 0 ? static_cast<uint32_t>(ticks) : 100u;
  }();
  return hz;
}

uint32_t seconds_to_clock(uint32_t seconds) {
  const uint64_t ticks = uint64_t{seconds} * user_hz();
  return ticks > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(ticks);
}

void put_group(MessageWriter& writer, const Nexthop& nexthop) {
  std::vector<nexthop_grp> entries(nexthop.group.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].id = nexthop.group[i].id;
    // The wire weight is one less than the weight, so that 256 fits in a byte.
    entries[i].weight = static_cast<uint8_t>(nexthop.group[i].weight - 1);
  }
  writer.put(NHA_GROUP, entries.data(), entries.size() * sizeof(nexthop_grp));
  if (nexthop.group_type != NexthopGroupType::resilient) return;
  writer.put_u16(NHA_GROUP_TYPE, NEXTHOP_GRP_TYPE_RES);
  const ResilientGroupParams params = nexthop.resilient.value_or(ResilientGroupParams{});
  nlattr* nest = writer.nest_start(NHA_RES_GROUP);
  writer.put_u16(NHA_RES_GROUP_BUCKETS, params.buckets);
  writer.put_u32(NHA_RES_GROUP_IDLE_TIMER, seconds_to_clock(params.idle_timer_s));
  writer.put_u32(NHA_RES_GROUP_UNBALANCED_TIMER, seconds_to_clock(params.unbalanced_timer_s));
  writer.nest_end(nest);
}

bool read_group(const nlattr* attr, std::vector<NexthopGroupMember>& out) {
  const size_t length = attr_payload_length(attr);
  if (length == 0 || length % sizeof(nexthop_grp) != 0) return false;
  std::vector<nexthop_grp> entries(length / sizeof(nexthop_grp));
  std::memcpy(entries.data(), attr_payload(attr), length);
  for (const auto& entry : entries) out.push_back({entry.id, static_cast<uint16_t>(entry.weight + 1)});
  return true;
}

bool read_resilient(const nlattr* attr, ResilientGroupParams& out) {
  std::array<const nlattr*, NHA_RES_GROUP_MAX + 1> table{};
  if (!index_attributes(attr_payload(attr), attr_payload_length(attr), table)) return false;
  out.buckets = attr_u16(table[NHA_RES_GROUP_BUCKETS]).value_or(out.buckets);
  if (const auto idle = attr_u32(table[NHA_RES_GROUP_IDLE_TIMER])) out.idle_timer_s = *idle / user_hz();
  if (const auto unbalanced = attr_u32(table[NHA_RES_GROUP_UNBALANCED_TIMER])) {
    out.unbalanced_timer_s = *unbalanced / user_hz();
  }
  return true;
}

}  // namespace

nlmsghdr* encode_nexthop(std::span<char> buffer, Operation operation, const Nexthop& nexthop) {
  MessageWriter writer(buffer, operation == Operation::remove ? RTM_DELNEXTHOP : RTM_NEWNEXTHOP,
                       detail::request_flags(operation));
  auto* header = writer.put_header<nhmsg>();
  if (!header) return nullptr;
  writer.put_u32(NHA_ID, nexthop.id);
  // The kernel rejects a delete that carries anything but NHA_ID, or a header that is not all zero.
  if (operation == Operation::remove) return writer.finish();

  header->nh_protocol = nexthop.protocol;
  if (nexthop.is_group()) {
    header->nh_family = AF_UNSPEC;
    put_group(writer, nexthop);
    return writer.finish();
  }
  header->nh_family = static_cast<unsigned char>(to_af(nexthop.family));
  if (nexthop.blackhole) {
    writer.put_flag(NHA_BLACKHOLE);
    return writer.finish();
  }
  header->nh_flags = nexthop.onlink ? RTNH_F_ONLINK : 0;
  if (nexthop.ifindex) writer.put_u32(NHA_OIF, nexthop.ifindex);
  if (nexthop.gateway) writer.put_address(NHA_GATEWAY, *nexthop.gateway);
  return writer.finish();
}

std::optional<Nexthop> decode_nexthop(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWNEXTHOP && message->nlmsg_type != RTM_DELNEXTHOP) return std::nullopt;
  std::array<const nlattr*, NHA_MAX + 1> table{};
  if (!index_message(message, sizeof(nhmsg), table)) return std::nullopt;
  const auto* header = static_cast<const nhmsg*>(family_header(message, sizeof(nhmsg)));
  const auto id = attr_u32(table[NHA_ID]);
  if (!id) return std::nullopt;

  Nexthop nexthop;
  nexthop.id = *id;
  nexthop.protocol = header->nh_protocol;
  if (table[NHA_GROUP]) {
    // A group has no family of its own (AF_UNSPEC); objects.hpp calls it v4.
    nexthop.family = Family::v4;
    if (!read_group(table[NHA_GROUP], nexthop.group)) return std::nullopt;
    if (attr_u16(table[NHA_GROUP_TYPE]).value_or(NEXTHOP_GRP_TYPE_MPATH) == NEXTHOP_GRP_TYPE_RES) {
      nexthop.group_type = NexthopGroupType::resilient;
      ResilientGroupParams params;
      if (table[NHA_RES_GROUP] && !read_resilient(table[NHA_RES_GROUP], params)) return std::nullopt;
      nexthop.resilient = params;
    }
    return nexthop;
  }
  const auto family = family_from_af(header->nh_family);
  if (!family) return std::nullopt;
  nexthop.family = *family;
  nexthop.blackhole = table[NHA_BLACKHOLE] != nullptr;
  nexthop.onlink = header->nh_flags & RTNH_F_ONLINK;
  nexthop.ifindex = attr_u32(table[NHA_OIF]).value_or(0);
  if (table[NHA_GATEWAY] && !(nexthop.gateway = attr_address(table[NHA_GATEWAY], *family)))
    return std::nullopt;
  return nexthop;
}

nlmsghdr* encode_nexthop_dump(std::span<char> buffer) {
  MessageWriter writer(buffer, RTM_GETNEXTHOP, detail::kDumpFlags);
  if (!writer.put_header<nhmsg>()) return nullptr;
  return writer.finish();
}

}  // namespace uplinkd::netlink
