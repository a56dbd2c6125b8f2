#include "quire/storage/store.h"

#include "quire/storage/key_codec.h"

#include <fcntl.h>
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/debug.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <utility>

namespace quire::storage {
namespace fs = std::filesystem;

namespace {

// Bitmaps changed a bit at a time (WriteBatch::SetBit): operands are '+' or '-' and a
// big-endian u32 bit number, applied in order to the stored bitmap (absent: all clear).
// Keys of the crm column family that never take SetBit never see it.
//
// A run of operands of one key is folded into one (PartialMergeMulti) when a flush or a
// compaction meets them without the key's value: counter sets and counters sum; bit
// operations become a patch, '~' then n bytes of bits to set and n bytes of bits to clear
// (the bitmap grows to n bytes, as the bit operations would have grown it). Without this,
// every operand stayed until a compaction reached the key's value, and a read straight
// after a bulk load summed thousands of them.
class BitmapMergeOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "quire.bitmap"; }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* out, rocksdb::Logger* /*logger*/) const override {
    if (operands.empty() || operands.front().empty()) return false;
    const char kind = operands.front()[0];
    if (kind == '%') {  // counter sets: summed by name
      std::map<std::string, std::uint64_t, std::less<>> sums;
      for (const rocksdb::Slice& op : operands) {
        if (op.empty() || op[0] != '%') return false;
        const bool ok = ForEachCounter(std::string_view(op.data(), op.size()),
                                       [&](std::string_view name, std::int64_t v) {
                                         auto it = sums.find(name);
                                         if (it == sums.end()) {
                                           it = sums.emplace(std::string(name), 0).first;
                                         }
                                         it->second += static_cast<std::uint64_t>(v);
                                       });
        if (!ok) return false;
      }
      std::map<std::string, std::int64_t> kept;
      for (auto& [name, sum] : sums) {
        if (sum != 0) kept.emplace(name, static_cast<std::int64_t>(sum));
      }
      *out = EncodeCounterSet(kept);
      return true;
    }
    if (kind == '#') {  // counters: one delta
      std::uint64_t sum = 0;
      for (const rocksdb::Slice& op : operands) {
        if (op.size() != 9 || op[0] != '#') return false;
        std::uint64_t delta = 0;
        for (int i = 1; i < 9; ++i) delta = delta << 8 | static_cast<unsigned char>(op[i]);
        sum += delta;
      }
      out->assign(9, '#');
      for (int i = 0; i < 8; ++i) {
        (*out)[static_cast<std::size_t>(1 + i)] = static_cast<char>(sum >> (8 * (7 - i)));
      }
      return true;
    }
    // Bit operations and patches: one patch.
    std::string set, clear;
    for (const rocksdb::Slice& op : operands) {
      if (!ApplyToPatch(std::string_view(op.data(), op.size()), set, clear)) return false;
    }
    *out = "~" + set + clear;
    return true;
  }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    // Counter sets (WriteBatch::AddToCounterSet): each named counter summed; zeros dropped.
    if (!in.operand_list.empty() && !in.operand_list.front().empty() &&
        in.operand_list.front()[0] == '%') {
      std::map<std::string, std::uint64_t, std::less<>> sums;  // modulo 2^64
      auto add = [&](std::string_view name, std::int64_t v) {
        auto it = sums.find(name);
        if (it == sums.end()) it = sums.emplace(std::string(name), 0).first;
        it->second += static_cast<std::uint64_t>(v);
      };
      if (in.existing_value != nullptr &&
          !ForEachCounter(std::string_view(in.existing_value->data(), in.existing_value->size()),
                          add)) {
        return false;  // corruption
      }
      for (const rocksdb::Slice& op : in.operand_list) {
        if (!ForEachCounter(std::string_view(op.data(), op.size()), add)) return false;
      }
      std::map<std::string, std::int64_t> kept;
      for (auto& [name, sum] : sums) {
        if (sum != 0) kept.emplace(name, static_cast<std::int64_t>(sum));
      }
      out->new_value = EncodeCounterSet(kept);
      return true;
    }
    // Counters (WriteBatch::AddToCounter): '#' and a big-endian int64 delta, summed.
    if (!in.operand_list.empty() && in.operand_list.front().size() == 9 &&
        in.operand_list.front()[0] == '#') {
      std::uint64_t sum = 0;
      if (in.existing_value != nullptr) {
        if (in.existing_value->size() != 8) return false;  // corruption
        for (int i = 0; i < 8; ++i) {
          sum = sum << 8 |
                static_cast<unsigned char>((*in.existing_value)[static_cast<std::size_t>(i)]);
        }
      }
      for (const rocksdb::Slice& op : in.operand_list) {
        if (op.size() != 9 || op[0] != '#') return false;
        std::uint64_t delta = 0;
        for (int i = 1; i < 9; ++i) delta = delta << 8 | static_cast<unsigned char>(op[i]);
        sum += delta;  // modulo 2^64: two's-complement addition
      }
      out->new_value.resize(8);
      for (int i = 0; i < 8; ++i) {
        out->new_value[static_cast<std::size_t>(i)] = static_cast<char>(sum >> (8 * (7 - i)));
      }
      return true;
    }
    std::string& bits = out->new_value;
    if (in.existing_value != nullptr) {
      bits.assign(in.existing_value->data(), in.existing_value->size());
    } else {
      bits.clear();
    }
    for (const rocksdb::Slice& op : in.operand_list) {
      if (!op.empty() && op[0] == '~') {       // a patch
        if (op.size() % 2 != 1) return false;  // corruption
        const std::size_t n = op.size() / 2;
        if (bits.size() < n) bits.resize(n, '\0');
        for (std::size_t i = 0; i < n; ++i) {
          auto& b = reinterpret_cast<unsigned char&>(bits[i]);
          b = static_cast<unsigned char>((b | static_cast<unsigned char>(op[1 + i])) &
                                         ~static_cast<unsigned char>(op[1 + n + i]));
        }
        continue;
      }
      if (op.size() != 5 || (op[0] != '+' && op[0] != '-')) return false;  // corruption
      std::uint32_t bit = 0;
      for (int i = 1; i < 5; ++i) bit = bit << 8 | static_cast<unsigned char>(op[i]);
      const std::size_t byte = bit / 8;
      if (byte >= std::size_t{1} << 24) return false;  // no bitmap is that large
      if (bits.size() <= byte) bits.resize(byte + 1, '\0');
      const auto mask = static_cast<unsigned char>(1u << (bit % 8));
      auto& b = reinterpret_cast<unsigned char&>(bits[byte]);
      b = op[0] == '+' ? static_cast<unsigned char>(b | mask)
                       : static_cast<unsigned char>(b & ~mask);
    }
    return true;
  }

 private:
  // Adds a bit operation or a patch to the patch (set, clear), later ones winning.
  static bool ApplyToPatch(std::string_view op, std::string& set, std::string& clear) {
    auto grow = [&](std::size_t n) {
      if (set.size() < n) {
        set.resize(n, '\0');
        clear.resize(n, '\0');
      }
    };
    if (!op.empty() && op[0] == '~') {
      if (op.size() % 2 != 1) return false;
      const std::size_t n = op.size() / 2;
      grow(n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto s = static_cast<unsigned char>(op[1 + i]);
        const auto c = static_cast<unsigned char>(op[1 + n + i]);
        auto& ps = reinterpret_cast<unsigned char&>(set[i]);
        auto& pc = reinterpret_cast<unsigned char&>(clear[i]);
        ps = static_cast<unsigned char>((ps & ~c) | s);
        pc = static_cast<unsigned char>((pc & ~s) | c);
      }
      return true;
    }
    if (op.size() != 5 || (op[0] != '+' && op[0] != '-')) return false;
    std::uint32_t bit = 0;
    for (int i = 1; i < 5; ++i) bit = bit << 8 | static_cast<unsigned char>(op[i]);
    const std::size_t byte = bit / 8;
    if (byte >= std::size_t{1} << 24) return false;
    grow(byte + 1);
    const auto mask = static_cast<unsigned char>(1u << (bit % 8));
    auto& ps = reinterpret_cast<unsigned char&>(set[byte]);
    auto& pc = reinterpret_cast<unsigned char&>(clear[byte]);
    if (op[0] == '+') {
      ps = static_cast<unsigned char>(ps | mask);
      pc = static_cast<unsigned char>(pc & ~mask);
    } else {
      pc = static_cast<unsigned char>(pc | mask);
      ps = static_cast<unsigned char>(ps & ~mask);
    }
    return true;
  }
};

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

