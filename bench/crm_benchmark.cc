// The CRM at the size issue 15 names: 1,000,000 customers, 2,000,000 contact persons and
// 10,000,000 activities, loaded through the CSV importer (durable and audited, as
// `quire crm import` writes them) and then read over real HTTP on loopback through the
// whole API (routes, access checks, audit of reads):
//
//   (a) CSV import rows/s for customers, contact persons and activities, in files of
//       --file-rows rows (every batch synced, an audit entry per record);
//   (b) the CTI screen pop, POST /api/cti/calls (state ringing) with a customer's number as
//       a phone system sends it, and the customer card, GET /api/crm/customers/{id}/card:
//       median and p99 over --samples random customers, one request at a time;
//   (c) a customer's timeline, first page: GET /api/crm/customers/{id}/activities?limit=20;
//   (d) the month calendar of a team of --team employees with recurring activities:
//       GET /api/crm/calendar?group=team-1&from=...&to=... for random months;
//   (e) the store's size on disk per customer with its contact persons and activities.
//
// The data is generated from the record number alone (Polish names, addresses, valid NIPs,
// mobile numbers), so that --pg-csv DIR writes the very same records as CSV files for
// PostgreSQL's COPY: bench/crm-vs-postgresql runs both side by side.
//
//   crm_benchmark [--customers N] [--contacts-per-customer N] [--activities-per-customer N]
//                 [--employees N] [--team N] [--samples N] [--file-rows N]
//                 [--keep] [--reuse] [--pg-csv DIR]
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data); it is removed at the end
// unless --keep; --reuse measures a store kept by an earlier run without loading it again.
#include <sys/resource.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_support.h"
#include "http_client.h"
#include "quire/base/instant.h"
#include "quire/crm/import.h"
#include "quire/crm/tax_ids.h"
#include "quire/server/api.h"
#include "quire/server/http_server.h"
#include "quire/services/services.h"

