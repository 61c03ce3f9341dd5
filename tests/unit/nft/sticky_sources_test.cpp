// SPDX-License-Identifier: GPL-2.0-or-later
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

TEST(StickySources, ParsesTheIpv6Listing) {
  const char* listing =
      R"({"nftables": [{"map": {"family": "inet", "name": "sticky6", "table": "uplinkd", "type": "ipv6_addr",)"
      R"( "map": "mark", "flags": ["timeout"], "timeout": 600, "elem": [)"
      R"([{"elem": {"val": "fd00:1::10", "expires": 598}}, 1962934473]]}}]})";
  EXPECT_THAT(parse_sticky_listing(listing), ElementsAre(StickySource{ip("fd00:1::10"), kB, 598}));
}

TEST(StickySources, EmptyMapHasNoElements) {
  EXPECT_TRUE(parse_sticky_listing(R"({"nftables": [{"map": {"name": "sticky"}}]})").empty());
}

TEST(StickySources, ForeignJsonIsAnError) {
  EXPECT_THROW(parse_sticky_listing("{}"), InputError);
  EXPECT_THROW(parse_sticky_listing("not json"), InputError);
}

}  // namespace
}  // namespace uplinkd::nft
