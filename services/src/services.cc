#include "quire/services/services.h"

#include <iostream>

#include "attach_connector.h"
#include "crm_connectors.h"
#include "mail_connector.h"
#include "quire/crm/kpis.h"
#include "task_activities.h"

namespace quire::services {

Result<std::unique_ptr<Services>> Services::Open(const std::filesystem::path& data_dir,
                                                 const ServicesOptions& options) {
  std::unique_ptr<Services> s(new Services());
  s->data_dir_ = data_dir;
  s->clock_ = options.clock;
  {
    auto store = storage::Store::Open(data_dir, {.create_if_missing = options.create_if_missing});
    if (!store) return store.error().WithContext("cannot open the store");
    s->store_ = std::move(*store);
  }
  {
    auto log = audit::AuditLog::Open(*s->store_, data_dir, options.audit);
    if (!log) return log.error().WithContext("cannot open the audit chain");
    s->audit_ = std::move(*log);
  }
  s->repository_ = std::make_unique<definitions::DefinitionRepository>(*s->store_);
  s->directory_ = std::make_unique<org::Directory>(*s->store_, s->audit_.get(), *s->clock_);
  org::IdentityOptions identity_options = options.identity;
  identity_options.initial_password_file = data_dir / "initial-admin-password";
  s->identity_ = std::make_unique<org::Identity>(*s->directory_, identity_options);
  s->contents_ = std::make_unique<dms::ContentStore>(*s->store_);
  // The dictionaries and custom fields the CRM and the document types share.
  s->crm_schema_ = std::make_unique<crm::CrmSchema>(*s->store_, *s->audit_, *s->clock_);
  dms::DocumentStoreOptions doc_options;
  doc_options.lock_ttl = options.lock_ttl;
  doc_options.dictionaries = [schema = s->crm_schema_.get()](std::string_view name) {
    return schema->EntriesOf(name);
  };
  s->documents_ = std::make_unique<dms::DocumentStore>(*s->store_, *s->contents_, *s->audit_,
                                                       *s->clock_, doc_options);
  s->customers_ = std::make_unique<crm::CustomerStore>(*s->store_, *s->audit_, *s->clock_,
                                                       s->crm_schema_.get());
  s->contacts_ =
      std::make_unique<crm::ContactStore>(*s->store_, *s->audit_, *s->clock_, *s->customers_);
  // Records stored before their indexes existed, or took their present form (version 3:
  // external ids as point keys; 4: tax id hints), get them once.
  {
    constexpr std::string_view kCrmIndexes = "crm.customer-indexes";
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> version,
                           s->store_->Get(storage::ColumnFamily::kMeta, kCrmIndexes));
    if (version != "4") {
      QUIRE_RETURN_IF_ERROR(s->customers_->Reindex());
      QUIRE_RETURN_IF_ERROR(s->contacts_->Reindex());
      storage::WriteBatch mark;
      mark.Put(storage::ColumnFamily::kMeta, kCrmIndexes, "4");
      QUIRE_RETURN_IF_ERROR(s->store_->Write(mark));
    }
  }
  s->mailing_groups_ =
      std::make_unique<crm::MailingGroups>(*s->store_, *s->audit_, *s->clock_, *s->contacts_);
  s->resources_ = std::make_unique<crm::ResourceStore>(*s->store_, *s->audit_, *s->clock_);
  s->activities_ = std::make_unique<crm::ActivityStore>(*s->store_, *s->audit_, *s->clock_,
                                                        *s->customers_, *s->resources_);
  s->products_ =
      std::make_unique<crm::ProductStore>(*s->store_, *s->audit_, *s->clock_, *s->customers_);
  s->offers_ = std::make_unique<crm::OfferStore>(*s->store_, *s->audit_, *s->clock_, *s->customers_,
                                                 *s->contacts_, *s->products_);
  s->cases_ = std::make_unique<crm::CaseStore>(*s->store_, *s->audit_, *s->clock_, *s->customers_,
                                               *s->contacts_, *s->products_);
  s->segment_engine_ = std::make_unique<crm::SegmentEngine>(*s->store_, *s->clock_, *s->activities_,
                                                            *s->offers_, *s->cases_);
  s->classes_ = std::make_unique<crm::ClassStore>(*s->store_, *s->audit_, *s->clock_);
  s->segment_engine_->UseClasses(s->classes_.get());
  s->questionnaires_ =
      std::make_unique<crm::QuestionnaireStore>(*s->store_, *s->audit_, *s->clock_, *s->contacts_);
  s->public_url_ = options.public_url;
  while (!s->public_url_.empty() && s->public_url_.back() == '/') s->public_url_.pop_back();
  if (!s->public_url_.empty() && !s->public_url_.starts_with("https://") &&
      !s->public_url_.starts_with("http://")) {
    return Error::InvalidArgument("--public-url: '" + options.public_url +
                                  "' is not a web address: https://crm.firma.pl");
  }
  // A store written before the segment indexes (or by an older layout of them) gets them
  // now, before anything is served.
  if (auto built = s->segment_engine_->BuildIfNeeded(); !built) {
    return built.error().WithContext("cannot build the segment indexes");
  }
  s->segments_ = std::make_unique<crm::SegmentStore>(*s->store_, *s->audit_, *s->clock_);
  s->campaigns_ =
      std::make_unique<crm::CampaignStore>(*s->store_, *s->audit_, *s->clock_, *s->customers_,
                                           *s->activities_, *s->segment_engine_, *s->segments_);
  if (options.search) {
    auto search = dms::DocumentSearch::Open(*s->documents_, data_dir / "search");
    if (!search) return search.error().WithContext("cannot open the document search index");
    s->search_ = std::move(*search);
  }

