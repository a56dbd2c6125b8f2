// quire audit export|verify|head|pubkey|proof|consistency|check-proof
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "commands.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/storage/store.h"

namespace quire::app {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::NotFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t Number(const std::string& s) {
  char* end = nullptr;
  const std::uint64_t v = std::strtoull(s.c_str(), &end, 10);
  return s.empty() || *end != '\0' ? 0 : v;
}

}  // namespace

std::string AuditUsage() {
  return "Usage: quire audit export [--from SEQ] [--to SEQ] [--out FILE]\n"
         "       quire audit head [--out FILE]         sign and publish the current head\n"
         "       quire audit pubkey [--out FILE]       the public key heads are signed with\n"
         "       quire audit proof SEQ [--size N]      entry SEQ is under the head of N entries\n"
         "       quire audit consistency FIRST SECOND  the head of SECOND extends FIRST\n"
         "       quire audit verify EXPORT [--head FILE --pubkey FILE]\n"
         "       quire audit check-proof PROOF [--pubkey FILE]\n"
         "The first five read the store (--data-dir DIR, default quire-data; not while\n"
         "'quire serve' runs on it). verify and check-proof need no store: they recompute\n"
         "everything from the files, and name the first entry that was altered, removed,\n"
         "inserted or reordered, or a truncated export. Format: docs/audit.md.\n";
}

int RunAudit(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << AuditUsage();
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string action = args[0];
  std::map<std::string, std::string> opt{{"data-dir", "quire-data"}};
  std::vector<std::string> positional;
  static const std::set<std::string> known{"data-dir", "from", "to",    "out",
                                           "size",     "head", "pubkey"};
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i].starts_with("--")) {
      const std::string name = args[i].substr(2);
      if (!known.contains(name) || i + 1 >= args.size()) {
        std::cerr << "quire audit: --" << name
                  << (known.contains(name) ? " needs a value" : " is not an option") << "\n";
        return kExitUsage;
      }
      opt[name] = args[++i];
    } else {
      positional.push_back(args[i]);
    }
  }
  auto write_out = [&](const std::string& text) {
    if (!opt.contains("out")) {
      std::cout << text;
      return kExitOk;
    }
    std::ofstream out(opt["out"], std::ios::binary);
    out << text;
    if (!out) {
      std::cerr << "quire audit: cannot write " << opt["out"] << "\n";
      return kExitFailure;
    }
    return kExitOk;
  };

  if (action == "verify" || action == "check-proof") {
    if (positional.size() != 1) {
      std::cerr << "quire audit " << action << ": name one file\n";
      return kExitUsage;
    }
    std::string pem;
    if (opt.contains("pubkey")) {
      auto key = ReadFile(opt["pubkey"]);
      if (!key) {
        std::cerr << "quire audit: " << key.error().message() << "\n";
        return kExitFailure;
      }
      pem = *key;
    }
    if (action == "check-proof") {
      auto proof = ReadFile(positional[0]);
      if (!proof) {
        std::cerr << "quire audit: " << proof.error().message() << "\n";
        return kExitFailure;
      }
      const std::string problem = audit::CheckProofJson(*proof, pem);
      if (!problem.empty()) {
        std::cout << positional[0] << ": NOT VERIFIED: " << problem << "\n";
        return kExitFailure;
      }
      std::cout << positional[0] << ": verified" << (pem.empty() ? " (signature not checked)" : "")
                << "\n";
      return kExitOk;
    }
    std::optional<audit::Head> head;
    if (opt.contains("head")) {
      auto text = ReadFile(opt["head"]);
      auto parsed = text ? audit::ParseHead(*text) : Result<audit::Head>(text.error());
      if (!parsed) {
        std::cerr << "quire audit verify: " << parsed.error().message() << "\n";
        return kExitFailure;
      }
      head = *parsed;
    }
    std::ifstream in(positional[0], std::ios::binary);
    if (!in) {
      std::cerr << "quire audit verify: cannot read " << positional[0] << "\n";
      return kExitFailure;
    }
    const audit::VerifyReport r = audit::VerifyExport(in, head, pem);
    if (!r.ok) {
      std::cout << positional[0] << ": NOT VERIFIED: " << r.problem << "\n";
      return kExitFailure;
    }
    std::cout << positional[0] << ": verified " << r.entries << " entries (seq " << r.first_seq
              << " to " << r.last_seq << ")";
    if (head) {
      std::cout << " against the head of " << head->size << " entries"
                << (pem.empty() ? " (signature not checked: give --pubkey)" : ", signature valid");
    }
    std::cout << "\n";
    return kExitOk;
  }

  static const std::set<std::string> store_actions{"export", "head", "pubkey", "proof",
                                                   "consistency"};
  if (!store_actions.contains(action)) {
    std::cerr << "quire audit: unknown action '" << action << "'; see 'quire help audit'\n";
    return kExitUsage;
  }
  auto store = storage::Store::Open(opt["data-dir"]);
  if (!store) {
    std::cerr << "quire audit: cannot open the store: " << store.error().message() << "\n";
    return kExitFailure;
  }
  auto log = audit::AuditLog::Open(**store, opt["data-dir"]);
  if (!log) {
    std::cerr << "quire audit: " << log.error().message() << "\n";
    return kExitFailure;
  }
  audit::AuditLog& audit_log = **log;
  if (action == "export") {
    std::ostringstream out;
    if (auto r = audit_log.Export(Number(opt["from"]), Number(opt["to"]), out); !r) {
      std::cerr << "quire audit export: " << r.error().message() << "\n";
      return kExitFailure;
    }
    return write_out(out.str());
  }
  if (action == "pubkey") return write_out(audit_log.PublicKeyPem());
  if (action == "head") {
    auto head = audit_log.PublishHead(SystemClock::Instance().Now());
    if (!head) {
      std::cerr << "quire audit head: " << head.error().message() << "\n";
      return kExitFailure;
    }
    return write_out(head->ToJson() + "\n");
  }
  if (action == "proof") {
    const std::uint64_t seq = positional.size() == 1 ? Number(positional[0]) : 0;
    if (seq == 0) {
      std::cerr << "quire audit proof: name the entry's seq\n";
      return kExitUsage;
    }
    auto proof = audit_log.ProveInclusion(seq, Number(opt["size"]));
    if (!proof) {
      std::cerr << "quire audit proof: " << proof.error().message() << "\n";
      return kExitFailure;
    }
    return write_out(proof->ToJson() + "\n");
  }
  const std::uint64_t first = positional.size() == 2 ? Number(positional[0]) : 0;
  const std::uint64_t second = positional.size() == 2 ? Number(positional[1]) : 0;
  if (first == 0 || second == 0) {
    std::cerr << "quire audit consistency: name two published head sizes\n";
    return kExitUsage;
  }
  auto proof = audit_log.ProveConsistency(first, second);
  if (!proof) {
    std::cerr << "quire audit consistency: " << proof.error().message() << "\n";
    return kExitFailure;
  }
  return write_out(proof->ToJson() + "\n");
}

}  // namespace quire::app
