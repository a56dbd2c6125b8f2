#include "quire/crm/import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "quire/base/instant.h"
#include "quire/crm/csv.h"
#include "quire/crm/export.h"
#include "quire/crm/schema.h"
#include "quire/crm/vcard.h"
#include "quire/testing/temp_dir.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr Timestamp kNow{std::chrono::milliseconds(1796547600000)};  // 2026-12-06 09:00 UTC

TEST(CsvTest, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  auto t =
      ParseCsv("\xEF\xBB\xBFname;note\r\n\"A; B\";\"say \"\"hi\"\"\r\nnext line\"\r\n\r\nC;\n");
  ASSERT_TRUE(t.has_value()) << t.error().message();
  EXPECT_EQ(t->delimiter, ';');
  EXPECT_THAT(t->header, ElementsAre("name", "note"));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_THAT(t->rows[0].fields, ElementsAre("A; B", "say \"hi\"\r\nnext line"));
  EXPECT_EQ(t->rows[0].line, 2u);
  EXPECT_EQ(t->rows[1].line, 5u);  // after the quoted line break and a blank line
  EXPECT_EQ(ParseCsv("a\tb\n1\t2\n")->delimiter, '\t');
  EXPECT_EQ(CsvLine({"a,b", "x\"y", "plain"}), "\"a,b\",\"x\"\"y\",plain\r\n");
}

TEST(CsvTest, TextCellsThatLookLikeFormulasStayText) {
  for (const char* formula : {"=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"}) {
    EXPECT_EQ(CsvText(formula), std::string("'") + formula) << formula;
  }
  EXPECT_EQ(CsvText("Anna Nowak"), "Anna Nowak");
  EXPECT_EQ(CsvText(""), "");
}

TEST(CsvTest, ATruncatedFileIsRefusedAtTheLineItsQuoteOpens) {
  auto t = ParseCsv("name,note\nA,ok\nB,\"never closed\nC,x\n");
  ASSERT_FALSE(t.has_value());
  EXPECT_THAT(t.error().message(), HasSubstr("line 3"));
  EXPECT_THAT(t.error().message(), HasSubstr("truncated"));
  EXPECT_FALSE(ParseCsv("").has_value());
}

TEST(CsvTest, PolishSpreadsheetsAreReadInTheirEncodings) {
  // "Zażółć gęślą jaźń" in Windows-1250 and in ISO-8859-2.
  const std::string win = "Za\xbf\xf3\xb3\xe6 g\xea\x9cl\xb9 ja\x9f\xf1";
  const std::string latin2 = "Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1 ja\xbc\xf1";
  std::string used;
  EXPECT_EQ(*DecodeText(win, "auto", &used), "Zażółć gęślą jaźń");
  EXPECT_EQ(used, "windows-1250");
  EXPECT_EQ(*DecodeText(latin2, "auto", &used), "Zażółć gęślą jaźń");
  EXPECT_EQ(used, "iso-8859-2");
  EXPECT_EQ(*DecodeText("\xEF\xBB\xBFzażółć", "auto"), "zażółć");
  EXPECT_EQ(*DecodeText(std::string("\xFF\xFEz\0\x7C\x01", 6), "auto"), "zż");
  EXPECT_EQ(*DecodeText("caf\xe9", "windows-1252"), "café");
  auto wrong = DecodeText("ok\nZa\xbf\xf3\xb3\xe6", "utf-8");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_THAT(wrong.error().message(), HasSubstr("line 2, byte 3"));
  EXPECT_FALSE(DecodeText("x", "klingon").has_value());
}

