// Where the engine keeps its records. Every key starts with a one-byte tag within its
// column family. Stored: never change a tag or the order of a key's parts.
//
// instances  'i' U64(instance)                                   → instance record (JSON)
// tasks      't' U64(task)                                       → open user task (JSON)
// jobs       'j' U64(job)                                        → job (JSON)
//            'x' String(topic) U64(job)                          → "" external jobs by topic
// timers     'T' I64(due ms) U64(instance) U32(key) U32(trigger) → "" instance timers
//            'T' I64(due ms) U64(0) U32(TimerOf) ...                 timers of no instance:
//              U32(kStartEvent=0) U32(start) String(process)       → JSON start timer
//              U32(kTaskFollowUp=1) U32(0) U64(task)               → "" postponed task's date
//              U32(kTaskEscalation=2) U32(rule) U64(task)          → "" escalation rule due
//              U32(kTaskDueLegacy=3) ...                           → ignored (old versions)
// indexes    'b' String(process) String(business key)            → instance id (decimal)
//            'p' String(process) U64Desc(instance)                → "" instances by process
//            'm' String(message) String(corr. key) U64(instance) U32(key) U32(trigger) → ""
//            's' String(signal) U64(instance) U32(key) U32(trigger)                    → ""
//            'M' String(message) String(process)                  → JSON {v, e} message start
//            'S' String(signal) String(process)                   → JSON {v, e} signal start
//            'R' String(process)                                  → JSON start-event arming
//            'B' String(message) String(corr. key) U64(id)         → JSON buffered message
//            'n' U64(incident)                                    → JSON incident
//            'e' I64(expires ms) U64(instance)                    → "" history to remove
//            'H' String(process)                                  → ms: history TTL set at deploy
// history    'h' U64(seq)                                         → JSON events of one command
//            'x' U64(instance) U64(seq)                           → "" history by instance
// meta       "engine/next-id", "engine/next-seq"                  → U64 reserved id bounds
#pragma once

#include <string>
#include <string_view>

#include "quire/storage/key_codec.h"

namespace quire::workflow::keys {

using storage::KeyEncoder;

inline std::string Instance(std::uint64_t id) { return KeyEncoder().U8('i').U64(id).Take(); }
inline std::string Task(std::uint64_t id) { return KeyEncoder().U8('t').U64(id).Take(); }
inline std::string Job(std::uint64_t id) { return KeyEncoder().U8('j').U64(id).Take(); }
inline std::string ExternalJob(std::string_view topic, std::uint64_t id) {
  return KeyEncoder().U8('x').String(topic).U64(id).Take();
}
inline std::string ExternalTopic(std::string_view topic) {
  return KeyEncoder().U8('x').String(topic).Take();
}
inline std::string Timer(std::int64_t due, std::uint64_t instance, std::uint32_t key,
                         std::uint32_t trigger) {
  return KeyEncoder().U8('T').I64(due).U64(instance).U32(key).U32(trigger).Take();
}
// What a timer of no instance (instance part 0) is for: the U32 after it.
enum class TimerOf : std::uint32_t {
  kStartEvent = 0,
  kTaskFollowUp = 1,
  kTaskEscalation = 2,
  kTaskDueLegacy = 3,  // due-date timers of versions before the due-date order; ignored
};
inline std::string StartTimer(std::int64_t due, std::uint32_t start, std::string_view process) {
  return KeyEncoder()
      .U8('T')
      .I64(due)
      .U64(0)
      .U32(static_cast<std::uint32_t>(TimerOf::kStartEvent))
      .U32(start)
      .String(process)
      .Take();
}
inline std::string TaskFollowUpTimer(std::int64_t due, std::uint64_t task) {
  return KeyEncoder()
      .U8('T')
      .I64(due)
      .U64(0)
      .U32(static_cast<std::uint32_t>(TimerOf::kTaskFollowUp))
      .U32(0)
      .U64(task)
      .Take();
}
inline std::string TaskEscalationTimer(std::int64_t due, std::uint32_t rule, std::uint64_t task) {
  return KeyEncoder()
      .U8('T')
      .I64(due)
      .U64(0)
      .U32(static_cast<std::uint32_t>(TimerOf::kTaskEscalation))
      .U32(rule)
      .U64(task)
      .Take();
}
inline std::string BusinessKey(std::string_view process, std::string_view key) {
  return KeyEncoder().U8('b').String(process).String(key).Take();
}
inline std::string ByProcess(std::string_view process, std::uint64_t instance) {
  return KeyEncoder().U8('p').String(process).U64Desc(instance).Take();
}
inline std::string ByProcessPrefix(std::string_view process) {
  return KeyEncoder().U8('p').String(process).Take();
}
inline std::string MessageSub(std::string_view name, std::string_view correlation,
                              std::uint64_t instance, std::uint32_t key, std::uint32_t trigger) {
  return KeyEncoder()
      .U8('m')
      .String(name)
      .String(correlation)
      .U64(instance)
      .U32(key)
      .U32(trigger)
      .Take();
}
inline std::string MessageSubPrefix(std::string_view name, std::string_view correlation) {
  return KeyEncoder().U8('m').String(name).String(correlation).Take();
}
inline std::string SignalSub(std::string_view name, std::uint64_t instance, std::uint32_t key,
                             std::uint32_t trigger) {
  return KeyEncoder().U8('s').String(name).U64(instance).U32(key).U32(trigger).Take();
}
inline std::string SignalSubPrefix(std::string_view name) {
  return KeyEncoder().U8('s').String(name).Take();
}
inline std::string MessageStart(std::string_view name, std::string_view process) {
  return KeyEncoder().U8('M').String(name).String(process).Take();
}
inline std::string MessageStartPrefix(std::string_view name) {
  return KeyEncoder().U8('M').String(name).Take();
}
inline std::string SignalStart(std::string_view name, std::string_view process) {
  return KeyEncoder().U8('S').String(name).String(process).Take();
}
inline std::string SignalStartPrefix(std::string_view name) {
  return KeyEncoder().U8('S').String(name).Take();
}
inline std::string Arming(std::string_view process) {
  return KeyEncoder().U8('R').String(process).Take();
}
inline std::string Buffered(std::string_view name, std::string_view correlation, std::uint64_t id) {
  return KeyEncoder().U8('B').String(name).String(correlation).U64(id).Take();
}
inline std::string BufferedPrefix(std::string_view name) {
  return KeyEncoder().U8('B').String(name).Take();
}
inline std::string BufferedPrefix(std::string_view name, std::string_view correlation) {
  return KeyEncoder().U8('B').String(name).String(correlation).Take();
}
inline std::string Incident(std::uint64_t id) { return KeyEncoder().U8('n').U64(id).Take(); }
inline std::string Expiry(std::int64_t at, std::uint64_t instance) {
  return KeyEncoder().U8('e').I64(at).U64(instance).Take();
}
inline std::string HistoryTtl(std::string_view process) {
  return KeyEncoder().U8('H').String(process).Take();
}
inline std::string History(std::uint64_t seq) { return KeyEncoder().U8('h').U64(seq).Take(); }
inline std::string HistoryByInstance(std::uint64_t instance, std::uint64_t seq) {
  return KeyEncoder().U8('x').U64(instance).U64(seq).Take();
}
inline std::string HistoryByInstancePrefix(std::uint64_t instance) {
  return KeyEncoder().U8('x').U64(instance).Take();
}

inline constexpr std::string_view kNextId = "engine/next-id";
inline constexpr std::string_view kNextSeq = "engine/next-seq";

}  // namespace quire::workflow::keys