namespace {

using namespace quire;
namespace json = boost::json;
using Steady = std::chrono::steady_clock;
using bench::BenchDir;
using bench::Connection;
using bench::Die;
using bench::Percentile;

struct Shape {
  std::uint64_t customers = 1'000'000;
  std::uint64_t contacts_per_customer = 2;
  std::uint64_t activities_per_customer = 10;
  std::uint64_t employees = 2000;
  std::uint64_t team = 50;
  std::size_t samples = 2000;
  std::uint64_t file_rows = 100'000;
};

// ---- the data, from the record number ----

const char* const kSurnames[] = {
    "Nowak",       "Kowalski",  "Wiśniewski",  "Wójcik",   "Kowalczyk",  "Kamiński",
    "Lewandowski", "Zieliński", "Szymański",   "Woźniak",  "Dąbrowski",  "Kozłowski",
    "Jankowski",   "Mazur",     "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski",
    "Nowakowski",  "Pawłowski", "Michalski",   "Król",     "Wieczorek",  "Jabłoński",
    "Wróbel",      "Majewski",  "Olszewski",   "Stępień",  "Jaworski",   "Malinowski",
    "Adamczyk",    "Dudek",     "Nowicki",     "Pawlak",   "Górski"};
const char* const kFirstNames[] = {"Anna",   "Piotr",     "Katarzyna", "Krzysztof", "Małgorzata",
                                   "Tomasz", "Agnieszka", "Paweł",     "Barbara",   "Michał",
                                   "Ewa",    "Marcin",    "Zofia",     "Łukasz",    "Joanna",
                                   "Jakub",  "Magdalena", "Grzegorz",  "Dorota",    "Jerzy"};
const char* const kTrades[] = {"Piekarnia",  "Hurtownia", "Transport", "Usługi Budowlane",
                               "Drukarnia",  "Serwis",    "Meble",     "Apteka",
                               "Kancelaria", "Warsztat",  "Ogrody",    "Instalacje"};
const char* const kLegalForms[] = {" sp. z o.o.", " S.A.", " sp.j.", "", " s.c."};
const char* const kStreets[] = {"Marszałkowska", "Długa",        "Kościuszki",  "Mickiewicza",
                                "Słowackiego",   "Piłsudskiego", "Żeromskiego", "Grunwaldzka",
                                "Polna",         "Leśna",        "Ogrodowa",    "Źródlana"};
const char* const kCities[] = {"Warszawa", "Kraków",   "Łódź",        "Wrocław", "Poznań",
                               "Gdańsk",   "Szczecin", "Bydgoszcz",   "Lublin",  "Białystok",
                               "Katowice", "Gdynia",   "Częstochowa", "Radom",   "Toruń"};
const char* const kTypes[] = {"call", "meeting", "email", "visit", "letter", "presentation"};
const char* const kTitles[] = {"Rozmowa o ofercie",         "Spotkanie w sprawie umowy",
                               "Przesłanie cennika",        "Wizyta u klienta",
                               "Pismo w sprawie płatności", "Prezentacja nowych produktów"};

template <std::size_t N>
const char* Pick(const char* const (&list)[N], std::uint64_t n) {
  return list[n % N];
}

std::uint64_t Mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A valid NIP for customer i (weights 6 5 7 2 3 4 5 6 7; a remainder of 10 is skipped).
std::string Nip(std::uint64_t i) {
  static const int kWeights[] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
  for (std::uint64_t n = i * 7;; ++n) {
    std::string digits = std::to_string(100'000'000 + n % 900'000'000);  // 9 digits
    int sum = 0;
    for (int k = 0; k < 9; ++k) sum += kWeights[k] * (digits[static_cast<std::size_t>(k)] - '0');
    if (sum % 11 != 10) return digits + std::to_string(sum % 11);
  }
}

struct CustomerRow {
  std::string external_id, name, nip, email, phone, street, postal_code, city, owner, notes;
};

CustomerRow CustomerAt(std::uint64_t i, const Shape& shape) {
  const std::uint64_t h = Mix(i);
  CustomerRow c;
  c.external_id = "C" + std::to_string(i);
  c.name = std::string(Pick(kTrades, h)) + " " + Pick(kSurnames, h >> 8) + " " + std::to_string(i) +
           Pick(kLegalForms, h >> 16);
  c.nip = Nip(i);
  c.email = "biuro@firma" + std::to_string(i) + ".pl";
  const std::string digits = std::to_string(600'000'000 + i);  // +48 600..609: mobile
  c.phone = "+48 " + digits.substr(0, 3) + " " + digits.substr(3, 3) + " " + digits.substr(6, 3);
  c.street = std::string("ul. ") + Pick(kStreets, h >> 24) + " " + std::to_string(1 + h % 140);
  char postal[8];
  std::snprintf(postal, sizeof postal, "%02d-%03d", static_cast<int>((h >> 32) % 100),
                static_cast<int>((h >> 40) % 1000));
  c.postal_code = postal;
  c.city = Pick(kCities, h >> 48);
  c.owner = "u" + std::to_string(1 + i % shape.employees);
  c.notes = "Klient od " + std::to_string(2010 + h % 15) + " r.";
  return c;
}

// The phone number of customer i as a phone system reports it (E.164).
std::string CustomerPhoneE164(std::uint64_t i) {
  const std::string c = CustomerAt(i, Shape{}).phone;
  std::string out;
  for (char ch : c) {
    if (ch != ' ') out += ch;
  }
  return out;
}

struct ContactRow {
  std::string external_id, first, last, title, email, phone, company;
};

ContactRow ContactAt(std::uint64_t customer, std::uint64_t j) {
  const std::uint64_t h = Mix(customer * 31 + j);
  ContactRow p;
  p.external_id = "P" + std::to_string(customer) + "-" + std::to_string(j);
  p.first = Pick(kFirstNames, h);
  p.last = Pick(kSurnames, h >> 8);
  p.title = j == 0 ? "Prezes zarządu" : "Kierownik zakupów";
  p.email = "osoba" + std::to_string(j) + "@firma" + std::to_string(customer) + ".pl";
  const std::uint64_t n = 660'000'000 + customer * 4 + j;  // +48 66x: mobile
  p.phone = "+48 " + std::to_string(n);
  p.company = "C" + std::to_string(customer);
  return p;
}

struct ActivityRow {
  std::string type, status, title, start, end, customer, employee, channel, note;
};

// 2022-01-03 (a Monday) 00:00 UTC, and "now" for the data: what began before it is done.
constexpr std::int64_t kFirstDayMs = 1641168000000;
constexpr std::int64_t kDataNowMs = 1796547600000;  // 2026-12-06 09:00 UTC
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kSpanDays = 5 * 365;

std::string Iso(std::int64_t ms) { return FormatInstant(Timestamp(std::chrono::milliseconds(ms))); }

ActivityRow ActivityAt(std::uint64_t customer, std::uint64_t k, const Shape& shape) {
  const std::uint64_t h = Mix(customer * 1'000'003 + k);
  ActivityRow a;
  a.type = Pick(kTypes, h);
  a.title = Pick(kTitles, h);
  // A working day in the five years, between 08:00 and 17:30.
  std::int64_t day = static_cast<std::int64_t>((h >> 8) % kSpanDays);
  if (day % 7 >= 5) day -= 2;  // no weekends
  const std::int64_t start = kFirstDayMs + day * kDayMs + 8 * 3'600'000 +
                             static_cast<std::int64_t>((h >> 32) % 20) * 1'800'000;
  const std::int64_t length =
      a.type == "email" || a.type == "letter" ? 0 : 1'800'000 * (1 + (h >> 40) % 3);
  a.start = Iso(start);
  a.end = Iso(start + length);
  a.status = start < kDataNowMs ? "done" : "planned";
  a.customer = "C" + std::to_string(customer);
  a.employee = "u" + std::to_string(1 + customer % shape.employees);
  a.channel = a.type == "call" ? "phone" : a.type == "email" ? "e-mail" : "in person";
  a.note = "Notatka " + std::to_string(h % 100000) + ": ustalenia z klientem, następny krok.";
  return a;
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

// ---- loading through the importer ----

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

// Imports [1, n] rows of `kind`, `file_rows` per file, built by `file(first, last)`; returns
// rows per second of import time (building the files is not counted).
template <class File>
double Import(crm::Importer& importer, const std::string& kind, std::uint64_t n,
              std::uint64_t file_rows, File file) {
  double seconds = 0;
  std::uint64_t rows = 0;
  for (std::uint64_t first = 1; first <= n; first += file_rows) {
    const std::uint64_t last = std::min(n, first + file_rows - 1);
    const std::string text = file(first, last);
    crm::ImportOptions o;
    o.kind = kind;
    const auto t0 = Steady::now();
    auto report = importer.Run(text, o, audit::Actor{"bench"});
    seconds += Seconds(t0);
    if (!report) Die("import " + kind, report.error());
    if (report->refused != 0) {
      std::fprintf(stderr, "import %s refused %zu rows; first: line %zu %s: %s\n", kind.c_str(),
                   report->refused, report->errors.at(0).line, report->errors.at(0).column.c_str(),
                   report->errors.at(0).message.c_str());
      std::exit(1);
    }
    rows += report->created + report->updated;
    std::fprintf(stderr, "\r%s: %llu rows, %.0f rows/s   ", kind.c_str(),
                 static_cast<unsigned long long>(rows), static_cast<double>(rows) / seconds);
  }
  std::fprintf(stderr, "\n");
  return static_cast<double>(rows) / seconds;
}

std::uint64_t DirBytes(const std::filesystem::path& dir) {
  std::uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

void Load(services::Services& s, const Shape& shape) {
  crm::Importer importer(s.customers(), s.contacts(), s.activities());
  const double customers = Import(
      importer, "customers", shape.customers, shape.file_rows,
      [&](std::uint64_t a, std::uint64_t b) {
        std::string text =
            "External ID;Nazwa;NIP;E-mail;Telefon;Ulica;Kod pocztowy;Miasto;Kraj;Opiekun;Uwagi\n";
        for (std::uint64_t i = a; i <= b; ++i) {
          const CustomerRow c = CustomerAt(i, shape);
          text += c.external_id + ";" + c.name + ";" + c.nip + ";" + c.email + ";" + c.phone + ";" +
                  c.street + ";" + c.postal_code + ";" + c.city + ";PL;" + c.owner + ";" + c.notes +
                  "\n";
        }
        return text;
      });
  const double contacts =
      Import(importer, "contacts", shape.customers * shape.contacts_per_customer, shape.file_rows,
             [&](std::uint64_t a, std::uint64_t b) {
               std::string text =
                   "ID,First Name,Last Name,Job Title,E-mail Address,Mobile Phone,Company\n";
               for (std::uint64_t r = a; r <= b; ++r) {
                 const ContactRow p = ContactAt(1 + (r - 1) / shape.contacts_per_customer,
                                                (r - 1) % shape.contacts_per_customer);
                 text += p.external_id + "," + p.first + "," + p.last + "," + p.title + "," +
                         p.email + "," + p.phone + "," + p.company + "\n";
               }
               return text;
             });
  const double activities = Import(
      importer, "activities", shape.customers * shape.activities_per_customer, shape.file_rows,
      [&](std::uint64_t a, std::uint64_t b) {
        std::string text = "Type,Status,Subject,Start,End,Customer,Employee,Channel,Note\n";
        for (std::uint64_t r = a; r <= b; ++r) {
          const ActivityRow x = ActivityAt(1 + (r - 1) / shape.activities_per_customer,
                                           (r - 1) % shape.activities_per_customer, shape);
          text += x.type + "," + x.status + "," + x.title + "," + x.start + "," + x.end + "," +
                  x.customer + "," + x.employee + "," + x.channel + "," + CsvField(x.note) + "\n";
        }
        return text;
      });
  // Every employee's recurring series: Monday planning (weekly, Warsaw time, across the
  // daylight-saving changes) and a Friday review every other week with a skipped date.
  const auto t0 = Steady::now();
  {
    crm::ActivityStore::Bulk bulk(s.activities());
    for (std::uint64_t u = 1; u <= shape.employees; ++u) {
      const std::string user = "u" + std::to_string(u);
      for (const char* series :
           {R"({"type": "meeting", "title": "Planowanie tygodnia", "start": "2022-01-03T08:00:00Z",
               "end": "2022-01-03T08:30:00Z", "rrule": "FREQ=WEEKLY;BYDAY=MO",
               "timeZone": "Europe/Warsaw"})",
            R"({"type": "meeting", "title": "Przegląd lejka", "start": "2022-01-07T13:00:00Z",
               "end": "2022-01-07T14:00:00Z", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
               "exdates": ["2026-12-25T14:00:00Z"], "timeZone": "Europe/Warsaw"})"}) {
        json::object fields = json::parse(series).as_object();
        fields["employees"] = json::array{json::value(user)};
        if (auto a = bulk.Create(fields, audit::Actor{"bench"}); !a) Die("series", a.error());
        if (bulk.staged() == 1000) {
          if (auto c = bulk.Commit(); !c) Die("series", c.error());
        }
      }
    }
    if (auto c = bulk.Commit(); !c) Die("series", c.error());
  }
  std::printf(
      "CSV import, durable and audited (%llu rows per file, an audit entry per record): "
      "customers %.0f rows/s, contact persons %.0f rows/s, activities %.0f rows/s\n",
      static_cast<unsigned long long>(shape.file_rows), customers, contacts, activities);
  std::printf("recurring series: %llu in %.1f s\n",
              static_cast<unsigned long long>(2 * shape.employees), Seconds(t0));
}

