#include "quire/dms/search.h"

#include <xapian.h>

#include <poppler-document.h>
#include <poppler-page.h>
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>

namespace quire::dms {
namespace json = boost::json;
namespace {

// Content larger than this is indexed by its title and metadata only (PDF is parsed in
// memory); text beyond kMaxText is not indexed.
constexpr std::uint64_t kMaxPdfBytes = std::uint64_t{64} << 20;
constexpr std::uint64_t kMaxText = std::uint64_t{4} << 20;
constexpr std::size_t kBatch = 500;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The canonical text of a number, the same for 1200.5 and "1200.50".
std::string NumberText(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9.0e15)
    return std::to_string(static_cast<std::int64_t>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string ValueText(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) return NumberText(v.as_double());
  return json::serialize(v);
}

// Text of HTML: tags, scripts and styles dropped, a few entities decoded.
std::string HtmlText(std::string_view html) {
  std::string out;
  out.reserve(html.size() / 2);
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] == '<') {
      const std::string_view rest = html.substr(i);
      for (const std::string_view skip : {std::string_view("script"), std::string_view("style")}) {
        if (rest.size() > skip.size() && Lower(rest.substr(1, skip.size())) == skip) {
          const std::size_t end = Lower(html.substr(i)).find("</" + std::string(skip));
          i = end == std::string::npos ? html.size() : i + end;
          break;
        }
      }
      const std::size_t close = html.find('>', i);
      i = close == std::string_view::npos ? html.size() : close + 1;
      out += ' ';
      continue;
    }
    if (html[i] == '&') {
      const std::size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 8) {
        const std::string_view e = html.substr(i + 1, semi - i - 1);
        if (e == "amp")
          out += '&';
        else if (e == "lt")
          out += '<';
        else if (e == "gt")
          out += '>';
        else if (e == "quot")
          out += '"';
        else
          out += ' ';
        i = semi + 1;
        continue;
      }
    }
    out += html[i++];
  }
  return out;
}

Result<std::string> PdfText(const std::string& bytes) {
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!doc) return Error::InvalidArgument("not a readable PDF");
  if (doc->is_locked()) return Error::InvalidArgument("the PDF is encrypted");
  std::string out;
  for (int p = 0; p < doc->pages() && out.size() < kMaxText; ++p) {
    std::unique_ptr<poppler::page> page(doc->create_page(p));
    if (!page) continue;
    const std::vector<char> utf8 = page->text().to_utf8();
    out.append(utf8.begin(), utf8.end());
    out += '\n';
  }
  return out;
}

}  // namespace

struct DocumentSearch::Impl {
  DocumentStore& documents;
  // Xapian objects are not thread-safe: the writer (indexing) and the reader (queries)
  // each have their own lock, so a query never waits for an index batch to be built.
  std::mutex mu;
  Xapian::WritableDatabase db;
  std::mutex read_mu;
  Xapian::Database reader;  // GUARDED_BY(read_mu): reopened to see the last commit

  Impl(DocumentStore& d, Xapian::WritableDatabase database, Xapian::Database read)
      : documents(d), db(std::move(database)), reader(std::move(read)) {}

  // The value slot of `field` as the reader sees it; BAD_VALUENO when none was assigned.
  Xapian::valueno ReadSlot(const std::string& field) {
    const std::string known = reader.get_metadata("slot:" + field);
    return known.empty() ? Xapian::BAD_VALUENO : static_cast<Xapian::valueno>(std::stoul(known));
  }

  // The value slot of a number or date field; assigned on first use.
  Xapian::valueno Slot(const std::string& field, bool assign) {
    const std::string known = db.get_metadata("slot:" + field);
    if (!known.empty()) return static_cast<Xapian::valueno>(std::stoul(known));
    if (!assign) return Xapian::BAD_VALUENO;
    const std::string next = db.get_metadata("nextslot");
    const Xapian::valueno slot = next.empty() ? 0 : static_cast<Xapian::valueno>(std::stoul(next));
    db.set_metadata("slot:" + field, std::to_string(slot));
    db.set_metadata("nextslot", std::to_string(slot + 1));
    return slot;
  }

  std::string ContentText(const DocumentInfo& d) {
    if (!d.latest) return "";
    const std::string& type = d.latest->media_type;
    const bool text = type == "text/plain" || type == "text/html" || type == "application/json" ||
                      type == "application/xml";
    const bool pdf = type == "application/pdf";
    if (!text && !pdf) return "";
    if (pdf && d.latest->size > kMaxPdfBytes) return "";
    StringSink sink;
    const std::uint64_t length = pdf ? d.latest->size : std::min(d.latest->size, kMaxText);
    if (auto r = documents.contents().Get(d.latest->content, sink, 0, length); !r) {
      std::cerr << "quire: search: cannot read document " << d.id << ": " << r.error().message()
                << std::endl;
      return "";
    }
    if (type == "text/html") return HtmlText(sink.data);
    if (pdf) {
      auto t = PdfText(sink.data);
      if (!t) return "";
      return std::move(*t);
    }
    return std::move(sink.data);
  }