TEST(VCardTest, EachVersionsFormIsRead) {
  auto cards = ParseVCards(
      "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=windows-1250:W\xf3jcik;Zofia\r\n"
      "TEL;CELL;PREF:+48 601 111 222\r\nEMAIL;INTERNET;WORK:zofia@example.pl\r\n"
      "NOTE;ENCODING=QUOTED-PRINTABLE:Pierwsza=0D=0A=\r\nDruga\r\nEND:VCARD\r\n"
      "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nowak;Anna;;;\r\nORG:M\xc5\x82yn;"
      "Ksi\xc4\x99gowo\xc5\x9b\xc4\x87\r\n"
      "item1.EMAIL;type=INTERNET;type=HOME:anna@example.com\r\n"
      "NOTE:Linia\\, z przecinkiem\\nI nowa linia\r\n"
      "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n SkZJRg==\r\nEND:VCARD\r\n"
      "BEGIN:VCARD\nVERSION:4.0\nFN:Piotr "
      "Zieli\xc5\x84ski\nTEL;VALUE=uri;TYPE=\"voice,cell\":tel:+48-604-555-666\n"
      "EMAIL;TYPE=work:piotr@example.pl\nEND:VCARD\n");
  ASSERT_TRUE(cards.has_value()) << cards.error().message();
  ASSERT_EQ(cards->size(), 3u);
  const VCard& a = (*cards)[0];
  EXPECT_EQ(a.version, "2.1");
  EXPECT_THAT(a.Find("N")->parts, ElementsAre("Wójcik", "Zofia"));
  EXPECT_TRUE(a.Find("TEL")->Has("cell"));
  EXPECT_EQ(a.Find("NOTE")->value, "Pierwsza\r\nDruga");
  const VCard& b = (*cards)[1];
  EXPECT_EQ(b.Find("EMAIL")->group, "item1");
  EXPECT_TRUE(b.Find("EMAIL")->Has("home"));
  EXPECT_EQ(b.Find("ORG")->parts.at(1), "Księgowość");
  EXPECT_EQ(b.Find("NOTE")->value, "Linia, z przecinkiem\nI nowa linia");
  EXPECT_TRUE(b.Find("PHOTO")->binary);
  EXPECT_EQ(b.Find("PHOTO")->value, "/9j/4AAQSkZJRg==");  // unfolded
  const VCard& c = (*cards)[2];
  EXPECT_TRUE(c.Find("TEL")->Has("cell"));
  EXPECT_EQ(c.Find("TEL")->value, "tel:+48-604-555-666");
}

TEST(VCardTest, BrokenFilesAreRefusedAtTheLine) {
  auto open = ParseVCards("BEGIN:VCARD\nVERSION:3.0\nFN:A\n\nBEGIN:VCARD\nVERSION:3.0\nFN:B\n");
  ASSERT_FALSE(open.has_value());
  EXPECT_THAT(open.error().message(), HasSubstr("line 5: a vCard begins before"));
  auto cut = ParseVCards("BEGIN:VCARD\nVERSION:3.0\nFN:A\n");
  ASSERT_FALSE(cut.has_value());
  EXPECT_THAT(cut.error().message(), HasSubstr("line 1"));
  EXPECT_THAT(cut.error().message(), HasSubstr("truncated"));
  EXPECT_THAT(ParseVCards("BEGIN:VCARD\nVERSION:5.0\nEND:VCARD\n").error().message(),
              HasSubstr("line 2"));
  EXPECT_THAT(ParseVCards("FN:A\n").error().message(), HasSubstr("outside a vCard"));
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*storage::Store::Open(dir_.path() / "data"));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    schema_ = std::make_unique<CrmSchema>(*store_, *audit_, clock_);
    customers_ = std::make_unique<CustomerStore>(*store_, *audit_, clock_, schema_.get());
    contacts_ = std::make_unique<ContactStore>(*store_, *audit_, clock_, *customers_);
    resources_ = std::make_unique<ResourceStore>(*store_, *audit_, clock_);
    activities_ =
        std::make_unique<ActivityStore>(*store_, *audit_, clock_, *customers_, *resources_);
    importer_ = std::make_unique<Importer>(*customers_, *contacts_, *activities_);
  }

  ImportReport Run(const std::string& text, const std::string& kind, bool dry_run = false,
                   bool skip = false, const std::string& format = "csv") {
    ImportOptions o;
    o.kind = kind;
    o.format = format;
    o.dry_run = dry_run;
    o.skip_bad_rows = skip;
    auto r = importer_->Run(text, o, anna_);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r.value_or(ImportReport{});
  }

  std::size_t Customers() {
    auto page = customers_->List(0, 1000, [](const Customer&) -> Result<bool> { return true; });
    return page->customers.size();
  }

  quire::testing::TempDir dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CrmSchema> schema_;
  std::unique_ptr<CustomerStore> customers_;
  std::unique_ptr<ContactStore> contacts_;
  std::unique_ptr<ResourceStore> resources_;
  std::unique_ptr<ActivityStore> activities_;
  std::unique_ptr<Importer> importer_;
  const audit::Actor anna_{"anna"};
};

const char* kCustomers =
    "Nazwa;NIP;E-mail;Telefon;Ulica;Kod pocztowy;Miasto;Kraj\r\n"
    "Piekarnia Zielińska;526-104-08-28;biuro@piekarnia.pl;22 654 32 10;Marszałkowska 84;00-514;"
    "Warszawa;Polska\r\n"
    "Młyn Kowalski;5261040827;mlyn@kowalski.pl;601 234 567;;;;\r\n"
    "Hurtownia;;h@example.pl ::: sklep@example.pl;12;;;;\r\n";

