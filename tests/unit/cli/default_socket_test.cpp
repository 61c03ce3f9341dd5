// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/default_socket.hpp"

#include <gmock/gmock.h>

namespace uplinkd {
namespace {

TEST(DefaultSocket, TheNewPathUnlessOnlyTheOldOneExists) {
  EXPECT_EQ(default_socket(true, true), "/run/uplinkd/uplinkd.sock");
  EXPECT_EQ(default_socket(true, false), "/run/uplinkd/uplinkd.sock");
  EXPECT_EQ(default_socket(false, false), "/run/uplinkd/uplinkd.sock");  // "cannot reach" names the new one
  EXPECT_EQ(default_socket(false, true), "/run/uplinkd.sock");           // a daemon from before 0.2
}

}  // namespace
}  // namespace uplinkd
