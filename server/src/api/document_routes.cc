#include "quire/server/document_routes.h"

#include <boost/json.hpp>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include "quire/base/clock.h"
#include "quire/dms/search.h"
#include "quire/org/directory.h"
#include "quire/server/json.h"
#include "route_support.h"

namespace quire::server {
namespace {

namespace json = boost::json;
using api::Actor;
using dms::DocumentId;

// The request body as a content source.
class BodySource final : public dms::ByteSource {
 public:
  explicit BodySource(BodyReader& reader) : reader_(reader) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override {
    return reader_.Read(buffer, size);
  }

 private:
  BodyReader& reader_;
};

// multipart/form-data read as it arrives: small fields first, then one file part whose
// bytes are handed out as a ByteSource without holding more than a buffer of them.
class MultipartReader {
 public:
  MultipartReader(BodyReader& body, std::string boundary)
      : body_(body), delimiter_("\r\n--" + std::move(boundary)) {}

  struct Part {
    std::string name;
    std::string filename;
    bool is_file = false;
  };

  // The next part's headers; nullopt after the last. Errors: a malformed body.
  Result<std::optional<Part>> Next() {
    if (done_) return std::optional<Part>();
    if (!started_) {
      // The body starts with the delimiter without its leading CRLF.
      buf_ = "\r\n";
      started_ = true;
    }
    // Skip what is left of the current part, up to and past the delimiter.
    while (!at_delimiter_) {
      char sink[16384];
      QUIRE_ASSIGN_OR_RETURN(std::size_t n, ReadPart(sink, sizeof sink));
      if (n == 0 && !at_delimiter_) return Error::InvalidArgument("the multipart body ends early");
    }
    at_delimiter_ = false;
    QUIRE_RETURN_IF_ERROR(Fill(2));
    if (buf_.compare(0, 2, "--") == 0) {
      done_ = true;
      return std::optional<Part>();
    }
    // Headers up to the blank line.
    std::size_t end = std::string::npos;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (buf_.size() > 16384) return Error::InvalidArgument("a multipart part header is too long");
      QUIRE_ASSIGN_OR_RETURN(bool more, More());
      if (!more) return Error::InvalidArgument("the multipart body ends inside a part header");
    }
    const std::string headers = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    Part part;
    std::istringstream lines(headers);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string lower = line;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.rfind("content-disposition:", 0) != 0) continue;
      part.name = Param(line, "name");
      if (lower.find("filename=") != std::string::npos) {
        part.filename = Param(line, "filename");
        part.is_file = true;
      }
    }
    return std::optional<Part>(std::move(part));
  }

  // Bytes of the current part; 0 at its end.
  Result<std::size_t> ReadPart(char* out, std::size_t size) {
    if (at_delimiter_) return std::size_t{0};
    for (;;) {
      const std::size_t hit = buf_.find(delimiter_);
      if (hit != std::string::npos) {
        if (hit == 0) {
          buf_.erase(0, delimiter_.size());
          at_delimiter_ = true;
          return std::size_t{0};
        }
        const std::size_t n = std::min(size, hit);
        std::memcpy(out, buf_.data(), n);
        buf_.erase(0, n);
        return n;
      }
      // Keep a possible start of the delimiter; hand out the rest.
      if (buf_.size() >= delimiter_.size()) {
        const std::size_t safe = buf_.size() - (delimiter_.size() - 1);
        const std::size_t n = std::min(size, safe);
        std::memcpy(out, buf_.data(), n);
        buf_.erase(0, n);
        return n;
      }
      QUIRE_ASSIGN_OR_RETURN(bool more, More());
      if (!more) return Error::InvalidArgument("the multipart body ends before its last boundary");
    }
  }

  // A small part's whole value.
  Result<std::string> ReadSmall(const std::string& name) {
    std::string value;
    char piece[4096];
    for (;;) {
      QUIRE_ASSIGN_OR_RETURN(std::size_t n, ReadPart(piece, sizeof piece));
      if (n == 0) return value;
      value.append(piece, n);
      if (value.size() > (1 << 20)) {
        return Error::InvalidArgument("the form field '" + name + "' is larger than 1 MiB");
      }
    }
  }

 private:
  static std::string Param(const std::string& line, const std::string& key) {
    // name="x" (quoted) or name=x; "filename" must not match inside "name".
    std::size_t at = 0;
    while ((at = line.find(key + "=", at)) != std::string::npos) {
      if (at == 0 || line[at - 1] == ' ' || line[at - 1] == ';') break;
      at += key.size();
    }
    if (at == std::string::npos) return "";
    std::size_t v = at + key.size() + 1;
    if (v < line.size() && line[v] == '"') {
      const std::size_t close = line.find('"', v + 1);
      return line.substr(v + 1, close == std::string::npos ? std::string::npos : close - v - 1);
    }
    const std::size_t semi = line.find(';', v);
    return line.substr(v, semi == std::string::npos ? std::string::npos : semi - v);
  }

  Result<bool> More() {
    char piece[65536];
    QUIRE_ASSIGN_OR_RETURN(std::size_t n, body_.Read(piece, sizeof piece));
    buf_.append(piece, n);
    return n > 0;
  }

  Result<void> Fill(std::size_t n) {
    while (buf_.size() < n) {
      QUIRE_ASSIGN_OR_RETURN(bool more, More());
      if (!more) return Error::InvalidArgument("the multipart body ends early");
    }
    return Ok();
  }

  BodyReader& body_;
  const std::string delimiter_;
  std::string buf_;
  bool started_ = false;
  bool at_delimiter_ = false;
  bool done_ = false;

  friend class PartSource;
};

