// SPDX-License-Identifier: GPL-2.0-or-later
// Reading attributes out of a received message without trusting its lengths: the kernel's messages are
// well formed, but the codec is also fed by tests and must reject what is cut short rather than read past it.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/ip.hpp"

namespace uplinkd::netlink {

// Indexes the attributes in [data, data+length) by type into `table` (types beyond it are skipped: a newer
// kernel's additions). False when an attribute claims more bytes than are left.
bool index_attributes(const void* data, size_t length, std::span<const nlattr*> table);

// The attributes after a message's family header of `header_size` bytes; false when the message is shorter
// than that header or an attribute is truncated.
bool index_message(const nlmsghdr* message, size_t header_size, std::span<const nlattr*> table);

// The family header, or nullptr when the message is too short to hold it.
const void* family_header(const nlmsghdr* message, size_t header_size);

std::optional<uint8_t> attr_u8(const nlattr* attr);
std::optional<uint16_t> attr_u16(const nlattr* attr);
std::optional<uint32_t> attr_u32(const nlattr* attr);
std::optional<std::string> attr_string(const nlattr* attr);
// An address of exactly the family's size.
std::optional<IpAddress> attr_address(const nlattr* attr, Family family);
size_t attr_payload_length(const nlattr* attr);
const void* attr_payload(const nlattr* attr);

}  // namespace uplinkd::netlink
