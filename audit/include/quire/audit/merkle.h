// The Merkle tree of RFC 6962 (Certificate Transparency; RFC 9162 section 2.1) over the
// audit log's entries: a tree head commits to every entry before it, an inclusion proof
// shows that one entry is under a head, and a consistency proof that a later head extends
// an earlier one — each checkable by anyone with the hashes, without the log.
//
//   leaf hash  = SHA-256(0x00 || entry bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "quire/base/result.h"
#include "quire/base/sha256.h"

namespace quire::audit {

using Hash = Sha256Digest;

Hash LeafHash(std::string_view entry);
Hash NodeHash(const Hash& left, const Hash& right);

// The root of the tree over `leaves` (leaf hashes, in order), straight from the definition
// (O(n): for checking, and for small trees).
Hash TreeRoot(std::span<const Hash> leaves);

// A Merkle tree that grows by appending leaves and answers for any earlier size too: roots,
// inclusion proofs (RFC 6962 PATH) and consistency proofs (PROOF), each in O(log n) from
// the complete subtrees it keeps (two hashes per leaf).
class MerkleTree {
 public:
  void Append(const Hash& leaf);
  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // The root of the tree of the first `size` leaves. REQUIRES: size <= this->size().
  Hash Root(std::uint64_t size) const;
  Hash Root() const { return Root(size()); }
  // The audit path of leaf `index` in the tree of the first `size` leaves, bottom first.
  // Errors: kInvalidArgument when index >= size or size > this->size().
  Result<std::vector<Hash>> InclusionProof(std::uint64_t index, std::uint64_t size) const;
  // The proof that the tree of `second` leaves extends the tree of `first`.
  // Errors: kInvalidArgument unless 0 < first <= second <= this->size().
  Result<std::vector<Hash>> ConsistencyProof(std::uint64_t first, std::uint64_t second) const;

 private:
  // The root of leaves [begin, end), where the range is what RFC 6962's recursion visits.
  Hash RangeRoot(std::uint64_t begin, std::uint64_t end) const;
  void SubProof(std::uint64_t begin, std::uint64_t end, std::uint64_t m, bool whole,
                std::vector<Hash>& out) const;

  // levels_[h][j]: the root of the complete subtree of leaves [j·2^h, (j+1)·2^h).
  std::vector<std::vector<Hash>> levels_;
};

// Whether `proof` shows leaf `leaf` at `index` under `root` of a tree of `size` leaves
// (RFC 9162 2.1.3.2).
bool VerifyInclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                     std::span<const Hash> proof, const Hash& root);

// Whether `proof` shows that the tree of `second` leaves with `second_root` extends the
// tree of `first` leaves with `first_root` (RFC 9162 2.1.4.2).
bool VerifyConsistency(std::uint64_t first, std::uint64_t second, const Hash& first_root,
                       const Hash& second_root, std::span<const Hash> proof);

}  // namespace quire::audit