class PartSource final : public dms::ByteSource {
 public:
  explicit PartSource(MultipartReader& r) : r_(r) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override {
    return r_.ReadPart(buffer, size);
  }

 private:
  MultipartReader& r_;
};

std::optional<std::string> Boundary(const Request& request) {
  const auto type = request.header("content-type");
  if (!type) return std::nullopt;
  std::string lower(*type);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("multipart/form-data", 0) != 0) return std::nullopt;
  const std::size_t at = lower.find("boundary=");
  if (at == std::string::npos) return std::string();
  std::string b(type->substr(at + 9));
  if (const std::size_t semi = b.find(';'); semi != std::string::npos) b.resize(semi);
  if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
  return b;
}

// All values of query parameter `name`.
std::vector<std::string> QueryAll(const Request& request, std::string_view name) {
  std::vector<std::string> out;
  std::string_view q = request.query;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      if (auto v = PercentDecode(pair.substr(eq + 1), true)) out.push_back(std::move(*v));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

// What describes an upload: from the query string (raw bodies) or the form fields.
struct UploadFields {
  std::string title;
  std::string type;
  std::string comment;
  std::vector<dms::Link> links;
  json::object metadata;
};

Result<void> AddField(UploadFields& f, const std::string& name, const std::string& value) {
  if (name == "title") {
    f.title = value;
  } else if (name == "type") {
    f.type = value;
  } else if (name == "comment") {
    f.comment = value;
  } else if (name == "link") {
    QUIRE_ASSIGN_OR_RETURN(dms::Link l, dms::ParseLink(value));
    f.links.push_back(std::move(l));
  } else if (name == "metadata") {
    boost::system::error_code ec;
    json::value v = json::parse(value, ec);
    if (ec || !v.is_object()) {
      return Error::InvalidArgument(
          "metadata must be a JSON object of the document type's fields, e.g. "
          "{\"customer\": \"c-42\", \"value\": 1200}");
    }
    f.metadata = std::move(v.as_object());
  }
  return Ok();
}

Result<UploadFields> QueryFields(const Request& request) {
  UploadFields f;
  for (const char* name : {"title", "type", "comment", "metadata"}) {
    if (auto v = request.query_param(name)) QUIRE_RETURN_IF_ERROR(AddField(f, name, *v));
  }
  if (auto m = request.header("x-quire-metadata")) {
    QUIRE_RETURN_IF_ERROR(AddField(f, "metadata", std::string(*m)));
  }
  for (const std::string& l : QueryAll(request, "link")) {
    QUIRE_RETURN_IF_ERROR(AddField(f, "link", l));
  }
  return f;
}

// Runs `use(fields, source)` with the uploaded content: the raw body, or the file part of a
// multipart body (its fields read first).
template <class Use>
Result<Response> WithUpload(const Request& request, Use use) {
  if (request.body_reader == nullptr) {
    return Error::Internal("the upload route was not registered as streaming");
  }
  auto fields = QueryFields(request);
  if (!fields) return fields.error();
  const std::optional<std::string> boundary = Boundary(request);
  if (!boundary) {
    BodySource source(*request.body_reader);
    return use(*fields, static_cast<dms::ByteSource&>(source));
  }
  if (boundary->empty()) {
    return Error::InvalidArgument(
        "a multipart/form-data body needs a boundary in its Content-Type");
  }
  MultipartReader parts(*request.body_reader, *boundary);
  for (;;) {
    auto part = parts.Next();
    if (!part) return part.error();
    if (!*part) {
      return Error::InvalidArgument(
          "the form has no file part: send the content as a part with a filename");
    }
    if ((*part)->is_file || (*part)->name == "file" || (*part)->name == "content") {
      if (fields->title.empty()) fields->title = (*part)->filename;
      PartSource source(parts);
      return use(*fields, static_cast<dms::ByteSource&>(source));
    }
    auto value = parts.ReadSmall((*part)->name);
    if (!value) return value.error();
    if (auto r = AddField(*fields, (*part)->name, *value); !r) return r.error();
  }
}

Response DocumentResponse(int status, const dms::DocumentInfo& d) {
  return JsonResponse(status, d.ToJson(SystemClock::Instance().Now()));
}

template <class T>
Result<Response> Reply(int status, const Result<T>& r) {
  if (!r) return r.error();
  return DocumentResponse(status, *r);
}

Result<std::optional<std::uint32_t>> VersionParam(const Request& request) {
  const auto v = request.query_param("version");
  if (!v) return std::optional<std::uint32_t>();
  QUIRE_ASSIGN_OR_RETURN(std::uint64_t n, api::ParseId(*v, "version"));
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(n));
}

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// "bytes=a-b", "bytes=a-", "bytes=-n" (one range). nullopt: not satisfiable.
std::optional<ByteRange> ParseRange(std::string_view text, std::uint64_t size) {
  if (text.substr(0, 6) != "bytes=") return std::nullopt;
  text.remove_prefix(6);
  if (text.find(',') != std::string_view::npos) return std::nullopt;
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto num = [](std::string_view s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
  };
  const std::string_view a = text.substr(0, dash);
  const std::string_view b = text.substr(dash + 1);
  if (a.empty()) {
    auto n = num(b);
    if (!n || *n == 0 || size == 0) return std::nullopt;
    const std::uint64_t len = std::min(*n, size);
    return ByteRange{size - len, len};
  }
  auto first = num(a);
  if (!first || *first >= size) return std::nullopt;
  std::uint64_t last = size - 1;
  if (!b.empty()) {
    auto l = num(b);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, size - 1);
  }
  return ByteRange{*first, last - *first + 1};
}

