#include "quire/crm/campaigns.h"

#include <boost/json.hpp>
#include <set>
#include <unordered_set>

#include "quire/base/json_fields.h"
#include "quire/base/json_merge_patch.h"
#include "quire/crm/activities.h"
#include "quire/crm/customers.h"
#include "quire/crm/money.h"
#include "quire/crm/products.h"
#include "quire/crm/segment_index.h"
#include "quire/crm/segments.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using internal::FieldReader;
using internal::Invalid;
using internal::Trim;
using storage::ColumnFamily;
constexpr ColumnFamily kCrm = ColumnFamily::kCrm;
constexpr std::string_view kNextKey = "n:campaign";

std::string CampaignKey(CampaignId id) {
  return storage::KeyEncoder().U8('V').U8('c').U64(id).Take();
}
std::string MembersPrefix(CampaignId id) {
  return storage::KeyEncoder().U8('V').U8('m').U64(id).Take();
}
std::string MemberKey(CampaignId id, std::uint64_t customer) {
  return storage::KeyEncoder(MembersPrefix(id)).U64(customer).Take();
}
// The chunk of campaign `id`'s member bitmap (the segment index of "campaign = N") that
// holds `customer`.
std::string MemberChunkKey(CampaignId id, std::uint64_t customer) {
  return segment_keys::BitmapChunk(
      segment_keys::CustomerBitmap(kCampaignCode) +
          segment_keys::FieldValue(FieldType::kId, "", static_cast<std::int64_t>(id)),
      customer);
}
std::chrono::year_month_day DayOfTimestamp(Timestamp t) {
  return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(WarsawDay(t))));
}

const std::set<std::string, std::less<>> kKinds = {"mailing", "call", "event", "visit"};

// The activity type an action's activities have.
std::string TypeOf(const std::string& kind) {
  if (kind == "mailing") return "email";
  if (kind == "event") return "meeting";
  return kind;  // call, visit
}

std::string Money(std::int64_t minor, const std::string& currency) {
  Result<Currency> c = FindCurrency(currency);
  return FormatFixed(minor, c ? c->digits : 2);
}

json::object ActionJson(const CampaignAction& a) {
  json::object o;
  o["id"] = std::to_string(a.id);
  o["kind"] = a.kind;
  o["name"] = a.name;
  o["owner"] = a.owner.empty() ? json::value(nullptr) : json::value(a.owner);
  o["date"] = a.date ? json::value(FormatDay(*a.date)) : json::value(nullptr);
  return o;
}

json::object Stored(const Campaign& c) {
  json::object o = c.ToJson();
  o["id"] = c.id;
  o["budget"] = c.budget;
  o["segment"] = c.segment;
  o["launchedAt"] = c.launched_at ? json::value(internal::Ms(*c.launched_at)) : json::value();
  internal::PutStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  return o;
}

std::optional<std::chrono::year_month_day> DayOf(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  Result<std::chrono::year_month_day> d = ParseDay(v->get_string());
  if (!d) return std::nullopt;
  return *d;
}

Result<Campaign> FromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "campaign"));
  Campaign c;
  c.id = static_cast<CampaignId>(IntOf(o, "id"));
  c.name = StrOf(o, "name");
  c.goal = StrOf(o, "goal");
  c.starts_on = DayOf(o, "startsOn");
  c.ends_on = DayOf(o, "endsOn");
  c.budget = IntOf(o, "budget");
  c.currency = StrOf(o, "currency");
  c.segment = static_cast<std::uint64_t>(IntOf(o, "segment"));
  c.filter = StrOf(o, "filter");
  c.status = StrOf(o, "status");
  c.members = static_cast<std::uint64_t>(IntOf(o, "members"));
  c.owner = StrOf(o, "owner");
  c.launched_by = StrOf(o, "launchedBy");
  if (const json::value* t = o.if_contains("launchedAt"); t != nullptr && t->is_int64()) {
    c.launched_at = internal::FromMs(t->get_int64());
  }
  for (const json::value& v : ArrOf(o, "actions")) {
    if (!v.is_object()) continue;
    const json::object& a = v.get_object();
    CampaignAction action;
    action.id =
        static_cast<std::uint32_t>(std::stoul(StrOf(a, "id").empty() ? "0" : StrOf(a, "id")));
    action.kind = StrOf(a, "kind");
    action.name = StrOf(a, "name");
    action.owner = StrOf(a, "owner");
    action.date = DayOf(a, "date");
    c.actions.push_back(std::move(action));
  }
  internal::ReadStoredStamps(o, c.created_by, c.created_at, c.modified_at);
  return c;
}

}  // namespace

