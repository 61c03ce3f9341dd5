// SPDX-License-Identifier: GPL-2.0-or-later
// libuplinkd-exec.so: what `uplinkctl exec UPLINK -- CMD` preloads into CMD (LD_PRELOAD), so that every IPv4
// and IPv6 socket of CMD and of its children leaves by that one uplink (docs/operations.md, "Testing one
// uplink: uplinkctl exec"). uplinkctl hands it, in the environment:
//   UPLINKD_EXEC_MARK      the uplink's packet mark (ownership::uplink_mark), decimal or 0x hex
//   UPLINKD_EXEC_ADDRESS   its IPv4 address; empty when its IPv4 side is not usable
//   UPLINKD_EXEC_ADDRESS6  its IPv6 address; empty when its IPv6 side is not usable
//
// Two things, both before the kernel chooses a socket's source address (at connect(), or at the first send of
// an unconnected datagram socket), never after:
//  1. socket(): SO_MARK, at creation. uplinkd's output chain leaves a marked socket's packets alone ("a
//     socket's own mark wins"), so neither packet mode nor a [[rule]] re-marks them, and where uplinkd has
//     the uplink's `fwmark MARK lookup TABLE` rule (20050) the mark alone routes them by the uplink's table.
//  2. connect(), sendto(), sendmsg(), sendmmsg() of a socket that has no address yet: bind() to the uplink's
//     address (port 0; for TCP with IP_BIND_ADDRESS_NO_PORT, so that connect() still picks the port), and
//     bind() to the wildcard address becomes a bind to the uplink's address, port kept. The mark alone is not
//     enough: uplinkd has no fwmark rule in mode flow without masquerade, and a drained uplink's may be gone;
//     but every routable uplink has `from ADDRESS lookup TABLE` (20100), so a source of its own routes by its
//     table in every mode, and it is the source the uplink's ISP accepts. Binding at creation instead would
//     break every program that binds by itself (servers, ping, ssh -b): a second bind() fails.
// A family the uplink has no usable address for cannot leave by it: such connects and sends fail with
// ENETUNREACH (curl then tries the other family). Loopback destinations are left alone.
//
// Not covered: static programs and Go programs (their sockets never pass through the C library, so LD_PRELOAD
// cannot see them; uplinkctl refuses to start those it recognises), and sockets the C library makes for
// itself inside its own functions (glibc's DNS resolver: a DNS server on the LAN or localhost is reached
// either way). SO_MARK needs CAP_NET_ADMIN: uplinkctl checks that before it runs anything. A socket that
// cannot be marked is not handed out: socket() fails with the error.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static struct {
  bool active;   // UPLINKD_EXEC_MARK was given: every inet socket is ours to steer
  bool invalid;  // it, or an address, was given but unreadable: fail closed, never leave by another uplink
  uint32_t mark;
  bool has4, has6;
  struct in_addr address4;
  struct in6_addr address6;
} shim;

static int (*real_socket)(int, int, int);
static int (*real_bind)(int, const struct sockaddr*, socklen_t);
static int (*real_connect)(int, const struct sockaddr*, socklen_t);
static ssize_t (*real_sendto)(int, const void*, size_t, int, const struct sockaddr*, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr*, int);
static int (*real_sendmmsg)(int, struct mmsghdr*, unsigned int, int);

// An address variable: absent or empty means no address of that family; anything else must parse.
static bool read_address(const char* name, int family, void* out) {
  const char* text = getenv(name);
  if (!text || !*text) return false;
  if (inet_pton(family, text, out) != 1) shim.invalid = true;
  return !shim.invalid;
}

__attribute__((constructor)) static void load(void) {
  real_socket = dlsym(RTLD_NEXT, "socket");
  real_bind = dlsym(RTLD_NEXT, "bind");
  real_connect = dlsym(RTLD_NEXT, "connect");
  real_sendto = dlsym(RTLD_NEXT, "sendto");
  real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
  real_sendmmsg = dlsym(RTLD_NEXT, "sendmmsg");
  const char* mark = getenv("UPLINKD_EXEC_MARK");
  if (!mark) return;  // preloaded without uplinkctl's environment: not ours to steer
  shim.active = true;
  char* end = NULL;
  errno = 0;
  unsigned long value = strtoul(mark, &end, 0);
  if (!*mark || *end || errno || value == 0 || value > UINT32_MAX) shim.invalid = true;
  shim.mark = (uint32_t)value;
  shim.has4 = read_address("UPLINKD_EXEC_ADDRESS", AF_INET, &shim.address4);
  shim.has6 = read_address("UPLINKD_EXEC_ADDRESS6", AF_INET6, &shim.address6);
}

static int socket_family(int fd) {
  int family = AF_UNSPEC;
  socklen_t length = sizeof family;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &length) != 0) return AF_UNSPEC;
  return family;
}

static bool is_loopback(const struct sockaddr* to) {
  if (to->sa_family == AF_INET) return (ntohl(((const struct sockaddr_in*)to)->sin_addr.s_addr) >> 24) == 127;
  if (to->sa_family == AF_INET6) {
    const struct in6_addr* address = &((const struct sockaddr_in6*)to)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(address)) return true;
    return IN6_IS_ADDR_V4MAPPED(address) && address->s6_addr[12] == 127;
  }
  return false;
}

