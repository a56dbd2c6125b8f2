#include "quire/workflow/history_data.h"

#include <string_view>

#include "quire/base/instant.h"

namespace quire::workflow {
namespace json = boost::json;

json::object HistoryDataJson(const json::object& data) {
  // The engine's stored names → the API's. Instants are stored as epoch milliseconds.
  struct Rename {
    std::string_view stored, api;
    bool instant;
  };
  static constexpr Rename kRenames[] = {
      {"created", "createdAt", true},
      {"claimed", "claimedAt", true},
      {"due", "dueAt", true},
      {"followUp", "followUpAt", true},
      {"was", "previousDueAt", true},
      {"task", "taskId", false},
      {"job", "jobId", false},
      {"incident", "incidentId", false},
      {"instance", "calledInstanceId", false},  // of a "called" event
      {"element", "elementId", false},
      {"parentInstance", "parentInstanceId", false},
  };
  json::object out;
  out.reserve(data.size());
  for (const auto& member : data) {
    const Rename* rename = nullptr;
    for (const Rename& r : kRenames) {
      if (member.key() == r.stored) rename = &r;
    }
    if (rename == nullptr) {
      out[member.key()] = member.value();
    } else if (rename->instant && member.value().is_int64()) {
      out[rename->api] =
          FormatInstant(Timestamp(std::chrono::milliseconds(member.value().get_int64())));
    } else {
      out[rename->api] = member.value();
    }
  }
  return out;
}

}  // namespace quire::workflow
