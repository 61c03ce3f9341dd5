// SPDX-License-Identifier: GPL-2.0-or-later
// The mptcp_pm codec: the bytes of every request, endpoints and limits read back from requests and from
// replies shaped as the kernel sends them, and messages that are cut short, corrupt or not ours.
#include "netlink/mptcp_codec.hpp"

#include <gmock/gmock.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>

#include "codec_test_util.hpp"
#include "netlink/message_writer.hpp"

namespace uplinkd::netlink {
namespace {

using testing::Buffer;
using testing::ip;
using testing::nested;

constexpr uint16_t kFamily = 0x1d;  // what the controller hands out is arbitrary; any id ≥ GENL_MIN_ID

MptcpEndpoint endpoint(const char* address, uint8_t id, uint32_t ifindex) {
  MptcpEndpoint e;
  e.address = ip(address);
  e.id = id;
  e.ifindex = ifindex;
  e.subflow = true;
  return e;
}

std::vector<MptcpEndpoint> cases() {
  std::vector<MptcpEndpoint> all;
  all.push_back(endpoint("100.64.1.10", 201, 3));
  auto backup = endpoint("100.64.2.10", 202, 4);
  backup.backup = true;
  all.push_back(backup);
  all.push_back(endpoint("2001:db8:1::10", 203, 3));
  auto fullmesh = endpoint("2001:db8:2::10", 255, 0);
  fullmesh.fullmesh = true;
  fullmesh.backup = true;
  all.push_back(fullmesh);
  MptcpEndpoint signal;
  signal.address = ip("198.51.100.7");
  signal.id = 1;
  signal.signal = true;
  signal.port = 10000;
  all.push_back(signal);
  MptcpEndpoint implicit;
  implicit.address = ip("100.64.1.99");
  implicit.id = 7;
  implicit.implicit = true;
  all.push_back(implicit);
  return all;
}

const genlmsghdr* genl(const nlmsghdr* message) {
  return static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(message));
}

std::vector<nlattr*> top(nlmsghdr* message) {
  return testing::attributes(message, sizeof(genlmsghdr));
}

// What the kernel's mptcp_nl_fill_addr writes, in its order: family, port (0 without one), id, flags, ifindex
// (only when set), the address; in a GET_ADDR message flagged NLM_F_MULTI, as a dump's parts are.
nlmsghdr* kernel_reply(std::span<char> buffer, const MptcpEndpoint& e, uint32_t extra_flags = 0) {
  MessageWriter writer(buffer, kFamily, NLM_F_MULTI);
  auto* header = writer.put_header<genlmsghdr>();
  header->cmd = MPTCP_PM_CMD_GET_ADDR;
  header->version = MPTCP_PM_VER;
  nlattr* nest = writer.nest_start(MPTCP_PM_ATTR_ADDR);
  writer.put_u16(MPTCP_PM_ADDR_ATTR_FAMILY, static_cast<uint16_t>(to_af(e.address.family())));
  writer.put_u16(MPTCP_PM_ADDR_ATTR_PORT, e.port.value_or(0));
  writer.put_u8(MPTCP_PM_ADDR_ATTR_ID, e.id);
  uint32_t flags = extra_flags;
  if (e.signal) flags |= MPTCP_PM_ADDR_FLAG_SIGNAL;
  if (e.subflow) flags |= MPTCP_PM_ADDR_FLAG_SUBFLOW;
  if (e.backup) flags |= MPTCP_PM_ADDR_FLAG_BACKUP;
  if (e.fullmesh) flags |= MPTCP_PM_ADDR_FLAG_FULLMESH;
  if (e.implicit) flags |= MPTCP_PM_ADDR_FLAG_IMPLICIT;
  writer.put_u32(MPTCP_PM_ADDR_ATTR_FLAGS, flags);
  if (e.ifindex) writer.put_u32(MPTCP_PM_ADDR_ATTR_IF_IDX, e.ifindex);
  writer.put_address(e.address.family() == Family::v4 ? MPTCP_PM_ADDR_ATTR_ADDR4 : MPTCP_PM_ADDR_ATTR_ADDR6,
                     e.address);
  writer.nest_end(nest);
  return writer.finish();
}

nlmsghdr* limits_reply(std::span<char> buffer, uint16_t family, uint8_t command,
                       std::optional<uint32_t> accepted, std::optional<uint32_t> subflows) {
  MessageWriter writer(buffer, family, 0);
  auto* header = writer.put_header<genlmsghdr>();
  header->cmd = command;
  header->version = MPTCP_PM_VER;
  if (accepted) writer.put_u32(MPTCP_PM_ATTR_RCV_ADD_ADDRS, *accepted);
  if (subflows) writer.put_u32(MPTCP_PM_ATTR_SUBFLOWS, *subflows);
  return writer.finish();
}

// The controller's answer about `name`: id and name among attributes the decoder does not read.
nlmsghdr* family_reply(std::span<char> buffer, std::string_view name, std::optional<uint16_t> id,
                       uint8_t command = CTRL_CMD_NEWFAMILY) {
  MessageWriter writer(buffer, GENL_ID_CTRL, 0);
  auto* header = writer.put_header<genlmsghdr>();
  header->cmd = command;
  header->version = 2;
  writer.put_string(CTRL_ATTR_FAMILY_NAME, name);
  if (id) writer.put_u16(CTRL_ATTR_FAMILY_ID, *id);
  writer.put_u32(CTRL_ATTR_VERSION, 1);
  writer.put_u32(CTRL_ATTR_HDRSIZE, 0);
  writer.put_u32(CTRL_ATTR_MAXATTR, MPTCP_PM_ATTR_MAX);
  nlattr* ops = writer.nest_start(CTRL_ATTR_OPS);
  nlattr* op = writer.nest_start(1);
  writer.put_u32(CTRL_ATTR_OP_ID, MPTCP_PM_CMD_ADD_ADDR);
  writer.put_u32(CTRL_ATTR_OP_FLAGS, GENL_ADMIN_PERM | GENL_CMD_CAP_DO);
  writer.nest_end(op);
  writer.nest_end(ops);
  return writer.finish();
}

// ----------------------------------------------------------------------------------------------------------
// Resolving the family

TEST(MptcpCodec, FamilyRequestAsksTheControllerByName) {
  Buffer buffer;
  nlmsghdr* message = encode_genl_family_request(buffer.span(), kMptcpFamilyName);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->nlmsg_type, GENL_ID_CTRL);
  EXPECT_EQ(message->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(genl(message)->cmd, CTRL_CMD_GETFAMILY);
  EXPECT_EQ(genl(message)->version, 1);
  const auto attrs = top(message);
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(mnl_attr_get_type(attrs[0]), CTRL_ATTR_FAMILY_NAME);
  // NUL-terminated, as the controller's NLA_NUL_STRING policy wants.
  ASSERT_EQ(mnl_attr_get_payload_len(attrs[0]), 9u);
  EXPECT_EQ(std::memcmp(mnl_attr_get_payload(attrs[0]), "mptcp_pm\0", 9), 0);
  EXPECT_EQ(message->nlmsg_len, MNL_NLMSG_HDRLEN + GENL_HDRLEN + MNL_ALIGN(MNL_ATTR_HDRLEN + 9));
}

TEST(MptcpCodec, FamilyIdComesFromTheReplyAboutThatFamily) {
  Buffer buffer;
  EXPECT_EQ(decode_genl_family_id(family_reply(buffer.span(), "mptcp_pm", 0x1d), "mptcp_pm"), 0x1d);
  EXPECT_EQ(decode_genl_family_id(family_reply(buffer.span(), "nl80211", 0x1d), "mptcp_pm"), std::nullopt);
  EXPECT_EQ(decode_genl_family_id(family_reply(buffer.span(), "mptcp_pm_x", 0x1d), "mptcp_pm"), std::nullopt);
  EXPECT_EQ(decode_genl_family_id(family_reply(buffer.span(), "mptcp_pm", std::nullopt), "mptcp_pm"),
            std::nullopt);
  EXPECT_EQ(decode_genl_family_id(family_reply(buffer.span(), "mptcp_pm", NLMSG_ERROR), "mptcp_pm"),
            std::nullopt);
  EXPECT_EQ(
      decode_genl_family_id(family_reply(buffer.span(), "mptcp_pm", 0x1d, CTRL_CMD_DELFAMILY), "mptcp_pm"),
      std::nullopt);
  nlmsghdr* reply = family_reply(buffer.span(), "mptcp_pm", 0x1d);
  reply->nlmsg_type = kFamily;  // not the controller's
  EXPECT_EQ(decode_genl_family_id(reply, "mptcp_pm"), std::nullopt);
}

// ----------------------------------------------------------------------------------------------------------
// Requests, byte by byte

TEST(MptcpCodec, AddEndpointBytes) {
  Buffer buffer;
  nlmsghdr* message = encode_mptcp_add_endpoint(buffer.span(), kFamily, endpoint("100.64.1.10", 201, 3));
  ASSERT_NE(message, nullptr);
  // clang-format off
  const uint8_t expected[] = {
      64, 0, 0, 0,  0x1d, 0,  0x05, 0,  0, 0, 0, 0,  0, 0, 0, 0,  // nlmsghdr: REQUEST|ACK, seq and pid 0
      MPTCP_PM_CMD_ADD_ADDR, MPTCP_PM_VER, 0, 0,                    // genlmsghdr
      44, 0, 0x01, 0x80,                                            // MPTCP_PM_ATTR_ADDR | NLA_F_NESTED
      6, 0, 1, 0,  2, 0, 0, 0,                                      //   FAMILY u16 AF_INET, padded
      5, 0, 2, 0,  201, 0, 0, 0,                                    //   ID u8
      8, 0, 3, 0,  100, 64, 1, 10,                                  //   ADDR4, network order
      8, 0, 7, 0,  3, 0, 0, 0,                                      //   IF_IDX s32
      8, 0, 6, 0,  MPTCP_PM_ADDR_FLAG_SUBFLOW, 0, 0, 0,             //   FLAGS u32
  };
  // clang-format on
  ASSERT_EQ(message->nlmsg_len, sizeof expected);
  EXPECT_EQ(std::memcmp(message, expected, sizeof expected), 0);
}

TEST(MptcpCodec, AddEndpointNestsEachFieldAsTheKernelReadsIt) {
  Buffer buffer;
  auto v6 = endpoint("2001:db8:1::10", 203, 3);
  v6.backup = true;
  nlmsghdr* message = encode_mptcp_add_endpoint(buffer.span(), kFamily, v6);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->nlmsg_type, kFamily);
  EXPECT_EQ(genl(message)->cmd, MPTCP_PM_CMD_ADD_ADDR);
  const auto attrs = top(message);
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs[0]->nla_type, MPTCP_PM_ATTR_ADDR | NLA_F_NESTED);
  std::map<uint16_t, nlattr*> inner;
  for (nlattr* attr : nested(attrs[0])) inner[mnl_attr_get_type(attr)] = attr;
  ASSERT_EQ(inner.size(), 5u);  // family, id, address, ifindex, flags: no port, no ADDR4
  EXPECT_EQ(mnl_attr_get_u16(inner[MPTCP_PM_ADDR_ATTR_FAMILY]), AF_INET6);
  EXPECT_EQ(mnl_attr_get_u8(inner[MPTCP_PM_ADDR_ATTR_ID]), 203);
  ASSERT_EQ(mnl_attr_get_payload_len(inner[MPTCP_PM_ADDR_ATTR_ADDR6]), 16u);
  EXPECT_EQ(std::memcmp(mnl_attr_get_payload(inner[MPTCP_PM_ADDR_ATTR_ADDR6]), v6.address.data(), 16), 0);
  EXPECT_EQ(mnl_attr_get_u32(inner[MPTCP_PM_ADDR_ATTR_IF_IDX]), 3u);
  EXPECT_EQ(mnl_attr_get_u32(inner[MPTCP_PM_ADDR_ATTR_FLAGS]),
            uint32_t{MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP});
}

