// The document services on a data directory — audit log, content store, documents, search —
// and their wiring into the engine: required documents of tasks, the dms.attach connector,
// administrators (members of the admin group) who may break check-outs.
#pragma once

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/dms/content_store.h"
#include "quire/dms/documents.h"
#include "quire/dms/search.h"
#include "quire/storage/store.h"
#include "quire/workflow/connector.h"
#include "quire/workflow/engine.h"

namespace quire::app {

// dms.attach: links a document to the instance (input documentId), or creates one from
// inputs title, type, content (text) and metadata, linked to the instance. Output:
// documentId. Extra links: linkKind + linkId.
class AttachDocumentConnector final : public workflow::Connector {
 public:
  explicit AttachDocumentConnector(dms::DocumentStore& docs) : docs_(docs) {}

  Result<workflow::JobOutcome> Run(const workflow::JobRequest& job) override {
    const boost::json::object& in = job.inputs.empty() ? job.variables : job.inputs;
    const std::string actor = "process:" + job.process_id + "/" + std::to_string(job.instance_id);
    const dms::Link instance{"instance", std::to_string(job.instance_id)};
    auto text = [&](std::string_view key) -> std::string {
      const boost::json::value* v = in.if_contains(key);
      if (v == nullptr) return "";
      if (v->is_string()) return std::string(v->as_string());
      if (v->is_int64()) return std::to_string(v->as_int64());
      if (v->is_uint64()) return std::to_string(v->as_uint64());
      return "";
    };
    std::vector<dms::Link> links{instance};
    if (!text("linkKind").empty()) links.push_back({text("linkKind"), text("linkId")});
    dms::DocumentId id = 0;
    if (const std::string existing = text("documentId"); !existing.empty()) {
      try {
        id = std::stoull(existing);
      } catch (...) {
        return Error::InvalidArgument("dms.attach: documentId '" + existing +
                                      "' is not a document id");
      }
      for (const dms::Link& l : links) QUIRE_RETURN_IF_ERROR(docs_.AddLink(id, l, actor));
    } else {
      dms::NewDocument d;
      d.title = text("title");
      d.type = text("type");
      if (const boost::json::value* m = in.if_contains("metadata"); m && m->is_object()) {
        d.metadata = m->as_object();
      }
      d.links = links;
      d.actor = actor;
      d.comment = "attached by " + job.element_id;
      const std::string content = text("content");
      dms::StringSource source(content);
      QUIRE_ASSIGN_OR_RETURN(dms::DocumentInfo created, docs_.Create(d, source));
      id = created.id;
    }
    workflow::JobOutcome out;
    out.variables["documentId"] = std::to_string(id);
    return out;
  }

 private:
  dms::DocumentStore& docs_;
};

struct DocumentServicesOptions {
  std::chrono::milliseconds lock_ttl = std::chrono::hours(24);
  std::string admin_group = "admins";
  bool search = true;
  audit::AuditOptions audit;
};

struct DocumentServices {
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<dms::ContentStore> contents;
  std::unique_ptr<dms::DocumentStore> documents;
  std::unique_ptr<dms::DocumentSearch> search;
  std::atomic<workflow::Engine*> engine{nullptr};  // for the admin check, once it runs

  // Opens them on `store`, whose directory is `data_dir`: the signing key and the search
  // index (data_dir/search, rebuilt from the documents when deleted) live there too.
  static Result<std::unique_ptr<DocumentServices>> Open(storage::Store& store,
                                                        const std::filesystem::path& data_dir,
                                                        const DocumentServicesOptions& options) {
    auto s = std::make_unique<DocumentServices>();
    QUIRE_ASSIGN_OR_RETURN(s->audit, audit::AuditLog::Open(store, data_dir, options.audit));
    s->contents = std::make_unique<dms::ContentStore>(store);
    dms::DocumentStoreOptions doc_options;
    doc_options.lock_ttl = options.lock_ttl;
    DocumentServices* self = s.get();
    doc_options.is_admin = [self, group = options.admin_group](const std::string& user) {
      workflow::Engine* e = self->engine.load();
      if (e == nullptr) return false;
      auto groups = e->GroupsOf(user);
      return groups && std::find(groups->begin(), groups->end(), group) != groups->end();
    };
    s->documents = std::make_unique<dms::DocumentStore>(store, *s->contents, *s->audit,
                                                        SystemClock::Instance(), doc_options);
    if (options.search) {
      QUIRE_ASSIGN_OR_RETURN(s->search,
                             dms::DocumentSearch::Open(*s->documents, SearchDir(data_dir)));
    }
    return s;
  }

  static std::filesystem::path SearchDir(const std::filesystem::path& data_dir) {
    return data_dir / "search";
  }

  // Engine options that record what people do and check required documents.
  void Wire(workflow::EngineOptions& options, workflow::ConnectorRegistry& connectors) {
    options.audit = audit.get();
    dms::DocumentStore* docs = documents.get();
    options.document_linked = [docs](std::uint64_t task, std::uint64_t instance,
                                     const std::string& type) -> Result<bool> {
      return docs->AnyLinked(
          {{"task", std::to_string(task)}, {"instance", std::to_string(instance)}}, type);
    };
    connectors.Register("dms.attach", std::make_shared<AttachDocumentConnector>(*docs));
  }

  ~DocumentServices() {
    search.reset();  // its indexer reads the documents
    documents.reset();
    contents.reset();
    audit.reset();
  }
};

}  // namespace quire::app
