#include "quire/workflow/analytics.h"

#include <chrono>

#include "quire/storage/key_codec.h"

namespace quire::workflow {
namespace {

using storage::ColumnFamily;
using storage::KeyEncoder;

std::string FunnelPrefix(std::string_view process) {
  return KeyEncoder().U8('K').U8('f').String(process).Take();
}
const std::string kTaskPrefix = KeyEncoder().U8('K').U8('t').Take();

}  // namespace

std::string FunnelCounterKey(std::string_view process, std::int32_t month,
                             std::string_view element) {
  return storage::CounterSetKey(FunnelPrefix(process), element, month);
}

std::string TaskCounterKey(std::string_view user, std::int32_t month) {
  return storage::CounterSetKey(kTaskPrefix, user, month);
}

Result<storage::CounterSums> ReadFunnel(const storage::Store& store, std::string_view process,
                                        std::int32_t from, std::int32_t to) {
  return storage::SumCounterSets(store, ColumnFamily::kHistory, FunnelPrefix(process), from, to);
}

Result<storage::CounterSums> ReadTaskKpis(const storage::Store& store, std::int32_t from,
                                          std::int32_t to, const std::vector<std::string>* only) {
  return storage::SumCounterSets(store, ColumnFamily::kHistory, kTaskPrefix, from, to, only);
}

bool WaitsAt(definitions::ElementKind kind) {
  using definitions::ElementKind;
  return definitions::IsActivity(kind) || kind == ElementKind::kIntermediateCatchEvent ||
         kind == ElementKind::kEventBasedGateway;
}

std::int32_t UtcMonth(Timestamp t) {
  const std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<int>(d.year()) * 12 + static_cast<int>(static_cast<unsigned>(d.month())) - 1;
}

}  // namespace quire::workflow
