// Reading the fields of a CRM record from the API's JSON, one error detail per mistake;
// shared by the stores in crm_core (internal to the module).
#pragma once

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/error.h"
#include "quire/base/instant.h"
#include "quire/base/json_fields.h"
#include "quire/base/result.h"
#include "quire/crm/customers.h"
#include "quire/crm/phones.h"
#include "quire/definitions/iso8601.h"
#include "quire/storage/key_codec.h"
#include "quire/storage/store.h"

namespace quire::crm::internal {

namespace json = boost::json;

inline std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

inline json::array FieldNames(const json::object& o) {
  json::array names;
  for (const auto& m : o) names.emplace_back(m.key());
  return names;
}

// Instants as stored: milliseconds since the epoch.
inline std::int64_t Ms(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromMs(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

// The ids that end the index keys under `prefix` (prefix + ... + u64 id), at most `limit`.
inline Result<std::vector<std::uint64_t>> IdsUnder(const storage::Store& store,
                                                   const std::string& prefix, std::size_t limit) {
  std::vector<std::uint64_t> found;
  auto it = store.ScanPrefix(storage::ColumnFamily::kCrm, prefix);
  for (; it.Valid() && found.size() < limit; it.Next()) {
    storage::KeyDecoder key(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(const std::uint64_t id, key.U64());
    found.push_back(id);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return found;
}

// Every record whose key starts with the one-byte `prefix`, decoded, in key order.
template <class T, class Decode>
Result<std::vector<T>> DecodeAll(const storage::Store& store, char prefix, Decode decode) {
  std::vector<T> out;
  auto it = store.ScanPrefix(storage::ColumnFamily::kCrm, std::string(1, prefix));
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(T record, decode(it.value()));
    out.push_back(std::move(record));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

// A unique index as point keys: `type` + the value → the record's id (decimal), so that a
// lookup is one Get the bloom filters answer (an import looks up every row's external id,
// mostly missing, several times). Moves the entry when the value changes.
inline std::string UniqueKey(char type, std::string_view value) {
  return storage::KeyEncoder().U8(static_cast<std::uint8_t>(type)).String(value).Take();
}
inline void UpdateUniqueKey(char type, std::string_view before, std::uint64_t before_id,
                            std::string_view after, std::uint64_t after_id,
                            storage::WriteBatch& batch) {
  if (before == after && before_id == after_id) return;
  if (!before.empty() && before != after) {
    batch.Delete(storage::ColumnFamily::kCrm, UniqueKey(type, before));
  }
  if (!after.empty()) {
    batch.Put(storage::ColumnFamily::kCrm, UniqueKey(type, after), std::to_string(after_id));
  }
}
// The id a point key holds (nullopt: no such key).
inline Result<std::optional<std::uint64_t>> FindIdAt(const storage::Store& store,
                                                     const std::string& key,
                                                     std::string_view value) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> id,
                         store.Get(storage::ColumnFamily::kCrm, key));
  if (!id) return std::optional<std::uint64_t>();
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), n);
  if (ec != std::errc() || end != id->data() + id->size()) {
    return Error::Corruption("the index entry of '" + std::string(value) + "' holds no id");
  }
  return std::optional<std::uint64_t>(n);
}
inline Result<std::optional<std::uint64_t>> FindUnique(const storage::Store& store, char type,
                                                       std::string_view value) {
  if (value.empty()) return std::optional<std::uint64_t>();
  return FindIdAt(store, UniqueKey(type, value), value);
}

// The entries under `prefix` whose keys end in a record's id (prefix + U64 id: records and
// the indexes of a customer's records), highest id first, from the one below `after` (0:
// the highest). `visit(id, value)` answers whether to go on.
template <class Visit>
Result<void> EachNewestFirst(const storage::Store& store, const std::string& prefix,
                             std::uint64_t after, Visit visit) {
  auto it = store.ScanPrefix(storage::ColumnFamily::kCrm, prefix);
  if (after != 0) {
    const std::string from = storage::KeyEncoder(prefix).U64(after).Take();
    it.SeekForPrev(from);
    if (it.Valid() && it.key() == from) it.Prev();
  } else {
    it.SeekToLast();
  }
  for (; it.Valid(); it.Prev()) {
    storage::KeyDecoder key(it.key().substr(prefix.size()));
    QUIRE_ASSIGN_OR_RETURN(const std::uint64_t id, key.U64());
    QUIRE_ASSIGN_OR_RETURN(const bool more, visit(id, it.value()));
    if (!more) break;
  }
  return it.status();
}

// Removes `hint_key` (a point key saying that someone holds a value) when the record `id`
// is the last one under `index_prefix` (the value's entries): the hints name personal data.
inline Result<void> DropHintIfLast(const storage::Store& store, const std::string& index_prefix,
                                   std::uint64_t id, const std::string& hint_key,
                                   storage::WriteBatch& batch) {
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> holders, IdsUnder(store, index_prefix, 2));
  if (holders.size() == 1 && holders.front() == id) {
    batch.Delete(storage::ColumnFamily::kCrm, hint_key);
  }
  return Ok();
}

// Writes the index entries of every record under the one-byte `prefix` again, after what
// `batch` already holds (the DeleteRanges of the families rebuilt), 1000 records a write.
// Returns how many records were looked at.
template <class Decode, class IndexOne>
Result<std::size_t> ReindexAll(storage::Store& store, char prefix, storage::WriteBatch batch,
                               Decode decode, IndexOne index) {
  std::size_t n = 0;
  auto it = store.ScanPrefix(storage::ColumnFamily::kCrm, std::string(1, prefix));
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(auto record, decode(it.value()));
    index(record, batch);
    if (++n % 1000 == 0) {
      QUIRE_RETURN_IF_ERROR(store.Write(batch));
      batch = storage::WriteBatch();
    }
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  QUIRE_RETURN_IF_ERROR(store.Write(batch));
  return n;
}

// Brings a record's index entries from `before` to `after`: deletes those it no longer has,
// writes those it gained.
inline void UpdateIndex(const std::set<std::string>& before, const std::set<std::string>& after,
                        storage::WriteBatch& batch) {
  for (const std::string& k : before) {
    if (!after.contains(k)) batch.Delete(storage::ColumnFamily::kCrm, k);
  }
  for (const std::string& k : after) {
    if (!before.contains(k)) batch.Put(storage::ColumnFamily::kCrm, k, "");
  }
}

inline Result<std::uint64_t> NextId(const storage::Store& store, const std::string& key) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> next,
                         store.Get(storage::ColumnFamily::kCrm, key));
  return next ? std::stoull(*next) : std::uint64_t{1};
}