  void Index(const DocumentInfo& d, const DocumentType* type) {
    Xapian::Document doc;
    Xapian::TermGenerator gen;
    gen.set_document(doc);
    gen.index_text(d.title, 2);
    gen.increase_termpos();
    doc.add_boolean_term("XT" + d.type);
    for (const Link& l : d.links) doc.add_boolean_term("XL" + l.kind + ":" + l.id);
    for (const auto& kv : d.metadata) {
      const std::string field(kv.key());
      const std::string text = ValueText(kv.value());
      doc.add_boolean_term("XF" + field + "=" + Lower(text));
      gen.index_text(text);
      gen.increase_termpos();
      const FieldSpec* spec = type != nullptr ? type->Field(field) : nullptr;
      if (spec == nullptr) continue;
      if (spec->type == "number" || spec->type == "long") {
        if (auto n = ParseNumber(text))
          doc.add_value(Slot(field, true), Xapian::sortable_serialise(*n));
      } else if (spec->type == "date") {
        if (auto day = ParseDay(text)) {
          doc.add_value(Slot(field, true), Xapian::sortable_serialise(static_cast<double>(*day)));
        }
      }
    }
    gen.index_text(ContentText(d));
    db.replace_document(static_cast<Xapian::docid>(d.id), doc);
  }
};

Result<std::unique_ptr<DocumentSearch>> DocumentSearch::Open(DocumentStore& documents,
                                                             const std::filesystem::path& dir) {
  try {
    Xapian::WritableDatabase db(dir.string(), Xapian::DB_CREATE_OR_OPEN);
    if (db.get_metadata("quire:built").empty()) {
      // A new index (first start, or its directory was deleted to rebuild it): every
      // document is to be indexed. Marked first, so a crash here only marks them again.
      QUIRE_RETURN_IF_ERROR(documents.MarkAllChanged());
      db.set_metadata("quire:built", "1");
    }
    db.commit();  // a new database must exist on disk before a reader opens it
    Xapian::Database reader(dir.string());
    return std::unique_ptr<DocumentSearch>(
        new DocumentSearch(std::make_unique<Impl>(documents, std::move(db), std::move(reader))));
  } catch (const Xapian::Error& e) {
    return Error::Unavailable("cannot open the search index in " + dir.string() + ": " +
                              e.get_description() +
                              " (it can be rebuilt: stop Quire, delete that directory, start)");
  }
}

DocumentSearch::DocumentSearch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DocumentSearch::~DocumentSearch() {
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(impl_->mu);
  try {
    impl_->db.commit();
  } catch (const Xapian::Error&) {
  }
}

Result<std::size_t> DocumentSearch::CatchUp(std::chrono::steady_clock::duration budget) {
  const auto start = std::chrono::steady_clock::now();
  std::size_t total = 0;
  for (;;) {
    if (total != 0 && std::chrono::steady_clock::now() - start >= budget) return total;
    QUIRE_ASSIGN_OR_RETURN(std::vector<DocumentStore::Change> changed,
                           impl_->documents.Changed(kBatch));
    if (changed.empty()) return total;
    {
      std::lock_guard lock(impl_->mu);
      std::map<std::string, std::optional<DocumentType>> types;
      try {
        for (const auto& [id, stamp] : changed) {
          auto d = impl_->documents.Get(id);
          if (!d || d->deleted) {
            impl_->db.delete_document(static_cast<Xapian::docid>(id));
            continue;
          }
          auto [it, fresh] = types.try_emplace(d->type);
          if (fresh) {
            auto t = impl_->documents.GetType(d->type);
            if (t) it->second = std::move(*t);
          }
          impl_->Index(*d, it->second ? &*it->second : nullptr);
        }
        impl_->db.commit();
      } catch (const Xapian::Error& e) {
        return Error::Unavailable("the search index could not be updated: " + e.get_description());
      }
    }
    QUIRE_RETURN_IF_ERROR(impl_->documents.MarkIndexed(changed));
    total += changed.size();
  }
}

void DocumentSearch::Start() {
  impl_->documents.OnChange([this](DocumentId) {
    {
      std::lock_guard lock(wake_mu_);
      pending_ = true;
    }
    wake_.notify_one();
  });
  thread_ = std::thread([this] { Run(); });
}

