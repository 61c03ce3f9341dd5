// SPDX-License-Identifier: GPL-2.0-or-later
// Drives MptcpSocket against the real kernel for tests/integration/mptcp_kernel_test.sh, which runs it inside
// a namespace of its own with wan1 (100.64.1.10, 2001:db8:1::10) and wan2 (100.64.2.10). Each subcommand is
// one step that checks what it did by reading the kernel back; the script compares with `ip mptcp`.
// `show` prints endpoints and limits the way `ip mptcp endpoint show` / `ip mptcp limits show` do.
#include <net/if.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "netlink/mptcp_socket.hpp"

namespace {

using namespace uplinkd;
using netlink::MptcpEndpoint;
using netlink::MptcpLimits;
using netlink::MptcpSocket;

int failures = 0;

void fail(const std::string& what) {
  std::printf("FAIL: %s\n", what.c_str());
  ++failures;
}

void expect(bool ok, const std::string& what) {
  if (ok) {
    std::printf("ok: %s\n", what.c_str());
  } else {
    fail(what);
  }
}

MptcpEndpoint make(const char* address, uint8_t id, const char* ifname, bool backup = false) {
  MptcpEndpoint endpoint;
  endpoint.id = id;
  endpoint.address = *IpAddress::parse(address);
  endpoint.ifindex = ifname ? if_nametoindex(ifname) : 0;
  endpoint.subflow = true;
  endpoint.backup = backup;
  return endpoint;
}

// The endpoints `setup` adds, in id order (the order of the kernel's dump).
std::vector<MptcpEndpoint> planned() {
  return {make("100.64.1.10", 201, "wan1"), make("100.64.2.10", 202, "wan2", true),
          make("2001:db8:1::10", 203, "wan1")};
}

std::string line(const MptcpEndpoint& e) {
  std::string text = e.address.to_string();
  if (e.port) text += " port " + std::to_string(*e.port);
  text += " id " + std::to_string(e.id);
  if (e.signal) text += " signal";
  if (e.subflow) text += " subflow";
  if (e.backup) text += " backup";
  if (e.fullmesh) text += " fullmesh";
  if (e.implicit) text += " implicit";
  if (e.ifindex) {
    char name[IF_NAMESIZE];
    text +=
        std::string(" dev ") + (if_indextoname(e.ifindex, name) ? name : "if" + std::to_string(e.ifindex));
  }
  return text;
}

std::vector<MptcpEndpoint> endpoints(MptcpSocket& socket) {
  auto listed = socket.dump_endpoints();
  if (!listed) {
    fail(listed.error().message());
    return {};
  }
  return *listed;
}

const MptcpEndpoint* with_id(const std::vector<MptcpEndpoint>& list, uint8_t id) {
  for (const auto& endpoint : list)
    if (endpoint.id == id) return &endpoint;
  return nullptr;
}

// That `error` carries `code` and a message that starts with `starts`, naming what was being done.
void expect_error(const std::optional<KernelError>& error, int code, const std::string& starts,
                  const char* what) {
  if (!error) return fail(std::string(what) + ": the kernel accepted it");
  std::printf("  %s -> %s\n", what, error->message().c_str());
  expect(error->code == code && error->message().rfind(starts, 0) == 0,
         std::string(what) + " is refused with errno " + std::to_string(code) + " and says what was done");
}

int setup(MptcpSocket& socket) {
  expect(endpoints(socket).empty(), "a new namespace has no endpoints");
  for (const auto& endpoint : planned()) {
    const auto error = socket.add_endpoint(endpoint);
    if (error) fail(error->message());
    std::printf("added %s\n", line(endpoint).c_str());
  }
  expect(endpoints(socket) == planned(), "the endpoints read back are the ones added, in id order");
  return failures;
}

int show(MptcpSocket& socket) {
  for (const auto& endpoint : endpoints(socket)) std::printf("%s\n", line(endpoint).c_str());
  const auto limits = socket.limits();
  if (!limits) return fail(limits.error().message()), 1;
  std::printf("add_addr_accepted %u subflows %u\n", limits->add_addr_accepted, limits->subflows);
  return failures;
}

int backup(MptcpSocket& socket, uint8_t id, bool on) {
  const auto before = endpoints(socket);
  const MptcpEndpoint* endpoint = with_id(before, id);
  if (!endpoint) return fail("no endpoint with id " + std::to_string(id)), 1;
  if (const auto error = socket.set_backup(*endpoint, on)) return fail(error->message()), 1;
  auto expected = before;
  for (auto& e : expected)
    if (e.id == id) e.backup = on;
  expect(endpoints(socket) == expected,
         "id " + std::to_string(id) + (on ? " is" : " is not") + " a backup and nothing else changed");
  return failures;
}

int limits(MptcpSocket& socket, uint32_t subflows, uint32_t accepted) {
  const MptcpLimits wanted{subflows, accepted};
  if (const auto error = socket.set_limits(wanted)) return fail(error->message()), 1;
  const auto read = socket.limits();
  expect(read && *read == wanted, "limits read back as set: subflows " + std::to_string(subflows) +
                                      " add_addr_accepted " + std::to_string(accepted));
  return failures;
}

int remove(MptcpSocket& socket, uint8_t id) {
  auto expected = endpoints(socket);
  std::erase_if(expected, [&](const MptcpEndpoint& e) { return e.id == id; });
  if (const auto error = socket.remove_endpoint(id)) return fail(error->message()), 1;
  std::printf("removed id %u\n", id);
  expect(endpoints(socket) == expected, "id " + std::to_string(id) + " is gone, the others are as they were");
  return failures;
}

int flush(MptcpSocket& socket) {
  const auto limits_before = socket.limits();
  if (const auto error = socket.flush_endpoints()) return fail(error->message()), 1;
  expect(endpoints(socket).empty(), "no endpoint is left after a flush");
  const auto limits_after = socket.limits();
  // Reported, not required: older kernels reset add_addr_accepted to 0 on a flush (pm_netlink.c's
  // __reset_counters), and the next step must set the limits after any flush either way.
  if (limits_before && limits_after) {
    std::printf("limits after the flush: subflows %u add_addr_accepted %u (before: %u, %u)\n",
                limits_after->subflows, limits_after->add_addr_accepted, limits_before->subflows,
                limits_before->add_addr_accepted);
  }
  return failures;
}

// Refusals, each named by the endpoint, and what the kernel does not check. Leaves the endpoints as it
// found them.
int errors(MptcpSocket& socket) {
  const auto before = endpoints(socket);
  expect_error(socket.add_endpoint(make("100.64.1.10", 210, "wan1")), EEXIST,
               "adding MPTCP endpoint 100.64.1.10 id 210 on wan1: File exists",
               "an address that has an endpoint");
  expect_error(socket.add_endpoint(make("100.64.1.77", 201, "wan1")), EBUSY,
               "adding MPTCP endpoint 100.64.1.77 id 201 on wan1: Device or resource busy", "an id in use");
  expect_error(socket.remove_endpoint(99), EINVAL, "removing MPTCP endpoint id 99: Invalid argument",
               "removing an id no endpoint has");
  expect_error(socket.remove_endpoint(0), EINVAL, "removing MPTCP endpoint id 0", "removing id 0");
  expect_error(socket.set_backup(make("100.64.1.99", 99, "wan1"), true), EINVAL,
               "making MPTCP endpoint 100.64.1.99 id 99 on wan1 a backup: Invalid argument",
               "flagging an id no endpoint has");

  const auto limits_before = socket.limits();
  expect_error(socket.set_limits(MptcpLimits{netlink::kMptcpMaxLimit + 1, 0}), EINVAL,
               "setting MPTCP limits subflows 9", "a limit above 8");
  const auto limits_after = socket.limits();
  expect(limits_before && limits_after && *limits_before == *limits_after, "a refused limit changes none");

  // Not checked by the kernel: the address need not be on the interface, nor the interface exist.
  const auto elsewhere = make("198.51.100.7", 204, "wan1");
  auto error = socket.add_endpoint(elsewhere);
  std::printf("kernel: an endpoint for an address not on its interface: %s\n",
              error ? error->message().c_str() : "accepted");
  auto nowhere = make("198.51.100.8", 205, nullptr);
  nowhere.ifindex = 999999;
  error = socket.add_endpoint(nowhere);
  std::printf("kernel: an endpoint on an interface that does not exist: %s\n",
              error ? error->message().c_str() : "accepted");

  // Id 0 asks the kernel for one.
  if (const auto auto_id = socket.add_endpoint(make("198.51.100.9", 0, nullptr))) {
    fail(auto_id->message());
  } else {
    for (const auto& e : endpoints(socket))
      if (e.address == *IpAddress::parse("198.51.100.9")) std::printf("kernel: id 0 was given id %u\n", e.id);
  }

  // Eight endpoints at most per namespace: fill up, and the next is refused.
  uint8_t filler = 230;
  while (endpoints(socket).size() < netlink::kMptcpMaxEndpoints && filler < 250) {
    const std::string address = "198.51.100." + std::to_string(filler);
    if (auto refused = socket.add_endpoint(make(address.c_str(), filler, nullptr))) fail(refused->message());
    ++filler;
  }
  expect_error(socket.add_endpoint(make("198.51.100.250", 250, nullptr)), ERANGE,
               "adding MPTCP endpoint 198.51.100.250 id 250: Numerical result out of range",
               "a ninth endpoint");

  for (const auto& e : endpoints(socket)) {
    if (with_id(before, e.id)) continue;
    if (const auto refused = socket.remove_endpoint(e.id)) fail(refused->message());
  }
  expect(endpoints(socket) == before, "the endpoints are as they were before the refusals");
  return failures;
}

// set_backup keeps fullmesh, which a SET_FLAGS request with the backup bit alone would clear.
int fullmesh(MptcpSocket& socket) {
  auto mesh = make("2001:db8:1::99", 220, "wan1");
  mesh.fullmesh = true;
  if (const auto error = socket.add_endpoint(mesh)) return fail(error->message()), 1;
  if (const auto error = socket.set_backup(mesh, true)) return fail(error->message()), 1;
  const auto listed = endpoints(socket);
  const MptcpEndpoint* read = with_id(listed, 220);
  mesh.backup = true;
  expect(read && *read == mesh, "a fullmesh endpoint made a backup is still fullmesh");
  if (const auto error = socket.remove_endpoint(220)) fail(error->message());
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s setup|show|backup ID on|off|limits SUBFLOWS ACCEPTED|remove ID|flush|errors|"
                 "fullmesh\n",
                 argv[0]);
    return 2;
  }
  const std::string step = argv[1];
  auto socket = MptcpSocket::open();
  if (!socket) {
    std::printf("FAIL: %s\n", socket.error().message().c_str());
    return 1;
  }
  const auto number = [&](int index) { return argc > index ? std::strtoul(argv[index], nullptr, 10) : 0ul; };
  if (step == "setup") return setup(*socket);
  if (step == "show") return show(*socket);
  if (step == "backup" && argc > 3)
    return backup(*socket, static_cast<uint8_t>(number(2)), std::string(argv[3]) == "on");
  if (step == "limits") return limits(*socket, number(2), number(3));
  if (step == "remove") return remove(*socket, static_cast<uint8_t>(number(2)));
  if (step == "flush") return flush(*socket);
  if (step == "errors") return errors(*socket);
  if (step == "fullmesh") return fullmesh(*socket);
  std::fprintf(stderr, "unknown step %s\n", step.c_str());
  return 2;
}