class WriterSink final : public dms::ByteSink {
 public:
  explicit WriterSink(BodyWriter& w) : w_(w) {}
  Result<void> Write(std::string_view bytes) override { return w_.Write(bytes); }

 private:
  BodyWriter& w_;
};

Result<dms::Link> LinkFromBody(const json::object& body) {
  QUIRE_ASSIGN_OR_RETURN(std::string kind, api::StringMember(body, "kind", true));
  QUIRE_ASSIGN_OR_RETURN(std::string id, api::StringMember(body, "id", true));
  return dms::Link{kind, id};
}

Result<dms::DocumentQuery> QueryFromRequest(const Request& request) {
  dms::DocumentQuery q;
  q.type = request.query_param("type").value_or("");
  q.text = request.query_param("q").value_or("");
  for (const std::string& l : QueryAll(request, "link")) {
    QUIRE_ASSIGN_OR_RETURN(dms::Link link, dms::ParseLink(l));
    q.links.push_back(std::move(link));
  }
  // meta.F=v, meta.F.gte=v, ...
  std::string_view rest = request.query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    if (key && key->rfind("meta.", 0) == 0 && eq != std::string_view::npos) {
      std::string field = key->substr(5);
      std::string op = "eq";
      for (const char* o : {".gte", ".gt", ".lte", ".lt", ".eq"}) {
        const std::string suffix(o);
        if (field.size() > suffix.size() &&
            field.compare(field.size() - suffix.size(), suffix.size(), suffix) == 0) {
          op = suffix.substr(1);
          field.resize(field.size() - suffix.size());
          break;
        }
      }
      q.fields.push_back({field, op, PercentDecode(pair.substr(eq + 1), true).value_or("")});
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  QUIRE_ASSIGN_OR_RETURN(q.limit, api::Limit(request, 50));
  // The cursor is ?after= as everywhere (docs/api.md); ?next= is what earlier versions read.
  auto next = request.query_param("after");
  if (!next) next = request.query_param("next");
  if (next) {
    std::uint64_t offset = 0;
    const auto r = std::from_chars(next->data(), next->data() + next->size(), offset);
    if (r.ec != std::errc() || r.ptr != next->data() + next->size()) {
      return Error::InvalidArgument("'" + *next + "' is not a cursor from a previous page");
    }
    q.offset = offset;
  }
  return q;
}

// ---- scope: own / team / all ----
//
// A grant of a documents.* permission with scope own reaches the documents its holder
// created; with scope team, also those created by anyone who shares a group with them; with
// scope all (every built-in role), every document. Checked before the handler of every
// /api/documents/{id} route, and used to filter lists and searches.
class DocumentScope : public std::enable_shared_from_this<DocumentScope> {
 public:
  DocumentScope(dms::DocumentStore& docs, org::Directory& directory)
      : docs_(docs), directory_(directory) {}

  // Whether the caller's grant of `p` reaches `d`. `groups` memoises owners' groups within
  // one request.
  Result<bool> Reaches(const org::Principal& who, Permission p, const dms::DocumentInfo& d,
                       std::map<std::string, std::vector<std::string>>& groups) const {
    return api::ReachesOwner(directory_, who, p, d.created_by, groups);
  }

  // The handler, behind a check that the caller's grant of `p` reaches document {id}.
  Handler Guard(Permission p, Handler handler) {
    return [self = shared_from_this(), p,
            handler = std::move(handler)](const Request& request) -> Result<Response> {
      const org::Principal& who = *request.principal;
      if (who.permissions.ScopeOf(p) != org::Scope::kAll) {
        QUIRE_ASSIGN_OR_RETURN(DocumentId id, api::PathId(request, "document id"));
        QUIRE_ASSIGN_OR_RETURN(dms::DocumentInfo d, self->docs_.Get(id));
        std::map<std::string, std::vector<std::string>> groups;
        QUIRE_ASSIGN_OR_RETURN(bool reaches, self->Reaches(who, p, d, groups));
        if (!reaches) {
          const bool own = who.permissions.ScopeOf(p) == org::Scope::kOwn;
          return Error::Forbidden(
              std::string(org::Name(p)) + " is granted to you with scope " +
              std::string(org::Name(who.permissions.ScopeOf(p))) + ": it reaches the documents " +
              (own ? "you created" : "created by you or by members of your groups") +
              ", and document " + std::to_string(id) +
              " is not one of them (ask an "
              "administrator for a grant with a wider scope)");
        }
      }
      return handler(request);
    };
  }

 private:
  dms::DocumentStore& docs_;
  org::Directory& directory_;
};

}  // namespace

