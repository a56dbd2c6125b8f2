#include "quire/services/notification_mailer.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <iostream>

#include "quire/storage/key_codec.h"

namespace quire::services {
namespace json = boost::json;
namespace {

using storage::ColumnFamily;
using storage::KeyEncoder;

std::string SentKey(std::uint64_t id) { return KeyEncoder().U8('e').U64(id).Take(); }
// Notifications up to this id were queued before Quire mailed them: never mailed (a first
// start after an upgrade would otherwise mail every one still unacknowledged).
const std::string kWatermarkKey = KeyEncoder().U8('w').String("notifications").Take();
std::string PreferencesKey(std::string_view user) {
  return KeyEncoder().U8('p').String(user).Take();
}

std::string Str(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::uint64_t Num(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64()) return static_cast<std::uint64_t>(v->get_int64());
  return 0;
}

// Quire's own words when no template is defined.
void DefaultText(bool escalation, const std::string& language, const json::object& c,
                 std::string& subject, std::string& text) {
  const std::string task = Str(c.at("task").as_object(), "name");
  const std::string id = Str(c.at("task").as_object(), "id");
  const std::string path = Str(c.at("task").as_object(), "url");
  const std::string by = Str(c, "by");
  if (language == "en") {
    subject = escalation ? "Escalated: " + task : "A task for you: " + task;
    text = escalation ? "Task " + id + " \"" + task + "\" is escalated: it needs attention.\n"
                      : "Task " + id + " \"" + task + "\" was given to you" +
                            (by.empty() ? std::string() : " by " + by) + ".\n";
    text += "Open it in Quire: " + path + "\n";
  } else {
    subject = escalation ? "Eskalacja: " + task : "Nowe zadanie dla Ciebie: " + task;
    text = escalation ? "Zadanie " + id + " „" + task + "” zostało eskalowane: wymaga uwagi.\n"
                      : "Zadanie " + id + " „" + task + "” zostało Ci przydzielone" +
                            (by.empty() ? std::string() : " przez " + by) + ".\n";
    text += "Otwórz je w Quire: " + path + "\n";
  }
}

}  // namespace

json::object NotificationPreferences::ToJson() const {
  return {{"taskAssigned", task_assigned}, {"escalation", escalation}, {"language", language}};
}

NotificationMailer::NotificationMailer(storage::Store& store, org::Directory& directory,
                                       mail::Outbox& outbox, mail::TemplateStore& templates,
                                       std::string public_url)
    : store_(store),
      directory_(directory),
      outbox_(outbox),
      templates_(templates),
      public_url_(std::move(public_url)) {}

NotificationMailer::~NotificationMailer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<NotificationPreferences> NotificationMailer::Preferences(const std::string& user) const {
  NotificationPreferences p;
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                         store_.Get(ColumnFamily::kOutbox, PreferencesKey(user)));
  if (!raw) return p;
  json::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return Error::Corruption("notification preferences are not JSON");
  const json::object& o = v.get_object();
  if (const json::value* b = o.if_contains("taskAssigned"); b && b->is_bool()) {
    p.task_assigned = b->get_bool();
  }
  if (const json::value* b = o.if_contains("escalation"); b && b->is_bool()) {
    p.escalation = b->get_bool();
  }
  if (std::string l = Str(o, "language"); !l.empty()) p.language = l;
  return p;
}

Result<NotificationPreferences> NotificationMailer::SetPreferences(const std::string& user,
                                                                   const json::object& fields) {
  QUIRE_ASSIGN_OR_RETURN(NotificationPreferences p, Preferences(user));
  for (const auto& kv : fields) {
    const std::string_view k = kv.key();
    if (k == "taskAssigned" || k == "escalation") {
      if (!kv.value().is_bool()) {
        return Error::InvalidArgument("'" + std::string(k) + "' is true or false");
      }
      (k == "taskAssigned" ? p.task_assigned : p.escalation) = kv.value().get_bool();
    } else if (k == "language") {
      if (!kv.value().is_string() ||
          (kv.value().get_string() != "pl" && kv.value().get_string() != "en")) {
        return Error::InvalidArgument("'language' is pl or en");
      }
      p.language = std::string(kv.value().get_string());
    } else {
      return Error::InvalidArgument("'" + std::string(k) +
                                    "' is not a preference: taskAssigned, escalation, language");
    }
  }
  storage::WriteBatch batch;
  batch.Put(ColumnFamily::kOutbox, PreferencesKey(user), json::serialize(p.ToJson()));
  QUIRE_RETURN_IF_ERROR(store_.Write(batch));
  return p;
}

