#include "quire/workflow/analytics.h"

#include <chrono>

#include "quire/storage/key_codec.h"

namespace quire::workflow {
namespace {

using storage::ColumnFamily;
using storage::KeyDecoder;
using storage::KeyEncoder;

std::int64_t Decode(std::string_view v) {
  std::uint64_t u = 0;
  for (char ch : v) u = u << 8 | static_cast<unsigned char>(ch);
  return static_cast<std::int64_t>(u);
}

// Sums the counters under `prefix` I64(month) String(name) String(metric), months [from, to].
Result<std::map<std::string, Counters>> Read(const storage::Store& store, const std::string& prefix,
                                             std::int32_t from, std::int32_t to) {
  std::map<std::string, Counters> out;
  if (from > to) return out;
  const std::string begin = KeyEncoder(prefix).I64(from).Take();
  const std::string end = KeyEncoder(prefix).I64(std::int64_t{to} + 1).Take();
  auto it = store.Scan(ColumnFamily::kHistory, begin, end);
  for (; it.Valid(); it.Next()) {
    KeyDecoder d(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(std::int64_t month, d.I64());
    QUIRE_ASSIGN_OR_RETURN(std::string name, d.String());
    QUIRE_ASSIGN_OR_RETURN(std::string metric, d.String());
    if (month < from || month > to) continue;
    if (it.value().size() != 8) return Error::Corruption("an analytics counter is not 8 bytes");
    out[name][metric] += Decode(it.value());
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

std::string FunnelPrefix(std::string_view process) {
  return KeyEncoder().U8('K').U8('f').String(process).Take();
}
const std::string kTaskPrefix = KeyEncoder().U8('K').U8('t').Take();

}  // namespace

std::string FunnelCounterKey(std::string_view process, std::int32_t month, std::string_view element,
                             std::string_view metric) {
  return KeyEncoder(FunnelPrefix(process)).I64(month).String(element).String(metric).Take();
}

std::string TaskCounterKey(std::int32_t month, std::string_view user, std::string_view metric) {
  return KeyEncoder(kTaskPrefix).I64(month).String(user).String(metric).Take();
}

Result<std::map<std::string, Counters>> ReadFunnel(const storage::Store& store,
                                                   std::string_view process, std::int32_t from,
                                                   std::int32_t to) {
  return Read(store, FunnelPrefix(process), from, to);
}

Result<std::map<std::string, Counters>> ReadTaskKpis(const storage::Store& store, std::int32_t from,
                                                     std::int32_t to) {
  return Read(store, kTaskPrefix, from, to);
}

std::int32_t UtcMonth(Timestamp t) {
  const std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<int>(d.year()) * 12 + static_cast<int>(static_cast<unsigned>(d.month())) - 1;
}

}  // namespace quire::workflow