TEST(MptcpCodec, AddEndpointLeavesOutWhatIsUnset) {
  Buffer buffer;
  MptcpEndpoint signal;
  signal.address = ip("198.51.100.7");
  signal.signal = true;
  signal.port = 10000;  // id 0: the kernel picks; ifindex 0: none
  nlmsghdr* message = encode_mptcp_add_endpoint(buffer.span(), kFamily, signal);
  ASSERT_NE(message, nullptr);
  std::map<uint16_t, nlattr*> inner;
  for (nlattr* attr : nested(top(message)[0])) inner[mnl_attr_get_type(attr)] = attr;
  EXPECT_EQ(inner.count(MPTCP_PM_ADDR_ATTR_ID), 0u);
  EXPECT_EQ(inner.count(MPTCP_PM_ADDR_ATTR_IF_IDX), 0u);
  EXPECT_EQ(inner.count(MPTCP_PM_ADDR_ATTR_ADDR6), 0u);
  // Host order: the kernel applies htons to it.
  EXPECT_EQ(mnl_attr_get_u16(inner[MPTCP_PM_ADDR_ATTR_PORT]), 10000);
  EXPECT_EQ(mnl_attr_get_u32(inner[MPTCP_PM_ADDR_ATTR_FLAGS]), uint32_t{MPTCP_PM_ADDR_FLAG_SIGNAL});

  const auto plain = endpoint("100.64.1.10", 201, 3);
  message = encode_mptcp_add_endpoint(buffer.span(), kFamily, plain);
  inner.clear();
  for (nlattr* attr : nested(top(message)[0])) inner[mnl_attr_get_type(attr)] = attr;
  EXPECT_EQ(inner.count(MPTCP_PM_ADDR_ATTR_PORT), 0u);
}

