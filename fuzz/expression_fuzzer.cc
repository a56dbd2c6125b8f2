// Any text as an expression (and as ISO 8601 values): compiling and evaluating against a
// fixed set of variables must return a value or an error, never crash or hang.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quire/definitions/expression.h"
#include "quire/definitions/iso8601.h"

namespace {

const boost::json::object& FuzzVariables() {
  static const boost::json::object vars = boost::json::parse(R"({
    "amount": 1500, "approved": true, "nothing": null, "name": "Anna", "ratio": 0.25,
    "customer": {"segment": "gold", "address": {"city": "Oslo"}, "since": "2019-05-01"},
    "items": [10, 20, 30], "tags": ["vip"], "empty": [], "when": "2026-01-31T10:00:00Z"
  })")
                                              .as_object();
  return vars;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace quire::definitions;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ParseDateTime(text);
  (void)ParseDuration(text);
  if (auto cycle = ParseCycle(text)) (void)Occurrence(*cycle, Timestamp{}, 3);
  auto expression = Expression::Compile(text);
  if (!expression) return 0;
  const JsonVariables vars(FuzzVariables());
  const Timestamp now{std::chrono::milliseconds(1'790'000'000'000)};
  if (auto value = expression->Evaluate(vars, now)) {
    (void)value->ToJson();
    (void)value->Owned().ToString();
  }
  (void)expression->EvaluateCondition(vars, now);
  return 0;
}
