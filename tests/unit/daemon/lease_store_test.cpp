// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/lease_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

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

std::vector<Prefix> prefixes(std::initializer_list<const char*> texts) {
  std::vector<Prefix> list;
  for (const char* text : texts) list.push_back(*Prefix::parse(text));
  return list;
}

TEST_F(LeaseStoreTest, RoundTripCreatesDirectories) {
  StoredLeases stored;
  stored.leases["wan1"] =
      DhcpLease{*Prefix::parse("100.64.1.10/24"), IpAddress::parse("100.64.1.1"), DhcpClient::dhclient};
  stored.leases["wan2"] = DhcpLease{*Prefix::parse("100.64.2.10/24"), std::nullopt, DhcpClient::udhcpc};
  stored.delegated["wan1"] = prefixes({"2001:db8:1:100::/60", "2001:db8:1:200::/56"});
  stored.delegated["wan3"] = prefixes({"fd00:3::/48"});  // an IPv6-only uplink has no IPv4 lease
  save_leases(path(), stored);
  EXPECT_EQ(load_leases(path()), stored);
  for (const auto& entry : std::filesystem::directory_iterator(directory / "sub"))
    EXPECT_EQ(entry.path().filename(), "state.json");  // no temporary file left
}

TEST_F(LeaseStoreTest, MissingFileIsNoLeases) {
  EXPECT_EQ(load_leases(path()), StoredLeases{});
}

// A file written before DHCPv6 prefix delegation (no "delegated") loads as it did, with no prefixes.
TEST_F(LeaseStoreTest, AFileOfTheOldFormatLoads) {
  std::filesystem::create_directories(directory / "sub");
  std::ofstream(path()) << R"({
  "leases": {
    "wan1": {"address": "100.64.1.10/24", "client": "dhclient", "gateway": "100.64.1.1"},
    "wan2": {"address": "100.64.2.10/24", "client": "udhcpc"}
  },
  "version": 1
}
)";
  auto stored = load_leases(path());
  ASSERT_EQ(stored.leases.size(), 2u);
  EXPECT_EQ(stored.leases["wan1"].gateway, IpAddress::parse("100.64.1.1"));
  EXPECT_EQ(stored.leases["wan2"].client, DhcpClient::udhcpc);
  EXPECT_TRUE(stored.delegated.empty());
}

// What an older uplinkd reads: the IPv4 leases where they were, the prefixes under a key of their own.
TEST_F(LeaseStoreTest, DelegatedPrefixesHaveAKeyOfTheirOwn) {
  StoredLeases stored;
  stored.leases["wan1"] = DhcpLease{*Prefix::parse("100.64.1.10/24"), std::nullopt, DhcpClient::dhcpcd};
  stored.delegated["wan1"] = prefixes({"2001:db8:1:100::/60"});
  save_leases(path(), stored);
  std::ifstream file(path());
  auto json = nlohmann::json::parse(file);
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["leases"]["wan1"]["address"], "100.64.1.10/24");
  EXPECT_EQ(json["delegated"]["wan1"], nlohmann::json::array({"2001:db8:1:100::/60"}));
}

TEST_F(LeaseStoreTest, BadDelegationsAreSkippedOneByOne) {
  std::filesystem::create_directories(directory / "sub");
  for (const char* bad : {
           R"("2001:db8:1:100::/60")",
           R"(["2001:db8:1:100::"])",
           R"(["2001:db8:1:100::1/60"])",
           R"(["::/0"])",
           R"(["default6"])",
           R"(["fe80::/64"])",
           R"(["ff02::/16"])",
           R"(["100.64.1.0/24"])",
           R"([5])",
           R"(["2001:db8:1:100::/129"])",
           R"(["2001:db8::/64", "2001:db8:1::/64", "2001:db8:2::/64", "2001:db8:3::/64", "2001:db8:4::/64",
               "2001:db8:5::/64", "2001:db8:6::/64", "2001:db8:7::/64", "2001:db8:8::/64", "2001:db8:9::/64",
               "2001:db8:a::/64", "2001:db8:b::/64", "2001:db8:c::/64", "2001:db8:d::/64", "2001:db8:e::/64",
               "2001:db8:f::/64", "2001:db8:10::/64"])",
       }) {
    std::ofstream(path()) << R"({"version": 1, "leases": {}, "delegated": {"bad": )" << bad
                          << R"(, "good": ["2001:db8:2:100::/60"]}})";
    auto stored = load_leases(path());
    EXPECT_FALSE(stored.delegated.contains("bad")) << bad;
    EXPECT_EQ(stored.delegated["good"], prefixes({"2001:db8:2:100::/60"})) << bad;
  }
  std::ofstream(path())
      << R"({"version": 1, "leases": {"wan1": {"address": "100.64.1.10/24", "client": "dhcpcd"}},
                               "delegated": 7})";
  auto stored = load_leases(path());
  EXPECT_TRUE(stored.leases.contains("wan1")) << "a bad \"delegated\" loses no IPv4 lease";
  EXPECT_TRUE(stored.delegated.empty());
}

TEST_F(LeaseStoreTest, CorruptFileIsIgnoredNotFatal) {
  std::filesystem::create_directories(directory / "sub");
  for (const char* text : {"not json", "[1,2]", R"({"leases": 5})",
                           R"({"leases": {"wan1": {"address": "nonsense", "client": "dhclient"}}})",
                           R"({"leases": {"wan1": {"address": "100.64.1.10/24", "client": "pump"}}})"}) {
    std::ofstream(path()) << text;
    EXPECT_EQ(load_leases(path()), StoredLeases{}) << text;
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
    auto leases = load_leases(path()).leases;
    EXPECT_FALSE(leases.contains("bad")) << bad;
    ASSERT_TRUE(leases.contains("good")) << bad;
    EXPECT_EQ(leases["good"].gateway, IpAddress::parse("100.64.1.1"));
  }
}

TEST_F(LeaseStoreTest, ALeaseOfLengthZeroReadsBack) {
  StoredLeases stored;
  stored.leases["wan1"] = DhcpLease{*Prefix::parse("100.64.1.10/0"), std::nullopt, DhcpClient::dhclient};
  save_leases(path(), stored);
  EXPECT_EQ(load_leases(path()), stored);
}

TEST_F(LeaseStoreTest, AFifoOrAnOversizedFileIsIgnoredWithoutBlocking) {
  std::filesystem::create_directories(directory / "sub");
  ASSERT_EQ(::mkfifo(path().c_str(), 0600), 0);
  EXPECT_EQ(load_leases(path()), StoredLeases{});
  std::filesystem::remove(path());
  std::ofstream(path()) << std::string(2 * 1024 * 1024, ' ');
  EXPECT_EQ(load_leases(path()), StoredLeases{});
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
