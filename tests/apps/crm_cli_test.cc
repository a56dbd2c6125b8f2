// `quire crm import` in the exact forms checks outside the project use: a real process on a
// data directory, its --dry-run --json report read as JSON, its exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "quire/testing/child_process.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::ExitStatus;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace json = boost::json;

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

CliRun Quire(const std::vector<std::string>& args) {
  auto c = ChildProcess::Spawn(QUIRE_BINARY, args);
  EXPECT_TRUE(c.has_value());
  if (!c) return {};
  CliRun r;
  r.out = c->ReadAllStdout();
  r.err = c->ReadAllStderr();
  r.code = c->Wait(120s).value_or(ExitStatus{}).code;
  return r;
}

class CrmCliTest : public ::testing::Test {
 protected:
  std::string File(const std::string& name, const std::string& content) {
    const auto path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  CliRun Import(const std::string& kind, const std::string& file,
                std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"crm", "import",     kind,
                                  file,  "--data-dir", (dir_.path() / "data").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Quire(args);
  }
  TempDir dir_;
};

const char* kCustomers =
    "Nazwa;NIP;E-mail;Telefon;Miasto\r\n"
    "Piekarnia Zielińska;526-104-08-28;biuro@piekarnia.pl;22 654 32 10;Warszawa\r\n"
    "Młyn Kowalski;5261040827;mlyn@kowalski.pl;601 234 567;Września\r\n";

TEST_F(CrmCliTest, TheDryRunPrintsOneJsonReport) {
  const CliRun r = Import("customers", File("c.csv", kCustomers), {"--dry-run", "--json"});
  EXPECT_EQ(r.code, 1) << r.err;  // a row is refused
  const json::value report = json::parse(r.out);
  EXPECT_EQ(report.at("records"), 2);
  EXPECT_EQ(report.at("created"), 1);
  EXPECT_EQ(report.at("updated"), 0);
  EXPECT_EQ(report.at("refused"), 1);
  EXPECT_EQ(report.at("emails"), 1);
  EXPECT_EQ(report.at("phones"), 1);
  const json::value& e = report.at("errors").at(0);
  EXPECT_EQ(e.at("line"), 3);
  EXPECT_EQ(e.at("row"), 2);
  EXPECT_EQ(e.at("column"), "NIP");
  EXPECT_THAT(std::string(e.at("message").as_string()), HasSubstr("checksum"));
}

TEST_F(CrmCliTest, BadRowsStopTheImportUnlessSkippedAndAReImportUpdates) {
  const std::string file = File("c.csv", kCustomers);
  CliRun r = Import("customers", file);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("c.csv:3: row 2, column 'NIP'"));
  EXPECT_THAT(r.out, HasSubstr("nothing was imported"));
  r = Import("customers", file, {"--skip-bad-rows", "--json"});
  EXPECT_EQ(json::parse(r.out).at("created"), 1);
  r = Import("customers",
             File("again.csv", "Nazwa;NIP;Miasto\nPiekarnia Zielińska SA;5261040828;Kraków\n"),
             {"--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("updated"), 1);
  EXPECT_EQ(json::parse(r.out).at("created"), 0);
}

TEST_F(CrmCliTest, VCardsAndBrokenFilesAndBadUsage) {
  const CliRun v = Import("contacts",
                          File("people.vcf",
                               "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nowak;Anna;;;\r\n"
                               "EMAIL:anna@example.com\r\nTEL:601 222 333\r\n"
                               "END:VCARD\r\n"),
                          {"--dry-run", "--json"});
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(json::parse(v.out).at("records"), 1);
  EXPECT_EQ(json::parse(v.out).at("emails"), 1);
  EXPECT_EQ(json::parse(v.out).at("phones"), 1);
  const CliRun cut =
      Import("customers", File("cut.csv", "Nazwa,Uwagi\nA,\"open\nB,x\n"), {"--dry-run", "--json"});
  EXPECT_EQ(cut.code, 1);
  const json::value report = json::parse(cut.out);
  EXPECT_EQ(report.at("errors").at(0).at("line"), 2);
  EXPECT_THAT(std::string(report.at("errors").at(0).at("message").as_string()),
              HasSubstr("truncated"));
  EXPECT_EQ(Import("widgets", File("w.csv", "a\n")).code, 2);
  EXPECT_EQ(Import("customers", File("x.csv", "a\n"), {"--delimiter", "x"}).code, 2);
  const CliRun missing = Import("customers", (dir_.path() / "nope.csv").string());
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("cannot read"));
}

TEST_F(CrmCliTest, ResourcesAreDeclaredFromJsonAndBookedByNameOnImport) {
  const std::string data = (dir_.path() / "data").string();
  const std::string resources = File("resources.json", R"([
      {"name": "Sala Wisła", "kind": "room", "capacity": 12},
      {"name": "Skoda Octavia", "kind": "car", "capacity": 5}])");
  CliRun r = Quire({"crm", "resources", resources, "--as", "admin", "--data-dir", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 resources created, 0 changed"));
  // Again: the same names change the stored ones.
  r = Quire({"crm", "resources", resources, "--data-dir", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 resources created, 2 changed"));
  // A bad one is refused naming the field; a file that is no list, before anything opens.
  r = Quire({"crm", "resources", File("bad.json", R"([{"name": "Rower", "kind": "bike"}])"),
             "--data-dir", data});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("kind: must be room, car, device or other"));
  r = Quire({"crm", "resources", File("x.json", R"({"name": 1})"), "--data-dir", data});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("not a JSON list"));

  // Activities book them by name; an unknown one is refused at its column.
  const std::string csv = File("activities.csv",
                               "Typ;Temat;Data rozpoczęcia;Godzina rozpoczęcia;Data zakończenia;"
                               "Godzina zakończenia;Zasoby\n"
                               "meeting;Narada;2026-12-08;09:00;2026-12-08;10:00;sala wisła\n"
                               "visit;Wyjazd;2026-12-08;09:00;2026-12-08;17:00;Skoda Octavia\n"
                               "visit;Drugi wyjazd;2026-12-08;12:00;2026-12-08;13:00;Rower\n");
  r = Import("activities", csv, {"--dry-run", "--json"});
  const json::value report = json::parse(r.out);
  ASSERT_EQ(report.at("errors").as_array().size(), 1u) << r.out;
  EXPECT_EQ(report.at("errors").at(0).at("column"), "Zasoby");
  EXPECT_THAT(std::string(report.at("errors").at(0).at("message").as_string()),
              HasSubstr("no resource is named 'Rower'"));
  EXPECT_EQ(report.at("created"), 2);
}

TEST_F(CrmCliTest, OffersOrdersAndCasesAreListedAndBadUsageIsRefused) {
  const std::string data = (dir_.path() / "data").string();
  // A store with products, none offered yet.
  CliRun r = Quire({"crm", "products", File("products.json", R"([{"code": "P-1", "name": "Krzesło",
                        "prices": [{"currency": "PLN", "unitPrice": "199.00"}]}])"),
                    "--as", "admin", "--data-dir", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 products created, 0 changed"));
  for (const char* what : {"offers", "orders", "cases"}) {
    r = Quire({"crm", what, "--data-dir", data});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr(std::string("no ") + what));
    r = Quire({"crm", what, "--json", "--data-dir", data});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out), json::parse(R"({"items": []})")) << r.out;
  }
  r = Quire({"crm", "offers", "--customer", "x", "--data-dir", data});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--customer is a customer id"));
  r = Quire({"crm", "cases", "--unpaid", "--data-dir", data});
  EXPECT_EQ(r.code, 2);
  r = Quire({"crm", "orders", "--data-dir", (dir_.path() / "nowhere").string()});
  EXPECT_NE(r.code, 0);
}

