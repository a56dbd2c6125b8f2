// ContentStore: file content, chunked by content (chunker.h), each chunk stored once under
// its SHA-256 in the `chunks` family (RocksDB blob files keep large values out of the LSM
// tree). A content is known by the SHA-256 of all its bytes; its manifest lists its chunks.
//
// Records in the chunks family (stored: never change a tag):
//   'c' Digest(chunk)    → the chunk's bytes (a blob)
//   'h' Digest(chunk)    → U32(length): the chunk is stored (small; read to avoid reading
//                          blobs when asking whether a chunk is there)
//   'm' Digest(content)  → manifest: U64(size) U32(count), then count × (Digest U32(length))
//
// Ingest streams: memory stays at a few chunks whatever the size. Every read checks each
// chunk against its digest before handing out a byte of it, and a whole read checks the
// content's digest too: damage is a kCorruption error naming the content and the chunk,
// never wrong bytes.
//
// Reclaiming is mark and sweep (Sweep): what no live content references goes, except what
// an ingest in progress holds (a ContentLease, kept until the caller's record that
// references the content is durable). A crash mid-ingest leaves unreferenced chunks that
// the next sweep reclaims. Chosen over reference counts because nothing then has to be kept
// in step on every write, and an interrupted write cannot leave a count wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"
#include "quire/base/sha256.h"
#include "quire/dms/chunker.h"
#include "quire/storage/store.h"

namespace quire::dms {

// Where content comes from: Read fills up to `size` bytes and returns how many; 0 at the end.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<std::size_t> Read(char* buffer, std::size_t size) = 0;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override;

 private:
  std::string_view data_;
};

class StreamSource final : public ByteSource {
 public:
  explicit StreamSource(std::istream& in) : in_(in) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override;

 private:
  std::istream& in_;
};

// Where content goes: Write takes the next bytes.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Result<void> Write(std::string_view bytes) = 0;
};

class StringSink final : public ByteSink {
 public:
  Result<void> Write(std::string_view bytes) override {
    data.append(bytes);
    return Ok();
  }
  std::string data;
};

struct ContentInfo {
  Sha256Digest digest{};
  std::uint64_t size = 0;
  std::size_t chunks = 0;
  std::uint64_t new_bytes = 0;  // chunk bytes this ingest stored (not there before)
  std::string hex() const { return DigestHex(digest); }
};

struct SweepStats {
  std::size_t contents_removed = 0;
  std::size_t chunks_removed = 0;
  std::uint64_t bytes_removed = 0;
  std::size_t chunks_kept = 0;
};

class ContentStore;

// Keeps an ingested content (and its chunks) from being swept until released: hold it
// until the record that references the content is durable.
class ContentLease {
 public:
  ContentLease() = default;
  ContentLease(ContentLease&& other) noexcept;
  ContentLease& operator=(ContentLease&& other) noexcept;
  ~ContentLease();
  void Release();

 private:
  friend class ContentStore;
  ContentStore* store_ = nullptr;
  std::vector<Sha256Digest> held_;
};

struct Ingested {
  ContentInfo info;
  ContentLease lease;
};

class ContentStore {
 public:
  // REQUIRES: `store` outlives the content store.
  explicit ContentStore(storage::Store& store, const ChunkerOptions& chunking = {});
  ContentStore(const ContentStore&) = delete;
  ContentStore& operator=(const ContentStore&) = delete;

  // Reads `source` to its end and stores what is not stored yet; durable when it returns.
  // Errors: the source's, or the store's.
  Result<Ingested> Put(ByteSource& source);

  // What is known of a content; nullopt when it is not stored.
  Result<std::optional<ContentInfo>> Find(const Sha256Digest& digest) const;

  // Streams `length` bytes from `offset` (all of it when `length` is absent) to `sink`,
  // checking every chunk it reads. Errors: kNotFound; kInvalidArgument for a range
  // outside the content; kCorruption naming the damaged chunk (nothing of it is written).
  Result<void> Get(const Sha256Digest& digest, ByteSink& sink, std::uint64_t offset = 0,
                   std::optional<std::uint64_t> length = std::nullopt) const;

  // Removes every content `live` does not name, and every chunk no remaining content uses
  // (leased ones stay). `live` calls its argument once per live content digest.
  using LiveContents =
      std::function<Result<void>(const std::function<void(const Sha256Digest&)>& each)>;
  Result<SweepStats> Sweep(const LiveContents& live);

 private:
  friend class ContentLease;
  void Hold(const Sha256Digest& digest, std::vector<Sha256Digest>& held);
  void Drop(const std::vector<Sha256Digest>& held);
  // Leased, or released during the sweep in progress. REQUIRES: mu_ held.
  bool Held(const Sha256Digest& digest) const;

  storage::Store& store_;
  Chunker chunker_;
  std::mutex sweep_mu_;  // one sweep at a time
  mutable std::mutex mu_;
  std::multiset<Sha256Digest> leased_;  // GUARDED_BY(mu_)
  bool sweeping_ = false;               // GUARDED_BY(mu_)
  std::set<Sha256Digest> released_;     // GUARDED_BY(mu_): leases ended during this sweep
};

// "0a1b..." (64 hex digits) → digest. Errors: kInvalidArgument.
Result<Sha256Digest> ParseDigest(std::string_view hex);

}  // namespace quire::dms
