// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply/conntrack_cleanup.hpp"

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <optional>

// What it costs. One netlink dump of the conntrack table of the address's family, and one delete (a request
// and its ack) per matching entry. The kernel filters the dump down to source-NATed entries
// (NFCT_FILTER_DUMP_STATUS, honoured since Linux 5.15; older kernels ignore it and send every entry, which
// the predicate then skips). libnetfilter-conntrack 1.0.9 (Debian 12) cannot ask the kernel to filter on the
// reply tuple's address as well (1.1.0 can: NFCT_FILTER_DUMP_TUPLE), so the other uplinks' NATed entries
// still cross the socket and are parsed here. CPU time measured with conntrack_check on a 2-vCPU VM (perf
// stat): about 0.25 µs per entry the kernel skips, 2.2 µs per other uplink's NATed entry, 6.5 µs per deleted
// entry; 225 ms for a table of 160,000 entries (100,000 not NATed, 50,000 NATed to other uplinks, 10,000
// deleted). It shares nothing with its caller (its own sockets, no state kept), so the daemon runs it on a
// worker thread (daemon/conntrack_sweeper.hpp) and its event loop does not stall for that long.

namespace uplinkd {

bool nated_into(const ConntrackAddresses& entry, const Prefix& prefix) {
  return prefix.contains(entry.reply_destination) && entry.original_source != entry.reply_destination;
}

namespace {

struct HandleCloser {
  void operator()(nfct_handle* handle) const { nfct_close(handle); }
};
using Handle = std::unique_ptr<nfct_handle, HandleCloser>;

struct FilterDestroyer {
  void operator()(nfct_filter_dump* filter) const { nfct_filter_dump_destroy(filter); }
};

IpAddress attribute_address(const nf_conntrack* entry, Family family, nf_conntrack_attr v4,
                            nf_conntrack_attr v6) {
  const void* bytes = nfct_get_attr(entry, family == Family::v4 ? v4 : v6);
  return bytes ? IpAddress::from_bytes(family, bytes) : IpAddress::any(family);
}

ConntrackAddresses addresses_of(const nf_conntrack* entry, Family family) {
  return ConntrackAddresses{
      .original_source = attribute_address(entry, family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC),
      .original_destination = attribute_address(entry, family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST),
      .reply_source = attribute_address(entry, family, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC),
      .reply_destination = attribute_address(entry, family, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST),
  };
}

struct EntryDestroyer {
  void operator()(nf_conntrack* entry) const { nfct_destroy(entry); }
};

// The lookup key for deleting `entry`: its REPLY tuple, given as the tuple to find (the kernel's lookup
// matches either direction). By the ORIGINAL tuple, the delete would hit whatever entry has it now: once a
// dead uplink's masqueraded entry is gone (the kernel kills one whose packet leaves by another interface),
// the flow's next packet makes a new entry with the same original tuple, NATed to a live uplink — and
// libnetfilter-conntrack sends no CTA_ID with a delete. The reply tuple holds the NATed address, so it can
// only match an entry NATed to it. Null for protocols without ports (ICMP): those keep the original tuple.
std::unique_ptr<nf_conntrack, EntryDestroyer> reply_key(const nf_conntrack* entry) {
  const uint8_t l4 = nfct_get_attr_u8(entry, ATTR_REPL_L4PROTO);
  if (!nfct_attr_is_set(entry, ATTR_REPL_PORT_SRC) || !nfct_attr_is_set(entry, ATTR_REPL_PORT_DST))
    return nullptr;
  std::unique_ptr<nf_conntrack, EntryDestroyer> key(nfct_new());
  if (!key) return nullptr;
  const uint8_t l3 = nfct_get_attr_u8(entry, ATTR_L3PROTO);
  nfct_set_attr_u8(key.get(), ATTR_L3PROTO, l3);
  nfct_set_attr_u8(key.get(), ATTR_L4PROTO, l4);
  if (l3 == AF_INET) {
    nfct_set_attr_u32(key.get(), ATTR_IPV4_SRC, nfct_get_attr_u32(entry, ATTR_REPL_IPV4_SRC));
    nfct_set_attr_u32(key.get(), ATTR_IPV4_DST, nfct_get_attr_u32(entry, ATTR_REPL_IPV4_DST));
  } else {
    nfct_set_attr(key.get(), ATTR_IPV6_SRC, nfct_get_attr(entry, ATTR_REPL_IPV6_SRC));
    nfct_set_attr(key.get(), ATTR_IPV6_DST, nfct_get_attr(entry, ATTR_REPL_IPV6_DST));
  }
  nfct_set_attr_u16(key.get(), ATTR_PORT_SRC, nfct_get_attr_u16(entry, ATTR_REPL_PORT_SRC));
  nfct_set_attr_u16(key.get(), ATTR_PORT_DST, nfct_get_attr_u16(entry, ATTR_REPL_PORT_DST));
  if (nfct_attr_is_set(entry, ATTR_ZONE))
    nfct_set_attr_u16(key.get(), ATTR_ZONE, nfct_get_attr_u16(entry, ATTR_ZONE));
  return key;
}

struct Sweep {
  Prefix prefix;
  nfct_handle* deleter;  // a second socket: the dump's socket is busy until the dump ends
  size_t examined = 0;
  size_t deleted = 0;
  std::optional<KernelError> error;
};

int on_entry(nf_conntrack_msg_type, nf_conntrack* entry, void* data) {
  auto& sweep = *static_cast<Sweep*>(data);
  ++sweep.examined;
  const Family family = sweep.prefix.family();
  if (nfct_get_attr_u8(entry, ATTR_L3PROTO) != to_af(family)) return NFCT_CB_CONTINUE;
  const auto addresses = addresses_of(entry, family);
  if (!nated_into(addresses, sweep.prefix)) return NFCT_CB_CONTINUE;
  auto key = reply_key(entry);
  if (nfct_query(sweep.deleter, NFCT_Q_DESTROY, key ? key.get() : entry) == 0) {
    ++sweep.deleted;
    return NFCT_CB_CONTINUE;
  }
  if (errno == ENOENT) return NFCT_CB_CONTINUE;  // it ended or expired since the dump read it
  sweep.error = KernelError{"delete conntrack entry " + addresses.original_source.to_string() + " -> " +
                                addresses.original_destination.to_string() + " (NATed to " +
                                addresses.reply_destination.to_string() + ")",
                            errno,
                            {}};
  return NFCT_CB_STOP;
}

// "NATed to 100.64.1.10", "NATed into 2001:db8:1::/64".
std::string describe(const Prefix& prefix) {
  if (prefix.length == prefix.max_length()) return "conntrack entries NATed to " + prefix.address.to_string();
  return "conntrack entries NATed into " + prefix.to_string();
}

}  // namespace

Expected<size_t> delete_nated_conntrack(const Prefix& prefix) {
  const std::string what = describe(prefix);
  Handle dumper(nfct_open(CONNTRACK, 0));
  if (!dumper) return KernelError{"open conntrack netlink socket to delete " + what, errno, {}};
  Handle deleter(nfct_open(CONNTRACK, 0));
  if (!deleter) return KernelError{"open conntrack netlink socket to delete " + what, errno, {}};

  std::unique_ptr<nfct_filter_dump, FilterDestroyer> filter(nfct_filter_dump_create());
  if (!filter) return KernelError{"dump " + what, ENOMEM, {}};
  nfct_filter_dump_set_attr_u8(filter.get(), NFCT_FILTER_DUMP_L3NUM,
                               static_cast<uint8_t>(to_af(prefix.family())));
  const nfct_filter_dump_mark source_nated{.val = IPS_SRC_NAT, .mask = IPS_SRC_NAT};
  nfct_filter_dump_set_attr(filter.get(), NFCT_FILTER_DUMP_STATUS, &source_nated);

  Sweep sweep{.prefix = prefix.network(), .deleter = deleter.get(), .examined = 0, .deleted = 0, .error = {}};
  if (nfct_callback_register(dumper.get(), NFCT_T_ALL, on_entry, &sweep) < 0)
    return KernelError{"dump " + what, errno, "callback registration"};
  const int result = nfct_query(dumper.get(), NFCT_Q_DUMP_FILTER, filter.get());
  const int dump_errno = errno;
  spdlog::debug("{}: examined {} source-NATed entries, deleted {}", what, sweep.examined, sweep.deleted);
  if (sweep.error) {
    sweep.error->detail = "after deleting " + std::to_string(sweep.deleted);
    return *sweep.error;
  }
  if (result < 0)
    return KernelError{"dump " + what, dump_errno, "after deleting " + std::to_string(sweep.deleted)};
  return sweep.deleted;
}

}  // namespace uplinkd
