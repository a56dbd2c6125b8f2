#include "quire/audit/log.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <future>

#include "quire/storage/key_codec.h"

namespace quire::audit {
namespace json = boost::json;
namespace {

using storage::ColumnFamily;
using storage::KeyEncoder;

std::string EntryKey(std::uint64_t seq) { return KeyEncoder().U8('e').U64(seq).Take(); }
std::string HeadKey(std::uint64_t size) { return KeyEncoder().U8('h').U64(size).Take(); }
std::string RecordKey(std::string_view record, std::uint64_t seq) {
  return KeyEncoder().U8('o').String(record).U64(seq).Take();
}
const std::string kIndexedKey = KeyEncoder().U8('x').String("records").Take();

void IndexEntry(const Entry& e, storage::WriteBatch& b) {
  for (const std::string& record : RecordsOf(e))
    b.Put(ColumnFamily::kAudit, RecordKey(record, e.seq), "");
}

// A store written before the record index: every entry indexed, in batches, then marked.
Result<void> IndexAllEntries(storage::Store& store) {
  storage::WriteBatch batch;
  std::size_t queued = 0;
  auto it = store.ScanPrefix(ColumnFamily::kAudit, "e");
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(Entry e, ParseEntry(it.value()));
    IndexEntry(e, batch);
    if (++queued == 10000) {
      QUIRE_RETURN_IF_ERROR(store.Write(batch));
      batch = storage::WriteBatch();
      queued = 0;
    }
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  batch.Put(ColumnFamily::kAudit, kIndexedKey, "");
  return store.Write(batch);
}

json::array HexList(const std::vector<Hash>& hashes) {
  json::array out;
  for (const Hash& h : hashes) out.push_back(json::string(DigestHex(h)));
  return out;
}

Result<Hash> HexHash(const json::value& v) {
  if (!v.is_string()) return Error::InvalidArgument("a hash must be a string");
  return HashFromHex(v.as_string());
}

}  // namespace

std::string InclusionProofInfo::ToJson() const {
  return json::serialize(json::object{{"kind", "inclusion"},
                                      {"seq", seq},
                                      {"entry", line},
                                      {"head", json::parse(head.ToJson())},
                                      {"path", HexList(path)}});
}

std::string ConsistencyProofInfo::ToJson() const {
  return json::serialize(json::object{{"kind", "consistency"},
                                      {"first", json::parse(first.ToJson())},
                                      {"second", json::parse(second.ToJson())},
                                      {"path", HexList(path)}});
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(storage::Store& store,
                                                 const std::filesystem::path& key_dir,
                                                 const AuditOptions& options) {
  QUIRE_ASSIGN_OR_RETURN(Signer signer, Signer::LoadOrCreate(key_dir));
  std::unique_ptr<AuditLog> log(new AuditLog(store, std::move(signer)));
  auto it = store.ScanPrefix(ColumnFamily::kAudit, "e");
  for (; it.Valid(); it.Next()) {
    log->tree_.Append(LeafHash(it.value()));
    log->last_hash_ = Sha256Of(it.value());
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> indexed,
                         store.Get(ColumnFamily::kAudit, kIndexedKey));
  if (!indexed) QUIRE_RETURN_IF_ERROR(IndexAllEntries(store));
  log->durable_ = log->tree_.size();
  storage::GroupCommitOptions gc;
  gc.durability = options.durability;
  gc.stop_after_failure = true;  // a failed entry must not be chained on
  log->writer_ = std::make_unique<storage::GroupCommitWriter>(store, gc);
  return log;
}

AuditLog::~AuditLog() = default;

void AuditLog::Submit(storage::WriteBatch batch, std::vector<EntryFields> entries, Timestamp time,
                      Callback done) {
  Enqueue(std::move(batch), std::move(entries), time, std::move(done));
}

std::shared_ptr<std::uint64_t> AuditLog::Enqueue(storage::WriteBatch batch,
                                                 std::vector<EntryFields> entries, Timestamp time,
                                                 Callback done) {
  if (failed_) {
    done(Error::Unavailable(
        "the store failed to write an audited change; no more changes are taken until Quire "
        "is restarted"));
    return nullptr;
  }
  // Where the chain ends once this batch's entries are in: set by `prepare` (on the
  // writer thread), read by `done` (after it).
  auto end = std::make_shared<std::uint64_t>(0);
  auto prepare = [this, entries = std::move(entries), time, end](storage::WriteBatch& b) mutable {
    std::lock_guard lock(mu_);
    for (EntryFields& f : entries) {
      Entry e;
      e.seq = tree_.size() + 1;
      e.time = time;
      e.actor = std::move(f.actor.id);
      e.action = std::move(f.action);
      e.object = std::move(f.object);
      e.details = std::move(f.details);
      if (!f.actor.via.empty()) e.details["via"] = std::move(f.actor.via);
      e.prev = last_hash_;
      const std::string bytes = EntryBytes(e);
      b.Put(ColumnFamily::kAudit, EntryKey(e.seq), bytes);
      IndexEntry(e, b);
      tree_.Append(LeafHash(bytes));
      last_hash_ = Sha256Of(bytes);
    }
    *end = tree_.size();
  };
  // The writer answers in queue order, so `durable_` only grows.
  writer_->Submit(std::move(batch), std::move(prepare),
                  [this, end, done = std::move(done)](Result<void> r) mutable {
                    if (r) {
                      if (*end != 0) durable_.store(*end);
                    } else {
                      failed_.store(true);
                    }
                    done(std::move(r));
                  });
  return end;
}

Result<std::uint64_t> AuditLog::Commit(storage::WriteBatch batch, std::vector<EntryFields> entries,
                                       Timestamp time) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  const std::shared_ptr<std::uint64_t> end =
      Enqueue(std::move(batch), std::move(entries), time,
              [&promise](Result<void> r) { promise.set_value(std::move(r)); });
  QUIRE_RETURN_IF_ERROR(future.get());
  return end ? *end : std::uint64_t{0};
}

Result<std::uint64_t> AuditLog::Append(EntryFields fields, Timestamp time) {
  std::vector<EntryFields> entries;
  entries.push_back(std::move(fields));
  return Commit(storage::WriteBatch(), std::move(entries), time);
}

Result<std::vector<std::string>> AuditLog::Trail(std::string_view record, std::uint64_t after,
                                                 std::size_t limit) const {
  const std::string prefix = KeyEncoder().U8('o').String(record).Take();
  // Only durable entries: an entry queued but not yet written is not in the trail.
  const std::uint64_t durable = durable_.load();
  std::vector<std::string> keys;
  auto it = store_.Scan(ColumnFamily::kAudit, RecordKey(record, after + 1),
                        KeyEncoder().U8('o').String(record).U64(durable + 1).Take());
  for (; it.Valid() && keys.size() < limit; it.Next()) {
    storage::KeyDecoder d(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t seq, d.U64());
    keys.push_back(EntryKey(seq));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  QUIRE_ASSIGN_OR_RETURN(auto values, store_.MultiGet(ColumnFamily::kAudit, keys, /*sorted=*/true));
  std::vector<std::string> lines;
  lines.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) {
      return Error::Corruption("the audit record index names an entry that is missing");
    }
    lines.push_back(ExportLine(*values[i]));
  }
  return lines;
}

