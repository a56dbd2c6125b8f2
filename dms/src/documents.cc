#include "quire/dms/documents.h"

#include "quire/base/instant.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "quire/base/hex.h"
#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/definitions/iso8601.h"
#include "quire/dms/media_type.h"
#include "quire/storage/key_codec.h"

namespace quire::dms {
namespace json = boost::json;
namespace {

using storage::ColumnFamily;
using storage::KeyDecoder;
using storage::KeyEncoder;

constexpr ColumnFamily kDocs = ColumnFamily::kDocuments;

std::string DocKey(DocumentId id) { return KeyEncoder().U8('d').U64(id).Take(); }
std::string VersionKey(DocumentId id, std::uint32_t n) {
  return KeyEncoder().U8('v').U64(id).U32(n).Take();
}
std::string MetaKey(DocumentId id, std::uint32_t n) {
  return KeyEncoder().U8('m').U64(id).U32(n).Take();
}
std::string TypeKey(std::string_view type) { return KeyEncoder().U8('t').String(type).Take(); }
std::string ByTypeKey(std::string_view type, DocumentId id) {
  return KeyEncoder().U8('y').String(type).U64(id).Take();
}
std::string LinkKey(const Link& l, DocumentId id) {
  return KeyEncoder().U8('L').String(l.kind).String(l.id).U64(id).Take();
}
std::string ChangedKey(DocumentId id) { return KeyEncoder().U8('q').U64(id).Take(); }
const std::string kNextIdKey = "n";

std::int64_t Ms(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp FromMs(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }
std::string Iso(Timestamp t) {
  if (t == Timestamp::max()) return "never";
  return FormatInstant(t);
}
std::string Object(DocumentId id) { return "document/" + std::to_string(id); }

json::object VersionRecord(const VersionInfo& v) {
  json::object o{{"n", v.number},      {"content", DigestHex(v.content)},
                 {"size", v.size},     {"mediaType", v.media_type},
                 {"author", v.author}, {"time", Ms(v.time)}};
  if (!v.comment.empty()) o["comment"] = v.comment;
  if (v.restored_from != 0) o["restoredFrom"] = v.restored_from;
  return o;
}

Result<VersionInfo> ParseVersionRecord(const json::object& o) {
  VersionInfo v;
  v.number = static_cast<std::uint32_t>(IntOf(o, "n"));
  QUIRE_ASSIGN_OR_RETURN(v.content, ParseDigest(StrOf(o, "content")));
  v.size = static_cast<std::uint64_t>(IntOf(o, "size"));
  v.media_type = StrOf(o, "mediaType");
  v.author = StrOf(o, "author");
  v.time = FromMs(IntOf(o, "time"));
  v.comment = StrOf(o, "comment");
  v.restored_from = static_cast<std::uint32_t>(IntOf(o, "restoredFrom"));
  return v;
}

std::string DocRecord(const DocumentInfo& d) {
  json::object o{{"id", d.id},
                 {"title", d.title},
                 {"type", d.type},
                 {"metadata", d.metadata},
                 {"versions", d.versions},
                 {"metaVersions", d.metadata_versions},
                 {"createdBy", d.created_by},
                 {"created", Ms(d.created)},
                 {"modified", Ms(d.modified)}};
  if (d.lock) {
    o["lock"] = json::object{
        {"user", d.lock->user}, {"since", Ms(d.lock->since)}, {"expires", Ms(d.lock->expires)}};
  }
  if (d.hold) {
    o["hold"] =
        json::object{{"by", d.hold->by}, {"since", Ms(d.hold->since)}, {"reason", d.hold->reason}};
  }
  json::array links;
  for (const Link& l : d.links)
    links.push_back(json::array{json::string(l.kind), json::string(l.id)});
  o["links"] = std::move(links);
  if (d.latest) o["latest"] = VersionRecord(*d.latest);
  if (d.deleted) {
    o["deleted"] =
        json::object{{"by", d.deleted_by}, {"at", Ms(d.deleted_at)}, {"reason", d.deleted_reason}};
  }
  return json::serialize(o);
}

Result<DocumentInfo> ParseDocRecord(std::string_view bytes) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(bytes, "document"));
  DocumentInfo d;
  d.id = static_cast<DocumentId>(IntOf(o, "id"));
  d.title = StrOf(o, "title");
  d.type = StrOf(o, "type");
  if (const json::value* m = o.if_contains("metadata"); m != nullptr && m->is_object()) {
    d.metadata = m->as_object();
  }
  d.versions = static_cast<std::uint32_t>(IntOf(o, "versions"));
  d.metadata_versions = static_cast<std::uint32_t>(IntOf(o, "metaVersions"));
  d.created_by = StrOf(o, "createdBy");
  d.created = FromMs(IntOf(o, "created"));
  d.modified = FromMs(IntOf(o, "modified"));
  if (const json::value* l = o.if_contains("lock"); l != nullptr && l->is_object()) {
    const json::object& lo = l->as_object();
    d.lock = LockInfo{StrOf(lo, "user"), FromMs(IntOf(lo, "since")), FromMs(IntOf(lo, "expires"))};
  }
  if (const json::value* h = o.if_contains("hold"); h != nullptr && h->is_object()) {
    const json::object& ho = h->as_object();
    d.hold = HoldInfo{StrOf(ho, "by"), FromMs(IntOf(ho, "since")), StrOf(ho, "reason")};
  }
  if (const json::value* ls = o.if_contains("links"); ls != nullptr && ls->is_array()) {
    for (const json::value& l : ls->as_array()) {
      if (l.is_array() && l.as_array().size() == 2 && l.as_array()[0].is_string() &&
          l.as_array()[1].is_string()) {
        d.links.push_back(
            {std::string(l.as_array()[0].as_string()), std::string(l.as_array()[1].as_string())});
      }
    }
  }
  if (const json::value* v = o.if_contains("latest"); v != nullptr && v->is_object()) {
    QUIRE_ASSIGN_OR_RETURN(VersionInfo latest, ParseVersionRecord(v->as_object()));
    d.latest = std::move(latest);
  }
  if (const json::value* x = o.if_contains("deleted"); x != nullptr && x->is_object()) {
    d.deleted = true;
    d.deleted_by = StrOf(x->as_object(), "by");
    d.deleted_at = FromMs(IntOf(x->as_object(), "at"));
    d.deleted_reason = StrOf(x->as_object(), "reason");
  }
  return d;
}

std::string LinkText(const Link& l) { return org::ToString(l); }

Result<void> CheckTitle(const std::string& title, std::vector<ErrorDetail>& problems) {
  if (title.empty()) {
    problems.push_back({"title", "required: give the document a title"});
  } else if (title.size() > 500) {
    problems.push_back({"title", "at most 500 characters"});
  }
  return Ok();
}

// Passes bytes through and keeps the first ones, to tell the media type.
class SniffingSource final : public ByteSource {
 public:
  explicit SniffingSource(ByteSource& in) : in_(in) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override {
    QUIRE_ASSIGN_OR_RETURN(std::size_t n, in_.Read(buffer, size));
    if (head.size() < kMediaTypeSniffBytes) {
      head.append(buffer, std::min(n, kMediaTypeSniffBytes - head.size()));
    }
    return n;
  }
  std::string head;

