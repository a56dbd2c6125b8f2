// The outbox: e-mail and SMS queued durably, sent by one background thread through a
// Transport per channel (smtp.h, sms.h), retried with exponential back-off on a temporary failure,
// given up after the last attempt or at once on a permanent one; every attempt in the message's
// delivery log; a refused recipient recorded as a bounce (the on_bounce hook marks the contact
// person).
//
// Stored in the `outbox` column family (never change a tag):
//   'c'                          → the last id given (decimal)
//   'm' U64Desc(id)              → the message, JSON (newest first when scanned)
//   's' String(status) U64Desc(id) → ""            (a status's messages, newest first)
//   'd' I64(due ms) U64(id)      → ""            (queued e-mail by its next attempt)
//   'D' I64(due ms) U64(id)      → ""            (queued SMS by their next attempt)
//   'l' U64(id) U32(attempt)     → a delivery log entry, JSON
//   'k' String(key)              → the id of the message queued under that key
// The column family also holds the mail templates ('t', templates.h) and the notification
// mailer's 'p', 'w', 'e' (notification_mailer.h): a new tag must be none of these.
// Every change is in one batch with its audit entry (mail.queued, mail.sent, mail.failed,
// mail.retried, mail.cancelled; sms.* for SMS: ids and counts, never addresses, numbers or
// text).
//
// Delivery is at least once: a crash after the server took a message and before its
// result is stored sends it again after the restart, with the same Message-ID (which
// receiving servers and clients use to drop the copy).
//
// Thread-safety: any thread; writes are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/mail/smtp.h"
#include "quire/storage/store.h"

namespace quire::mail {

using MessageId = std::uint64_t;

// A document of the DMS sent as an attachment: its latest version, or `version`.
struct AttachmentRef {
  std::uint64_t document = 0;
  std::uint32_t version = 0;
};

// What a caller asks to send.
struct NewMessage {
  // "email", or "sms": one E.164 number in `to`, the text (at most 1000 characters), no
  // subject or attachments.
  std::string channel = "email";
  // "transactional" (about something the recipient did or has: a task, an invoice) or
  // "marketing" (sent only to contacts who agreed: the check hook refuses the others).
  std::string kind = "transactional";
  std::vector<std::string> to;
  std::string subject;
  std::string text;
  std::vector<AttachmentRef> attachments;
  std::uint64_t contact = 0;  // the contact person it goes to, when it goes to one
  std::string purpose;        // "test", "task.assigned", "escalation", "campaign", ...
  // Queued at most once under this key: asked again, Queue answers the message queued the
  // first time (a job run again after a crash: "job-17"; a reminder: "reminder/order/3/1").
  std::string key;
};

struct Message : NewMessage {
  MessageId id = 0;
  std::string status;  // queued, sent, failed, cancelled
  int attempts = 0;
  bool bounced = false;
  std::string message_id;  // the Message-ID header
  std::string last_reply;
  std::string created_by;
  Timestamp created_at{};
  Timestamp next_attempt_at{};
  std::optional<Timestamp> sent_at;

  boost::json::object ToJson() const;
};

struct DeliveryEvent {
  int attempt = 0;
  Timestamp at{};
  std::string outcome;  // sent, retry, failed, bounced
  std::string reply;
  boost::json::object ToJson() const;
};

struct OutboxOptions {
  // The From header: "Quire <quire@example.com>". Empty: sending waits (the messages stay
  // queued) and the status says why.
  std::string from;
  int max_attempts = 8;
  std::chrono::milliseconds first_retry = std::chrono::minutes(1);  // doubled each time
  std::chrono::milliseconds max_retry = std::chrono::hours(6);
  const Clock* clock = &SystemClock::Instance();
  // Checks a message before it is queued (consent to marketing e-mail): an error refuses it.
  std::function<Result<void>(const NewMessage&)> check;
  // Reads the attachments (from the DMS). Errors refuse the send permanently.
  std::function<Result<std::vector<Attachment>>(const std::vector<AttachmentRef>&)> attachments;
  // Called once a message to `contact` (non-zero) bounced.
  std::function<void(std::uint64_t contact)> on_bounce;
};

class Outbox {
 public:
  static Result<std::unique_ptr<Outbox>> Open(storage::Store& store, audit::AuditLog& audit,
                                              OutboxOptions options);
  ~Outbox();  // stops the sender

  // Checks and queues a message, due now. Errors: kValidationFailed (one detail per field:
  // to[0], subject, ...), the check hook's.
  Result<Message> Queue(NewMessage m, const audit::Actor& actor);
  // Errors: kNotFound.
  Result<Message> Get(MessageId id) const;
  Result<std::vector<DeliveryEvent>> Log(MessageId id) const;
  struct Page {
    std::vector<Message> items;
    std::string next;
  };
  // Newest first; `status` empty: all. `after`: the previous page's next.
  Result<Page> List(std::string_view status, std::size_t limit, std::string_view after) const;
  // A failed message queued again, due now, its attempts counted afresh. Errors: kConflict
  // unless failed.
  Result<Message> Retry(MessageId id, const audit::Actor& actor);
  // A queued message not sent. Errors: kConflict unless queued.
  Result<Message> Cancel(MessageId id, const audit::Actor& actor);

  // Starts the sender thread with a transport per channel (null: that channel's messages
  // stay queued, e.g. no SMTP server configured). Call once.
  void Start(std::unique_ptr<Transport> email, std::unique_ptr<Transport> sms = nullptr);
  // Sends the channel's messages due now, on the caller's thread, through `transport`;
  // returns how many were tried. (The sender thread does this; tests call it directly.)
  Result<int> SendDue(Transport& transport, std::string_view channel = "email");
  // Wakes the sender (something was queued).
  void Wake();

  std::uint64_t queued() const;  // messages waiting to be sent
  const OutboxOptions& options() const { return options_; }

 private:
  Outbox(storage::Store& store, audit::AuditLog& audit, OutboxOptions options);
  Result<void> Put(storage::WriteBatch& batch, const Message& m, const Message* before) const;
  Result<std::optional<Timestamp>> NextDue(std::string_view channel) const;
  bool EmailSendable() const;
  Result<void> Attempt(Transport& transport, MessageId id);
  void Run();

  storage::Store& store_;
  audit::AuditLog& audit_;
  OutboxOptions options_;
  std::mutex write_mu_;
  MessageId last_id_ = 0;        // GUARDED_BY(write_mu_)
  std::set<MessageId> sending_;  // GUARDED_BY(write_mu_): on the wire now
  std::atomic<std::uint64_t> queued_{0};

  std::unique_ptr<Transport> email_transport_;
  std::unique_ptr<Transport> sms_transport_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool woken_ = false;  // GUARDED_BY(wake_mu_)
  bool stop_ = false;   // GUARDED_BY(wake_mu_)
  std::thread sender_;
};

}  // namespace quire::mail
