// The dms.attach connector: how processes reach the DMS (workflow does not know it).
#pragma once

#include <string>

#include "quire/dms/documents.h"
#include "quire/workflow/connector.h"

namespace quire::services {

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

}  // namespace quire::services
