#include "quire/crm/segment_index.h"

#include "quire/crm/customer_metrics.h"
#include "quire/crm/kpis.h"

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <set>

#include "quire/crm/activities.h"
#include "quire/crm/cases.h"
#include "quire/crm/customers.h"
#include "quire/crm/money.h"
#include "quire/crm/offers.h"
#include "quire/crm/recurrence.h"
#include "quire/storage/key_codec.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using storage::ColumnFamily;

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool GetVarint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

void EncodeField(std::string& out, const RowField& f) {
  out += static_cast<char>(f.code);
  if (f.code == kCustomCode) {
    PutVarint(out, f.name.size());
    out += f.name;
  }
  if (f.is_text) {
    out += 'T';
    PutVarint(out, f.text.size());
    out += f.text;
  } else {
    out += 'N';
    PutVarint(out, ZigZag(f.number));
  }
}

std::int64_t DayOfYmd(std::chrono::year_month_day d) {
  return std::chrono::sys_days(d).time_since_epoch().count();
}

// Money in minor units of `currency` at 10^-4.
std::int64_t AtPlaces(std::int64_t minor, const std::string& currency) {
  Result<Currency> c = FindCurrency(currency);
  int digits = c.has_value() ? c->digits : 2;
  std::int64_t scale = 1;
  for (int i = digits; i < kPlaces; ++i) scale *= 10;
  return minor * scale;
}

// A profile or custom field's JSON as a row's number at 10^-4, when it is one.
std::optional<std::int64_t> NumberOf(const json::value& v) {
  if (v.is_int64()) return v.get_int64() * kOne;
  if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64()) * kOne;
  if (v.is_string()) {
    Result<std::int64_t> n = ParseFixed(v.get_string(), kPlaces);
    if (n.has_value()) return *n;
  }
  return std::nullopt;
}

std::string JsonScalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_int64() || v.is_uint64()) return json::serialize(v);
  if (v.is_double()) return json::serialize(v);
  return {};
}

// What a customer writes to the indexes: keys with values (its row; the merged mark), and
// bits of the field bitmaps, (chunk key, bit within the chunk).
struct CustomerIndex {
  std::map<std::string, std::string> puts;
  std::set<std::pair<std::string, std::uint32_t>> bits;
};

CustomerIndex CustomerEntries(const Customer* c) {
  CustomerIndex out;
  if (c == nullptr) return out;
  if (c->merged_into != 0) {
    out.puts.emplace(
        storage::KeyEncoder(segment_keys::CustomerField(kMergedCode)).U64(c->id).Take(), "");
    return out;
  }
  const SegmentRow row = RowOf(*c);
  out.puts.emplace(segment_keys::CustomerRow(c->id), row.Encode());
  for (const RowField& f : row.fields) {
    const FieldDef* def = nullptr;
    if (f.code == kCustomCode) {
      out.bits.emplace(
          segment_keys::BitmapChunk(segment_keys::CustomerBitmap(kCustomCode, f.name) +
                                        segment_keys::FieldValue(FieldType::kText, f.text, 0),
                                    c->id),
          segment_keys::BitInChunk(c->id));
      continue;
    }
    for (const FieldDef& d : FieldsOf(Entity::kCustomer)) {
      if (d.code == f.code) def = &d;
    }
    if (def == nullptr || !def->indexed) continue;
    out.bits.emplace(
        segment_keys::BitmapChunk(segment_keys::CustomerBitmap(f.code) +
                                      segment_keys::FieldValue(def->type, f.text, f.number),
                                  c->id),
        segment_keys::BitInChunk(c->id));
  }
  return out;
}

// Partition and day of a related record's entry.
std::string RelatedKey(Entity e, std::string_view partition, std::int64_t day, std::uint64_t id) {
  return storage::KeyEncoder(segment_keys::RelatedPartition(e, partition)).I64(day).U64(id).Take();
}