Result<void> NotificationMailer::Prepare() {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> mark,
                         store_.Get(ColumnFamily::kOutbox, kWatermarkKey));
  if (mark) return Ok();
  // The first start on this store: what is queued already is old news.
  std::uint64_t watermark = 0;
  auto old = store_.ScanPrefix(ColumnFamily::kIndexes, "N");
  for (; old.Valid(); old.Next()) {
    json::error_code ec;
    json::value v = json::parse(old.value(), ec);
    if (!ec && v.is_object()) watermark = std::max(watermark, Num(v.get_object(), "id"));
  }
  QUIRE_RETURN_IF_ERROR(old.status());
  storage::WriteBatch first;
  first.Put(ColumnFamily::kOutbox, kWatermarkKey, std::to_string(watermark));
  return store_.Write(first);
}

Result<int> NotificationMailer::RunOnce() {
  int handled = 0;
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> mark,
                         store_.Get(ColumnFamily::kOutbox, kWatermarkKey));
  std::uint64_t watermark = 0;
  if (mark) std::from_chars(mark->data(), mark->data() + mark->size(), watermark);
  auto it = store_.ScanPrefix(ColumnFamily::kIndexes, "N");
  std::vector<json::object> pending;
  for (; it.Valid() && pending.size() < 500; it.Next()) {
    json::error_code ec;
    json::value v = json::parse(it.value(), ec);
    if (ec || !v.is_object()) continue;
    const std::uint64_t id = Num(v.get_object(), "id");
    if (id <= watermark) continue;
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> sent,
                           store_.Get(ColumnFamily::kOutbox, SentKey(id)));
    if (!sent) pending.push_back(std::move(v.get_object()));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  for (const json::object& n : pending) {
    const std::uint64_t id = Num(n, "id");
    const std::string to = Str(n, "to");
    const bool escalation = Str(n, "kind") == "escalation";
    std::vector<std::string> people;
    if (auto user = directory_.GetUser(to)) {
      people.push_back(to);
    } else if (auto members = directory_.Members(to)) {
      people = std::move(*members);
    }
    for (const std::string& person : people) {
      auto user = directory_.GetUser(person);
      if (!user || !user->active || user->email.empty()) continue;
      QUIRE_ASSIGN_OR_RETURN(NotificationPreferences p, Preferences(person));
      if (escalation ? !p.escalation : !p.task_assigned) continue;
      const std::string task_id = std::to_string(Num(n, "task"));
      json::object context{{"task", json::object{{"id", task_id},
                                                 {"name", Str(n, "name")},
                                                 {"path", "/tasks/" + task_id},
                                                 {"url", public_url_ + "/tasks/" + task_id}}},
                           {"user", json::object{{"id", person}, {"name", user->name}}},
                           {"by", Str(n, "by")}};
      mail::NewMessage m;
      const std::string template_name = escalation ? "task.escalated" : "task.assigned";
      auto rendered = templates_.Render(template_name, p.language, context);
      if (rendered && rendered->missing.empty()) {
        m.subject = std::move(rendered->subject);
        m.text = std::move(rendered->text);
      } else {
        DefaultText(escalation, p.language, context, m.subject, m.text);
      }
      m.to = {user->email};
      m.purpose = escalation ? "escalation" : "task.assigned";
      m.key = "notification/" + std::to_string(id) + "/" + person;
      if (auto queued = outbox_.Queue(std::move(m), {"system", "notifications"}); !queued) {
        std::cerr << "quire: cannot mail notification " << id << " to " << person << ": "
                  << queued.error().message() << "\n";
      }
    }
    storage::WriteBatch done;
    done.Put(ColumnFamily::kOutbox, SentKey(id), "");
    QUIRE_RETURN_IF_ERROR(store_.Write(done));
    ++handled;
  }
  return handled;
}

void NotificationMailer::Start(std::chrono::milliseconds period) {
  thread_ = std::thread([this, period] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      if (auto r = RunOnce(); !r) {
        std::cerr << "quire: task notifications by e-mail: " << r.error().message() << "\n";
      }
      lock.lock();
      cv_.wait_for(lock, period, [this] { return stop_; });
    }
  });
}

}  // namespace quire::services