TEST(MptcpCodec, RemoveEndpointBytesNameOnlyTheId) {
  Buffer buffer;
  nlmsghdr* message = encode_mptcp_remove_endpoint(buffer.span(), kFamily, 202);
  ASSERT_NE(message, nullptr);
  // clang-format off
  const uint8_t expected[] = {
      32, 0, 0, 0,  0x1d, 0,  0x05, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      MPTCP_PM_CMD_DEL_ADDR, MPTCP_PM_VER, 0, 0,
      12, 0, 0x01, 0x80,
      5, 0, 2, 0,  202, 0, 0, 0,
  };
  // clang-format on
  ASSERT_EQ(message->nlmsg_len, sizeof expected);
  EXPECT_EQ(std::memcmp(message, expected, sizeof expected), 0);
  EXPECT_EQ(encode_mptcp_remove_endpoint(buffer.span(), kFamily, 0), nullptr);
}

TEST(MptcpCodec, DumpFlushAndGetLimitsAreBareHeaders) {
  struct Bare {
    const char* name;
    std::function<nlmsghdr*(std::span<char>)> encode;
    uint8_t command;
    uint16_t flags;
  };
  const Bare bare[] = {
      {"dump", [](auto b) { return encode_mptcp_endpoint_dump(b, kFamily); }, MPTCP_PM_CMD_GET_ADDR,
       NLM_F_REQUEST | NLM_F_DUMP},
      {"flush", [](auto b) { return encode_mptcp_flush_endpoints(b, kFamily); }, MPTCP_PM_CMD_FLUSH_ADDRS,
       NLM_F_REQUEST | NLM_F_ACK},
      {"get limits", [](auto b) { return encode_mptcp_get_limits(b, kFamily); }, MPTCP_PM_CMD_GET_LIMITS,
       NLM_F_REQUEST | NLM_F_ACK},
  };
  for (const auto& request : bare) {
    Buffer buffer;
    nlmsghdr* message = request.encode(buffer.span());
    ASSERT_NE(message, nullptr) << request.name;
    EXPECT_EQ(message->nlmsg_len, MNL_NLMSG_HDRLEN + GENL_HDRLEN) << request.name;
    EXPECT_EQ(message->nlmsg_type, kFamily) << request.name;
    EXPECT_EQ(message->nlmsg_flags, request.flags) << request.name;
    EXPECT_EQ(genl(message)->cmd, request.command) << request.name;
    EXPECT_EQ(genl(message)->version, MPTCP_PM_VER) << request.name;
  }
}

