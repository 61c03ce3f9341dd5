// SPDX-License-Identifier: GPL-2.0-or-later
// Writes the seed corpus of netlink_decode_fuzz: messages made by uplinkd's own encoders, as the kernel would
// echo them, alone and several to a receive buffer, plus a few cut short or with lengths that lie.
// Usage: netlink_seed_writer DIRECTORY (fuzz/corpus/netlink_decode_fuzz/ and netlink_events_fuzz/ came from
// it).
#include <linux/rtnetlink.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "netlink/codec.hpp"

namespace nl = uplinkd::netlink;
using uplinkd::Family;
using uplinkd::IpAddress;
using uplinkd::Prefix;

namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
Prefix prefix(const char* text) {
  return *Prefix::parse(text);
}

std::string bytes_of(const nlmsghdr* message) {
  if (!message) {
    std::fprintf(stderr, "netlink_seed_writer: an object did not fit the buffer\n");
    std::exit(1);
  }
  return std::string(reinterpret_cast<const char*>(message), message->nlmsg_len);
}

template <class Encode>
std::string encoded(Encode encode) {
  alignas(nlmsghdr) static char buffer[nl::kMaxRequestSize];
  return bytes_of(encode(std::span<char>(buffer)));
}

void write(const std::string& directory, const std::string& name, const std::string& bytes) {
  std::ofstream(directory + "/" + name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: netlink_seed_writer DIRECTORY\n");
    return 2;
  }
  const std::string dir = argv[1];
  using nl::Operation;

  nl::Link link{3, "eth0", true, true};
  const auto link_msg = encoded([&](std::span<char> b) { return nl::encode_link(b, link); });

  nl::Address address{3, prefix("100.64.1.10/24"), 0};
  const auto address_msg =
      encoded([&](std::span<char> b) { return nl::encode_address(b, Operation::add, address); });
  nl::Address address6{4, prefix("2001:db8::10/64"), 0};
  const auto address6_del =
      encoded([&](std::span<char> b) { return nl::encode_address(b, Operation::remove, address6); });

  nl::Route route;
  route.destination = prefix("default");
  route.table = 200;
  route.protocol = 117;
  route.gateway = ip("100.64.1.1");
  route.oif = 3;
  route.prefsrc = ip("100.64.1.10");
  const auto route_msg =
      encoded([&](std::span<char> b) { return nl::encode_route(b, Operation::add, route); });

  nl::Route multipath;
  multipath.destination = prefix("default");
  multipath.table = 1000;
  multipath.protocol = 117;
  multipath.multipath = {{ip("100.64.1.1"), 3, 1, false}, {ip("fe80::1"), 4, 2, true}};
  const auto multipath_msg =
      encoded([&](std::span<char> b) { return nl::encode_route(b, Operation::replace, multipath); });

  nl::Route by_id;
  by_id.destination = prefix("2001:db8::/32");
  by_id.table = 1000;
  by_id.nexthop_id = 0x75f00000;
  const auto by_id_msg =
      encoded([&](std::span<char> b) { return nl::encode_route(b, Operation::add, by_id); });

  nl::Rule rule;
  rule.priority = 30200;
  rule.table = 200;
  rule.protocol = 117;
  rule.source = prefix("100.64.1.10/32");
  rule.fwmark = 0xc8;
  rule.fwmask = 0xff;
  rule.iifname = "lan0";
  const auto rule_msg = encoded([&](std::span<char> b) { return nl::encode_rule(b, Operation::add, rule); });
  nl::Rule suppress;
  suppress.family = Family::v6;
  suppress.priority = 30000;
  suppress.table = 254;
  suppress.suppress_prefixlength = 0;
  suppress.destination = prefix("2001:db8::/48");
  suppress.oifname = "wan0";
  const auto suppress_msg =
      encoded([&](std::span<char> b) { return nl::encode_rule(b, Operation::remove, suppress); });

  nl::Nexthop single;
  single.id = 0x750000c8;
  single.protocol = 117;
  single.gateway = ip("100.64.1.1");
  single.ifindex = 3;
  single.onlink = true;
  const auto single_msg =
      encoded([&](std::span<char> b) { return nl::encode_nexthop(b, Operation::add, single); });
  nl::Nexthop blackhole;
  blackhole.id = 0x750000cb;
  blackhole.blackhole = true;
  const auto blackhole_msg =
      encoded([&](std::span<char> b) { return nl::encode_nexthop(b, Operation::add, blackhole); });
  nl::Nexthop group;
  group.id = 0x75f00010;
  group.protocol = 117;
  group.group = {{0x750000c8, 3}, {0x750000c9, 1}};
  group.group_type = nl::NexthopGroupType::resilient;
  group.resilient = nl::ResilientGroupParams{64, 300, 30};
  const auto group_msg =
      encoded([&](std::span<char> b) { return nl::encode_nexthop(b, Operation::replace, group); });

  write(dir, "link", link_msg);
  write(dir, "address_v4", address_msg);
  write(dir, "address_v6_del", address6_del);
  write(dir, "route_gateway", route_msg);
  write(dir, "route_multipath_via", multipath_msg);
  write(dir, "route_nexthop_id", by_id_msg);
  write(dir, "rule_fwmark_iif", rule_msg);
  write(dir, "rule_v6_suppress", suppress_msg);
  write(dir, "nexthop_single", single_msg);
  write(dir, "nexthop_blackhole", blackhole_msg);
  write(dir, "nexthop_resilient_group", group_msg);
  // A receive buffer holding one of each, as the monitor reads a burst of events.
  write(dir, "batch_all_kinds",
        link_msg + address_msg + route_msg + multipath_msg + rule_msg + single_msg + group_msg +
            suppress_msg + address6_del);

  // Lies and truncations a decoder must refuse without reading past the message.
  std::string cut = route_msg.substr(0, route_msg.size() - 3);
  write(dir, "route_cut_short_buffer", cut);
  std::string short_len = multipath_msg;
  const uint32_t claimed = static_cast<uint32_t>(short_len.size() - 6);  // ends inside the last attribute
  std::memcpy(short_len.data(), &claimed, sizeof claimed);
  write(dir, "route_multipath_len_inside_attribute", short_len);
  std::string long_attr = rule_msg;
  // The first attribute after nlmsghdr (16) and fib_rule_hdr (12) claims the whole message.
  const uint16_t huge = 0xfff0;
  std::memcpy(long_attr.data() + 16 + 12, &huge, sizeof huge);
  write(dir, "rule_attribute_too_long", long_attr);
  std::string header_only = group_msg.substr(0, sizeof(nlmsghdr));
  const uint32_t header_len = sizeof(nlmsghdr);
  std::memcpy(header_only.data(), &header_len, sizeof header_len);
  write(dir, "nexthop_header_only", header_only);
  return 0;
}
