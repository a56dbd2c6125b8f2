// Content-defined chunking: bounds, determinism, and boundaries that survive an edit.
#include "quire/dms/chunker.h"

#include <gtest/gtest.h>

#include "random_bytes.h"

#include <string>
#include <vector>

namespace quire::dms {
namespace {

using testing::RandomBytes;

std::vector<std::size_t> Boundaries(const Chunker& c, std::string_view data) {
  std::vector<std::size_t> out;
  std::size_t at = 0;
  while (at < data.size()) {
    at += c.Cut(data.substr(at, c.options().max_size));
    out.push_back(at);
  }
  return out;
}

TEST(ChunkerTest, ChunksStayWithinTheirBoundsAndAverageNearTheTarget) {
  const Chunker c;
  const std::string data = RandomBytes(32 << 20, 1);
  const auto cuts = Boundaries(c, data);
  std::size_t prev = 0;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const std::size_t len = cuts[i] - prev;
    EXPECT_LE(len, c.options().max_size);
    if (i + 1 < cuts.size()) {
      EXPECT_GE(len, c.options().min_size);
    }
    prev = cuts[i];
  }
  const double average = static_cast<double>(data.size()) / static_cast<double>(cuts.size());
  EXPECT_GT(average, 48.0 * 1024);
  EXPECT_LT(average, 96.0 * 1024);
  EXPECT_EQ(Boundaries(c, data), cuts);  // the same bytes, the same chunks
}

TEST(ChunkerTest, AnInsertMovesOnlyTheBoundariesNearIt) {
  const Chunker c;
  std::string data = RandomBytes(8 << 20, 2);
  const auto before = Boundaries(c, data);
  data.insert(data.begin() + (4 << 20), 'x');
  const auto after = Boundaries(c, data);
  // Boundaries after the edit are the old ones shifted by one; count those that differ.
  std::size_t same = 0;
  for (std::size_t b : before) {
    const std::size_t shifted = b < (4 << 20) ? b : b + 1;
    if (std::binary_search(after.begin(), after.end(), shifted)) ++same;
  }
  EXPECT_GE(same + 3, before.size());
}

TEST(ChunkerTest, ShortAndEmptyContent) {
  const Chunker c;
  EXPECT_EQ(c.Cut(""), 0u);
  EXPECT_EQ(c.Cut("abc"), 3u);
  const std::string zeros(1 << 20, '\0');
  EXPECT_GE(c.Cut(zeros), c.options().min_size);
  EXPECT_LE(c.Cut(zeros), c.options().max_size);
}

}  // namespace
}  // namespace quire::dms