  // Processes reach the DMS through a connector and a hook; workflow knows neither.
  s->connectors_ =
      std::make_unique<workflow::ConnectorRegistry>(workflow::ConnectorRegistry::WithBuiltins());
  dms::DocumentStore* docs = s->documents_.get();
  s->connectors_->Register("dms.attach", std::make_shared<AttachDocumentConnector>(*docs));
  s->connectors_->Register("crm.activity",
                           std::make_shared<ActivityConnector>(*s->activities_, *s->clock_));
  s->connectors_->Register("crm.customer", std::make_shared<CustomerConnector>(*s->customers_));
  s->connectors_->Register("crm.offer", std::make_shared<OfferConnector>(*s));
  s->connectors_->Register("crm.order", std::make_shared<OrderConnector>(*s->offers_, *s->clock_));
  s->connectors_->Register("crm.case", std::make_shared<CaseConnector>(*s->cases_, *s->clock_));
  s->connectors_->Register("crm.segment", std::make_shared<SegmentConnector>(*s));
  s->connectors_->Register("crm.promotions", std::make_shared<PromotionsConnector>(*s));
  s->connectors_->Register("notify.email", std::make_shared<MailConnector>(*s, "email"));
  s->connectors_->Register("notify.sms", std::make_shared<MailConnector>(*s, "sms"));
  s->connectors_->Register("crm.lookup",
                           std::make_shared<LookupConnector>(*s->customers_, *s->contacts_));
  s->repository_->set_load_options({s->connectors_->InlineTypes()});
  workflow::EngineOptions engine_options = options.engine;
  engine_options.audit = s->audit_.get();
  engine_options.task_completed = &TaskActivities::Outbox;
  engine_options.month_of = &crm::KpiMonthOf;  // months as the CRM's KPIs count them
  if (options.check_required_documents) {
    engine_options.document_linked = [docs](std::uint64_t task, std::uint64_t instance,
                                            const std::string& type) -> Result<bool> {
      return docs->AnyLinked(
          {{"task", std::to_string(task)}, {"instance", std::to_string(instance)}}, type);
    };
  }
  {
    auto engine = workflow::Engine::Open(*s->store_, *s->repository_, *s->clock_, *s->connectors_,
                                         engine_options);
    if (!engine) return engine.error().WithContext("cannot start the engine");
    s->engine_ = std::move(*engine);
  }
  s->task_activities_ = std::make_unique<TaskActivities>(*s->store_, *s->activities_);
  const Clock* clock = s->clock_;
  s->customer_merger_ = std::make_unique<CustomerMerger>(
      *s->customers_, *s->contacts_, *s->activities_, *s->documents_, *s->engine_);
  s->importer_ = std::make_unique<crm::Importer>(*s->customers_, *s->contacts_, *s->activities_,
                                                 [clock] { return clock->Now(); });
  s->import_jobs_ = std::make_unique<crm::ImportJobs>(*s->store_, *s->importer_, *s->clock_);
  QUIRE_RETURN_IF_ERROR(s->OpenOutbox(options));
  return s;
}