TEST(MptcpCodec, SetBackupSendsIdAndFlagsWithoutFamily) {
  Buffer buffer;
  nlmsghdr* message = encode_mptcp_set_backup(buffer.span(), kFamily, endpoint("100.64.2.10", 202, 4), true);
  ASSERT_NE(message, nullptr);
  // clang-format off
  const uint8_t expected[] = {
      40, 0, 0, 0,  0x1d, 0,  0x05, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      MPTCP_PM_CMD_SET_FLAGS, MPTCP_PM_VER, 0, 0,
      20, 0, 0x01, 0x80,
      5, 0, 2, 0,  202, 0, 0, 0,
      8, 0, 6, 0,  MPTCP_PM_ADDR_FLAG_BACKUP, 0, 0, 0,
  };
  // clang-format on
  ASSERT_EQ(message->nlmsg_len, sizeof expected);
  EXPECT_EQ(std::memcmp(message, expected, sizeof expected), 0);

  const auto flags_of = [](nlmsghdr* m) {
    for (nlattr* attr : nested(top(m)[0]))
      if (mnl_attr_get_type(attr) == MPTCP_PM_ADDR_ATTR_FLAGS) return mnl_attr_get_u32(attr);
    return ~0u;
  };
  auto e = endpoint("100.64.2.10", 202, 4);
  EXPECT_EQ(flags_of(encode_mptcp_set_backup(buffer.span(), kFamily, e, false)), 0u);
  // The kernel sets fullmesh from the same word: it must travel along or be cleared.
  e.fullmesh = true;
  EXPECT_EQ(flags_of(encode_mptcp_set_backup(buffer.span(), kFamily, e, false)),
            uint32_t{MPTCP_PM_ADDR_FLAG_FULLMESH});
  EXPECT_EQ(flags_of(encode_mptcp_set_backup(buffer.span(), kFamily, e, true)),
            uint32_t{MPTCP_PM_ADDR_FLAG_FULLMESH | MPTCP_PM_ADDR_FLAG_BACKUP});
  e.id = 0;
  EXPECT_EQ(encode_mptcp_set_backup(buffer.span(), kFamily, e, true), nullptr);
}

