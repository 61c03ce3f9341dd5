// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <array>

#include "netlink/attributes.hpp"
#include "netlink/codec_common.hpp"
#include "netlink/message_writer.hpp"

namespace uplinkd::netlink {

namespace {

// The kernel stores "no suppress_prefixlength" as -1 and older kernels dump it that way.
constexpr uint32_t kSuppressUnset = 0xffffffff;

bool read_prefix(const nlattr* attr, Family family, uint8_t length, std::optional<Prefix>& out) {
  if (!attr) return true;
  const auto address = attr_address(attr, family);
  if (!address) return false;
  out = Prefix{*address, length};
  return true;
}

}  // namespace

nlmsghdr* encode_rule(std::span<char> buffer, Operation operation, const Rule& rule) {
  // Rules have no replace: a rule is its whole match, so a changed rule is a different rule.
  if (operation == Operation::replace) operation = Operation::add;
  MessageWriter writer(buffer, operation == Operation::remove ? RTM_DELRULE : RTM_NEWRULE,
                       detail::request_flags(operation));
  auto* header = writer.put_header<fib_rule_hdr>();
  if (!header) return nullptr;
  header->family = static_cast<uint8_t>(to_af(rule.family));
  header->table = detail::header_table(rule.table);
  header->action = rule.action;
  if (rule.source) header->src_len = rule.source->length;
  if (rule.destination) header->dst_len = rule.destination->length;

  writer.put_u32(FRA_PRIORITY, rule.priority);
  if (rule.table) writer.put_u32(FRA_TABLE, rule.table);
  if (rule.protocol) writer.put_u8(FRA_PROTOCOL, rule.protocol);
  if (rule.source) writer.put_address(FRA_SRC, rule.source->network().address);
  if (rule.destination) writer.put_address(FRA_DST, rule.destination->network().address);
  if (rule.fwmark || rule.fwmask) writer.put_u32(FRA_FWMARK, rule.fwmark);
  // Without FRA_FWMASK the kernel uses 0xffffffff; an explicit 0 would make the mark match everything.
  if (rule.fwmask) writer.put_u32(FRA_FWMASK, rule.fwmask);
  if (rule.suppress_prefixlength) writer.put_u32(FRA_SUPPRESS_PREFIXLEN, *rule.suppress_prefixlength);
  if (!rule.iifname.empty()) writer.put_string(FRA_IIFNAME, rule.iifname);
  if (!rule.oifname.empty()) writer.put_string(FRA_OIFNAME, rule.oifname);
  if (rule.ip_proto) writer.put_u8(FRA_IP_PROTO, rule.ip_proto);
  if (rule.dport) {
    const fib_rule_port_range range{rule.dport->first, rule.dport->last};
    writer.put(FRA_DPORT_RANGE, &range, sizeof range);
  }
  return writer.finish();
}

std::optional<Rule> decode_rule(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWRULE && message->nlmsg_type != RTM_DELRULE) return std::nullopt;
  std::array<const nlattr*, FRA_MAX + 1> table{};
  if (!index_message(message, sizeof(fib_rule_hdr), table)) return std::nullopt;
  const auto* header = static_cast<const fib_rule_hdr*>(family_header(message, sizeof(fib_rule_hdr)));
  const auto family = family_from_af(header->family);
  if (!family) return std::nullopt;
  const uint8_t max_length = *family == Family::v4 ? 32 : 128;
  if (header->src_len > max_length || header->dst_len > max_length) return std::nullopt;

  Rule rule;
  rule.family = *family;
  rule.priority = attr_u32(table[FRA_PRIORITY]).value_or(0);
  rule.table = table[FRA_TABLE] ? attr_u32(table[FRA_TABLE]).value_or(header->table) : header->table;
  rule.action = header->action;
  rule.protocol = attr_u8(table[FRA_PROTOCOL]).value_or(0);
  if (!read_prefix(table[FRA_SRC], *family, header->src_len, rule.source)) return std::nullopt;
  if (!read_prefix(table[FRA_DST], *family, header->dst_len, rule.destination)) return std::nullopt;
  rule.fwmark = attr_u32(table[FRA_FWMARK]).value_or(0);
  rule.fwmask = attr_u32(table[FRA_FWMASK]).value_or(0);
  const auto suppress = attr_u32(table[FRA_SUPPRESS_PREFIXLEN]);
  if (suppress && *suppress != kSuppressUnset) rule.suppress_prefixlength = suppress;
  rule.iifname = attr_string(table[FRA_IIFNAME]).value_or("");
  rule.oifname = attr_string(table[FRA_OIFNAME]).value_or("");
  rule.ip_proto = attr_u8(table[FRA_IP_PROTO]).value_or(0);
  if (const auto* attr = table[FRA_DPORT_RANGE];
      attr && attr_payload_length(attr) == sizeof(fib_rule_port_range)) {
    const auto* range = static_cast<const fib_rule_port_range*>(attr_payload(attr));
    rule.dport = PortRange{range->start, range->end};
  }
  return rule;
}

nlmsghdr* encode_rule_dump(std::span<char> buffer, Family family) {
  MessageWriter writer(buffer, RTM_GETRULE, detail::kDumpFlags);
  auto* header = writer.put_header<fib_rule_hdr>();
  if (!header) return nullptr;
  header->family = static_cast<uint8_t>(to_af(family));
  return writer.finish();
}

}  // namespace uplinkd::netlink