// Who made a record and when, and when it last changed, as every CRM record carries them:
// stored as milliseconds (PutStoredStamps, ReadStoredStamps), answered as instants.
inline void PutStoredStamps(json::object& o, const std::string& by, Timestamp created,
                            Timestamp modified) {
  o["createdBy"] = by;
  o["createdAt"] = Ms(created);
  o["modifiedAt"] = Ms(modified);
}
inline void ReadStoredStamps(const json::object& o, std::string& by, Timestamp& created,
                             Timestamp& modified) {
  by = StrOf(o, "createdBy");
  created = FromMs(IntOf(o, "createdAt"));
  modified = FromMs(IntOf(o, "modifiedAt"));
}
inline void PutAnsweredStamps(json::object& o, const std::string& by, Timestamp created,
                              Timestamp modified) {
  o["createdBy"] = by;
  o["createdAt"] = FormatInstant(created);
  o["modifiedAt"] = FormatInstant(modified);
}

// Reads the fields of a record into `problems`, one detail per mistake.
class FieldReader {
 public:
  FieldReader(const json::object& in, std::vector<ErrorDetail>& problems)
      : in_(in), problems_(problems) {}

  const json::value* Get(const char* field) const { return in_.if_contains(field); }
  void Problem(std::string field, std::string message) {
    problems_.push_back({std::move(field), std::move(message)});
  }

  void Known(const std::set<std::string, std::less<>>& fields, const std::string& what,
             const std::string& list) {
    for (const auto& m : in_) {
      if (!fields.contains(m.key())) {
        Problem(std::string(m.key()), "is not a field of " + what + " (" + list + ")");
      }
    }
  }

  bool Text(const json::value& v, const std::string& field, std::size_t max, std::string& out) {
    if (v.is_null()) {
      out.clear();
    } else if (!v.is_string()) {
      Problem(field, "must be text");
      return false;
    } else if (v.get_string().size() > max) {
      Problem(field, "is longer than " + std::to_string(max) + " bytes");
      return false;
    } else {
      out = Trim(v.get_string());
    }
    return true;
  }
  void Text(const char* field, std::size_t max, std::string& out) {
    if (const json::value* v = Get(field)) Text(*v, field, max, out);
  }

  const json::array* List(const json::value& v, const std::string& field, std::size_t max) {
    if (v.is_null()) return nullptr;
    if (!v.is_array()) {
      Problem(field, "must be a list");
      return nullptr;
    }
    if (v.get_array().size() > max) {
      Problem(field, "holds more than " + std::to_string(max) + " entries");
      return nullptr;
    }
    return &v.get_array();
  }

