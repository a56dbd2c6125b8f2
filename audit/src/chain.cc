#include "quire/audit/chain.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "quire/audit/signer.h"
#include "quire/base/instant.h"

namespace quire::audit {
namespace json = boost::json;

Result<Hash> HashFromHex(std::string_view hex) {
  if (auto h = DigestFromHex(hex)) return *h;
  return Error::InvalidArgument("'" + std::string(hex) +
                                "' is not a hash (64 lower-case hex digits)");
}

std::string EntryBytes(const Entry& e) {
  json::object o;
  o["seq"] = e.seq;
  o["time"] = FormatInstant(e.time);
  o["actor"] = e.actor;
  o["action"] = e.action;
  o["object"] = e.object;
  o["details"] = e.details;
  o["prev"] = DigestHex(e.prev);
  return json::serialize(o);
}

std::string ExportLine(std::string_view bytes) {
  std::string line(bytes.substr(0, bytes.size() - 1));  // without the closing brace
  line += ",\"hash\":\"" + DigestHex(Sha256Of(bytes)) + "\"}";
  return line;
}

Result<std::pair<std::string, Hash>> SplitLine(std::string_view line) {
  constexpr std::string_view kHash = ",\"hash\":\"";
  const std::size_t at = line.rfind(kHash);
  if (at == std::string_view::npos || line.size() != at + kHash.size() + 64 + 2 ||
      line.substr(line.size() - 2) != "\"}") {
    return Error::InvalidArgument(
        "not an audit export line: it must end in ,\"hash\":\"<64 hex>\"}");
  }
  QUIRE_ASSIGN_OR_RETURN(Hash h, HashFromHex(line.substr(at + kHash.size(), 64)));
  return std::pair{std::string(line.substr(0, at)) + "}", h};
}

Result<Entry> ParseEntry(std::string_view bytes) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return Error::InvalidArgument("an audit entry is not a JSON object");
  const json::object& o = v.as_object();
  Entry e;
  const json::value* seq = o.if_contains("seq");
  if (seq == nullptr || !seq->is_number()) return Error::InvalidArgument("an entry has no seq");
  e.seq = seq->to_number<std::uint64_t>();
  auto text = [&](const char* k) -> std::string {
    const json::value* x = o.if_contains(k);
    return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  QUIRE_ASSIGN_OR_RETURN(e.time, ParseInstant(text("time")));
  e.actor = text("actor");
  e.action = text("action");
  e.object = text("object");
  if (const json::value* d = o.if_contains("details"); d != nullptr && d->is_object()) {
    e.details = d->as_object();
  }
  QUIRE_ASSIGN_OR_RETURN(e.prev, HashFromHex(text("prev")));
  return e;
}

std::string Head::SignedBytes() const {
  return "quire-audit-head\n" + std::to_string(size) + "\n" + DigestHex(root) + "\n" +
         FormatInstant(time) + "\n";
}

std::string Head::ToJson() const {
  return json::serialize(json::object{{"size", size},
                                      {"root", DigestHex(root)},
                                      {"time", FormatInstant(time)},
                                      {"signature", signature}});
}

Result<Head> ParseHead(std::string_view text) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::InvalidArgument("a tree head is not a JSON object");
  const json::object& o = v.as_object();
  Head h;
  const json::value* size = o.if_contains("size");
  const json::value* root = o.if_contains("root");
  const json::value* time = o.if_contains("time");
  const json::value* sig = o.if_contains("signature");
  if (size == nullptr || !size->is_number() || root == nullptr || !root->is_string() ||
      time == nullptr || !time->is_string() || sig == nullptr || !sig->is_string()) {
    return Error::InvalidArgument("a tree head needs size, root, time and signature");
  }
  h.size = size->to_number<std::uint64_t>();
  QUIRE_ASSIGN_OR_RETURN(h.root, HashFromHex(root->as_string()));
  QUIRE_ASSIGN_OR_RETURN(h.time, ParseInstant(time->as_string()));
  h.signature = std::string(sig->as_string());
  return h;
}

