// The kinds of record Quire stores, one RocksDB column family each, declared in this one
// place. Names are stored in the database: never rename, renumber or remove an entry; add
// new ones at the end (a database opened by a newer build gains the new families).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace quire::storage {

enum class ColumnFamily : std::uint8_t {
  kMeta = 0,         // store-wide settings, counters, schema facts
  kDefinitions = 1,  // deployed process definitions and their versions
  kInstances = 2,    // process instances, tokens, variables
  kTasks = 3,        // human tasks
  kIndexes = 4,      // secondary index entries (inboxes, lookups by key)
  kTimers = 5,       // timers, keyed by due time
  kJobs = 6,         // jobs for service tasks and their incidents
  kHistory = 7,      // history events of instances and tasks
  kDocuments = 8,    // documents, versions, locks, metadata
  kChunks = 9,       // content chunks by SHA-256 (large values go to blob files)
  kAudit = 10,       // the hash-chained audit log
  kCrm = 11,         // customers, contacts, activities, offers, ...
  kOrg = 12,         // users, groups, memberships, supervisors, substitutes
  kOutbox = 13,      // e-mail queued, sent or failed, and its delivery log
};

struct ColumnFamilyInfo {
  ColumnFamily id;
  std::string_view name;  // stored: never rename
  // Keep large values in blob files, out of the LSM tree. Such values must carry their own
  // digest, checked by whoever reads them: Store::Get skips RocksDB's checksums for them.
  bool blob_files;
};

inline constexpr std::array<ColumnFamilyInfo, 14> kColumnFamilies = {{
    {ColumnFamily::kMeta, "default", false},  // RocksDB's mandatory family
    {ColumnFamily::kDefinitions, "definitions", false},
    {ColumnFamily::kInstances, "instances", false},
    {ColumnFamily::kTasks, "tasks", false},
    {ColumnFamily::kIndexes, "indexes", false},
    {ColumnFamily::kTimers, "timers", false},
    {ColumnFamily::kJobs, "jobs", false},
    {ColumnFamily::kHistory, "history", false},
    {ColumnFamily::kDocuments, "documents", false},
    {ColumnFamily::kChunks, "chunks", true},
    {ColumnFamily::kAudit, "audit", false},
    {ColumnFamily::kCrm, "crm", false},
    {ColumnFamily::kOrg, "org", false},
    {ColumnFamily::kOutbox, "outbox", false},
}};

constexpr std::size_t Index(ColumnFamily cf) { return static_cast<std::size_t>(cf); }

constexpr std::string_view Name(ColumnFamily cf) { return kColumnFamilies[Index(cf)].name; }

// The table is indexed by the enum's value: keep them in step.
static_assert([] {
  for (std::size_t i = 0; i < kColumnFamilies.size(); ++i) {
    if (Index(kColumnFamilies[i].id) != i) return false;
  }
  return true;
}());

}  // namespace quire::storage
