// DocumentStore: documents over the content store — types and typed metadata, immutable
// versions, check-out/check-in, links, retention and legal hold, deletion with tombstones —
// every read and write recorded in the audit chain in the same batch as the change.
//
// Records in the documents family (stored: never change a tag):
//   'n'                          → U64 text: the next document id
//   't' String(type)             → a document type (JSON, document_type.h)
//   'd' U64(id)                  → the document (JSON: title, type, metadata, lock, hold,
//                                  links, version counts; a tombstone once deleted)
//   'v' U64(id) U32(n)           → version n (JSON: content digest, size, media type, ...)
//   'm' U64(id) U32(n)           → metadata version n (JSON: title, metadata, author, time)
//   'L' String(kind) String(id) U64(doc) → ""   documents by link
//   'y' String(type) U64(doc)    → ""           documents by type
//   'q' U64(doc)                 → ""           changed since the search index last saw it
//
// Writes to one document are serialised; the content of a new version is stored (streamed,
// outside any lock) before its record is written, and its chunks are leased until then.
//
// Thread-safety: every method may be called from any thread at once.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/dms/content_store.h"
#include "quire/dms/document_type.h"
#include "quire/org/link.h"
#include "quire/storage/store.h"

namespace quire::dms {

using DocumentId = std::uint64_t;

using org::CheckLink;
using org::Link;
using org::ParseLink;

struct VersionInfo {
  std::uint32_t number = 0;
  Sha256Digest content{};
  std::uint64_t size = 0;
  std::string media_type;
  std::string author;
  Timestamp time;
  std::string comment;
  std::uint32_t restored_from = 0;  // non-zero: a copy of that version
  boost::json::object ToJson() const;
};

struct MetadataVersion {
  std::uint32_t number = 0;
  std::string title;
  boost::json::object metadata;
  std::string author;
  Timestamp time;
  boost::json::object ToJson() const;
};

struct LockInfo {
  std::string user;
  Timestamp since;
  Timestamp expires;
};

struct HoldInfo {
  std::string by;
  Timestamp since;
  std::string reason;
};

struct DocumentInfo {
  DocumentId id = 0;
  std::string title;
  std::string type;
  boost::json::object metadata;
  std::uint32_t versions = 0;           // content versions; the latest is this number
  std::uint32_t metadata_versions = 0;  // metadata versions
  std::string created_by;
  Timestamp created;
  Timestamp modified;
  std::optional<LockInfo> lock;  // as stored: may have expired (see Locked())
  std::optional<HoldInfo> hold;
  std::vector<Link> links;
  std::optional<VersionInfo> latest;  // filled in by reads
  bool deleted = false;               // a tombstone
  std::string deleted_by;
  Timestamp deleted_at;
  std::string deleted_reason;

  // The lock, if it is still in force at `now`.
  const LockInfo* Locked(Timestamp now) const;
  boost::json::object ToJson(Timestamp now) const;
};

struct NewDocument {
  std::string title;
  std::string type;
  boost::json::object metadata;
  std::vector<Link> links;
  std::string comment;
  audit::Actor actor;
};

struct DocumentStoreOptions {
  // How long a check-out lasts unless checked in or cancelled; zero: until then.
  std::chrono::milliseconds lock_ttl = std::chrono::hours(24);
  // The entries of the dictionaries metadata fields may name ({"type": "enum",
  // "dictionary": "industries"}); services wires the CRM's. Unset: no dictionaries.
  std::function<std::shared_ptr<const std::vector<definitions::FieldOption>>(std::string_view)>
      dictionaries;
};

struct DocumentPage {
  std::vector<DocumentInfo> documents;
  std::string next;  // cursor for the next page; empty at the end
};

class DocumentStore {
 public:
  // REQUIRES: all of them outlive the document store.
  DocumentStore(storage::Store& store, ContentStore& contents, audit::AuditLog& audit,
                const Clock& clock, DocumentStoreOptions options = {});

  // ---- types ----
  // Declares or replaces a type. Metadata already stored is checked again only when written.
  Result<void> PutType(const DocumentType& type, const audit::Actor& actor);
  Result<DocumentType> GetType(const std::string& id) const;
  Result<std::vector<DocumentType>> ListTypes() const;

  // ---- documents ----
  // Stores `content` as version 1 of a new document. Errors: kValidationFailed (title,
  // type, metadata, links, with a detail per field), the content's.
  Result<DocumentInfo> Create(const NewDocument& doc, ByteSource& content);
  // The document with its latest version (a tombstone once deleted). `actor` non-empty:
  // the read is recorded. Errors: kNotFound.
  Result<DocumentInfo> Get(DocumentId id, const audit::Actor& actor = "");
  // Records that `actor` looked at `what` of the document ("versions", "metadata
  // versions", ...): what is seen of a document is audited, not only its content.
  Result<void> RecordView(DocumentId id, const audit::Actor& actor, std::string_view what);
  Result<std::vector<VersionInfo>> Versions(DocumentId id) const;
  // Version `number` (the latest when absent). Errors: kNotFound.
  Result<VersionInfo> Version(DocumentId id, std::optional<std::uint32_t> number) const;
  // Streams a version's bytes [offset, offset+length) to `sink` and records the read.
  // Errors: kNotFound; kInvalidArgument (range); kCorruption naming the document and the
  // version when a chunk does not match its digest (nothing wrong is written).
  Result<VersionInfo> Read(DocumentId id, std::optional<std::uint32_t> number,
                           const audit::Actor& actor, ByteSink& sink, std::uint64_t offset = 0,
                           std::optional<std::uint64_t> length = std::nullopt);
  // A new version, refused (kConflict) while someone else holds the check-out.
  Result<DocumentInfo> AddVersion(DocumentId id, ByteSource& content, const audit::Actor& actor,
                                  const std::string& comment);
  // Version `number`'s content again, as a new version.
  Result<DocumentInfo> Restore(DocumentId id, std::uint32_t number, const audit::Actor& actor,
                               const std::string& comment);
  // How new metadata meets the stored set: it replaces it (PUT), or it is merged into it as
  // an RFC 7396 merge patch (PATCH: named fields change, null removes one, others stay).
  enum class MetadataChange : std::uint8_t { kReplace, kMerge };
  // New title and/or metadata (the result checked against the type as a whole): a new
  // metadata version. Errors: kValidationFailed, kConflict (checked out by someone else).
  Result<DocumentInfo> UpdateMetadata(DocumentId id, std::optional<std::string> title,
                                      std::optional<boost::json::object> metadata,
                                      const audit::Actor& actor,
                                      MetadataChange how = MetadataChange::kReplace);
  Result<std::vector<MetadataVersion>> MetadataVersions(DocumentId id) const;