void Apply(const std::map<std::string, std::string>& before,
           const std::map<std::string, std::string>& after, storage::WriteBatch& batch) {
  for (const auto& [k, v] : before) {
    if (!after.contains(k)) batch.Delete(ColumnFamily::kCrm, k);
  }
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end() || it->second != v) batch.Put(ColumnFamily::kCrm, k, v);
  }
}

template <class Record>
std::map<std::string, std::string> RelatedEntries(Entity e, const Record* r,
                                                  std::string_view partition, std::int64_t day) {
  std::map<std::string, std::string> out;
  if (r == nullptr) return out;
  std::string row = RowOf(*r).Encode();
  if constexpr (!std::is_same_v<Record, ServiceCase>) {
    if (auto a = ParseAttribution(r->campaign)) {
      out.emplace(storage::KeyEncoder(segment_keys::Attributed(a->first))
                      .U8(static_cast<std::uint8_t>(segment_keys::EntityByte(e)))
                      .U64(r->id)
                      .Take(),
                  row);
    }
  }
  out.emplace(RelatedKey(e, partition, day, r->id), std::move(row));
  return out;
}

}  // namespace

void SegmentRow::Text(std::uint8_t code, std::string_view value) {
  RowField f;
  f.code = code;
  f.is_text = true;
  f.text = std::string(value);
  fields.push_back(std::move(f));
}

void SegmentRow::Number(std::uint8_t code, std::int64_t value) {
  RowField f;
  f.code = code;
  f.number = value;
  fields.push_back(std::move(f));
}

const RowField* SegmentRow::Find(std::uint8_t code) const {
  for (const RowField& f : fields) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

std::string SegmentRow::Encode() const {
  std::string out;
  out += '\x01';  // format
  PutVarint(out, customer);
  PutVarint(out, fields.size());
  for (const RowField& f : fields) {
    EncodeField(out, f);
  }
  return out;
}

Result<void> SegmentRow::DecodeInto(std::string_view in, std::uint64_t id, SegmentRow& out) {
  auto bad = [] { return Error::Corruption("a segment index row is damaged"); };
  out.id = id;
  if (in.empty() || in.front() != '\x01') return bad();
  in.remove_prefix(1);
  std::uint64_t n = 0;
  if (!GetVarint(in, out.customer) || !GetVarint(in, n) || n > in.size()) return bad();
  out.fields.resize(n);
  for (RowField& f : out.fields) {
    if (in.size() < 2) return bad();
    f.code = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    f.name.clear();
    f.text.clear();
    f.number = 0;
    std::uint64_t len = 0;
    if (f.code == kCustomCode) {
      if (!GetVarint(in, len) || len > in.size()) return bad();
      f.name.assign(in.substr(0, len));
      in.remove_prefix(len);
    }
    if (in.empty()) return bad();
    const char kind = in.front();
    in.remove_prefix(1);
    f.is_text = kind == 'T';
    if (kind == 'T') {
      if (!GetVarint(in, len) || len > in.size()) return bad();
      f.text.assign(in.substr(0, len));
      in.remove_prefix(len);
    } else if (kind == 'N') {
      std::uint64_t z = 0;
      if (!GetVarint(in, z)) return bad();
      f.number = UnZigZag(z);
    } else {
      return bad();
    }
  }
  if (!in.empty()) return bad();
  return Ok();
}

std::optional<std::uint64_t> SegmentRow::CustomerOf(std::string_view bytes) {
  if (bytes.empty() || bytes.front() != '\x01') return std::nullopt;
  bytes.remove_prefix(1);
  std::uint64_t customer = 0;
  if (!GetVarint(bytes, customer)) return std::nullopt;
  return customer;
}

Result<SegmentRow> SegmentRow::Decode(std::string_view bytes, std::uint64_t id) {
  SegmentRow row;
  QUIRE_RETURN_IF_ERROR(DecodeInto(bytes, id, row));
  return row;
}

std::optional<std::pair<std::uint64_t, std::uint32_t>> ParseAttribution(std::string_view text) {
  auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
    if (digits.empty() || digits.size() > 18) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
  };
  const std::size_t slash = text.find('/');
  const std::optional<std::uint64_t> campaign = number(text.substr(0, slash));
  if (!campaign || *campaign == 0) return std::nullopt;
  if (slash == std::string_view::npos) return std::pair{*campaign, std::uint32_t{0}};
  const std::optional<std::uint64_t> action = number(text.substr(slash + 1));
  if (!action || *action > 1'000'000) return std::nullopt;
  return std::pair{*campaign, static_cast<std::uint32_t>(*action)};
}

