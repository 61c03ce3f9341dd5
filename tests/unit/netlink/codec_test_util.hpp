// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the codec tests: literals for addresses, and an encode → decode round trip.
#pragma once

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>

#include <array>
#include <string_view>
#include <vector>

#include "netlink/codec.hpp"

namespace uplinkd::netlink::testing {

inline IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

inline Prefix prefix(std::string_view text) {
  auto value = Prefix::parse(text);
  EXPECT_TRUE(value.has_value()) << text;
  return value.value_or(Prefix{});
}

struct Buffer {
  alignas(nlmsghdr) std::array<char, kMaxRequestSize> bytes{};
  std::span<char> span() { return bytes; }
};

// Appends a raw attribute to an encoded message, as a newer kernel might.
inline void append_attribute(nlmsghdr* message, uint16_t type, const void* data, size_t length) {
  mnl_attr_put(message, type, length, data);
}

// The attributes after a message's family header (libmnl's mnl_attr_for_each does not compile as C++).
inline std::vector<nlattr*> attributes(nlmsghdr* message, size_t header_size) {
  std::vector<nlattr*> found;
  char* cursor = static_cast<char*>(mnl_nlmsg_get_payload_offset(message, header_size));
  char* end = reinterpret_cast<char*>(message) + message->nlmsg_len;
  while (cursor + MNL_ATTR_HDRLEN <= end) {
    auto* attr = reinterpret_cast<nlattr*>(cursor);
    found.push_back(attr);
    cursor += MNL_ALIGN(attr->nla_len);
  }
  return found;
}

inline nlattr* find_attribute(nlmsghdr* message, size_t header_size, uint16_t type) {
  for (nlattr* attr : attributes(message, header_size)) {
    if (mnl_attr_get_type(attr) == type) return attr;
  }
  return nullptr;
}

inline std::vector<nlattr*> nested(const nlattr* nest) {
  std::vector<nlattr*> found;
  char* cursor = static_cast<char*>(mnl_attr_get_payload(nest));
  char* end = reinterpret_cast<char*>(const_cast<nlattr*>(nest)) + nest->nla_len;
  while (cursor + MNL_ATTR_HDRLEN <= end) {
    auto* attr = reinterpret_cast<nlattr*>(cursor);
    found.push_back(attr);
    cursor += MNL_ALIGN(attr->nla_len);
  }
  return found;
}

}  // namespace uplinkd::netlink::testing
