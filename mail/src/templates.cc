#include "quire/mail/templates.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "quire/storage/key_codec.h"

namespace quire::mail {
namespace json = boost::json;
namespace {

constexpr storage::ColumnFamily kCf = storage::ColumnFamily::kOutbox;

std::string TemplateKey(std::string_view name) {
  return storage::KeyEncoder().U8('t').String(name).Take();
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool PathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// The problem with the placeholders of `text`, or "".
std::string PlaceholderProblem(std::string_view text) {
  std::size_t at = 0;
  while ((at = text.find("{{", at)) != std::string_view::npos) {
    const std::size_t end = text.find("}}", at + 2);
    if (end == std::string_view::npos) {
      return "a placeholder opened at character " + std::to_string(at + 1) +
             " is not closed with }}";
    }
    std::string_view path = text.substr(at + 2, end - at - 2);
    while (!path.empty() && path.front() == ' ') path.remove_prefix(1);
    while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
    if (path.empty()) return "an empty placeholder {{}} at character " + std::to_string(at + 1);
    for (char c : path) {
      if (!PathChar(c)) {
        return "{{" + std::string(path) +
               "}} is not a placeholder: names of letters, digits and _ joined by dots "
               "({{customer.name}})";
      }
    }
    at = end + 2;
  }
  return "";
}

const json::value* Lookup(const json::object& context, std::string_view path) {
  const json::value* v = nullptr;
  const json::object* o = &context;
  const json::array* a = nullptr;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (o != nullptr) {
      v = o->if_contains(part);
    } else if (a != nullptr) {
      std::size_t i = 0;
      for (char c : part) {
        if (c < '0' || c > '9') return nullptr;
        i = i * 10 + static_cast<std::size_t>(c - '0');
      }
      v = i < a->size() ? &(*a)[i] : nullptr;
    } else {
      return nullptr;
    }
    if (v == nullptr) return nullptr;
    o = v->if_object();
    a = v->if_array();
  }
  return v;
}

}  // namespace

std::string Fill(std::string_view text, const json::object& context,
                 std::vector<std::string>& missing) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(at, open - at));
    std::string_view path = text.substr(open + 2, close - open - 2);
    while (!path.empty() && path.front() == ' ') path.remove_prefix(1);
    while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
    const json::value* v = Lookup(context, path);
    if (v == nullptr || v->is_null()) {
      missing.emplace_back(path);
    } else if (v->is_string()) {
      out.append(v->get_string());
    } else if (v->is_bool()) {
      out.append(v->get_bool() ? "true" : "false");
    } else if (v->is_double()) {  // 1234.5, as people write it (not 1.2345E3)
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v->get_double());
      out.append(buf, ec == std::errc() ? end : buf);
    } else {
      out.append(json::serialize(*v));
    }
    at = close + 2;
  }
  out.append(text.substr(at));
  return out;
}

TemplateStore::TemplateStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock)
    : store_(store), audit_(audit), clock_(clock) {}

