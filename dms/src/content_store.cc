#include "quire/dms/content_store.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <thread>
#include <unordered_set>

#include "quire/storage/key_codec.h"

namespace quire::dms {
namespace {

using storage::ColumnFamily;

constexpr std::size_t kBatchBytes = std::size_t{8} << 20;  // chunk writes per store write

std::string_view AsView(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string Key(char tag, const Sha256Digest& d) {
  std::string key(1, tag);
  key.append(AsView(d));
  return key;
}

void PutU32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
void PutU64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
std::uint64_t GetUint(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(in[at + i]);
  return v;
}

struct ChunkRef {
  Sha256Digest digest{};
  std::uint32_t length = 0;
};

struct Manifest {
  std::uint64_t size = 0;
  std::vector<ChunkRef> chunks;
};

std::string EncodeManifest(const Manifest& m) {
  std::string out;
  out.reserve(12 + m.chunks.size() * 36);
  PutU64(out, m.size);
  PutU32(out, static_cast<std::uint32_t>(m.chunks.size()));
  for (const ChunkRef& c : m.chunks) {
    out.append(AsView(c.digest));
    PutU32(out, c.length);
  }
  return out;
}

Result<Manifest> DecodeManifest(std::string_view in, const Sha256Digest& content) {
  auto damaged = [&] {
    return Error::Corruption("the chunk list of content " + DigestHex(content) + " is damaged");
  };
  if (in.size() < 12) return damaged();
  Manifest m;
  m.size = GetUint(in, 0, 8);
  const auto count = static_cast<std::size_t>(GetUint(in, 8, 4));
  if (in.size() != 12 + count * 36) return damaged();
  m.chunks.resize(count);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = 12 + i * 36;
    std::memcpy(m.chunks[i].digest.data(), in.data() + at, 32);
    m.chunks[i].length = static_cast<std::uint32_t>(GetUint(in, at + 32, 4));
    total += m.chunks[i].length;
  }
  if (total != m.size) return damaged();
  return m;
}

// The SHA-256 of a whole content, computed on a thread of its own while the caller chunks,
// hashes chunks and stores: the bytes are handed over in order, a bounded queue apart.
class WholeHasher {
 public:
  WholeHasher() : thread_([this] { Run(); }) {}
  ~WholeHasher() {
    if (thread_.joinable()) Finish();
  }

  void Add(std::string_view bytes) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return queue_.size() < kDepth; });
    queue_.emplace_back(bytes);
    ready_.notify_one();
  }

  Sha256Digest Finish() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    ready_.notify_one();
    thread_.join();
    return digest_;
  }

 private:
  static constexpr std::size_t kDepth = 16;

  void Run() {
    Sha256 sha;
    while (true) {
      std::string block;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) break;
        block = std::move(queue_.front());
        queue_.pop_front();
      }
      room_.notify_one();
      sha.Update(block);
    }
    digest_ = sha.Finish();
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<std::string> queue_;  // GUARDED_BY(mu_)
  bool done_ = false;              // GUARDED_BY(mu_)
  Sha256Digest digest_{};
  std::thread thread_;
};

struct DigestHash {
  std::size_t operator()(const Sha256Digest& d) const {
    std::size_t h = 0;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

}  // namespace

Result<std::size_t> StringSource::Read(char* buffer, std::size_t size) {
  const std::size_t n = std::min(size, data_.size());
  std::memcpy(buffer, data_.data(), n);
  data_.remove_prefix(n);
  return n;
}

Result<std::size_t> StreamSource::Read(char* buffer, std::size_t size) {
  in_.read(buffer, static_cast<std::streamsize>(size));
  if (in_.bad()) return Error::Unavailable("reading the content failed");
  return static_cast<std::size_t>(in_.gcount());
}

Result<Sha256Digest> ParseDigest(std::string_view hex) {
  std::string lower(hex);  // upper-case digits are accepted too
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto d = DigestFromHex(lower)) return *d;
  return Error::InvalidArgument("a content hash is 64 hex digits (SHA-256), not '" +
                                std::string(hex) + "'");
}

// ---- leases ----------------------------------------------------------------------------

ContentLease::ContentLease(ContentLease&& other) noexcept
    : store_(other.store_), held_(std::move(other.held_)) {
  other.store_ = nullptr;
  other.held_.clear();
}

ContentLease& ContentLease::operator=(ContentLease&& other) noexcept {
  if (this != &other) {
    Release();
    store_ = other.store_;
    held_ = std::move(other.held_);
    other.store_ = nullptr;
    other.held_.clear();
  }
  return *this;
}

ContentLease::~ContentLease() { Release(); }

void ContentLease::Release() {
  if (store_ != nullptr) store_->Drop(held_);
  store_ = nullptr;
  held_.clear();
}

void ContentStore::Hold(const Sha256Digest& digest, std::vector<Sha256Digest>& held) {
  std::lock_guard lock(mu_);
  leased_.insert(digest);
  held.push_back(digest);
}