VerifyReport VerifyExport(std::istream& in, const std::optional<Head>& head,
                          std::string_view public_key_pem) {
  VerifyReport r;
  MerkleTree tree;
  Hash prev_hash{};
  std::uint64_t prev_seq = 0;
  std::string line;
  std::uint64_t n = 0;
  // One line of lookahead, to tell a reordering from a removal.
  std::optional<std::string> peeked;
  auto next_line = [&](std::string& out) -> bool {
    if (peeked) {
      out = std::move(*peeked);
      peeked.reset();
      return true;
    }
    while (std::getline(in, out)) {
      if (!out.empty()) return true;
    }
    return false;
  };
  auto seq_of_next = [&]() -> std::optional<std::uint64_t> {
    std::string ahead;
    if (!next_line(ahead)) return std::nullopt;
    peeked = ahead;
    auto split = SplitLine(ahead);
    if (!split) return std::nullopt;
    auto e = ParseEntry(split->first);
    if (!e) return std::nullopt;
    return e->seq;
  };
  auto fail = [&](std::uint64_t at, std::string what) {
    r.ok = false;
    r.problem_line = at;
    r.problem = (at != 0 ? "line " + std::to_string(at) + ": " : std::string()) + std::move(what);
    return r;
  };
  while (next_line(line)) {
    ++n;
    auto split = SplitLine(line);
    if (!split) return fail(n, split.error().message());
    const auto& [bytes, claimed] = *split;
    auto entry = ParseEntry(bytes);
    if (!entry) return fail(n, entry.error().message());
    const std::string where = "(seq " + std::to_string(entry->seq) + ") ";
    if (Sha256Of(bytes) != claimed) {
      return fail(n, where + "altered: the entry does not match its hash");
    }
    if (n == 1) {
      r.first_seq = entry->seq;
      if (entry->seq == 1 && entry->prev != kNoEntry) {
        return fail(n, where + "the first entry of the log names a previous one");
      }
    } else {
      if (entry->seq <= prev_seq) {
        return fail(n, where + (entry->seq == prev_seq ? "inserted: seq " : "reordered: seq ") +
                           std::to_string(entry->seq) + " comes after seq " +
                           std::to_string(prev_seq));
      }
      if (entry->seq != prev_seq + 1) {
        if (seq_of_next() == prev_seq + 1) {
          return fail(n, where + "reordered: seq " + std::to_string(entry->seq) +
                             " comes before seq " + std::to_string(prev_seq + 1));
        }
        return fail(n, where + "removed: seq " + std::to_string(prev_seq + 1) +
                           (entry->seq - prev_seq > 2 ? " to " + std::to_string(entry->seq - 1)
                                                      : std::string()) +
                           " missing before it");
      }
      if (entry->prev != prev_hash) {
        return fail(n, where + "inserted or altered: it does not chain to the entry before it");
      }
    }
    prev_seq = entry->seq;
    prev_hash = claimed;
    tree.Append(LeafHash(bytes));
  }
  r.entries = n;
  r.last_seq = prev_seq;
  if (r.first_seq <= 1) r.root = tree.Root();
  if (head) {
    if (!public_key_pem.empty() &&
        !VerifySignature(public_key_pem, head->SignedBytes(), head->signature)) {
      return fail(0, "the tree head's signature is not valid for this public key");
    }
    if (n != 0 && r.first_seq != 1) {
      return fail(0, "the export starts at seq " + std::to_string(r.first_seq) +
                         "; checking it against a head needs the log from seq 1");
    }
    if (n < head->size) {
      return fail(0, "truncated: the head covers " + std::to_string(head->size) +
                         " entries, the export holds " + std::to_string(n) + " (seq " +
                         std::to_string(n + 1) + " onwards are missing)");
    }
    if (tree.Root(head->size) != head->root) {
      return fail(0, "the entries do not hash to the head's root: the log was changed");
    }
  }
  return r;
}

}  // namespace quire::audit

namespace quire::audit {
namespace {

// "kind/id[/...]": a lower-case kind (letters, '-', '_'), then an id; no spaces, and short.
bool LooksLikeRecord(std::string_view s) {
  if (s.size() < 3 || s.size() > 200) return false;
  const std::size_t slash = s.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == s.size()) return false;
  for (std::size_t i = 0; i < slash; ++i) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || c == '-' || c == '_')) return false;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ') return false;
  }
  return true;
}

// "a/b" for "a/b/c/d": the record a part belongs to.
std::string_view RecordOf(std::string_view s) {
  const std::size_t first = s.find('/');
  const std::size_t second = s.find('/', first + 1);
  return second == std::string_view::npos ? s : s.substr(0, second);
}

}  // namespace

std::vector<std::string> RecordsOf(const Entry& e) {
  std::vector<std::string> out;
  auto add = [&out](std::string_view s) {
    if (!LooksLikeRecord(s)) return;
    for (std::string_view r : {s, RecordOf(s)}) {
      if (out.size() < 8 && std::find(out.begin(), out.end(), r) == out.end()) out.emplace_back(r);
    }
  };
  add(e.object);
  for (const auto& kv : e.details) {
    if (kv.value().is_string()) add(kv.value().get_string());
  }
  return out;
}

}  // namespace quire::audit
