// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/probe_tcp.hpp"

#include <algorithm>

namespace uplinkd {

struct TcpProber::Attempt {
  Attempt(asio::io_context& io, TcpProber* owner, Handler done)
      : socket(io), timer(io), owner(owner), done(std::move(done)) {}

  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  TcpProber* owner;  // null once the prober is gone or the attempt finished
  Handler done;
  IpAddress target;
  uint16_t port = 0;
  std::chrono::steady_clock::time_point started;
};

namespace {

asio::ip::address to_asio(const IpAddress& address) {
  if (address.family() == Family::v4) {
    asio::ip::address_v4::bytes_type bytes;
    std::copy_n(address.data(), bytes.size(), bytes.begin());
    return asio::ip::address_v4(bytes);
  }
  // No scope id: the socket's device is the scope of a link-local target.
  asio::ip::address_v6::bytes_type bytes;
  std::copy_n(address.data(), bytes.size(), bytes.begin());
  return asio::ip::address_v6(bytes);
}

}  // namespace

TcpProber::~TcpProber() {
  for (auto& attempt : attempts_) {
    attempt->owner = nullptr;
    attempt->done = nullptr;
    asio::error_code ignored;
    attempt->socket.close(ignored);
    attempt->timer.cancel();
  }
}

void TcpProber::finish(const std::shared_ptr<Attempt>& attempt, Result result) {
  attempt->owner = nullptr;
  asio::error_code ignored;
  attempt->socket.close(ignored);
  attempt->timer.cancel();
  std::erase(attempts_, attempt);
  // Last: the handler may destroy this prober.
  const Handler done = std::move(attempt->done);
  if (done) done(result);
}

void TcpProber::probe(const IpAddress& target, uint16_t port, std::chrono::steady_clock::duration timeout,
                      Handler done) {
  auto attempt = std::make_shared<Attempt>(io_, this, std::move(done));
  attempt->target = target;
  attempt->port = port;
  attempt->started = std::chrono::steady_clock::now();
  attempts_.push_back(attempt);
  const std::string name =
      "tcp probe on " + source_.to_string() + " to " + target.to_string() + ":" + std::to_string(port);

  // Errors before the connect is under way are reported from the loop, as everything else, not from inside
  // probe(): a caller never sees its handler run before probe() returns.
  auto fail_later = [this, attempt](KernelError error) {
    asio::post(io_, [attempt, error = std::move(error)] {
      if (attempt->owner) attempt->owner->finish(attempt, Result{error});
    });
  };
  const Family family = source_.address.family();
  if (target.family() != family) {
    return fail_later(
        errno_error(name + " (the source is " + std::string(family_name(family)) + ")", EAFNOSUPPORT));
  }
  asio::error_code error;
  attempt->socket.open(family == Family::v4 ? asio::ip::tcp::v4() : asio::ip::tcp::v6(), error);
  if (error) return fail_later(KernelError{name + ": socket", error.value(), {}});
  if (auto bind_error = bind_to_uplink(attempt->socket.native_handle(), source_)) {
    bind_error->object = name + ": " + bind_error->object;
    return fail_later(*bind_error);
  }

  attempt->timer.expires_after(timeout);
  attempt->timer.async_wait([attempt](const asio::error_code& ec) {
    if (ec || !attempt->owner) return;
    attempt->owner->finish(attempt, Result{TcpTimeout{attempt->target, attempt->port}});
  });
  attempt->socket.async_connect(
      asio::ip::tcp::endpoint(to_asio(target), port), [attempt, name](const asio::error_code& ec) {
        if (!attempt->owner || ec == asio::error::operation_aborted) return;
        const auto rtt = std::chrono::steady_clock::now() - attempt->started;
        if (!ec) {
          attempt->owner->finish(
              attempt, Result{TcpAnswer{attempt->target, attempt->port, TcpAnswer::Kind::connected, rtt}});
        } else if (ec == asio::error::connection_refused) {
          attempt->owner->finish(
              attempt, Result{TcpAnswer{attempt->target, attempt->port, TcpAnswer::Kind::refused, rtt}});
        } else {
          attempt->owner->finish(attempt, Result{KernelError{name + ": connect", ec.value(), {}}});
        }
      });
}

}  // namespace uplinkd
