// Clock: where Quire asks for "now". The engine, timers, locks and retention never read
// the system clock directly, so that tests (and `quire run`) can move time forward
// without sleeping.
//
// Thread-safety: Now() may be called from any thread; ManualClock's setters too.
#pragma once

#include <atomic>
#include <chrono>

namespace quire {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
  // True when time moves only when told to (tests, `quire run`): whoever waits for a
  // moment must be woken explicitly instead of sleeping until it.
  virtual bool IsManual() const { return false; }
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
  // One shared instance: the clock has no state.
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that stands still until moved. Starts at `start`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(start.time_since_epoch().count()) {}
  Timestamp Now() const override { return Timestamp(std::chrono::milliseconds(now_.load())); }
  bool IsManual() const override { return true; }
  void Set(Timestamp t) { now_.store(t.time_since_epoch().count()); }
  void Advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace quire
