// The outbox against a real SMTP server on loopback (tests/mail/smtp_server.py, Debian's
// python3-aiosmtpd): delivered messages as the server received them, attachments as MIME
// parts, a refused recipient as a bounce, a temporary refusal and a dropped connection
// retried with back-off, authentication, the queue surviving a reopened store.
#include "quire/mail/outbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <sstream>
#include <thread>

#include "quire/storage/key_codec.h"
#include "quire/testing/smtp_server.h"
#include "quire/testing/temp_dir.h"

namespace quire::mail {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

using testing::SmtpServer;

SmtpConfig Local(std::uint16_t port, std::string user = "", std::string password = "") {
  SmtpConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.user = std::move(user);
  c.password = std::move(password);
  c.timeout = 10s;
  return c;
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    outbox_.reset();
    audit_.reset();
    store_.reset();
    store_ = std::move(*storage::Store::Open(dir_.Sub("data")));
    audit_ = std::move(*audit::AuditLog::Open(*store_, dir_.path()));
    OutboxOptions o;
    o.from = "Quire <quire@firma.example>";
    o.clock = &clock_;
    o.max_attempts = 3;
    o.attachments = [](const std::vector<AttachmentRef>& refs) -> Result<std::vector<Attachment>> {
      std::vector<Attachment> out;
      for (const AttachmentRef& r : refs) {
        if (r.document == 404) return Error::NotFound("there is no document 404");
        out.push_back({"oferta-" + std::to_string(r.document) + ".pdf", "application/pdf",
                       std::string("%PDF-1.7 zażółć\n\x01\x02", 21)});
      }
      return out;
    };
    o.on_bounce = [this](std::uint64_t contact) { bounced_.push_back(contact); };
    outbox_ = std::move(*Outbox::Open(*store_, *audit_, o));
  }

  Message Queue(std::vector<std::string> to, std::string subject = "Oferta nr 12",
                std::vector<AttachmentRef> files = {}, std::uint64_t contact = 0) {
    NewMessage m;
    m.to = std::move(to);
    m.subject = std::move(subject);
    m.text = "Dzień dobry,\nw załączeniu oferta.\n";
    m.attachments = std::move(files);
    m.contact = contact;
    m.purpose = "test";
    auto queued = outbox_->Queue(std::move(m), "anna");
    EXPECT_TRUE(queued) << queued.error().message();
    return queued.value_or(Message{});
  }

  testing::TempDir dir_;
  ManualClock clock_{Timestamp(std::chrono::milliseconds(1'796'000'000'000))};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<Outbox> outbox_;
  std::vector<std::uint64_t> bounced_;
};

TEST_F(OutboxTest, AMessageIsDeliveredAsWrittenWithItsAttachment) {
  SmtpServer server(dir_.Sub("smtp"));
  auto transport = MakeSmtpTransport(Local(server.port));
  const Message m =
      Queue({"jan.kowalski@klient.example"}, "Oferta nr 12 — zażółć gęślą jaźń", {{7, 0}});
  EXPECT_EQ(m.status, "queued");
  EXPECT_EQ(outbox_->queued(), 1u);
  ASSERT_EQ(outbox_->SendDue(*transport).value_or(-1), 1);

  const Message sent = outbox_->Get(m.id).value();
  EXPECT_EQ(sent.status, "sent");
  EXPECT_EQ(sent.attempts, 1);
  EXPECT_EQ(outbox_->queued(), 0u);
  const auto received = server.Received();
  ASSERT_EQ(received.size(), 1u);
  const std::string& eml = received[0];
  EXPECT_THAT(eml, HasSubstr("X-Envelope-To: jan.kowalski@klient.example"));
  EXPECT_THAT(eml, HasSubstr("Message-ID: " + m.message_id));
  EXPECT_THAT(eml, HasSubstr("=?UTF-8?"));  // the Polish subject, encoded
  EXPECT_THAT(eml, HasSubstr("oferta-7.pdf"));
  EXPECT_THAT(eml, HasSubstr("Content-Transfer-Encoding: base64"));
  EXPECT_THAT(eml, HasSubstr("JVBERi0xLjcg"));  // "%PDF-1.7 " in base64
  const auto log = outbox_->Log(m.id).value();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].outcome, "sent");
  // The chain holds ids and counts, never the address or the subject.
  std::ostringstream chain;
  ASSERT_TRUE(audit_->Export(0, 0, chain));
  EXPECT_THAT(chain.str(), HasSubstr("\"mail.sent\""));
  EXPECT_THAT(chain.str(), ::testing::Not(HasSubstr("kowalski")));
  EXPECT_THAT(chain.str(), ::testing::Not(HasSubstr("Oferta")));
}

