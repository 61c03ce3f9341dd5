// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/nft_script.hpp"

#include <gtest/gtest.h>

#include "nft/nft_patch.hpp"

namespace uplinkd::nft {
namespace {

TEST(RenderTable, RegularAndBaseChainsAsNftListsThem) {
  Table table{"inet",
              "uplinkd",
              {Chain{"prerouting", ChainHook{"filter", "prerouting", "mangle"}, {"jump pick"}},
               Chain{"pick", std::nullopt, {"meta mark set 1"}}},
              {}};
  EXPECT_EQ(render_table(table),
            "table inet uplinkd {\n"
            "\tchain prerouting {\n"
            "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
            "\t\tjump pick\n"
            "\t}\n"
            "\n"
            "\tchain pick {\n"
            "\t\tmeta mark set 1\n"
            "\t}\n"
            "}\n");
}

TEST(RenderReplace, AddsBeforeDeletingSoAMissingTableIsNoError) {
  Table table{"inet", "uplinkd", {Chain{"c", std::nullopt, {}}}, {}};
  auto text = render_replace(table);
  EXPECT_EQ(text.find("add table inet uplinkd\ndelete table inet uplinkd\ntable inet uplinkd {\n"), 0u);
}

TEST(RenderPatch, DeletesThenFlushesThenDeclaresTheChains) {
  NftPatch patch;
  patch.table = "uplinkd";
  patch.deleted_chains = {"old"};
  patch.flushed_chains = {"pin"};
  patch.chains = {Chain{"pin", ChainHook{"filter", "prerouting", "mangle + 1"}, {"meta mark set 1"}}};
  EXPECT_EQ(render_patch(patch),
            "add table inet uplinkd\n"
            "delete chain inet uplinkd old\n"
            "flush chain inet uplinkd pin\n"
            "table inet uplinkd {\n"
            "\tchain pin {\n"
            "\t\ttype filter hook prerouting priority mangle + 1; policy accept;\n"
            "\t\tmeta mark set 1\n"
            "\t}\n"
            "}\n");
}

TEST(QuotedInterface, Quotes) {
  EXPECT_EQ(quoted_interface("eth0.100"), "\"eth0.100\"");
}

}  // namespace
}  // namespace uplinkd::nft