 private:
  ByteSource& in_;
};

DocumentId IdOfKey(std::string_view key) {
  // Every index key ends with U64(doc).
  if (key.size() < 8) return 0;
  KeyDecoder d(key.substr(key.size() - 8));
  auto id = d.U64();
  return id ? *id : 0;
}

}  // namespace

json::object VersionInfo::ToJson() const {
  json::object o{{"version", number}, {"contentHash", DigestHex(content)},
                 {"size", size},      {"mediaType", media_type},
                 {"author", author},  {"createdAt", Iso(time)},
                 {"comment", comment}};
  if (restored_from != 0) o["restoredFrom"] = restored_from;
  return o;
}

json::object MetadataVersion::ToJson() const {
  return {{"version", number},
          {"title", title},
          {"metadata", metadata},
          {"author", author},
          {"createdAt", Iso(time)}};
}

const LockInfo* DocumentInfo::Locked(Timestamp now) const {
  if (!lock || lock->expires <= now) return nullptr;
  return &*lock;
}

json::object DocumentInfo::ToJson(Timestamp now) const {
  json::object o{{"id", std::to_string(id)},
                 {"title", title},
                 {"type", type},
                 {"metadata", metadata},
                 {"versions", versions},
                 {"metadataVersions", metadata_versions},
                 {"createdBy", created_by},
                 {"createdAt", Iso(created)},
                 {"modifiedAt", Iso(modified)}};
  if (latest) o["latest"] = latest->ToJson();
  if (const LockInfo* l = Locked(now)) {
    o["checkedOut"] =
        json::object{{"by", l->user},
                     {"checkedOutAt", Iso(l->since)},
                     {"expiresAt", l->expires == Timestamp::max() ? json::value()
                                                                  : json::value(Iso(l->expires))}};
  }
  if (hold) {
    o["legalHold"] =
        json::object{{"by", hold->by}, {"heldAt", Iso(hold->since)}, {"reason", hold->reason}};
  }
  json::array ls;
  for (const Link& l : links) ls.push_back(json::object{{"kind", l.kind}, {"id", l.id}});
  o["links"] = std::move(ls);
  if (deleted) {
    o["deleted"] = json::object{
        {"by", deleted_by}, {"deletedAt", Iso(deleted_at)}, {"reason", deleted_reason}};
  }
  return o;
}

