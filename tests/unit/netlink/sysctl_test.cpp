// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/sysctl.hpp"

#include <gmock/gmock.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace uplinkd::netlink {
namespace {

class SysctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/uplinkd-sysctl-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    std::filesystem::create_directories(root_ / "net/ipv4/conf/eth0.7");
    std::ofstream(root_ / "net/ipv4/fib_multipath_hash_policy") << "0\n";
    std::ofstream(root_ / "net/ipv4/conf/eth0.7/rp_filter") << "1\n";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root() const { return root_.string(); }
  std::filesystem::path root_;
};

TEST_F(SysctlTest, ReadsDottedAndSlashedNames) {
  EXPECT_EQ(read_sysctl("net.ipv4.fib_multipath_hash_policy", root()).value(), "0");
  EXPECT_EQ(read_sysctl("net/ipv4/conf/eth0.7/rp_filter", root()).value(), "1");
}

TEST_F(SysctlTest, WritesAndReadsBack) {
  EXPECT_FALSE(write_sysctl("net/ipv4/fib_multipath_hash_policy", "1", root()).has_value());
  EXPECT_EQ(read_sysctl("net/ipv4/fib_multipath_hash_policy", root()).value(), "1");
}

TEST_F(SysctlTest, FailuresNameTheSysctl) {
  const auto missing = read_sysctl("net.ipv4.no_such_thing", root());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_EQ(missing.error().object, "read sysctl net.ipv4.no_such_thing");
  const auto written = write_sysctl("net/ipv4/absent", "1", root());
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(written->code, ENOENT);
}

TEST_F(SysctlTest, RefusesPathsOutsideTheRoot) {
  EXPECT_EQ(read_sysctl("../etc/passwd", root()).error().code, EINVAL);
  EXPECT_EQ(read_sysctl("/etc/passwd", root()).error().code, EINVAL);
  EXPECT_EQ(write_sysctl("net/../../x", "1", root())->code, EINVAL);
}

}  // namespace
}  // namespace uplinkd::netlink