TEST_F(ImportTest, ADryRunReportsEveryBadRowByLineAndColumnAndWritesNothing) {
  const ImportReport r = Run(kCustomers, "customers", /*dry_run=*/true);
  EXPECT_EQ(r.records, 3u);
  EXPECT_EQ(r.created, 1u);
  EXPECT_EQ(r.refused, 2u);
  EXPECT_EQ(r.emails, 1u);
  EXPECT_EQ(r.phones, 1u);
  EXPECT_FALSE(r.written);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].line, 3u);
  EXPECT_EQ(r.errors[0].row, 2u);
  EXPECT_EQ(r.errors[0].column, "NIP");
  EXPECT_THAT(r.errors[0].message, HasSubstr("checksum"));
  EXPECT_EQ(r.errors[1].column, "Telefon");
  EXPECT_EQ(Customers(), 0u);
  const json::object j = r.ToJson();
  for (const char* k : {"records", "created", "updated", "refused", "emails", "phones", "errors"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j.at("errors").at(0).at("line"), 3);
  EXPECT_EQ(j.at("errors").at(0).at("column"), "NIP");
}

TEST_F(ImportTest, OneBadRowWritesNothingUnlessBadRowsAreSkipped) {
  const ImportReport refused = Run(kCustomers, "customers");
  EXPECT_FALSE(refused.written);
  EXPECT_EQ(refused.created, 0u);
  EXPECT_EQ(Customers(), 0u);
  const ImportReport skipped = Run(kCustomers, "customers", false, /*skip=*/true);
  EXPECT_TRUE(skipped.written);
  EXPECT_EQ(skipped.created, 1u);
  EXPECT_EQ(skipped.refused, 2u);
  ASSERT_EQ(Customers(), 1u);
  auto c = customers_->Get(1);
  EXPECT_EQ(c->name, "Piekarnia Zielińska");
  EXPECT_EQ(c->tax_id->value, "5261040828");
  EXPECT_EQ(c->addresses.at(0).country, "PL");
  EXPECT_EQ(c->phones.at(0).value, "+48226543210");
}

TEST_F(ImportTest, AReImportUpdatesByExternalIdOrTaxIdInsteadOfDuplicating) {
  const std::string first =
      "Account ID,Account Name,Billing City,VAT Number\n"
      "0015g00000AbCdE,Piekarnia Zielińska,Warszawa,PL5261040828\n"
      "0015g00000XyZ,Młyn Kowalski,Września,\n";
  EXPECT_EQ(Run(first, "customers").created, 2u);
  const std::string again =
      "Account ID,Account Name,Billing City,VAT Number\n"
      "0015g00000AbCdE,Piekarnia Zielińska S.A.,Kraków,PL5261040828\n"
      "0015g00000XyZ,Młyn Kowalski,Gniezno,\n"
      "0015g00000New,Nowy Klient,Poznań,\n";
  const ImportReport dry = Run(again, "customers", true);
  EXPECT_EQ(dry.updated, 2u);
  EXPECT_EQ(dry.created, 1u);
  const ImportReport r = Run(again, "customers");
  EXPECT_EQ(r.updated, 2u);
  EXPECT_EQ(r.created, 1u);
  EXPECT_EQ(Customers(), 3u);
  EXPECT_EQ(customers_->Get(1)->name, "Piekarnia Zielińska S.A.");
  EXPECT_EQ(customers_->Get(2)->addresses.at(0).city, "Gniezno");
  // No external id: matched by the tax id; a file with fewer columns changes only those.
  EXPECT_EQ(Run("NIP;Miasto\n526 104 08 28;Gdańsk\n", "customers").updated, 1u);
  EXPECT_EQ(Customers(), 3u);
  EXPECT_EQ(customers_->Get(1)->name, "Piekarnia Zielińska S.A.");
  EXPECT_EQ(customers_->Get(1)->addresses.at(0).city, "Gdańsk");
}