TEST(MptcpCodec, SetLimitsBytes) {
  Buffer buffer;
  nlmsghdr* message = encode_mptcp_set_limits(buffer.span(), kFamily, MptcpLimits{8, 3});
  ASSERT_NE(message, nullptr);
  // clang-format off
  const uint8_t expected[] = {
      36, 0, 0, 0,  0x1d, 0,  0x05, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      MPTCP_PM_CMD_SET_LIMITS, MPTCP_PM_VER, 0, 0,
      8, 0, MPTCP_PM_ATTR_RCV_ADD_ADDRS, 0,  3, 0, 0, 0,
      8, 0, MPTCP_PM_ATTR_SUBFLOWS, 0,  8, 0, 0, 0,
  };
  // clang-format on
  ASSERT_EQ(message->nlmsg_len, sizeof expected);
  EXPECT_EQ(std::memcmp(message, expected, sizeof expected), 0);
}

TEST(MptcpCodec, EncodersReturnNullptrWhenTheBufferIsTooSmall) {
  const auto e = endpoint("2001:db8:1::10", 203, 3);
  const std::function<nlmsghdr*(std::span<char>)> encoders[] = {
      [](auto b) { return encode_genl_family_request(b, kMptcpFamilyName); },
      [&](auto b) { return encode_mptcp_add_endpoint(b, kFamily, e); },
      [](auto b) { return encode_mptcp_remove_endpoint(b, kFamily, 9); },
      [](auto b) { return encode_mptcp_endpoint_dump(b, kFamily); },
      [](auto b) { return encode_mptcp_flush_endpoints(b, kFamily); },
      [&](auto b) { return encode_mptcp_set_backup(b, kFamily, e, true); },
      [](auto b) { return encode_mptcp_set_limits(b, kFamily, MptcpLimits{}); },
      [](auto b) { return encode_mptcp_get_limits(b, kFamily); },
  };
  for (size_t i = 0; i < std::size(encoders); ++i) {
    Buffer buffer;
    const uint32_t full = encoders[i](buffer.span())->nlmsg_len;
    for (size_t size = 0; size < full; ++size)
      EXPECT_EQ(encoders[i](buffer.span().first(size)), nullptr) << "encoder " << i << " in " << size;
    EXPECT_NE(encoders[i](buffer.span().first(full)), nullptr) << "encoder " << i;
  }
}

