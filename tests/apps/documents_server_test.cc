// Documents through a real `quire serve`: uploads (raw and multipart), downloads with
// Range and ETag, check-out conflicts, search, retention refusals, the audit export, tasks
// that wait for their required documents — and SIGKILL during uploads and check-ins:
// after each restart no partial version is visible, nothing referenced is missing, and
// every acknowledged version reads back byte for byte.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "quire/testing/child_process.h"
#include "quire/testing/http_client.h"
#include "quire/testing/quire_server.h"
#include "quire/testing/temp_dir.h"

namespace quire {
namespace {

using ::quire::testing::ChildProcess;
using ::quire::testing::HttpConnection;
using ::quire::testing::HttpReply;
using ::quire::testing::MakeRequest;
using ::quire::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace json = boost::json;

// Users and their API tokens: anna administers, ben works as staff. Provisioned once per
// data directory, before the first server opens it (restarts keep them).
std::map<std::string, std::string>& Tokens() {
  static std::map<std::string, std::string> tokens;
  return tokens;
}

const std::string& Provisioned(const std::string& data) {
  static std::set<std::string> done;
  if (done.insert(data).second) {
    Tokens() = quire::testing::ProvisionUsers(QUIRE_BINARY, data,
                                              {{"anna", {"administrator"}}, {"ben", {"staff"}}});
  }
  return data;
}

struct Server : quire::testing::QuireServer {
  explicit Server(const std::string& data) : QuireServer(QUIRE_BINARY, Provisioned(data)) {}
};

Result<HttpReply> Call(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = "", const std::string& user = "anna",
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto connection = HttpConnection::Connect(port);
  if (!connection) return connection.error();
  headers.push_back(quire::testing::Bearer(Tokens()[user]));
  QUIRE_RETURN_IF_ERROR(connection->Send(MakeRequest(method, target, body, headers)));
  return connection->ReadReply(60s);
}

std::string Bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

std::string Str(const json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

const char* kProcess =
    R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:quire="urn:quire:bpmn:1.0" id="d" targetNamespace="urn:t">
  <process id="offer" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="prepare" name="Prepare offer">
      <extensionElements><quire:requiredDocument type="contract"/></extensionElements>
    </userTask>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <sequenceFlow id="f2" sourceRef="prepare" targetRef="e"/>
  </process>
</definitions>)";

TEST(DocumentsServerTest, UploadDownloadLockSearchRetainAndAudit) {
  TempDir dir;
  Server server(dir.Sub("data").string());
  ASSERT_NE(server.port, 0);
  const std::uint16_t port = server.port;
  auto type = Call(port, "PUT", "/api/document-types/contract",
                   R"({"fields":[{"name":"customer","type":"reference","ref":"customer",
                       "required":true},{"name":"value","type":"number"}],
                       "retention":{"keep":"P1Y"}})");
  ASSERT_TRUE(type);
  ASSERT_EQ(type->status, 200) << type->body;

  // Raw upload, with its description in the query.
  const std::string big = Bytes(3 << 20, 1);
  auto raw = Call(port, "POST",
                  "/api/documents?title=Scan&type=contract&link=customer:c-1&metadata=%7B%22"
                  "customer%22%3A%22c-1%22%2C%22value%22%3A500%7D",
                  big);
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 201) << raw->body;
  const json::value doc = json::parse(raw->body);
  const std::string id = Str(doc, "id");
  const std::string hash = Str(doc.at("latest"), "contentHash");

  // Found by its link the moment the upload is acknowledged (no waiting for the index).
  auto linked = Call(port, "GET", "/api/documents?link=customer:c-1");
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->status, 200) << linked->body;
  EXPECT_EQ(Str(json::parse(linked->body).at("items").at(0), "id"), id);

  // PATCH merges into the stored metadata (RFC 7396), PUT replaces it; the type is checked
  // on the result, and a refused change changes nothing.
  auto metadata_of = [&](const std::string& method, const std::string& body) {
    auto r = Call(port, method, "/api/documents/" + id, body);
    EXPECT_TRUE(r);
    return r ? std::pair{r->status, r->body} : std::pair{0, std::string()};
  };
  auto [merged, merged_body] = metadata_of("PATCH", R"({"metadata": {"value": 750}})");
  ASSERT_EQ(merged, 200) << merged_body;
  EXPECT_EQ(json::parse(merged_body).at("metadata"),
            json::parse(R"({"customer":"c-1","value":750})"));
  auto [removed, removed_body] = metadata_of("PATCH", R"({"metadata": {"value": null}})");
  ASSERT_EQ(removed, 200) << removed_body;
  EXPECT_EQ(json::parse(removed_body).at("metadata"), json::parse(R"({"customer":"c-1"})"));
  auto [required, required_body] = metadata_of("PATCH", R"({"metadata": {"customer": null}})");
  EXPECT_EQ(required, 422);
  EXPECT_THAT(required_body, HasSubstr("metadata.customer"));
  auto [partial, partial_body] = metadata_of("PUT", R"({"metadata": {"value": 1}})");
  EXPECT_EQ(partial, 422);
  EXPECT_THAT(partial_body, HasSubstr("metadata.customer"));
  auto [no_metadata, no_metadata_body] = metadata_of("PUT", R"({"title": "Scan"})");
  EXPECT_EQ(no_metadata, 400);
  EXPECT_THAT(no_metadata_body, HasSubstr("use PATCH"));
  auto [replaced, replaced_body] =
      metadata_of("PUT", R"({"metadata": {"customer": "c-1", "value": 500}})");
  ASSERT_EQ(replaced, 200) << replaced_body;
  EXPECT_EQ(json::parse(replaced_body).at("metadata"),
            json::parse(R"({"customer":"c-1","value":500})"));
  auto metadata_versions = Call(port, "GET", "/api/documents/" + id + "/metadata-versions");
  ASSERT_TRUE(metadata_versions);
  // The upload's set, the two merges and the replacement: the refusals left no version.
  EXPECT_EQ(json::parse(metadata_versions->body).at("items").as_array().size(), 4u)
      << metadata_versions->body;

  // A bad upload loses nothing and says what is wrong, per field.
  auto bad = Call(port, "POST", "/api/documents?title=X&type=contract&metadata=%7B%7D", "abc");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_THAT(bad->body, HasSubstr("metadata.customer"));

  // Multipart, fields first.
  const std::string boundary = "XyZ0123";
  const std::string form = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ncontract\r\n"
                           "--" +
                           boundary +
                           "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n"
                           "{\"customer\":\"c-2\"}\r\n--" +
                           boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; "
                           "filename=\"offer.html\"\r\nContent-Type: text/html\r\n\r\n"
                           "<html><body>maintenance offer for turbines</body></html>\r\n--" +
                           boundary + "--\r\n";
  auto multi = Call(port, "POST", "/api/documents", form, "anna",
                    {{"Content-Type", "multipart/form-data; boundary=" + boundary}});
  ASSERT_TRUE(multi);
  ASSERT_EQ(multi->status, 201) << multi->body;
  const json::value mdoc = json::parse(multi->body);
  EXPECT_EQ(Str(mdoc, "title"), "offer.html");
  EXPECT_EQ(Str(mdoc.at("latest"), "mediaType"), "text/html");
  EXPECT_EQ(mdoc.at("latest").at("size").as_int64(), 56);

  // Download: whole, a range, not modified, an unsatisfiable range.
  auto whole = Call(port, "GET", "/api/documents/" + id + "/content");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_TRUE(whole->body == big);
  EXPECT_EQ(whole->header("etag").value_or(""), "\"" + hash + "\"");
  auto part = Call(port, "GET", "/api/documents/" + id + "/content", "", "anna",
                   {{"Range", "bytes=1000000-1000099"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, big.substr(1'000'000, 100));
  auto same = Call(port, "GET", "/api/documents/" + id + "/content", "", "anna",
                   {{"If-None-Match", "\"" + hash + "\""}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);
  auto outside = Call(port, "GET", "/api/documents/" + id + "/content", "", "anna",
                      {{"Range", "bytes=99999999-"}});
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->status, 416);

  // Check-out: others are refused with who and since when.
  ASSERT_EQ(Call(port, "POST", "/api/documents/" + id + "/checkout")->status, 200);
  auto refused = Call(port, "POST", "/api/documents/" + id + "/checkin", "ben's", "ben");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409);
  EXPECT_THAT(refused->body, HasSubstr("checked out by anna since"));
  auto in = Call(port, "POST", "/api/documents/" + id + "/checkin?comment=signed", "v2 bytes");
  ASSERT_TRUE(in);
  ASSERT_EQ(in->status, 200) << in->body;
  auto versions = Call(port, "GET", "/api/documents/" + id + "/versions");
  ASSERT_TRUE(versions);
  EXPECT_EQ(json::parse(versions->body).at("items").as_array().size(), 2u);
  EXPECT_EQ(Call(port, "GET", "/api/documents/" + id + "/content?version=1")->body.size(),
            big.size());

  // Search: full text (HTML), metadata range, links.
  auto found = Call(port, "GET", "/api/documents?q=turbines");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->status, 200) << found->body;
  EXPECT_THAT(found->body, HasSubstr("offer.html"));
  for (int i = 0;
       i < 50 && Call(port, "GET", "/api/documents?meta.value.gte=100")->body.find("\"Scan\"") ==
                     std::string::npos;
       ++i) {
    std::this_thread::sleep_for(20ms);  // the index trails the store by a moment
  }
  EXPECT_THAT(Call(port, "GET", "/api/documents?meta.value.gte=100")->body, HasSubstr("Scan"));
  EXPECT_THAT(Call(port, "GET", "/api/documents?link=customer:c-1")->body, HasSubstr("Scan"));

  // Retention refuses deletion.
  auto del = Call(port, "DELETE", "/api/documents/" + id);
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 409);
  EXPECT_THAT(del->body, HasSubstr("must be kept until"));

  // A task that requires a contract waits for one.
  ASSERT_EQ(Call(port, "POST", "/api/users", R"({"id":"anna","name":"Anna"})")->status, 201);
  ASSERT_EQ(Call(port, "POST", "/api/deployments?name=offer.bpmn", kProcess)->status, 201);
  auto started = Call(port, "POST", "/api/processes/offer/instances", "{}");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;
  const std::string task(json::parse(started->body).at("tasks").at(0).as_string());
  auto early = Call(port, "POST", "/api/tasks/" + task + "/complete", "{}");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 422);
  EXPECT_THAT(early->body, HasSubstr("documents.contract"));
  ASSERT_EQ(Call(port, "POST", "/api/documents/" + id + "/links",
                 R"({"kind":"task","id":")" + task + R"("})")
                ->status,
            201);
  auto done = Call(port, "POST", "/api/tasks/" + task + "/complete", "{}");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200) << done->body;

  // The audit chain holds all of it, with the actors.
  auto exported = Call(port, "GET", "/api/audit/export");
  ASSERT_TRUE(exported);
  for (const char* action :
       {"\"document.created\"", "\"document.downloaded\"", "\"document.viewed\"",
        "\"document.checked-out\"", "\"document.checked-in\"", "\"document.linked\"",
        "\"instance.started\"", "\"task.completed\""}) {
    EXPECT_THAT(exported->body, HasSubstr(action));
  }
  // Refusals changed nothing, so they left nothing in the chain.
  EXPECT_THAT(exported->body, ::testing::Not(HasSubstr("\"actor\":\"ben\"")));

  // The document's trail, from the record index: its entries only, in order, paged; the
  // lines are the export's own.
  auto trail = Call(port, "GET", "/api/audit/trail?record=document/" + id + "&limit=2");
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->status, 200) << trail->body;
  const json::value first = json::parse(trail->body);
  ASSERT_EQ(first.at("items").as_array().size(), 2u);
  EXPECT_EQ(Str(first.at("items").at(0), "action"), "document.created");
  std::uint64_t last_seq = 0;
  for (const json::value& e : first.at("items").as_array()) {
    EXPECT_THAT(Str(e, "object"), ::testing::StartsWith("document/" + id));
    EXPECT_GT(e.at("seq").to_number<std::uint64_t>(), last_seq);
    last_seq = e.at("seq").to_number<std::uint64_t>();
    EXPECT_THAT(exported->body, HasSubstr(Str(e, "hash")));
  }
  ASSERT_TRUE(first.at("next").is_string()) << trail->body;
  auto rest = Call(port, "GET",
                   "/api/audit/trail?record=document/" + id +
                       "&after=" + std::string(first.at("next").as_string()));
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->status, 200) << rest->body;
  const json::value second = json::parse(rest->body);
  ASSERT_FALSE(second.at("items").as_array().empty());
  EXPECT_GT(second.at("items").at(0).at("seq").to_number<std::uint64_t>(), last_seq);
  EXPECT_TRUE(second.at("next").is_null());
  // No record named: 400 saying what to send; staff without audit.read: 403.
  auto unnamed = Call(port, "GET", "/api/audit/trail");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->status, 400);
  EXPECT_THAT(unnamed->body, HasSubstr("kind/id"));
  auto not_staff = Call(port, "GET", "/api/audit/trail?record=document/" + id, "", "ben");
  ASSERT_TRUE(not_staff);
  EXPECT_EQ(not_staff->status, 403) << not_staff->body;
}

