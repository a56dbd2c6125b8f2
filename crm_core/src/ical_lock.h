// libical's zone data loads lazily and its conversions extend cached tables: neither is safe
// to run from two threads at once, so every use of libical in crm_core holds this lock.
#pragma once

#include <mutex>

namespace quire::crm::internal {

std::mutex& IcalMutex();

}  // namespace quire::crm::internal