DocumentStore::DocumentStore(storage::Store& store, ContentStore& contents, audit::AuditLog& audit,
                             const Clock& clock, DocumentStoreOptions options)
    : store_(store),
      contents_(contents),
      audit_(audit),
      clock_(clock),
      options_(std::move(options)) {}

// ---- types ----

Result<void> DocumentStore::PutType(const DocumentType& type, const audit::Actor& actor) {
  std::vector<ErrorDetail> problems;
  for (std::size_t i = 0; i < type.fields.size(); ++i) {
    const std::string& dictionary = type.fields[i].dictionary;
    if (!dictionary.empty() && (!options_.dictionaries || !options_.dictionaries(dictionary))) {
      problems.push_back({"fields[" + std::to_string(i) + "].dictionary",
                          "there is no dictionary '" + dictionary +
                              "': define it first (PUT /api/crm/dictionaries/" + dictionary + ")"});
    }
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the document type is not valid", std::move(problems));
  }
  storage::WriteBatch batch;
  const json::object body = type.ToJson();
  batch.Put(kDocs, TypeKey(type.id), json::serialize(body));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document-type.saved", "document-type/" + type.id, body});
  std::lock_guard lock(mu_);
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), clock_.Now()));
  return Ok();
}

Result<DocumentType> DocumentStore::GetType(const std::string& id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kDocs, TypeKey(id)));
  if (!raw) {
    return Error::NotFound("there is no document type '" + id +
                           "'; declare it first (quire doc type put FILE.json, or PUT "
                           "/api/document-types/" +
                           id + ")");
  }
  boost::system::error_code ec;
  const json::value v = json::parse(*raw, ec);
  if (ec) return Error::Corruption("the stored document type '" + id + "' is damaged");
  return ParseDocumentType(v);
}

Result<std::vector<DocumentType>> DocumentStore::ListTypes() const {
  std::vector<DocumentType> out;
  auto it = store_.ScanPrefix(kDocs, "t");
  for (; it.Valid(); it.Next()) {
    boost::system::error_code ec;
    const json::value v = json::parse(it.value(), ec);
    if (ec) return Error::Corruption("a stored document type is damaged");
    QUIRE_ASSIGN_OR_RETURN(DocumentType t, ParseDocumentType(v));
    out.push_back(std::move(t));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

// ---- reading ----

Result<DocumentInfo> DocumentStore::Load(DocumentId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kDocs, DocKey(id)));
  if (!raw) return Error::NotFound("there is no document " + std::to_string(id));
  return ParseDocRecord(*raw);
}

Result<DocumentInfo> DocumentStore::LoadLive(DocumentId id) const {
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, Load(id));
  if (d.deleted) {
    return Error::NotFound("document " + std::to_string(id) + " was deleted by " + d.deleted_by +
                           " at " + Iso(d.deleted_at));
  }
  return d;
}

Result<DocumentInfo> DocumentStore::Get(DocumentId id, const audit::Actor& actor) {
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, Load(id));
  if (!actor.id.empty()) QUIRE_RETURN_IF_ERROR(RecordView(id, actor, "document"));
  return d;
}

Result<void> DocumentStore::RecordView(DocumentId id, const audit::Actor& actor,
                                       std::string_view what) {
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.viewed", Object(id), {{"what", what}}});
  QUIRE_RETURN_IF_ERROR(audit_.Commit(storage::WriteBatch(), std::move(entries), clock_.Now()));
  return Ok();
}

Result<std::vector<VersionInfo>> DocumentStore::Versions(DocumentId id) const {
  QUIRE_RETURN_IF_ERROR(LoadLive(id));
  std::vector<VersionInfo> out;
  auto it = store_.ScanPrefix(kDocs, KeyEncoder().U8('v').U64(id).Take());
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(it.value(), "version"));
    QUIRE_ASSIGN_OR_RETURN(VersionInfo v, ParseVersionRecord(o));
    out.push_back(std::move(v));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<VersionInfo> DocumentStore::Version(DocumentId id,
                                           std::optional<std::uint32_t> number) const {
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  const std::uint32_t n = number.value_or(d.versions);
  if (n == 0 || n > d.versions) {
    return Error::NotFound("document " + std::to_string(id) + " has no version " +
                           std::to_string(n) + "; it has versions 1 to " +
                           std::to_string(d.versions));
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kDocs, VersionKey(id, n)));
  if (!raw)
    return Error::NotFound("document " + std::to_string(id) + " has no version " +
                           std::to_string(n));
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(*raw, "version"));
  return ParseVersionRecord(o);
}