Error FromRocks(const rocksdb::Status& s, std::string_view what) {
  std::string message = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Error::Corruption(std::move(message));
  if (s.IsNoSpace()) return Error::Unavailable(std::move(message) + " (the disk is full)");
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut() || s.IsIOError()) {
    return Error::Unavailable(std::move(message));
  }
  if (s.IsInvalidArgument()) return Error::InvalidArgument(std::move(message));
  if (s.IsNotFound()) return Error::NotFound(std::move(message));
  return Error::Internal(std::move(message));
}

// The process holding the RocksDB LOCK file of `dir`, if any. Only called when our own
// process does not hold it: closing a descriptor drops this process's fcntl locks on the file.
std::optional<pid_t> LockHolder(const fs::path& dir) {
  const fs::path lock = dir / "LOCK";
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const int rc = ::fcntl(fd, F_GETLK, &probe);
  ::close(fd);
  if (rc != 0 || probe.l_type == F_UNLCK) return std::nullopt;
  return probe.l_pid;
}

bool IsLockError(const rocksdb::Status& s) {
  return s.IsIOError() && s.ToString().find("lock") != std::string::npos;
}

// Files RocksDB may leave behind when it stops while creating a new database, before the
// CURRENT file exists. Anything else in a directory without CURRENT means the directory
// holds data that Quire must not build over.
bool IsCreationLeftover(const std::string& name) {
  return name == kMarkerFileName || name == "LOCK" || name.starts_with("LOG") ||
         name.starts_with("MANIFEST-") || name.starts_with("IDENTITY");
}