  // ---- check-out ----
  // Locks the document for `actor`. Errors: kConflict naming the holder and since when.
  Result<DocumentInfo> CheckOut(DocumentId id, const audit::Actor& actor);
  // A new version from the holder, and the lock goes. Errors: kConflict when `actor` does
  // not hold the check-out.
  Result<DocumentInfo> CheckIn(DocumentId id, ByteSource& content, const audit::Actor& actor,
                               const std::string& comment);
  Result<DocumentInfo> CancelCheckOut(DocumentId id, const audit::Actor& actor);
  // Ends someone's check-out; recorded with the reason. Who may is the caller's to check
  // (over HTTP: permission documents.hold). Errors: kConflict when not checked out.
  Result<DocumentInfo> BreakLock(DocumentId id, const audit::Actor& actor,
                                 const std::string& reason);

  // ---- links ----
  Result<DocumentInfo> AddLink(DocumentId id, const Link& link, const audit::Actor& actor);
  Result<DocumentInfo> RemoveLink(DocumentId id, const Link& link, const audit::Actor& actor);
  // Live documents linked to `link`, by id, `limit` at most from the cursor `after`.
  Result<DocumentPage> Linked(const Link& link, std::size_t limit = 100,
                              const std::string& after = "") const;
  // Live documents of `type`, by id.
  Result<DocumentPage> OfType(const std::string& type, std::size_t limit = 100,
                              const std::string& after = "") const;
  // Whether a live document of `type` is linked to any of `links`.
  Result<bool> AnyLinked(const std::vector<Link>& links, const std::string& type) const;

  // ---- retention, hold, deletion ----
  Result<DocumentInfo> SetHold(DocumentId id, bool on, const std::string& reason,
                               const audit::Actor& actor);
  // Until when the document must be kept (nullopt: no retention applies).
  Result<std::optional<Timestamp>> RetainUntil(DocumentId id) const;
  // Leaves a tombstone: versions, links and index entries go; content is reclaimed by the
  // next Sweep once nothing else references it. Errors: kConflict while under legal hold,
  // retention or someone else's check-out.
  Result<void> Delete(DocumentId id, const audit::Actor& actor, const std::string& reason);
  // Reclaims content no version references any more (ContentStore::Sweep).
  Result<SweepStats> Sweep();

  // ---- for the search index ----
  // Documents changed since the index last saw them (up to `limit`), each with the stamp
  // of its last change; MarkIndexed forgets those whose stamp has not moved since.
  using Change = std::pair<DocumentId, std::string>;
  Result<std::vector<Change>> Changed(std::size_t limit) const;
  Result<void> MarkIndexed(const std::vector<Change>& seen);
  // Marks every live document changed: a new (or rebuilt) index then takes them all in.
  Result<std::size_t> MarkAllChanged();
  // Calls `fn` after each write, with the document changed (to wake an indexer).
  void OnChange(std::function<void(DocumentId)> fn) { on_change_ = std::move(fn); }

  ContentStore& contents() { return contents_; }
  const Clock& clock() const { return clock_; }

 private:
  struct Writing;
  Result<DocumentInfo> Load(DocumentId id) const;
  Result<DocumentInfo> LoadLive(DocumentId id) const;
  // Refuses a change by `actor` while someone else holds the check-out.
  Result<void> CheckNotLockedByOther(const DocumentInfo& d, const audit::Actor& actor) const;
  Result<Ingested> Ingest(ByteSource& content, std::string& media_type);
  // A version from `content`, if `allowed` (checked before the upload and again after it).
  Result<DocumentInfo> NewVersion(DocumentId id, ByteSource& content, const audit::Actor& actor,
                                  const std::string& comment, const char* action,
                                  const std::function<Result<void>(const DocumentInfo&)>& allowed,
                                  bool release_lock);
  // Writes the document (and what `batch` holds) with `entries`, under `mu_`.
  Result<void> Commit(storage::WriteBatch batch, DocumentInfo& d,
                      std::vector<audit::EntryFields> entries);
  // The new version `v` of `d` into `batch`.
  void PutVersion(storage::WriteBatch& batch, DocumentInfo& d, VersionInfo v);
  Result<DocumentPage> Page(std::string prefix, std::size_t limit, const std::string& after) const;

  storage::Store& store_;
  ContentStore& contents_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  DocumentStoreOptions options_;
  std::function<void(DocumentId)> on_change_;
  std::mutex mu_;                 // one document write at a time
  std::uint64_t change_seq_ = 0;  // GUARDED_BY(mu_): stamps of 'q' records
};

}  // namespace quire::dms