// ----------------------------------------------------------------------------------------------------------
// Decoding

TEST(MptcpCodec, EndpointsRoundTripThroughTheAddRequest) {
  for (const auto& e : cases()) {
    Buffer buffer;
    nlmsghdr* message = encode_mptcp_add_endpoint(buffer.span(), kFamily, e);
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(decode_mptcp_endpoint(message, kFamily), e) << e.address.to_string();
  }
}

TEST(MptcpCodec, EndpointsDecodeFromTheKernelsDumpMessages) {
  for (const auto& e : cases()) {
    Buffer buffer;
    EXPECT_EQ(decode_mptcp_endpoint(kernel_reply(buffer.span(), e), kFamily), e) << e.address.to_string();
  }
}

TEST(MptcpCodec, UnknownFlagBitsAreDropped) {
  Buffer buffer;
  const auto e = endpoint("100.64.1.10", 201, 3);
  EXPECT_EQ(decode_mptcp_endpoint(kernel_reply(buffer.span(), e, 1u << 5 | 1u << 31), kFamily), e);
}

TEST(MptcpCodec, LimitsRoundTripAndDecodeFromTheReply) {
  Buffer buffer;
  const MptcpLimits limits{8, 3};
  EXPECT_EQ(decode_mptcp_limits(encode_mptcp_set_limits(buffer.span(), kFamily, limits), kFamily), limits);
  EXPECT_EQ(decode_mptcp_limits(limits_reply(buffer.span(), kFamily, MPTCP_PM_CMD_GET_LIMITS, 0, 2), kFamily),
            (MptcpLimits{2, 0}));
}

TEST(MptcpCodec, LimitsNeedBothValuesFromOurFamily) {
  Buffer buffer;
  EXPECT_EQ(
      decode_mptcp_limits(limits_reply(buffer.span(), kFamily, MPTCP_PM_CMD_GET_LIMITS, 1, {}), kFamily),
      std::nullopt);
  EXPECT_EQ(
      decode_mptcp_limits(limits_reply(buffer.span(), kFamily, MPTCP_PM_CMD_GET_LIMITS, {}, 1), kFamily),
      std::nullopt);
  EXPECT_EQ(
      decode_mptcp_limits(limits_reply(buffer.span(), kFamily + 1, MPTCP_PM_CMD_GET_LIMITS, 1, 1), kFamily),
      std::nullopt);
  EXPECT_EQ(decode_mptcp_limits(limits_reply(buffer.span(), kFamily, MPTCP_PM_CMD_GET_ADDR, 1, 1), kFamily),
            std::nullopt);
  // A u32 cut to two bytes is no limit.
  nlmsghdr* reply = limits_reply(buffer.span(), kFamily, MPTCP_PM_CMD_GET_LIMITS, 1, {});
  const uint16_t half = 1;
  testing::append_attribute(reply, MPTCP_PM_ATTR_SUBFLOWS, &half, sizeof half);
  EXPECT_EQ(decode_mptcp_limits(reply, kFamily), std::nullopt);
}

