// SPDX-License-Identifier: GPL-2.0-or-later
// Follows nftables' change events (NFNLGRP_NFTABLES) on a NETLINK_NETFILTER socket of its own, to tell when
// another program changed or removed one table (a `flush ruleset`, a firewall manager's reload). Each
// transaction ends with an NFT_MSG_NEWGEN event that names the process that committed it, so uplinkd's own
// transactions (their echo) are told apart from everyone else's.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"

struct mnl_socket;

namespace uplinkd::netlink {

// Whether the events in `data` change table `family table`, by a process other than `self`; element
// changes (a sticky source added by hand) are not changes of the table. Pure, for the tests and the fuzzer;
// `open` carries a transaction whose end (its NEWGEN) was not in this read over to the next one.
struct NftablesWatch {
  uint8_t family = 0;
  std::string table;
  pid_t self = 0;
  bool open = false;  // the current transaction touched the table; its NEWGEN is still to come
};
bool changed_by_others(NftablesWatch& watch, const void* data, size_t length);

class NftablesMonitor {
 public:
  static Expected<NftablesMonitor> open(uint8_t family, std::string table);

  NftablesMonitor(NftablesMonitor&& other) noexcept;
  NftablesMonitor& operator=(NftablesMonitor&& other) noexcept;
  NftablesMonitor(const NftablesMonitor&) = delete;
  NftablesMonitor& operator=(const NftablesMonitor&) = delete;
  ~NftablesMonitor();

  // Non-blocking; wait until readable (Asio), then read_pending().
  int fd() const;
  // Reads every pending event: true when another process changed the table. An overrun (events lost) is
  // true as well: the table may have changed, and a check costs little.
  Expected<bool> read_pending();

 private:
  explicit NftablesMonitor(mnl_socket* socket) : socket_(socket), buffer_(65536) {}

  mnl_socket* socket_ = nullptr;
  NftablesWatch watch_;
  std::vector<char> buffer_;
};

}  // namespace uplinkd::netlink
