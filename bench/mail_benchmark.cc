// Issue 18's outbox figure: messages per second from the outbox to an SMTP server on
// loopback (tests/mail/smtp_server.py: Debian's python3-aiosmtpd, writing each message to
// a file), end to end — queued durably with its audit entry, then sent by SendDue through
// the real SMTP transport (one connection per message, as the sender does today), each
// result stored with its delivery log entry and audit entry. Also the queueing alone.
//
//   mail_benchmark [--messages N] [--attachment-kb N]
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bench_support.h"
#include "quire/audit/log.h"
#include "quire/mail/outbox.h"
#include "quire/storage/store.h"
#include "quire/testing/smtp_server.h"

namespace {

using namespace quire;  // NOLINT: a benchmark's main
using Steady = std::chrono::steady_clock;

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 2000;
  std::size_t attachment_kb = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--messages") messages = std::stoul(argv[i + 1]);
    if (flag == "--attachment-kb") attachment_kb = std::stoul(argv[i + 1]);
  }
  const std::filesystem::path dir = bench::BenchDir();
  std::filesystem::remove_all(dir);
  testing::SmtpServer server(dir / "smtp");
  if (server.port == 0) {
    std::fprintf(stderr, "the SMTP server did not start\n");
    return 1;
  }
  auto store = storage::Store::Open(dir / "data");
  if (!store) bench::Die("cannot open the store", store.error());
  auto audit = audit::AuditLog::Open(**store, dir);
  if (!audit) bench::Die("cannot open the audit chain", audit.error());
  mail::OutboxOptions options;
  options.from = "Quire <crm@firma.example>";
  const std::string attachment(attachment_kb * 1024, 'x');
  options.attachments =
      [&](const std::vector<mail::AttachmentRef>&) -> Result<std::vector<mail::Attachment>> {
    return std::vector<mail::Attachment>{{"oferta.pdf", "application/pdf", attachment}};
  };
  auto outbox = mail::Outbox::Open(**store, **audit, options);
  if (!outbox) bench::Die("cannot open the outbox", outbox.error());
  mail::SmtpConfig smtp;
  smtp.host = "127.0.0.1";
  smtp.port = server.port;
  auto transport = mail::MakeSmtpTransport(smtp);

  const Steady::time_point t0 = Steady::now();
  for (std::size_t i = 0; i < messages; ++i) {
    mail::NewMessage m;
    m.to = {"klient" + std::to_string(i) + "@example.pl"};
    m.subject = "Oferta nr " + std::to_string(i) + " — zażółć gęślą jaźń";
    m.text = "Dzień dobry,\nw załączeniu oferta.\nZ poważaniem\nFirma\n";
    if (attachment_kb > 0) m.attachments = {{1, 0}};
    if (auto q = (*outbox)->Queue(std::move(m), "bench"); !q) bench::Die("queue", q.error());
  }
  const Steady::time_point t1 = Steady::now();
  std::size_t sent = 0;
  while ((*outbox)->queued() > 0) {
    auto n = (*outbox)->SendDue(*transport);
    if (!n) bench::Die("send", n.error());
    sent += static_cast<std::size_t>(*n);
  }
  const Steady::time_point t2 = Steady::now();
  const auto failed = (*outbox)->List("failed", 1, "");
  std::printf("messages %zu, attachment %zu KiB, failed %s\n", messages, attachment_kb,
              failed && failed->items.empty() ? "none" : "SOME");
  std::printf("queued (durable, audited): %.0f messages/s\n", messages / Seconds(t1 - t0));
  std::printf("sent to the SMTP server:   %.0f messages/s (%zu attempts)\n",
              messages / Seconds(t2 - t1), sent);
  std::printf("end to end:                %.0f messages/s\n", messages / Seconds(t2 - t0));
  server.Stop();
  outbox->reset();
  audit->reset();
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