Result<void> SyncPath(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return Error::Unavailable("cannot open " + path.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0)
    return Error::Unavailable("cannot sync " + path.string() + ": " + std::strerror(saved));
  return Ok();
}

// Written beside and renamed into place, so that a crash leaves the old marker or the new.
Result<void> WriteMarker(const fs::path& dir) {
  const fs::path marker = dir / kMarkerFileName;
  fs::path next = marker;
  next += ".new";
  {
    std::ofstream out(next, std::ios::trunc);
    out << "quire-store-format " << kStoreFormatVersion << "\n";
    out.flush();
    if (!out) return Error::Unavailable("cannot write " + next.string());
  }
  QUIRE_RETURN_IF_ERROR(SyncPath(next, O_RDONLY));
  std::error_code ec;
  fs::rename(next, marker, ec);
  if (ec) return Error::Unavailable("cannot replace " + marker.string() + ": " + ec.message());
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

Result<std::uint32_t> ReadMarker(const fs::path& dir) {
  const fs::path marker = dir / kMarkerFileName;
  std::ifstream in(marker);
  std::string word;
  std::uint32_t version = 0;
  if (!(in >> word >> version) || word != "quire-store-format" || version == 0) {
    return Error::Corruption(marker.string() + " is damaged: expected 'quire-store-format N'");
  }
  return version;
}

}  // namespace

std::size_t DefaultBlockCacheBytes() {
  constexpr std::size_t kMin = std::size_t{128} << 20, kMax = std::size_t{8} << 30;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return kMin;
  const std::size_t eighth = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) / 8;
  return std::clamp(eighth, kMin, kMax);
}

namespace {

rocksdb::DBOptions MakeDbOptions(const StoreOptions& options, bool create) {
  rocksdb::DBOptions db;
  db.create_if_missing = create;
  db.create_missing_column_families = true;
  db.paranoid_checks = true;
  db.max_background_jobs = options.background_jobs;
  db.bytes_per_sync = std::uint64_t{1} << 20;
  db.keep_log_file_num = 5;
  // Column families written rarely (org, definitions) would otherwise keep every
  // write-ahead log file alive until their memtables fill: flushed once the logs pass this.
  db.max_total_wal_size = std::uint64_t{512} << 20;
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  return db;
}

rocksdb::CompressionType PickCompression(rocksdb::CompressionType wanted) {
  const auto supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), wanted) != supported.end()
             ? wanted
             : rocksdb::kNoCompression;
}

