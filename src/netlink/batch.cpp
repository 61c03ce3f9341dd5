// SPDX-License-Identifier: GPL-2.0-or-later
// Socket::execute: many requests in one sendmsg, each acked on its own and matched back by sequence number.
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "netlink/socket.hpp"

namespace uplinkd::netlink {

namespace {

// Bytes and messages per sendmsg. The byte limit stays well under the default socket send buffer; the message
// limit keeps the acks that pile up before we read them (each costs ~1 KiB of receive buffer) from
// overrunning even an unenlarged receive buffer.
constexpr size_t kBatchBytes = 65536;
constexpr size_t kBatchMessages = 128;

nlmsghdr* encode_request(std::span<char> buffer, const Request& request) {
  return std::visit(
      [&](const auto& object) -> nlmsghdr* {
        using T = std::decay_t<decltype(object)>;
        if constexpr (std::is_same_v<T, Nexthop>) return encode_nexthop(buffer, request.operation, object);
        if constexpr (std::is_same_v<T, Route>) return encode_route(buffer, request.operation, object);
        if constexpr (std::is_same_v<T, Rule>) return encode_rule(buffer, request.operation, object);
        if constexpr (std::is_same_v<T, Address>) return encode_address(buffer, request.operation, object);
        if constexpr (std::is_same_v<T, Link>) return encode_link(buffer, object);
        return nullptr;
      },
      request.object);
}

}  // namespace

std::vector<RequestError> Socket::execute(const std::vector<Request>& requests) {
  std::vector<RequestError> errors;
  // mnl_nlmsg_batch lets the message that overflows the limit be written past it, then moves it to the front.
  std::vector<char> buffer(kBatchBytes + kMaxRequestSize);
  mnl_nlmsg_batch* batch = mnl_nlmsg_batch_start(buffer.data(), kBatchBytes);
  std::vector<size_t> indexes;  // request index of each message in the batch, in sequence order
  uint32_t first_sequence = sequence_ + 1;

  for (size_t index = 0; index < requests.size(); ++index) {
    if (indexes.size() == kBatchMessages) {
      flush_batch(mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch), first_sequence, indexes, requests,
                  errors);
      mnl_nlmsg_batch_reset(batch);
      indexes.clear();
      first_sequence = sequence_ + 1;
    }
    std::span<char> slot(static_cast<char*>(mnl_nlmsg_batch_current(batch)), kMaxRequestSize);
    nlmsghdr* message = encode_request(slot, requests[index]);
    if (!message) {
      errors.push_back({index, {requests[index].description, EMSGSIZE, "too large for one netlink message"}});
      continue;
    }
    message->nlmsg_seq = ++sequence_;
    if (!mnl_nlmsg_batch_next(batch)) {
      // Over the byte limit: send the batch without this message; reset() then moves it to the front.
      flush_batch(mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch), first_sequence, indexes, requests,
                  errors);
      mnl_nlmsg_batch_reset(batch);
      indexes.clear();
      first_sequence = sequence_;
    }
    indexes.push_back(index);
  }
  if (!indexes.empty()) {
    flush_batch(mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch), first_sequence, indexes, requests,
                errors);
  }
  mnl_nlmsg_batch_stop(batch);
  std::sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return errors;
}

void Socket::flush_batch(const void* data, size_t length, uint32_t first_sequence,
                         const std::vector<size_t>& indexes, const std::vector<Request>& requests,
                         std::vector<RequestError>& errors) {
  std::vector<bool> acked(indexes.size(), false);
  size_t outstanding = indexes.size();
  const auto fail_outstanding = [&](int code, const std::string& detail) {
    for (size_t k = 0; k < indexes.size(); ++k) {
      if (!acked[k]) errors.push_back({indexes[k], {requests[indexes[k]].description, code, detail}});
    }
  };
  if (const auto error = send(data, length)) return fail_outstanding(*error, "");

  while (outstanding > 0) {
    const auto received = receive("read acks");
    if (!received) {
      // Lost acks (ENOBUFS) or silence: the requests may or may not have taken effect; the next sync knows.
      return fail_outstanding(received.error().code, "no acknowledgement from the kernel");
    }
    int left = static_cast<int>(*received);
    for (auto* message = reinterpret_cast<const nlmsghdr*>(buffer_.data()); mnl_nlmsg_ok(message, left);
         message = mnl_nlmsg_next(message, &left)) {
      if (message->nlmsg_type != NLMSG_ERROR || message->nlmsg_pid != port_) continue;
      const uint32_t offset = message->nlmsg_seq - first_sequence;
      if (offset >= indexes.size() || acked[offset]) continue;
      acked[offset] = true;
      --outstanding;
      if (message->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) {
        errors.push_back({indexes[offset], {requests[indexes[offset]].description, EBADMSG, "short ack"}});
        continue;
      }
      const auto* ack = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
      if (ack->error == 0) continue;
      errors.push_back({indexes[offset],
                        {requests[indexes[offset]].description, -ack->error, extended_ack_message(message)}});
    }
  }
}

}  // namespace uplinkd::netlink