void AddDocumentRoutes(Router& router, dms::DocumentStore& docs, dms::DocumentSearch* search,
                       org::Directory& directory) {
  // Every guarded route shares it.
  const auto scope = std::make_shared<DocumentScope>(docs, directory);
  router.AddStreaming(
      "POST", "/api/documents", Permission::kDocumentsWrite,
      [&docs](const Request& request) -> Result<Response> {
        return WithUpload(
            request, [&](UploadFields& f, dms::ByteSource& source) -> Result<Response> {
              dms::NewDocument d{std::move(f.title), std::move(f.type),    std::move(f.metadata),
                                 std::move(f.links), std::move(f.comment), Actor(request)};
              auto r = docs.Create(d, source);
              if (!r) return r.error();
              Response response = DocumentResponse(201, *r);
              response.headers.push_back({"Location", "/api/documents/" + std::to_string(r->id)});
              return response;
            });
      });

  router.Add("GET", "/api/documents", Permission::kDocumentsRead,
             [&docs, search, scope](const Request& request) -> Result<Response> {
               auto q = QueryFromRequest(request);
               if (!q) return q.error();
               const auto now = SystemClock::Instance().Now();
               json::object body;
               json::array out;
               std::string next;
               // Only what the caller's grant reaches; a page may come out shorter than the
               // limit, and `next` still continues after the last document looked at.
               std::map<std::string, std::vector<std::string>> groups;
               auto visible = [&](const std::vector<dms::DocumentInfo>& found) -> Result<void> {
                 for (const auto& d : found) {
                   QUIRE_ASSIGN_OR_RETURN(
                       bool reaches,
                       scope->Reaches(*request.principal, Permission::kDocumentsRead, d, groups));
                   if (reaches) out.push_back(d.ToJson(now));
                 }
                 return Ok();
               };
               const bool plain = q->text.empty() && q->fields.empty();
               if (plain && (q->links.size() == 1) != !q->type.empty()) {
                 // One link or one type alone: answered from the store's index entries, written
                 // with the document, so a document is found the moment its write is acknowledged.
                 const std::string after = q->offset == 0 ? "" : std::to_string(q->offset);
                 auto page = q->links.size() == 1 ? docs.Linked(q->links[0], q->limit, after)
                                                  : docs.OfType(q->type, q->limit, after);
                 if (!page) return page.error();
                 QUIRE_RETURN_IF_ERROR(visible(page->documents));
                 next = page->next;
               } else if (search != nullptr) {
                 // Indexes what is still pending first, so a search sees every write
                 // acknowledged before it (usually nothing is pending: one short scan). After
                 // a rebuild of the index the backlog is large: a search then waits at most
                 // 2 s and answers from what is indexed, the indexer thread doing the rest.
                 if (auto caught_up = search->CatchUp(std::chrono::seconds(2)); !caught_up) {
                   return caught_up.error();
                 }
                 auto r = search->Search(*q);
                 if (!r) return r.error();
                 QUIRE_RETURN_IF_ERROR(visible(r->documents));
                 next = r->next;
                 // The index counts every match: only a caller whose grant reaches every
                 // document may learn it.
                 if (request.principal->permissions.ScopeOf(Permission::kDocumentsRead) ==
                     org::Scope::kAll) {
                   body["estimatedTotal"] = r->estimated_total;
                 }
               } else {
                 return Error::Unavailable("document search is not running");
               }
               json::object page = Page(std::move(out), next);
               if (const json::value* total = body.if_contains("estimatedTotal")) {
                 page["estimatedTotal"] = *total;
               }
               body = std::move(page);
               return JsonResponse(200, body);
             });

  router.Add(
      "GET", "/api/documents/{id}", Permission::kDocumentsRead,
      scope->Guard(Permission::kDocumentsRead, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        return Reply(200, docs.Get(*id, Actor(request)));
      }));

  // PATCH merges the metadata sent into the stored set (RFC 7396: a field set to null is
  // removed); PUT replaces the set. Either may change the title.
  for (const auto how :
       {dms::DocumentStore::MetadataChange::kMerge, dms::DocumentStore::MetadataChange::kReplace}) {
    const bool merge = how == dms::DocumentStore::MetadataChange::kMerge;
    router.Add(
        merge ? "PATCH" : "PUT", "/api/documents/{id}", Permission::kDocumentsWrite,
        scope->Guard(Permission::kDocumentsWrite,
                     [&docs, how, merge](const Request& request) -> Result<Response> {
                       QUIRE_ASSIGN_OR_RETURN(DocumentId id, api::PathId(request, "document id"));
                       QUIRE_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request));
                       std::optional<std::string> title;
                       std::optional<json::object> metadata;
                       if (const json::value* t = body.if_contains("title"); t != nullptr) {
                         if (!t->is_string()) {
                           return Error::InvalidArgument("'title' must be a string");
                         }
                         title = std::string(t->as_string());
                       }
                       if (const json::value* m = body.if_contains("metadata"); m != nullptr) {
                         if (!m->is_object()) {
                           return Error::InvalidArgument("'metadata' must be a JSON object");
                         }
                         metadata = m->as_object();
                       }
                       if (merge && !title && !metadata) {
                         return Error::InvalidArgument(
                             "send \"title\" and/or \"metadata\" to change (PATCH merges "
                             "the metadata sent into the document's)");
                       }
                       if (!merge && !metadata) {
                         return Error::InvalidArgument(
                             "PUT replaces the whole metadata: send \"metadata\" (and "
                             "optionally \"title\"); to change some fields only, use PATCH");
                       }
                       return Reply(200,
                                    docs.UpdateMetadata(id, title, metadata, Actor(request), how));
                     }));
  }

  router.Add("DELETE", "/api/documents/{id}", Permission::kDocumentsDelete,
             scope->Guard(
                 Permission::kDocumentsDelete, [&docs](const Request& request) -> Result<Response> {
                   auto id = api::PathId(request, "document id");
                   if (!id) return id.error();
                   auto r =
                       docs.Delete(*id, Actor(request), request.query_param("reason").value_or(""));
                   if (!r) return r.error();
                   Response response;
                   response.status = 204;
                   return response;
                 }));

  router.Add(
      "GET", "/api/documents/{id}/content", Permission::kDocumentsRead,
      scope->Guard(Permission::kDocumentsRead, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        auto number = VersionParam(request);
        if (!number) return number.error();
        auto v = docs.Version(*id, *number);
        if (!v) return v.error();
        const std::string etag = "\"" + DigestHex(v->content) + "\"";
        Response response;
        response.content_type = v->media_type;
        response.headers.push_back({"ETag", etag});
        response.headers.push_back({"Accept-Ranges", "bytes"});
        response.headers.push_back({"X-Quire-Version", std::to_string(v->number)});
        if (auto inm = request.header("if-none-match"); inm && *inm == etag) {
          response.status = 304;
          response.content_type.clear();
          return response;
        }
        std::uint64_t offset = 0;
        std::optional<std::uint64_t> length;
        if (auto range = request.header("range")) {
          auto r = ParseRange(*range, v->size);
          if (!r) {
            Response bad =
                ErrorResponse(416, "range_not_satisfiable",
                              "the range '" + std::string(*range) + "' is not within the " +
                                  std::to_string(v->size) + " bytes of the content");
            bad.headers.push_back({"Content-Range", "bytes */" + std::to_string(v->size)});
            return bad;
          }
          offset = r->offset;
          length = r->length;
          response.status = 206;
          response.headers.push_back({"Content-Range", "bytes " + std::to_string(offset) + "-" +
                                                           std::to_string(offset + *length - 1) +
                                                           "/" + std::to_string(v->size)});
        }
        response.stream_length = length.value_or(v->size);
        const std::uint32_t n = v->number;
        response.stream = [&docs, id = *id, n, offset, length,
                           actor = Actor(request)](BodyWriter& writer) -> Result<void> {
          WriterSink sink(writer);
          QUIRE_RETURN_IF_ERROR(docs.Read(id, n, actor, sink, offset, length));
          return Ok();
        };
        return response;
      }));

  router.Add(
      "GET", "/api/documents/{id}/versions", Permission::kDocumentsRead,
      scope->Guard(Permission::kDocumentsRead, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        auto versions = docs.Versions(*id);
        if (!versions) return versions.error();
        if (auto r = docs.RecordView(*id, Actor(request), "versions"); !r) {
          return r.error();
        }
        json::array out;
        for (const auto& v : *versions) out.push_back(v.ToJson());
        return JsonResponse(200, Page(std::move(out)));
      }));

  router.AddStreaming(
      "POST", "/api/documents/{id}/versions", Permission::kDocumentsWrite,
      scope->Guard(
          Permission::kDocumentsWrite, [&docs](const Request& request) -> Result<Response> {
            auto id = api::PathId(request, "document id");
            if (!id) return id.error();
            return WithUpload(
                request, [&](UploadFields& f, dms::ByteSource& source) -> Result<Response> {
                  return Reply(201, docs.AddVersion(*id, source, Actor(request), f.comment));
                });
          }));

  router.Add("POST", "/api/documents/{id}/versions/{n}/restore", Permission::kDocumentsWrite,
             scope->Guard(
                 Permission::kDocumentsWrite, [&docs](const Request& request) -> Result<Response> {
                   auto id = api::PathId(request, "document id");
                   if (!id) return id.error();
                   auto n = api::ParseId(*request.path_param("n"), "version");
                   if (!n) return n.error();
                   return Reply(200,
                                docs.Restore(*id, static_cast<std::uint32_t>(*n), Actor(request),
                                             request.query_param("comment").value_or("")));
                 }));

  router.Add(
      "GET", "/api/documents/{id}/metadata-versions", Permission::kDocumentsRead,
      scope->Guard(Permission::kDocumentsRead, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        auto versions = docs.MetadataVersions(*id);
        if (!versions) return versions.error();
        if (auto r = docs.RecordView(*id, Actor(request), "metadata versions"); !r) {
          return r.error();
        }
        json::array out;
        for (const auto& v : *versions) out.push_back(v.ToJson());
        return JsonResponse(200, Page(std::move(out)));
      }));

  router.Add("POST", "/api/documents/{id}/checkout", Permission::kDocumentsWrite,
             scope->Guard(Permission::kDocumentsWrite,
                          [&docs](const Request& request) -> Result<Response> {
                            auto id = api::PathId(request, "document id");
                            if (!id) return id.error();
                            return Reply(200, docs.CheckOut(*id, Actor(request)));
                          }));

  router.AddStreaming(
      "POST", "/api/documents/{id}/checkin", Permission::kDocumentsWrite,
      scope->Guard(
          Permission::kDocumentsWrite, [&docs](const Request& request) -> Result<Response> {
            auto id = api::PathId(request, "document id");
            if (!id) return id.error();
            return WithUpload(
                request, [&](UploadFields& f, dms::ByteSource& source) -> Result<Response> {
                  return Reply(200, docs.CheckIn(*id, source, Actor(request), f.comment));
                });
          }));

  router.Add("POST", "/api/documents/{id}/cancel-checkout", Permission::kDocumentsWrite,
             scope->Guard(Permission::kDocumentsWrite,
                          [&docs](const Request& request) -> Result<Response> {
                            auto id = api::PathId(request, "document id");
                            if (!id) return id.error();
                            return Reply(200, docs.CancelCheckOut(*id, Actor(request)));
                          }));

  router.Add(
      "POST", "/api/documents/{id}/break-lock", Permission::kDocumentsHold,
      scope->Guard(Permission::kDocumentsHold, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        std::string reason;
        if (!request.body.empty()) {
          auto body = ParseJsonObject(request);
          if (!body) return body.error();
          auto r = api::StringMember(*body, "reason", false);
          if (!r) return r.error();
          reason = *r;
        }
        return Reply(200, docs.BreakLock(*id, Actor(request), reason));
      }));

  router.Add("POST", "/api/documents/{id}/links", Permission::kDocumentsWrite,
             scope->Guard(Permission::kDocumentsWrite,
                          [&docs](const Request& request) -> Result<Response> {
                            auto id = api::PathId(request, "document id");
                            if (!id) return id.error();
                            auto body = ParseJsonObject(request);
                            if (!body) return body.error();
                            auto link = LinkFromBody(*body);
                            if (!link) return link.error();
                            return Reply(201, docs.AddLink(*id, *link, Actor(request)));
                          }));

  router.Add("DELETE", "/api/documents/{id}/links/{kind}/{linkId}", Permission::kDocumentsWrite,
             scope->Guard(Permission::kDocumentsWrite,
                          [&docs](const Request& request) -> Result<Response> {
                            auto id = api::PathId(request, "document id");
                            if (!id) return id.error();
                            const dms::Link link{std::string(*request.path_param("kind")),
                                                 std::string(*request.path_param("linkId"))};
                            QUIRE_RETURN_IF_ERROR(docs.RemoveLink(*id, link, Actor(request)));
                            return api::NoContent();
                          }));

  router.Add(
      "PUT", "/api/documents/{id}/hold", Permission::kDocumentsHold,
      scope->Guard(Permission::kDocumentsHold, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        auto body = ParseJsonObject(request);
        if (!body) return body.error();
        auto reason = api::StringMember(*body, "reason", true);
        if (!reason) return reason.error();
        return Reply(200, docs.SetHold(*id, true, *reason, Actor(request)));
      }));

  router.Add(
      "DELETE", "/api/documents/{id}/hold", Permission::kDocumentsHold,
      scope->Guard(Permission::kDocumentsHold, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        QUIRE_RETURN_IF_ERROR(
            docs.SetHold(*id, false, request.query_param("reason").value_or(""), Actor(request)));
        return api::NoContent();
      }));

  router.Add(
      "GET", "/api/documents/{id}/retention", Permission::kDocumentsRead,
      scope->Guard(Permission::kDocumentsRead, [&docs](const Request& request) -> Result<Response> {
        auto id = api::PathId(request, "document id");
        if (!id) return id.error();
        auto until = docs.RetainUntil(*id);
        if (!until) return until.error();
        auto d = docs.Get(*id);
        if (!d) return d.error();
        const auto now = SystemClock::Instance().Now();
        json::object body{{"legalHold", d->hold.has_value()}};
        // retainedUntilAt: null when nothing keeps it, or while the date field the retention
        // counts from is not set (then `retention` says so).
        body["retainedUntilAt"] = nullptr;
        if (*until && **until == Timestamp::max()) {
          body["retention"] = "kept until its retention date field is set";
        } else if (*until) {
          body["retainedUntilAt"] = api::Time(**until);
        }
        body["deletable"] = !d->hold && (!*until || **until <= now);
        return JsonResponse(200, body);
      }));

  router.Add("GET", "/api/document-types", Permission::kDocumentsRead,
             [&docs](const Request&) -> Result<Response> {
               auto types = docs.ListTypes();
               if (!types) return types.error();
               json::array out;
               for (const auto& t : *types) out.push_back(t.ToJson());
               return JsonResponse(200, Page(std::move(out)));
             });

  router.Add("GET", "/api/document-types/{id}", Permission::kDocumentsRead,
             [&docs](const Request& request) -> Result<Response> {
               auto t = docs.GetType(std::string(*request.path_param("id")));
               if (!t) return t.error();
               return JsonResponse(200, t->ToJson());
             });

  router.Add("PUT", "/api/document-types/{id}", Permission::kDocumentsManageTypes,
             [&docs](const Request& request) -> Result<Response> {
               auto body = ParseJsonObject(request);
               if (!body) return body.error();
               const std::string id(*request.path_param("id"));
               if (!body->contains("id")) (*body)["id"] = id;
               auto t = dms::ParseDocumentType(*body);
               if (!t) return t.error();
               if (t->id != id) {
                 return Error::InvalidArgument("the body declares type '" + t->id +
                                               "' but the path names '" + id + "'");
               }
               if (auto r = docs.PutType(*t, Actor(request)); !r) return r.error();
               return JsonResponse(200, t->ToJson());
             });

  router.Add("POST", "/api/dms/sweep", Permission::kSystemOperate,
             [&docs](const Request&) -> Result<Response> {
               auto r = docs.Sweep();
               if (!r) return r.error();
               return JsonResponse(200, json::object{{"contentsRemoved", r->contents_removed},
                                                     {"chunksRemoved", r->chunks_removed},
                                                     {"bytesRemoved", r->bytes_removed},
                                                     {"chunksKept", r->chunks_kept}});
             });
}