TEST(DocumentsServerTest, TheAttachConnectorCreatesAndLinksDocumentsFromAProcess) {
  TempDir dir;
  Server server(dir.Sub("data").string());
  ASSERT_NE(server.port, 0);
  const std::uint16_t port = server.port;
  ASSERT_EQ(Call(port, "PUT", "/api/document-types/letter", R"({"fields":[]})")->status, 200);
  const std::string process = R"(<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="urn:t">
    <process id="welcome" isExecutable="true">
      <startEvent id="s"/>
      <serviceTask id="write"><extensionElements><zeebe:taskDefinition type="dms.attach"/>
        <zeebe:ioMapping>
          <zeebe:input source="=&quot;Welcome letter&quot;" target="title"/>
          <zeebe:input source="=&quot;letter&quot;" target="type"/>
          <zeebe:input source="=&quot;Dear &quot; + name" target="content"/>
          <zeebe:input source="=&quot;customer&quot;" target="linkKind"/>
          <zeebe:input source="=customerId" target="linkId"/>
        </zeebe:ioMapping></extensionElements></serviceTask>
      <userTask id="check"/>
      <endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="write"/>
      <sequenceFlow id="f2" sourceRef="write" targetRef="check"/>
      <sequenceFlow id="f3" sourceRef="check" targetRef="e"/>
    </process></definitions>)";
  ASSERT_EQ(Call(port, "POST", "/api/deployments?name=welcome.bpmn", process)->status, 201);
  auto started = Call(port, "POST", "/api/processes/welcome/instances",
                      R"({"variables": {"name": "Ada", "customerId": "c-9"}})");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;
  const std::string instance = Str(json::parse(started->body), "id");
  std::string found;
  for (int i = 0; i < 200; ++i) {
    auto page = Call(port, "GET", "/api/documents?link=instance:" + instance);
    if (page && page->status == 200 && !json::parse(page->body).at("items").as_array().empty()) {
      found = page->body;
      break;
    }
    std::this_thread::sleep_for(25ms);
  }
  ASSERT_FALSE(found.empty()) << "no document linked to instance " << instance;
  const json::value doc = json::parse(found).at("items").at(0);
  EXPECT_EQ(Str(doc, "title"), "Welcome letter");
  EXPECT_THAT(found, HasSubstr(R"({"kind":"customer","id":"c-9"})"));
  EXPECT_EQ(Call(port, "GET", "/api/documents/" + Str(doc, "id") + "/content")->body, "Dear Ada");
  // The document id came back as a process variable.
  auto info = Call(port, "GET", "/api/instances/" + instance);
  ASSERT_TRUE(info);
  EXPECT_THAT(info->body, HasSubstr(R"("documentId":")" + Str(doc, "id") + "\""));
}

