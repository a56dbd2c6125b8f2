// The secondary indexes segments are answered from (filter.h), written by each store in the
// same batch as the record they index, so an index never disagrees with its records.
//
// In the `crm` column family, under 'Q':
//   'Q' 'C' id                          → the customer's row (below)
//   'Q' 'b' code value chunk            → a bitmap: the customers with that value of a field,
//                                             ids chunk×65536 ... +65535 (bit = id % 65536);
//                                             value as the field's type keys it (text:
//                                             String; others: I64); changed a bit at a time
//                                             (WriteBatch::SetBit), so writers never read it
//   'Q' 'b' 0xFF name value chunk       → the same of a custom field
//   'Q' 'b' 22 campaign chunk           → campaign members (written by campaigns)
//   'Q' 'c' 0 id                        → ""  merged customers (out of every segment)
//   'Q' E partition day id              → the record's row: activities (E 'a': partition its
//                                             type, day its start), offers ('o': status,
//                                             created), orders ('r': status, order date),
//                                             cases ('k': status, opened)
//   'Q' 'm' campaign E id               → the row of an activity, offer or order attributed
//                                             to a campaign (its `campaign`: "12" or "12/2")
//   'Q' 'v'                             → the indexes' version (built at open when older)
// 'Q' holds nothing else: an index build starts by deleting it whole.
// A row holds the fields a filter names (filter.h's codes), so a condition is checked
// without reading or parsing the record; money at 10^-4 of the currency, days as days since
// 1970-01-01 in Europe/Warsaw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/filter.h"
#include "quire/storage/write_batch.h"

namespace quire::crm {

struct Customer;
struct Activity;
struct Offer;
struct Order;
struct ServiceCase;

struct RowField {
  std::uint8_t code = 0;
  std::string name;  // custom fields (kCustomCode): the field's name
  std::string text;  // text fields, custom fields
  std::int64_t number = 0;
  bool is_text = false;  // text (Text) or a number (Number)
};

struct SegmentRow {
  std::uint64_t id = 0;
  std::uint64_t customer = 0;
  std::vector<RowField> fields;  // a list field: once per value

  void Text(std::uint8_t code, std::string_view value);
  void Number(std::uint8_t code, std::int64_t value);
  // The first value of `code` (for one-valued fields), or nullptr.
  const RowField* Find(std::uint8_t code) const;

  std::string Encode() const;
  // Errors: kCorruption.
  static Result<SegmentRow> Decode(std::string_view bytes, std::uint64_t id);
  // The customer of an encoded row, without decoding the rest; nullopt when damaged.
  static std::optional<std::uint64_t> CustomerOf(std::string_view bytes);
  // As Decode, into `out` (its storage reused: scans decode millions).
  static Result<void> DecodeInto(std::string_view bytes, std::uint64_t id, SegmentRow& out);
};

// Hidden codes in case rows (not filter fields): the SLA's instants, for "breached".
inline constexpr std::uint8_t kCaseResponseDue = 40, kCaseResolutionDue = 41, kCaseRespondedAt = 42,
                              kCaseResolvedAt = 43;
// Merged customers' index code.
inline constexpr std::uint8_t kMergedCode = 0;
// The campaign membership field of customers.
inline constexpr std::uint8_t kCampaignCode = 22;

// A campaign attribution, "12" or "12/2": the campaign and its action (0: none); nullopt
// for anything else.
std::optional<std::pair<std::uint64_t, std::uint32_t>> ParseAttribution(std::string_view text);

// The day of an instant in Europe/Warsaw (days since 1970-01-01).
std::int32_t WarsawDay(Timestamp t);

SegmentRow RowOf(const Customer& c);
SegmentRow RowOf(const Activity& a);
SegmentRow RowOf(const Offer& o);
SegmentRow RowOf(const Order& o);
SegmentRow RowOf(const ServiceCase& c);

// The index entries of a record, written with it: `before` (nullptr: new) and `after`
// (nullptr: gone). Only what changed is written.
void IndexSegments(const Customer* before, const Customer* after, storage::WriteBatch& batch);
void IndexSegments(const Activity* before, const Activity* after, storage::WriteBatch& batch);
void IndexSegments(const Offer* before, const Offer* after, storage::WriteBatch& batch);
void IndexSegments(const Order* before, const Order* after, storage::WriteBatch& batch);
void IndexSegments(const ServiceCase* before, const ServiceCase* after, storage::WriteBatch& batch);

namespace segment_keys {
// Ids per bitmap chunk.
inline constexpr std::uint64_t kChunkBits = 65536;
// The prefix of a customer field's bitmaps (custom: with `custom_name`).
std::string CustomerBitmap(std::uint8_t code, std::string_view custom_name = {});
// The chunk of the bitmap of `value_key` (CustomerBitmap + FieldValue) that holds `id`.
std::string BitmapChunk(std::string value_key, std::uint64_t id);
inline std::uint32_t BitInChunk(std::uint64_t id) {
  return static_cast<std::uint32_t>(id % kChunkBits);
}
// The byte after 'Q' of a related entity's index.
char EntityByte(Entity e);
std::string CustomerRow(std::uint64_t id);
// Prefix of the customer field index for `code` (custom: with `custom_name`).
std::string CustomerField(std::uint8_t code, std::string_view custom_name = {});
// An entry's value part for a field of `type` (text: String; others: I64).
std::string FieldValue(FieldType type, std::string_view text, std::int64_t number);
std::string Related(Entity e);
std::string RelatedPartition(Entity e, std::string_view partition);
// The prefix of the records attributed to `campaign`.
std::string Attributed(std::uint64_t campaign);
inline constexpr std::string_view kVersion = "Qv";
}  // namespace segment_keys

}  // namespace quire::crm
