// SPDX-License-Identifier: GPL-2.0-or-later
// The capability arithmetic of the drop at start, and the on_change child's empty sets with a real child
// (no networking: /bin/sh reads its own /proc/self/status).
#include "daemon/privileges.hpp"

#include <gmock/gmock.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/unprivileged_spawn.hpp"

namespace uplinkd {
namespace {

constexpr CapabilityMask kAll = 0x1ffffffffff;  // the 41 capabilities of Linux 5.9 and later
constexpr CapabilityMask kNetAdmin = CapabilityMask{1} << 12;
constexpr CapabilityMask kNetRaw = CapabilityMask{1} << 13;
constexpr CapabilityMask kSetPcap = CapabilityMask{1} << 8;

TEST(LeastPrivilege, RootByHandKeepsTheTwoAndNarrowsTheBoundingSet) {
  CapabilitySets root{.inheritable = 0, .permitted = kAll, .effective = kAll, .bounding = kAll, .ambient = 0};
  auto target = least_privilege(root);
  EXPECT_EQ(target.permitted, kNetAdmin | kNetRaw);
  EXPECT_EQ(target.effective, kNetAdmin | kNetRaw);
  EXPECT_EQ(target.bounding, kNetAdmin | kNetRaw);
  EXPECT_EQ(target.inheritable, 0u);
  EXPECT_EQ(target.ambient, 0u);
  EXPECT_TRUE(target.no_new_privs);
}

TEST(LeastPrivilege, UnderSystemdTheAmbientAndInheritableSetsAreCleared) {
  // AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW: the two in every set, the bounding set already narrowed.
  CapabilityMask two = kNetAdmin | kNetRaw;
  CapabilitySets service{
      .inheritable = two, .permitted = two, .effective = two, .bounding = two, .ambient = two};
  auto target = least_privilege(service);
  EXPECT_EQ(target.permitted, two);
  EXPECT_EQ(target.bounding, two);
  EXPECT_EQ(target.inheritable, 0u);
  EXPECT_EQ(target.ambient, 0u);
}

TEST(LeastPrivilege, WithoutSetpcapTheBoundingSetStays) {
  CapabilitySets sets{.permitted = kAll & ~kSetPcap, .effective = kAll & ~kSetPcap, .bounding = kAll};
  EXPECT_EQ(least_privilege(sets).bounding, kAll);
}

TEST(LeastPrivilege, NeverAddsWhatIsNotPermitted) {
  CapabilitySets user{.bounding = kAll};  // an ordinary user: nothing permitted
  auto target = least_privilege(user);
  EXPECT_EQ(target.permitted, 0u);
  EXPECT_EQ(target.effective, 0u);
  CapabilitySets only_admin{.permitted = kNetAdmin, .effective = kNetAdmin, .bounding = kAll};
  EXPECT_EQ(least_privilege(only_admin).permitted, kNetAdmin);
}

TEST(StatusCapabilities, ParsesTheKernelsLines) {
  auto sets = parse_status_capabilities(
      "Name:\tuplinkd\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t0000000000003000\n"
      "CapEff:\t0000000000003000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n"
      "Seccomp:\t0\n");
  ASSERT_TRUE(sets);
  EXPECT_EQ(sets->permitted, kNetAdmin | kNetRaw);
  EXPECT_EQ(sets->effective, kNetAdmin | kNetRaw);
  EXPECT_EQ(sets->bounding, kAll);
  EXPECT_EQ(sets->inheritable, 0u);
  EXPECT_TRUE(sets->no_new_privs);
}

TEST(StatusCapabilities, MissingOrBadLinesAreRefused) {
  EXPECT_FALSE(parse_status_capabilities("CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"));  // no CapAmb
  EXPECT_FALSE(parse_status_capabilities("CapInh:\t0\nCapPrm:\tzz\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\n"));
  EXPECT_FALSE(parse_status_capabilities(""));
}

TEST(CapabilityNames, NamesEachBit) {
  EXPECT_EQ(capability_names(kNetAdmin | kNetRaw), "CAP_NET_ADMIN, CAP_NET_RAW");
  EXPECT_EQ(capability_names(0), "none");
  EXPECT_EQ(capability_names(CapabilityMask{1} << 40), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(capability_names(CapabilityMask{1} << 41), "cap_41");
}

// A real child: whatever the test runs with (root in CI, with every capability), the program has none and
// no_new_privs, and so has what it runs in turn (a uid-0 execve regains nothing).
TEST(SpawnUnprivileged, TheProgramAndWhatItRunsHaveNoCapabilities) {
  auto dir = std::filesystem::temp_directory_path() / ("uplinkd-spawn-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto own = dir / "own";
  auto grandchild = dir / "grandchild";
  auto pid_and_error = spawn_unprivileged(
      {"/bin/sh", "-c", "cat /proc/self/status > \"$1\"; /bin/cat /proc/self/status > \"$2\"", "sh",
       own.string(), grandchild.string()},
      {"PATH=/usr/bin:/bin"});
  ASSERT_EQ(pid_and_error.error, 0) << pid_and_error.step;
  int status = 0;
  ASSERT_EQ(waitpid(pid_and_error.pid, &status, 0), pid_and_error.pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (const auto& file : {own, grandchild}) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto sets = parse_status_capabilities(text.str());
    ASSERT_TRUE(sets) << file;
    EXPECT_EQ(sets->permitted, 0u) << file;
    EXPECT_EQ(sets->effective, 0u) << file;
    EXPECT_EQ(sets->inheritable, 0u) << file;
    EXPECT_EQ(sets->ambient, 0u) << file;
    EXPECT_TRUE(sets->no_new_privs) << file;
  }
  std::filesystem::remove_all(dir);
}

TEST(SpawnUnprivileged, AMissingProgramIsAnErrorNotAnExitStatus) {
  auto result = spawn_unprivileged({"/nonexistent/uplinkd-test/program"}, {});
  EXPECT_EQ(result.error, ENOENT);
  EXPECT_EQ(result.pid, -1);
}

}  // namespace
}  // namespace uplinkd