TEST_F(OutboxTest, ARefusedRecipientBouncesOnTheContactAndATemporaryRefusalIsRetried) {
  SmtpServer server(dir_.Sub("smtp"), "refuse");
  auto transport = MakeSmtpTransport(Local(server.port));
  const Message gone = Queue({"nobody@klient.example"}, "A", {}, 42);
  const Message busy = Queue({"later@klient.example"}, "B");
  ASSERT_EQ(outbox_->SendDue(*transport).value_or(-1), 2);

  const Message bounced = outbox_->Get(gone.id).value();
  EXPECT_EQ(bounced.status, "failed");
  EXPECT_TRUE(bounced.bounced);
  EXPECT_THAT(bounced.last_reply, HasSubstr("550"));
  EXPECT_THAT(bounced_, ::testing::ElementsAre(42u));
  EXPECT_EQ(outbox_->Log(gone.id).value().at(0).outcome, "bounced");

  // 451: again in a minute, then two, then given up after the third attempt.
  Message waiting = outbox_->Get(busy.id).value();
  EXPECT_EQ(waiting.status, "queued");
  EXPECT_EQ(waiting.next_attempt_at, clock_.Now() + 1min);
  EXPECT_EQ(outbox_->SendDue(*transport).value_or(-1), 0);  // not due yet
  clock_.Advance(1min);
  EXPECT_EQ(outbox_->SendDue(*transport).value_or(-1), 1);
  waiting = outbox_->Get(busy.id).value();
  EXPECT_EQ(waiting.attempts, 2);
  EXPECT_EQ(waiting.next_attempt_at, clock_.Now() + 2min);
  clock_.Advance(2min);
  EXPECT_EQ(outbox_->SendDue(*transport).value_or(-1), 1);
  waiting = outbox_->Get(busy.id).value();
  EXPECT_EQ(waiting.status, "failed");
  EXPECT_FALSE(waiting.bounced);
  const auto log = outbox_->Log(busy.id).value();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].outcome, "retry");
  EXPECT_EQ(log[2].outcome, "failed");
  EXPECT_THAT(log[2].reply, HasSubstr("451"));

  // Sent again by hand: queued anew, attempts counted afresh; a sent one is not.
  auto again = outbox_->Retry(busy.id, "admin");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->status, "queued");
  EXPECT_EQ(again->attempts, 0);
  EXPECT_EQ(outbox_->Retry(busy.id, "admin").error().code(), ErrorCode::kConflict);
  EXPECT_EQ(outbox_->SendDue(*transport).value_or(-1), 1);  // 451 again: its log grows
  EXPECT_EQ(outbox_->Log(busy.id)->size(), 4u);
  EXPECT_EQ(outbox_->Log(busy.id)->at(0).outcome, "retry");  // the first attempts kept
  EXPECT_TRUE(server.Received().empty());
}