// ----------------------------------------------------------------------------------------------------------
// Malformed and foreign messages

// The nested endpoint attribute of a kernel-shaped reply and its members, to corrupt.
struct Reply {
  Buffer buffer;
  nlmsghdr* message = nullptr;
  nlattr* nest = nullptr;
  nlattr* member(uint16_t type) {
    for (nlattr* attr : nested(nest))
      if (mnl_attr_get_type(attr) == type) return attr;
    return nullptr;
  }
};

std::unique_ptr<Reply> reply_for(const MptcpEndpoint& e) {
  auto reply = std::make_unique<Reply>();
  reply->message = kernel_reply(reply->buffer.span(), e);
  reply->nest = top(reply->message)[0];
  return reply;
}

TEST(MptcpCodecMalformed, EveryTruncationIsRejectedOrSafe) {
  for (const auto& e : cases()) {
    auto reply = reply_for(e);
    const uint32_t full = reply->message->nlmsg_len;
    for (uint32_t length = MNL_NLMSG_HDRLEN; length < full; ++length) {
      reply->message->nlmsg_len = length;
      // Shorter than the genetlink header, or cutting into the nest: nothing to decode. Cutting only the
      // padding after the last attribute would be harmless, but the nest ends the message exactly.
      EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt) << length;
    }
    reply->message->nlmsg_len = full;
    EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), e);
  }
}

TEST(MptcpCodecMalformed, InnerAttributeRunningPastTheNestIsRejected) {
  auto reply = reply_for(endpoint("100.64.1.10", 201, 3));
  reply->member(MPTCP_PM_ADDR_ATTR_ADDR4)->nla_len = 64;
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);
  reply = reply_for(endpoint("100.64.1.10", 201, 3));
  reply->member(MPTCP_PM_ADDR_ATTR_FAMILY)->nla_len = 2;  // shorter than an attribute header
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);
}

TEST(MptcpCodecMalformed, ForeignFamilyOrCommandIsNotAnEndpoint) {
  auto reply = reply_for(endpoint("100.64.1.10", 201, 3));
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily + 1), std::nullopt);
  reply->message->nlmsg_type = GENL_ID_CTRL;
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);
  reply->message->nlmsg_type = kFamily;
  for (const uint8_t command : {MPTCP_PM_CMD_UNSPEC, MPTCP_PM_CMD_DEL_ADDR, MPTCP_PM_CMD_GET_LIMITS,
                                MPTCP_PM_CMD_SET_FLAGS, MPTCP_PM_CMD_ANNOUNCE}) {
    const_cast<genlmsghdr*>(genl(reply->message))->cmd = command;
    EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt) << int(command);
  }
  // A kernel event of the same family (MPTCP_EVENT_CREATED is 1, like ADD_ADDR) has no MPTCP_PM_ATTR_ADDR.
  Buffer buffer;
  EXPECT_EQ(decode_mptcp_endpoint(limits_reply(buffer.span(), kFamily, MPTCP_PM_CMD_ADD_ADDR, 1, 1), kFamily),
            std::nullopt);
}

