// SPDX-License-Identifier: GPL-2.0-or-later
// load_config reads a file and reports the file's name in every message.
#include <gmock/gmock.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"

namespace uplinkd {
namespace {

class LoadConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "uplinkd-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(LoadConfig, ReadsToml) {
  auto path = write("uplinkd.toml", "[[uplink]]\ninterface = \"eth0\"\n");
  auto config = load_config(path);
  EXPECT_EQ(config.path, path);
  EXPECT_EQ(config.uplinks.at(0).where.to_string(), path + ":1:1");
}

TEST_F(LoadConfig, ReadsDhcpLb) {
  auto path = write("dhcp-lb", "eth0 table-eth0 200 1\nwlan0 table-wlan0 201 2\n");
  EXPECT_EQ(load_config(path).uplinks.size(), 2u);
}

TEST_F(LoadConfig, ErrorsNameTheFile) {
  auto path = write("bad.toml", "[[uplink]]\ninterface = \"eth0\"\nweight = 0\n");
  try {
    load_config(path);
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().to_string(), path + ":3:10");
  }
}

TEST_F(LoadConfig, MissingFile) {
  auto path = (dir_ / "absent.toml").string();
  try {
    load_config(path);
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().file, path);
    EXPECT_THAT(error.problem(), ::testing::HasSubstr("No such file or directory"));
    EXPECT_FALSE(error.hint().empty());
  }
}

TEST_F(LoadConfig, DirectoryIsNotAConfig) {
  EXPECT_THROW(load_config(dir_.string()), InputError);
}

// problem_of(PATH) — what load_config says about PATH (it must refuse it).
std::string problem_of(const std::string& path) {
  try {
    load_config(path);
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().file, path);
    return error.problem();
  }
  ADD_FAILURE() << path << " was accepted";
  return {};
}

// No writer ever comes: a blocking open or read would hang this test (and a daemon's reload) for good.
TEST_F(LoadConfig, FifoIsRefusedWithoutBlocking) {
  auto path = (dir_ / "fifo.toml").string();
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(problem_of(path), "the config file is a FIFO, not a regular file");
}

TEST_F(LoadConfig, DeviceIsRefused) {
  EXPECT_EQ(problem_of("/dev/zero"), "the config file is a character device, not a regular file");
  auto link = (dir_ / "zero.toml").string();
  std::filesystem::create_symlink("/dev/zero", link);
  EXPECT_EQ(problem_of(link), "the config file is a character device, not a regular file");
}

TEST_F(LoadConfig, FileOverOneMebibyteIsRefused) {
  auto path = write("huge.toml", "# " + std::string(1024 * 1024, 'x') + "\n");
  EXPECT_THAT(problem_of(path), ::testing::HasSubstr("more than the limit of 1024 KiB"));
  auto fits =
      write("big.toml", "[[uplink]]\ninterface = \"eth0\"\n# " + std::string(1000 * 1000, 'x') + "\n");
  EXPECT_EQ(load_config(fits).uplinks.size(), 1u);
}

}  // namespace
}  // namespace uplinkd