TEST_F(ImportTest, ADryRunChecksAnUpdateAsTheImportWillMakeIt) {
  ASSERT_EQ(
      Run("Account ID,Account Name,Industry\nA1,Piekarnia,construction\n", "customers").created,
      1u);
  // The dictionary no longer lists the stored value: a row that leaves it alone is an
  // update in the dry run as in the import; a row that sets an unlisted one is refused.
  ASSERT_TRUE(schema_->PutDictionary("industries",
                                     json::parse(R"({"entries": ["retail"]})").as_object(), anna_));
  const std::string city = "Account ID,Account Name,Billing City\nA1,Piekarnia,Kraków\n";
  const ImportReport dry = Run(city, "customers", /*dry_run=*/true);
  EXPECT_EQ(dry.updated, 1u);
  EXPECT_EQ(dry.refused, 0u) << (dry.errors.empty() ? "" : dry.errors[0].message);
  EXPECT_EQ(Run(city, "customers").updated, 1u);
  EXPECT_EQ(customers_->Get(1)->profile.at("industry"), "construction");
  const std::string unlisted = "Account ID,Industry\nA1,mining\n";
  const ImportReport refused = Run(unlisted, "customers", /*dry_run=*/true);
  EXPECT_EQ(refused.refused, 1u);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_EQ(refused.errors[0].column, "Industry");
}

TEST_F(ImportTest, ContactsFromAnOutlookExportInWindows1250) {
  ASSERT_TRUE(
      customers_->Create(json::parse(R"({"name": "Piekarnia Zielińska"})").as_object(), anna_));
  const std::string outlook =
      "First Name,Last Name,Company,Job Title,E-mail Address,E-mail 2 Address,Mobile Phone,"
      "Business Phone,E-mail Type,Notes\r\n"
      "Zofia,W\xf3jcik,Piekarnia Zieli\xf1ska,G\xb3\xf3wna ksi\xea gowa,zofia@piekarnia.pl,"
      "z.wojcik@gmail.com,601 111 222,+48 22 654 32 11,SMTP,\"Lubi kaw\xea,\r\nbez cukru\"\r\n"
      "Jan,Kowalski,Nieznana Firma,,jan@example.pl,,,,,\r\n";
  const ImportReport r = Run(outlook, "contacts");
  EXPECT_EQ(r.encoding, "windows-1250");
  EXPECT_EQ(r.created, 2u) << (r.errors.empty() ? "" : r.errors[0].message);
  EXPECT_EQ(r.emails, 3u);
  EXPECT_EQ(r.phones, 2u);
  ASSERT_EQ(contacts_->OfCustomer(1)->size(), 1u);
  const Contact z = contacts_->OfCustomer(1)->at(0);
  EXPECT_EQ(z.name(), "Zofia Wójcik");
  EXPECT_EQ(z.notes, "Lubi kawę,\r\nbez cukru");
  EXPECT_EQ(z.phones.at(0).label, "mobile");
  EXPECT_EQ(z.phones.at(1).label, "work");
  // The unknown company: imported without one, and said.
  EXPECT_THAT(r.warnings, ::testing::Contains(HasSubstr("Nieznana Firma")));
  // The same file again updates both (matched by e-mail), duplicating nobody.
  const ImportReport again = Run(outlook, "contacts");
  EXPECT_EQ(again.updated, 2u);
  EXPECT_EQ(again.created, 0u);
}

TEST_F(ImportTest, VCardsBecomeContactPersonsAndAreUpdatedByUid) {
  const std::string file =
      "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nowak;Anna;;;\r\nFN:Anna Nowak\r\n"
      "UID:urn:uuid:4fbe8971\r\nEMAIL;TYPE=INTERNET,WORK:anna@example.com\r\n"
      "TEL;TYPE=CELL:+48 603 444 555\r\nTITLE:Księgowa\r\nEND:VCARD\r\n"
      "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Piotr Zieliński\r\n"
      "TEL;VALUE=uri;TYPE=\"voice,cell\":tel:+48-604-555-666\r\nEND:VCARD\r\n";
  const ImportReport r = Run(file, "contacts", false, false, "vcard");
  EXPECT_EQ(r.created, 2u) << (r.errors.empty() ? "" : r.errors[0].message);
  EXPECT_EQ(r.phones, 2u);
  auto anna = contacts_->FindByExternalId("urn:uuid:4fbe8971");
  ASSERT_TRUE(anna->has_value());
  EXPECT_EQ(contacts_->Get(**anna)->title, "Księgowa");
  EXPECT_EQ(contacts_->Get(2)->last_name, "Zieliński");
  EXPECT_EQ(contacts_->Get(2)->phones.at(0).value, "+48604555666");
  const ImportReport again = Run(file, "contacts", true, false, "vcard");
  EXPECT_EQ(again.updated, 1u);  // the UID; the other has no UID nor e-mail: a new one
  EXPECT_EQ(again.created, 1u);
  ImportOptions o;
  o.kind = "contacts";
  o.format = "vcard";
  auto broken = importer_->Run("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\n", o, anna_);
  ASSERT_FALSE(broken.has_value());
  EXPECT_THAT(broken.error().message(), HasSubstr("line 1"));
}