Result<VersionInfo> DocumentStore::Read(DocumentId id, std::optional<std::uint32_t> number,
                                        const audit::Actor& actor, ByteSink& sink,
                                        std::uint64_t offset, std::optional<std::uint64_t> length) {
  QUIRE_ASSIGN_OR_RETURN(VersionInfo v, Version(id, number));
  if (offset > v.size || (length && *length > v.size - offset)) {
    return Error::InvalidArgument("the range asked for is outside version " +
                                  std::to_string(v.number) + " of document " + std::to_string(id) +
                                  " (" + std::to_string(v.size) + " bytes)");
  }
  // Recorded before the first byte goes out: a read that happened is never missing.
  json::object details{{"version", v.number}, {"contentHash", DigestHex(v.content)}};
  if (offset != 0 || length) {
    details["offset"] = offset;
    details["length"] = length.value_or(v.size - offset);
  }
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.downloaded", Object(id), std::move(details)});
  QUIRE_RETURN_IF_ERROR(audit_.Commit(storage::WriteBatch(), std::move(entries), clock_.Now()));
  if (Result<void> r = contents_.Get(v.content, sink, offset, length); !r) {
    if (r.error().code() == ErrorCode::kCorruption || r.error().code() == ErrorCode::kNotFound) {
      return Error::Corruption("document " + std::to_string(id) + " version " +
                               std::to_string(v.number) +
                               " cannot be read: " + r.error().message());
    }
    return r.error();
  }
  return v;
}

// ---- writing ----

Result<void> DocumentStore::CheckNotLockedByOther(const DocumentInfo& d,
                                                  const audit::Actor& actor) const {
  const LockInfo* l = d.Locked(clock_.Now());
  if (l == nullptr || l->user == actor.id) return Ok();
  return Error::Conflict("document " + std::to_string(d.id) + " is checked out by " + l->user +
                         " since " + Iso(l->since) + " (until " + Iso(l->expires) +
                         "); ask them to check it in or cancel, or an administrator can "
                         "break the lock");
}

Result<Ingested> DocumentStore::Ingest(ByteSource& content, std::string& media_type) {
  SniffingSource sniff(content);
  QUIRE_ASSIGN_OR_RETURN(Ingested in, contents_.Put(sniff));
  media_type = DetectMediaType(sniff.head);
  return in;
}

Result<void> DocumentStore::Commit(storage::WriteBatch batch, DocumentInfo& d,
                                   std::vector<audit::EntryFields> entries) {
  d.modified = clock_.Now();
  batch.Put(kDocs, DocKey(d.id), DocRecord(d));
  batch.Put(kDocs, ChangedKey(d.id),
            std::to_string(++change_seq_) + ":" + std::to_string(Ms(d.modified)));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), d.modified));
  if (on_change_) on_change_(d.id);
  return Ok();
}

void DocumentStore::PutVersion(storage::WriteBatch& batch, DocumentInfo& d, VersionInfo v) {
  v.number = ++d.versions;
  batch.Put(kDocs, VersionKey(d.id, v.number), json::serialize(VersionRecord(v)));
  d.latest = std::move(v);
}

