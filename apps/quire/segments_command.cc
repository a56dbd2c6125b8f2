// quire crm segments query|list|save|show|delete: filters run and saved from the command
// line; quire crm campaigns list|show|launch|finish: campaigns and their effectiveness; on
// a store no server holds (/api/crm/segments, /api/crm/campaigns while Quire serves).
#include <boost/json.hpp>
#include <iostream>

#include "commands.h"
#include "engine_session.h"
#include "quire/base/json_text.h"
#include "quire/crm/campaigns.h"
#include "quire/crm/segments.h"

namespace quire::app {
namespace {

constexpr std::string_view kUsage =
    "Usage: quire crm segments query FILTER [--of customers|activities|offers|orders|cases]\n"
    "         [--limit N] [--explain] [--json] [--data-dir DIR]\n"
    "       quire crm segments save NAME FILTER [--of ...] [--as USER] [--data-dir DIR]\n"
    "       quire crm segments show ID|NAME [--limit N] [--json] [--data-dir DIR]\n"
    "       quire crm segments list|delete ID|NAME [--as USER] [--json] [--data-dir DIR]\n\n"
    "FILTER in the text form (README: Segments), e.g.\n"
    "  'city = \"Kraków\" and no order (date >= today - 12m)'\n"
    "query counts what it selects and prints the first page (--limit, 20 by default), a line\n"
    "each; --explain adds the plan taken, --json the answer as the API gives it. save keeps\n"
    "a filter under a name; show runs a saved one; list lists them; delete deletes one.\n";

std::string SummaryOf(services::Services& s, crm::Entity e, std::uint64_t id,
                      boost::json::object& json_out) {
  const Timestamp now = s.clock().Now();
  switch (e) {
    case crm::Entity::kCustomer: {
      auto c = s.customers().Get(id);
      if (!c) return std::to_string(id) + "  (" + c.error().message() + ")";
      json_out = c->ToJson();
      return std::to_string(id) + "  " + c->name + "  (" + c->kind + ", " + c->owner + ")";
    }
    case crm::Entity::kActivity: {
      auto a = s.activities().Get(id);
      if (!a) return std::to_string(id) + "  (" + a.error().message() + ")";
      json_out = a->ToJson();
      return std::to_string(id) + "  " + a->type + "  " + a->status + "  " +
             std::string(json_out.at("start").as_string()) + "  customer " +
             std::to_string(a->customer) + "  " + a->title;
    }
    case crm::Entity::kOffer: {
      auto o = s.offers().Get(id);
      if (!o) return std::to_string(id) + "  (" + o.error().message() + ")";
      json_out = o->ToJson();
      return std::to_string(id) + "  " + o->number + "  " + o->status + "  customer " +
             std::to_string(o->customer) + "  " +
             std::string(json_out.at("totals").at("gross").as_string()) + " " + o->currency;
    }
    case crm::Entity::kOrder: {
      auto o = s.offers().GetOrder(id);
      if (!o) return std::to_string(id) + "  (" + o.error().message() + ")";
      json_out = o->ToJson(s.offers().Today(now));
      return std::to_string(id) + "  " + o->number + "  " + o->status + "  customer " +
             std::to_string(o->customer) + "  " +
             std::string(json_out.at("outstanding").as_string()) + " " + o->currency +
             " outstanding";
    }
    case crm::Entity::kCase: {
      auto c = s.cases().Get(id);
      if (!c) return std::to_string(id) + "  (" + c.error().message() + ")";
      json_out = c->ToJson(now);
      return std::to_string(id) + "  " + c->number + "  " + c->status + "  " + c->priority +
             "  customer " + std::to_string(c->customer) + "  " + c->subject;
    }
  }
  return std::to_string(id);
}

// The error of a filter, with the text and a caret under the column it names.
int FilterError(const std::string& command, const Error& e, const std::string& text) {
  std::cerr << command << ": " << e.message() << "\n";
  if (e.details().size() == 1 && e.details()[0].field.starts_with("text:")) {
    const std::string& where = e.details()[0].field;
    const std::size_t colon = where.rfind(':');
    const std::size_t line = std::stoul(where.substr(5, colon - 5));
    const std::size_t column = std::stoul(where.substr(colon + 1));
    std::size_t at = 0;
    for (std::size_t l = 1; l < line && at != std::string::npos; ++l) {
      at = text.find('\n', at);
      if (at != std::string::npos) ++at;
    }
    if (at != std::string::npos) {
      const std::string row = text.substr(at, text.find('\n', at) - at);
      std::string pad;
      std::size_t chars = 0;
      for (char c : row) {
        if (chars + 1 >= column) break;
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
          ++chars;
          pad += c == '\t' ? '\t' : ' ';
        }
      }
      std::cerr << "  " << row << "\n  " << pad << "^\n";
    }
  }
  return kExitFailure;
}

int Print(services::Services& s, const crm::Filter& f, std::size_t limit, bool explain,
          bool json_out, const std::string& command) {
  auto answer = s.segment_engine().Run(f, nullptr, 0, limit);
  if (!answer) {
    std::cerr << command << ": " << answer.error().message() << "\n";
    return kExitFailure;
  }
  boost::json::array items;
  std::vector<std::string> lines;
  for (std::uint64_t id : answer->ids) {
    boost::json::object j;
    lines.push_back(SummaryOf(s, f.target, id, j));
    items.push_back(std::move(j));
  }
  if (json_out) {
    boost::json::object out{
        {"count", answer->count},
        {"items", std::move(items)},
        {"next", answer->next != 0 ? boost::json::value(std::to_string(answer->next))
                                   : boost::json::value(nullptr)},
        {"of", crm::EntityPlural(f.target)},
        {"text", f.ToText()}};
    if (explain) out["plan"] = answer->plan;
    std::cout << JsonText(out) << "\n";
    return kExitOk;
  }
  std::cout << answer->count << " " << crm::EntityPlural(f.target) << ": " << f.ToText() << "\n";
  for (const std::string& line : lines) std::cout << "  " << line << "\n";
  if (answer->count > lines.size()) {
    std::cout << "  ... and " << answer->count - lines.size() << " more\n";
  }
  if (explain) {
    std::cout << "plan (" << answer->plan.at("ms").to_number<double>() << " ms):\n";
    for (const boost::json::value& step : answer->plan.at("steps").as_array()) {
      std::cout << "  " << std::string(step.at("step").as_string()) << "  [estimate "
                << step.at("estimate").to_number<std::uint64_t>() << ", rows "
                << step.at("rows").to_number<std::uint64_t>() << ", "
                << step.at("ms").to_number<double>() << " ms]\n";
    }
  }
  return kExitOk;
}

}  // namespace

