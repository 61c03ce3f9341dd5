// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/message_writer.hpp"

#include <libmnl/libmnl.h>

#include <cstring>
#include <string>

namespace uplinkd::netlink {

MessageWriter::MessageWriter(std::span<char> buffer, uint16_t type, uint16_t flags)
    : capacity_(buffer.size()) {
  if (capacity_ < MNL_NLMSG_HDRLEN) return;
  std::memset(buffer.data(), 0, MNL_NLMSG_HDRLEN);
  header_ = mnl_nlmsg_put_header(buffer.data());
  header_->nlmsg_type = type;
  header_->nlmsg_flags = flags;
  ok_ = true;
}

void* MessageWriter::reserve(size_t length) {
  if (!ok_ || header_->nlmsg_len + MNL_ALIGN(length) > capacity_) {
    ok_ = false;
    return nullptr;
  }
  void* room = mnl_nlmsg_get_payload_tail(header_);
  std::memset(room, 0, MNL_ALIGN(length));
  header_->nlmsg_len += MNL_ALIGN(length);
  return room;
}

char* MessageWriter::tail() const {
  return header_ ? static_cast<char*>(mnl_nlmsg_get_payload_tail(header_)) : nullptr;
}

void MessageWriter::put(uint16_t type, const void* data, size_t length) {
  if (ok_) ok_ = mnl_attr_put_check(header_, capacity_, type, length, data);
}

void MessageWriter::put_string(uint16_t type, std::string_view text) {
  const std::string terminated(text);
  put(type, terminated.c_str(), terminated.size() + 1);
}

nlattr* MessageWriter::nest_start(uint16_t type) {
  if (!ok_) return nullptr;
  nlattr* nest = mnl_attr_nest_start_check(header_, capacity_, type);
  if (!nest) ok_ = false;
  return nest;
}

void MessageWriter::nest_end(nlattr* nest) {
  if (ok_ && nest) mnl_attr_nest_end(header_, nest);
}

}  // namespace uplinkd::netlink