  // An id sent as a number or as the string the API answers with.
  std::optional<std::uint64_t> Id(const json::value& v, const std::string& field,
                                  const std::string& what) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() > 0) return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_string()) {
      const std::string s(v.get_string());
      if (!s.empty() && s.size() <= 19 &&
          std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const std::uint64_t id = std::stoull(s);
        if (id > 0) return id;
      }
    }
    Problem(field, "must be " + what + " id (a positive number, or the string of one)");
    return std::nullopt;
  }

  // An optional id field: null or absent clears it.
  void OptionalId(const char* field, const std::string& what, std::uint64_t& out) {
    const json::value* v = Get(field);
    if (v == nullptr) return;
    out = 0;
    if (v->is_null()) return;
    if (auto id = Id(*v, field, what)) out = *id;
  }

  // A list field, each entry read by `each(entry, "field[i]")`, which answers the value to
  // keep (nullopt: none); duplicates are kept once.
  template <class T, class Each>
  void List(const char* field, std::size_t max, std::vector<T>& out, Each each) {
    const json::value* v = Get(field);
    if (v == nullptr) return;
    out.clear();
    const json::array* list = List(*v, field, max);
    if (list == nullptr) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::optional<T> value = each((*list)[i], std::string(field) + "[" + std::to_string(i) + "]");
      if (value && std::find(out.begin(), out.end(), *value) == out.end()) {
        out.push_back(std::move(*value));
      }
    }
  }

  // A list of {<key>, "label"} objects (e-mail addresses, phone numbers), each value checked
  // and normalised by `check(typed, "field[i].key", out)`.
  template <class Check>
  void Labelled(const char* field, const char* key, std::size_t max, Check check,
                std::vector<crm::Labelled>& out) {
    const json::value* v = Get(field);
    if (v == nullptr) return;
    out.clear();
    const json::array* a = List(*v, field, 50);
    if (a == nullptr) return;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string at = std::string(field) + "[" + std::to_string(i) + "]";
      if (!(*a)[i].is_object()) {
        Problem(at, "must be {\"" + std::string(key) + "\", \"label\"}");
        continue;
      }
      const json::object& o = (*a)[i].get_object();
      crm::Labelled l;
      std::string typed;
      Text(o.contains(key) ? o.at(key) : json::value(), at + "." + key, max, typed);
      Text(o.contains("label") ? o.at("label") : json::value(), at + ".label", 50, l.label);
      check(typed, at + "." + key, l.value);
      out.push_back(std::move(l));
    }
  }
  // `emails`: [{"address", "label"}].
  void Emails(std::vector<crm::Labelled>& out) {
    static const std::regex kEmail(R"(^[^\s@]+@[^\s@]+\.[^\s@]+$)");
    Labelled(
        "emails", "address", 254,
        [&](const std::string& typed, const std::string& at, std::string& value) {
          if (!std::regex_match(typed, kEmail))
            Problem(at, "'" + typed + "' is not an e-mail address");
          value = typed;
        },
        out);
  }
  // `phones`: [{"number", "label"}], as people type them, kept in E.164 (phones.h).
  void Phones(std::vector<crm::Labelled>& out) {
    Labelled(
        "phones", "number", 64,
        [&](const std::string& typed, const std::string& at, std::string& value) {
          auto e164 = NormalizePhone(typed);
          if (e164) {
            value = std::move(*e164);
          } else {
            Problem(at, e164.error().message());
            value = typed;
          }
        },
        out);
  }

  std::optional<Timestamp> Instant(const json::value& v, const std::string& field) {
    if (!v.is_string()) {
      Problem(field,
              "must be a date-time in ISO 8601 (2026-12-07T09:00:00Z, or with an "
              "offset: 2026-12-07T10:00:00+01:00)");
      return std::nullopt;
    }
    auto t = definitions::ParseDateTime(v.get_string());
    if (!t) {
      Problem(field, t.error().message());
      return std::nullopt;
    }
    return *t;
  }

 private:
  const json::object& in_;
  std::vector<ErrorDetail>& problems_;
};

inline Error Invalid(const std::string& what, std::vector<ErrorDetail> problems) {
  std::string message = what + " has " + std::to_string(problems.size()) +
                        (problems.size() == 1 ? " error" : " errors") + "; nothing was changed";
  return Error::ValidationFailed(std::move(message), std::move(problems));
}

}  // namespace quire::crm::internal