TEST_F(OutboxTest, ADroppedConnectionOrNoServerAtAllIsRetried) {
  SmtpServer dropping(dir_.Sub("smtp"), "drop");
  auto transport = MakeSmtpTransport(Local(dropping.port));
  const Message m = Queue({"jan@klient.example"});
  ASSERT_EQ(outbox_->SendDue(*transport).value_or(-1), 1);
  Message after = outbox_->Get(m.id).value();
  EXPECT_EQ(after.status, "queued");
  EXPECT_EQ(after.attempts, 1);
  EXPECT_FALSE(after.last_reply.empty());

  // Nothing listens any more: connection refused, still only a reason to wait.
  dropping.Stop();
  auto nowhere = MakeSmtpTransport(Local(dropping.port));
  clock_.Advance(1min);
  ASSERT_EQ(outbox_->SendDue(*nowhere).value_or(-1), 1);
  after = outbox_->Get(m.id).value();
  EXPECT_EQ(after.status, "queued");
  EXPECT_EQ(after.attempts, 2);
}

TEST_F(OutboxTest, AuthenticationWithTheRightPasswordAndARefusalWithTheWrongOne) {
  SmtpServer server(dir_.Sub("smtp"), "accept", {"--user", "biuro", "--password", "Tajne-123"});
  auto good = MakeSmtpTransport(Local(server.port, "biuro", "Tajne-123"));
  const Message ok = Queue({"jan@klient.example"});
  ASSERT_EQ(outbox_->SendDue(*good).value_or(-1), 1);
  EXPECT_EQ(outbox_->Get(ok.id)->status, "sent") << outbox_->Get(ok.id)->last_reply;
  ASSERT_EQ(server.Received().size(), 1u);

  auto bad = MakeSmtpTransport(Local(server.port, "biuro", "zle-haslo"));
  const Message refused = Queue({"jan@klient.example"});
  ASSERT_EQ(outbox_->SendDue(*bad).value_or(-1), 1);
  const Message after = outbox_->Get(refused.id).value();
  EXPECT_EQ(after.status, "failed") << after.last_reply;  // 535: permanent, not a bounce
  EXPECT_FALSE(after.bounced);
  EXPECT_THAT(after.last_reply, ::testing::Not(HasSubstr("zle-haslo")));
  EXPECT_TRUE(bounced_.empty());
}

TEST_F(OutboxTest, APasswordIsNotSentInClearTextToAnotherMachine) {
  SmtpConfig far = Local(25, "biuro", "Tajne-123");
  far.host = "192.0.2.1";  // TEST-NET-1: never answers
  far.timeout = 2s;
  auto transport = MakeSmtpTransport(far);
  const Message m = Queue({"jan@klient.example"});
  ASSERT_EQ(outbox_->SendDue(*transport).value_or(-1), 1);
  // Either it cannot connect (retry) or it refuses to send the password (failed): never
  // sent, and the password is in no reply.
  const Message after = outbox_->Get(m.id).value();
  EXPECT_NE(after.status, "sent");
  EXPECT_THAT(after.last_reply, ::testing::Not(HasSubstr("Tajne-123")));
}

