// Document content at disk speed: a 1 GB stream ingested through ContentStore::Put
// (chunked, hashed, stored, synced) and read back with every chunk verified.
//
//   content_benchmark [--mib N]
//
// The store lives in $QUIRE_BENCH_DIR (default ./quire-bench-data) and is removed after.
// Compare with what the disk takes in the same place:
//   dd if=/dev/zero of=$QUIRE_BENCH_DIR/dd bs=1M count=1024 conv=fdatasync
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench_support.h"
#include "quire/dms/content_store.h"
#include "quire/storage/store.h"

namespace {

using namespace quire;
using Steady = std::chrono::steady_clock;
using bench::BenchDir;
using bench::Die;

// Pseudo-random bytes (xorshift64*), made as they are read: no file, no memory held.
class RandomSource final : public dms::ByteSource {
 public:
  explicit RandomSource(std::uint64_t bytes) : left_(bytes) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, left_));
    bench::FillRandom(buffer, n, state_);
    left_ -= n;
    return n;
  }

 private:
  std::uint64_t left_;
  std::uint64_t state_ = 0x9E3779B97F4A7C15ULL;
};

class CountingSink final : public dms::ByteSink {
 public:
  Result<void> Write(std::string_view bytes) override {
    total += bytes.size();
    return Ok();
  }
  std::uint64_t total = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mib = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const std::uint64_t bytes = mib << 20;
  std::filesystem::remove_all(BenchDir() / "store");
  auto store = storage::Store::Open(BenchDir() / "store");
  if (!store) Die("open store", store.error());
  dms::ContentStore content(**store);

  {  // what generating the bytes alone costs
    RandomSource source(bytes);
    std::string buffer(1 << 20, '\0');
    const auto t0 = Steady::now();
    while (*source.Read(buffer.data(), buffer.size()) > 0) {
    }
    const double s = std::chrono::duration<double>(Steady::now() - t0).count();
    std::printf("generating %llu MiB of test bytes alone: %.0f MiB/s\n",
                static_cast<unsigned long long>(mib), static_cast<double>(mib) / s);
  }
  RandomSource source(bytes);
  const auto t0 = Steady::now();
  auto in = content.Put(source);
  const double put_s = std::chrono::duration<double>(Steady::now() - t0).count();
  if (!in) Die("put", in.error());
  std::printf(
      "ingest (chunk, SHA-256, store, fdatasync): %llu MiB in %.2f s: %.0f MiB/s "
      "(%zu chunks, %.1f KiB average)\n",
      static_cast<unsigned long long>(mib), put_s, static_cast<double>(mib) / put_s,
      in->info.chunks,
      static_cast<double>(in->info.size) / 1024.0 / static_cast<double>(in->info.chunks));
  CountingSink sink;
  const auto t1 = Steady::now();
  if (auto r = content.Get(in->info.digest, sink); !r) Die("get", r.error());
  const double get_s = std::chrono::duration<double>(Steady::now() - t1).count();
  std::printf("read back, every chunk and the whole verified: %.0f MiB/s\n",
              static_cast<double>(sink.total >> 20) / get_s);
  in->lease.Release();
  store->reset();
  std::filesystem::remove_all(BenchDir() / "store");
  return 0;
}