TEST_F(ImportTest, AMappingNamesColumnsNobodyRecognises) {
  ImportOptions o;
  o.kind = "customers";
  auto mapping =
      ParseMapping(R"({"Kontrahent nazwa skrócona": "name", "Numer": "externalId"})", "customers");
  ASSERT_TRUE(mapping.has_value()) << mapping.error().message();
  o.mapping = *mapping;
  auto r = importer_->Run("Kontrahent nazwa skrócona,Numer,Kolor\nABC,K-1,zielony\n", o, anna_);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->created, 1u);
  EXPECT_THAT(r->warnings, ::testing::Contains(HasSubstr("'Kolor' is not imported")));
  EXPECT_EQ(*customers_->FindByExternalId("K-1"), 1u);
  auto bad = ParseMapping("Header,field\nNazwa,colour\n", "customers");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message(), HasSubstr("'colour' is not a field of customers"));
}

TEST_F(ImportTest, ActivitiesFindTheirCustomerAndSplitDatesAndTimes) {
  ASSERT_TRUE(customers_->Create(
      json::parse(R"({"name": "Piekarnia", "taxId": "5261040828"})").as_object(), anna_));
  const ImportReport r =
      Run("Subject,Start Date,Start Time,End Date,End Time,Customer,Type\n"
          "Spotkanie,12/7/2026,9:30 AM,12/7/2026,10:30 AM,526-104-08-28,meeting\n"
          "Telefon,07.12.2026,14:00,,,Piekarnia,call\n"
          "Zgubione,07.12.2026,14:00,,,Nikt,call\n",
          "activities", false, true);
  EXPECT_EQ(r.created, 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].column, "Customer");
  EXPECT_EQ(r.errors[0].line, 4u);
  auto meeting = activities_->Get(1);
  ASSERT_TRUE(meeting.has_value());
  EXPECT_EQ(FormatInstant(meeting->start), "2026-12-07T09:30:00.000Z");
  EXPECT_EQ(FormatInstant(meeting->end), "2026-12-07T10:30:00.000Z");
  EXPECT_EQ(meeting->customer, 1u);
  EXPECT_EQ(FormatInstant(activities_->Get(2)->start), "2026-12-07T14:00:00.000Z");
}

TEST_F(ImportTest, ALargeFileIsWrittenInBatchesWithAnAuditEntryPerRecord) {
  std::string csv = "External ID,Name,VAT Number\n";
  csv += "X-1,Piekarnia Zielińska,PL5261040828\n";
  // Matched by the tax id a row staged in the same batch holds: an update, not a duplicate.
  csv += "X-2,Piekarnia Zielińska sp. z o.o.,526-104-08-28\n";
  for (int i = 3; i <= 2500; ++i) {
    csv += "X-" + std::to_string(i) + ",Firma " + std::to_string(i) + ",\n";
  }
  const std::uint64_t entries_before = audit_->size();
  const std::uint64_t syncs_before = audit_->commit_stats().writes;
  std::vector<std::size_t> progress;
  ImportOptions o;
  o.kind = "customers";
  auto r = importer_->Run(csv, o, anna_, [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 2500u);
    progress.push_back(done);
  });
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->created, 2499u);
  EXPECT_EQ(r->updated, 1u);
  EXPECT_EQ(r->refused, 0u);
  EXPECT_EQ(customers_->Get(1)->name, "Piekarnia Zielińska sp. z o.o.");
  EXPECT_EQ(customers_->Get(1)->external_id, "X-2");
  EXPECT_EQ(*customers_->FindByExternalId("X-2500"), std::optional<CustomerId>(2499));
  // One entry per record, in a handful of writes, not one sync per row.
  EXPECT_EQ(audit_->size() - entries_before, 2500u);
  EXPECT_LE(audit_->commit_stats().writes - syncs_before, 5u);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 2500u);
  EXPECT_LE(progress.size(), 4u);
  // A re-import updates every record by its external id.
  auto again = importer_->Run(csv, o, anna_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->created, 0u);
  EXPECT_EQ(again->updated, 2500u);
}