// The outbox and its hooks into the CRM and the DMS: marketing e-mail only to a contact
// person who agreed to it; attachments read from the DMS (each read audited as the mail
// sender's); a bounce marks the contact person's address as bouncing.
Result<void> Services::OpenOutbox(const ServicesOptions& options) {
  if (!options.smtp_url.empty()) {
    auto config = mail::ParseSmtpUrl(options.smtp_url);
    if (!config) return config.error().WithContext("--smtp-url");
    smtp_ = std::move(*config);
    smtp_display_ = smtp_->Display();
  }
  if (!options.sms_gateway.empty()) {
    auto gateway = mail::LoadSmsGateway(options.sms_gateway);
    if (!gateway) return gateway.error().WithContext("--sms-gateway");
    sms_ = std::move(*gateway);
    sms_display_ = sms_->Display();
  }
  mail::OutboxOptions o;
  o.from = options.mail_from;
  if (o.from.empty() && smtp_) o.from = "Quire <quire@" + smtp_->host + ">";
  o.clock = clock_;
  o.max_attempts = options.mail_max_attempts;
  o.first_retry = options.mail_first_retry;
  crm::ContactStore* contacts = contacts_.get();
  o.check = [contacts](const mail::NewMessage& m) -> Result<void> {
    if (m.kind != "marketing") return Ok();
    const bool sms = m.channel == "sms";
    if (m.contact == 0) {
      return Error::ValidationFailed(
          sms ? "marketing SMS go to contact persons, whose consent is known"
              : "marketing e-mail goes to contact persons, whose consent is known",
          {{"contact",
            sms ? "is required for a marketing SMS" : "is required for marketing e-mail"}});
    }
    QUIRE_ASSIGN_OR_RETURN(crm::Contact c, contacts->Get(m.contact));
    if (sms) {
      if (c.sms_consent.granted) return Ok();
      return Error::Conflict("contact " + std::to_string(m.contact) +
                             " has not agreed to marketing SMS: nothing was queued (their "
                             "consent is recorded on the contact person: consent.sms)");
    }
    if (!c.email_consent.granted) {
      return Error::Conflict("contact " + std::to_string(m.contact) +
                             " has not agreed to marketing e-mail: nothing was queued (their "
                             "consent is recorded on the contact person: consent.email)");
    }
    if (c.email_bounced) {
      return Error::Conflict("contact " + std::to_string(m.contact) +
                             "'s address bounced before: correct it, then clear the mark "
                             "(PATCH /api/crm/contacts/" +
                             std::to_string(m.contact) + " {\"emailBounced\": false})");
    }
    return Ok();
  };
  dms::DocumentStore* docs = documents_.get();
  o.attachments =
      [docs](
          const std::vector<mail::AttachmentRef>& refs) -> Result<std::vector<mail::Attachment>> {
    std::vector<mail::Attachment> out;
    for (const mail::AttachmentRef& r : refs) {
      QUIRE_ASSIGN_OR_RETURN(dms::DocumentInfo info, docs->Get(r.document));
      dms::StringSink sink;
      std::optional<std::uint32_t> version;
      if (r.version != 0) version = r.version;
      QUIRE_ASSIGN_OR_RETURN(dms::VersionInfo v,
                             docs->Read(r.document, version, {"system", "outbox"}, sink));
      out.push_back({info.title, v.media_type, std::move(sink.data)});
    }
    return out;
  };
  o.on_bounce = [contacts](std::uint64_t contact) {
    if (auto r = contacts->Update(contact, {{"emailBounced", true}}, {"system", "outbox"}); !r) {
      std::cerr << "quire: cannot mark contact " << contact
                << "'s address as bouncing: " << r.error().message() << "\n";
    }
  };
  auto box = mail::Outbox::Open(*store_, *audit_, std::move(o));
  if (!box) return box.error().WithContext("cannot open the outbox");
  outbox_ = std::move(*box);
  mail_templates_ = std::make_unique<mail::TemplateStore>(*store_, *audit_, *clock_);
  mailer_ = std::make_unique<Mailer>(*outbox_, *mail_templates_, *customers_, *contacts_);
  notification_mailer_ = std::make_unique<NotificationMailer>(*store_, *directory_, *outbox_,
                                                              *mail_templates_, public_url_);
  return notification_mailer_->Prepare();
}