Result<DocumentInfo> DocumentStore::Create(const NewDocument& doc, ByteSource& content) {
  std::vector<ErrorDetail> problems;
  QUIRE_RETURN_IF_ERROR(CheckTitle(doc.title, problems));
  json::object metadata;
  if (doc.type.empty()) {
    problems.push_back({"type", "required: the document type (see GET /api/document-types)"});
  } else if (auto type = GetType(doc.type); !type) {
    problems.push_back({"type", type.error().message()});
  } else if (auto m = ValidateMetadata(*type, doc.metadata, options_.dictionaries); !m) {
    for (const ErrorDetail& e : m.error().details()) problems.push_back(e);
  } else {
    metadata = std::move(*m);
  }
  for (std::size_t i = 0; i < doc.links.size(); ++i) {
    if (auto r = CheckLink(doc.links[i]); !r) {
      problems.push_back({"links[" + std::to_string(i) + "]", r.error().message()});
    }
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the document was not stored", std::move(problems));
  }
  std::string media_type;
  QUIRE_ASSIGN_OR_RETURN(Ingested in, Ingest(content, media_type));

  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> next, store_.Get(kDocs, kNextIdKey));
  DocumentId id = 1;
  if (next) {
    try {
      id = std::stoull(*next);
    } catch (...) {
      return Error::Corruption("the document id counter in the store is damaged");
    }
  }
  const Timestamp now = clock_.Now();
  DocumentInfo d;
  d.id = id;
  d.title = doc.title;
  d.type = doc.type;
  d.metadata = metadata;
  d.created_by = doc.actor.id;
  d.created = now;
  for (const Link& l : doc.links) {
    if (std::find(d.links.begin(), d.links.end(), l) == d.links.end()) d.links.push_back(l);
  }
  storage::WriteBatch batch;
  batch.Put(kDocs, kNextIdKey, std::to_string(id + 1));
  PutVersion(batch, d,
             {0, in.info.digest, in.info.size, media_type, doc.actor.id, now, doc.comment, 0});
  d.metadata_versions = 1;
  batch.Put(kDocs, MetaKey(id, 1),
            json::serialize(MetadataVersion{1, d.title, d.metadata, doc.actor.id, now}.ToJson()));
  batch.Put(kDocs, ByTypeKey(d.type, id), "");
  json::array links;
  for (const Link& l : d.links) {
    batch.Put(kDocs, LinkKey(l, id), "");
    links.emplace_back(LinkText(l));
  }
  std::vector<audit::EntryFields> entries;
  entries.push_back({doc.actor,
                     "document.created",
                     Object(id),
                     {{"title", d.title},
                      {"type", d.type},
                      {"version", 1},
                      {"contentHash", in.info.hex()},
                      {"size", in.info.size},
                      {"mediaType", media_type},
                      {"links", std::move(links)}}});
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), d, std::move(entries)));
  return d;
}

Result<DocumentInfo> DocumentStore::NewVersion(
    DocumentId id, ByteSource& content, const audit::Actor& actor, const std::string& comment,
    const char* action, const std::function<Result<void>(const DocumentInfo&)>& allowed,
    bool release_lock) {
  {
    // Refuse before reading a large body when the answer is already no.
    QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
    QUIRE_RETURN_IF_ERROR(allowed(d));
  }
  std::string media_type;
  QUIRE_ASSIGN_OR_RETURN(Ingested in, Ingest(content, media_type));
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  QUIRE_RETURN_IF_ERROR(allowed(d));  // again: it may have changed during the upload
  storage::WriteBatch batch;
  PutVersion(batch, d,
             {0, in.info.digest, in.info.size, media_type, actor.id, clock_.Now(), comment, 0});
  if (release_lock) d.lock.reset();
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor,
                     action,
                     Object(id),
                     {{"version", d.versions},
                      {"contentHash", in.info.hex()},
                      {"size", in.info.size},
                      {"mediaType", media_type},
                      {"comment", comment}}});
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), d, std::move(entries)));
  return d;
}

Result<DocumentInfo> DocumentStore::AddVersion(DocumentId id, ByteSource& content,
                                               const audit::Actor& actor,
                                               const std::string& comment) {
  return NewVersion(
      id, content, actor, comment, "document.versioned",
      [&](const DocumentInfo& d) { return CheckNotLockedByOther(d, actor); },
      /*release_lock=*/false);
}

Result<DocumentInfo> DocumentStore::Restore(DocumentId id, std::uint32_t number,
                                            const audit::Actor& actor, const std::string& comment) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  QUIRE_RETURN_IF_ERROR(CheckNotLockedByOther(d, actor));
  QUIRE_ASSIGN_OR_RETURN(VersionInfo old, Version(id, number));
  storage::WriteBatch batch;
  VersionInfo v = old;
  v.author = actor.id;
  v.time = clock_.Now();
  v.comment = comment.empty() ? "restored version " + std::to_string(number) : comment;
  v.restored_from = number;
  PutVersion(batch, d, v);
  std::vector<audit::EntryFields> entries;
  entries.push_back(
      {actor,
       "document.restored",
       Object(id),
       {{"version", d.versions}, {"restoredFrom", number}, {"contentHash", DigestHex(v.content)}}});
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), d, std::move(entries)));
  return d;
}