TEST_F(OutboxTest, BadMessagesAreRefusedWithEveryProblemNamed) {
  NewMessage m;
  m.kind = "spam";
  m.to = {"jan@klient.example", "not an address"};
  m.subject = "two\nlines";
  auto r = outbox_->Queue(m, "anna");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kValidationFailed);
  std::vector<std::string> fields;
  for (const ErrorDetail& d : r.error().details()) fields.push_back(d.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("kind", "to[1]", "subject"));
  EXPECT_EQ(outbox_->queued(), 0u);
  EXPECT_TRUE(outbox_->List("", 10, "")->items.empty());
  EXPECT_EQ(outbox_->List("lost", 10, "").error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(OutboxTest, AnAttachmentThatCannotBeReadFailsTheMessageAtOnce) {
  SmtpServer server(dir_.Sub("smtp"));
  auto transport = MakeSmtpTransport(Local(server.port));
  const Message m = Queue({"jan@klient.example"}, "X", {{404, 0}});
  ASSERT_EQ(outbox_->SendDue(*transport).value_or(-1), 1);
  const Message after = outbox_->Get(m.id).value();
  EXPECT_EQ(after.status, "failed");
  EXPECT_THAT(after.last_reply, HasSubstr("no document 404"));
  EXPECT_TRUE(server.Received().empty());
}

TEST_F(OutboxTest, TheQueueSurvivesAReopenedStoreAndListsNewestFirst) {
  const Message first = Queue({"a@klient.example"});
  const Message second = Queue({"b@klient.example"});
  const Message third = Queue({"c@klient.example"});
  ASSERT_TRUE(outbox_->Cancel(second.id, "anna"));
  EXPECT_EQ(outbox_->Cancel(second.id, "anna").error().code(), ErrorCode::kConflict);
  Open();
  EXPECT_EQ(outbox_->queued(), 2u);
  auto page = outbox_->List("", 2, "").value();
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, third.id);
  EXPECT_EQ(page.items[1].id, second.id);
  auto rest = outbox_->List("", 2, page.next).value();
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].id, first.id);
  EXPECT_TRUE(rest.next.empty());
  auto queued = outbox_->List("queued", 10, "").value();
  ASSERT_EQ(queued.items.size(), 2u);
  EXPECT_EQ(outbox_->List("cancelled", 10, "")->items.at(0).id, second.id);
  // A new id after the reopening, not one given before.
  EXPECT_GT(Queue({"d@klient.example"}).id, third.id);
  SmtpServer server(dir_.Sub("smtp"));
  auto transport = MakeSmtpTransport(Local(server.port));
  EXPECT_EQ(outbox_->SendDue(*transport).value_or(-1), 3);
  EXPECT_EQ(server.Received().size(), 3u);
}

// A transport that holds the send until released: a message on the wire.
class HeldTransport final : public Transport {
 public:
  SendResult Send(const OutgoingMail&) override {
    std::unique_lock lock(mu_);
    sending_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return released_; });
    return {.ok = true, .reply = "250 ok", .failure = {}};
  }
  void WaitSending() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return sending_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool sending_ = false;
  bool released_ = false;
};

TEST_F(OutboxTest, AMessageOnTheWireCannotBeCancelledAndABadOneHoldsUpNoOther) {
  HeldTransport held;
  const Message m = Queue({"jan@klient.example"});
  std::thread sender([&] { EXPECT_EQ(outbox_->SendDue(held).value_or(-1), 1); });
  held.WaitSending();
  auto cancel = outbox_->Cancel(m.id, "anna");
  ASSERT_FALSE(cancel);
  EXPECT_THAT(cancel.error().message(), HasSubstr("being sent right now"));
  held.Release();
  sender.join();
  EXPECT_EQ(outbox_->Get(m.id)->status, "sent");

  // A stored message that cannot be read leaves the queue; the next one still goes.
  const Message broken = Queue({"a@klient.example"});
  const Message fine = Queue({"b@klient.example"});
  storage::WriteBatch spoil;
  spoil.Put(storage::ColumnFamily::kOutbox, storage::KeyEncoder().U8('m').U64Desc(broken.id).Take(),
            R"({"id": "x"})");
  ASSERT_TRUE(store_->Write(spoil));
  SmtpServer server(dir_.Sub("smtp"));
  auto transport = MakeSmtpTransport(Local(server.port));
  EXPECT_EQ(outbox_->SendDue(*transport).value_or(-1), 2);
  EXPECT_EQ(outbox_->Get(fine.id)->status, "sent");
  EXPECT_EQ(outbox_->Get(broken.id).error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(outbox_->queued(), 0u);
  EXPECT_EQ(outbox_->SendDue(*transport).value_or(-1), 0);
}

TEST_F(OutboxTest, TheSenderThreadSendsWhatIsQueued) {
  SmtpServer server(dir_.Sub("smtp"));
  outbox_->Start(MakeSmtpTransport(Local(server.port)));
  const Message m = Queue({"jan@klient.example"});
  for (int i = 0; i < 200 && outbox_->Get(m.id)->status == "queued"; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(outbox_->Get(m.id)->status, "sent");
  EXPECT_EQ(server.Received().size(), 1u);
}

}  // namespace
}  // namespace quire::mail
