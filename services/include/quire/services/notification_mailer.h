// Task notifications by e-mail: the engine queues a notification for a user or group when
// an escalation rule fires or a task is given to someone by someone else (workflow's 'N'
// records); this sends each to the people it is for who have an address and want that
// kind by e-mail (their preferences: GET/PUT /api/me/notification-preferences), through
// the outbox, once per person (the message's key is the notification's and the person's).
// The text is the mail template "task.assigned" / "task.escalated" when one is defined
// ({{task.name}}, {{task.id}}, {{task.path}}, {{user.name}}, {{by}}), else Quire's own, in
// the person's language.
//
// Stored in the `outbox` column family:
//   'e' U64(notification id) → ""   (sent to everyone it is for)
//   'p' String(user)         → the user's preferences, JSON {taskAssigned, escalation, language}
#pragma once

#include <boost/json/object.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "quire/mail/outbox.h"
#include "quire/mail/templates.h"
#include "quire/org/directory.h"
#include "quire/storage/store.h"

namespace quire::services {

struct NotificationPreferences {
  bool task_assigned = true;
  bool escalation = true;
  std::string language = "pl";
  boost::json::object ToJson() const;
};

class NotificationMailer {
 public:
  // `public_url` ("https://crm.firma.pl", or ""): mails carry full links to the task
  // ({{task.url}}); without it they carry the path (/tasks/42).
  NotificationMailer(storage::Store& store, org::Directory& directory, mail::Outbox& outbox,
                     mail::TemplateStore& templates, std::string public_url = "");
  ~NotificationMailer();

  // Once, when the store is opened: notifications queued before this version mailed them
  // are not mailed now (a first start after an upgrade would mail every old one).
  Result<void> Prepare();
  Result<NotificationPreferences> Preferences(const std::string& user) const;
  // From {taskAssigned, escalation, language} (any of them). Errors: kInvalidArgument.
  Result<NotificationPreferences> SetPreferences(const std::string& user,
                                                 const boost::json::object& fields);

  // Sends what the engine queued and was not sent yet; returns how many notifications were
  // handled. (The thread does this every few seconds; tests call it.)
  Result<int> RunOnce();
  void Start(std::chrono::milliseconds period = std::chrono::seconds(5));

 private:
  storage::Store& store_;
  org::Directory& directory_;
  mail::Outbox& outbox_;
  mail::TemplateStore& templates_;
  std::string public_url_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace quire::services