Result<void> AuditLog::Export(std::uint64_t from, std::uint64_t to, std::ostream& out) const {
  auto it = store_.Scan(ColumnFamily::kAudit, EntryKey(std::max<std::uint64_t>(from, 1)),
                        to == 0 ? KeyEncoder().U8('f').Take() : EntryKey(to + 1));
  for (; it.Valid(); it.Next()) out << ExportLine(it.value()) << '\n';
  QUIRE_RETURN_IF_ERROR(it.status());
  return Ok();
}

Result<Head> AuditLog::PublishHead(Timestamp now) {
  if (failed_) {
    return Error::Unavailable("the audit log stopped after a failed write; restart Quire");
  }
  Head h;
  {
    std::lock_guard lock(mu_);
    h.size = durable_.load();
    h.root = tree_.Root(h.size);
  }
  h.time = now;
  h.signature = signer_.Sign(h.SignedBytes());
  storage::WriteBatch batch;
  batch.Put(ColumnFamily::kAudit, HeadKey(h.size), h.ToJson());
  QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kSync));
  return h;
}

Result<std::optional<Head>> AuditLog::LatestHead() const {
  auto it = store_.ScanPrefix(ColumnFamily::kAudit, "h");
  std::optional<std::string> last;
  for (; it.Valid(); it.Next()) last = std::string(it.value());
  QUIRE_RETURN_IF_ERROR(it.status());
  if (!last) return std::optional<Head>();
  QUIRE_ASSIGN_OR_RETURN(Head h, ParseHead(*last));
  return std::optional<Head>(h);
}