TEST_F(CrmCliTest, SegmentsAreQueriedSavedShownAndDeleted) {
  const std::string data = (dir_.path() / "data").string();
  CliRun r = Import("customers", File("c.csv", kCustomers), {"--skip-bad-rows"});
  ASSERT_THAT(r.out, HasSubstr("created")) << r.err;  // the good rows (one is bad on purpose)
  r = Quire({"crm", "segments", "query", "kind = company", "--data-dir", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("customers: kind = \"company\""));
  r = Quire({"crm", "segments", "query", "kind = company", "--json", "--explain", "--limit", "1",
             "--data-dir", data});
  ASSERT_EQ(r.code, 0) << r.err;
  const json::value answer = json::parse(r.out);
  EXPECT_LE(answer.at("items").as_array().size(), 1u);
  EXPECT_TRUE(answer.at("plan").at("steps").is_array());
  // A bad filter: the message, the text and a caret under the place; exit 1.
  r = Quire({"crm", "segments", "query", "kind = company and\n  colour = red", "--data-dir", data});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("line 2, column 3: customers have no field 'colour'"));
  EXPECT_THAT(r.err, HasSubstr("    colour = red\n    ^\n"));
  r = Quire(
      {"crm", "segments", "save", "Firmy", "kind = company", "--as", "anna", "--data-dir", data});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("segment 1 \"Firmy\" saved"));
  r = Quire({"crm", "segments", "list", "--data-dir", data});
  EXPECT_THAT(r.out, HasSubstr("1  Firmy  (customers)  kind = \"company\""));
  r = Quire({"crm", "segments", "show", "firmy", "--data-dir", data});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("customers: kind = \"company\""));
  r = Quire({"crm", "segments", "delete", "1", "--data-dir", data});
  EXPECT_EQ(r.code, 0) << r.err;
  r = Quire({"crm", "segments", "show", "Firmy", "--data-dir", data});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no segment named 'Firmy'"));
  // Campaigns: none yet; one of this segment's, launched from the command line.
  r = Quire({"crm", "campaigns", "list", "--data-dir", data});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no campaigns"));
  r = Quire({"crm", "campaigns", "show", "9", "--data-dir", data});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no campaign 9"));
  EXPECT_EQ(Quire({"crm", "campaigns", "launch", "--data-dir", data}).code, 2);
  EXPECT_EQ(Quire({"crm", "campaigns", "explode", "1", "--data-dir", data}).code, 2);
  EXPECT_EQ(Quire({"crm", "segments", "query", "--data-dir", data}).code, 2);
  EXPECT_EQ(Quire({"crm", "segments", "find", "x", "--data-dir", data}).code, 2);
  EXPECT_EQ(
      Quire({"crm", "segments", "query", "kind = a", "--of", "leads", "--data-dir", data}).code, 2);
}

}  // namespace
}  // namespace quire
