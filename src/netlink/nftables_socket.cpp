// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/nftables_socket.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "netlink/nftables_attributes.hpp"

namespace uplinkd::netlink {

namespace {

constexpr size_t kReceiveBufferSize = 65536;
constexpr int kDumpAttempts = 5;

std::string bytes(const nlattr* attribute) {
  if (!attribute) return {};
  return std::string(static_cast<const char*>(mnl_attr_get_payload(attribute)),
                     mnl_attr_get_payload_len(attribute));
}

uint32_t be32(const nlattr* attribute) {
  return attribute && mnl_attr_get_payload_len(attribute) >= 4 ? ntohl(mnl_attr_get_u32(attribute)) : 0;
}

uint64_t be64(const nlattr* attribute) {
  return attribute && mnl_attr_get_payload_len(attribute) >= 8 ? be64toh(mnl_attr_get_u64(attribute)) : 0;
}

}  // namespace

Expected<NftablesSocket> NftablesSocket::open() {
  mnl_socket* socket = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!socket) return KernelError{"open nftables socket", errno, ""};
  NftablesSocket result(socket);
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0)
    return KernelError{"bind nftables socket", errno, ""};
  result.port_ = mnl_socket_get_portid(socket);
  // A kernel that never answers must not hang the daemon's loop.
  timeval timeout{5, 0};
  setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return result;
}

NftablesSocket::NftablesSocket(mnl_socket* socket) : socket_(socket), buffer_(kReceiveBufferSize) {}

NftablesSocket::NftablesSocket(NftablesSocket&& other) noexcept
    : socket_(std::exchange(other.socket_, nullptr)),
      port_(other.port_),
      sequence_(other.sequence_),
      buffer_(std::move(other.buffer_)) {}

NftablesSocket& NftablesSocket::operator=(NftablesSocket&& other) noexcept {
  if (this != &other) {
    if (socket_) mnl_socket_close(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
    port_ = other.port_;
    sequence_ = other.sequence_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

NftablesSocket::~NftablesSocket() {
  if (socket_) mnl_socket_close(socket_);
}

Expected<bool> NftablesSocket::dump(uint16_t type, uint8_t family, const std::string& table,
                                    uint16_t table_attribute,
                                    const std::function<void(const nlmsghdr*)>& each) {
  const std::string what = "dump nftables table " + table;
  char request[256];
  nlmsghdr* header = mnl_nlmsg_put_header(request);
  header->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
  header->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header->nlmsg_seq = ++sequence_;
  auto* message = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(header, sizeof(nfgenmsg)));
  message->nfgen_family = family;
  message->version = NFNETLINK_V0;
  message->res_id = 0;
  // The kernel narrows rule and set dumps to the table; chains and tables are filtered below in any case.
  if (table_attribute) mnl_attr_put_strz(header, table_attribute, table.c_str());
  if (mnl_socket_sendto(socket_, header, header->nlmsg_len) < 0) return KernelError{what, errno, ""};
  bool interrupted = false;
  for (;;) {
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (received < 0) return KernelError{what, errno, ""};
    int left = static_cast<int>(received);
    for (auto* reply = reinterpret_cast<const nlmsghdr*>(buffer_.data()); mnl_nlmsg_ok(reply, left);
         reply = mnl_nlmsg_next(reply, &left)) {
      if (reply->nlmsg_seq != header->nlmsg_seq || reply->nlmsg_pid != port_) continue;
      if (reply->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      if (reply->nlmsg_type == NLMSG_DONE) return interrupted;
      if (reply->nlmsg_type == NLMSG_ERROR) {
        if (reply->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) return KernelError{what, EBADMSG, ""};
        const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
        if (error->error == 0) continue;
        return KernelError{what, -error->error, ""};
      }
      each(reply);
    }
  }
}

Expected<std::optional<NftTableDump>> NftablesSocket::dump_table(uint8_t family, const std::string& table) {
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    bool exists = false;
    NftTableDump dump;
    bool interrupted = false;
    auto run = [&](uint16_t type, uint16_t table_attribute, size_t max,
                   const std::function<void(const NftAttributes&)>& each) -> std::optional<KernelError> {
      auto result = this->dump(type, family, table, table_attribute, [&](const nlmsghdr* reply) {
        const auto attributes = nftables_attributes(reply, max);
        // Every nftables object names its table in attribute 1 (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, ...).
        if (attributes.size() > 1 && attributes[1] && mnl_attr_get_str(attributes[1]) == table)
          each(attributes);
      });
      if (!result) return result.error();
      interrupted |= *result;
      return std::nullopt;
    };
    if (auto error = run(NFT_MSG_GETTABLE, 0, NFTA_TABLE_MAX, [&](const NftAttributes&) { exists = true; }))
      return *error;
    if (!exists) return std::optional<NftTableDump>();
    auto chain_named = [&](const std::string& name) -> NftChainDump* {
      for (auto& chain : dump.chains)
        if (chain.name == name) return &chain;
      return nullptr;
    };
    if (auto error = run(NFT_MSG_GETCHAIN, 0, NFTA_CHAIN_MAX, [&](const NftAttributes& a) {
          if (!a[NFTA_CHAIN_NAME]) return;
          NftChainDump chain{mnl_attr_get_str(a[NFTA_CHAIN_NAME]), {}, {}};
          chain.definition = bytes(a[NFTA_CHAIN_HOOK]) + "|" + bytes(a[NFTA_CHAIN_TYPE]) + "|" +
                             std::to_string(be32(a[NFTA_CHAIN_POLICY]));
          dump.chains.push_back(std::move(chain));
        }))
      return *error;
    if (auto error = run(NFT_MSG_GETRULE, NFTA_RULE_TABLE, NFTA_RULE_MAX, [&](const NftAttributes& a) {
          if (!a[NFTA_RULE_CHAIN]) return;
          // Rules are dumped chain by chain, in their order within the chain.
          if (auto* chain = chain_named(mnl_attr_get_str(a[NFTA_RULE_CHAIN])))
            chain->rules.push_back(bytes(a[NFTA_RULE_EXPRESSIONS]));
        }))
      return *error;
    if (auto error = run(NFT_MSG_GETSET, NFTA_SET_TABLE, NFTA_SET_MAX, [&](const NftAttributes& a) {
          const uint32_t flags = be32(a[NFTA_SET_FLAGS]);
          if (!a[NFTA_SET_NAME] || (flags & NFT_SET_ANONYMOUS)) return;
          dump.sets.push_back(NftSetDump{mnl_attr_get_str(a[NFTA_SET_NAME]), flags, be64(a[NFTA_SET_TIMEOUT]),
                                         be32(a[NFTA_SET_KEY_LEN]), be32(a[NFTA_SET_DATA_LEN])});
        }))
      return *error;
    if (!interrupted) return std::optional<NftTableDump>(std::move(dump));
  }
  return KernelError{"dump nftables table " + table, EINTR, "the dump was interrupted by changes every time"};
}

}  // namespace uplinkd::netlink