void DocumentSearch::Run() {
  for (;;) {
    {
      std::unique_lock lock(wake_mu_);
      wake_.wait_for(lock, std::chrono::seconds(5), [this] { return pending_ || stop_; });
      if (stop_) return;
      pending_ = false;
    }
    if (auto r = CatchUp(); !r) {
      std::cerr << "quire: search index: " << r.error().message() << std::endl;
    }
  }
}

Result<void> DocumentSearch::WaitIndexed() {
  QUIRE_RETURN_IF_ERROR(CatchUp());
  return Ok();
}

Result<SearchResult> DocumentSearch::Search(const DocumentQuery& q) {
  std::lock_guard lock(impl_->read_mu);
  try {
    impl_->reader.reopen();
    std::vector<Xapian::Query> filters;
    if (!q.type.empty()) filters.emplace_back("XT" + q.type);
    for (const Link& l : q.links) filters.emplace_back("XL" + l.kind + ":" + l.id);
    for (const FieldCondition& c : q.fields) {
      if (c.op == "eq") {
        std::vector<Xapian::Query> alternatives{
            Xapian::Query("XF" + c.field + "=" + Lower(c.value))};
        if (auto n = ParseNumber(c.value)) {
          alternatives.emplace_back("XF" + c.field + "=" + NumberText(*n));
        }
        filters.emplace_back(Xapian::Query::OP_OR, alternatives.begin(), alternatives.end());
        continue;
      }
      double bound = 0;
      if (auto day = ParseDay(c.value)) {
        bound = static_cast<double>(*day);
      } else if (auto n = ParseNumber(c.value)) {
        bound = *n;
      } else {
        return Error::InvalidArgument("meta." + c.field + "." + c.op + ": '" + c.value +
                                      "' is neither a number nor a date (YYYY-MM-DD)");
      }
      const Xapian::valueno slot = impl_->ReadSlot(c.field);
      if (slot == Xapian::BAD_VALUENO) {
        // No document has a number or date in that field: nothing matches.
        filters.emplace_back(Xapian::Query::MatchNothing);
        continue;
      }
      // Strict bounds: the next representable value past the bound.
      const std::string at = Xapian::sortable_serialise(bound);
      if (c.op == "gte") {
        filters.emplace_back(Xapian::Query::OP_VALUE_GE, slot, at);
      } else if (c.op == "lte") {
        filters.emplace_back(Xapian::Query::OP_VALUE_LE, slot, at);
      } else if (c.op == "gt") {
        filters.emplace_back(Xapian::Query::OP_VALUE_GE, slot,
                             Xapian::sortable_serialise(std::nextafter(bound, INFINITY)));
      } else if (c.op == "lt") {
        filters.emplace_back(Xapian::Query::OP_VALUE_LE, slot,
                             Xapian::sortable_serialise(std::nextafter(bound, -INFINITY)));
      } else {
        return Error::InvalidArgument("meta." + c.field + "." + c.op +
                                      ": the comparison must be eq, gt, gte, lt or lte");
      }
    }
    Xapian::Query query = Xapian::Query::MatchAll;
    if (!q.text.empty()) {
      Xapian::QueryParser parser;
      parser.set_database(impl_->reader);
      parser.set_default_op(Xapian::Query::OP_AND);
      try {
        query = parser.parse_query(
            q.text, Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN |
                        Xapian::QueryParser::FLAG_LOVEHATE | Xapian::QueryParser::FLAG_WILDCARD);
      } catch (const Xapian::QueryParserError& e) {
        return Error::InvalidArgument("the text query '" + q.text +
                                      "' cannot be read: " + e.get_msg());
      }
    }
    if (!filters.empty()) {
      query = Xapian::Query(Xapian::Query::OP_FILTER, query,
                            Xapian::Query(Xapian::Query::OP_AND, filters.begin(), filters.end()));
    }
    Xapian::Enquire enquire(impl_->reader);
    enquire.set_query(query);
    if (q.text.empty()) {
      enquire.set_weighting_scheme(Xapian::BoolWeight());
      enquire.set_docid_order(Xapian::Enquire::DESCENDING);  // newest first
    }
    const Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(q.offset),
                                               static_cast<Xapian::doccount>(q.limit + 1));
    SearchResult out;
    out.estimated_total = mset.get_matches_estimated();
    std::size_t seen = 0;
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      if (seen++ == q.limit) {
        out.next = std::to_string(q.offset + q.limit);
        break;
      }
      auto d = impl_->documents.Get(*it);
      if (d && !d->deleted) out.documents.push_back(std::move(*d));
    }
    return out;
  } catch (const Xapian::Error& e) {
    return Error::Unavailable("the search failed: " + e.get_description());
  }
}

}  // namespace quire::dms
