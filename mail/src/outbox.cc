#include "quire/mail/outbox.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <iostream>
#include <regex>

#include "quire/base/instant.h"
#include "quire/mail/sms.h"
#include "quire/storage/key_codec.h"

namespace quire::mail {
namespace json = boost::json;
namespace {

using storage::ColumnFamily;
using storage::KeyDecoder;
using storage::KeyEncoder;

constexpr ColumnFamily kCf = ColumnFamily::kOutbox;
constexpr std::size_t kMaxRecipients = 50;
constexpr std::size_t kMaxText = 1 << 20;
constexpr std::size_t kMaxAttachments = 10;
constexpr std::size_t kMaxSmsText = 1000;

const std::string kLastIdKey = "c";
std::string MessageKey(MessageId id) { return KeyEncoder().U8('m').U64Desc(id).Take(); }
std::string StatusKey(std::string_view status, MessageId id) {
  return KeyEncoder().U8('s').String(status).U64Desc(id).Take();
}
char DueTag(std::string_view channel) { return channel == "sms" ? 'D' : 'd'; }
std::string DuePrefix(std::string_view channel) { return std::string(1, DueTag(channel)); }
std::string DueKey(std::string_view channel, Timestamp due, MessageId id) {
  return KeyEncoder().U8(DueTag(channel)).I64(due.time_since_epoch().count()).U64(id).Take();
}
std::string OnceKey(std::string_view key) { return KeyEncoder().U8('k').String(key).Take(); }
std::string LogKey(MessageId id, int attempt) {
  return KeyEncoder().U8('l').U64(id).U32(static_cast<std::uint32_t>(attempt)).Take();
}

// An address as people write it (local@domain), no display name, no spaces or controls.
const std::regex kAddress(
    R"([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)");

bool HasLineBreak(std::string_view s) {
  return s.find('\r') != std::string_view::npos || s.find('\n') != std::string_view::npos;
}

json::value Time(const std::optional<Timestamp>& t) {
  return t ? json::value(FormatInstant(*t)) : json::value(nullptr);
}

Timestamp ReadTime(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return Timestamp{};
  auto t = ParseInstant(v->get_string());
  return t ? *t : Timestamp{};
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A decimal id; nullopt for anything else (never throws).
std::optional<std::uint64_t> ParseId(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::uint64_t Id(const json::object& o, std::string_view key) {
  return ParseId(Str(o, key)).value_or(0);
}

Result<Message> FromStoredOrThrow(std::string_view bytes) {
  json::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return Error::Corruption("an outbox message is not JSON");
  const json::object& o = v.get_object();
  Message m;
  m.id = Id(o, "id");
  m.channel = o.contains("channel") ? Str(o, "channel") : "email";
  m.kind = Str(o, "kind");
  for (const json::value& a : o.at("to").as_array()) m.to.emplace_back(a.as_string());
  m.subject = Str(o, "subject");
  m.text = Str(o, "text");
  for (const json::value& a : o.at("attachments").as_array()) {
    AttachmentRef r;
    r.document = Id(a.as_object(), "document");
    r.version = static_cast<std::uint32_t>(a.as_object().at("version").to_number<std::int64_t>());
    m.attachments.push_back(r);
  }
  m.contact = Id(o, "contact");
  m.purpose = Str(o, "purpose");
  m.key = Str(o, "key");
  m.status = Str(o, "status");
  m.attempts = static_cast<int>(o.at("attempts").to_number<std::int64_t>());
  m.bounced = o.at("bounced").as_bool();
  m.message_id = Str(o, "messageId");
  m.last_reply = Str(o, "lastReply");
  m.created_by = Str(o, "createdBy");
  m.created_at = ReadTime(o, "createdAt");
  m.next_attempt_at = ReadTime(o, "nextAttemptAt");
  if (const json::value* s = o.if_contains("sentAt"); s != nullptr && s->is_string()) {
    m.sent_at = ReadTime(o, "sentAt");
  }
  return m;
}

// A stored message whose JSON lacks a member or has one of another type is corrupt, not a
// reason to end the process.
Result<Message> FromStored(std::string_view bytes) {
  try {
    return FromStoredOrThrow(bytes);
  } catch (const std::exception& e) {
    return Error::Corruption(std::string("an outbox message is malformed: ") + e.what());
  }
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The domain of the From address, for Message-IDs: "quire@example.com" → "example.com".
std::string DomainOf(const std::string& from) {
  const std::size_t at = from.rfind('@');
  if (at == std::string::npos) return "quire.invalid";
  std::string d = from.substr(at + 1);
  d.erase(std::remove_if(d.begin(), d.end(), [](char c) { return c == '>' || c == ' '; }), d.end());
  return d.empty() ? "quire.invalid" : d;
}

std::string Object(MessageId id) { return "mail/" + std::to_string(id); }
// The audit action for a change of a message: mail.sent, sms.sent, ...
std::string Action(const Message& m, std::string_view what) {
  return (m.channel == "sms" ? "sms." : "mail.") + std::string(what);
}

// Characters, not bytes: a Polish SMS is counted as people count it.
std::size_t CodePoints(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

json::object Message::ToJson() const {
  json::array recipients;
  for (const std::string& a : to) recipients.emplace_back(a);
  json::array files;
  for (const AttachmentRef& r : attachments) {
    files.push_back(json::object{{"document", std::to_string(r.document)}, {"version", r.version}});
  }
  return {{"id", std::to_string(id)},
          {"channel", channel},
          {"kind", kind},
          {"purpose", purpose},
          {"key", key},
          {"to", std::move(recipients)},
          {"subject", subject},
          {"text", text},
          {"attachments", std::move(files)},
          {"contact", contact == 0 ? json::value(nullptr) : json::value(std::to_string(contact))},
          {"status", status},
          {"attempts", attempts},
          {"bounced", bounced},
          {"messageId", message_id},
          {"lastReply", last_reply},
          {"createdBy", created_by},
          {"createdAt", FormatInstant(created_at)},
          {"nextAttemptAt", status == "queued" ? Time(next_attempt_at) : json::value(nullptr)},
          {"sentAt", Time(sent_at)}};
}

json::object DeliveryEvent::ToJson() const {
  return {{"attempt", attempt},
          {"attemptedAt", FormatInstant(at)},
          {"outcome", outcome},
          {"reply", reply}};
}

Outbox::Outbox(storage::Store& store, audit::AuditLog& audit, OutboxOptions options)
    : store_(store), audit_(audit), options_(std::move(options)) {}

Result<std::unique_ptr<Outbox>> Outbox::Open(storage::Store& store, audit::AuditLog& audit,
                                             OutboxOptions options) {
  if (sodium_init() < 0) return Error::Internal("libsodium failed to start");
  std::unique_ptr<Outbox> box(new Outbox(store, audit, std::move(options)));
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> last, store.Get(kCf, kLastIdKey));
  if (last) {
    const std::optional<std::uint64_t> id = ParseId(*last);
    if (!id) return Error::Corruption("the outbox's last id is not a number");
    box->last_id_ = *id;
  }
  std::uint64_t queued = 0;
  for (std::string_view channel : {"email", "sms"}) {
    auto it = store.ScanPrefix(kCf, DuePrefix(channel));
    for (; it.Valid(); it.Next()) ++queued;
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  box->queued_ = queued;
  return box;
}

Outbox::~Outbox() {
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (sender_.joinable()) sender_.join();
}

Result<void> Outbox::Put(storage::WriteBatch& batch, const Message& m,
                         const Message* before) const {
  batch.Put(kCf, MessageKey(m.id), json::serialize(m.ToJson()));
  if (before != nullptr) {
    if (before->status != m.status) batch.Delete(kCf, StatusKey(before->status, m.id));
    if (before->status == "queued") {
      batch.Delete(kCf, DueKey(before->channel, before->next_attempt_at, m.id));
    }
  }
  batch.Put(kCf, StatusKey(m.status, m.id), "");
  if (m.status == "queued") batch.Put(kCf, DueKey(m.channel, m.next_attempt_at, m.id), "");
  return Ok();
}

namespace {

// What is wrong with a message, one detail per field.
std::vector<ErrorDetail> Problems(NewMessage& n) {
  std::vector<ErrorDetail> problems;
  if (n.kind != "transactional" && n.kind != "marketing") {
    problems.push_back(
        {"kind", "'" + n.kind + "' is not a kind of message: transactional or marketing"});
  }
  if (n.channel == "sms") {
    if (n.to.size() != 1) {
      problems.push_back({"to", "an SMS goes to one number"});
    } else if (!IsE164(n.to.front())) {
      problems.push_back({"to[0]", "'" + n.to.front() +
                                       "' is not a phone number in the international form "
                                       "(+48601234567)"});
    }
    if (n.text.empty()) problems.push_back({"text", "is required"});
    if (CodePoints(n.text) > kMaxSmsText) {
      problems.push_back({"text", "has " + std::to_string(CodePoints(n.text)) +
                                      " characters; an SMS has at most " +
                                      std::to_string(kMaxSmsText)});
    }
    if (!n.attachments.empty()) problems.push_back({"attachments", "an SMS has none"});
    n.subject.clear();
    return problems;
  }
  if (n.channel != "email") {
    problems.push_back({"channel", "'" + n.channel + "' is not a channel: email or sms"});
    return problems;
  }
  if (n.to.empty()) problems.push_back({"to", "is required: at least one address"});
  if (n.to.size() > kMaxRecipients) {
    problems.push_back({"to", "has " + std::to_string(n.to.size()) + " addresses; at most " +
                                  std::to_string(kMaxRecipients) + " per message"});
  }
  for (std::size_t i = 0; i < n.to.size(); ++i) {
    if (!std::regex_match(n.to[i], kAddress)) {
      problems.push_back({"to[" + std::to_string(i) + "]",
                          "'" + n.to[i] + "' is not an e-mail address (name@example.com)"});
    }
  }
  if (n.subject.empty()) problems.push_back({"subject", "is required"});
  if (HasLineBreak(n.subject)) problems.push_back({"subject", "is one line: no line breaks"});
  if (n.subject.size() > 998) problems.push_back({"subject", "is longer than 998 bytes"});
  if (n.text.size() > kMaxText) problems.push_back({"text", "is longer than 1 MiB"});
  if (n.attachments.size() > kMaxAttachments) {
    problems.push_back({"attachments", "at most " + std::to_string(kMaxAttachments)});
  }
  return problems;
}

}  // namespace

Result<Message> Outbox::Queue(NewMessage n, const audit::Actor& actor) {
  if (std::vector<ErrorDetail> problems = Problems(n); !problems.empty()) {
    return Error::ValidationFailed(std::string(n.channel == "sms" ? "the SMS" : "the message") +
                                       " has " + std::to_string(problems.size()) +
                                       (problems.size() == 1 ? " error" : " errors") +
                                       "; nothing was queued",
                                   std::move(problems));
  }
  if (n.key.size() > 200) {
    return Error::ValidationFailed("the message has 1 error; nothing was queued",
                                   {{"key", "is longer than 200 bytes"}});
  }
  if (!n.key.empty()) {  // queued before under this key: that one
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> seen, store_.Get(kCf, OnceKey(n.key)));
    if (seen) return Get(ParseId(*seen).value_or(0));
  }
  if (options_.check) QUIRE_RETURN_IF_ERROR(options_.check(n));
  Message m;
  static_cast<NewMessage&>(m) = std::move(n);
  m.status = "queued";
  m.created_by = actor.id;
  m.created_at = options_.clock->Now();
  m.next_attempt_at = m.created_at;
  json::object details{{"kind", m.kind}, {"recipients", m.to.size()}, {"purpose", m.purpose}};
  if (m.contact != 0) details["contact"] = "contact/" + std::to_string(m.contact);
  {
    std::lock_guard lock(write_mu_);
    if (!m.key.empty()) {  // two at once under one key: the second finds the first here
      QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> seen, store_.Get(kCf, OnceKey(m.key)));
      if (seen) return Get(ParseId(*seen).value_or(0));
    }
    m.id = last_id_ + 1;
    m.message_id = m.channel == "sms" ? "quire-" + std::to_string(m.id) + "-" + RandomHex(8)
                                      : "<quire." + std::to_string(m.id) + "." + RandomHex(8) +
                                            "@" + DomainOf(options_.from) + ">";
    storage::WriteBatch batch;
    batch.Put(kCf, kLastIdKey, std::to_string(m.id));
    if (!m.key.empty()) batch.Put(kCf, OnceKey(m.key), std::to_string(m.id));
    QUIRE_RETURN_IF_ERROR(Put(batch, m, nullptr));
    std::vector<audit::EntryFields> entries;
    entries.push_back({actor, Action(m, "queued"), Object(m.id), std::move(details)});
    QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), m.created_at));
    last_id_ = m.id;
    ++queued_;
  }
  Wake();
  return m;
}

Result<Message> Outbox::Get(MessageId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(kCf, MessageKey(id)));
  if (!raw) return Error::NotFound("there is no message " + std::to_string(id) + " in the outbox");
  return FromStored(*raw);
}

