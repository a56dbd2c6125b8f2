// quire doc put|get|show|versions|checkout|checkin|cancel-checkout|link|unlink|search|
//           delete|hold|release|type|sweep
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "engine_session.h"
#include "quire/base/json_text.h"

namespace quire::app {
namespace {

namespace json = boost::json;

class OstreamSink final : public dms::ByteSink {
 public:
  explicit OstreamSink(std::ostream& out) : out_(out) {}
  Result<void> Write(std::string_view bytes) override {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out_) return Error::Unavailable("cannot write the output");
    return Ok();
  }

 private:
  std::ostream& out_;
};

void PrintDoc(const dms::DocumentInfo& d) {
  std::cout << quire::JsonText(d.ToJson(SystemClock::Instance().Now())) << "\n";
}

// "value>=100" → {value, gte, 100}; "status=signed" → eq.
std::optional<dms::FieldCondition> ParseCondition(const std::string& text) {
  for (const auto& [sym, op] : std::vector<std::pair<std::string, std::string>>{
           {">=", "gte"}, {"<=", "lte"}, {">", "gt"}, {"<", "lt"}, {"=", "eq"}}) {
    const std::size_t at = text.find(sym);
    if (at != std::string::npos && at > 0) {
      return dms::FieldCondition{text.substr(0, at), op, text.substr(at + sym.size())};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string DocUsage() {
  return "Usage: quire doc put FILE --type T [--title TEXT] [--meta FIELD=VALUE ...]\n"
         "                         [--link KIND:ID ...] [--comment TEXT] --as U\n"
         "       quire doc get ID [--version N] [--out FILE] --as U   (the read is audited)\n"
         "       quire doc show|versions ID\n"
         "       quire doc checkout|cancel-checkout ID --as U\n"
         "       quire doc checkin ID FILE [--comment TEXT] --as U\n"
         "       quire doc link|unlink ID KIND:ID --as U\n"
         "       quire doc search [--type T] [--link KIND:ID] [--q WORDS]\n"
         "                        [--meta FIELD=V | FIELD>=V | FIELD<V ...] [--limit N]\n"
         "       quire doc delete ID [--reason TEXT] --as U\n"
         "       quire doc hold ID --reason TEXT --as U;  quire doc release ID --as U\n"
         "       quire doc type put FILE.json --as U;  quire doc type list\n"
         "       quire doc sweep                       reclaim content nothing references\n"
         "All take --data-dir DIR (default quire-data). While 'quire serve' runs on the store,\n"
         "use its /api/documents endpoints instead. Document types: see README.\n";
}

int RunDoc(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << DocUsage();
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string action = args[0];
  std::map<std::string, std::string> opt{{"data-dir", "quire-data"}, {"limit", "50"}};
  std::vector<std::string> metas;
  std::vector<std::string> links;
  std::vector<std::string> positional;
  static const std::set<std::string> known{"data-dir", "type",    "title", "meta",
                                           "link",     "comment", "as",    "version",
                                           "out",      "q",       "limit", "reason"};
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i].starts_with("--")) {
      // --text: the earlier name of --q (named after the HTTP parameter).
      const std::string name = args[i] == "--text" ? "q" : args[i].substr(2);
      if (!known.contains(name)) {
        std::cerr << "quire doc: unknown option --" << name << "; see 'quire help doc'\n";
        return kExitUsage;
      }
      if (i + 1 >= args.size()) {
        std::cerr << "quire doc: --" << name << " needs a value\n";
        return kExitUsage;
      }
      if (name == "meta") {
        metas.push_back(args[++i]);
      } else if (name == "link") {
        links.push_back(args[++i]);
      } else {
        opt[name] = args[++i];
      }
    } else {
      positional.push_back(args[i]);
    }
  }
  static const std::set<std::string> actions{
      "put",  "get",    "show",   "versions", "checkout", "checkin", "cancel-checkout",
      "link", "unlink", "search", "delete",   "hold",     "release", "type",
      "sweep"};
  if (!actions.contains(action)) {
    std::cerr << "quire doc: unknown action '" << action << "'; see 'quire help doc'\n";
    return kExitUsage;
  }
  const audit::Actor actor = LocalActor(opt["as"]);
  static const std::set<std::string> read_only{"show", "versions", "search", "sweep"};
  const bool type_list = action == "type" && !positional.empty() && positional[0] == "list";
  if (!read_only.contains(action) && !type_list && opt["as"].empty()) {
    std::cerr << "quire doc " << action << ": say who is acting with --as USER\n";
    return kExitUsage;
  }
  auto session =
      OpenSession("doc", opt["data-dir"],
                  {.create = action == "put" || action == "type", .search = action == "search"});
  if (!session) return kExitFailure;
  dms::DocumentStore& docs = session->documents();
  auto fail = [&](const Error& e) {
    PrintError("doc " + action, e);
    return kExitFailure;
  };
  auto need = [&](std::size_t n, const char* what) {
    if (positional.size() < n) {
      std::cerr << "quire doc " << action << ": name " << what << "\n";
      return false;
    }
    return true;
  };
  auto id_at = [&](std::size_t i) -> std::optional<dms::DocumentId> {
    char* end = nullptr;
    const std::uint64_t id = std::strtoull(positional[i].c_str(), &end, 10);
    if (*end != '\0' || id == 0) {
      std::cerr << "quire doc " << action << ": '" << positional[i] << "' is not a document id\n";
      return std::nullopt;
    }
    return id;
  };

  if (action == "type") {
    if (type_list) {
      auto types = docs.ListTypes();
      if (!types) return fail(types.error());
      for (const auto& t : *types) std::cout << quire::JsonText(t.ToJson()) << "\n";
      return kExitOk;
    }
    if (positional.size() < 2 || positional[0] != "put") {
      std::cerr << "quire doc type: use 'put FILE.json' or 'list'\n";
      return kExitUsage;
    }
    std::ifstream in(positional[1]);
    if (!in) return fail(Error::NotFound("cannot read " + positional[1]));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec) return fail(Error::InvalidArgument(positional[1] + " is not JSON: " + ec.message()));
    auto t = dms::ParseDocumentType(v);
    if (!t) return fail(t.error());
    if (auto r = docs.PutType(*t, actor); !r) return fail(r.error());
    std::cout << "document type '" << t->id << "' declared\n";
    return kExitOk;
  }
  if (action == "sweep") {
    auto r = docs.Sweep();
    if (!r) return fail(r.error());
    std::cout << "reclaimed " << r->contents_removed << " contents, " << r->chunks_removed
              << " chunks, " << r->bytes_removed << " bytes\n";
    return kExitOk;
  }
  if (action == "search") {
    dms::DocumentQuery q;
    q.type = opt["type"];
    q.text = opt["q"];
    q.limit = std::strtoull(opt["limit"].c_str(), nullptr, 10);
    if (q.limit == 0 || q.limit > 10'000) {
      std::cerr << "quire doc search: --limit must be a whole number from 1 to 10000\n";
      return kExitUsage;
    }
    for (const std::string& l : links) {
      auto link = dms::ParseLink(l);
      if (!link) return fail(link.error());
      q.links.push_back(*link);
    }
    for (const std::string& m : metas) {
      auto c = ParseCondition(m);
      if (!c) return fail(Error::InvalidArgument("--meta '" + m + "': write FIELD=V or FIELD>=V"));
      q.fields.push_back(*c);
    }
    if (auto r = session->search()->WaitIndexed(); !r) return fail(r.error());
    auto r = session->search()->Search(q);
    if (!r) return fail(r.error());
    for (const auto& d : r->documents) PrintDoc(d);
    return kExitOk;
  }
  if (action == "put") {
    if (!need(1, "the file to store")) return kExitUsage;
    std::ifstream in(positional[0], std::ios::binary);
    if (!in) return fail(Error::NotFound("cannot read " + positional[0]));
    dms::NewDocument d;
    d.title = opt.contains("title") ? opt["title"]
                                    : std::filesystem::path(positional[0]).filename().string();
    d.type = opt["type"];
    d.comment = opt["comment"];
    d.actor = actor;
    for (const std::string& m : metas) {
      const std::size_t eq = m.find('=');
      if (eq == std::string::npos) {
        return fail(Error::InvalidArgument("--meta '" + m + "': write FIELD=VALUE"));
      }
      d.metadata[m.substr(0, eq)] = m.substr(eq + 1);
    }
    for (const std::string& l : links) {
      auto link = dms::ParseLink(l);
      if (!link) return fail(link.error());
      d.links.push_back(*link);
    }
    dms::StreamSource source(in);
    auto r = docs.Create(d, source);
    if (!r) return fail(r.error());
    PrintDoc(*r);
    return kExitOk;
  }
  if (!need(1, "the document id")) return kExitUsage;
  const auto id = id_at(0);
  if (!id) return kExitUsage;
  std::optional<std::uint32_t> version;
  if (opt.contains("version")) {
    version = static_cast<std::uint32_t>(std::strtoul(opt["version"].c_str(), nullptr, 10));
  }
  if (action == "get") {
    Result<dms::VersionInfo> r = Error::Internal("unreached");
    if (opt.contains("out")) {
      std::ofstream out(opt["out"], std::ios::binary | std::ios::trunc);
      if (!out) return fail(Error::Unavailable("cannot write " + opt["out"]));
      OstreamSink sink(out);
      r = docs.Read(*id, version, actor, sink);
    } else {
      OstreamSink sink(std::cout);
      r = docs.Read(*id, version, actor, sink);
    }
    if (!r) return fail(r.error());
    return kExitOk;
  }
  if (action == "show") {
    auto r = docs.Get(*id);
    if (!r) return fail(r.error());
    PrintDoc(*r);
    return kExitOk;
  }
  if (action == "versions") {
    auto r = docs.Versions(*id);
    if (!r) return fail(r.error());
    for (const auto& v : *r) std::cout << quire::JsonText(v.ToJson()) << "\n";
    return kExitOk;
  }
  Result<dms::DocumentInfo> r = Error::Internal("unreached");
  if (action == "checkout") {
    r = docs.CheckOut(*id, actor);
  } else if (action == "cancel-checkout") {
    r = docs.CancelCheckOut(*id, actor);
  } else if (action == "checkin") {
    if (!need(2, "the file to check in")) return kExitUsage;
    std::ifstream in(positional[1], std::ios::binary);
    if (!in) return fail(Error::NotFound("cannot read " + positional[1]));
    dms::StreamSource source(in);
    r = docs.CheckIn(*id, source, actor, opt["comment"]);
  } else if (action == "link" || action == "unlink") {
    if (!need(2, "the link, KIND:ID")) return kExitUsage;
    auto link = dms::ParseLink(positional[1]);
    if (!link) return fail(link.error());
    r = action == "link" ? docs.AddLink(*id, *link, actor) : docs.RemoveLink(*id, *link, actor);
  } else if (action == "hold") {
    r = docs.SetHold(*id, true, opt["reason"], actor);
  } else if (action == "release") {
    r = docs.SetHold(*id, false, opt["reason"], actor);
  } else if (action == "delete") {
    if (auto d = docs.Delete(*id, actor, opt["reason"]); !d) return fail(d.error());
    std::cout << "document " << *id << " deleted (a tombstone stays)\n";
    return kExitOk;
  }
  if (!r) return fail(r.error());
  PrintDoc(*r);
  return kExitOk;
}

}  // namespace quire::app