TEST(DocumentsServerTest, SigkillDuringUploadsAndCheckinsLosesNothingAcknowledged) {
  TempDir dir;
  const std::string data = dir.Sub("data").string();
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> acked;  // document id → acked versions' bytes
  std::mt19937 random(20261124);
  std::uint32_t seed = 1;
  for (int round = 0; round < 3; ++round) {
    Server server(data);
    ASSERT_NE(server.port, 0) << "round " << round;
    const std::uint16_t port = server.port;
    if (round == 0) {
      ASSERT_EQ(Call(port, "PUT", "/api/document-types/scan", R"({"fields":[]})")->status, 200);
    }
    // Every version acknowledged before reads back byte for byte; nothing else is there.
    for (const auto& [id, versions] : acked) {
      auto list = Call(port, "GET", "/api/documents/" + id + "/versions");
      ASSERT_TRUE(list);
      ASSERT_EQ(list->status, 200) << list->body;
      const std::size_t stored = json::parse(list->body).at("items").as_array().size();
      ASSERT_GE(stored, versions.size()) << "document " << id;
      for (std::size_t n = 1; n <= stored; ++n) {
        auto got =
            Call(port, "GET", "/api/documents/" + id + "/content?version=" + std::to_string(n));
        ASSERT_TRUE(got);
        ASSERT_EQ(got->status, 200) << "document " << id << " version " << n << ": " << got->body;
        if (n <= versions.size()) {
          ASSERT_TRUE(got->body == versions[n - 1]) << "document " << id << " version " << n;
        }
      }
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    for (int w = 0; w < 3; ++w) {
      const std::uint32_t base = seed + static_cast<std::uint32_t>(w) * 1000;
      workers.emplace_back([&, w, base] {
        std::uint32_t s = base;
        std::string mine;
        while (!stop) {
          const std::string bytes = Bytes(100'000 + (s * 7919) % 1'500'000, s);
          ++s;
          if (mine.empty() || w == 0) {
            auto r = Call(port, "POST", "/api/documents?title=scan&type=scan", bytes);
            if (!r || r->status != 201) return;
            const std::string id = Str(json::parse(r->body), "id");
            std::lock_guard lock(mu);
            acked[id] = {bytes};
            mine = id;
          } else {
            // Check out and in: a new version of the same document.
            auto out = Call(port, "POST", "/api/documents/" + mine + "/checkout");
            if (!out || out->status != 200) return;
            auto r = Call(port, "POST", "/api/documents/" + mine + "/checkin", bytes);
            if (!r || r->status != 200) return;
            std::lock_guard lock(mu);
            acked[mine].push_back(bytes);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + random() % 800));
    server.child->Signal(SIGKILL);
    server.child->Wait(10s);
    stop = true;
    for (auto& t : workers) t.join();
    seed += 10'000;
  }
  Server last(data);
  ASSERT_NE(last.port, 0);
  std::size_t versions = 0;
  for (const auto& [id, v] : acked) versions += v.size();
  EXPECT_GT(versions, 3u);
  // A sweep after the crashes reclaims only unreferenced content: everything still reads.
  ASSERT_EQ(Call(last.port, "POST", "/api/dms/sweep")->status, 200);
  for (const auto& [id, v] : acked) {
    for (std::size_t n = 1; n <= v.size(); ++n) {
      auto got =
          Call(last.port, "GET", "/api/documents/" + id + "/content?version=" + std::to_string(n));
      ASSERT_TRUE(got);
      ASSERT_TRUE(got->status == 200 && got->body == v[n - 1]) << id << " v" << n;
    }
  }
}

}  // namespace
}  // namespace quire
