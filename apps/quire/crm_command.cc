// quire crm import customers|contacts|activities FILE: the CRM's records from other programs;
// quire crm resources FILE.json: its rooms, cars and devices;
// quire crm products FILE.json: its products and services.
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "commands.h"
#include "engine_session.h"
#include "quire/base/json_text.h"
#include "quire/crm/import.h"

namespace quire::app {
namespace {

// "line 12: ..." → 12.
std::size_t LineOf(const std::string& message) {
  std::size_t line = 0;
  if (message.starts_with("line ")) {
    for (std::size_t i = 5; i < message.size() && message[i] >= '0' && message[i] <= '9'; ++i) {
      line = line * 10 + static_cast<std::size_t>(message[i] - '0');
    }
  }
  return line;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// What `quire crm resources|products FILE.json` declares: a JSON list of the objects the
// API's POST takes; one whose key (a resource's name, a product's code) a stored one has
// changes that one.
struct Declared {
  const char* command;  // "resources"
  const char* shape;    // "{\"name\", \"kind\", \"capacity\", ...}"
  const char* key;      // the member that names a stored one
  const char* busy_hint;
  // The stored ones' ids by key; create; update.
  std::function<Result<std::map<std::string, std::uint64_t>>(services::Services&)> stored;
  std::function<Result<void>(services::Services&, const boost::json::object&, const audit::Actor&)>
      create;
  std::function<Result<void>(services::Services&, std::uint64_t, const boost::json::object&,
                             const audit::Actor&)>
      update;
};

int RunDeclare(const std::vector<std::string>& args, const Declared& d) {
  const std::string what = std::string("quire crm ") + d.command;
  std::string data_dir = "quire-data", as, path;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "--data-dir" || args[i] == "--as") && i + 1 < args.size()) {
      std::string& target = args[i] == "--data-dir" ? data_dir : as;
      target = args[++i];
    } else if (args[i].starts_with("--") || !path.empty()) {
      std::cerr << what << ": unexpected '" << args[i] << "'\n" << CrmUsage();
      return kExitUsage;
    } else {
      path = args[i];
    }
  }
  if (path.empty()) {
    std::cerr << what << ": give the JSON file\n" << CrmUsage();
    return kExitUsage;
  }
  const auto text = ReadFile(path);
  if (!text) {
    std::cerr << what << ": cannot read " << path << "\n";
    return kExitFailure;
  }
  boost::system::error_code ec;
  const boost::json::value list = boost::json::parse(*text, ec);
  if (ec || !list.is_array()) {
    std::cerr << what << ": " << path << ": not a JSON list of " << d.command << " [" << d.shape
              << "]" << (ec ? ": " + ec.message() : "") << "\n";
    return kExitUsage;
  }
  auto session = OpenSession(std::string("crm ") + d.command, data_dir,
                             {.create = true, .busy_hint = d.busy_hint});
  if (!session) return kExitFailure;
  auto stored = d.stored(*session);
  if (!stored) {
    std::cerr << what << ": " << stored.error().message() << "\n";
    return kExitFailure;
  }
  std::size_t created = 0, changed = 0, index = 0;
  int exit = kExitOk;
  for (const boost::json::value& item : list.get_array()) {
    const std::string at = path + ": [" + std::to_string(index++) + "]";
    if (!item.is_object()) {
      std::cerr << at << ": must be an object " << d.shape << "\n";
      exit = kExitFailure;
      continue;
    }
    const boost::json::value* key = item.get_object().if_contains(d.key);
    const auto same = key != nullptr && key->is_string()
                          ? stored->find(std::string(key->get_string()))
                          : stored->end();
    auto written = same != stored->end()
                       ? d.update(*session, same->second, item.get_object(), LocalActor(as))
                       : d.create(*session, item.get_object(), LocalActor(as));
    if (!written) {
      std::cerr << at << ": " << written.error().message() << "\n";
      for (const ErrorDetail& e : written.error().details()) {
        std::cerr << "  " << e.field << ": " << e.message << "\n";
      }
      exit = kExitFailure;
      continue;
    }
    ++(same != stored->end() ? changed : created);
  }
  std::cout << created << " " << d.command << " created, " << changed << " changed\n";
  return exit;
}

