// SPDX-License-Identifier: GPL-2.0-or-later
// Damaged configs, made by flipping, dropping and duplicating bytes of good ones, must be refused with an
// InputError and nothing else: no crash, no other exception. A cheap stand-in for a fuzzer that runs with
// every unit test build (and under the sanitizer build).
#include <gtest/gtest.h>

#include <random>

#include "config/config.hpp"

namespace uplinkd {
namespace {

const char* const kSeeds[] = {
    "mode = \"resilient\"\ndestinations = [\"default\", \"10.0.0.0/8\"]\n[resilient]\nbuckets = 64\n"
    "[[uplink]]\nname = \"a\"\ninterface = \"eth0\"\ntable = 201\nweight = 3\ngateway = \"192.0.2.1\"\n"
    "[uplink.health]\ntargets = [\"1.1.1.1\"]\ninterval = 0.5\n",
    "# interface routing-table table-id weight\neth0 table-eth0 200 1\nwlan0 table-wlan0 201 2\n",
    "on_change = [\"/usr/local/bin/notify\", \"--all\"]\non_change_timeout = 2.5\n[[uplink]]\ninterface = "
    "\"eth0\"\n",
};

std::string mutate(std::string text, std::mt19937& random) {
  const std::string alphabet = "=[]{}\"'#,.:/ \t\n\r0123456789abcxyz-+\\\x7f\xc3\xa4";
  int edits = 1 + static_cast<int>(random() % 4);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    size_t at = random() % text.size();
    switch (random() % 3) {
      case 0:
        text[at] = alphabet[random() % alphabet.size()];
        break;
      case 1:
        text.erase(at, 1 + random() % 8);
        break;
      default:
        text.insert(at, text.substr(random() % text.size(), 1 + random() % 16));
    }
  }
  return text;
}

TEST(DamagedConfig, IsRefusedCleanly) {
  std::mt19937 random(20240611);
  int accepted = 0;
  for (const char* seed : kSeeds) {
    for (int round = 0; round < 3000; ++round) {
      auto text = mutate(seed, random);
      try {
        parse_config(text, "fuzz");
        ++accepted;
      } catch (const InputError& error) {
        EXPECT_FALSE(error.problem().empty()) << text;
        EXPECT_EQ(error.where().file, "fuzz") << text;
      }
    }
  }
  EXPECT_GT(accepted, 0)
      << "some damage is harmless (a changed comment); all refused means the test is broken";
}

}  // namespace
}  // namespace uplinkd
