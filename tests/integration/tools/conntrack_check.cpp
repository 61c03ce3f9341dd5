// SPDX-License-Identifier: GPL-2.0-or-later
// Driver for tests/integration/conntrack_test.sh, run inside a test namespace:
//
//   conntrack_check delete ADDRESS|PREFIX
//       delete_nated_conntrack(ADDRESS as a host prefix, or PREFIX); prints "deleted N", then "elapsed_us N"
//       (debug log on stderr).
//   conntrack_check create COUNT SOURCE DESTINATION NAT_ADDRESS|-
//       COUNT established TCP entries (timeout 600 s) from SOURCE, SOURCE+1, … (50,000 source ports each) to
//       DESTINATION:80, source-NATed to NAT_ADDRESS ("-": not NATed); prints "created N". They let the test
//       measure a sweep over a table of realistic size without opening that many real connections.
//
// Exit 0 on success, 1 on a kernel error (message on stderr), 2 on bad arguments.
#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <netinet/in.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "apply/conntrack_cleanup.hpp"

namespace {

using namespace uplinkd;

int usage() {
  std::fprintf(stderr,
               "usage: conntrack_check delete ADDRESS|PREFIX\n"
               "       conntrack_check create COUNT SOURCE DESTINATION NAT_ADDRESS|-\n");
  return 2;
}

std::optional<uint32_t> ipv4(const char* text) {  // network order
  in_addr address{};
  if (inet_pton(AF_INET, text, &address) != 1) return std::nullopt;
  return address.s_addr;
}

int run_delete(const char* text) {
  auto address = IpAddress::parse(text);
  auto prefix = address ? std::optional<Prefix>(Prefix::host(*address)) : Prefix::parse(text);
  if (!prefix) return usage();
  const auto start = std::chrono::steady_clock::now();
  auto deleted = delete_nated_conntrack(*prefix);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (!deleted) {
    std::fprintf(stderr, "%s\n", deleted.error().message().c_str());
    return 1;
  }
  std::printf("deleted %zu\nelapsed_us %lld\n", *deleted,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
  return 0;
}

int run_create(long count, uint32_t source, uint32_t destination, std::optional<uint32_t> nat) {
  constexpr long ports_per_source = 50000;
  nfct_handle* handle = nfct_open(CONNTRACK, 0);
  if (!handle) {
    std::fprintf(stderr, "open conntrack netlink socket: %s\n", std::strerror(errno));
    return 1;
  }
  long created = 0;
  for (long i = 0; i < count; ++i) {
    nf_conntrack* entry = nfct_new();
    nfct_set_attr_u8(entry, ATTR_L3PROTO, AF_INET);
    nfct_set_attr_u32(entry, ATTR_IPV4_SRC,
                      htonl(ntohl(source) + static_cast<uint32_t>(i / ports_per_source)));
    nfct_set_attr_u32(entry, ATTR_IPV4_DST, destination);
    nfct_set_attr_u8(entry, ATTR_L4PROTO, IPPROTO_TCP);
    nfct_set_attr_u16(entry, ATTR_PORT_SRC, htons(static_cast<uint16_t>(10000 + i % ports_per_source)));
    nfct_set_attr_u16(entry, ATTR_PORT_DST, htons(80));
    nfct_setobjopt(entry, NFCT_SOPT_SETUP_REPLY);  // the kernel rewrites the reply tuple for the NAT
    nfct_set_attr_u8(entry, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
    nfct_set_attr_u32(entry, ATTR_TIMEOUT, 600);
    if (nat) nfct_set_attr_u32(entry, ATTR_SNAT_IPV4, *nat);
    const int result = nfct_query(handle, NFCT_Q_CREATE, entry);
    const int error = errno;
    nfct_destroy(entry);
    if (result < 0) {
      std::fprintf(stderr, "create entry %ld: %s\n", i, std::strerror(error));
      nfct_close(handle);
      return 1;
    }
    ++created;
  }
  nfct_close(handle);
  std::printf("created %ld\n", created);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The sweep's debug line (entries examined, deleted) goes to stderr; stdout holds only the results.
  spdlog::set_default_logger(spdlog::stderr_color_st("conntrack_check"));
  spdlog::set_level(spdlog::level::debug);
  if (argc == 3 && std::string(argv[1]) == "delete") return run_delete(argv[2]);
  if (argc == 6 && std::string(argv[1]) == "create") {
    char* end = nullptr;
    const long count = std::strtol(argv[2], &end, 10);
    auto source = ipv4(argv[3]);
    auto destination = ipv4(argv[4]);
    std::optional<uint32_t> nat;
    if (std::string(argv[5]) != "-") {
      nat = ipv4(argv[5]);
      if (!nat) return usage();
    }
    if (*end != '\0' || count < 0 || !source || !destination) return usage();
    return run_create(count, *source, *destination, nat);
  }
  return usage();
}
