// SPDX-License-Identifier: GPL-2.0-or-later
// The command socket: typed dumps, and batches of requests whose acks are matched back to each request. It
// never joins a multicast group (that is Monitor's job), so an event storm cannot delay a reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "netlink/codec.hpp"
#include "netlink/objects.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace uplinkd::netlink {

struct Request {
  Operation operation = Operation::add;
  std::variant<Nexthop, Route, Rule, Address, Link> object;  // a Link request only sets IFF_UP
  std::string description;  // names the object in the KernelError, e.g. "add route default table 200"
};

struct RequestError {
  size_t index = 0;  // into the requests given to execute()
  KernelError error;
};

struct RouteFilter {
  uint32_t table = 0;    // 0: any table
  uint8_t protocol = 0;  // 0: any protocol
};

class Socket {
 public:
  static Expected<Socket> open();

  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  Expected<std::vector<Link>> dump_links();
  Expected<std::vector<LinkTraffic>> dump_link_traffic();
  Expected<std::vector<Address>> dump_addresses(Family family);
  // Filtered by the kernel where it does strict checking, and here in any case.
  Expected<std::vector<Route>> dump_routes(Family family, RouteFilter filter = {});
  Expected<std::vector<Rule>> dump_rules(Family family);
  Expected<std::vector<Nexthop>> dump_nexthops();

  // Sends every request with its own sequence number, as few sendmsg calls as the socket's buffers allow (one
  // for a plan's usual size), in order, and returns one error per request the kernel refused.
  std::vector<RequestError> execute(const std::vector<Request>& requests);

  bool strict_checking() const { return strict_; }

 private:
  explicit Socket(mnl_socket* socket);

  template <class T>
  Expected<std::vector<T>> dump(nlmsghdr* request, const std::string& what,
                                std::optional<T> (*decode)(const nlmsghdr*));
  // One pass of a dump; true when the kernel flagged it as interrupted by a concurrent change.
  Expected<bool> run_dump(nlmsghdr* request, const std::string& what,
                          const std::function<void(const nlmsghdr*)>& each);
  std::optional<int> send(const void* data, size_t length);  // errno on failure
  Expected<size_t> receive(const std::string& what);
  void flush_batch(const void* data, size_t length, uint32_t first_sequence,
                   const std::vector<size_t>& indexes, const std::vector<Request>& requests,
                   std::vector<RequestError>& errors);

  mnl_socket* socket_ = nullptr;
  uint32_t port_ = 0;
  uint32_t sequence_ = 0;
  bool strict_ = false;
  std::vector<char> buffer_;
};

// The kernel's extended-ack text (NLMSGERR_ATTR_MSG) in an NLMSG_ERROR or NLMSG_DONE message, or "".
std::string extended_ack_message(const nlmsghdr* message);

}  // namespace uplinkd::netlink