Result<DocumentInfo> DocumentStore::UpdateMetadata(DocumentId id, std::optional<std::string> title,
                                                   std::optional<json::object> metadata,
                                                   const audit::Actor& actor, MetadataChange how) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  QUIRE_RETURN_IF_ERROR(CheckNotLockedByOther(d, actor));
  std::vector<ErrorDetail> problems;
  if (title) QUIRE_RETURN_IF_ERROR(CheckTitle(*title, problems));
  json::object checked = d.metadata;
  if (metadata) {
    QUIRE_ASSIGN_OR_RETURN(DocumentType type, GetType(d.type));
    // Merged under the store's lock, against the stored set: two merges never lose each
    // other's fields.
    if (how == MetadataChange::kMerge) metadata = MergePatch(d.metadata, *metadata);
    if (auto m = ValidateMetadata(type, *metadata, options_.dictionaries); !m) {
      for (const ErrorDetail& e : m.error().details()) problems.push_back(e);
    } else {
      checked = std::move(*m);
    }
  }
  if (!problems.empty()) {
    return Error::ValidationFailed(
        "the metadata of document " + std::to_string(id) + " was not changed", std::move(problems));
  }
  json::array changed;
  if (title && *title != d.title) changed.emplace_back("title");
  for (const auto& kv : checked) {
    const json::value* was = d.metadata.if_contains(kv.key());
    if (was == nullptr || *was != kv.value()) changed.emplace_back(kv.key());
  }
  for (const auto& kv : d.metadata) {
    if (!checked.contains(kv.key())) changed.emplace_back(kv.key());
  }
  if (title) d.title = *title;
  d.metadata = std::move(checked);
  const std::uint32_t n = ++d.metadata_versions;
  storage::WriteBatch batch;
  batch.Put(
      kDocs, MetaKey(id, n),
      json::serialize(MetadataVersion{n, d.title, d.metadata, actor.id, clock_.Now()}.ToJson()));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor,
                     "document.metadata-changed",
                     Object(id),
                     {{"metadataVersion", n}, {"changed", std::move(changed)}}});
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), d, std::move(entries)));
  return d;
}

Result<std::vector<MetadataVersion>> DocumentStore::MetadataVersions(DocumentId id) const {
  QUIRE_RETURN_IF_ERROR(LoadLive(id));
  std::vector<MetadataVersion> out;
  auto it = store_.ScanPrefix(kDocs, KeyEncoder().U8('m').U64(id).Take());
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(it.value(), "metadata version"));
    MetadataVersion m;
    m.number = static_cast<std::uint32_t>(IntOf(o, "version"));
    m.title = StrOf(o, "title");
    if (const json::value* md = o.if_contains("metadata"); md != nullptr && md->is_object()) {
      m.metadata = md->as_object();
    }
    m.author = StrOf(o, "author");
    // "createdAt"; records written before the API's conventions say "time".
    const std::string time = o.contains("createdAt") ? StrOf(o, "createdAt") : StrOf(o, "time");
    if (auto t = definitions::ParseDateTime(time)) m.time = *t;
    out.push_back(std::move(m));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

// ---- check-out ----

Result<DocumentInfo> DocumentStore::CheckOut(DocumentId id, const audit::Actor& actor) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  QUIRE_RETURN_IF_ERROR(CheckNotLockedByOther(d, actor));
  const Timestamp now = clock_.Now();
  if (const LockInfo* l = d.Locked(now); l != nullptr) return d;  // already theirs
  json::object details;
  if (d.lock) details["expiredLock"] = d.lock->user;  // a lapsed check-out is replaced
  const Timestamp expires =
      options_.lock_ttl.count() == 0 ? Timestamp::max() : now + options_.lock_ttl;
  d.lock = LockInfo{actor.id, now, expires};
  details["expiresAt"] = expires == Timestamp::max() ? json::value() : json::value(Iso(expires));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.checked-out", Object(id), std::move(details)});
  QUIRE_RETURN_IF_ERROR(Commit(storage::WriteBatch(), d, std::move(entries)));
  return d;
}

Result<DocumentInfo> DocumentStore::CheckIn(DocumentId id, ByteSource& content,
                                            const audit::Actor& actor, const std::string& comment) {
  auto holds = [&](const DocumentInfo& d) -> Result<void> {
    QUIRE_RETURN_IF_ERROR(CheckNotLockedByOther(d, actor));
    if (d.Locked(clock_.Now()) == nullptr) {
      return Error::Conflict("document " + std::to_string(id) + " is not checked out by " +
                             actor.id +
                             (d.lock ? " (their check-out of " + Iso(d.lock->since) +
                                           " expired at " + Iso(d.lock->expires) + ")"
                                     : "") +
                             "; check it out first, or add a version without checking out");
    }
    return Ok();
  };
  return NewVersion(id, content, actor, comment, "document.checked-in", holds,
                    /*release_lock=*/true);
}

Result<DocumentInfo> DocumentStore::CancelCheckOut(DocumentId id, const audit::Actor& actor) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  QUIRE_RETURN_IF_ERROR(CheckNotLockedByOther(d, actor));
  if (d.Locked(clock_.Now()) == nullptr) {
    return Error::Conflict("document " + std::to_string(id) + " is not checked out by " + actor.id);
  }
  d.lock.reset();
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.checkout-cancelled", Object(id), {}});
  QUIRE_RETURN_IF_ERROR(Commit(storage::WriteBatch(), d, std::move(entries)));
  return d;
}