int RunSegments(const std::vector<std::string>& args) {
  const std::string command = "quire crm segments";
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
    std::cout << kUsage;
    return args.size() < 2 ? kExitUsage : kExitOk;
  }
  const std::string action = args[1];
  std::vector<std::string> positional;
  std::string data_dir = "quire-data", as = "cli", of = "customers";
  std::size_t limit = 20;
  bool json_out = false, explain = false;
  for (std::size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--data-dir" || a == "--as" || a == "--of" || a == "--limit") &&
        i + 1 < args.size()) {
      const std::string& v = args[++i];
      if (a == "--data-dir") data_dir = v;
      if (a == "--as") as = v;
      if (a == "--of") of = v;
      if (a == "--limit") {
        try {
          limit = std::stoul(v);
        } catch (...) {
          limit = 0;
        }
        if (limit == 0 || limit > 10'000) {
          std::cerr << command << ": --limit is a number from 1 to 10000, not '" << v << "'\n";
          return kExitUsage;
        }
      }
    } else if (a == "--json") {
      json_out = true;
    } else if (a == "--explain") {
      explain = true;
    } else if (a.starts_with("--")) {
      std::cerr << command << ": unexpected '" << a << "'\n" << kUsage;
      return kExitUsage;
    } else {
      positional.push_back(a);
    }
  }
  const std::size_t wanted = action == "query"                          ? 1
                             : action == "save"                         ? 2
                             : action == "list"                         ? 0
                             : (action == "show" || action == "delete") ? 1
                                                                        : 99;
  if (wanted == 99) {
    std::cerr << command << ": unknown action '" << action
              << "' (query, save, show, list, delete)\n"
              << kUsage;
    return kExitUsage;
  }
  if (positional.size() != wanted) {
    std::cerr << command << " " << action << ": expected " << wanted << " argument"
              << (wanted == 1 ? "" : "s") << ", got " << positional.size() << "\n"
              << kUsage;
    return kExitUsage;
  }
  const std::optional<crm::Entity> target = crm::EntityFromName(of);
  if (!target) {
    std::cerr << command << ": --of is customers, activities, offers, orders or cases, not '" << of
              << "'\n";
    return kExitUsage;
  }
  auto session = OpenSession("crm segments " + action, data_dir,
                             {.create = false, .busy_hint = "use /api/crm/segments instead"});
  if (!session) return kExitFailure;
  services::Services& s = *session;
  const audit::Actor actor{as, "cli"};
  if (action == "query") {
    auto f = crm::ParseFilterText(positional[0], *target);
    if (!f) return FilterError(command, f.error(), positional[0]);
    return Print(s, *f, limit, explain, json_out, command);
  }
  if (action == "save") {
    boost::json::object fields{
        {"name", positional[0]}, {"text", positional[1]}, {"of", crm::EntityPlural(*target)}};
    auto saved = s.segments().Create(fields, actor);
    if (!saved) return FilterError(command, saved.error(), positional[1]);
    std::cout << "segment " << saved->id << " \"" << saved->name << "\" saved: " << saved->text
              << "\n";
    return kExitOk;
  }
  if (action == "list") {
    auto all = s.segments().List();
    if (!all) {
      std::cerr << command << ": " << all.error().message() << "\n";
      return kExitFailure;
    }
    if (json_out) {
      boost::json::array items;
      for (const crm::SavedSegment& seg : *all) items.push_back(seg.ToJson());
      std::cout << JsonText(boost::json::object{{"items", std::move(items)}}) << "\n";
      return kExitOk;
    }
    for (const crm::SavedSegment& seg : *all) {
      std::cout << seg.id << "  " << seg.name << "  (" << crm::EntityPlural(seg.target) << ")  "
                << seg.text << "\n";
    }
    if (all->empty()) std::cout << "no segments\n";
    return kExitOk;
  }
  auto found = s.segments().Find(positional[0]);
  if (!found) {
    std::cerr << command << " " << action << ": " << found.error().message() << "\n";
    return kExitFailure;
  }
  if (action == "delete") {
    if (auto done = s.segments().Delete(found->id, actor); !done) {
      std::cerr << command << " delete: " << done.error().message() << "\n";
      return kExitFailure;
    }
    std::cout << "segment " << found->id << " \"" << found->name << "\" deleted\n";
    return kExitOk;
  }
  auto f = crm::SegmentStore::FilterOf(*found);
  if (!f) return FilterError(command, f.error(), found->text);
  return Print(s, *f, limit, explain, json_out, command);
}

