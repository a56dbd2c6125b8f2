// Any bytes into LoadBpmn: it must return (a model or located errors), never crash, hang,
// leak or read out of bounds. Seeds: tests/definitions/fixtures and shared/conformance.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quire/definitions/bpmn_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const quire::definitions::LoadResult result = quire::definitions::LoadBpmn(xml);
  // A model is returned exactly when no error was reported.
  if (result.ok() == quire::definitions::HasErrors(result.diagnostics)) __builtin_trap();
  return 0;
}