// ---- PostgreSQL's copy of the same data ----

void WritePgCsv(const std::filesystem::path& dir, const Shape& shape) {
  std::filesystem::create_directories(dir);
  auto q = [](const std::string& v) { return CsvField(v); };
  {
    std::ofstream out(dir / "customers.csv");
    for (std::uint64_t i = 1; i <= shape.customers; ++i) {
      const CustomerRow c = CustomerAt(i, shape);
      json::array emails{json::object{{"address", c.email}, {"label", "work"}}};
      json::array phones{json::object{{"number", CustomerPhoneE164(i)}, {"label", "work"}}};
      json::array addresses{json::object{{"kind", "billing"},
                                         {"street", c.street},
                                         {"postalCode", c.postal_code},
                                         {"city", c.city},
                                         {"country", "PL"}}};
      out << i << ",company," << q(c.name) << "," << q(json::serialize(emails)) << ","
          << q(json::serialize(phones)) << "," << c.nip << "," << q(json::serialize(addresses))
          << "," << c.owner << "," << q(c.notes) << "," << c.external_id
          << ",bench,2026-12-06 09:00:00+00,2026-12-06 09:00:00+00\n";
    }
  }
  {
    std::ofstream out(dir / "contacts.csv");
    std::uint64_t id = 0;
    for (std::uint64_t i = 1; i <= shape.customers; ++i) {
      for (std::uint64_t j = 0; j < shape.contacts_per_customer; ++j) {
        const ContactRow p = ContactAt(i, j);
        std::string e164 = p.phone;
        e164.erase(std::remove(e164.begin(), e164.end(), ' '), e164.end());
        json::array emails{json::object{{"address", p.email}, {"label", "work"}}};
        json::array phones{json::object{{"number", e164}, {"label", "mobile"}}};
        out << ++id << "," << q(p.first) << "," << q(p.last) << "," << q(p.title) << ","
            << q(json::serialize(emails)) << "," << q(json::serialize(phones)) << "," << i << ","
            << p.external_id << ",bench,2026-12-06 09:00:00+00,2026-12-06 09:00:00+00\n";
      }
    }
  }
  {
    std::ofstream out(dir / "activities.csv");
    std::uint64_t id = 0;
    for (std::uint64_t i = 1; i <= shape.customers; ++i) {
      for (std::uint64_t k = 0; k < shape.activities_per_customer; ++k) {
        const ActivityRow a = ActivityAt(i, k, shape);
        out << ++id << "," << a.type << "," << a.status << "," << q(a.title) << "," << a.start
            << "," << a.end << "," << i << ",{" << a.employee << "}," << a.channel << ","
            << q(a.note) << ",bench,2026-12-06 09:00:00+00,2026-12-06 09:00:00+00\n";
      }
    }
  }
}