json::object Campaign::ToJson() const {
  json::object o;
  o["id"] = std::to_string(id);
  o["name"] = name;
  o["goal"] = goal;
  o["startsOn"] = starts_on ? json::value(FormatDay(*starts_on)) : json::value(nullptr);
  o["endsOn"] = ends_on ? json::value(FormatDay(*ends_on)) : json::value(nullptr);
  o["budget"] = Money(budget, currency);
  o["currency"] = currency;
  o["segment"] = segment == 0 ? json::value(nullptr) : json::value(std::to_string(segment));
  o["filter"] = filter;
  json::array a;
  for (const CampaignAction& action : actions) a.push_back(ActionJson(action));
  o["actions"] = std::move(a);
  o["status"] = status;
  o["members"] = members;
  o["owner"] = owner;
  o["launchedBy"] = launched_by.empty() ? json::value(nullptr) : json::value(launched_by);
  o["launchedAt"] = launched_at ? json::value(FormatInstant(*launched_at)) : json::value(nullptr);
  internal::PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

json::object Effectiveness::ToJson(const Campaign& c, std::int64_t budget) const {
  json::object o;
  o["members"] = members;
  o["activities"] = activities;
  o["done"] = done;
  o["reached"] = reached;
  o["responses"] = responses;
  o["offers"] = offers;
  o["acceptedOffers"] = accepted_offers;
  o["orders"] = orders;
  o["revenue"] = Money(revenue, c.currency);
  o["ordersInOtherCurrencies"] = revenue_other;
  // What one order cost: the budget over the orders (none yet: null).
  o["costPerOrder"] =
      orders == 0 ? json::value(nullptr)
                  : json::value(Money(budget / static_cast<std::int64_t>(orders), c.currency));
  // Responses per hundred members, to two places, rounded half up.
  o["responsePercent"] =
      members == 0
          ? json::value(nullptr)
          : json::value(FormatFixed(
                static_cast<std::int64_t>((responses * 20'000 + members) / (2 * members)), 2));
  return o;
}

CampaignStore::CampaignStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock,
                             const CustomerStore& customers, ActivityStore& activities,
                             const SegmentEngine& engine, const SegmentStore& segments)
    : store_(store),
      audit_(audit),
      clock_(clock),
      customers_(customers),
      activities_(activities),
      engine_(engine),
      segments_(segments) {}

std::optional<std::pair<CampaignId, std::uint32_t>> CampaignStore::Attribution(
    std::string_view text) {
  return ParseAttribution(text);
}

Result<Campaign> CampaignStore::Check(Campaign c, const json::object& fields) const {
  std::vector<ErrorDetail> problems;
  FieldReader f(fields, problems);
  f.Known({"name", "goal", "startsOn", "endsOn", "budget", "currency", "segment", "actions"},
          "a campaign", "name, goal, startsOn, endsOn, budget, currency, segment, actions");
  f.Text("name", 200, c.name);
  f.Text("goal", 2000, c.goal);
  if (c.name.empty()) f.Problem("name", "a campaign needs a name");
  for (auto [name, day] : {std::pair{"startsOn", &c.starts_on}, std::pair{"endsOn", &c.ends_on}}) {
    const json::value* v = f.Get(name);
    if (v == nullptr) continue;
    if (v->is_null()) {
      day->reset();
    } else if (Result<std::chrono::year_month_day> d =
                   v->is_string() ? ParseDay(v->get_string())
                                  : Result<std::chrono::year_month_day>(
                                        Error::InvalidArgument("a day, YYYY-MM-DD"));
               d) {
      *day = *d;
    } else {
      f.Problem(name, "must be a day, YYYY-MM-DD");
    }
  }
  if (c.starts_on && c.ends_on && *c.ends_on < *c.starts_on) {
    f.Problem("endsOn", "is before startsOn");
  }
  if (const json::value* v = f.Get("currency")) {
    if (!v->is_string() || !FindCurrency(v->get_string())) {
      f.Problem("currency", "must be an ISO 4217 code such as PLN or EUR");
    } else {
      c.currency = std::string(v->get_string());
    }
  }
  if (const json::value* v = f.Get("budget")) {
    Result<Currency> cur = FindCurrency(c.currency);
    Result<std::int64_t> minor = v->is_string() && cur
                                     ? ParseFixed(v->get_string(), cur->digits)
                                     : Result<std::int64_t>(Error::InvalidArgument(""));
    if (!minor || *minor < 0) {
      f.Problem("budget", "money travels as a decimal string (\"15000.00\"), zero or more");
    } else {
      c.budget = *minor;
    }
  }
  if (const json::value* v = f.Get("segment")) {
    if (v->is_null()) {
      c.segment = 0;
    } else if (std::optional<std::uint64_t> id = f.Id(*v, "segment", "a segment")) {
      Result<SavedSegment> s = segments_.Get(*id);
      if (!s) {
        f.Problem("segment", "there is no segment " + std::to_string(*id));
      } else if (s->target != Entity::kCustomer) {
        f.Problem("segment", "segment " + std::to_string(*id) + " selects " +
                                 std::string(EntityPlural(s->target)) +
                                 "; a campaign needs customers");
      } else {
        c.segment = *id;
      }
    }
  }
  if (const json::value* v = f.Get("actions")) {
    if (const json::array* list = f.List(*v, "actions", 50)) {
      std::vector<CampaignAction> actions;
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = "actions[" + std::to_string(i) + "]";
        if (!(*list)[i].is_object()) {
          f.Problem(at, "must be an object {kind, name, owner, date}");
          continue;
        }
        const json::object& a = (*list)[i].get_object();
        CampaignAction action;
        action.id = static_cast<std::uint32_t>(i + 1);
        action.kind = StrOf(a, "kind");
        if (!kKinds.contains(action.kind)) {
          f.Problem(at + ".kind", "must be mailing, call, event or visit");
        }
        action.name = Trim(StrOf(a, "name"));
        if (action.name.empty()) f.Problem(at + ".name", "an action needs a name");
        action.owner = Trim(StrOf(a, "owner"));
        if (const json::value* d = a.if_contains("date"); d != nullptr && !d->is_null()) {
          Result<std::chrono::year_month_day> day =
              d->is_string() ? ParseDay(d->get_string())
                             : Result<std::chrono::year_month_day>(Error::InvalidArgument(""));
          if (!day) {
            f.Problem(at + ".date", "must be a day, YYYY-MM-DD");
          } else {
            action.date = *day;
          }
        }
        actions.push_back(std::move(action));
      }
      c.actions = std::move(actions);
    }
  }
  if (!problems.empty()) return Invalid("the campaign", std::move(problems));
  return c;
}

Result<void> CampaignStore::Put(const Campaign& c, const char* action, const audit::Actor& actor,
                                json::object details) {
  storage::WriteBatch batch;
  batch.Put(kCrm, CampaignKey(c.id), json::serialize(Stored(c)));
  if (std::string_view(action) == "campaign.created") {
    batch.Put(kCrm, kNextKey, std::to_string(c.id + 1));
  }
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, action, "campaign/" + std::to_string(c.id), std::move(details)}},
      c.modified_at));
  return Ok();
}

