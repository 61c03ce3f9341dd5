// SPDX-License-Identifier: GPL-2.0-or-later
// What the per-object codecs share; not part of the netlink layer's interface.
#pragma once

#include <linux/netlink.h>

#include <cstdint>

#include "netlink/codec.hpp"

namespace uplinkd::netlink::detail {

inline uint16_t request_flags(Operation operation) {
  switch (operation) {
    case Operation::add:
      return NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    case Operation::replace:
      return NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    case Operation::remove:
      break;
  }
  return NLM_F_REQUEST | NLM_F_ACK;
}

// The 8-bit table field of rtmsg and fib_rule_hdr; larger ids travel only in RTA_TABLE / FRA_TABLE.
inline uint8_t header_table(uint32_t table) {
  return table < 256 ? static_cast<uint8_t>(table) : 0;
}

inline constexpr uint16_t kDumpFlags = NLM_F_REQUEST | NLM_F_DUMP;

}  // namespace uplinkd::netlink::detail