std::int32_t WarsawDay(Timestamp t) {
  using namespace std::chrono;
  const sys_days utc_day = floor<days>(t);
  const year_month_day ymd(utc_day);
  if (ymd.year() < year(1996) || ymd.year() > year(2099)) {
    return static_cast<std::int32_t>(ToLocal(t, "Europe/Warsaw").day);
  }
  // Central European Time, summer time (EU rule since 1996): from 01:00 UTC on the last
  // Sunday of March to 01:00 UTC on the last Sunday of October.
  auto last_sunday = [&](month m) {
    const sys_days last_day = sys_days(ymd.year() / m / last);
    return last_day - (weekday(last_day) - Sunday);
  };
  const auto summer_from = last_sunday(March) + hours(1);
  const auto summer_to = last_sunday(October) + hours(1);
  const bool summer = t >= summer_from && t < summer_to;
  const auto local = t + (summer ? hours(2) : hours(1));
  return static_cast<std::int32_t>(floor<days>(local).time_since_epoch().count());
}

SegmentRow RowOf(const Customer& c) {
  SegmentRow r;
  r.id = c.id;
  r.customer = c.id;
  r.Text(2, c.kind);
  r.Text(3, c.owner);
  for (const auto& [code, name] : {std::pair<std::uint8_t, std::string_view>{4, "team"},
                                   {5, "category"},
                                   {6, "industry"},
                                   {7, "customerType"},
                                   {8, "source"},
                                   {9, "deliveryTerms"},
                                   {10, "currency"}}) {
    if (const json::value* v = c.profile.if_contains(name); v != nullptr && v->is_string()) {
      r.Text(code, v->get_string());
    }
  }
  for (const auto& [code, name] :
       {std::pair<std::uint8_t, std::string_view>{11, "paymentTermsDays"},
        {12, "satisfaction"},
        {13, "creditLimit"}}) {
    if (const json::value* v = c.profile.if_contains(name)) {
      if (std::optional<std::int64_t> n = NumberOf(*v)) r.Number(code, *n);
    }
  }
  std::set<std::string> cities, codes, countries;
  for (const Address& a : c.addresses) {
    if (!a.city.empty()) cities.insert(a.city);
    if (!a.postal_code.empty()) codes.insert(a.postal_code);
    if (!a.country.empty()) countries.insert(a.country);
  }
  for (const std::string& s : cities) r.Text(14, s);
  for (const std::string& s : codes) r.Text(15, s);
  for (const std::string& s : countries) r.Text(16, s);
  std::set<std::string> tags(c.tags.begin(), c.tags.end());
  for (const std::string& s : tags) r.Text(17, s);
  r.Number(18, WarsawDay(c.created_at));
  r.Number(19, WarsawDay(c.modified_at));
  r.Text(20, c.name);
  std::set<std::string> emails;
  for (const Labelled& e : c.emails) {
    std::string lower = e.value;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    emails.insert(std::move(lower));
  }
  for (const std::string& e : emails) r.Text(21, e);
  r.Text(23, c.tax_id ? std::string(Name(c.tax_id->kind)) : "none");
  for (const auto& [name, v] : c.custom_fields) {
    std::string text = JsonScalarText(v);
    if (text.empty() && !v.is_string()) continue;
    RowField f;
    f.code = kCustomCode;
    f.is_text = true;
    f.name = std::string(name);
    f.text = std::move(text);
    r.fields.push_back(std::move(f));
  }
  return r;
}

