// Services: the composition root. Opens everything a data directory holds, in order —
// store, audit chain, definition repository, organisation, documents (content store,
// document store, search), connectors, engine — wires the hooks between the modules
// (required documents of tasks, the dms.attach connector, the audit log every module
// commits through), and closes them in the reverse order. `quire serve` and every CLI
// command that works on a data directory open it here; nothing else does.
//
// Thread-safety: the accessors may be called from any thread; the objects they return
// document their own.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include <condition_variable>
#include <mutex>
#include <thread>
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/activities.h"
#include "quire/crm/campaigns.h"
#include "quire/crm/cases.h"
#include "quire/crm/classes.h"
#include "quire/crm/contacts.h"
#include "quire/crm/customers.h"
#include "quire/crm/import_jobs.h"
#include "quire/crm/mailing.h"
#include "quire/crm/offers.h"
#include "quire/crm/products.h"
#include "quire/crm/questionnaires.h"
#include "quire/crm/segments.h"
#include "quire/definitions/repository.h"
#include "quire/dms/content_store.h"
#include "quire/dms/documents.h"
#include "quire/dms/search.h"
#include "quire/mail/outbox.h"
#include "quire/mail/sms.h"
#include "quire/mail/templates.h"
#include "quire/org/directory.h"
#include "quire/org/identity.h"
#include "quire/services/customer_merger.h"
#include "quire/services/mailer.h"
#include "quire/services/notification_mailer.h"
#include "quire/storage/store.h"
#include "quire/workflow/connector.h"
#include "quire/workflow/engine.h"

namespace quire::services {

class TaskActivities;  // task_activities.h

struct ServicesOptions {
  // Create the store when the directory holds none (serve, deploy); else kNotFound.
  bool create_if_missing = true;
  // Open the document search index (and start its indexer with Start()).
  bool search = true;
  // The engine's options; `audit` and `document_linked` are filled in by Open. CLI
  // commands set run_jobs = false: jobs run where `quire serve` runs.
  workflow::EngineOptions engine;
  // Whether completing a task checks its required documents against the DMS; quire run's
  // scratch store holds none, so it does not.
  bool check_required_documents = true;
  // How long a document check-out lasts; zero: until checked in or cancelled.
  std::chrono::milliseconds lock_ttl = std::chrono::hours(24);
  audit::AuditOptions audit;
  // Sessions, password hashing, throttling. Its initial_password_file is set by Open to
  // DATA/initial-admin-password.
  org::IdentityOptions identity;
  // Where "now" comes from. REQUIRES: outlives the services.
  const Clock* clock = &SystemClock::Instance();
  // E-mail: the SMTP server (empty: messages are queued, and sent once one is configured)
  // and the From address. Start() starts the outbox's sender when there is a server.
  std::string smtp_url;
  std::string mail_from;
  // SMS: a JSON file describing the HTTP gateway (mail/sms.h); empty: SMS wait in the outbox.
  std::string sms_gateway;
  // Where people reach Quire, for links in e-mail (questionnaires): "https://crm.firma.pl".
  // Empty: the address of the request that sends the mail.
  std::string public_url;
  // The outbox's back-off and attempts (tests shorten them).
  int mail_max_attempts = 8;
  std::chrono::milliseconds mail_first_retry = std::chrono::minutes(1);
};

class Services {
 public:
  // Errors: those of Store::Open (kUnavailable when another process has the store open,
  // kNotFound without create_if_missing, ...), with what was being opened in the message.
  static Result<std::unique_ptr<Services>> Open(const std::filesystem::path& data_dir,
                                                const ServicesOptions& options);
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;
  // Stops the engine and the indexer, then closes the modules in reverse order.
  ~Services();

  // Starts the background work a server runs: the search indexer, recording completed
  // tasks of customers as their activities, background imports, and the sweeper that
  // expires offers past their validity (at start: those that expired while stopped).
  void Start();

  // After an erasure: the store's files still hold the values it overwrote until they are
  // compacted. This purges the CRM's column family (Store::Purge) on a background thread,
  // a moment after the last request (erasures come in runs).
  void RequestPurge();
  // Waits until every purge requested so far has run; its outcome (tests).
  Result<void> WaitForPurge();

