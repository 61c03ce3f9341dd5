// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/histogram.hpp"

#include <gmock/gmock.h>

namespace uplinkd {
namespace {

using ::testing::ElementsAre;

TEST(Histogram, CountsEachValueInTheFirstBucketThatHoldsIt) {
  constexpr double bounds[] = {1, 2, 5};
  Histogram histogram(bounds);
  for (double value : {0.5, 1.0, 1.5, 5.0, 7.0}) histogram.observe(value);
  EXPECT_THAT(histogram.counts(), ElementsAre(2, 1, 1, 1));  // le 1 holds 1 itself, as Prometheus' `le`
  EXPECT_EQ(histogram.count(), 5u);
  EXPECT_DOUBLE_EQ(histogram.sum(), 15.0);
}

}  // namespace
}  // namespace uplinkd
