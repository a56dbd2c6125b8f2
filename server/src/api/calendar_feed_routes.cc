// The iCalendar feed: each user may have one secret URL that calendar programs subscribe to
// (they send no credentials). Creating it again replaces the secret; deleting it revokes it.
// Only a hash of the secret is stored.
#include <sodium.h>

#include <set>
#include <string>

#include "quire/crm/ical.h"
#include "quire/server/crm_routes.h"
#include "quire/storage/key_codec.h"
#include "route_support.h"

namespace quire::server {
namespace {

using namespace api;  // NOLINT: the shared route helpers

constexpr storage::ColumnFamily kCrm = storage::ColumnFamily::kCrm;
constexpr std::string_view kPrefix = "qcal_";
// What the feed covers: recent history and the year ahead (a calendar holds 366 days).
constexpr auto kFeedBack = std::chrono::days(90);
constexpr auto kFeedAhead = std::chrono::days(270);

std::string HashOf(std::string_view secret) {
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), nullptr, 0);
  std::string out(64, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, hash, sizeof hash);
  return out;
}

std::string ByHashKey(std::string_view hash) {
  return storage::KeyEncoder().U8('F').String(hash).Take();
}
std::string ByUserKey(std::string_view user) {
  return storage::KeyEncoder().U8('f').String(user).Take();
}

}  // namespace

void AddCalendarFeedRoutes(Router& router, services::Services& services, bool tls) {
  storage::Store& store = services.store();
  audit::AuditLog& audit = services.audit();
  crm::ActivityStore& activities = services.activities();

  router.Add(
      "POST", "/api/me/calendar-feed", Permission::kCrmRead,
      [&, tls](const Request& request) -> Result<Response> {
        const std::string& user = UserId(request);
        unsigned char random[24];
        randombytes_buf(random, sizeof random);
        std::string hex(48, '\0');
        sodium_bin2hex(hex.data(), hex.size() + 1, random, sizeof random);
        const std::string secret = std::string(kPrefix) + hex;
        const std::string hash = HashOf(secret);
        storage::WriteBatch batch;
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> old, store.Get(kCrm, ByUserKey(user)));
        if (old) batch.Delete(kCrm, ByHashKey(*old));
        batch.Put(kCrm, ByHashKey(hash), user);
        batch.Put(kCrm, ByUserKey(user), hash);
        QUIRE_RETURN_IF_ERROR(
            audit.Commit(std::move(batch),
                         {{Actor(request),
                           old ? "calendar-feed.replaced" : "calendar-feed.created",
                           "user/" + user,
                           {}}},
                         services.clock().Now()));
        const std::string path = "/calendar/" + secret + ".ics";
        json::object body{{"path", path}};
        if (const auto host = request.header("host")) {
          body["url"] = std::string(tls ? "https://" : "http://") + std::string(*host) + path;
        }
        return JsonResponse(201, body);
      });

  router.Add(
      "DELETE", "/api/me/calendar-feed", Access::SignedIn(),
      [&](const Request& request) -> Result<Response> {
        const std::string& user = UserId(request);
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> old, store.Get(kCrm, ByUserKey(user)));
        if (!old) return Error::NotFound("you have no calendar feed");
        storage::WriteBatch batch;
        batch.Delete(kCrm, ByHashKey(*old));
        batch.Delete(kCrm, ByUserKey(user));
        QUIRE_RETURN_IF_ERROR(audit.Commit(
            std::move(batch), {{Actor(request), "calendar-feed.revoked", "user/" + user, {}}},
            services.clock().Now()));
        return NoContent();
      });

  // Public: the secret in the path is the credential. An unknown or revoked one is 404.
  router.Add(
      "GET", "/calendar/{feed}", Access::Public(), [&](const Request& request) -> Result<Response> {
        std::string feed(*request.path_param("feed"));
        if (feed.ends_with(".ics")) feed.resize(feed.size() - 4);
        auto not_found = [] {
          return Error::NotFound(
              "no such calendar feed (it may have been revoked or replaced: "
              "create a new one with POST /api/me/calendar-feed)");
        };
        if (!feed.starts_with(kPrefix) || feed.size() != kPrefix.size() + 48) return not_found();
        QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> user,
                               store.Get(kCrm, ByHashKey(HashOf(feed))));
        if (!user) return not_found();
        const Timestamp now = services.clock().Now();
        QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Occurrence> occurrences,
                               activities.EmployeeCalendar(*user, now - kFeedBack, now + kFeedAhead,
                                                           crm::CalendarDetail::kFull));
        std::vector<crm::Activity> list;
        std::set<crm::ActivityId> seen;
        for (const crm::Occurrence& o : occurrences) {
          if (seen.insert(o.activity->id).second) list.push_back(*o.activity);
        }
        // What a calendar program reads of the user's activities is theirs; recorded as a
        // read.
        QUIRE_RETURN_IF_ERROR(audit.Append(
            {{*user, "calendar feed"}, "calendar-feed.read", "user/" + *user, {}}, now));
        Response r;
        r.content_type = "text/calendar; charset=utf-8";
        r.body = crm::CalendarFeed(list, "Quire: " + *user, now);
        r.headers.push_back({"Cache-Control", "private, max-age=300"});
        return r;
      });
}

}  // namespace quire::server