// quire crm offers|orders|cases: the sales and service records, newest first, a line each
// (or, with --json, {items} as the API answers them).
int RunList(const std::vector<std::string>& args) {
  const std::string what = args[0];
  std::string data_dir = "quire-data", customer_text, status;
  bool json_out = false, unpaid = false, open = false;
  std::size_t limit = 50;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--data-dir" || a == "--customer" || a == "--status" || a == "--limit") &&
        i + 1 < args.size()) {
      const std::string& v = args[++i];
      if (a == "--data-dir") data_dir = v;
      if (a == "--customer") customer_text = v;
      if (a == "--status") status = v;
      if (a == "--limit") {
        try {
          limit = std::stoul(v);
        } catch (...) {
          std::cerr << "quire crm " << what << ": --limit is a number, not '" << v << "'\n";
          return kExitUsage;
        }
      }
    } else if (a == "--json") {
      json_out = true;
    } else if (a == "--unpaid" && what == "orders") {
      unpaid = true;
    } else if (a == "--open" && what == "cases") {
      open = true;
    } else {
      std::cerr << "quire crm " << what << ": unexpected '" << a << "'\n" << CrmUsage();
      return kExitUsage;
    }
  }
  crm::CustomerId customer = 0;
  if (!customer_text.empty()) {
    try {
      customer = std::stoull(customer_text);
    } catch (...) {
      std::cerr << "quire crm " << what << ": --customer is a customer id, not '" << customer_text
                << "'\n";
      return kExitUsage;
    }
  }
  auto session =
      OpenSession("crm " + what, data_dir,
                  {.create = false, .busy_hint = "use GET /api/crm/" + what + " instead"});
  if (!session) return kExitFailure;
  const Timestamp now = session->clock().Now();
  const auto today = session->offers().Today(now);
  boost::json::array items;
  std::vector<std::string> lines;
  auto fail = [&](const Error& e) {
    std::cerr << "quire crm " << what << ": " << e.message() << "\n";
    return kExitFailure;
  };
  if (what == "offers") {
    auto found = session->offers().List(customer, limit, 0, [&](const crm::Offer& o) {
      return status.empty() || o.status == status;
    });
    if (!found) return fail(found.error());
    for (const crm::Offer& o : *found) {
      items.push_back(o.ToJson());
      const boost::json::object j = o.ToJson();
      lines.push_back(o.number + (o.revision > 1 ? " r" + std::to_string(o.revision) : "") +
                      "  customer " + std::to_string(o.customer) + "  " + o.status + "  " +
                      std::string(j.at("totals").at("gross").as_string()) + " " + o.currency +
                      " gross  id " + std::to_string(o.id));
    }
  } else if (what == "orders") {
    auto found = session->offers().Orders(customer, limit, 0, [&](const crm::Order& o) {
      return (status.empty() || o.status == status) && (!unpaid || o.outstanding() > 0);
    });
    if (!found) return fail(found.error());
    for (const crm::Order& o : *found) {
      const boost::json::object j = o.ToJson(today);
      items.push_back(j);
      lines.push_back(o.number + "  customer " + std::to_string(o.customer) + "  " + o.status +
                      "  " + std::string(j.at("outstanding").as_string()) + " " + o.currency +
                      " outstanding, due " + std::string(j.at("dueOn").as_string()) +
                      (o.overdue(today) ? " (overdue)" : "") + "  id " + std::to_string(o.id));
    }
  } else {
    auto found = session->cases().List(customer, open, limit, 0, [&](const crm::ServiceCase& c) {
      return (status.empty() || c.status == status) && (!open || c.open());
    });
    if (!found) return fail(found.error());
    for (const crm::ServiceCase& c : *found) {
      items.push_back(c.ToJson(now));
      const bool late = c.open() && (c.response_breached(now) || c.resolution_breached(now));
      lines.push_back(c.number + "  customer " + std::to_string(c.customer) + "  " + c.kind + "  " +
                      c.priority + "  " + c.status + (late ? "  SLA breached" : "") + "  " +
                      c.subject + "  id " + std::to_string(c.id));
    }
  }
  if (json_out) {
    std::cout << JsonText(boost::json::object{{"items", std::move(items)}}) << "\n";
  } else {
    for (const std::string& line : lines) std::cout << line << "\n";
    if (lines.empty()) std::cout << "no " << what << "\n";
  }
  return kExitOk;
}

const Declared kResources{
    "resources",
    "{\"name\", \"kind\", \"capacity\", ...}",
    "name",
    "use POST /api/crm/resources instead",
    [](services::Services& s) -> Result<std::map<std::string, std::uint64_t>> {
      QUIRE_ASSIGN_OR_RETURN(std::vector<crm::Resource> all, s.resources().List());
      std::map<std::string, std::uint64_t> out;
      for (const crm::Resource& r : all) out[r.name] = r.id;
      return out;
    },
    [](services::Services& s, const boost::json::object& o, const audit::Actor& a) -> Result<void> {
      QUIRE_RETURN_IF_ERROR(s.resources().Create(o, a));
      return Ok();
    },
    [](services::Services& s, std::uint64_t id, const boost::json::object& o,
       const audit::Actor& a) -> Result<void> {
      QUIRE_RETURN_IF_ERROR(s.resources().Update(id, o, a));
      return Ok();
    }};