Result<DocumentInfo> DocumentStore::BreakLock(DocumentId id, const audit::Actor& actor,
                                              const std::string& reason) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  const LockInfo* l = d.Locked(clock_.Now());
  if (l == nullptr) {
    return Error::Conflict("document " + std::to_string(id) + " is not checked out");
  }
  json::object details{{"holder", l->user}, {"checkedOutAt", Iso(l->since)}, {"reason", reason}};
  d.lock.reset();
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.lock-broken", Object(id), std::move(details)});
  QUIRE_RETURN_IF_ERROR(Commit(storage::WriteBatch(), d, std::move(entries)));
  return d;
}

// ---- links ----

Result<DocumentInfo> DocumentStore::AddLink(DocumentId id, const Link& link,
                                            const audit::Actor& actor) {
  QUIRE_RETURN_IF_ERROR(CheckLink(link));
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  if (std::find(d.links.begin(), d.links.end(), link) != d.links.end()) return d;
  d.links.push_back(link);
  storage::WriteBatch batch;
  batch.Put(kDocs, LinkKey(link, id), "");
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.linked", Object(id), {{"link", LinkText(link)}}});
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), d, std::move(entries)));
  return d;
}

Result<DocumentInfo> DocumentStore::RemoveLink(DocumentId id, const Link& link,
                                               const audit::Actor& actor) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  const auto it = std::find(d.links.begin(), d.links.end(), link);
  if (it == d.links.end()) {
    return Error::NotFound("document " + std::to_string(id) + " is not linked to " +
                           LinkText(link));
  }
  d.links.erase(it);
  storage::WriteBatch batch;
  batch.Delete(kDocs, LinkKey(link, id));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.unlinked", Object(id), {{"link", LinkText(link)}}});
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), d, std::move(entries)));
  return d;
}

Result<DocumentPage> DocumentStore::Page(std::string prefix, std::size_t limit,
                                         const std::string& after) const {
  DocumentPage page;
  std::string begin = prefix;
  if (!after.empty()) {
    std::uint64_t from = 0;
    try {
      from = std::stoull(after);
    } catch (...) {
      return Error::InvalidArgument("'" + after + "' is not a cursor from a previous page");
    }
    begin = KeyEncoder(prefix).U64(from + 1).Take();
  }
  auto it = store_.Scan(kDocs, begin, storage::PrefixSuccessor(prefix));
  for (; it.Valid(); it.Next()) {
    if (page.documents.size() == limit) {
      page.next = std::to_string(page.documents.back().id);
      break;
    }
    auto d = Load(IdOfKey(it.key()));
    if (!d) continue;  // deleted between the scan and the read
    if (!d->deleted) page.documents.push_back(std::move(*d));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return page;
}

Result<DocumentPage> DocumentStore::Linked(const Link& link, std::size_t limit,
                                           const std::string& after) const {
  QUIRE_RETURN_IF_ERROR(CheckLink(link));
  return Page(KeyEncoder().U8('L').String(link.kind).String(link.id).Take(), limit, after);
}

Result<DocumentPage> DocumentStore::OfType(const std::string& type, std::size_t limit,
                                           const std::string& after) const {
  return Page(KeyEncoder().U8('y').String(type).Take(), limit, after);
}

Result<bool> DocumentStore::AnyLinked(const std::vector<Link>& links,
                                      const std::string& type) const {
  for (const Link& l : links) {
    auto it = store_.ScanPrefix(kDocs, KeyEncoder().U8('L').String(l.kind).String(l.id).Take());
    for (; it.Valid(); it.Next()) {
      auto d = Load(IdOfKey(it.key()));
      if (d && !d->deleted && d->type == type) return true;
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  return false;
}

// ---- retention, hold, deletion ----

Result<DocumentInfo> DocumentStore::SetHold(DocumentId id, bool on, const std::string& reason,
                                            const audit::Actor& actor) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  if (on && reason.empty()) {
    return Error::InvalidArgument("a legal hold needs a reason (the matter it is kept for)");
  }
  if (on == d.hold.has_value()) return d;
  json::object details{{"reason", reason}};
  if (on) {
    d.hold = HoldInfo{actor.id, clock_.Now(), reason};
  } else {
    details["heldBy"] = d.hold->by;
    details["heldAt"] = Iso(d.hold->since);
    d.hold.reset();
  }
  std::vector<audit::EntryFields> entries;
  entries.push_back(
      {actor, on ? "document.held" : "document.hold-released", Object(id), std::move(details)});
  QUIRE_RETURN_IF_ERROR(Commit(storage::WriteBatch(), d, std::move(entries)));
  return d;
}

Result<std::optional<Timestamp>> DocumentStore::RetainUntil(DocumentId id) const {
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  QUIRE_ASSIGN_OR_RETURN(DocumentType type, GetType(d.type));
  return dms::RetainUntil(type, d.created, d.metadata);
}

Result<void> DocumentStore::Delete(DocumentId id, const audit::Actor& actor,
                                   const std::string& reason) {
  std::lock_guard lock(mu_);
  QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, LoadLive(id));
  if (d.hold) {
    return Error::Conflict("document " + std::to_string(id) + " is under legal hold since " +
                           Iso(d.hold->since) + " (by " + d.hold->by + ": " + d.hold->reason +
                           "); the hold must be released before it can be deleted");
  }
  QUIRE_ASSIGN_OR_RETURN(DocumentType type, GetType(d.type));
  const Timestamp now = clock_.Now();
  if (auto until = dms::RetainUntil(type, d.created, d.metadata); until && *until > now) {
    const std::string from =
        type.retention->from == "created" ? "its creation" : "its " + type.retention->from;
    return Error::Conflict("document " + std::to_string(id) + " must be kept " +
                           (*until == Timestamp::max()
                                ? "until its " + type.retention->from + " is set and then "
                                : "until " + Iso(*until) + ": ") +
                           "document type '" + type.id + "' keeps documents for " +
                           type.retention->keep_text + " after " + from);
  }
  QUIRE_RETURN_IF_ERROR(CheckNotLockedByOther(d, actor));
  storage::WriteBatch batch;
  for (std::uint32_t n = 1; n <= d.versions; ++n) batch.Delete(kDocs, VersionKey(id, n));
  for (std::uint32_t n = 1; n <= d.metadata_versions; ++n) batch.Delete(kDocs, MetaKey(id, n));
  for (const Link& l : d.links) batch.Delete(kDocs, LinkKey(l, id));
  batch.Delete(kDocs, ByTypeKey(d.type, id));
  json::object details{
      {"title", d.title}, {"type", d.type}, {"versions", d.versions}, {"reason", reason}};
  d.deleted = true;
  d.deleted_by = actor.id;
  d.deleted_at = now;
  d.deleted_reason = reason;
  d.metadata = {};
  d.links.clear();
  d.lock.reset();
  d.latest.reset();
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "document.deleted", Object(id), std::move(details)});
  QUIRE_RETURN_IF_ERROR(Commit(std::move(batch), d, std::move(entries)));
  return Ok();
}

