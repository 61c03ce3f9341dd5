// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "config/format.hpp"

namespace uplinkd {
namespace {

struct FormatCase {
  std::string name;
  std::string text;
  ConfigFormat format;
};

class DetectFormat : public ::testing::TestWithParam<FormatCase> {};

TEST_P(DetectFormat, ByTheFirstLineWithContent) {
  EXPECT_EQ(detect_format(GetParam().text), GetParam().format);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, DetectFormat,
    ::testing::Values(
        FormatCase{"DhcpLbLine", "eth0 table-eth0 200 1\n", ConfigFormat::dhcp_lb},
        FormatCase{"DhcpLbAfterComments", "# interface routing-table table-id weight\n\neth0 t 200 1\n",
                   ConfigFormat::dhcp_lb},
        FormatCase{"DhcpLbWithTrailingComment", "eth0 t 200 1 # a=b [c]\n", ConfigFormat::dhcp_lb},
        FormatCase{"DhcpLbBrokenLine", "eth0\n", ConfigFormat::dhcp_lb},
        FormatCase{"TomlKey", "mode = \"flow\"\n", ConfigFormat::toml},
        FormatCase{"TomlKeyNoSpaces", "mode=\"flow\"\n", ConfigFormat::toml},
        FormatCase{"TomlTableFirst", "# uplinks\n[[uplink]]\ninterface = \"eth0\"\n", ConfigFormat::toml},
        FormatCase{"TomlIndentedTable", "  \t[resilient]\n", ConfigFormat::toml},
        FormatCase{"EmptyIsToml", "", ConfigFormat::toml},
        FormatCase{"OnlyCommentsIsToml", "# a\n  # b\n\n", ConfigFormat::toml},
        FormatCase{"CrLfComments", "# a\r\n\r\neth0 t 200 1\r\n", ConfigFormat::dhcp_lb}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace uplinkd
