// SPDX-License-Identifier: GPL-2.0-or-later
// Dumps one nftables table over NETLINK_NETFILTER: its chains, rules and sets, never its sets' elements.
// libnftables 1.0.6 fetches every element of every set for any listing (0.6 s for a table whose sticky map
// holds 65,000 sources, even with --terse), so the reconciliation reads the table itself.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "netlink/nftables_objects.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace uplinkd::netlink {

class NftablesSocket {
 public:
  static Expected<NftablesSocket> open();

  NftablesSocket(NftablesSocket&& other) noexcept;
  NftablesSocket& operator=(NftablesSocket&& other) noexcept;
  NftablesSocket(const NftablesSocket&) = delete;
  NftablesSocket& operator=(const NftablesSocket&) = delete;
  ~NftablesSocket();

  // `family` is an NFPROTO_* value (NFPROTO_INET for uplinkd's table). nullopt: there is no such table.
  // Retried when a concurrent change interrupts the dump.
  Expected<std::optional<NftTableDump>> dump_table(uint8_t family, const std::string& table);

 private:
  explicit NftablesSocket(mnl_socket* socket);
  // One dump of message type `type` (NFT_MSG_GET*) for `family`; `each` gets every reply message. Returns
  // true when the kernel flagged the dump as interrupted.
  Expected<bool> dump(uint16_t type, uint8_t family, const std::string& table, uint16_t table_attribute,
                      const std::function<void(const nlmsghdr*)>& each);

  mnl_socket* socket_ = nullptr;
  uint32_t port_ = 0;
  uint32_t sequence_ = 0;
  std::vector<char> buffer_;
};

}  // namespace uplinkd::netlink