std::vector<rocksdb::ColumnFamilyDescriptor> MakeDescriptors(const StoreOptions& options) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filters in the cache, partitioned: a 64 MB file's whole index is hundreds of
  // KB, which a shard of the cache keeps evicting under reads of data blocks (a 1,000,000-
  // activity import fell from 26,000 to 800 rows/s re-reading them from the files); its
  // partitions are block-sized and only the small top level is pinned.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  std::shared_ptr<rocksdb::TableFactory> factory(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const ColumnFamilyInfo& info : kColumnFamilies) {
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = options.write_buffer_bytes;
    cf.table_factory = factory;
    cf.level_compaction_dynamic_level_bytes = true;
    // crm: bitmaps and KPI counters; history: the engine's analytics counters.
    if (info.id == ColumnFamily::kCrm || info.id == ColumnFamily::kHistory) {
      cf.merge_operator = std::make_shared<BitmapMergeOperator>();
    }
    // Keys of one 2-byte prefix (a history range, an inbox view) are often written in
    // order: a per-prefix insert hint saves memtable search (+2.5 % task round trips,
    // docs/benchmarks.md).
    cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(2));
    cf.compression = PickCompression(rocksdb::kLZ4Compression);
    cf.bottommost_compression = PickCompression(rocksdb::kZSTD);
    if (info.blob_files) {
      cf.enable_blob_files = true;
      cf.min_blob_size = 4096;
      // Chunks are written once and never overwritten; blob garbage collection would copy
      // the live ones of the oldest files again at every compaction (a fifth of the CPU of
      // a 1 GB ingest). A blob file goes when every blob in it is garbage.
      cf.enable_blob_garbage_collection = false;
    }
    descriptors.emplace_back(std::string(info.name), cf);
  }
  return descriptors;
}

// Decides whether `dir` may be opened as a store: creates or vets it, then checks the
// marker. Returns whether a RocksDB database (CURRENT) already exists there.
Result<bool> PrepareDirectory(const fs::path& dir, const StoreOptions& options) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Error::Unavailable("cannot read " + dir.string() + ": " + ec.message());
  }
  if (fs::exists(status) && !fs::is_directory(status)) {
    return Error::InvalidArgument(dir.string() +
                                  " is not a directory: the data directory must be a directory");
  }
  if (!fs::exists(status)) {
    if (!options.create_if_missing) {
      return Error::NotFound("no Quire store at " + dir.string() +
                             ": the directory does not exist");
    }
    fs::create_directories(dir, ec);
    if (ec) return Error::Unavailable("cannot create " + dir.string() + ": " + ec.message());
  }

  const bool has_current = fs::exists(dir / "CURRENT", ec);
  const bool has_marker = fs::exists(dir / kMarkerFileName, ec);
  if (has_current && !has_marker) {
    return Error::InvalidArgument(
        dir.string() + " holds a RocksDB database that Quire did not create (no " +
        std::string(kMarkerFileName) +
        " file); point the data directory at a Quire store or at an empty directory");
  }
  if (!has_current) {
    std::vector<std::string> others;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!(has_marker && IsCreationLeftover(name))) others.push_back(name);
    }
    if (ec) return Error::Unavailable("cannot list " + dir.string() + ": " + ec.message());
    if (!others.empty()) {
      if (has_marker) {
        return Error::Corruption("the Quire store at " + dir.string() +
                                 " has lost its CURRENT file (it still holds " + others.front() +
                                 ", ...); restore the directory from a backup");
      }
      return Error::InvalidArgument(dir.string() + " is not empty (it holds " + others.front() +
                                    ") and is not a Quire store; Quire will not create a store "
                                    "over other files: use an empty or new directory");
    }
    if (!options.create_if_missing) {
      return Error::NotFound("no Quire store at " + dir.string() + ": the directory is empty");
    }
    if (!has_marker) QUIRE_RETURN_IF_ERROR(WriteMarker(dir));
  }

  QUIRE_ASSIGN_OR_RETURN(const std::uint32_t version, ReadMarker(dir));
  if (version > kStoreFormatVersion) {
    return Error::InvalidArgument("the store at " + dir.string() + " has format " +
                                  std::to_string(version) + ", written by a newer Quire; this " +
                                  "build reads format " + std::to_string(kStoreFormatVersion));
  }
  // An older format this build reads as it is: record the new one before anything of it is
  // written, so that an older build then refuses the store instead of misreading it.
  if (version < kStoreFormatVersion) QUIRE_RETURN_IF_ERROR(WriteMarker(dir));
  return has_current;
}

}  // namespace

