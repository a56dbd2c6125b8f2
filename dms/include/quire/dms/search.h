// DocumentSearch: finding documents by type, metadata (equality; ranges on numbers and
// dates), links and the full text of title, metadata and content (plain text, HTML, PDF via
// poppler), with Xapian as the index.
//
// The index lives in its own directory beside the store (data/search). It follows the
// documents: every document write leaves a "changed" mark in the same batch
// (DocumentStore::Changed); the indexer thread indexes what is marked, commits the Xapian
// database, then clears the marks it saw. A crash in between only indexes a document
// again, so the index never misses a change — it may trail the store by a moment.
//
// Index layout (rebuild by deleting the directory: a new index marks every document
// changed when it opens, and takes them all in):
//   Xapian docid     the document id
//   terms            "XT<type>", "XL<kind>:<id>", "XF<field>=<lower-case value>" (strings,
//                    enums, references); words of title, metadata and content (no prefix)
//   values           one slot per number or date field (numbers as sortable doubles, dates
//                    as days since 1970), slots assigned in the database's metadata
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quire/base/result.h"
#include "quire/dms/documents.h"

namespace quire::dms {

struct FieldCondition {
  std::string field;
  std::string op = "eq";  // eq, gt, gte, lt, lte
  std::string value;
};

struct DocumentQuery {
  std::string type;
  std::vector<Link> links;
  std::string text;  // words (all must match); "word*" matches a prefix; "a phrase" in quotes
  std::vector<FieldCondition> fields;
  std::size_t limit = 50;
  std::size_t offset = 0;
};

struct SearchResult {
  std::vector<DocumentInfo> documents;
  std::size_t estimated_total = 0;
  std::string next;  // offset of the next page; empty at the end
};

class DocumentSearch {
 public:
  // Opens (or creates) the index in `dir`. REQUIRES: `documents` outlives the search.
  static Result<std::unique_ptr<DocumentSearch>> Open(DocumentStore& documents,
                                                      const std::filesystem::path& dir);
  ~DocumentSearch();

  // Errors: kInvalidArgument naming the bad condition (an unknown field, a value of the
  // wrong kind, a malformed text query).
  Result<SearchResult> Search(const DocumentQuery& query);

  // Indexes every document marked changed; returns how many. With a budget, stops after the
  // batch that used it up (a search waits that long at most for what is pending).
  Result<std::size_t> CatchUp(
      std::chrono::steady_clock::duration budget = std::chrono::steady_clock::duration::max());
  // Keeps the index up to date on a thread of its own until destroyed.
  void Start();
  // Waits until nothing marked changed is left (tests, benchmarks, `quire doc search`).
  Result<void> WaitIndexed();

 private:
  struct Impl;
  explicit DocumentSearch(std::unique_ptr<Impl> impl);
  void Run();

  std::unique_ptr<Impl> impl_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool pending_ = false;  // GUARDED_BY(wake_mu_)
  bool stop_ = false;     // GUARDED_BY(wake_mu_)
  std::thread thread_;
};

}  // namespace quire::dms