void AddAuditRoutes(Router& router, audit::AuditLog& log) {
  auto number = [](const Request& request, const char* name) -> Result<std::uint64_t> {
    const auto v = request.query_param(name);
    if (!v) return std::uint64_t{0};
    return api::ParseId(*v, name);
  };
  router.Add("GET", "/api/audit/export", Permission::kAuditExport,
             [&log, number](const Request& request) -> Result<Response> {
               auto from = number(request, "from");
               auto to = number(request, "to");
               if (!from) return from.error();
               if (!to) return to.error();
               std::ostringstream out;
               if (auto r = log.Export(*from, *to, out); !r) return r.error();
               Response response;
               response.content_type = "application/x-ndjson";
               response.body = out.str();
               return response;
             });
  // The trail of one record, oldest first, from the log's record index (audit.read: the
  // entries of a record an auditor names, not the whole chain, which is audit.export).
  router.Add("GET", "/api/audit/trail", Permission::kAuditRead,
             [&log, number](const Request& request) -> Result<Response> {
               const auto record = request.query_param("record");
               if (!record || record->empty()) {
                 return Error::InvalidArgument(
                     "'record' is required: the record whose trail to show, as kind/id "
                     "(document/12, task/5, instance/3, customer/7)");
               }
               auto after = number(request, "after");
               if (!after) return after.error();
               QUIRE_ASSIGN_OR_RETURN(std::size_t limit, api::Limit(request, 200));
               QUIRE_ASSIGN_OR_RETURN(std::vector<std::string> lines,
                                      log.Trail(*record, *after, limit + 1));
               const bool more = lines.size() > limit;
               if (more) lines.pop_back();
               json::array items;
               std::uint64_t last = 0;
               for (const std::string& line : lines) {
                 json::value v = json::parse(line);
                 last = v.as_object().at("seq").to_number<std::uint64_t>();
                 items.push_back(std::move(v));
               }
               return JsonResponse(200, Page(std::move(items), more ? std::to_string(last) : ""));
             });
  router.Add("GET", "/api/audit/head", Permission::kAuditRead,
             [&log](const Request&) -> Result<Response> {
               auto head = log.LatestHead();
               if (!head) return head.error();
               if (!*head) {
                 return Error::NotFound(
                     "no head has been published yet: POST /api/audit/heads publishes one");
               }
               Response response;
               response.body = (*head)->ToJson();
               return response;
             });
  router.Add("POST", "/api/audit/heads", Permission::kAuditRead,
             [&log](const Request&) -> Result<Response> {
               auto head = log.PublishHead(SystemClock::Instance().Now());
               if (!head) return head.error();
               Response response;
               response.status = 201;
               response.body = head->ToJson();
               return response;
             });
  router.Add("GET", "/api/audit/public-key", Permission::kAuditRead,
             [&log](const Request&) -> Result<Response> {
               Response response;
               response.content_type = "application/x-pem-file";
               response.body = log.PublicKeyPem();
               return response;
             });
  router.Add("GET", "/api/audit/proof", Permission::kAuditRead,
             [&log, number](const Request& request) -> Result<Response> {
               auto seq = number(request, "seq");
               auto size = number(request, "size");
               if (!seq) return seq.error();
               if (!size) return size.error();
               if (*seq == 0) return Error::InvalidArgument("say which entry: ?seq=N");
               auto proof = log.ProveInclusion(*seq, *size);
               if (!proof) return proof.error();
               Response response;
               response.body = proof->ToJson();
               return response;
             });
  router.Add("GET", "/api/audit/consistency", Permission::kAuditRead,
             [&log, number](const Request& request) -> Result<Response> {
               auto first = number(request, "first");
               auto second = number(request, "second");
               if (!first) return first.error();
               if (!second) return second.error();
               auto proof = log.ProveConsistency(*first, *second);
               if (!proof) return proof.error();
               Response response;
               response.body = proof->ToJson();
               return response;
             });
}

}  // namespace quire::server