TEST_F(ImportTest, ABulkChecksWhatItStagedAsTheStoreWouldHaveIt) {
  {
    CustomerStore::Bulk bulk(*customers_);
    ASSERT_TRUE(
        bulk.Create(json::parse(R"({"name": "A", "externalId": "e1"})").as_object(), anna_));
    auto twin = bulk.Create(json::parse(R"({"name": "B", "externalId": "e1"})").as_object(), anna_);
    ASSERT_FALSE(twin.has_value());
    EXPECT_EQ(twin.error().details().at(0).field, "externalId");
    // The update of a staged customer sees it.
    auto changed = bulk.Update(1, json::parse(R"({"notes": "n"})").as_object(), anna_);
    ASSERT_TRUE(changed.has_value()) << changed.error().message();
    EXPECT_EQ(changed->name, "A");
    ASSERT_TRUE(bulk.Create(json::parse(R"({"name": "C"})").as_object(), anna_));
    // The update and C are dropped: never committed. A was, by the twin's check.
  }
  EXPECT_EQ(Customers(), 1u);
  EXPECT_EQ(customers_->Get(1)->notes, "");
  auto room =
      resources_->Create(json::parse(R"({"name": "Sala", "capacity": 4})").as_object(), anna_);
  ASSERT_TRUE(room.has_value());
  ActivityStore::Bulk bulk(*activities_);
  const std::string meeting = R"({"type": "meeting", "start": "2026-12-07T09:00:00Z",
      "end": "2026-12-07T10:00:00Z", "resources": [")" +
                              std::to_string(room->id) + R"("]})";
  ASSERT_TRUE(bulk.Create(json::parse(meeting).as_object(), anna_));
  auto twice = bulk.Create(json::parse(meeting).as_object(), anna_);
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(bulk.Commit());
  EXPECT_TRUE(activities_->Get(1).has_value());
  EXPECT_FALSE(activities_->Get(2).has_value());
}

TEST_F(ImportTest, ARowWithMoreFieldsThanTheHeaderIsNamed) {
  const ImportReport r = Run("name,city\nA,X\nB,Y,Z\n", "customers", true);
  EXPECT_EQ(r.refused, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 3u);
  EXPECT_THAT(r.errors[0].message, HasSubstr("3 fields, the header 2"));
}

TEST_F(ImportTest, ExportedContactsAndCustomersImportBackAsUpdates) {
  ASSERT_TRUE(
      customers_->Create(json::parse(R"({"name": "Piekarnia; Zielińska", "taxId": "5261040828",
                      "emails": [{"address": "a@p.pl"}, {"address": "b@p.pl"}],
                      "notes": "Dostawy \"rano\",\nprzed 6"})")
                             .as_object(),
                         anna_));
  auto person = contacts_->Create(json::parse(R"({"firstName": "Zofia", "lastName": "Wójcik",
      "title": "Księgowa, główna", "customers": [1],
      "emails": [{"address": "zofia@p.pl", "label": "work"}],
      "phones": [{"number": "601 234 567", "label": "mobile"}],
      "notes": "Linia 1\nLinia 2; z przecinkiem, i średnikiem"})")
                                      .as_object(),
                                  anna_);
  ASSERT_TRUE(person.has_value()) << person.error().message();
  const std::string card = ContactVCard(*person, "Piekarnia; Zielińska");
  auto parsed = ParseVCards(card);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message() << "\n" << card;
  const VCard& v = parsed->at(0);
  EXPECT_EQ(v.version, "4.0");
  EXPECT_EQ(v.Find("FN")->value, "Zofia Wójcik");
  EXPECT_EQ(v.Find("NOTE")->value, "Linia 1\nLinia 2; z przecinkiem, i średnikiem");
  EXPECT_EQ(v.Find("ORG")->parts.at(0), "Piekarnia; Zielińska");
  EXPECT_TRUE(v.Find("TEL")->Has("cell"));
  const ImportReport back = Run(card, "contacts", true, false, "vcard");
  EXPECT_EQ(back.updated, 1u) << (back.errors.empty() ? "" : back.errors[0].message);
  EXPECT_EQ(back.phones, 1u);

  auto c = customers_->Get(1);
  const std::string csv = CustomersCsvHeader(';') + CustomerCsvLine(*c, ';');
  const ImportReport again = Run(csv, "customers", true);
  EXPECT_EQ(again.updated, 1u) << (again.errors.empty() ? "" : again.errors[0].message);
  EXPECT_EQ(again.emails, 2u);
  EXPECT_EQ(again.created, 0u);
}

}  // namespace
}  // namespace quire::crm
