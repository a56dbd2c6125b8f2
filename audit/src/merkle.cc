#include "quire/audit/merkle.h"

#include <bit>
#include <cstring>

namespace quire::audit {
namespace {

// The largest power of two below n. REQUIRES: n > 1.
std::uint64_t Split(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

}  // namespace

Hash LeafHash(std::string_view entry) {
  Sha256 sha;
  const char prefix = 0x00;
  sha.Update(std::string_view(&prefix, 1));
  sha.Update(entry);
  return sha.Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  char buffer[65];
  buffer[0] = 0x01;
  std::memcpy(buffer + 1, left.data(), 32);
  std::memcpy(buffer + 33, right.data(), 32);
  return Sha256Of(std::string_view(buffer, sizeof buffer));
}

Hash TreeRoot(std::span<const Hash> leaves) {
  if (leaves.empty()) return Sha256Of("");
  if (leaves.size() == 1) return leaves[0];
  const std::uint64_t k = Split(leaves.size());
  return NodeHash(TreeRoot(leaves.first(k)), TreeRoot(leaves.subspan(k)));
}

void MerkleTree::Append(const Hash& leaf) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf);
  // Complete every subtree the new leaf closes.
  for (std::size_t h = 0; levels_[h].size() % 2 == 0; ++h) {
    const std::vector<Hash>& below = levels_[h];
    const Hash node = NodeHash(below[below.size() - 2], below[below.size() - 1]);
    if (levels_.size() == h + 1) levels_.emplace_back();
    levels_[h + 1].push_back(node);
  }
}

Hash MerkleTree::RangeRoot(std::uint64_t begin, std::uint64_t end) const {
  const std::uint64_t n = end - begin;
  if (n == 0) return Sha256Of("");
  if ((n & (n - 1)) == 0) {  // a complete subtree, aligned: kept
    const auto h = static_cast<std::size_t>(std::countr_zero(n));
    return levels_[h][begin >> h];
  }
  const std::uint64_t k = Split(n);
  return NodeHash(RangeRoot(begin, begin + k), RangeRoot(begin + k, end));
}

Hash MerkleTree::Root(std::uint64_t size) const { return RangeRoot(0, size); }

Result<std::vector<Hash>> MerkleTree::InclusionProof(std::uint64_t index,
                                                     std::uint64_t size) const {
  if (size > this->size() || index >= size) {
    return Error::InvalidArgument("no entry " + std::to_string(index) + " in a tree of " +
                                  std::to_string(size) + " (the log has " +
                                  std::to_string(this->size()) + ")");
  }
  std::vector<Hash> path;
  std::uint64_t begin = 0;
  std::uint64_t end = size;
  while (end - begin > 1) {
    const std::uint64_t k = Split(end - begin);
    if (index < begin + k) {
      path.push_back(RangeRoot(begin + k, end));
      end = begin + k;
    } else {
      path.push_back(RangeRoot(begin, begin + k));
      begin += k;
    }
  }
  return std::vector<Hash>(path.rbegin(), path.rend());  // bottom first
}

void MerkleTree::SubProof(std::uint64_t begin, std::uint64_t end, std::uint64_t m, bool whole,
                          std::vector<Hash>& out) const {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(RangeRoot(begin, end));
    return;
  }
  const std::uint64_t k = Split(n);
  if (m <= k) {
    SubProof(begin, begin + k, m, whole, out);
    out.push_back(RangeRoot(begin + k, end));
  } else {
    SubProof(begin + k, end, m - k, false, out);
    out.push_back(RangeRoot(begin, begin + k));
  }
}

Result<std::vector<Hash>> MerkleTree::ConsistencyProof(std::uint64_t first,
                                                       std::uint64_t second) const {
  if (first == 0 || first > second || second > size()) {
    return Error::InvalidArgument("no consistency proof from " + std::to_string(first) + " to " +
                                  std::to_string(second) + " entries (the log has " +
                                  std::to_string(size()) + ")");
  }
  std::vector<Hash> out;
  SubProof(0, second, first, true, out);
  return out;
}

bool VerifyInclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                     std::span<const Hash> proof, const Hash& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(std::uint64_t first, std::uint64_t second, const Hash& first_root,
                       const Hash& second_root, std::span<const Hash> proof) {
  if (first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (first == 0) return proof.empty();  // the empty tree is extended by every tree
  std::vector<Hash> path(proof.begin(), proof.end());
  if ((first & (first - 1)) == 0) path.insert(path.begin(), first_root);  // a power of two
  if (path.empty()) return false;
  std::uint64_t fn = first - 1;
  std::uint64_t sn = second - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;
}

}  // namespace quire::audit