// ---- Snapshot ---------------------------------------------------------------------------

Snapshot::Snapshot(Snapshot&& other) noexcept
    : db_(other.db_), snapshot_(std::exchange(other.snapshot_, nullptr)) {}

Snapshot& Snapshot::operator=(Snapshot&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    snapshot_ = std::exchange(other.snapshot_, nullptr);
  }
  return *this;
}

Snapshot::~Snapshot() { Release(); }

void Snapshot::Release() {
  if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
  snapshot_ = nullptr;
}

// ---- Iterator ---------------------------------------------------------------------------

struct Iterator::Impl {
  // The bounds live here, beside the iterator whose ReadOptions point at them.
  std::string lower;
  std::string upper;  // empty: unbounded
  rocksdb::Slice lower_slice;
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
};

Iterator::Iterator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Iterator::Iterator(Iterator&&) noexcept = default;
Iterator& Iterator::operator=(Iterator&&) noexcept = default;
Iterator::~Iterator() = default;

bool Iterator::Valid() const { return impl_->it->Valid(); }
void Iterator::Next() { impl_->it->Next(); }
void Iterator::Prev() { impl_->it->Prev(); }

void Iterator::SeekToFirst() {
  if (impl_->lower.empty()) {
    impl_->it->SeekToFirst();
  } else {
    impl_->it->Seek(impl_->lower_slice);
  }
}

void Iterator::SeekToLast() {
  if (impl_->upper.empty()) {
    impl_->it->SeekToLast();
    return;
  }
  impl_->it->SeekForPrev(impl_->upper_slice);
  if (impl_->it->Valid() && impl_->it->key() == impl_->upper_slice) impl_->it->Prev();
}

void Iterator::Seek(std::string_view key) {
  if (key < impl_->lower) {
    SeekToFirst();
  } else {
    impl_->it->Seek(ToSlice(key));
  }
}

void Iterator::SeekForPrev(std::string_view key) {
  if (!impl_->upper.empty() && key >= impl_->upper) {
    SeekToLast();
  } else {
    impl_->it->SeekForPrev(ToSlice(key));
  }
}

std::string_view Iterator::key() const {
  const rocksdb::Slice k = impl_->it->key();
  return {k.data(), k.size()};
}

std::string_view Iterator::value() const {
  const rocksdb::Slice v = impl_->it->value();
  return {v.data(), v.size()};
}

Result<void> Iterator::status() const {
  const rocksdb::Status s = impl_->it->status();
  if (!s.ok()) return FromRocks(s, "iterating");
  return Ok();
}

// ---- Store ------------------------------------------------------------------------------

struct Store::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilies.size()> handles{};

  rocksdb::ColumnFamilyHandle* handle(ColumnFamily cf) const { return handles[Index(cf)]; }

  ~Impl() {
    if (!db) return;
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      if (h != nullptr) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db->Close().PermitUncheckedError();
  }
};

Store::Store(fs::path dir, std::unique_ptr<Impl> impl)
    : dir_(std::move(dir)), impl_(std::move(impl)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const fs::path& dir, const StoreOptions& options) {
  QUIRE_ASSIGN_OR_RETURN(const bool has_current, PrepareDirectory(dir, options));
  const rocksdb::DBOptions db_options = MakeDbOptions(options, !has_current);

  if (has_current) {
    std::vector<std::string> existing;
    const rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, dir.string(), &existing);
    if (!s.ok()) {
      return Error::Corruption("the Quire store at " + dir.string() + " cannot be read (" +
                               s.ToString() + "); restore the directory from a backup");
    }
    for (const std::string& name : existing) {
      const bool known = std::any_of(kColumnFamilies.begin(), kColumnFamilies.end(),
                                     [&](const ColumnFamilyInfo& i) { return i.name == name; });
      if (!known) {
        return Error::InvalidArgument("the store at " + dir.string() +
                                      " has a column family this build does not know ('" + name +
                                      "'): it was written by a newer Quire");
      }
    }
  }

  auto impl = std::make_unique<Impl>();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s =
      rocksdb::DB::Open(db_options, dir.string(), MakeDescriptors(options), &handles, &raw);
  impl->db.reset(raw);
  if (!s.ok()) {
    if (IsLockError(s)) {
      if (s.ToString().find("current process") != std::string::npos) {
        return Error::Unavailable("the store at " + dir.string() +
                                  " is already open in this process");
      }
      const std::optional<pid_t> holder = LockHolder(dir);
      return Error::Unavailable(
          "the store at " + dir.string() + " is in use by " +
          (holder ? "process " + std::to_string(*holder) : std::string("another process")) +
          "; stop that process or choose another data directory");
    }
    if (has_current) {
      return Error::Corruption("the Quire store at " + dir.string() + " is damaged (" +
                               s.ToString() + "); restore the directory from a backup");
    }
    return FromRocks(s, "creating the store at " + dir.string());
  }
  if (handles.size() != kColumnFamilies.size()) {
    return Error::Internal("RocksDB opened " + std::to_string(handles.size()) +
                           " column families, expected " + std::to_string(kColumnFamilies.size()));
  }
  std::copy(handles.begin(), handles.end(), impl->handles.begin());
  return std::make_unique<Store>(dir, std::move(impl));
}

