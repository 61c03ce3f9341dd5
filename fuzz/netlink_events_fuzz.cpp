// SPDX-License-Identifier: GPL-2.0-or-later
// decode_events() turns a receive buffer of the event socket into typed events, skipping what does not
// decode (monitor.hpp). Whatever the buffer holds, it must return, and never read past the buffer.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "netlink/monitor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // A copy of exactly `size` bytes, aligned as a receive buffer is (operator new[]), so that ASan sees a read
  // past the buffer.
  auto buffer = std::make_unique<char[]>(size);
  std::memcpy(buffer.get(), data, size);
  (void)uplinkd::netlink::decode_events(buffer.get(), size);
  return 0;
}