  const std::filesystem::path& data_dir() const { return data_dir_; }
  const Clock& clock() const { return *clock_; }
  storage::Store& store() { return *store_; }
  audit::AuditLog& audit() { return *audit_; }
  definitions::DefinitionRepository& repository() { return *repository_; }
  org::Directory& directory() { return *directory_; }
  org::Identity& identity() { return *identity_; }
  dms::ContentStore& contents() { return *contents_; }
  dms::DocumentStore& documents() { return *documents_; }
  crm::CrmSchema& crm_schema() { return *crm_schema_; }
  crm::CustomerStore& customers() { return *customers_; }
  CustomerMerger& customer_merger() { return *customer_merger_; }
  crm::ContactStore& contacts() { return *contacts_; }
  crm::MailingGroups& mailing_groups() { return *mailing_groups_; }
  crm::ResourceStore& resources() { return *resources_; }
  crm::ActivityStore& activities() { return *activities_; }
  crm::ProductStore& products() { return *products_; }
  crm::OfferStore& offers() { return *offers_; }
  crm::CaseStore& cases() { return *cases_; }
  // Computed classes: their thresholds, and one customer's classes with the reasons.
  crm::ClassStore& classes() { return *classes_; }
  // Questionnaires sent to contact persons as signed links, and their answers.
  crm::QuestionnaireStore& questionnaires() { return *questionnaires_; }
  // Where people reach Quire ("https://crm.firma.pl"), for links in e-mail; "" when not set.
  const std::string& public_url() const { return public_url_; }
  Result<std::vector<crm::CustomerClass>> CustomerClasses(crm::CustomerId customer) const;
  crm::SegmentEngine& segment_engine() { return *segment_engine_; }
  crm::SegmentStore& segments() { return *segments_; }
  crm::CampaignStore& campaigns() { return *campaigns_; }
  // Background imports (POST /api/crm/imports?async=true); they run once Start() is called.
  crm::ImportJobs& import_jobs() { return *import_jobs_; }
  // E-mail waiting, sent and failed; the sender runs once Start() is called.
  mail::Outbox& outbox() { return *outbox_; }
  mail::TemplateStore& mail_templates() { return *mail_templates_; }
  // E-mail about records, from templates (the notify.email connector, POST /api/mail).
  Mailer& mailer() { return *mailer_; }
  // Task notifications (assignments, escalations) by e-mail, and each user's preferences.
  NotificationMailer& notification_mailer() { return *notification_mailer_; }
  // The SMTP server messages go to, for status pages ("" when none): never the password.
  const std::string& smtp_display() const { return smtp_display_; }
  const std::string& sms_display() const { return sms_display_; }
  bool sms_clear_text() const { return sms_ && sms_->ClearTextToAnotherMachine(); }
  // Null unless opened with `search`.
  dms::DocumentSearch* search() { return search_.get(); }
  workflow::ConnectorRegistry& connectors() { return *connectors_; }
  workflow::Engine& engine() { return *engine_; }

 private:
  Services() = default;
  Result<void> OpenOutbox(const ServicesOptions& options);

  std::filesystem::path data_dir_;
  const Clock* clock_ = nullptr;
  // In opening order; closed in reverse by the destructor.
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<definitions::DefinitionRepository> repository_;
  std::unique_ptr<org::Directory> directory_;
  std::unique_ptr<org::Identity> identity_;
  std::unique_ptr<dms::ContentStore> contents_;
  std::unique_ptr<crm::CrmSchema> crm_schema_;
  std::unique_ptr<dms::DocumentStore> documents_;
  std::unique_ptr<crm::CustomerStore> customers_;
  std::unique_ptr<crm::ContactStore> contacts_;
  std::unique_ptr<crm::MailingGroups> mailing_groups_;
  std::unique_ptr<crm::ResourceStore> resources_;
  std::unique_ptr<crm::ActivityStore> activities_;
  std::unique_ptr<crm::ProductStore> products_;
  std::unique_ptr<crm::OfferStore> offers_;
  std::unique_ptr<crm::CaseStore> cases_;
  std::unique_ptr<crm::SegmentEngine> segment_engine_;
  std::unique_ptr<crm::ClassStore> classes_;
  std::unique_ptr<crm::QuestionnaireStore> questionnaires_;
  std::string public_url_;
  std::unique_ptr<crm::SegmentStore> segments_;
  std::unique_ptr<crm::CampaignStore> campaigns_;
  std::unique_ptr<dms::DocumentSearch> search_;
  std::unique_ptr<workflow::ConnectorRegistry> connectors_;
  std::unique_ptr<workflow::Engine> engine_;
  // Completed tasks with a customer link → activities (after the engine: it drains what the
  // engine's commits leave).
  std::unique_ptr<TaskActivities> task_activities_;
  std::unique_ptr<CustomerMerger> customer_merger_;
  // The purge thread (RequestPurge): requests and runs counted, under purge_mu_.
  std::mutex purge_mu_;
  std::condition_variable purge_cv_;
  std::uint64_t purges_requested_ = 0;
  std::uint64_t purges_done_ = 0;
  bool purge_stop_ = false;
  Result<void> purge_result_ = Ok();
  std::thread purge_thread_;
  // The sweeper (Start): offers past their validity expire, at start and every minute.
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool sweep_stop_ = false;
  std::thread sweep_thread_;
  std::unique_ptr<crm::Importer> importer_;
  std::unique_ptr<crm::ImportJobs> import_jobs_;
  std::unique_ptr<mail::Outbox> outbox_;
  std::unique_ptr<mail::TemplateStore> mail_templates_;
  std::unique_ptr<Mailer> mailer_;
  std::unique_ptr<NotificationMailer> notification_mailer_;
  std::optional<mail::SmtpConfig> smtp_;
  std::string smtp_display_;
  std::optional<mail::SmsGateway> sms_;
  std::string sms_display_;
};

}  // namespace quire::services