Result<std::optional<std::string>> Store::Get(ColumnFamily cf, std::string_view key,
                                              const Snapshot* snapshot) const {
  rocksdb::ReadOptions read;
  if (snapshot != nullptr) read.snapshot = snapshot->snapshot_;
  // Values of blob-file families (content chunks) carry their own SHA-256, which their
  // reader checks; RocksDB's CRC32C over the same bytes (the portable, slow one in Debian's
  // build) cost a sixth of a verified download.
  if (kColumnFamilies[Index(cf)].blob_files) read.verify_checksums = false;
  std::string value;
  const rocksdb::Status s = impl_->db->Get(read, impl_->handle(cf), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading from " + std::string(Name(cf)));
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::optional<std::string>>> Store::MultiGet(
    ColumnFamily cf, const std::vector<std::string>& keys, bool sorted,
    const Snapshot* snapshot) const {
  rocksdb::ReadOptions read;
  if (snapshot != nullptr) read.snapshot = snapshot->snapshot_;
  if (kColumnFamilies[Index(cf)].blob_files) read.verify_checksums = false;
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& k : keys) slices.push_back(ToSlice(k));
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  impl_->db->MultiGet(read, impl_->handle(cf), keys.size(), slices.data(), values.data(),
                      statuses.data(), sorted);
  std::vector<std::optional<std::string>> out(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading from " + std::string(Name(cf)));
    out[i] = values[i].ToString();
  }
  return out;
}

Result<void> Store::Write(const WriteBatch& batch, Durability durability) {
  const WriteBatch* one[] = {&batch};
  return WriteGroup(one, durability);
}

Result<void> Store::WriteGroup(std::span<const WriteBatch* const> batches, Durability durability) {
  rocksdb::WriteBatch combined;
  for (const WriteBatch* batch : batches) {
    for (const WriteBatch::Op& op : batch->ops()) {
      rocksdb::ColumnFamilyHandle* h = impl_->handle(op.cf);
      rocksdb::Status s;
      switch (op.kind) {
        case WriteBatch::OpKind::kPut:
          s = combined.Put(h, ToSlice(op.key), ToSlice(op.value));
          break;
        case WriteBatch::OpKind::kDelete:
          s = combined.Delete(h, ToSlice(op.key));
          break;
        case WriteBatch::OpKind::kBitmapMerge:
          if (op.cf != ColumnFamily::kCrm && op.cf != ColumnFamily::kHistory) {
            return Error::InvalidArgument(
                "bitmaps and counters are kept in the crm and history column families only");
          }
          s = combined.Merge(h, ToSlice(op.key), ToSlice(op.value));
          break;
        case WriteBatch::OpKind::kDeleteRange:
          // The memtable's insert hints (per 2-byte prefix, above) are shared by point keys
          // and range tombstones in RocksDB before 9.2 (facebook/rocksdb#5118, fixed by
          // #12558): a tombstone whose keys have a whole prefix corrupts the memtable's
          // skip list, and later keys of that prefix go missing. Only 1-byte bounds are safe.
          if (op.key.size() > 1 || op.value.size() > 1) {
            return Error::InvalidArgument(
                "a range deletion's bounds must be single bytes (RocksDB's memtable insert "
                "hints corrupt longer ones); delete the keys one by one instead");
          }
          s = combined.DeleteRange(h, ToSlice(op.key), ToSlice(op.value));
          break;
      }
      if (!s.ok()) return FromRocks(s, "preparing a write to " + std::string(Name(op.cf)));
    }
  }
  if (combined.Count() == 0) return Ok();
  rocksdb::WriteOptions write;
  write.sync = durability == Durability::kSync;
  write.disableWAL = durability == Durability::kNoWal;
  const rocksdb::Status s = impl_->db->Write(write, &combined);
  if (!s.ok()) return FromRocks(s, "writing to the store at " + dir_.string());
  return Ok();
}

Snapshot Store::GetSnapshot() const { return Snapshot(impl_->db.get(), impl_->db->GetSnapshot()); }

Iterator Store::Scan(ColumnFamily cf, std::string_view begin, std::string_view end,
                     const Snapshot* snapshot) const {
  auto impl = std::make_unique<Iterator::Impl>();
  impl->lower.assign(begin);
  impl->upper.assign(end);
  impl->lower_slice = ToSlice(impl->lower);
  impl->upper_slice = ToSlice(impl->upper);
  rocksdb::ReadOptions read;
  if (snapshot != nullptr) read.snapshot = snapshot->snapshot_;
  if (!impl->lower.empty()) read.iterate_lower_bound = &impl->lower_slice;
  if (!impl->upper.empty()) read.iterate_upper_bound = &impl->upper_slice;
  impl->it.reset(impl_->db->NewIterator(read, impl_->handle(cf)));
  Iterator it(std::move(impl));
  it.SeekToFirst();
  return it;
}

Iterator Store::ScanPrefix(ColumnFamily cf, std::string_view prefix,
                           const Snapshot* snapshot) const {
  return Scan(cf, prefix, PrefixSuccessor(prefix), snapshot);
}

Result<void> Store::Flush(ColumnFamily cf) {
  const rocksdb::Status s = impl_->db->Flush(rocksdb::FlushOptions(), impl_->handle(cf));
  if (!s.ok()) return FromRocks(s, "flushing " + std::string(Name(cf)) + " at " + dir_.string());
  return Ok();
}

Result<void> Store::Purge(ColumnFamily cf) {
  QUIRE_RETURN_IF_ERROR(Flush());
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  options.exclusive_manual_compaction = false;  // background compactions go on meanwhile
  const rocksdb::Status s = impl_->db->CompactRange(options, impl_->handle(cf), nullptr, nullptr);
  if (!s.ok()) return FromRocks(s, "compacting " + std::string(Name(cf)) + " at " + dir_.string());
  return Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> Store::AllVersions(
    ColumnFamily cf, std::size_t limit) const {
  std::vector<rocksdb::KeyVersion> versions;
  const rocksdb::Status s =
      rocksdb::GetAllKeyVersions(impl_->db.get(), impl_->handle(cf), {}, {}, limit, &versions);
  if (!s.ok()) return FromRocks(s, "reading the versions of " + std::string(Name(cf)));
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(versions.size());
  for (rocksdb::KeyVersion& v : versions)
    out.emplace_back(std::move(v.user_key), std::move(v.value));
  return out;
}

bool Store::WaitUntilIdle(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::uint64_t busy = 0;
    for (rocksdb::ColumnFamilyHandle* h : impl_->handles) {
      for (const char* property :
           {"rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
        std::uint64_t v = 0;
        if (impl_->db->GetIntProperty(h, property, &v)) busy += v;
      }
    }
    std::uint64_t running = 0;
    if (impl_->db->GetIntProperty("rocksdb.num-running-compactions", &running)) busy += running;
    if (impl_->db->GetIntProperty("rocksdb.num-running-flushes", &running)) busy += running;
    if (busy == 0) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<void> Store::Flush() {
  std::vector<rocksdb::ColumnFamilyHandle*> all(impl_->handles.begin(), impl_->handles.end());
  const rocksdb::Status s = impl_->db->Flush(rocksdb::FlushOptions(), all);
  if (!s.ok()) return FromRocks(s, "flushing the store at " + dir_.string());
  return Ok();
}

}  // namespace quire::storage
