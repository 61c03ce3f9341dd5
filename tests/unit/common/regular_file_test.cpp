// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/regular_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace uplinkd {
namespace {

using ::testing::HasSubstr;

class RegularFile : public ::testing::Test {
 protected:
  std::filesystem::path directory;
  void SetUp() override {
    directory = std::filesystem::temp_directory_path() /
                ("uplinkd-regular-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
  }
  void TearDown() override { std::filesystem::remove_all(directory); }

  std::string write(const std::string& name, const std::string& text) {
    auto path = (directory / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  static std::string problem_of(const std::string& path, size_t max_bytes = 1024) {
    try {
      read_regular_file(path, max_bytes);
    } catch (const FileReadError& error) {
      EXPECT_EQ(std::string(error.what()), path + ": " + error.problem());
      return error.problem();
    }
    return "read";
  }
};

TEST_F(RegularFile, ReadsAFileUpToItsLimitAndSaysWhenNothingIsThere) {
  EXPECT_EQ(read_regular_file(write("small", "one\ntwo\n"), 8), "one\ntwo\n");
  EXPECT_EQ(read_regular_file(write("empty", ""), 8), "");
  EXPECT_EQ(read_regular_file((directory / "absent").string(), 8), std::nullopt);
  EXPECT_EQ(problem_of(write("big", std::string(9, 'x')), 8), "is 9 bytes, more than the limit of 8 bytes");
  EXPECT_EQ(problem_of(write("bigger", std::string(2049, 'x')), 2048),
            "is 2049 bytes, more than the limit of 2 KiB");
}

// No writer ever comes: a blocking open or read would hang this test, and the daemon, for good.
TEST_F(RegularFile, AFifoADeviceOrADirectoryIsRefusedWithoutBlocking) {
  const auto fifo = (directory / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(problem_of(fifo), "is a FIFO, not a regular file");
  EXPECT_EQ(problem_of("/dev/zero"), "is a character device, not a regular file");
  const auto link = (directory / "zero").string();
  std::filesystem::create_symlink("/dev/zero", link);
  EXPECT_EQ(problem_of(link), "is a character device, not a regular file");
  try {
    read_regular_file(directory.string(), 1024);
    FAIL();
  } catch (const FileReadError& error) {
    EXPECT_TRUE(error.is_directory());
    EXPECT_EQ(error.problem(), "is a directory");
  }
}

TEST_F(RegularFile, AnUnopenablePathSaysWhy) {
  EXPECT_THAT(problem_of(write("file", "x") + "/below"), HasSubstr("cannot be opened: Not a directory"));
}

}  // namespace
}  // namespace uplinkd
