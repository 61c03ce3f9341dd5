// SPDX-License-Identifier: GPL-2.0-or-later
// The receive side the ICMP and ARP probers share. Their State lives in a shared_ptr that queued waits hold,
// so a wait that completes after the prober is gone finds `closed` set and does nothing; a reply handler may
// even destroy the prober while it runs.
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>

#include "common/error.hpp"

namespace uplinkd {

// Waits for the socket to be readable and calls read_all(state), again and again until the prober closes.
// A wait error goes to state->on_error, described by what("wait").
template <class State, class ReadAll, class What>
void keep_reading(std::shared_ptr<State> state, ReadAll read_all, What what) {
  auto& descriptor = state->descriptor;
  descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                        [state, read_all, what](const asio::error_code& error) {
                          if (state->closed || error == asio::error::operation_aborted) return;
                          if (error) {
                            const auto on_error = state->on_error;  // a copy: it may close the prober
                            on_error(KernelError{what("wait"), error.value(), error.message()});
                            return;
                          }
                          read_all(state);
                          if (!state->closed) keep_reading(state, read_all, what);
                        });
}

// For a prober's destructor: no handler runs after this, even for reads already queued on the loop.
template <class State>
void stop_reading(State& state) {
  state.closed = true;
  asio::error_code ignored;
  state.descriptor.close(ignored);
  state.on_reply = nullptr;
  state.on_error = nullptr;
}

}  // namespace uplinkd