Result<Head> AuditLog::HeadOf(std::uint64_t size) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         store_.Get(ColumnFamily::kAudit, HeadKey(size)));
  if (!raw) {
    return Error::NotFound("no head of " + std::to_string(size) +
                           " entries was published (quire audit head publishes one)");
  }
  return ParseHead(*raw);
}

Result<InclusionProofInfo> AuditLog::ProveInclusion(std::uint64_t seq, std::uint64_t size) {
  InclusionProofInfo p;
  if (size == 0) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<Head> latest, LatestHead());
    if (!latest || latest->size < seq) {
      QUIRE_ASSIGN_OR_RETURN(Head fresh, PublishHead(SystemClock::Instance().Now()));
      latest = fresh;
    }
    p.head = *latest;
  } else {
    QUIRE_ASSIGN_OR_RETURN(p.head, HeadOf(size));
  }
  if (seq == 0 || seq > p.head.size) {
    return Error::InvalidArgument("entry " + std::to_string(seq) + " is not under the head of " +
                                  std::to_string(p.head.size) + " entries");
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                         store_.Get(ColumnFamily::kAudit, EntryKey(seq)));
  if (!bytes) return Error::NotFound("no audit entry " + std::to_string(seq));
  p.seq = seq;
  p.line = ExportLine(*bytes);
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(p.path, tree_.InclusionProof(seq - 1, p.head.size));
  return p;
}

Result<ConsistencyProofInfo> AuditLog::ProveConsistency(std::uint64_t first,
                                                        std::uint64_t second) const {
  ConsistencyProofInfo p;
  QUIRE_ASSIGN_OR_RETURN(p.first, HeadOf(first));
  QUIRE_ASSIGN_OR_RETURN(p.second, HeadOf(second));
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(p.path, tree_.ConsistencyProof(first, second));
  return p;
}

std::string CheckProofJson(std::string_view text, std::string_view public_key_pem) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return "the proof is not a JSON object";
  const json::object& o = v.as_object();
  auto head_of = [&](const char* name) -> Result<Head> {
    const json::value* h = o.if_contains(name);
    if (h == nullptr) return Error::InvalidArgument(std::string("the proof has no ") + name);
    return ParseHead(json::serialize(*h));
  };
  auto path_of = [&]() -> Result<std::vector<Hash>> {
    std::vector<Hash> out;
    const json::value* p = o.if_contains("path");
    if (p == nullptr || !p->is_array()) return Error::InvalidArgument("the proof has no path");
    for (const json::value& h : p->as_array()) {
      QUIRE_ASSIGN_OR_RETURN(Hash x, HexHash(h));
      out.push_back(x);
    }
    return out;
  };
  auto signed_ok = [&](const Head& h) {
    return public_key_pem.empty() || VerifySignature(public_key_pem, h.SignedBytes(), h.signature);
  };
  const json::value* kind = o.if_contains("kind");
  auto path = path_of();
  if (!path) return path.error().message();
  if (kind != nullptr && kind->is_string() && kind->as_string() == "consistency") {
    auto first = head_of("first");
    auto second = head_of("second");
    if (!first || !second) return "the proof needs both heads";
    if (!signed_ok(*first) || !signed_ok(*second)) return "a head's signature is not valid";
    if (!VerifyConsistency(first->size, second->size, first->root, second->root, *path)) {
      return "the later head does not extend the earlier one";
    }
    return "";
  }
  auto head = head_of("head");
  if (!head) return head.error().message();
  if (!signed_ok(*head)) return "the head's signature is not valid for this public key";
  const json::value* entry = o.if_contains("entry");
  if (entry == nullptr || !entry->is_string()) return "the proof has no entry";
  auto split = SplitLine(entry->as_string());
  if (!split) return split.error().message();
  if (Sha256Of(split->first) != split->second) return "the entry does not match its hash";
  auto e = ParseEntry(split->first);
  if (!e) return e.error().message();
  if (!VerifyInclusion(LeafHash(split->first), e->seq - 1, head->size, *path, head->root)) {
    return "the entry is not under the head: the proof does not hold";
  }
  return "";
}

}  // namespace quire::audit