// ---- reading over HTTP ----

void Measure(services::Services& s, const Shape& shape) {
  org::Identity& identity = s.identity();
  auto token_of = [&](const std::string& user, const std::string& role) {
    if (auto r = identity.PutUser({user, user, "", "", true, ""}, std::vector<std::string>{role},
                                  "", !identity.directory().GetUser(user).has_value(), "bench");
        !r) {
      Die("user", r.error());
    }
    auto t = identity.CreateToken(user, "bench", std::nullopt, {}, "bench");
    if (!t) Die("token", t.error());
    return "Authorization: Bearer " + t->secret + "\r\n";
  };
  const std::string manager = token_of("bench-manager", "administrator");
  const std::string pbx = token_of("bench-pbx", "phone-system");

  server::Router router;
  server::AddApiRoutes(router, s, {.version = "bench"});
  server::HttpServerOptions http;
  http.port = 0;
  server::HttpServer server(std::move(router), http);
  if (auto r = server.Start(); !r) Die("listen", r.error());
  Connection c(server.port());
  std::mt19937_64 random(42);
  auto some_customer = [&] { return 1 + random() % shape.customers; };
  auto report = [](const char* what, const std::vector<double>& ms) {
    std::printf("%s: median %.3f ms, p99 %.3f ms, max %.3f ms (%zu requests)\n", what,
                Percentile(ms, 0.5), Percentile(ms, 0.99), Percentile(ms, 1.0), ms.size());
  };
  auto timed = [&](const std::string& method, const std::string& target, const std::string& body,
                   const std::string& auth, const char* expect) {
    const auto t0 = Steady::now();
    const int status = c.Request(method, target, body, auth);
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
    if (status != 200 || c.last_body().find(expect) == std::string::npos) {
      std::fprintf(stderr, "%s %s: %d %.300s\n", method.c_str(), target.c_str(), status,
                   c.last_body().c_str());
      std::exit(1);
    }
    return ms;
  };

  std::vector<double> cti, card, timeline, calendar, own_calendar, store_calendar;
  for (std::size_t n = 0; n < shape.samples; ++n) {
    const std::uint64_t i = some_customer();
    const std::string body = R"({"from": ")" + CustomerPhoneE164(i) +
                             R"(", "to": "100", "callId": "bench-)" + std::to_string(n) +
                             R"(", "state": "ringing"})";
    // Customer i was the i-th imported: its id is i.
    const std::string expect = "\"customer\":{\"id\":\"" + std::to_string(i) + "\"";
    cti.push_back(timed("POST", "/api/cti/calls", body, pbx, expect.c_str()));
  }
  for (std::size_t n = 0; n < shape.samples; ++n) {
    card.push_back(timed("GET", "/api/crm/customers/" + std::to_string(some_customer()) + "/card",
                         "", manager, "\"lastActivities\""));
  }
  for (std::size_t n = 0; n < shape.samples; ++n) {
    timeline.push_back(timed(
        "GET", "/api/crm/customers/" + std::to_string(some_customer()) + "/activities?limit=20", "",
        manager, "\"items\""));
  }
  std::size_t occurrences = 0;
  // 400 months by default: a p99 over 100 samples would be their maximum.
  for (std::size_t n = 0; n < std::max<std::size_t>(50, shape.samples / 5); ++n) {
    const int year = 2022 + static_cast<int>(random() % 5);
    const int month = 1 + static_cast<int>(random() % 12);
    char range[96];
    std::snprintf(range, sizeof range, "from=%04d-%02d-01T00:00:00Z&to=%04d-%02d-01T00:00:00Z",
                  year, month, month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1);
    calendar.push_back(timed("GET", std::string("/api/crm/calendar?group=team-1&") + range, "",
                             manager, "\"items\""));
    occurrences += json::parse(c.last_body()).at("items").as_array().size();
    {
      // The store's share: the same occurrences read in-process, no HTTP, no JSON.
      const Timestamp from = *ParseInstant(std::string(range).substr(5, 19) + ".000Z");
      const Timestamp to = *ParseInstant(std::string(range).substr(29, 19) + ".000Z");
      std::vector<std::string> team;
      for (std::uint64_t u = 1; u <= shape.team; ++u) team.push_back("u" + std::to_string(u));
      const auto t0 = Steady::now();
      if (auto of = s.activities().TeamCalendar(team, from, to); !of) Die("calendar", of.error());
      store_calendar.push_back(
          std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    }
    own_calendar.push_back(timed(
        "GET", "/api/crm/calendar?user=u" + std::to_string(1 + random() % shape.team) + "&" + range,
        "", manager, "\"items\""));
  }
  report("CTI screen pop, POST /api/cti/calls (ringing)", cti);
  report("customer card, GET /api/crm/customers/{id}/card", card);
  report("timeline first page, GET /api/crm/customers/{id}/activities?limit=20", timeline);
  std::printf("team of %llu, month calendar: %.0f occurrences on average\n",
              static_cast<unsigned long long>(shape.team),
              static_cast<double>(occurrences) / static_cast<double>(calendar.size()));
  report("team month calendar, GET /api/crm/calendar?group=team-1", calendar);
  report("the same team's month calendar read from the store in-process (no HTTP, no JSON)",
         store_calendar);
  report("one employee's month calendar, GET /api/crm/calendar?user=U", own_calendar);
}