Result<std::vector<DeliveryEvent>> Outbox::Log(MessageId id) const {
  std::vector<DeliveryEvent> out;
  auto it = store_.ScanPrefix(kCf, KeyEncoder().U8('l').U64(id).Take());
  for (; it.Valid(); it.Next()) {
    json::error_code ec;
    json::value v = json::parse(it.value(), ec);
    if (ec || !v.is_object()) return Error::Corruption("a delivery log entry is not JSON");
    const json::object& o = v.get_object();
    DeliveryEvent e;
    e.attempt = static_cast<int>(o.at("attempt").to_number<std::int64_t>());
    e.at = ReadTime(o, "attemptedAt");
    e.outcome = Str(o, "outcome");
    e.reply = Str(o, "reply");
    out.push_back(std::move(e));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<Outbox::Page> Outbox::List(std::string_view status, std::size_t limit,
                                  std::string_view after) const {
  static constexpr std::string_view kStatuses[] = {"queued", "sent", "failed", "cancelled"};
  if (!status.empty() &&
      std::find(std::begin(kStatuses), std::end(kStatuses), status) == std::end(kStatuses)) {
    return Error::InvalidArgument("'" + std::string(status) +
                                  "' is not a status of a message: queued, sent, failed or "
                                  "cancelled");
  }
  MessageId from = 0;
  if (!after.empty()) {
    const std::optional<std::uint64_t> id = ParseId(after);
    if (!id) return Error::InvalidArgument("'after' is the next of the page before (a message id)");
    from = *id;
  }
  const std::string prefix =
      status.empty() ? KeyEncoder().U8('m').Take() : KeyEncoder().U8('s').String(status).Take();
  const std::string begin =
      from == 0 ? prefix : (status.empty() ? MessageKey(from - 1) : StatusKey(status, from - 1));
  if (from == 1) return Page{};
  Page page;
  std::vector<MessageId> ids;
  auto it = store_.Scan(kCf, begin, KeyEncoder().U8(status.empty() ? 'n' : 't').Take());
  for (; it.Valid() && ids.size() <= limit; it.Next()) {
    if (!it.key().starts_with(prefix)) break;
    KeyDecoder d(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(MessageId id, d.U64Desc());
    ids.push_back(id);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  const bool more = ids.size() > limit;
  if (more) ids.pop_back();
  for (MessageId id : ids) {
    QUIRE_ASSIGN_OR_RETURN(Message m, Get(id));
    page.items.push_back(std::move(m));
  }
  if (more) page.next = std::to_string(ids.back());
  return page;
}

Result<Message> Outbox::Retry(MessageId id, const audit::Actor& actor) {
  Message m;
  {
    std::lock_guard lock(write_mu_);
    QUIRE_ASSIGN_OR_RETURN(Message before, Get(id));
    if (before.status != "failed") {
      return Error::Conflict("message " + std::to_string(id) + " is " + before.status +
                             ": only a failed message is sent again");
    }
    m = before;
    m.status = "queued";
    m.attempts = 0;
    m.next_attempt_at = options_.clock->Now();
    storage::WriteBatch batch;
    QUIRE_RETURN_IF_ERROR(Put(batch, m, &before));
    std::vector<audit::EntryFields> entries;
    entries.push_back({actor, Action(m, "retried"), Object(id), {}});
    QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), m.next_attempt_at));
    ++queued_;
  }
  Wake();
  return m;
}

Result<Message> Outbox::Cancel(MessageId id, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Message before, Get(id));
  if (before.status != "queued") {
    return Error::Conflict("message " + std::to_string(id) + " is " + before.status +
                           ": only a queued message is cancelled");
  }
  if (sending_.contains(id)) {
    return Error::Conflict("message " + std::to_string(id) +
                           " is being sent right now: it can no longer be stopped");
  }
  Message m = before;
  m.status = "cancelled";
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, m, &before));
  std::vector<audit::EntryFields> entries;
  entries.push_back({actor, Action(m, "cancelled"), Object(id), {}});
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), options_.clock->Now()));
  --queued_;
  return m;
}

