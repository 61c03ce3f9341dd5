// SPDX-License-Identifier: GPL-2.0-or-later
// The per-object netlink decoders (codec.hpp) read what arrives on the event socket. The kernel's messages
// are well formed, but the decoders promise more: a malformed message is nullopt, never a read past its end.
//
// The bytes are a receive buffer. It is cut into messages here, trusting only what a receive buffer
// guarantees (each nlmsg_len fits what is left), and each message is copied into an allocation of exactly
// nlmsg_len bytes and given to every decoder (each must refuse the kinds it does not decode), so that
// AddressSanitizer sees any read past nlmsg_len. decode_events(), which cuts the buffer itself, has its own
// target: netlink_events_fuzz.
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "netlink/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace nl = uplinkd::netlink;
  size_t offset = 0;
  while (size - offset >= sizeof(nlmsghdr)) {
    uint32_t length;
    std::memcpy(&length, data + offset, sizeof length);
    if (length < sizeof(nlmsghdr) || length > size - offset) break;
    // operator new[] aligns for any fundamental type, as a receive buffer is aligned.
    auto message = std::make_unique<char[]>(length);
    std::memcpy(message.get(), data + offset, length);
    const auto* header = reinterpret_cast<const nlmsghdr*>(message.get());
    (void)nl::decode_link(header);
    (void)nl::decode_address(header);
    (void)nl::decode_route(header);
    (void)nl::decode_rule(header);
    (void)nl::decode_nexthop(header);
    const size_t step = NLMSG_ALIGN(length);
    if (step >= size - offset) break;
    offset += step;
  }
  return 0;
}
