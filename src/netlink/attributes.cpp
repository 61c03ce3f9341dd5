// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/attributes.hpp"

#include <libmnl/libmnl.h>

#include <cstring>

namespace uplinkd::netlink {

bool index_attributes(const void* data, size_t length, std::span<const nlattr*> table) {
  for (auto& slot : table) slot = nullptr;
  const char* cursor = static_cast<const char*>(data);
  size_t left = length;
  while (left >= sizeof(nlattr)) {
    const auto* attr = reinterpret_cast<const nlattr*>(cursor);
    if (attr->nla_len < sizeof(nlattr) || attr->nla_len > left) return false;
    const uint16_t type = attr->nla_type & NLA_TYPE_MASK;
    if (type < table.size()) table[type] = attr;
    const size_t step = MNL_ALIGN(attr->nla_len);
    if (step >= left) return true;
    cursor += step;
    left -= step;
  }
  // Fewer bytes than an attribute header left over: the kernel's own nla_parse tolerates this, so do we.
  return true;
}

const void* family_header(const nlmsghdr* message, size_t header_size) {
  if (message->nlmsg_len < MNL_NLMSG_HDRLEN + header_size) return nullptr;
  return mnl_nlmsg_get_payload(message);
}

bool index_message(const nlmsghdr* message, size_t header_size, std::span<const nlattr*> table) {
  if (!family_header(message, header_size)) return false;
  const size_t offset = MNL_NLMSG_HDRLEN + MNL_ALIGN(header_size);
  if (message->nlmsg_len <= offset) {
    for (auto& slot : table) slot = nullptr;
    return true;
  }
  return index_attributes(reinterpret_cast<const char*>(message) + offset, message->nlmsg_len - offset,
                          table);
}

size_t attr_payload_length(const nlattr* attr) {
  return attr->nla_len - MNL_ATTR_HDRLEN;
}
const void* attr_payload(const nlattr* attr) {
  return reinterpret_cast<const char*>(attr) + MNL_ATTR_HDRLEN;
}

template <class T>
static std::optional<T> fixed(const nlattr* attr) {
  if (!attr || attr_payload_length(attr) < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, attr_payload(attr), sizeof value);
  return value;
}

std::optional<uint8_t> attr_u8(const nlattr* attr) {
  return fixed<uint8_t>(attr);
}
std::optional<uint16_t> attr_u16(const nlattr* attr) {
  return fixed<uint16_t>(attr);
}
std::optional<uint32_t> attr_u32(const nlattr* attr) {
  return fixed<uint32_t>(attr);
}

std::optional<std::string> attr_string(const nlattr* attr) {
  if (!attr) return std::nullopt;
  const char* text = static_cast<const char*>(attr_payload(attr));
  return std::string(text, strnlen(text, attr_payload_length(attr)));
}

std::optional<IpAddress> attr_address(const nlattr* attr, Family family) {
  if (!attr) return std::nullopt;
  const size_t expected = family == Family::v4 ? 4 : 16;
  if (attr_payload_length(attr) != expected) return std::nullopt;
  return IpAddress::from_bytes(family, attr_payload(attr));
}

}  // namespace uplinkd::netlink
