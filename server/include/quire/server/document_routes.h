// Documents and the audit chain over HTTP, as the signed-in user (every read and write is
// audited with them). Ids are strings of digits.
//
//   POST   /api/documents?title=&type=&comment=&link=kind:id&metadata={json}
//            the content as the raw body (streamed), or multipart/form-data with fields
//            title, type, comment, link (repeatable), metadata (JSON) before the file part
//            → 201 {document}
//   GET    /api/documents?type=T | link=kind:id | q=words | meta.F=v | meta.F.gte=v ...
//   GET    /api/documents/{id}                     the document (the view is audited)
//   PATCH  /api/documents/{id}                     {"title": ..., "metadata": {...}}: merged
//                                                  into the stored metadata (RFC 7396)
//   PUT    /api/documents/{id}                     {"metadata": {...}, "title"?}: replaced
//   DELETE /api/documents/{id}?reason=             tombstone; 409 under retention or hold
//   GET    /api/documents/{id}/content[?version=N] bytes; Range, ETag (the content hash)
//   GET    /api/documents/{id}/versions            POST (raw or multipart): a new version
//   POST   /api/documents/{id}/versions/{n}/restore
//   GET    /api/documents/{id}/metadata-versions
//   POST   /api/documents/{id}/checkout | checkin (raw or multipart) | cancel-checkout
//   POST   /api/documents/{id}/break-lock          {"reason": ...} (administrators)
//   POST   /api/documents/{id}/links {"kind", "id"}; DELETE .../links/{kind}/{linkId}
//   PUT    /api/documents/{id}/hold {"reason"};     DELETE .../hold
//   GET    /api/documents/{id}/retention
//   GET    /api/document-types;  GET|PUT /api/document-types/{id}
//   POST   /api/dms/sweep                          reclaim unreferenced content
//   GET    /api/audit/export?from=&to=             JSON lines
//   GET    /api/audit/head; POST /api/audit/heads (publish); GET /api/audit/public-key
//   GET    /api/audit/proof?seq=N[&size=M];  GET /api/audit/consistency?first=&second=
#pragma once

#include "quire/audit/log.h"
#include "quire/dms/documents.h"
#include "quire/server/router.h"

namespace quire::dms {
class DocumentSearch;
}
namespace quire::org {
class Directory;
}

namespace quire::server {

// REQUIRES: all of them outlive the router. `search` may be null (no full-text search).
// A grant with scope own or team (see org::Principal::Reaches) reaches only the documents
// created by the caller (or their groups' members): other documents are refused with 403 on
// every /api/documents/{id} route and left out of lists and searches.
void AddDocumentRoutes(Router& router, dms::DocumentStore& documents, dms::DocumentSearch* search,
                       org::Directory& directory);
void AddAuditRoutes(Router& router, audit::AuditLog& log);

}  // namespace quire::server
