// SPDX-License-Identifier: GPL-2.0-or-later
// MPTCP endpoints and limits to generic netlink messages of the "mptcp_pm" family and back, the way codec.hpp
// does it for rtnetlink: encoders write one request into a caller's buffer and return it, or nullptr when it
// does not fit; the caller sets nlmsg_seq. Decoders return nullopt for a message of another family or command
// or one that is malformed, and ignore attributes they do not know (a newer kernel's).
//
// A generic netlink family has no fixed message type: the kernel hands out ids at boot, so "mptcp_pm" is
// resolved by name through the controller (GENL_ID_CTRL) first, and that id is every request's nlmsg_type.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "netlink/mptcp_objects.hpp"

namespace uplinkd::netlink {

inline constexpr std::string_view kMptcpFamilyName = "mptcp_pm";  // MPTCP_PM_NAME

// CTRL_CMD_GETFAMILY for `name`, and the family id from the controller's CTRL_CMD_NEWFAMILY reply (nullopt
// for a reply about another family).
nlmsghdr* encode_genl_family_request(std::span<char> buffer, std::string_view name);
std::optional<uint16_t> decode_genl_family_id(const nlmsghdr* message, std::string_view name);

// Every request but the dump asks for an ack; GET_LIMITS's reply comes before it.
nlmsghdr* encode_mptcp_add_endpoint(std::span<char> buffer, uint16_t family_id,
                                    const MptcpEndpoint& endpoint);
// By id alone. nullptr for id 0: the kernel reads "remove id 0" as "the address of every connection's first
// subflow", which is no endpoint.
nlmsghdr* encode_mptcp_remove_endpoint(std::span<char> buffer, uint16_t family_id, uint8_t id);
nlmsghdr* encode_mptcp_endpoint_dump(std::span<char> buffer, uint16_t family_id);
nlmsghdr* encode_mptcp_flush_endpoints(std::span<char> buffer, uint16_t family_id);
// SET_FLAGS by the endpoint's id. The kernel takes backup and fullmesh from the same flags word, so the
// endpoint's fullmesh travels along: a request with backup alone would clear it (`ip mptcp endpoint change id
// N backup` does). nullptr for id 0 (the kernel refuses it: "missing address ID").
nlmsghdr* encode_mptcp_set_backup(std::span<char> buffer, uint16_t family_id, const MptcpEndpoint& endpoint,
                                  bool backup);
nlmsghdr* encode_mptcp_set_limits(std::span<char> buffer, uint16_t family_id, const MptcpLimits& limits);
nlmsghdr* encode_mptcp_get_limits(std::span<char> buffer, uint16_t family_id);

// One endpoint of a GET_ADDR dump or reply (an ADD_ADDR request is read back the same way). Needs the family,
// the address of that family's size and the id.
std::optional<MptcpEndpoint> decode_mptcp_endpoint(const nlmsghdr* message, uint16_t family_id);
// GET_LIMITS's reply (or a SET_LIMITS request); needs both limits.
std::optional<MptcpLimits> decode_mptcp_limits(const nlmsghdr* message, uint16_t family_id);

}  // namespace uplinkd::netlink
