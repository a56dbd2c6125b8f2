// RFC 6962 trees: roots by the definition, proofs for every entry of a 10,000-entry log,
// consistency between every pair of small sizes, and forgeries refused.
#include "quire/audit/merkle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "quire/testing/result_matchers.h"

namespace quire::audit {
namespace {

using ::quire::testing::HasError;

std::vector<Hash> Leaves(std::size_t n) {
  std::vector<Hash> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(LeafHash("entry " + std::to_string(i)));
  return out;
}

MerkleTree TreeOf(const std::vector<Hash>& leaves) {
  MerkleTree t;
  for (const Hash& l : leaves) t.Append(l);
  return t;
}

TEST(MerkleTest, RootsFollowTheDefinition) {
  const auto l = Leaves(5);
  EXPECT_EQ(TreeRoot({}), Sha256Of(""));
  EXPECT_EQ(TreeRoot(std::span(l).first(1)), l[0]);
  EXPECT_EQ(TreeRoot(std::span(l).first(3)), NodeHash(NodeHash(l[0], l[1]), l[2]));
  EXPECT_EQ(TreeRoot(std::span(l).first(5)),
            NodeHash(NodeHash(NodeHash(l[0], l[1]), NodeHash(l[2], l[3])), l[4]));
  // Leaves and nodes cannot be confused: their hashes are domain-separated.
  EXPECT_NE(LeafHash(std::string(64, 'a')), NodeHash(Sha256Of("x"), Sha256Of("y")));
  const auto many = Leaves(300);
  const MerkleTree tree = TreeOf(many);
  for (std::size_t n = 0; n <= many.size(); ++n) {
    ASSERT_EQ(tree.Root(n), TreeRoot(std::span(many).first(n))) << n;
  }
}

TEST(MerkleTest, EveryEntryOfATenThousandEntryLogHasAProofAndForgeriesFail) {
  const auto leaves = Leaves(10'000);
  const MerkleTree tree = TreeOf(leaves);
  const Hash root = tree.Root();
  for (std::uint64_t i = 0; i < leaves.size(); ++i) {
    auto proof = tree.InclusionProof(i, leaves.size());
    ASSERT_TRUE(proof);
    ASSERT_TRUE(VerifyInclusion(leaves[i], i, leaves.size(), *proof, root)) << i;
    if (i % 997 == 0) {
      EXPECT_FALSE(VerifyInclusion(LeafHash("forged"), i, leaves.size(), *proof, root));
      EXPECT_FALSE(VerifyInclusion(leaves[i], i + 1, leaves.size(), *proof, root));
      auto bent = *proof;
      bent[0][0] ^= 1;
      EXPECT_FALSE(VerifyInclusion(leaves[i], i, leaves.size(), bent, root));
      EXPECT_FALSE(VerifyInclusion(leaves[i], i, leaves.size(), *proof, tree.Root(9'999)));
    }
  }
  // Against an earlier head too.
  auto early = tree.InclusionProof(17, 1'000);
  ASSERT_TRUE(early);
  EXPECT_TRUE(VerifyInclusion(leaves[17], 17, 1'000, *early, tree.Root(1'000)));
  EXPECT_THAT(tree.InclusionProof(1'000, 1'000), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tree.InclusionProof(0, 10'001), HasError(ErrorCode::kInvalidArgument));
}

TEST(MerkleTest, LaterHeadsProveTheyExtendEarlierOnes) {
  const auto leaves = Leaves(70);
  const MerkleTree tree = TreeOf(leaves);
  for (std::uint64_t m = 1; m <= leaves.size(); ++m) {
    for (std::uint64_t n = m; n <= leaves.size(); ++n) {
      auto proof = tree.ConsistencyProof(m, n);
      ASSERT_TRUE(proof);
      ASSERT_TRUE(VerifyConsistency(m, n, tree.Root(m), tree.Root(n), *proof)) << m << " " << n;
    }
  }
  // A log that rewrote its past cannot prove it extends what it published.
  auto other = leaves;
  other[3] = LeafHash("rewritten");
  const MerkleTree rewritten = TreeOf(other);
  auto proof = rewritten.ConsistencyProof(10, 70);
  ASSERT_TRUE(proof);
  EXPECT_FALSE(VerifyConsistency(10, 70, tree.Root(10), rewritten.Root(70), *proof));
  EXPECT_FALSE(
      VerifyConsistency(10, 70, tree.Root(10), tree.Root(69), *tree.ConsistencyProof(10, 70)));
  EXPECT_FALSE(
      VerifyConsistency(11, 70, tree.Root(10), tree.Root(70), *tree.ConsistencyProof(10, 70)));
  EXPECT_THAT(tree.ConsistencyProof(0, 5), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tree.ConsistencyProof(6, 5), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tree.ConsistencyProof(5, 71), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace quire::audit