const Declared kProducts{
    "products",
    "{\"code\", \"name\", \"unit\", \"taxRate\", \"prices\", ...}",
    "code",
    "use POST /api/crm/products instead",
    [](services::Services& s) -> Result<std::map<std::string, std::uint64_t>> {
      std::map<std::string, std::uint64_t> out;
      std::string after;
      do {
        QUIRE_ASSIGN_OR_RETURN(crm::ProductStore::Page page,
                               s.products().List("", true, 1000, after));
        for (const crm::Product& p : page.products) out[p.code] = p.id;
        after = page.next;
      } while (!after.empty());
      return out;
    },
    [](services::Services& s, const boost::json::object& o, const audit::Actor& a) -> Result<void> {
      QUIRE_RETURN_IF_ERROR(s.products().Create(o, a));
      return Ok();
    },
    [](services::Services& s, std::uint64_t id, const boost::json::object& o,
       const audit::Actor& a) -> Result<void> {
      QUIRE_RETURN_IF_ERROR(s.products().Update(id, o, a));
      return Ok();
    }};

}  // namespace

std::string CrmUsage() {
  return "Usage: quire crm resources|products FILE.json [--as USER] [--data-dir DIR]\n"
         "       quire crm offers|orders|cases [--customer ID] [--status S] [--unpaid (orders)]\n"
         "         [--open (cases)] [--limit N] [--json] [--data-dir DIR]\n"
         "       quire crm segments query|save|show|list|delete ... (quire crm segments --help)\n"
         "       quire crm campaigns list|show ID|launch ID|finish ID (quire crm campaigns "
         "--help)\n"
         "       quire crm import customers|contacts|activities FILE [--format csv|vcard|ical]\n"
         "         [--mapping FILE] [--dry-run] [--json] [--skip-bad-rows] [--encoding E]\n"
         "         [--delimiter D] [--as USER] [--data-dir DIR]\n\n"
         "Imports a CSV file (the columns of Google Contacts, Outlook, Thunderbird, Salesforce,\n"
         "HubSpot, Odoo, EspoCRM and Polish spreadsheets are recognised by their headers; any\n"
         "other with --mapping: JSON {\"Header\": \"field\"} or CSV lines Header,field) or a\n"
         "vCard file (2.1, 3.0, 4.0; contacts) or an iCalendar file (.ics; activities: UID\n"
         "updates on re-import). Every row is checked first: one bad row and\n"
         "nothing is written, unless --skip-bad-rows. A record whose external id (or tax id,\n"
         "or a contact's e-mail) is stored already is updated. --dry-run checks and counts,\n"
         "writes nothing; --json prints the report as one JSON object: records, created,\n"
         "updated, refused, emails, phones, errors [{line, row, column, message}].\n"
         "--encoding: auto (default), utf-8, windows-1250, iso-8859-2, windows-1252, ...\n"
         "--delimiter: , ; or tab (default: found from the header). --as: who imports (the\n"
         "audit chain's actor and the owner of what has none). The store must not be served\n"
         "meanwhile: with 'quire serve' running, use POST /api/crm/imports.\n\n"
         "'resources' declares rooms, cars and devices from a JSON list of the objects\n"
         "POST /api/crm/resources takes; one with a stored one's name changes it.\n"
         "'products' declares products and services from a JSON list of the objects\n"
         "POST /api/crm/products takes; one with a stored one's code changes it.\n"
         "'offers', 'orders' and 'cases' list them, newest first: a line each, or with --json\n"
         "{items} as the API answers them (GET /api/crm/offers ... while Quire serves).\n";
}