Result<Campaign> CampaignStore::Create(const json::object& fields, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  Campaign c;
  c.owner = actor.id;
  QUIRE_ASSIGN_OR_RETURN(c, Check(std::move(c), fields));
  QUIRE_ASSIGN_OR_RETURN(c.id, internal::NextId(store_, std::string(kNextKey)));
  c.created_by = actor.id;
  c.created_at = c.modified_at = clock_.Now();
  QUIRE_RETURN_IF_ERROR(
      Put(c, "campaign.created", actor, {{"fields", internal::FieldNames(fields)}}));
  return c;
}

Result<Campaign> CampaignStore::Update(CampaignId id, const json::object& patch,
                                       const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Campaign before, Get(id));
  if (before.status != "planned" &&
      (patch.contains("segment") || patch.contains("actions") || patch.contains("currency"))) {
    return Error::Conflict("campaign " + std::to_string(id) + " is " + before.status +
                           ": its segment, actions and currency were fixed at its launch");
  }
  QUIRE_ASSIGN_OR_RETURN(Campaign c, Check(before, patch));
  c.modified_at = clock_.Now();
  QUIRE_RETURN_IF_ERROR(
      Put(c, "campaign.changed", actor, {{"fields", internal::FieldNames(patch)}}));
  return c;
}

Result<Campaign> CampaignStore::Get(CampaignId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text, store_.Get(kCrm, CampaignKey(id)));
  if (!text) return Error::NotFound("no campaign " + std::to_string(id));
  return FromStored(*text);
}