void ContentStore::Drop(const std::vector<Sha256Digest>& held) {
  std::lock_guard lock(mu_);
  for (const Sha256Digest& d : held) {
    if (const auto it = leased_.find(d); it != leased_.end()) leased_.erase(it);
    // Released while a sweep runs: the content may be referenced now, after the sweep
    // marked what was live. Keep it until the next sweep looks again.
    if (sweeping_) released_.insert(d);
  }
}

bool ContentStore::Held(const Sha256Digest& digest) const {
  return leased_.contains(digest) || released_.contains(digest);
}

// ---- ingest and read -------------------------------------------------------------------

ContentStore::ContentStore(storage::Store& store, const ChunkerOptions& chunking)
    : store_(store), chunker_(chunking) {}

Result<Ingested> ContentStore::Put(ByteSource& source) {
  Ingested out;
  out.lease.store_ = this;
  const std::size_t max = chunker_.options().max_size;
  std::string buffer;
  buffer.reserve(2 * max);
  std::size_t start = 0;  // where the unchunked bytes begin in `buffer`
  bool ended = false;
  WholeHasher whole;
  Manifest manifest;
  std::unordered_set<Sha256Digest, DigestHash> seen;  // chunks of this content so far
  storage::WriteBatch batch;
  bool bulk = false;  // chunks went around the write-ahead log
  while (true) {
    // Keep at least max_size bytes ahead of the chunker, until the source ends.
    while (!ended && buffer.size() - start < max) {
      if (start > 0) {
        buffer.erase(0, start);
        start = 0;
      }
      const std::size_t have = buffer.size();
      buffer.resize(2 * max);
      QUIRE_ASSIGN_OR_RETURN(const std::size_t n,
                             source.Read(buffer.data() + have, 2 * max - have));
      buffer.resize(have + n);
      whole.Add(std::string_view(buffer).substr(have, n));
      ended = n == 0;
    }
    if (start == buffer.size()) break;
    const std::string_view rest = std::string_view(buffer).substr(start);
    const std::string_view chunk = rest.substr(0, chunker_.Cut(rest));
    start += chunk.size();
    const Sha256Digest digest = Sha256Of(chunk);
    manifest.chunks.push_back({digest, static_cast<std::uint32_t>(chunk.size())});
    manifest.size += chunk.size();
    if (!seen.insert(digest).second) continue;
    // Held before asking whether it is stored: a sweep then either removed it already (we
    // store it again) or sees the lease and leaves it.
    Hold(digest, out.lease.held_);
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                           store_.Get(ColumnFamily::kChunks, Key('h', digest)));
    if (stored) continue;
    batch.Put(ColumnFamily::kChunks, Key('c', digest), chunk);
    std::string length;
    PutU32(length, static_cast<std::uint32_t>(chunk.size()));
    batch.Put(ColumnFamily::kChunks, Key('h', digest), length);
    out.info.new_bytes += chunk.size();
    if (batch.byte_size() >= kBatchBytes) {
      // A large content: its chunks skip the write-ahead log (written once, to blob files,
      // not twice) and are flushed before the manifest that references them.
      QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kNoWal));
      batch = storage::WriteBatch();
      bulk = true;
    }
  }
  if (bulk) {
    QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kNoWal));
    batch = storage::WriteBatch();
    QUIRE_RETURN_IF_ERROR(store_.Flush(ColumnFamily::kChunks));
  }
  out.info.digest = whole.Finish();
  out.info.size = manifest.size;
  out.info.chunks = manifest.chunks.size();
  Hold(out.info.digest, out.lease.held_);
  // The manifest last, synced: every chunk is durable before it (in the log with it, or
  // flushed).
  batch.Put(ColumnFamily::kChunks, Key('m', out.info.digest), EncodeManifest(manifest));
  QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kSync));
  return out;
}

Result<std::optional<ContentInfo>> ContentStore::Find(const Sha256Digest& digest) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         store_.Get(ColumnFamily::kChunks, Key('m', digest)));
  if (!raw) return std::optional<ContentInfo>();
  QUIRE_ASSIGN_OR_RETURN(Manifest m, DecodeManifest(*raw, digest));
  ContentInfo info;
  info.digest = digest;
  info.size = m.size;
  info.chunks = m.chunks.size();
  return std::optional<ContentInfo>(info);
}

