// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/nftables_attributes.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

namespace uplinkd::netlink {

NftAttributes nftables_attributes(const nlmsghdr* message, size_t max) {
  NftAttributes attributes(max + 1, nullptr);
  if (message->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg))) return attributes;
  mnl_attr_parse(
      message, sizeof(nfgenmsg),
      [](const nlattr* attribute, void* data) {
        auto& found = *static_cast<NftAttributes*>(data);
        const size_t type = mnl_attr_get_type(attribute);
        if (type < found.size()) found[type] = attribute;
        return MNL_CB_OK;
      },
      &attributes);
  return attributes;
}

}  // namespace uplinkd::netlink