// The uplink's address for a socket of `family` that goes to `to` (an IPv6 socket may reach IPv4 through a
// v4-mapped address); false when the uplink has none for that destination.
static bool uplink_address(int family, const struct sockaddr* to, struct sockaddr_storage* out,
                           socklen_t* length) {
  memset(out, 0, sizeof *out);
  if (family == AF_INET) {
    struct sockaddr_in* in = (struct sockaddr_in*)out;
    in->sin_family = AF_INET;
    in->sin_addr = shim.address4;
    *length = sizeof *in;
    return shim.has4;
  }
  struct sockaddr_in6* in6 = (struct sockaddr_in6*)out;
  in6->sin6_family = AF_INET6;
  *length = sizeof *in6;
  if (to && to->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6*)to)->sin6_addr)) {
    in6->sin6_addr.s6_addr[10] = 0xff;
    in6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&in6->sin6_addr.s6_addr[12], &shim.address4, 4);
    return shim.has4;
  }
  in6->sin6_addr = shim.address6;
  return shim.has6;
}

static bool wildcard(const struct sockaddr_storage* address) {
  if (address->ss_family == AF_INET) return ((const struct sockaddr_in*)address)->sin_addr.s_addr == 0;
  if (address->ss_family == AF_INET6)
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6*)address)->sin6_addr);
  return false;
}

// Before a socket's source address is chosen for a packet to `to`: bind it to the uplink's address unless it
// has an address (ours, or one the program chose). 0, or the errno to fail the call with.
static int steer(int fd, const struct sockaddr* to) {
  if (!shim.active || !to) return 0;
  const int family = socket_family(fd);
  if (family != AF_INET && family != AF_INET6) return 0;
  if (shim.invalid) return EINVAL;
  if (to->sa_family == AF_UNSPEC || is_loopback(to)) return 0;  // a connect(AF_UNSPEC) disconnects
  struct sockaddr_storage bound;
  socklen_t length = sizeof bound;
  if (getsockname(fd, (struct sockaddr*)&bound, &length) != 0) return errno;
  struct sockaddr_storage source;
  socklen_t source_length;
  const bool has_address = uplink_address(family, to, &source, &source_length);
  if (!wildcard(&bound)) return 0;
  if (!has_address) return ENETUNREACH;
  // Bound to the wildcard with a port already (by a bind() before ours was loaded, or the C library's own):
  // the kernel cannot move it, and the mark routes it.
  if (((const struct sockaddr_in*)&bound)->sin_port != 0) return 0;
  int type = 0;
  socklen_t type_length = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length);
  if (type == SOCK_STREAM) {
    const int on = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);  // an old kernel: a port at bind
  }
  if (real_bind(fd, (const struct sockaddr*)&source, source_length) != 0) return errno;
  return 0;
}

EXPORT int socket(int domain, int type, int protocol) {
  const int fd = real_socket(domain, type, protocol);
  if (fd < 0 || !shim.active || (domain != AF_INET && domain != AF_INET6)) return fd;
  if (shim.invalid) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &shim.mark, sizeof shim.mark) != 0) {
    const int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

EXPORT int bind(int fd, const struct sockaddr* address, socklen_t length) {
  if (shim.active && address && (address->sa_family == AF_INET || address->sa_family == AF_INET6) &&
      length <= sizeof(struct sockaddr_storage)) {
    struct sockaddr_storage asked;
    memset(&asked, 0, sizeof asked);
    memcpy(&asked, address, length);
    struct sockaddr_storage source;
    socklen_t source_length;
    if (wildcard(&asked) && uplink_address(address->sa_family, NULL, &source, &source_length)) {
      // The port the program asked for, on the uplink's address.
      if (address->sa_family == AF_INET)
        ((struct sockaddr_in*)&source)->sin_port = ((const struct sockaddr_in*)address)->sin_port;
      else
        ((struct sockaddr_in6*)&source)->sin6_port = ((const struct sockaddr_in6*)address)->sin6_port;
      return real_bind(fd, (const struct sockaddr*)&source, source_length);
    }
  }
  return real_bind(fd, address, length);
}

EXPORT int connect(int fd, const struct sockaddr* address, socklen_t length) {
  const int error = steer(fd, address);
  if (error) {
    errno = error;
    return -1;
  }
  return real_connect(fd, address, length);
}

EXPORT ssize_t sendto(int fd, const void* buffer, size_t size, int flags, const struct sockaddr* address,
                      socklen_t length) {
  const int error = steer(fd, address);
  if (error) {
    errno = error;
    return -1;
  }
  return real_sendto(fd, buffer, size, flags, address, length);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr* message, int flags) {
  const int error = steer(fd, message ? (const struct sockaddr*)message->msg_name : NULL);
  if (error) {
    errno = error;
    return -1;
  }
  return real_sendmsg(fd, message, flags);
}

EXPORT int sendmmsg(int fd, struct mmsghdr* messages, unsigned int count, int flags) {
  const int error =
      steer(fd, messages && count ? (const struct sockaddr*)messages[0].msg_hdr.msg_name : NULL);
  if (error) {
    errno = error;
    return -1;
  }
  return real_sendmmsg(fd, messages, count, flags);
}
