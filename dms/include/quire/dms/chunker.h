// Content-defined chunking: FastCDC (Xia et al., USENIX ATC 2016) with a gear rolling hash
// and normalised chunking. A boundary depends on the 64 bytes before it (and on the one
// before, as none comes within min_size of it), so after an edit the boundaries fall back
// into step within a chunk or two: the rest of the file chunks as before, and a small edit
// to a large file stores little.
//
// Stored: the gear table and the masks decide every boundary, so chunks of files stored
// by one version of Quire are found again by the next only if they never change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace quire::dms {

struct ChunkerOptions {
  std::size_t min_size = 16 * 1024;   // no boundary before this
  std::size_t avg_size = 64 * 1024;   // a power of two: the normal size
  std::size_t max_size = 256 * 1024;  // a boundary here at the latest
};

class Chunker {
 public:
  explicit Chunker(const ChunkerOptions& options = {});

  // The length of the first chunk of `data`. `data` holds at least max_size bytes, or all
  // that is left of the content (the last chunk may be shorter than min_size).
  std::size_t Cut(std::string_view data) const;

  const ChunkerOptions& options() const { return options_; }

 private:
  ChunkerOptions options_;
  std::uint64_t mask_small_ = 0;  // before the normal size: harder to cut
  std::uint64_t mask_large_ = 0;  // after it: easier
};

}  // namespace quire::dms