int Run(int argc, char** argv) {
  Shape shape;
  bool keep = false, reuse = false;
  std::string pg_csv;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--customers") {
      shape.customers = std::stoull(next());
    } else if (flag == "--contacts-per-customer") {
      shape.contacts_per_customer = std::stoull(next());
    } else if (flag == "--activities-per-customer") {
      shape.activities_per_customer = std::stoull(next());
    } else if (flag == "--employees") {
      shape.employees = std::stoull(next());
    } else if (flag == "--team") {
      shape.team = std::stoull(next());
    } else if (flag == "--samples") {
      shape.samples = std::stoul(next());
    } else if (flag == "--file-rows") {
      shape.file_rows = std::stoull(next());
    } else if (flag == "--keep") {
      keep = true;
    } else if (flag == "--reuse") {
      reuse = keep = true;
    } else if (flag == "--pg-csv") {
      pg_csv = next();
    } else {
      std::fprintf(stderr, "unknown flag %s (see the comment at the top of crm_benchmark.cc)\n",
                   flag.c_str());
      return 2;
    }
  }
  if (shape.team > shape.employees) shape.team = shape.employees;
  if (!pg_csv.empty()) {
    WritePgCsv(pg_csv, shape);
    return 0;
  }
  const std::filesystem::path dir = BenchDir();
  if (!reuse) std::filesystem::remove_all(dir);
  {
    services::ServicesOptions options;
    options.search = false;
    options.create_if_missing = !reuse;
    auto opened = services::Services::Open(dir, options);
    if (!opened) Die("open", opened.error());
    services::Services& s = **opened;
    std::printf(
        "shape: %llu customers, %llu contact persons, %llu activities (+%llu series), "
        "%llu employees\n",
        static_cast<unsigned long long>(shape.customers),
        static_cast<unsigned long long>(shape.customers * shape.contacts_per_customer),
        static_cast<unsigned long long>(shape.customers * shape.activities_per_customer),
        static_cast<unsigned long long>(2 * shape.employees),
        static_cast<unsigned long long>(shape.employees));
    if (!reuse) {
      // The employees and the team whose calendar is read.
      org::Directory& directory = s.directory();
      if (auto r = directory.PutGroup({"team-1", "Zespół 1"}, "bench"); !r) Die("group", r.error());
      for (std::uint64_t u = 1; u <= shape.employees; ++u) {
        const std::string id = "u" + std::to_string(u);
        if (auto r = s.identity().PutUser({id, id, "", "", true, ""},
                                          std::vector<std::string>{"staff"}, "", true, "bench");
            !r) {
          Die("user", r.error());
        }
        if (u <= shape.team) {
          if (auto r = directory.AddMember("team-1", id, "bench"); !r) Die("member", r.error());
        }
      }
      Load(s, shape);
      if (auto f = s.store().Flush(); !f) Die("flush", f.error());
    }
    // Measured in the steady state: after the compactions the load started.
    const auto idle0 = Steady::now();
    const bool idle = s.store().WaitUntilIdle(std::chrono::minutes(30));
    std::printf("compactions after the load: %.0f s%s\n", Seconds(idle0),
                idle ? "" : " (still running after 30 minutes)");
    const std::uint64_t bytes = DirBytes(dir);
    std::printf(
        "store on disk: %.2f GiB, %.0f bytes per customer with its %llu contact persons and "
        "%llu activities (audit chain and indexes included)\n",
        static_cast<double>(bytes) / (1ULL << 30),
        static_cast<double>(bytes) / static_cast<double>(shape.customers),
        static_cast<unsigned long long>(shape.contacts_per_customer),
        static_cast<unsigned long long>(shape.activities_per_customer));
    Measure(s, shape);
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