Result<std::vector<Campaign>> CampaignStore::List() const {
  std::vector<Campaign> out;
  auto it = store_.ScanPrefix(kCrm, storage::KeyEncoder().U8('V').U8('c').Take());
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(Campaign c, FromStored(it.value()));
    out.push_back(std::move(c));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<std::vector<std::uint64_t>> CampaignStore::Members(CampaignId id, std::uint64_t after,
                                                          std::size_t limit) const {
  std::vector<std::uint64_t> out;
  const std::string prefix = MembersPrefix(id);
  auto it = store_.ScanPrefix(kCrm, prefix);
  it.Seek(storage::KeyEncoder(prefix).U64(after + 1).Take());
  for (; it.Valid() && out.size() < limit; it.Next()) {
    storage::KeyDecoder d(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t customer, d.U64());
    out.push_back(customer);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<Campaign> CampaignStore::Launch(CampaignId id, const Filter* scope,
                                       const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Campaign c, Get(id));
  if (c.status == "running" || c.status == "finished") {
    return Error::Conflict("campaign " + std::to_string(id) + " was launched already (" + c.status +
                           ")");
  }
  if (c.status == "planned") {
    if (c.segment == 0) {
      return Error::ValidationFailed(
          "campaign " + std::to_string(id) + " has no segment: set \"segment\" to a saved segment",
          {{"segment", "a campaign is launched at a segment"}});
    }
    QUIRE_ASSIGN_OR_RETURN(SavedSegment segment, segments_.Get(c.segment));
    QUIRE_ASSIGN_OR_RETURN(Filter filter, SegmentStore::FilterOf(segment));
    QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> members, engine_.All(filter, scope));
    // The snapshot, in batches; the campaign becomes "launching" with the last.
    for (std::size_t at = 0; at < members.size() || at == 0; at += 10'000) {
      storage::WriteBatch batch;
      for (std::size_t i = at; i < members.size() && i < at + 10'000; ++i) {
        batch.Put(kCrm, MemberKey(id, members[i]), "");
        batch.SetBit(kCrm, MemberChunkKey(id, members[i]), segment_keys::BitInChunk(members[i]),
                     true);
      }
      if (at + 10'000 >= members.size()) {
        c.status = "launching";
        c.members = members.size();
        c.filter = filter.ToText();
        c.launched_by = actor.id;
        c.launched_at = c.modified_at = clock_.Now();
        if (!c.starts_on) c.starts_on = DayOfTimestamp(*c.launched_at);
        batch.Put(kCrm, CampaignKey(id), json::serialize(Stored(c)));
        QUIRE_RETURN_IF_ERROR(
            audit_.Commit(std::move(batch),
                          {{actor,
                            "campaign.launched",
                            "campaign/" + std::to_string(id),
                            {{"members", members.size()}, {"segment", std::to_string(c.segment)}}}},
                          c.modified_at));
        break;
      }
      QUIRE_RETURN_IF_ERROR(store_.Write(batch));
    }
  }
  // The actions' activities: one per member and action, made once (their external ids).
  if (!c.actions.empty()) {
    std::vector<std::uint64_t> members;
    std::uint64_t after = 0;
    while (true) {
      QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> page, Members(id, after, 10'000));
      if (page.empty()) break;
      members.insert(members.end(), page.begin(), page.end());
      after = page.back();
    }
    ActivityStore::Bulk bulk(activities_);
    for (std::uint64_t member : members) {
      Customer customer;
      bool read = false;
      for (const CampaignAction& action : c.actions) {
        const std::string external = "campaign-" + std::to_string(id) + "-" +
                                     std::to_string(action.id) + "-" + std::to_string(member);
        QUIRE_ASSIGN_OR_RETURN(std::optional<ActivityId> made,
                               activities_.FindByExternalId(external));
        if (made) continue;
        if (!read) {
          QUIRE_ASSIGN_OR_RETURN(customer, customers_.Get(member));
          read = true;
        }
        const std::chrono::year_month_day day =
            action.date ? *action.date : c.starts_on.value_or(DayOfTimestamp(clock_.Now()));
        const std::string owner = action.owner.empty() ? customer.owner : action.owner;
        json::object fields{{"type", TypeOf(action.kind)},
                            {"status", "planned"},
                            {"title", action.name},
                            {"start", FormatDay(day) + "T00:00:00Z"},
                            {"end", FormatDay(std::chrono::year_month_day(
                                        std::chrono::sys_days(day) + std::chrono::days(1))) +
                                        "T00:00:00Z"},
                            {"allDay", true},
                            {"customer", std::to_string(member)},
                            {"campaign", std::to_string(id) + "/" + std::to_string(action.id)},
                            {"externalId", external}};
        if (!owner.empty()) fields["employees"] = json::array{json::value(owner)};
        Result<Activity> a = bulk.Create(fields, actor);
        if (!a)
          return a.error().WithContext("campaign " + std::to_string(id) + ", action " +
                                       std::to_string(action.id) + ", customer " +
                                       std::to_string(member));
        if (bulk.staged() >= 1000) QUIRE_RETURN_IF_ERROR(bulk.Commit());
      }
    }
    QUIRE_RETURN_IF_ERROR(bulk.Commit());
  }
  c.status = "running";
  c.modified_at = clock_.Now();
  QUIRE_RETURN_IF_ERROR(Put(c, "campaign.running", actor, {}));
  return c;
}

Result<Campaign> CampaignStore::Finish(CampaignId id, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(Campaign c, Get(id));
  if (c.status != "running") {
    return Error::Conflict("campaign " + std::to_string(id) + " is " + c.status +
                           ": only a running campaign is finished");
  }
  c.status = "finished";
  if (!c.ends_on) c.ends_on = DayOfTimestamp(clock_.Now());
  c.modified_at = clock_.Now();
  QUIRE_RETURN_IF_ERROR(Put(c, "campaign.finished", actor, {}));
  return c;
}

Result<std::map<std::uint32_t, Effectiveness>> CampaignStore::Measure(CampaignId id) const {
  QUIRE_ASSIGN_OR_RETURN(Campaign c, Get(id));
  std::map<std::uint32_t, Effectiveness> out;
  out[0].members = c.members;
  for (const CampaignAction& a : c.actions) out[a.id].members = c.members;
  // Per campaign (0) and action: the customers reached and responding.
  std::map<std::uint32_t, std::unordered_set<std::uint64_t>> reached, responded;
  const std::string prefix = segment_keys::Attributed(id);
  auto it = store_.ScanPrefix(kCrm, prefix);
  SegmentRow row;
  for (; it.Valid(); it.Next()) {
    storage::KeyDecoder d(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::uint8_t entity, d.U8());
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t record, d.U64());
    QUIRE_RETURN_IF_ERROR(SegmentRow::DecodeInto(it.value(), record, row));
    auto text = [&](std::uint8_t code) {
      const RowField* f = row.Find(code);
      return f != nullptr ? f->text : std::string();
    };
    auto number = [&](std::uint8_t code) {
      const RowField* f = row.Find(code);
      return f != nullptr ? f->number : 0;
    };
    const char kind = static_cast<char>(entity);
    const std::uint8_t campaign_code = kind == 'a' ? 7 : kind == 'o' ? 10 : 11;
    const auto attribution = ParseAttribution(text(campaign_code));
    if (!attribution || attribution->first != id) continue;
    std::vector<std::uint32_t> keys = {0};
    if (attribution->second != 0 && out.contains(attribution->second)) {
      keys.push_back(attribution->second);
    }
    for (std::uint32_t k : keys) {
      Effectiveness& e = out[k];
      if (kind == 'a') {
        ++e.activities;
        if (text(3) == "done") {
          ++e.done;
          reached[k].insert(row.customer);
          if (!text(9).empty()) responded[k].insert(row.customer);
        }
      } else if (kind == 'o') {
        ++e.offers;
        responded[k].insert(row.customer);
        const std::string status = text(2);
        if (status == "accepted") ++e.accepted_offers;
      } else if (kind == 'r') {
        if (text(2) == "cancelled") continue;
        ++e.orders;
        if (text(6) == c.currency) {
          // Rows keep money at 10^-4; the campaign's in minor units.
          Result<Currency> cur = FindCurrency(c.currency);
          std::int64_t scale = 1;
          for (int i = cur ? cur->digits : 2; i < kPlaces; ++i) scale *= 10;
          e.revenue += number(7) / scale;
        } else {
          ++e.revenue_other;
        }
      }
    }
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  for (auto& [k, e] : out) {
    e.reached = reached[k].size();
    e.responses = responded[k].size();
  }
  return out;
}

}  // namespace quire::crm