Result<json::object> TemplateStore::Put(std::string_view name, const json::object& body,
                                        const audit::Actor& actor) {
  std::vector<ErrorDetail> problems;
  if (!ValidName(name)) {
    problems.push_back({"name", "'" + std::string(name) +
                                    "' is not a template name: lower-case letters, digits, "
                                    "'.', '-' and '_', starting with a letter"});
  }
  for (const auto& kv : body) {
    if (kv.key() != "description" && kv.key() != "languages" && kv.key() != "name") {
      problems.push_back({std::string(kv.key()),
                          "is not a field of a template (description, "
                          "languages)"});
    }
  }
  json::object stored;
  stored["name"] = name;
  if (const json::value* d = body.if_contains("description")) {
    if (d->is_string()) {
      stored["description"] = *d;
    } else {
      problems.push_back({"description", "must be a string"});
    }
  }
  const json::value* languages = body.if_contains("languages");
  if (languages == nullptr || !languages->is_object() || languages->get_object().empty()) {
    problems.push_back({"languages", "is required: {\"pl\": {\"subject\", \"text\"}, ...}"});
  } else {
    json::object out;
    for (const auto& kv : languages->get_object()) {
      const std::string at = "languages." + std::string(kv.key());
      const std::string_view lang = kv.key();
      if (lang.size() < 2 || lang.size() > 8) {
        problems.push_back({at, "is not a language tag (pl, en, de, ...)"});
        continue;
      }
      if (!kv.value().is_object()) {
        problems.push_back({at, "must be {\"subject\", \"text\"}"});
        continue;
      }
      const json::object& l = kv.value().get_object();
      json::object one;
      for (const char* field : {"subject", "text"}) {
        const json::value* v = l.if_contains(field);
        // A template only for SMS needs no subject.
        if (std::string_view(field) == "subject" && v == nullptr) {
          one[field] = "";
          continue;
        }
        if (v == nullptr || !v->is_string() || v->get_string().empty()) {
          problems.push_back({at + "." + field, "is required (text)"});
          continue;
        }
        if (std::string p = PlaceholderProblem(v->get_string()); !p.empty()) {
          problems.push_back({at + "." + field, p});
        }
        if (std::string_view(field) == "subject" &&
            std::string_view(v->get_string()).find_first_of("\r\n") != std::string_view::npos) {
          problems.push_back({at + ".subject", "is one line: no line breaks"});
        }
        one[field] = *v;
      }
      for (const auto& f : l) {
        if (f.key() != "subject" && f.key() != "text") {
          problems.push_back({at + "." + std::string(f.key()), "is not known: subject, text"});
        }
      }
      out[lang] = std::move(one);
    }
    stored["languages"] = std::move(out);
  }
  if (!problems.empty()) {
    return Error::ValidationFailed("the template has " + std::to_string(problems.size()) +
                                       (problems.size() == 1 ? " error" : " errors") +
                                       "; nothing was changed",
                                   std::move(problems));
  }
  std::lock_guard lock(write_mu_);
  storage::WriteBatch batch;
  batch.Put(kCf, TemplateKey(name), json::serialize(stored));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "mail.template.put", "mail-template/" + std::string(name), {}});
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), clock_.Now()));
  return stored;
}

Result<json::object> TemplateStore::Get(std::string_view name) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kCf, TemplateKey(name)));
  if (!raw) {
    return Error::NotFound("there is no mail template '" + std::string(name) +
                           "': PUT /api/mail/templates/" + std::string(name) + " makes one");
  }
  json::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return Error::Corruption("a mail template is not JSON");
  return std::move(v.get_object());
}

Result<std::vector<json::object>> TemplateStore::List() const {
  std::vector<json::object> out;
  auto it = store_.ScanPrefix(kCf, "t");
  for (; it.Valid(); it.Next()) {
    json::error_code ec;
    json::value v = json::parse(it.value(), ec);
    if (ec || !v.is_object()) return Error::Corruption("a mail template is not JSON");
    out.push_back(std::move(v.get_object()));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<void> TemplateStore::Delete(std::string_view name, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_RETURN_IF_ERROR(Get(name));
  storage::WriteBatch batch;
  batch.Delete(kCf, TemplateKey(name));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, "mail.template.deleted", "mail-template/" + std::string(name), {}});
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), clock_.Now()));
  return Ok();
}

Result<Rendered> TemplateStore::Render(std::string_view name, std::string_view language,
                                       const json::object& context) const {
  QUIRE_ASSIGN_OR_RETURN(json::object t, Get(name));
  const json::object& languages = t.at("languages").as_object();
  const json::value* chosen = nullptr;
  std::string used;
  for (std::string_view want : {language, std::string_view("pl"), std::string_view("en")}) {
    if (want.empty()) continue;
    if (const json::value* v = languages.if_contains(want)) {
      chosen = v;
      used = want;
      break;
    }
  }
  if (chosen == nullptr) {
    chosen = &languages.begin()->value();
    used = languages.begin()->key();
  }
  Rendered r;
  r.language = used;
  r.subject = Fill(chosen->at("subject").as_string(), context, r.missing);
  r.text = Fill(chosen->at("text").as_string(), context, r.missing);
  return r;
}

}  // namespace quire::mail