SegmentRow RowOf(const Activity& a) {
  SegmentRow r;
  r.id = a.id;
  r.customer = a.customer;
  r.Text(2, a.type);
  r.Text(3, a.status);
  r.Number(4, WarsawDay(a.start));
  r.Number(5, static_cast<std::int64_t>(a.customer));
  std::set<std::string> employees(a.employees.begin(), a.employees.end());
  for (const std::string& e : employees) r.Text(6, e);
  r.Text(7, a.campaign);
  r.Text(8, a.channel);
  r.Text(9, a.outcome);
  return r;
}

SegmentRow RowOf(const Offer& o) {
  SegmentRow r;
  r.id = o.id;
  r.customer = o.customer;
  r.Text(2, o.status);
  r.Number(3, WarsawDay(o.created_at));
  r.Number(4, static_cast<std::int64_t>(o.customer));
  r.Text(5, o.owner);
  r.Text(6, o.currency);
  r.Number(7, AtPlaces(o.totals.net, o.currency));
  r.Number(8, AtPlaces(o.totals.gross, o.currency));
  if (o.valid_until) r.Number(9, DayOfYmd(*o.valid_until));
  r.Text(10, o.campaign);
  r.Number(11, o.editable() ? 1 : 0);
  return r;
}

SegmentRow RowOf(const Order& o) {
  SegmentRow r;
  r.id = o.id;
  r.customer = o.customer;
  r.Text(2, o.status);
  r.Number(3, DayOfYmd(o.ordered_on));
  r.Number(4, static_cast<std::int64_t>(o.customer));
  r.Text(5, o.owner);
  r.Text(6, o.currency);
  r.Number(7, AtPlaces(o.totals.gross, o.currency));
  r.Number(8, AtPlaces(o.paid(), o.currency));
  r.Number(9, AtPlaces(o.outstanding(), o.currency));
  r.Number(10, DayOfYmd(o.due()));
  r.Text(11, o.campaign);
  r.Number(12, o.outstanding() > 0 ? 1 : 0);
  // 13 (overdue) is computed when a filter runs, from 9 and 10.
  r.Number(14, static_cast<std::int64_t>(o.offer));
  if (!o.payments.empty()) {
    std::chrono::year_month_day last = o.payments.front().date;
    for (const Payment& p : o.payments) last = std::max(last, p.date);
    r.Number(15, DayOfYmd(last));
  }
  return r;
}

SegmentRow RowOf(const ServiceCase& c) {
  SegmentRow r;
  r.id = c.id;
  r.customer = c.customer;
  r.Text(2, c.status);
  r.Number(3, WarsawDay(c.created_at));
  r.Number(4, static_cast<std::int64_t>(c.customer));
  r.Text(5, c.kind);
  r.Text(6, c.priority);
  r.Number(7, static_cast<std::int64_t>(c.product));
  r.Text(8, c.assignee);
  r.Number(9, c.open() ? 1 : 0);
  // 10 (breached) is computed when a filter runs, from the hidden codes.
  if (c.warranty_end) r.Number(11, DayOfYmd(*c.warranty_end));
  auto ms = [](Timestamp t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); };
  r.Number(kCaseResponseDue, ms(c.response_due));
  r.Number(kCaseResolutionDue, ms(c.resolution_due));
  if (c.responded_at) r.Number(kCaseRespondedAt, ms(*c.responded_at));
  if (c.resolved_at) r.Number(kCaseResolvedAt, ms(*c.resolved_at));
  return r;
}

