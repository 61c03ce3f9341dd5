// SPDX-License-Identifier: GPL-2.0-or-later
// The rt_tables writer keeps everyone else's lines and rewrites only its own.
#include "config/rt_tables.hpp"

#include <gmock/gmock.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/regular_file.hpp"

namespace uplinkd {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const TableNames kTwo = {{200, "uplinkd-eth0"}, {201, "uplinkd-wlan0"}};

TEST(MergeTableNames, IntoNothing) {
  EXPECT_EQ(merge_table_names("", kTwo).text, "200 uplinkd-eth0 # uplinkd\n201 uplinkd-wlan0 # uplinkd\n");
}

TEST(MergeTableNames, NothingIntoNothing) {
  EXPECT_EQ(merge_table_names("", {}).text, "");
}

TEST(MergeTableNames, KeepsForeignLinesByteForByte) {
  std::string foreign = "#\n# reserved values\n#\n255\tlocal\n  254   main  \n\n100 isp # mine\n0x10 hex\n";
  EXPECT_EQ(merge_table_names(foreign, kTwo).text,
            foreign + "200 uplinkd-eth0 # uplinkd\n201 uplinkd-wlan0 # uplinkd\n");
}

TEST(MergeTableNames, ReplacesItsOwnLines) {
  std::string existing = "100 isp\n300 old-name # uplinkd\n200 uplinkd-eth0 # uplinkd\n101 other\n";
  EXPECT_EQ(merge_table_names(existing, {{200, "uplinkd-eth0"}}).text,
            "100 isp\n101 other\n200 uplinkd-eth0 # uplinkd\n");
}

TEST(MergeTableNames, RemovesItsOwnLinesWhenNoNamesAreLeft) {
  EXPECT_EQ(merge_table_names("1 a\n200 x # uplinkd\n", {}).text, "1 a\n");
}

TEST(MergeTableNames, MarkerWithTrailingBlanksIsOurs) {
  EXPECT_EQ(merge_table_names("200 x # uplinkd  \r\n", {}).text, "");
  EXPECT_EQ(merge_table_names("200 x\t# uplinkd\n", {}).text, "");
}

TEST(MergeTableNames, MarkerMustBeItsOwnComment) {
  for (std::string line :
       {"200 x#uplinkd", "200 x # uplinkd-ish", "# uplinkd", "200 x # not uplinkd but more"})
    EXPECT_EQ(merge_table_names(line + "\n", {}).text, line + "\n") << line;
}

TEST(MergeTableNames, AddsNewlineBeforeItsLines) {
  EXPECT_EQ(merge_table_names("100 isp", {{200, "a"}}).text, "100 isp\n200 a # uplinkd\n");
}

TEST(MergeTableNames, LeavesAnEqualForeignEntryAlone) {
  auto update = merge_table_names("200 uplinkd-eth0\n", kTwo);
  EXPECT_EQ(update.text, "200 uplinkd-eth0\n201 uplinkd-wlan0 # uplinkd\n");
  EXPECT_THAT(update.conflicts, IsEmpty());
}

TEST(MergeTableNames, ReadsForeignIdsAsIproute2Does) {
  EXPECT_EQ(merge_table_names("0xc8 uplinkd-eth0\n", {{200, "uplinkd-eth0"}}).text, "0xc8 uplinkd-eth0\n");
  EXPECT_EQ(merge_table_names("  200\tuplinkd-eth0\n", {{200, "uplinkd-eth0"}}).text,
            "  200\tuplinkd-eth0\n");
}

TEST(MergeTableNames, CommentedOutEntryDoesNotCount) {
  EXPECT_EQ(merge_table_names("#200 a\n", {{200, "a"}}).text, "#200 a\n200 a # uplinkd\n");
}

TEST(MergeTableNames, NameTakenByAnotherIdIsAConflict) {
  auto update = merge_table_names("300 uplinkd-eth0\n", kTwo);
  EXPECT_EQ(update.text, "300 uplinkd-eth0\n201 uplinkd-wlan0 # uplinkd\n");
  EXPECT_THAT(update.conflicts, ElementsAre("uplinkd-eth0 is table 300"));
}

TEST(MergeTableNames, AnotherNameForTheSameIdIsKept) {
  EXPECT_EQ(merge_table_names("200 isp1\n", {{200, "a"}}).text, "200 isp1\n200 a # uplinkd\n");
}

TEST(MergeTableNames, Idempotent) {
  std::string start = "# mine\n100 isp\n200 stale # uplinkd\n";
  auto once = merge_table_names(start, kTwo).text;
  EXPECT_EQ(merge_table_names(once, kTwo).text, once);
}

class WriteTableNames : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "uplinkd-rt-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "rt_tables.d" / "uplinkd.conf").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const std::string& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  }
  static void put(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
  }
  static ino_t inode(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(stat(path.c_str(), &info), 0);
    return info.st_ino;
  }
  static mode_t mode(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(stat(path.c_str(), &info), 0);
    return info.st_mode & 07777;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(WriteTableNames, CreatesFileAndDirectories) {
  auto result = write_table_names(path_, kTwo);
  EXPECT_TRUE(result.rewritten);
  EXPECT_EQ(read(path_), "200 uplinkd-eth0 # uplinkd\n201 uplinkd-wlan0 # uplinkd\n");
  EXPECT_EQ(mode(path_), 0644u);
}

TEST_F(WriteTableNames, NothingToWriteCreatesNothing) {
  EXPECT_FALSE(write_table_names(path_, {}).rewritten);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(WriteTableNames, SecondWriteChangesNothing) {
  write_table_names(path_, kTwo);
  auto before = inode(path_);
  EXPECT_FALSE(write_table_names(path_, kTwo).rewritten);
  EXPECT_EQ(inode(path_), before) << "an unchanged file must not be replaced";
}

TEST_F(WriteTableNames, KeepsForeignEntriesAcrossWrites) {
  std::string foreign = "# site tables\n100\tisp-a\n101 isp-b   # by hand\n";
  put(path_, foreign);
  write_table_names(path_, kTwo);
  write_table_names(path_, {{202, "uplinkd-lte0"}});
  EXPECT_EQ(read(path_), foreign + "202 uplinkd-lte0 # uplinkd\n");
}

TEST_F(WriteTableNames, KeepsTheFilesMode) {
  put(path_, "100 isp\n");
  ASSERT_EQ(chmod(path_.c_str(), 0640), 0);
  EXPECT_TRUE(write_table_names(path_, kTwo).rewritten);
  EXPECT_EQ(mode(path_), 0640u);
}

TEST_F(WriteTableNames, ForgetsItsNamesButKeepsTheFile) {
  put(path_, "100 isp\n");
  write_table_names(path_, kTwo);
  EXPECT_TRUE(write_table_names(path_, {}).rewritten);
  EXPECT_EQ(read(path_), "100 isp\n");
}

TEST_F(WriteTableNames, ReportsConflictsWithThePath) {
  put(path_, "300 uplinkd-eth0\n");
  auto result = write_table_names(path_, kTwo);
  EXPECT_THAT(result.conflicts, ElementsAre("uplinkd-eth0 is table 300 in " + path_));
}

TEST_F(WriteTableNames, LeavesNoTemporaryFiles) {
  put(path_, "100 isp\n");
  write_table_names(path_, kTwo);
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(fs::path(path_).parent_path()))
    files.push_back(entry.path().filename().string());
  EXPECT_THAT(files, ElementsAre("uplinkd.conf"));
}

TEST_F(WriteTableNames, FailureNamesThePath) {
  put((dir_ / "blocker").string(), "a file where a directory should be\n");
  auto path = (dir_ / "blocker" / "uplinkd.conf").string();
  try {
    write_table_names(path, kTwo);
    FAIL() << "wrote below a regular file";
  } catch (const std::exception& error) {
    EXPECT_THAT(error.what(), HasSubstr(path));
  }
}

TEST_F(WriteTableNames, AFifoIsRefusedWithoutBlockingAndLeftAlone) {
  auto path = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  try {
    write_table_names(path, kTwo);
    FAIL() << "read a FIFO";
  } catch (const FileReadError& error) {
    EXPECT_THAT(error.what(), HasSubstr(path + ": is a FIFO, not a regular file"));
  }
  EXPECT_TRUE(fs::is_fifo(path));
}

TEST_F(WriteTableNames, RelativePathInTheWorkingDirectory) {
  auto cwd = fs::current_path();
  fs::current_path(dir_);
  EXPECT_TRUE(write_table_names("names.conf", {{200, "a"}}).rewritten);
  fs::current_path(cwd);
  EXPECT_EQ(read((dir_ / "names.conf").string()), "200 a # uplinkd\n");
}

}  // namespace
}  // namespace uplinkd
