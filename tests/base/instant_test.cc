#include "quire/base/instant.h"

#include <gtest/gtest.h>

namespace quire {
namespace {

TEST(InstantTest, AlwaysMillisecondsInUtc) {
  EXPECT_EQ(FormatInstant(Timestamp(std::chrono::milliseconds(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(Timestamp(std::chrono::milliseconds(1796547600123))),
            "2026-12-06T09:00:00.123Z");
}

TEST(InstantTest, ReadsBackWhatItWrites) {
  for (std::int64_t ms : {0LL, 1LL, 999LL, 1796547600000LL, 4102444799999LL}) {
    const Timestamp t{std::chrono::milliseconds(ms)};
    auto back = ParseInstant(FormatInstant(t));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, t);
  }
  EXPECT_FALSE(ParseInstant("2026-12-06T09:00:00Z").has_value());
  EXPECT_FALSE(ParseInstant("yesterday").has_value());
}

}  // namespace
}  // namespace quire
