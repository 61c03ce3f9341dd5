// SPDX-License-Identifier: GPL-2.0-or-later
// Bounded construction of one netlink message in a caller's buffer. Every put is checked against the buffer,
// so an object too big for it yields nullptr from finish() instead of a message cut short.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/ip.hpp"

namespace uplinkd::netlink {

class MessageWriter {
 public:
  MessageWriter(std::span<char> buffer, uint16_t type, uint16_t flags);

  // The family header (rtmsg, fib_rule_hdr, nhmsg…), zeroed; nullptr when it does not fit.
  template <class Header>
  Header* put_header() {
    return static_cast<Header*>(reserve(sizeof(Header)));
  }

  void put(uint16_t type, const void* data, size_t length);
  void put_u8(uint16_t type, uint8_t value) { put(type, &value, sizeof value); }
  void put_u16(uint16_t type, uint16_t value) { put(type, &value, sizeof value); }
  void put_u32(uint16_t type, uint32_t value) { put(type, &value, sizeof value); }
  void put_flag(uint16_t type) { put(type, nullptr, 0); }
  void put_string(uint16_t type, std::string_view text);  // NUL-terminated, as the kernel's NLA_STRING wants
  void put_address(uint16_t type, const IpAddress& address) { put(type, address.data(), address.size()); }

  nlattr* nest_start(uint16_t type);
  void nest_end(nlattr* nest);

  // Zeroed, aligned room at the end of the message (for structs that sit between attributes, e.g. rtnexthop).
  void* reserve(size_t length);
  // Where the next byte goes; lets a caller measure what it wrote since.
  char* tail() const;

  nlmsghdr* finish() const { return ok_ ? header_ : nullptr; }

 private:
  nlmsghdr* header_ = nullptr;
  size_t capacity_ = 0;
  bool ok_ = false;
};

}  // namespace uplinkd::netlink
