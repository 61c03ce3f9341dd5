// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/mptcp_codec.hpp"

#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include <array>

#include "netlink/attributes.hpp"
#include "netlink/message_writer.hpp"

namespace uplinkd::netlink {

namespace {

// The controller answers version 1 and 2 requests alike; libmnl's and iproute2's resolvers send 1.
constexpr uint8_t kControllerVersion = 1;
constexpr uint16_t kAckFlags = NLM_F_REQUEST | NLM_F_ACK;

// Starts a request of `command` to `family_id` with its genetlink header; the writer fails when it does not
// fit.
MessageWriter start(std::span<char> buffer, uint16_t family_id, uint8_t command, uint8_t version,
                    uint16_t flags) {
  MessageWriter writer(buffer, family_id, flags);
  if (auto* header = writer.put_header<genlmsghdr>()) {
    header->cmd = command;
    header->version = version;
  }
  return writer;
}

const genlmsghdr* genl_header(const nlmsghdr* message) {
  return static_cast<const genlmsghdr*>(family_header(message, sizeof(genlmsghdr)));
}

uint32_t wire_flags(const MptcpEndpoint& endpoint) {
  uint32_t flags = 0;
  if (endpoint.signal) flags |= MPTCP_PM_ADDR_FLAG_SIGNAL;
  if (endpoint.subflow) flags |= MPTCP_PM_ADDR_FLAG_SUBFLOW;
  if (endpoint.backup) flags |= MPTCP_PM_ADDR_FLAG_BACKUP;
  if (endpoint.fullmesh) flags |= MPTCP_PM_ADDR_FLAG_FULLMESH;
  if (endpoint.implicit) flags |= MPTCP_PM_ADDR_FLAG_IMPLICIT;
  return flags;
}

void put_endpoint(MessageWriter& writer, const MptcpEndpoint& endpoint) {
  nlattr* nest = writer.nest_start(MPTCP_PM_ATTR_ADDR);
  writer.put_u16(MPTCP_PM_ADDR_ATTR_FAMILY, static_cast<uint16_t>(to_af(endpoint.address.family())));
  // No id attribute asks the kernel to pick a free one; that is what id 0 means here.
  if (endpoint.id) writer.put_u8(MPTCP_PM_ADDR_ATTR_ID, endpoint.id);
  writer.put_address(
      endpoint.address.family() == Family::v4 ? MPTCP_PM_ADDR_ATTR_ADDR4 : MPTCP_PM_ADDR_ATTR_ADDR6,
      endpoint.address);
  // In host order: the kernel converts it with htons itself.
  if (endpoint.port) writer.put_u16(MPTCP_PM_ADDR_ATTR_PORT, *endpoint.port);
  if (endpoint.ifindex) writer.put_u32(MPTCP_PM_ADDR_ATTR_IF_IDX, endpoint.ifindex);
  writer.put_u32(MPTCP_PM_ADDR_ATTR_FLAGS, wire_flags(endpoint));
  writer.nest_end(nest);
}

std::optional<MptcpEndpoint> read_endpoint(const nlattr* nest) {
  std::array<const nlattr*, MPTCP_PM_ADDR_ATTR_MAX + 1> table{};
  if (!index_attributes(attr_payload(nest), attr_payload_length(nest), table)) return std::nullopt;
  const auto af = attr_u16(table[MPTCP_PM_ADDR_ATTR_FAMILY]);
  const auto family = af ? family_from_af(*af) : std::nullopt;
  const auto id = attr_u8(table[MPTCP_PM_ADDR_ATTR_ID]);
  if (!family || !id) return std::nullopt;
  const auto address = attr_address(
      table[*family == Family::v4 ? MPTCP_PM_ADDR_ATTR_ADDR4 : MPTCP_PM_ADDR_ATTR_ADDR6], *family);
  if (!address) return std::nullopt;

  MptcpEndpoint endpoint;
  endpoint.id = *id;
  endpoint.address = *address;
  // An s32 on the wire; the kernel sends it only when set, and an ifindex is never negative.
  endpoint.ifindex = attr_u32(table[MPTCP_PM_ADDR_ATTR_IF_IDX]).value_or(0);
  // The kernel always sends a port, 0 when the endpoint has none.
  if (const auto port = attr_u16(table[MPTCP_PM_ADDR_ATTR_PORT]); port && *port) endpoint.port = *port;
  // Bits this code does not know (a newer kernel's) are dropped.
  const uint32_t flags = attr_u32(table[MPTCP_PM_ADDR_ATTR_FLAGS]).value_or(0);
  endpoint.signal = flags & MPTCP_PM_ADDR_FLAG_SIGNAL;
  endpoint.subflow = flags & MPTCP_PM_ADDR_FLAG_SUBFLOW;
  endpoint.backup = flags & MPTCP_PM_ADDR_FLAG_BACKUP;
  endpoint.fullmesh = flags & MPTCP_PM_ADDR_FLAG_FULLMESH;
  endpoint.implicit = flags & MPTCP_PM_ADDR_FLAG_IMPLICIT;
  return endpoint;
}

// The top-level attributes of an mptcp_pm message whose command is one of `commands`, or false.
template <size_t N>
bool index_mptcp(const nlmsghdr* message, uint16_t family_id, std::initializer_list<uint8_t> commands,
                 std::array<const nlattr*, N>& table) {
  if (message->nlmsg_type != family_id) return false;
  const genlmsghdr* header = genl_header(message);
  if (!header) return false;
  bool known = false;
  for (const uint8_t command : commands) known |= header->cmd == command;
  return known && index_message(message, sizeof(genlmsghdr), table);
}

}  // namespace

nlmsghdr* encode_genl_family_request(std::span<char> buffer, std::string_view name) {
  MessageWriter writer = start(buffer, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, kControllerVersion, kAckFlags);
  writer.put_string(CTRL_ATTR_FAMILY_NAME, name);
  return writer.finish();
}

std::optional<uint16_t> decode_genl_family_id(const nlmsghdr* message, std::string_view name) {
  if (message->nlmsg_type != GENL_ID_CTRL) return std::nullopt;
  const genlmsghdr* header = genl_header(message);
  if (!header || header->cmd != CTRL_CMD_NEWFAMILY) return std::nullopt;
  std::array<const nlattr*, CTRL_ATTR_MAX + 1> table{};
  if (!index_message(message, sizeof(genlmsghdr), table)) return std::nullopt;
  if (attr_string(table[CTRL_ATTR_FAMILY_NAME]) != name) return std::nullopt;
  const auto id = attr_u16(table[CTRL_ATTR_FAMILY_ID]);
  // Ids below GENL_MIN_ID are netlink's own message types (NLMSG_ERROR, NLMSG_DONE…), never a family's.
  if (!id || *id < GENL_MIN_ID) return std::nullopt;
  return id;
}

nlmsghdr* encode_mptcp_add_endpoint(std::span<char> buffer, uint16_t family_id,
                                    const MptcpEndpoint& endpoint) {
  MessageWriter writer = start(buffer, family_id, MPTCP_PM_CMD_ADD_ADDR, MPTCP_PM_VER, kAckFlags);
  put_endpoint(writer, endpoint);
  return writer.finish();
}

nlmsghdr* encode_mptcp_remove_endpoint(std::span<char> buffer, uint16_t family_id, uint8_t id) {
  if (id == 0) return nullptr;
  MessageWriter writer = start(buffer, family_id, MPTCP_PM_CMD_DEL_ADDR, MPTCP_PM_VER, kAckFlags);
  // Without a family the kernel looks the endpoint up by id alone.
  nlattr* nest = writer.nest_start(MPTCP_PM_ATTR_ADDR);
  writer.put_u8(MPTCP_PM_ADDR_ATTR_ID, id);
  writer.nest_end(nest);
  return writer.finish();
}

nlmsghdr* encode_mptcp_endpoint_dump(std::span<char> buffer, uint16_t family_id) {
  return start(buffer, family_id, MPTCP_PM_CMD_GET_ADDR, MPTCP_PM_VER, NLM_F_REQUEST | NLM_F_DUMP).finish();
}

nlmsghdr* encode_mptcp_flush_endpoints(std::span<char> buffer, uint16_t family_id) {
  return start(buffer, family_id, MPTCP_PM_CMD_FLUSH_ADDRS, MPTCP_PM_VER, kAckFlags).finish();
}

nlmsghdr* encode_mptcp_set_backup(std::span<char> buffer, uint16_t family_id, const MptcpEndpoint& endpoint,
                                  bool backup) {
  if (endpoint.id == 0) return nullptr;
  MessageWriter writer = start(buffer, family_id, MPTCP_PM_CMD_SET_FLAGS, MPTCP_PM_VER, kAckFlags);
  nlattr* nest = writer.nest_start(MPTCP_PM_ATTR_ADDR);
  // No family: with one the kernel would look the endpoint up by address instead of id.
  writer.put_u8(MPTCP_PM_ADDR_ATTR_ID, endpoint.id);
  uint32_t flags = backup ? MPTCP_PM_ADDR_FLAG_BACKUP : 0;
  if (endpoint.fullmesh) flags |= MPTCP_PM_ADDR_FLAG_FULLMESH;
  writer.put_u32(MPTCP_PM_ADDR_ATTR_FLAGS, flags);
  writer.nest_end(nest);
  return writer.finish();
}

nlmsghdr* encode_mptcp_set_limits(std::span<char> buffer, uint16_t family_id, const MptcpLimits& limits) {
  MessageWriter writer = start(buffer, family_id, MPTCP_PM_CMD_SET_LIMITS, MPTCP_PM_VER, kAckFlags);
  writer.put_u32(MPTCP_PM_ATTR_RCV_ADD_ADDRS, limits.add_addr_accepted);
  writer.put_u32(MPTCP_PM_ATTR_SUBFLOWS, limits.subflows);
  return writer.finish();
}

nlmsghdr* encode_mptcp_get_limits(std::span<char> buffer, uint16_t family_id) {
  return start(buffer, family_id, MPTCP_PM_CMD_GET_LIMITS, MPTCP_PM_VER, kAckFlags).finish();
}

std::optional<MptcpEndpoint> decode_mptcp_endpoint(const nlmsghdr* message, uint16_t family_id) {
  std::array<const nlattr*, MPTCP_PM_ATTR_MAX + 1> table{};
  if (!index_mptcp(message, family_id, {MPTCP_PM_CMD_GET_ADDR, MPTCP_PM_CMD_ADD_ADDR}, table))
    return std::nullopt;
  if (!table[MPTCP_PM_ATTR_ADDR]) return std::nullopt;
  return read_endpoint(table[MPTCP_PM_ATTR_ADDR]);
}

std::optional<MptcpLimits> decode_mptcp_limits(const nlmsghdr* message, uint16_t family_id) {
  std::array<const nlattr*, MPTCP_PM_ATTR_MAX + 1> table{};
  if (!index_mptcp(message, family_id, {MPTCP_PM_CMD_GET_LIMITS, MPTCP_PM_CMD_SET_LIMITS}, table))
    return std::nullopt;
  const auto accepted = attr_u32(table[MPTCP_PM_ATTR_RCV_ADD_ADDRS]);
  const auto subflows = attr_u32(table[MPTCP_PM_ATTR_SUBFLOWS]);
  if (!accepted || !subflows) return std::nullopt;
  return MptcpLimits{*subflows, *accepted};
}

}  // namespace uplinkd::netlink
