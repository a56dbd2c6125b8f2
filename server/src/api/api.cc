#include "quire/server/api.h"

#include "quire/server/authentication.h"
#include "quire/server/camunda_routes.h"
#include "quire/server/crm_routes.h"
#include "quire/server/definition_routes.h"
#include "quire/server/document_routes.h"
#include "quire/server/engine_routes.h"
#include "quire/server/identity_routes.h"
#include "quire/server/mail_routes.h"
#include "quire/server/org_routes.h"
#include "quire/server/system_routes.h"
#include "quire/server/task_routes.h"

namespace quire::server {

void AddApiRoutes(Router& router, services::Services& services, const ApiOptions& options) {
  storage::Store& store = services.store();
  AddSystemRoutes(
      router,
      {.name = "quire", .version = options.version, .health_check = [&store]() -> Result<void> {
         QUIRE_RETURN_IF_ERROR(store.Get(storage::ColumnFamily::kMeta, "health"));
         return Ok();
       }});
  workflow::Engine& engine = services.engine();
  AddDefinitionRoutes(
      router, services.repository(),
      [&engine](std::string_view xml, std::string_view name, const audit::Actor& actor,
                std::optional<definitions::Duration> ttl) {
        return engine.Deploy(xml, name, actor, ttl);
      });
  AddEngineRoutes(router, engine);
  AddOrgRoutes(router, services.identity());
  AddIdentityRoutes(router, services.identity(), {.tls = options.tls});
  AddTaskRoutes(router, engine, &services.repository());
  AddCamundaRoutes(router, engine);
  AddDocumentRoutes(router, services.documents(), services.search(), services.directory());
  AddAuditRoutes(router, services.audit());
  AddCrmRoutes(router, services.customers(), services.crm_schema(), services.directory());
  AddMergeRoutes(router, services);
  AddActivityRoutes(router, services);
  AddContactRoutes(router, services);
  AddImportRoutes(router, services);
  AddQualityRoutes(router, services);
  AddPrivacyRoutes(router, services);
  AddExportRoutes(router, services);
  AddMailingRoutes(router, services);
  AddSalesRoutes(router, services);
  AddSegmentRoutes(router, services);
  AddCampaignRoutes(router, services);
  AddCalendarFeedRoutes(router, services, options.tls);
  AddMailRoutes(router, services);
  AddQuestionnaireRoutes(router, services, options.tls);
  AddKpiRoutes(router, services);
  router.SetAuthenticator(MakeAuthenticator(services.identity(), {.tls = options.tls}));
}

}  // namespace quire::server
