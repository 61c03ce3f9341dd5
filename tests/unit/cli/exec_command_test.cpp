// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/exec_command.hpp"

#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace uplinkd {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

Json side(const std::string& state, Json address, const std::string& why) {
  return {{"state", state}, {"address", address}, {"why", why}};
}

Json uplink(const std::string& name, int table, Json v4, Json v6) {
  Json entry = v4;
  entry.update({{"name", name}, {"interface", name}, {"table", table}, {"ipv6", v6}});
  return entry;
}

const Json kNoIpv6 = side("down", nullptr, "no global IPv6 address on wan1");

TEST(ExecTarget, AnActiveUplinkGivesItsMarkAndAddressWithoutLength) {
  Json status = {{"uplinks",
                  {uplink("wan1", 201, side("active", "100.64.1.23/24", "usable"), kNoIpv6),
                   uplink("wan2", 202, side("active", "100.64.2.5/24", "usable"), kNoIpv6)}}};
  auto choice = choose_exec_target(status, "wan2");
  ASSERT_TRUE(choice.target) << choice.refusal;
  EXPECT_EQ(choice.target->uplink, "wan2");
  EXPECT_EQ(choice.target->mark, 0x75000000u + 202);
  EXPECT_EQ(choice.target->address, "100.64.2.5");
  EXPECT_EQ(choice.target->address6, "");
}

TEST(ExecTarget, DrainedAndStandbyUplinksAreUsable) {
  for (const char* state : {"drained", "standby"}) {
    Json status = {{"uplinks",
                    {uplink("wan1", 201, side(state, "100.64.1.23/24", "drained by the operator"),
                            side(state, "2001:db8:1::5/64", "usable"))}}};
    auto choice = choose_exec_target(status, "wan1");
    ASSERT_TRUE(choice.target) << state;
    EXPECT_EQ(choice.target->address, "100.64.1.23");
    EXPECT_EQ(choice.target->address6, "2001:db8:1::5");
  }
}

TEST(ExecTarget, OneFamilyDownLeavesThatFamilyWithoutAddress) {
  Json status = {{"uplinks",
                  {uplink("wan1", 201, side("down", "100.64.1.23/24", "down: health (3 rounds)"),
                          side("active", "2001:db8:1::5/64", "usable"))}}};
  auto choice = choose_exec_target(status, "wan1");
  ASSERT_TRUE(choice.target);
  EXPECT_EQ(choice.target->address, "") << "a down side's address must not be used, even when it is shown";
  EXPECT_EQ(choice.target->address6, "2001:db8:1::5");
}

TEST(ExecTarget, DownInBothFamiliesIsRefusedWithWhy) {
  Json status = {{"uplinks",
                  {uplink("wan2", 202, side("down", nullptr, "no carrier on wan2"),
                          side("down", nullptr, "no carrier on wan2"))}}};
  auto choice = choose_exec_target(status, "wan2");
  EXPECT_FALSE(choice.target);
  EXPECT_EQ(choice.refusal, "uplink wan2 is not usable: no carrier on wan2");
}

TEST(ExecTarget, Ipv6ReasonIsAddedOnlyWhenItSaysMore) {
  Json status = {
      {"uplinks",
       {uplink("wan1", 201, side("down", "100.64.1.23/24", "down: health (no quorum)"), kNoIpv6)}}};
  EXPECT_EQ(choose_exec_target(status, "wan1").refusal,
            "uplink wan1 is not usable: down: health (no quorum)");
  status["uplinks"][0]["ipv6"] = side("down", "2001:db8:1::5/64", "down: health (as IPv4)");
  EXPECT_EQ(choose_exec_target(status, "wan1").refusal,
            "uplink wan1 is not usable: down: health (no quorum); IPv6: down: health (as IPv4)");
}