int RunCrm(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << CrmUsage();
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "resources") return RunDeclare(args, kResources);
  if (args[0] == "products") return RunDeclare(args, kProducts);
  if (args[0] == "offers" || args[0] == "orders" || args[0] == "cases") return RunList(args);
  if (args[0] == "segments") return RunSegments(args);
  if (args[0] == "campaigns") return RunCampaigns(args);
  if (args[0] != "import") {
    std::cerr << "quire crm: unknown action '" << args[0]
              << "' (import, resources, products, offers, orders, cases, segments, campaigns)\n"
              << CrmUsage();
    return kExitUsage;
  }
  crm::ImportOptions options;
  std::string data_dir = "quire-data", as, mapping_file;
  bool json_out = false;
  std::vector<std::string> rest;
  bool format_given = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    std::optional<std::string> v;
    if (a == "--dry-run") {
      options.dry_run = true;
    } else if (a == "--json") {
      json_out = true;
    } else if (a == "--skip-bad-rows") {
      options.skip_bad_rows = true;
    } else if (a == "--data-dir" || a == "--as" || a == "--mapping" || a == "--encoding" ||
               a == "--delimiter" || a == "--format") {
      if (!(v = value())) {
        std::cerr << "quire crm import: " << a << " needs a value\n";
        return kExitUsage;
      }
      if (a == "--data-dir") data_dir = *v;
      if (a == "--as") as = *v;
      if (a == "--mapping") mapping_file = *v;
      if (a == "--encoding") options.encoding = *v;
      if (a == "--format") {
        options.format = *v;
        format_given = true;
      }
      if (a == "--delimiter") {
        if (*v == "tab" || *v == "\\t" || *v == "\t") {
          options.delimiter = '\t';
        } else if (v->size() == 1 && (*v == "," || *v == ";" || *v == "|")) {
          options.delimiter = (*v)[0];
        } else {
          std::cerr << "quire crm import: --delimiter is , ; | or tab, not '" << *v << "'\n";
          return kExitUsage;
        }
      }
    } else if (a.starts_with("--")) {
      std::cerr << "quire crm import: unknown option '" << a << "'\n";
      return kExitUsage;
    } else {
      rest.push_back(a);
    }
  }
  if (rest.size() != 2) {
    std::cerr << "quire crm import: give what to import and the file\n" << CrmUsage();
    return kExitUsage;
  }
  options.kind = rest[0];
  if (options.kind != "customers" && options.kind != "contacts" && options.kind != "activities") {
    std::cerr << "quire crm import: '" << options.kind
              << "' is not something Quire imports: customers, contacts or activities\n";
    return kExitUsage;
  }
  const std::string& path = rest[1];
  if (!format_given) {
    const std::string lower = [&] {
      std::string s = path;
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }();
    if (lower.ends_with(".vcf") || lower.ends_with(".vcard")) options.format = "vcard";
    if (lower.ends_with(".ics") || lower.ends_with(".ical")) options.format = "ical";
  }
  const auto bytes = ReadFile(path);
  if (!bytes) {
    std::cerr << "quire crm import: cannot read " << path << "\n";
    return kExitFailure;
  }
  if (!mapping_file.empty()) {
    const auto text = ReadFile(mapping_file);
    if (!text) {
      std::cerr << "quire crm import: cannot read the mapping " << mapping_file << "\n";
      return kExitFailure;
    }
    auto mapping = crm::ParseMapping(*text, options.kind);
    if (!mapping) {
      std::cerr << "quire crm import: " << mapping_file << ": " << mapping.error().message()
                << "\n";
      return kExitUsage;
    }
    options.mapping = std::move(*mapping);
  }
  auto session = OpenSession("crm import", data_dir,
                             {.create = true, .busy_hint = "use POST /api/crm/imports instead"});
  if (!session) return kExitFailure;
  services::Services* s = session.get();
  crm::Importer importer(s->customers(), s->contacts(), s->activities(),
                         [s] { return s->clock().Now(); });
  const bool bar = !json_out && ::isatty(STDERR_FILENO) != 0;
  auto report =
      importer.Run(*bytes, options, LocalActor(as), [&](std::size_t done, std::size_t total) {
        if (!bar || (done % 100 != 0 && done != total)) return;
        const std::size_t width = 30, filled = total == 0 ? width : done * width / total;
        std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
                  << done << "/" << total << (done == total ? "\n" : "") << std::flush;
      });
  if (!report) {
    if (json_out) {
      crm::ImportReport failed;
      failed.kind = options.kind;
      failed.format = options.format;
      failed.dry_run = options.dry_run;
      failed.errors.push_back({LineOf(report.error().message()), 0, "", report.error().message()});
      std::cout << JsonText(failed.ToJson()) << "\n";
    } else {
      std::cerr << "quire crm import: " << path << ": " << report.error().message()
                << "\nnothing was imported\n";
    }
    return kExitFailure;
  }
  if (json_out) {
    std::cout << JsonText(report->ToJson()) << "\n";
  } else {
    for (const crm::ImportError& e : report->errors) {
      std::cerr << path << ":" << e.line << ": row " << e.row
                << (e.column.empty() ? "" : ", column '" + e.column + "'") << ": " << e.message
                << "\n";
    }
    for (const std::string& w : report->warnings) std::cerr << "warning: " << w << "\n";
    const char* verb = options.dry_run ? "would be " : "";
    std::cout << report->records << " records: " << report->created << " " << verb << "created, "
              << report->updated << " " << verb << "updated, " << report->refused << " refused; "
              << report->emails << " e-mail addresses, " << report->phones << " phone numbers\n";
    if (!options.dry_run && !report->written && report->refused > 0) {
      std::cout << "nothing was imported: fix the rows above, or pass --skip-bad-rows\n";
    }
  }
  return report->refused > 0 ? kExitFailure : kExitOk;
}

}  // namespace quire::app
