#include "daemon/lease_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace uplinkd {
namespace {

class LeaseStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path directory;
  void SetUp() override {
    directory = std::filesystem::temp_directory_path() /
                ("uplinkd-leases-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory);
  }
  void TearDown() override { std::filesystem::remove_all(directory); }
  std::string path() const { return (directory / "sub" / "state.json").string(); }
};

TEST_F(LeaseStoreTest, RoundTripCreatesDirectories) {
  Leases leases;
  leases["wan1"] =
      DhcpLease{*Prefix::parse("100.64.1.10/24"), IpAddress::parse("100.64.1.1"), DhcpClient::dhclient};
  leases["wan2"] = DhcpLease{*Prefix::parse("100.64.2.10/24"), std::nullopt, DhcpClient::udhcpc};
  save_leases(path(), leases);
  EXPECT_EQ(load_leases(path()), leases);
  for (const auto& entry : std::filesystem::directory_iterator(directory / "sub"))
    EXPECT_EQ(entry.path().filename(), "state.json");  // no temporary file left
}

TEST_F(LeaseStoreTest, MissingFileIsNoLeases) {
  EXPECT_TRUE(load_leases(path()).empty());
}

TEST_F(LeaseStoreTest, CorruptFileIsIgnoredNotFatal) {
  std::filesystem::create_directories(directory / "sub");
  for (const char* text : {"not json", "[1,2]", R"({"leases": 5})",
                           R"({"leases": {"wan1": {"address": "nonsense", "client": "dhclient"}}})",
                           R"({"leases": {"wan1": {"address": "100.64.1.10/24", "client": "pump"}}})"}) {
    std::ofstream(path()) << text;
    EXPECT_TRUE(load_leases(path()).empty()) << text;
  }
}

// Each entry is judged on its own: a bad one is skipped with a warning, the others are restored.
TEST_F(LeaseStoreTest, BadEntriesAreSkippedOneByOne) {
  std::filesystem::create_directories(directory / "sub");
  const std::string good =
      R"("good": {"address": "100.64.1.10/24", "client": "dhclient", "gateway": "100.64.1.1"})";
  for (const char* bad : {
           R"({"address": "0.0.0.0/24", "client": "dhclient"})",
           R"({"address": "2001:db8::2/64", "client": "dhclient"})",
           R"({"address": "100.64.1.10", "client": "dhclient"})",
           R"({"address": "default", "client": "dhclient"})",
           R"({"address": 5, "client": "dhclient"})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": "0.0.0.0"})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": "255.255.255.255"})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": "100.64.1.255"})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": "100.64.1.10"})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": "127.0.0.1"})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": "fe80::1"})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": null})",
           R"({"address": "100.64.1.10/24", "client": "dhclient", "gateway": "gw"})",
           R"("a string")",
       }) {
    std::ofstream(path()) << R"({"version": 1, "leases": {"bad": )" << bad << ", " << good << "}}";
    auto leases = load_leases(path());
    EXPECT_FALSE(leases.contains("bad")) << bad;
    ASSERT_TRUE(leases.contains("good")) << bad;
    EXPECT_EQ(leases["good"].gateway, IpAddress::parse("100.64.1.1"));
  }
}

TEST_F(LeaseStoreTest, ALeaseOfLengthZeroReadsBack) {
  Leases leases;
  leases["wan1"] = DhcpLease{*Prefix::parse("100.64.1.10/0"), std::nullopt, DhcpClient::dhclient};
  save_leases(path(), leases);
  EXPECT_EQ(load_leases(path()), leases);
}

TEST_F(LeaseStoreTest, AFifoOrAnOversizedFileIsIgnoredWithoutBlocking) {
  std::filesystem::create_directories(directory / "sub");
  ASSERT_EQ(::mkfifo(path().c_str(), 0600), 0);
  EXPECT_TRUE(load_leases(path()).empty());
  std::filesystem::remove(path());
  std::ofstream(path()) << std::string(2 * 1024 * 1024, ' ');
  EXPECT_TRUE(load_leases(path()).empty());
}

TEST_F(LeaseStoreTest, UnwritablePathThrowsNamingIt) {
  std::filesystem::create_directories(directory);
  std::ofstream(directory / "file") << "x";
  try {
    save_leases((directory / "file" / "state.json").string(), {});
    FAIL() << "expected an error";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("state file"), std::string::npos);
  }
}

}  // namespace
}  // namespace uplinkd