Result<SweepStats> DocumentStore::Sweep() {
  return contents_.Sweep(
      [this](const std::function<void(const Sha256Digest&)>& each) -> Result<void> {
        auto it = store_.ScanPrefix(kDocs, "v");
        for (; it.Valid(); it.Next()) {
          QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(it.value(), "version"));
          QUIRE_ASSIGN_OR_RETURN(Sha256Digest digest, ParseDigest(StrOf(o, "content")));
          each(digest);
        }
        return it.status();
      });
}

// ---- for the search index ----

Result<std::vector<DocumentStore::Change>> DocumentStore::Changed(std::size_t limit) const {
  std::vector<Change> out;
  auto it = store_.ScanPrefix(kDocs, "q");
  for (; it.Valid() && out.size() < limit; it.Next()) {
    out.emplace_back(IdOfKey(it.key()), std::string(it.value()));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<std::size_t> DocumentStore::MarkAllChanged() {
  std::lock_guard lock(mu_);
  std::size_t marked = 0;
  storage::WriteBatch batch;
  auto it = store_.ScanPrefix(kDocs, "d");
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(DocumentInfo d, ParseDocRecord(it.value()));
    if (d.deleted) continue;
    batch.Put(kDocs, ChangedKey(d.id), std::to_string(++change_seq_) + ":rebuild");
    ++marked;
    if (batch.count() >= 1000) {
      QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), {}, clock_.Now()));
      batch = storage::WriteBatch();
    }
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  if (!batch.empty()) QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), {}, clock_.Now()));
  return marked;
}

Result<void> DocumentStore::MarkIndexed(const std::vector<Change>& seen) {
  std::lock_guard lock(mu_);
  storage::WriteBatch batch;
  for (const auto& [id, stamp] : seen) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> now, store_.Get(kDocs, ChangedKey(id)));
    if (now && *now == stamp) batch.Delete(kDocs, ChangedKey(id));
  }
  if (batch.empty()) return Ok();
  // Not audited (nothing a person did), but ordered with the audited writes.
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), {}, clock_.Now()));
  return Ok();
}

}  // namespace quire::dms