TEST(MptcpCodecMalformed, MissingOrWrongAddressIsRejected) {
  auto reply = reply_for(endpoint("100.64.1.10", 201, 3));
  reply->member(MPTCP_PM_ADDR_ATTR_ADDR4)->nla_type = MPTCP_PM_ADDR_ATTR_ADDR6;  // v4 family, no ADDR4
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);

  reply = reply_for(endpoint("100.64.1.10", 201, 3));
  reply->member(MPTCP_PM_ADDR_ATTR_ADDR4)->nla_len = MNL_ATTR_HDRLEN + 3;  // three bytes of an IPv4 address
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);

  reply = reply_for(endpoint("2001:db8:1::10", 203, 3));
  auto* family = static_cast<uint16_t*>(mnl_attr_get_payload(reply->member(MPTCP_PM_ADDR_ATTR_FAMILY)));
  *family = AF_INET;  // says v4, carries 16 bytes of ADDR6
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);
  *family = 7;  // no address family uplinkd knows
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);

  reply = reply_for(endpoint("100.64.1.10", 201, 3));
  reply->member(MPTCP_PM_ADDR_ATTR_FAMILY)->nla_type = 0x7f;
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);
  reply = reply_for(endpoint("100.64.1.10", 201, 3));
  reply->member(MPTCP_PM_ADDR_ATTR_ID)->nla_type = 0x7f;
  EXPECT_EQ(decode_mptcp_endpoint(reply->message, kFamily), std::nullopt);
}

TEST(MptcpCodecMalformed, MissingNestIsRejected) {
  Buffer buffer;
  MessageWriter writer(buffer.span(), kFamily, NLM_F_MULTI);
  writer.put_header<genlmsghdr>()->cmd = MPTCP_PM_CMD_GET_ADDR;
  nlmsghdr* message = writer.finish();
  EXPECT_EQ(decode_mptcp_endpoint(message, kFamily), std::nullopt);
  // An endpoint nest that is empty.
  const uint32_t nothing = 0;
  testing::append_attribute(message, MPTCP_PM_ATTR_ADDR, &nothing, 0);
  EXPECT_EQ(decode_mptcp_endpoint(message, kFamily), std::nullopt);
}

TEST(MptcpCodecMalformed, UnknownAttributesAreIgnored) {
  const auto e = endpoint("2001:db8:1::10", 203, 3);
  Buffer buffer;
  nlmsghdr* message = kernel_reply(buffer.span(), e);
  const uint64_t junk = 0x1122334455667788;
  testing::append_attribute(message, MPTCP_PM_ATTR_TOKEN, &junk, 4);
  testing::append_attribute(message, 0x7ff, &junk, sizeof junk);
  EXPECT_EQ(decode_mptcp_endpoint(message, kFamily), e);

  // Inside the nest: a newer kernel's member after the known ones.
  MessageWriter writer(buffer.span(), kFamily, NLM_F_MULTI);
  writer.put_header<genlmsghdr>()->cmd = MPTCP_PM_CMD_GET_ADDR;
  nlattr* nest = writer.nest_start(MPTCP_PM_ATTR_ADDR);
  writer.put_u16(MPTCP_PM_ADDR_ATTR_FAMILY, AF_INET6);
  writer.put_u8(MPTCP_PM_ADDR_ATTR_ID, 203);
  writer.put_address(MPTCP_PM_ADDR_ATTR_ADDR6, e.address);
  writer.put_u32(MPTCP_PM_ADDR_ATTR_IF_IDX, 3);
  writer.put_u32(MPTCP_PM_ADDR_ATTR_FLAGS, MPTCP_PM_ADDR_FLAG_SUBFLOW);
  writer.put(0x3f, &junk, sizeof junk);
  writer.nest_end(nest);
  EXPECT_EQ(decode_mptcp_endpoint(writer.finish(), kFamily), e);
}

TEST(MptcpCodecMalformed, FamilyReplyCutShortIsRejected) {
  Buffer buffer;
  nlmsghdr* reply = family_reply(buffer.span(), "mptcp_pm", 0x1d);
  const uint32_t full = reply->nlmsg_len;
  for (uint32_t length = MNL_NLMSG_HDRLEN; length < full; ++length) {
    reply->nlmsg_len = length;
    // Whatever survives must still be the right id or nothing.
    const auto id = decode_genl_family_id(reply, "mptcp_pm");
    EXPECT_TRUE(!id || *id == 0x1d) << length;
  }
}

}  // namespace
}  // namespace uplinkd::netlink
