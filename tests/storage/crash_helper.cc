// The other process of the storage crash and lock tests.
//
//   storage_crash_helper write DIR RUN THREADS
//       THREADS threads commit batches through a GroupCommitWriter, each batch a record in
//       `instances` plus its index entry in `indexes`, keys "RUN/t/seq". After each commit is
//       acknowledged the thread prints "ack t seq". Runs until killed.
//   storage_crash_helper hold DIR
//       Opens the store, prints "ready", and waits until killed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quire/storage/group_commit_writer.h"
#include "quire/storage/store.h"

namespace {

using quire::storage::ColumnFamily;

void Print(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  const std::string out = line + "\n";
  // write(2), not a stdio buffer: once printed, the line is the parent's even if we die.
  if (::write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: storage_crash_helper write DIR RUN THREADS | hold DIR\n";
    return 2;
  }
  const std::string mode = argv[1];
  auto store = quire::storage::Store::Open(argv[2]);
  if (!store) {
    std::cerr << store.error().ToString() << "\n";
    return 1;
  }
  if (mode == "hold") {
    Print("ready");
    for (;;) ::pause();
  }
  if (mode != "write" || argc < 5) return 2;
  const std::string run = argv[3];
  const int threads = std::atoi(argv[4]);

  quire::storage::GroupCommitWriter writer(**store);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&writer, &run, t] {
      for (long seq = 0;; ++seq) {
        const std::string key = run + "/" + std::to_string(t) + "/" + std::to_string(seq);
        quire::storage::WriteBatch batch;
        batch.Put(ColumnFamily::kInstances, key, std::string(100, 'v'));
        batch.Put(ColumnFamily::kIndexes, key, "");
        if (auto done = writer.Commit(std::move(batch)); !done) {
          std::cerr << done.error().ToString() << "\n";
          std::_Exit(1);
        }
        Print("ack " + std::to_string(t) + " " + std::to_string(seq));
      }
    });
  }
  for (std::thread& w : workers) w.join();
}