TEST(ExecTarget, UnknownUplinkNamesTheKnownOnes) {
  Json status = {{"uplinks",
                  {uplink("wan1", 201, side("active", "100.64.1.23/24", "usable"), kNoIpv6),
                   uplink("wan2", 202, side("active", "100.64.2.5/24", "usable"), kNoIpv6)}}};
  auto choice = choose_exec_target(status, "wan9");
  EXPECT_FALSE(choice.target);
  EXPECT_EQ(choice.refusal, "no uplink named \"wan9\" (uplinks: wan1, wan2)");
  EXPECT_EQ(choose_exec_target(Json{{"uplinks", Json::array()}}, "wan1").refusal,
            "no uplink named \"wan1\" (uplinks: none)");
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/exec_command_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string write(const std::string& name, const std::string& bytes, mode_t mode = 0755) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string dir_;
};

// An ELF header of this machine and class with the given program headers after it.
std::string elf_with(const std::vector<uint32_t>& segment_types, unsigned char elf_class = ELFCLASS64) {
  std::ifstream self("/proc/self/exe", std::ios::binary);
  Elf64_Ehdr header{};
  self.read(reinterpret_cast<char*>(&header), sizeof header);
  header.e_ident[EI_CLASS] = elf_class;
  header.e_phoff = sizeof header;
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = static_cast<uint16_t>(segment_types.size());
  header.e_shoff = 0;
  header.e_shnum = 0;
  header.e_shstrndx = 0;
  std::string bytes(reinterpret_cast<const char*>(&header), sizeof header);
  for (uint32_t type : segment_types) {
    Elf64_Phdr segment{};
    segment.p_type = type;
    bytes.append(reinterpret_cast<const char*>(&segment), sizeof segment);
  }
  return bytes;
}

using Programs = TempDir;

TEST_F(Programs, DynamicProgramsAndScriptsCanBeSteered) {
  EXPECT_EQ(unsteerable_program("/proc/self/exe"), std::nullopt) << "this test is a dynamic program";
  EXPECT_EQ(unsteerable_program(write("dynamic", elf_with({PT_LOAD, PT_INTERP}))), std::nullopt);
  EXPECT_EQ(unsteerable_program(write("script", "#!/bin/sh\necho hi\n")), std::nullopt);
  EXPECT_EQ(unsteerable_program(dir_ + "/absent"), std::nullopt) << "exec says why, not this check";
}

TEST_F(Programs, StaticForeignAndGoProgramsCannot) {
  EXPECT_THAT(unsteerable_program(write("static", elf_with({PT_LOAD}))).value_or(""),
              HasSubstr("statically linked"));
  EXPECT_THAT(unsteerable_program(write("old", elf_with({PT_LOAD, PT_INTERP}, ELFCLASS32))).value_or(""),
              HasSubstr("32-bit program"));

  // A section named as Go's linker names its build id note.
  std::string go = elf_with({PT_LOAD, PT_INTERP});
  const std::string names = std::string("\0.shstrtab\0.note.go.buildid\0", 28);
  auto* header = reinterpret_cast<Elf64_Ehdr*>(go.data());
  const size_t names_at = go.size();
  header->e_shoff = names_at + names.size();
  header->e_shentsize = sizeof(Elf64_Shdr);
  header->e_shnum = 2;
  header->e_shstrndx = 0;
  go += names;
  Elf64_Shdr table{};
  table.sh_name = 1;
  table.sh_offset = names_at;
  table.sh_size = names.size();
  Elf64_Shdr note{};
  note.sh_name = 11;
  go.append(reinterpret_cast<const char*>(&table), sizeof table);
  go.append(reinterpret_cast<const char*>(&note), sizeof note);
  EXPECT_THAT(unsteerable_program(write("go", go)).value_or(""), HasSubstr("Go program"));
}

TEST_F(Programs, FoundAsExecvpFindsThem) {
  const std::string tool = write("tool", "#!/bin/sh\n");
  write("plain", "data", 0644);
  EXPECT_EQ(find_program("tool", ("/nonexistent:" + dir_).c_str()), tool);
  EXPECT_EQ(find_program("plain", dir_.c_str()), std::nullopt) << "not executable";
  EXPECT_EQ(find_program("absent", dir_.c_str()), std::nullopt);
  EXPECT_EQ(find_program(tool, nullptr), tool) << "a name with a slash is itself";
  EXPECT_EQ(find_program("", dir_.c_str()), std::nullopt);
  EXPECT_EQ(find_program("sh", nullptr), "/bin/sh") << "no PATH: the C library's default";
}

}  // namespace
}  // namespace uplinkd
