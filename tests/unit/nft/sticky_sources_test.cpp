// Sticky sources across a table replacement: read from nft's JSON listing, written back while their uplink
// still takes new connections.
#include "nft/sticky_sources.hpp"

#include <gmock/gmock.h>

#include "plan/mark_chains.hpp"

namespace uplinkd::nft {
namespace {

using ::testing::ElementsAre;

const uint32_t kA = 0x750000c8, kB = 0x750000c9;

// As libnftables 1.0.6 prints `nft -j list map inet uplinkd sticky`.
const char* kListing =
    R"({"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},)"
    R"( {"map": {"family": "inet", "name": "sticky", "table": "uplinkd", "type": "ipv4_addr", "handle": 1,)"
    R"( "map": "mark", "flags": ["timeout"], "timeout": 600, "elem": [)"
    R"([{"elem": {"val": "192.168.77.21", "expires": 579}}, 1962934472],)"
    R"([{"elem": {"val": "192.168.77.22", "expires": 12}}, 1962934473]]}}]})";

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(StickySources, ParsesTheListing) {
  EXPECT_THAT(parse_sticky_listing(kListing), ElementsAre(StickySource{ip("192.168.77.21"), kA, 579},
                                                          StickySource{ip("192.168.77.22"), kB, 12}));
}

TEST(StickySources, EmptyMapHasNoElements) {
  EXPECT_TRUE(parse_sticky_listing(R"({"nftables": [{"map": {"name": "sticky"}}]})").empty());
}

TEST(StickySources, ForeignJsonIsAnError) {
  EXPECT_THROW(parse_sticky_listing("{}"), InputError);
  EXPECT_THROW(parse_sticky_listing("not json"), InputError);
}

Table table_with_sticky_map() {
  MarkPlan plan;
  plan.spread = Spread::connection;
  plan.shares = {{kA, 1}, {kB, 1}};
  plan.sticky_timeout_s = 600;
  Table table{"inet", "uplinkd", {}, {}};
  add_mark_chains(table, plan);
  return table;
}

TEST(StickySources, OnlySourcesOfUplinksTakingNewConnectionsAreKept) {
  auto table = table_with_sticky_map();
  keep_sticky_sources(table, parse_sticky_listing(kListing), {{kB, 1}});  // a drained or died
  ASSERT_EQ(table.maps.size(), 1u);
  EXPECT_EQ(table.maps[0].lines.back(), "elements = { 192.168.77.22 expires 12s : 0x750000c9 }");
}

TEST(StickySources, NothingToKeepAddsNoElements) {
  auto table = table_with_sticky_map();
  const auto lines = table.maps[0].lines;
  keep_sticky_sources(table, {}, {{kA, 1}});
  keep_sticky_sources(table, {{ip("10.0.0.1"), kA, 0}}, {{kA, 1}});  // expired while we looked
  EXPECT_EQ(table.maps[0].lines, lines);
}

TEST(StickySources, TableWithoutStickyMapIsLeftAlone) {
  Table table{"inet", "uplinkd", {}, {}};
  keep_sticky_sources(table, parse_sticky_listing(kListing), {{kA, 1}});
  EXPECT_TRUE(table.maps.empty());
}

}  // namespace
}  // namespace uplinkd::nft