Result<void> ContentStore::Get(const Sha256Digest& digest, ByteSink& sink, std::uint64_t offset,
                               std::optional<std::uint64_t> length) const {
  const storage::Snapshot snapshot = store_.GetSnapshot();
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         store_.Get(ColumnFamily::kChunks, Key('m', digest), &snapshot));
  if (!raw) return Error::NotFound("content " + DigestHex(digest) + " is not stored");
  QUIRE_ASSIGN_OR_RETURN(Manifest m, DecodeManifest(*raw, digest));
  if (offset > m.size || (length && *length > m.size - offset)) {
    return Error::InvalidArgument(
        "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length.value_or(0)) +
        " are outside the content's " + std::to_string(m.size) + " bytes");
  }
  const std::uint64_t end = length ? offset + *length : m.size;
  const bool whole_read = offset == 0 && end == m.size;
  std::optional<WholeHasher> whole;
  if (whole_read) whole.emplace();
  std::uint64_t at = 0;  // where the current chunk starts in the content
  for (std::size_t i = 0; i < m.chunks.size() && at < end; ++i) {
    const ChunkRef& c = m.chunks[i];
    const std::uint64_t chunk_end = at + c.length;
    if (chunk_end <= offset) {
      at = chunk_end;
      continue;
    }
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                           store_.Get(ColumnFamily::kChunks, Key('c', c.digest), &snapshot));
    if (!bytes) {
      return Error::Corruption("chunk " + std::to_string(i + 1) + " (" + DigestHex(c.digest) +
                               ") of content " + DigestHex(digest) + " is missing");
    }
    if (bytes->size() != c.length || Sha256Of(*bytes) != c.digest) {
      return Error::Corruption("chunk " + std::to_string(i + 1) + " (" + DigestHex(c.digest) +
                               ") of content " + DigestHex(digest) +
                               " is damaged: its bytes no longer match its SHA-256");
    }
    if (whole) whole->Add(*bytes);
    const std::uint64_t from = std::max(offset, at) - at;
    const std::uint64_t to = std::min(end, chunk_end) - at;
    QUIRE_RETURN_IF_ERROR(sink.Write(std::string_view(*bytes).substr(from, to - from)));
    at = chunk_end;
  }
  if (whole && whole->Finish() != digest) {
    return Error::Corruption("content " + DigestHex(digest) +
                             " does not match its SHA-256: its chunk list is damaged");
  }
  return Ok();
}

// ---- reclaiming ------------------------------------------------------------------------

Result<SweepStats> ContentStore::Sweep(const LiveContents& live) {
  std::lock_guard one_at_a_time(sweep_mu_);
  {
    std::lock_guard lock(mu_);
    sweeping_ = true;
    released_.clear();
  }
  struct Done {
    ContentStore* self;
    ~Done() {
      std::lock_guard lock(self->mu_);
      self->sweeping_ = false;
      self->released_.clear();
    }
  } done{this};
  SweepStats stats;
  // Mark: the chunks of every live content.
  std::unordered_set<Sha256Digest, DigestHash> live_contents;
  QUIRE_RETURN_IF_ERROR(live([&](const Sha256Digest& d) { live_contents.insert(d); }));
  std::unordered_set<Sha256Digest, DigestHash> marked;
  std::vector<Sha256Digest> dead_contents;
  {
    auto it = store_.ScanPrefix(ColumnFamily::kChunks, "m");
    for (; it.Valid(); it.Next()) {
      Sha256Digest d{};
      if (it.key().size() != 33) continue;
      std::memcpy(d.data(), it.key().data() + 1, 32);
      bool keep = live_contents.contains(d);
      if (!keep) {
        std::lock_guard lock(mu_);
        keep = Held(d);
      }
      if (!keep) {
        dead_contents.push_back(d);
        continue;
      }
      QUIRE_ASSIGN_OR_RETURN(Manifest m, DecodeManifest(it.value(), d));
      for (const ChunkRef& c : m.chunks) marked.insert(c.digest);
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  // Sweep: unmarked chunks not leased, removed under the lease lock so that an ingest
  // either holds a chunk before we look or finds it gone and stores it again.
  std::vector<std::pair<Sha256Digest, std::uint32_t>> candidates;
  {
    auto it = store_.ScanPrefix(ColumnFamily::kChunks, "h");
    for (; it.Valid(); it.Next()) {
      Sha256Digest d{};
      if (it.key().size() != 33) continue;
      std::memcpy(d.data(), it.key().data() + 1, 32);
      if (marked.contains(d)) {
        ++stats.chunks_kept;
        continue;
      }
      const std::string_view v = it.value();
      candidates.emplace_back(d, v.size() == 4 ? static_cast<std::uint32_t>(GetUint(v, 0, 4)) : 0);
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  std::lock_guard lock(mu_);
  storage::WriteBatch batch;
  for (const Sha256Digest& d : dead_contents) {
    if (Held(d)) continue;
    batch.Delete(ColumnFamily::kChunks, Key('m', d));
    ++stats.contents_removed;
  }
  for (const auto& [d, length] : candidates) {
    if (Held(d)) {
      ++stats.chunks_kept;
      continue;
    }
    batch.Delete(ColumnFamily::kChunks, Key('c', d));
    batch.Delete(ColumnFamily::kChunks, Key('h', d));
    ++stats.chunks_removed;
    stats.bytes_removed += length;
  }
  QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kSync));
  return stats;
}

}  // namespace quire::dms