void IndexSegments(const Customer* before, const Customer* after, storage::WriteBatch& batch) {
  const CustomerIndex was = CustomerEntries(before);
  const CustomerIndex now = CustomerEntries(after);
  Apply(was.puts, now.puts, batch);
  for (const auto& [key, bit] : was.bits) {
    if (!now.bits.contains({key, bit})) batch.SetBit(ColumnFamily::kCrm, key, bit, false);
  }
  for (const auto& [key, bit] : now.bits) {
    if (!was.bits.contains({key, bit})) batch.SetBit(ColumnFamily::kCrm, key, bit, true);
  }
}

void IndexSegments(const Activity* before, const Activity* after, storage::WriteBatch& batch) {
  auto entries = [](const Activity* a) {
    return RelatedEntries(Entity::kActivity, a, a ? a->type : "", a ? WarsawDay(a->start) : 0);
  };
  Apply(entries(before), entries(after), batch);
  CountKpis(before, after, batch);
}

void IndexSegments(const Offer* before, const Offer* after, storage::WriteBatch& batch) {
  auto entries = [](const Offer* o) {
    return RelatedEntries(Entity::kOffer, o, o ? o->status : "", o ? WarsawDay(o->created_at) : 0);
  };
  Apply(entries(before), entries(after), batch);
  CountKpis(before, after, batch);
}

void IndexSegments(const Order* before, const Order* after, storage::WriteBatch& batch) {
  auto entries = [](const Order* o) {
    return RelatedEntries(Entity::kOrder, o, o ? o->status : "", o ? DayOfYmd(o->ordered_on) : 0);
  };
  Apply(entries(before), entries(after), batch);
  CountKpis(before, after, batch);
  CountCustomerOrders(before, after, batch);
}

void IndexSegments(const ServiceCase* before, const ServiceCase* after,
                   storage::WriteBatch& batch) {
  auto entries = [](const ServiceCase* c) {
    return RelatedEntries(Entity::kCase, c, c ? c->status : "", c ? WarsawDay(c->created_at) : 0);
  };
  Apply(entries(before), entries(after), batch);
  CountKpis(before, after, batch);
}

namespace segment_keys {

char EntityByte(Entity e) {
  switch (e) {
    case Entity::kCustomer:
      return 'c';
    case Entity::kActivity:
      return 'a';
    case Entity::kOffer:
      return 'o';
    case Entity::kOrder:
      return 'r';
    case Entity::kCase:
      return 'k';
  }
  return 'c';
}

std::string CustomerRow(std::uint64_t id) {
  return storage::KeyEncoder().U8('Q').U8('C').U64(id).Take();
}

std::string CustomerField(std::uint8_t code, std::string_view custom_name) {
  storage::KeyEncoder k;
  k.U8('Q').U8('c').U8(code);
  if (code == kCustomCode) k.String(custom_name);
  return k.Take();
}

std::string CustomerBitmap(std::uint8_t code, std::string_view custom_name) {
  storage::KeyEncoder k;
  k.U8('Q').U8('b').U8(code);
  if (code == kCustomCode) k.String(custom_name);
  return k.Take();
}

std::string BitmapChunk(std::string value_key, std::uint64_t id) {
  return storage::KeyEncoder(std::move(value_key))
      .U32(static_cast<std::uint32_t>(id / kChunkBits))
      .Take();
}

std::string FieldValue(FieldType type, std::string_view text, std::int64_t number) {
  if (type == FieldType::kText) return storage::KeyEncoder().String(text).Take();
  return storage::KeyEncoder().I64(number).Take();
}

std::string Related(Entity e) {
  return storage::KeyEncoder().U8('Q').U8(static_cast<std::uint8_t>(EntityByte(e))).Take();
}

std::string Attributed(std::uint64_t campaign) {
  return storage::KeyEncoder().U8('Q').U8('m').U64(campaign).Take();
}

std::string RelatedPartition(Entity e, std::string_view partition) {
  return storage::KeyEncoder(Related(e)).String(partition).Take();
}

}  // namespace segment_keys
}  // namespace quire::crm