int RunCampaigns(const std::vector<std::string>& args) {
  const std::string command = "quire crm campaigns";
  static constexpr std::string_view kCampaignsUsage =
      "Usage: quire crm campaigns list|show ID|launch ID|finish ID [--json] [--as USER]\n"
      "         [--data-dir DIR]\n\n"
      "list: the campaigns; show: one with its effectiveness (members reached, responses,\n"
      "offers, orders, revenue, cost per order; per action); launch: its segment's customers\n"
      "become its members and each action a planned activity of each; finish: it ends.\n";
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
    std::cout << kCampaignsUsage;
    return args.size() < 2 ? kExitUsage : kExitOk;
  }
  const std::string action = args[1];
  std::string data_dir = "quire-data", as = "cli", id_text;
  bool json_out = false;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if ((args[i] == "--data-dir" || args[i] == "--as") && i + 1 < args.size()) {
      (args[i] == "--data-dir" ? data_dir : as) = args[i + 1];
      ++i;
    } else if (args[i] == "--json") {
      json_out = true;
    } else if (!args[i].starts_with("--") && id_text.empty()) {
      id_text = args[i];
    } else {
      std::cerr << command << ": unexpected '" << args[i] << "'\n" << kCampaignsUsage;
      return kExitUsage;
    }
  }
  if (action != "list" && action != "show" && action != "launch" && action != "finish") {
    std::cerr << command << ": unknown action '" << action << "' (list, show, launch, finish)\n"
              << kCampaignsUsage;
    return kExitUsage;
  }
  crm::CampaignId id = 0;
  if (action != "list") {
    if (id_text.empty() ||
        !std::all_of(id_text.begin(), id_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      std::cerr << command << " " << action << ": give the campaign's id\n" << kCampaignsUsage;
      return kExitUsage;
    }
    id = std::stoull(id_text);
  }
  auto session = OpenSession("crm campaigns " + action, data_dir,
                             {.create = false, .busy_hint = "use /api/crm/campaigns instead"});
  if (!session) return kExitFailure;
  crm::CampaignStore& campaigns = session->campaigns();
  auto fail = [&](const Error& e) {
    std::cerr << command << " " << action << ": " << e.message() << "\n";
    return kExitFailure;
  };
  if (action == "list") {
    auto all = campaigns.List();
    if (!all) return fail(all.error());
    boost::json::array items;
    for (const crm::Campaign& c : *all) {
      items.push_back(c.ToJson());
      if (!json_out) {
        std::cout << c.id << "  " << c.name << "  " << c.status << "  " << c.members
                  << " members\n";
      }
    }
    if (json_out) std::cout << JsonText(boost::json::object{{"items", std::move(items)}}) << "\n";
    if (!json_out && all->empty()) std::cout << "no campaigns\n";
    return kExitOk;
  }
  Result<crm::Campaign> c = action == "launch"   ? campaigns.Launch(id, nullptr, {as, "cli"})
                            : action == "finish" ? campaigns.Finish(id, {as, "cli"})
                                                 : campaigns.Get(id);
  if (!c) return fail(c.error());
  auto measured = campaigns.Measure(id);
  if (!measured) return fail(measured.error());
  const boost::json::object all = measured->at(0).ToJson(*c, c->budget);
  if (json_out) {
    boost::json::object out = c->ToJson();
    out["effectiveness"] = all;
    std::cout << JsonText(out) << "\n";
    return kExitOk;
  }
  std::cout << "campaign " << c->id << " \"" << c->name << "\": " << c->status << ", " << c->members
            << " members (" << (c->filter.empty() ? "not launched" : c->filter) << "), budget "
            << std::string(c->ToJson().at("budget").as_string()) << " " << c->currency << "\n";
  auto line = [&](const std::string& what, const boost::json::object& e) {
    std::cout << "  " << what << ": " << e.at("activities").to_number<std::int64_t>()
              << " activities (" << e.at("done").to_number<std::int64_t>() << " done), "
              << e.at("reached").to_number<std::int64_t>() << " reached, "
              << e.at("responses").to_number<std::int64_t>() << " responses, "
              << e.at("offers").to_number<std::int64_t>() << " offers, "
              << e.at("orders").to_number<std::int64_t>() << " orders, revenue "
              << std::string(e.at("revenue").as_string()) << " " << c->currency << "\n";
  };
  line("all", all);
  for (const crm::CampaignAction& a : c->actions) {
    if (auto it = measured->find(a.id); it != measured->end()) {
      line("action " + std::to_string(a.id) + " (" + a.kind + ", " + a.name + ")",
           it->second.ToJson(*c, c->budget));
    }
  }
  return kExitOk;
}

}  // namespace quire::app
