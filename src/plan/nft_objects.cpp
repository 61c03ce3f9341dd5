// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan/nft_objects.hpp"

#include <algorithm>
#include <cstdio>

#include "common/error.hpp"

namespace uplinkd::nft {

std::string hex_mark(uint32_t mark) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", mark);
  return text;
}

std::string quoted_interface(std::string_view name) {
  // Same alphabet as sources/hook_fields.hpp's is_plain_interface_name(): nothing nft would read as syntax.
  bool plain = !name.empty() && name.size() <= 15 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  UPLINKD_ASSERT(plain, "an interface name that is not plain reached the nftables renderer");
  return "\"" + std::string(name) + "\"";
}

}  // namespace uplinkd::nft
