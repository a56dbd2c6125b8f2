// A set of ids as a bitmap over 0 ... size-1, with word-wise AND, OR and NOT: the segment
// engine's sets of customers, and the customer metrics' active customers per month.
//
// Thread-safety: a value; no sharing.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>
#include <vector>

namespace quire::crm {

// A set of ids as a bitmap over 0 ... size-1.
class Bits {
 public:
  Bits() = default;
  explicit Bits(std::uint64_t size) : size_(size), words_((size + 63) / 64, 0) {}
  std::uint64_t size() const { return size_; }
  void Set(std::uint64_t i) {
    if (i < size_) words_[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  void Clear(std::uint64_t i) {
    if (i < size_) words_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  // Sets every bit from `from` to the end, a word at a time.
  void SetFrom(std::uint64_t from) {
    for (std::uint64_t i = from; i < size_ && i % 64 != 0; ++i) Set(i);
    for (std::size_t w = (from + 63) / 64; w < words_.size(); ++w) words_[w] = ~std::uint64_t{0};
    if (size_ % 64 != 0 && !words_.empty()) words_.back() &= ~std::uint64_t{0} >> (64 - size_ % 64);
  }
  bool Test(std::uint64_t i) const { return i < size_ && (words_[i / 64] >> (i % 64) & 1) != 0; }
  void And(const Bits& o) {
    for (std::size_t w = 0; w < words_.size(); ++w) words_[w] &= o.words_[w];
  }
  void Or(const Bits& o) {
    for (std::size_t w = 0; w < words_.size(); ++w) words_[w] |= o.words_[w];
  }
  void AndNot(const Bits& o) {
    for (std::size_t w = 0; w < words_.size(); ++w) words_[w] &= ~o.words_[w];
  }
  // ORs a little-endian bitmap (bit i of byte k: id offset + 8k + i) into the set; returns
  // how many bits it held. REQUIRES: offset is a multiple of 64.
  std::uint64_t OrBytes(std::uint64_t offset, std::string_view bytes) {
    std::uint64_t n = 0;
    std::size_t k = 0;
    std::size_t w = offset / 64;
    // Whole words first (eight bytes, least significant first, whatever the host's order).
    for (; k + 8 <= bytes.size() && w < words_.size(); k += 8, ++w) {
      std::uint64_t word = 0;
      for (std::size_t b = 0; b < 8; ++b) {
        word |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[k + b])) << (8 * b);
      }
      if (word == 0) continue;
      words_[w] |= word;
      n += static_cast<std::uint64_t>(std::popcount(word));
    }
    if (k < bytes.size() && w < words_.size()) {
      std::uint64_t word = 0;
      for (std::size_t b = 0; k < bytes.size(); ++b, ++k) {
        word |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[k])) << (8 * b);
      }
      words_[w] |= word;
      n += static_cast<std::uint64_t>(std::popcount(word));
    }
    return n;
  }
  static std::uint64_t CountBytes(std::string_view bytes) {
    std::uint64_t n = 0;
    for (char c : bytes)
      n += static_cast<std::uint64_t>(std::popcount(static_cast<unsigned char>(c)));
    return n;
  }
  std::uint64_t Count() const {
    std::uint64_t n = 0;
    for (std::uint64_t w : words_) n += static_cast<std::uint64_t>(std::popcount(w));
    return n;
  }
  // Calls f(id) for each id set, ascending, from `from`; stops when f returns false.
  template <class F>
  void Each(std::uint64_t from, F f) const {
    for (std::size_t w = from / 64; w < words_.size(); ++w) {
      std::uint64_t word = words_[w];
      if (w == from / 64) word &= ~std::uint64_t{0} << (from % 64);
      while (word != 0) {
        const std::uint64_t i = w * 64 + static_cast<std::uint64_t>(std::countr_zero(word));
        if (!f(i)) return;
        word &= word - 1;
      }
    }
  }

 private:
  std::uint64_t size_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace quire::crm