std::uint64_t Outbox::queued() const { return queued_.load(); }

Result<std::optional<Timestamp>> Outbox::NextDue(std::string_view channel) const {
  auto it = store_.ScanPrefix(kCf, DuePrefix(channel));
  if (!it.Valid()) {
    QUIRE_RETURN_IF_ERROR(it.status());
    return std::optional<Timestamp>();
  }
  KeyDecoder d(it.key().substr(1));
  QUIRE_ASSIGN_OR_RETURN(std::int64_t ms, d.I64());
  return std::optional<Timestamp>(Timestamp(std::chrono::milliseconds(ms)));
}

Result<int> Outbox::SendDue(Transport& transport, std::string_view channel) {
  const Timestamp now = options_.clock->Now();
  std::vector<MessageId> due;
  {
    auto it = store_.Scan(kCf, DuePrefix(channel),
                          DueKey(channel, now + std::chrono::milliseconds(1), 0));
    for (; it.Valid() && due.size() < 100; it.Next()) {
      KeyDecoder d(it.key().substr(1));
      QUIRE_ASSIGN_OR_RETURN(std::int64_t ms, d.I64());
      (void)ms;
      QUIRE_ASSIGN_OR_RETURN(MessageId id, d.U64());
      due.push_back(id);
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  for (MessageId id : due) {
    if (auto r = Attempt(transport, id); !r) {
      if (r.error().code() != ErrorCode::kCorruption && r.error().code() != ErrorCode::kNotFound) {
        return r.error();  // the store failing: the next round tries again
      }
      // A message that cannot be read leaves the queue (its record stays, for a look), so
      // that it does not hold up the others.
      std::cerr << "quire: outbox message " << id << " cannot be sent: " << r.error().message()
                << "\n";
      std::lock_guard lock(write_mu_);
      storage::WriteBatch drop;
      auto it = store_.ScanPrefix(kCf, DuePrefix(channel));
      for (; it.Valid(); it.Next()) {
        KeyDecoder d(it.key().substr(1));
        auto ms = d.I64();
        auto key_id = d.U64();
        if (ms && key_id && *key_id == id) drop.Delete(kCf, std::string(it.key()));
      }
      QUIRE_RETURN_IF_ERROR(it.status());
      QUIRE_RETURN_IF_ERROR(store_.Write(drop));
      if (queued_ > 0) --queued_;
    }
  }
  return static_cast<int>(due.size());
}

Result<void> Outbox::Attempt(Transport& transport, MessageId id) {
  Message queued;
  {
    std::lock_guard lock(write_mu_);
    QUIRE_ASSIGN_OR_RETURN(queued, Get(id));
    if (queued.status != "queued") return Ok();  // cancelled meanwhile
    sending_.insert(id);                         // Cancel refuses it from here on
  }
  struct InFlight {
    Outbox* box;
    MessageId id;
    ~InFlight() {
      std::lock_guard lock(box->write_mu_);
      box->sending_.erase(id);
    }
  } in_flight{this, id};
  OutgoingMail out;
  out.from = options_.from;
  out.to = queued.to;
  out.subject = queued.subject;
  out.text = queued.text;
  out.message_id = queued.message_id;
  SendResult result;
  if (!queued.attachments.empty()) {
    if (!options_.attachments) {
      result.failure = {true, false, "attachments cannot be read here"};
    } else if (auto files = options_.attachments(queued.attachments); !files) {
      result.failure = {true, false, "an attachment cannot be read: " + files.error().message()};
    } else {
      out.attachments = std::move(*files);
    }
  }
  if (result.failure.reply.empty()) result = transport.Send(out);

  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Message before, Get(id));
  if (before.status != "queued") return Ok();
  Message m = before;
  const Timestamp now = options_.clock->Now();
  m.attempts += 1;
  DeliveryEvent event;
  event.attempt = m.attempts;
  event.at = now;
  std::string action;
  if (result.ok) {
    m.status = "sent";
    m.sent_at = now;
    m.last_reply = result.reply;
    event.outcome = "sent";
    event.reply = result.reply;
    action = Action(m, "sent");
  } else {
    m.last_reply = result.failure.reply;
    event.reply = result.failure.reply;
    if (result.failure.permanent || m.attempts >= options_.max_attempts) {
      m.status = "failed";
      m.bounced = result.failure.bounced;
      event.outcome = result.failure.bounced ? "bounced" : "failed";
      action = Action(m, "failed");
    } else {
      auto wait = options_.first_retry * (1LL << std::min(m.attempts - 1, 20));
      if (wait > options_.max_retry) wait = options_.max_retry;
      m.next_attempt_at = now + std::chrono::duration_cast<std::chrono::milliseconds>(wait);
      event.outcome = "retry";
    }
  }
  storage::WriteBatch batch;
  QUIRE_RETURN_IF_ERROR(Put(batch, m, &before));
  // Keyed by the entries so far, not by the attempt: a message sent again by hand counts
  // its attempts afresh, and its earlier log stays.
  QUIRE_ASSIGN_OR_RETURN(std::vector<DeliveryEvent> log_so_far, Log(id));
  batch.Put(kCf, LogKey(id, static_cast<int>(log_so_far.size()) + 1),
            json::serialize(event.ToJson()));
  std::vector<audit::EntryFields> entries;
  if (!action.empty()) {
    json::object details{{"attempts", m.attempts}};
    if (m.bounced) details["bounced"] = true;
    if (m.contact != 0) details["contact"] = "contact/" + std::to_string(m.contact);
    entries.push_back({audit::Actor("system"), action, Object(id), std::move(details)});
  }
  QUIRE_RETURN_IF_ERROR(audit_.Commit(std::move(batch), std::move(entries), now));
  if (m.status != "queued") --queued_;
  if (m.bounced && m.contact != 0 && options_.on_bounce) options_.on_bounce(m.contact);
  return Ok();
}

void Outbox::Wake() {
  {
    std::lock_guard lock(wake_mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void Outbox::Start(std::unique_ptr<Transport> email, std::unique_ptr<Transport> sms) {
  if (email == nullptr && sms == nullptr) return;
  email_transport_ = std::move(email);
  sms_transport_ = std::move(sms);
  sender_ = std::thread([this] { Run(); });
}

// E-mail goes out only with a transport and a sender address.
bool Outbox::EmailSendable() const { return email_transport_ != nullptr && !options_.from.empty(); }

void Outbox::Run() {
  while (true) {
    // The earliest due time over the channels that can send now.
    std::optional<Timestamp> next;
    for (std::string_view channel : {"email", "sms"}) {
      if (channel == "email" ? !EmailSendable() : sms_transport_ == nullptr) continue;
      auto due = NextDue(channel);
      if (due && *due && (!next || **due < *next)) next = **due;
    }
    std::unique_lock lock(wake_mu_);
    if (stop_) return;
    if (!woken_) {
      // A manual clock does not move by itself: poll it.
      const bool manual = options_.clock->IsManual();
      if (next && !manual) {
        const auto wait = *next - options_.clock->Now();
        if (wait > std::chrono::milliseconds(0)) {
          wake_.wait_for(lock, std::min<std::chrono::milliseconds>(
                                   std::chrono::duration_cast<std::chrono::milliseconds>(wait),
                                   std::chrono::minutes(1)));
        }
      } else {
        wake_.wait_for(lock, manual ? std::chrono::milliseconds(20) : std::chrono::minutes(1));
      }
    }
    if (stop_) return;
    woken_ = false;
    lock.unlock();
    // A round that failed (the store) is tried again a little later: wait rather than spin.
    bool wait = false;
    if (EmailSendable()) {
      if (auto round = SendDue(*email_transport_, "email"); !round) {
        std::cerr << "quire: the outbox could not send e-mail: " << round.error().message() << "\n";
        wait = true;
      }
    }
    if (sms_transport_ != nullptr) {
      if (auto round = SendDue(*sms_transport_, "sms"); !round) {
        std::cerr << "quire: the outbox could not send SMS: " << round.error().message() << "\n";
        wait = true;
      }
    }
    if (wait) {
      lock.lock();
      wake_.wait_for(lock, std::chrono::seconds(5), [this] { return stop_; });
    }
  }
}

}  // namespace quire::mail