Result<std::vector<crm::CustomerClass>> Services::CustomerClasses(crm::CustomerId customer) const {
  QUIRE_ASSIGN_OR_RETURN(crm::ClassThresholds t, classes_->Get());
  std::vector<crm::Order> orders;
  crm::OrderId after = 0;
  while (true) {
    QUIRE_ASSIGN_OR_RETURN(
        std::vector<crm::Order> page,
        offers_->Orders(customer, 1000, after, [](const crm::Order&) { return true; }));
    if (page.empty()) break;
    after = page.back().id;
    const bool last = page.size() < 1000;
    for (crm::Order& o : page) orders.push_back(std::move(o));
    if (last) break;
  }
  return crm::ClassesOf(orders, offers_->Today(clock_->Now()), t);
}

void Services::Start() {
  outbox_->Start(smtp_ ? mail::MakeSmtpTransport(*smtp_) : nullptr,
                 sms_ ? mail::MakeSmsTransport(*sms_) : nullptr);
  notification_mailer_->Start();
  if (search_) search_->Start();
  task_activities_->Start();
  if (auto started = import_jobs_->Start(); !started) {
    std::cerr << "quire: background imports are off: " << started.error().message() << "\n";
  }
  if (!sweep_thread_.joinable()) {
    sweep_thread_ = std::thread([this] {
      std::unique_lock held(sweep_mu_);
      while (!sweep_stop_) {
        held.unlock();
        if (auto expired = offers_->ExpireDue(clock_->Now(), {"system", "offer expiry"});
            !expired) {
          std::cerr << "quire: expiring offers failed: " << expired.error().message() << "\n";
        }
        held.lock();
        sweep_cv_.wait_for(held, std::chrono::minutes(1), [&] { return sweep_stop_; });
      }
    });
  }
}

void Services::RequestPurge() {
  std::lock_guard lock(purge_mu_);
  ++purges_requested_;
  if (!purge_thread_.joinable()) {
    purge_thread_ = std::thread([this] {
      std::unique_lock held(purge_mu_);
      for (;;) {
        purge_cv_.wait(held, [&] { return purge_stop_ || purges_requested_ > purges_done_; });
        if (purge_stop_) return;
        // Erasures come in runs: one purge for the run.
        purge_cv_.wait_for(held, std::chrono::seconds(1), [&] { return purge_stop_; });
        if (purge_stop_) return;
        const std::uint64_t covered = purges_requested_;
        held.unlock();
        Result<void> r = store_->Purge(storage::ColumnFamily::kCrm);
        held.lock();
        purge_result_ = std::move(r);
        purges_done_ = covered;
        purge_cv_.notify_all();
      }
    });
  }
  purge_cv_.notify_all();
}

Result<void> Services::WaitForPurge() {
  std::unique_lock lock(purge_mu_);
  const std::uint64_t wanted = purges_requested_;
  purge_cv_.wait(lock, [&] { return purges_done_ >= wanted || purge_stop_; });
  return purge_result_;
}

Services::~Services() {
  {
    std::lock_guard lock(sweep_mu_);
    sweep_stop_ = true;
  }
  sweep_cv_.notify_all();
  if (sweep_thread_.joinable()) sweep_thread_.join();
  {
    std::lock_guard lock(purge_mu_);
    purge_stop_ = true;
  }
  purge_cv_.notify_all();
  if (purge_thread_.joinable()) purge_thread_.join();
  import_jobs_.reset();  // finishes the import running
  importer_.reset();
  customer_merger_.reset();
  task_activities_.reset();  // it writes activities through the audit log
  engine_.reset();           // it commits through the audit log and asks the documents
  connectors_.reset();
  // Mail after the engine (its notify.email jobs queue through the mailer) and before the
  // contacts and documents its hooks read.
  notification_mailer_.reset();
  mailer_.reset();
  mail_templates_.reset();
  outbox_.reset();
  search_.reset();  // its indexer reads the documents
  documents_.reset();
  campaigns_.reset();
  segments_.reset();
  segment_engine_.reset();
  cases_.reset();
  offers_.reset();
  products_.reset();
  activities_.reset();
  resources_.reset();
  mailing_groups_.reset();
  contacts_.reset();
  customers_.reset();
  crm_schema_.reset();
  contents_.reset();
  identity_.reset();
  directory_.reset();
  repository_.reset();
  audit_.reset();  // commits what is queued
  store_.reset();
}

}  // namespace quire::services
