// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace uplinkd {
namespace {

class AtomicFile : public ::testing::Test {
 protected:
  std::filesystem::path directory;
  void SetUp() override {
    directory = std::filesystem::temp_directory_path() /
                ("uplinkd-atomic-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory);
  }
  void TearDown() override { std::filesystem::remove_all(directory); }

  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  size_t files_in(const std::filesystem::path& path) const {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(path)) ++count;
    return count;
  }
};

TEST_F(AtomicFile, CreatesDirectoriesAndLeavesNoTemporaryFile) {
  auto path = directory / "a" / "b" / "file";
  write_file_atomically(path.string(), "one\n", 0600);
  EXPECT_EQ(read(path), "one\n");
  EXPECT_EQ(files_in(path.parent_path()), 1u);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(AtomicFile, ReplacesAndKeepsTheOldMode) {
  auto path = directory / "file";
  write_file_atomically(path.string(), "one\n");
  ::chmod(path.c_str(), 0640);
  write_file_atomically(path.string(), "two\n", 0600);
  EXPECT_EQ(read(path), "two\n");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  EXPECT_EQ(files_in(directory), 1u);
}

TEST_F(AtomicFile, AFailedReplaceLeavesTheOldFileAndNoTemporary) {
  auto path = directory / "target";
  std::filesystem::create_directories(path);  // rename() cannot put a file over a directory
  std::ofstream(path / "inside") << "keep";
  try {
    write_file_atomically(path.string(), "new");
    FAIL() << "expected an error";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  }
  EXPECT_EQ(read(path / "inside"), "keep");
  EXPECT_EQ(files_in(directory), 1u);
}

}  // namespace
}  // namespace uplinkd
