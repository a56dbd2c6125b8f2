// Finding documents among 100,000: a metadata query page (type, an enum field and a number
// range) and a full-text query (one word of the content), each timed over many queries —
// median and 99th percentile — plus the load itself (documents/s, every one a durable
// write with its audit entry) and the time the index takes to catch up.
//
//   document_benchmark [--documents N] [--queries N] [--threads N]
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after.
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "bench_support.h"
#include "quire/audit/log.h"
#include "quire/base/clock.h"
#include "quire/dms/documents.h"
#include "quire/dms/search.h"
#include "quire/storage/store.h"

namespace {

using namespace quire;
using Steady = std::chrono::steady_clock;
using bench::BenchDir;
using bench::Die;
using bench::Percentile;

// A vocabulary of made-up words, so that word frequencies look like text (Zipf-like).
std::vector<std::string> Vocabulary(std::size_t n) {
  std::mt19937 random(7);
  const char* syllables[] = {"ka",  "lo",  "mi", "re",  "tu",  "san", "vel", "dor", "pi", "nex",
                             "qua", "ber", "ti", "mon", "gra", "ul",  "fen", "zo",  "ri", "chal"};
  std::vector<std::string> words;
  for (std::size_t i = 0; i < n; ++i) {
    std::string w;
    const int parts = 2 + static_cast<int>(random() % 3);
    for (int p = 0; p < parts; ++p) w += syllables[random() % 20];
    words.push_back(w + std::to_string(i % 10));
  }
  return words;
}

}  // namespace

int main(int argc, char** argv) {
  long documents = 100'000;
  long queries = 2'000;
  long threads = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--documents") == 0) documents = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--queries") == 0) queries = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atol(argv[i + 1]);
  }
  std::filesystem::remove_all(BenchDir());
  auto store = storage::Store::Open(BenchDir());
  if (!store) Die("open store", store.error());
  auto log = audit::AuditLog::Open(**store, BenchDir());
  if (!log) Die("open audit log", log.error());
  dms::ContentStore contents(**store);
  dms::DocumentStore docs(**store, contents, **log, SystemClock::Instance());
  auto search = dms::DocumentSearch::Open(docs, BenchDir() / "search");
  if (!search) Die("open search", search.error());
  (*search)->Start();

  auto type = dms::ParseDocumentType(boost::json::parse(R"({"id":"contract","fields":[
      {"name":"customer","type":"reference","ref":"customer","required":true},
      {"name":"value","type":"number"},{"name":"signed","type":"date"},
      {"name":"status","type":"enum","values":["draft","sent","signed","void"]}]})"));
  if (!type) Die("type", type.error());
  if (auto r = docs.PutType(*type, "bench"); !r) Die("put type", r.error());
  const std::vector<std::string> words = Vocabulary(20'000);
  const char* statuses[] = {"draft", "sent", "signed", "void"};

  // Load: `threads` writers, each document a durable write (content, record, audit entry).
  std::atomic<long> next{0};
  const auto l0 = Steady::now();
  std::vector<std::thread> loaders;
  for (long t = 0; t < threads; ++t) {
    loaders.emplace_back([&, t] {
      std::mt19937 random(static_cast<std::uint32_t>(100 + t));
      for (long i = next++; i < documents; i = next++) {
        std::string text;
        for (int w = 0; w < 150; ++w) {
          // Skewed towards the first words, as in real text.
          const double u = std::uniform_real_distribution<double>(0, 1)(random);
          text += words[static_cast<std::size_t>(u * u * u * static_cast<double>(words.size()))];
          text += ' ';
        }
        dms::NewDocument d;
        d.title = "Contract " + std::to_string(i) + " " + words[random() % words.size()];
        d.type = "contract";
        d.metadata = {
            {"customer", "c-" + std::to_string(random() % 5'000)},
            {"value", static_cast<std::int64_t>(random() % 1'000'000)},
            {"signed", "2025-" + std::string(random() % 2 ? "0" : "1") +
                           std::to_string(1 + random() % 2) + "-1" + std::to_string(random() % 9)},
            {"status", statuses[random() % 4]}};
        d.links = {{"customer", std::string(d.metadata["customer"].as_string())}};
        d.actor = "bench";
        dms::StringSource source(text);
        if (auto r = docs.Create(d, source); !r) Die("create", r.error());
      }
    });
  }
  for (auto& t : loaders) t.join();
  const double load_s = std::chrono::duration<double>(Steady::now() - l0).count();
  std::printf("loaded %ld documents (1 KB text each, durable, audited) in %.1f s: %.0f/s\n",
              documents, load_s, static_cast<double>(documents) / load_s);
  const auto i0 = Steady::now();
  if (auto r = (*search)->WaitIndexed(); !r) Die("index", r.error());
  std::printf("index caught up %.1f s after the last write\n",
              std::chrono::duration<double>(Steady::now() - i0).count());

  std::mt19937 random(99);
  auto time_queries = [&](const char* what, auto make) {
    std::vector<double> ms;
    std::size_t hits = 0;
    for (long q = 0; q < queries; ++q) {
      dms::DocumentQuery query = make();
      const auto t0 = Steady::now();
      auto r = (*search)->Search(query);
      ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
      if (!r) Die(what, r.error());
      hits += r->documents.size();
    }
    std::printf("%-52s median %.2f ms, p99 %.2f ms (%.1f results a page)\n", what,
                Percentile(ms, 0.5), Percentile(ms, 0.99),
                static_cast<double>(hits) / static_cast<double>(queries));
  };
  time_queries("metadata: type + status + value range, page of 50", [&] {
    dms::DocumentQuery q;
    q.type = "contract";
    const std::int64_t lo = random() % 900'000;
    q.fields = {{"status", "eq", statuses[random() % 4]},
                {"value", "gte", std::to_string(lo)},
                {"value", "lt", std::to_string(lo + 50'000)}};
    return q;
  });
  time_queries("metadata: customer + date range, page of 50", [&] {
    dms::DocumentQuery q;
    q.fields = {{"customer", "eq", "c-" + std::to_string(random() % 5'000)},
                {"signed", "gte", "2025-02-01"}};
    return q;
  });
  time_queries("full text: one word, page of 50", [&] {
    dms::DocumentQuery q;
    q.text = words[random() % 2'000];
    return q;
  });
  time_queries("full text: two words + type, page of 50", [&] {
    dms::DocumentQuery q;
    q.type = "contract";
    q.text = words[random() % 500] + " " + words[random() % 500];
    return q;
  });
  search->reset();
  log->reset();
  store->reset();
  std::filesystem::remove_all(BenchDir());
  return 0;
}
