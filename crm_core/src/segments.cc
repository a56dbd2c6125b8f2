#include "quire/crm/segments.h"

#include "quire/crm/classes.h"

#include <algorithm>
#include <bit>
#include <boost/json.hpp>
#include <chrono>
#include <unordered_map>

#include "bits.h"
#include "quire/base/json_fields.h"
#include "quire/crm/activities.h"
#include "quire/crm/cases.h"
#include "quire/crm/customer_metrics.h"
#include "quire/crm/customers.h"
#include "quire/crm/money.h"
#include "quire/crm/names.h"
#include "quire/crm/offers.h"
#include "quire/crm/segment_index.h"
#include "quire/storage/key_codec.h"
#include "record_fields.h"

namespace quire::crm {
namespace {

namespace json = boost::json;
using Kind = FilterNode::Kind;
using Quantifier = FilterNode::Quantifier;
using storage::ColumnFamily;
using Clk = std::chrono::steady_clock;

// The version of the indexes' layout: a store whose 'Qv' is older is indexed again at open.
// 6: KPI counter sets by employee; 7: customers' orders by month (customer_metrics.h)
constexpr std::string_view kIndexVersion = "7";
// How many entries an estimate counts before it stops (and answers "at least this many").
constexpr std::uint64_t kEstimateCap = 20'000;
// Relative costs (microseconds) the planner weighs: reading one index entry, checking one
// customer's row, checking one customer's related records.
constexpr double kEntryCost = 0.1;
// Reading one bitmap chunk (up to 8 KiB: 65,536 customers) into a set.
constexpr double kChunkCost = 3.0;
constexpr double kRowCheckCost = 2.0;
constexpr double kRelatedCheckCost = 60.0;

std::string Successor(std::string_view prefix) { return storage::PrefixSuccessor(prefix); }

std::uint64_t IdAtEnd(std::string_view key) {
  std::uint64_t id = 0;
  if (key.size() < 8) return 0;
  for (std::size_t i = key.size() - 8; i < key.size(); ++i) {
    id = id << 8 | static_cast<unsigned char>(key[i]);
  }
  return id;
}

bool FixedOf(std::string_view text, std::int64_t& out) {
  Result<std::int64_t> n = ParseFixed(text, kPlaces);
  if (!n.has_value()) return false;
  out = *n;
  return true;
}

int Compare3(std::int64_t a, std::int64_t b) { return a < b ? -1 : a > b ? 1 : 0; }

bool Holds(Op op, int cmp) {
  switch (op) {
    case Op::kEq:
    case Op::kIn:
      return cmp == 0;
    case Op::kNe:
    case Op::kNotIn:
      return cmp != 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kLe:
      return cmp <= 0;
    case Op::kGt:
      return cmp > 0;
    case Op::kGe:
      return cmp >= 0;
    case Op::kContains:
      return false;
  }
  return false;
}

// Everything a run needs to know once.
struct Run {
  explicit Run(storage::Snapshot s) : snapshot(std::move(s)) {}
  storage::Snapshot snapshot;
  std::int32_t today = 0;
  std::int64_t now_ms = 0;
  std::uint64_t max_customer = 0;
  Bits universe;  // every customer (not merged)
  std::uint64_t universe_count = 0;
  json::array steps;
  // Customer sets of "has customer (f)" in filters over related records, by node.
  std::unordered_map<const FilterNode*, Bits> customer_sets;
  // Folded literals of ~ conditions, by node.
  std::unordered_map<const FilterNode*, std::string> folded;
};

// One step of the plan: what was done, the planner's estimate of its customers (estimates),
// the index entries or rows it read, and what it selected.
void Step(Run& run, std::string text, std::uint64_t estimate, std::uint64_t read,
          std::uint64_t selected, Clk::time_point started) {
  json::object s;
  s["step"] = std::move(text);
  s["estimate"] = estimate;
  s["read"] = read;
  s["rows"] = selected;
  s["ms"] = std::chrono::duration<double, std::milli>(Clk::now() - started).count();
  run.steps.push_back(std::move(s));
}

std::string Fold(std::string_view text) { return NameKey(text); }

// ---- Checking a row ------------------------------------------------------------------------

// Whether `n` (a comparison) holds for `row`, a row of `e`.
bool CompareRow(const FilterNode& n, const SegmentRow& row, Entity e, Run& run) {
  const FieldDef& def = *n.def;
  // The values of the field in this row.
  std::int64_t computed = 0;
  bool has_computed = false;
  if (def.code == 1) {  // id
    computed = static_cast<std::int64_t>(row.id), has_computed = true;
  } else if (e == Entity::kOrder && def.code == 13) {  // overdue
    const RowField* outstanding = row.Find(9);
    const RowField* due = row.Find(10);
    computed = outstanding != nullptr && outstanding->number > 0 && due != nullptr &&
                       run.today > due->number
                   ? 1
                   : 0;
    has_computed = true;
  } else if (e == Entity::kCase && def.code == 10) {  // breached
    auto ms = [&](std::uint8_t code, std::int64_t fallback) {
      const RowField* f = row.Find(code);
      return f != nullptr ? f->number : fallback;
    };
    const std::int64_t response_due = ms(kCaseResponseDue, INT64_MAX);
    const std::int64_t resolution_due = ms(kCaseResolutionDue, INT64_MAX);
    computed = ms(kCaseRespondedAt, run.now_ms) > response_due ||
                       ms(kCaseResolvedAt, run.now_ms) > resolution_due
                   ? 1
                   : 0;
    has_computed = true;
  }
  const bool negative = n.op == Op::kNe || n.op == Op::kNotIn;
  auto value_matches = [&](const RowField* f, std::int64_t number) -> bool {
    // Does one value of the field match one of the literals (as = / in / < ... say)?
    for (const FilterValue& v : n.values) {
      int cmp = 0;
      if (n.op == Op::kContains) {
        auto [it, inserted] = run.folded.try_emplace(&n);
        if (inserted) it->second = Fold(v.text);
        if (f != nullptr && Fold(f->text).find(it->second) != std::string::npos) return true;
        continue;
      }
      if (def.code == kCustomCode) {
        std::int64_t a = 0, b = 0;
        if (FixedOf(f->text, a) && FixedOf(v.text, b)) {
          cmp = Compare3(a, b);
        } else {
          cmp = f->text.compare(v.text);
        }
      } else if (def.type == FieldType::kText) {
        cmp = f->text.compare(v.text);
      } else if (def.type == FieldType::kDay) {
        cmp = Compare3(number, v.day.Resolve(run.today));
      } else {
        cmp = Compare3(number, v.number);
      }
      // For != and not in: "equals" is what is looked for, and negated below.
      if (negative ? cmp == 0 : Holds(n.op, cmp)) return true;
    }
    return false;
  };
  bool any = false;
  if (has_computed) {
    any = value_matches(nullptr, computed);
  } else {
    const std::string custom_name =
        def.code == kCustomCode ? n.field.substr(std::string_view("custom.").size()) : "";
    for (const RowField& f : row.fields) {
      if (f.code != def.code) continue;
      if (def.code == kCustomCode && f.name != custom_name) continue;
      if (value_matches(&f, f.number)) {
        any = true;
        break;
      }
    }
  }
  return negative ? !any : any;
}

// Whether `n` holds for a row of `e` (a related record, or the customer itself); relations
// in it are "has customer (...)" sets computed beforehand.
bool EvalRow(const FilterNode& n, const SegmentRow& row, Entity e, Run& run) {
  switch (n.kind) {
    case Kind::kAnd:
      for (const FilterNode& c : n.children) {
        if (!EvalRow(c, row, e, run)) return false;
      }
      return true;
    case Kind::kOr:
      for (const FilterNode& c : n.children) {
        if (EvalRow(c, row, e, run)) return true;
      }
      return false;
    case Kind::kNot:
      return !EvalRow(n.children[0], row, e, run);
    case Kind::kCompare:
      return CompareRow(n, row, e, run);
    case Kind::kRelation: {
      const auto it = run.customer_sets.find(&n);
      const bool has = it != run.customer_sets.end() && it->second.Test(row.customer);
      return n.quantifier == Quantifier::kNo ? !has : has;
    }
  }
  return false;
}

// ---- What a related index scan reads -------------------------------------------------------

// The partitions (type / status) and the days of a related index a filter over `e` needs
// read: what its top-level AND says of the partition field and of the day field.
struct RelatedRange {
  std::optional<std::vector<std::string>> partitions;  // nullopt: all
  std::int64_t from = INT64_MIN, to = INT64_MAX;       // days, inclusive
};

std::uint8_t DayCode(Entity e) {
  switch (e) {
    case Entity::kActivity:
      return 4;
    default:
      return 3;
  }
}

// The states an "open" condition stands for (offers: draft, sent; cases: new, in-progress,
// waiting), or their complement for "open = false"; nullopt for any other condition.
std::optional<std::vector<std::string>> OpenPartitions(const FilterNode& n, Entity e) {
  if (n.kind != Kind::kCompare || n.def == nullptr || n.values.size() != 1 ||
      (n.op != Op::kEq && n.op != Op::kNe)) {
    return std::nullopt;
  }
  const bool offer = e == Entity::kOffer && n.def->code == 11;
  const bool service = e == Entity::kCase && n.def->code == 9;
  if (!offer && !service) return std::nullopt;
  const bool want_open = (n.values[0].number != 0) == (n.op == Op::kEq);
  if (offer) {
    return want_open ? std::vector<std::string>{"draft", "sent"}
                     : std::vector<std::string>{"accepted", "expired", "rejected", "superseded"};
  }
  return want_open ? std::vector<std::string>{"in-progress", "new", "waiting"}
                   : std::vector<std::string>{"closed", "resolved"};
}

// Whether the partitions and days NarrowBy takes from `n` say all it says: its rows then
// need no check, only their customer.
bool Covered(const FilterNode& n, Entity e) {
  if (n.kind == Kind::kAnd) {
    return std::all_of(n.children.begin(), n.children.end(),
                       [&](const FilterNode& c) { return Covered(c, e); });
  }
  if (n.kind != Kind::kCompare || n.def == nullptr) return false;
  if (n.def->code == 2 && (n.op == Op::kEq || n.op == Op::kIn)) return true;
  if (OpenPartitions(n, e)) return true;
  return n.def->code == DayCode(e) && n.values.size() == 1 &&
         (n.op == Op::kEq || n.op == Op::kLt || n.op == Op::kLe || n.op == Op::kGt ||
          n.op == Op::kGe);
}

void NarrowBy(const FilterNode& n, Entity e, const Run& run, RelatedRange& r) {
  if (n.kind == Kind::kAnd) {
    for (const FilterNode& c : n.children) NarrowBy(c, e, run, r);
    return;
  }
  if (n.kind != Kind::kCompare || n.def == nullptr) return;
  std::optional<std::vector<std::string>> open = OpenPartitions(n, e);
  if ((n.def->code == 2 && (n.op == Op::kEq || n.op == Op::kIn)) || open) {  // type / status
    std::vector<std::string> values;
    if (open) {
      values = std::move(*open);
    } else {
      for (const FilterValue& v : n.values) values.push_back(v.text);
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (r.partitions) {  // two conditions on it: both hold
      std::vector<std::string> both;
      std::set_intersection(r.partitions->begin(), r.partitions->end(), values.begin(),
                            values.end(), std::back_inserter(both));
      values = std::move(both);
    }
    r.partitions = std::move(values);
    return;
  }
  if (n.def->code == DayCode(e) && n.values.size() == 1) {
    const std::int64_t d = n.values[0].day.Resolve(run.today);
    switch (n.op) {
      case Op::kEq:
        r.from = std::max(r.from, d), r.to = std::min(r.to, d);
        break;
      case Op::kLt:
        r.to = std::min(r.to, d - 1);
        break;
      case Op::kLe:
        r.to = std::min(r.to, d);
        break;
      case Op::kGt:
        r.from = std::max(r.from, d + 1);
        break;
      case Op::kGe:
        r.from = std::max(r.from, d);
        break;
      default:
        break;
    }
  }
}

std::string RangeText(Entity e, const RelatedRange& r) {
  std::string out = "index " + std::string(EntityPlural(e)) + " (" +
                    (e == Entity::kActivity ? "type" : "status") + ", " +
                    std::string(FieldsOf(e)[DayCode(e) - 1].name) + ")";
  if (r.partitions) {
    out += " ";
    out += e == Entity::kActivity ? "type" : "status";
    out += " in (";
    for (std::size_t i = 0; i < r.partitions->size(); ++i) {
      out += (i ? ", " : "") + (*r.partitions)[i];
    }
    out += ")";
  } else {
    out += " every " + std::string(e == Entity::kActivity ? "type" : "status");
  }
  if (r.from != INT64_MIN) out += " from " + FormatIsoDay(static_cast<std::int32_t>(r.from));
  if (r.to != INT64_MAX) out += " to " + FormatIsoDay(static_cast<std::int32_t>(r.to));
  return out;
}

class Planner {
 public:
  Planner(storage::Store& store, const ActivityStore& activities, const OfferStore& offers,
          const CaseStore& cases, Run& run)
      : store_(store), activities_(activities), offers_(offers), cases_(cases), run_(run) {}

  // Calls f(row) for each row of the related index of `e` in `r`; f returns false to stop.
  // Returns the number of rows read.
  template <class F>
  Result<std::uint64_t> ScanRelated(Entity e, const RelatedRange& r, F f) {
    SegmentRow row;
    Result<void> failed = Ok();
    QUIRE_ASSIGN_OR_RETURN(
        std::uint64_t rows, ScanRelatedRaw(e, r, [&](std::string_view key, std::string_view value) {
          if (Result<void> d = SegmentRow::DecodeInto(value, IdAtEnd(key), row); !d) {
            failed = std::move(d);
            return false;
          }
          return f(row);
        }));
    QUIRE_RETURN_IF_ERROR(failed);
    return rows;
  }

  // As ScanRelated, with each entry's key and value as stored.
  template <class F>
  Result<std::uint64_t> ScanRelatedRaw(Entity e, const RelatedRange& r, F f) {
    const std::string base = segment_keys::Related(e);
    std::vector<std::string> partitions;
    if (r.partitions) {
      partitions = *r.partitions;
    } else {
      // Every partition: skip from one to the next.
      auto it = store_.ScanPrefix(ColumnFamily::kCrm, base, &run_.snapshot);
      while (it.Valid()) {
        storage::KeyDecoder d(it.key().substr(base.size()));
        QUIRE_ASSIGN_OR_RETURN(std::string p, d.String());
        partitions.push_back(p);
        it.Seek(Successor(segment_keys::RelatedPartition(e, p)));
      }
      QUIRE_RETURN_IF_ERROR(it.status());
    }
    std::uint64_t rows = 0;
    for (const std::string& p : partitions) {
      const std::string prefix = segment_keys::RelatedPartition(e, p);
      const std::string begin = storage::KeyEncoder(prefix).I64(r.from).Take();
      const std::string end =
          r.to == INT64_MAX ? Successor(prefix) : storage::KeyEncoder(prefix).I64(r.to + 1).Take();
      auto it = store_.Scan(ColumnFamily::kCrm, begin, end, &run_.snapshot);
      for (; it.Valid(); it.Next()) {
        ++rows;
        if (!f(it.key(), it.value())) return rows;
      }
      QUIRE_RETURN_IF_ERROR(it.status());
    }
    return rows;
  }

  // Counts the entries of a related range, up to kEstimateCap.
  Result<std::uint64_t> EstimateRelated(Entity e, const RelatedRange& r) {
    std::uint64_t n = 0;
    QUIRE_RETURN_IF_ERROR(ScanRelatedRaw(
        e, r, [&](std::string_view, std::string_view) { return ++n < kEstimateCap; }));
    return n;
  }

  // ---- Customers --------------------------------------------------------------------------

  // The index key ranges that answer comparison `n`, or nullopt when its index cannot.
  std::optional<std::vector<std::pair<std::string, std::string>>> Ranges(const FilterNode& n) {
    const FieldDef& def = *n.def;
    if (!def.indexed || n.op == Op::kContains) return std::nullopt;
    const bool custom = def.code == kCustomCode;
    const std::string prefix = segment_keys::CustomerBitmap(
        def.code, custom ? std::string_view(n.field).substr(7) : std::string_view());
    std::vector<std::pair<std::string, std::string>> out;
    auto value_key = [&](const FilterValue& v) {
      const std::int64_t number =
          def.type == FieldType::kDay ? v.day.Resolve(run_.today) : v.number;
      return prefix +
             segment_keys::FieldValue(custom ? FieldType::kText : def.type, v.text, number);
    };
    switch (n.op) {
      case Op::kEq:
      case Op::kNe:
      case Op::kIn:
      case Op::kNotIn:  // != and not in: every customer but these
        for (const FilterValue& v : n.values) {
          std::string k = value_key(v);
          out.emplace_back(k, Successor(k));
        }
        return out;
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: {
        if (custom) return std::nullopt;  // custom values order as text, not as numbers
        const std::string k = value_key(n.values[0]);
        if (n.op == Op::kLt) out.emplace_back(prefix, k);
        if (n.op == Op::kLe) out.emplace_back(prefix, Successor(k));
        if (n.op == Op::kGt) out.emplace_back(Successor(k), Successor(prefix));
        if (n.op == Op::kGe) out.emplace_back(k, Successor(prefix));
        return out;
      }
      case Op::kContains:
        break;
    }
    return std::nullopt;
  }

  // Reads the bitmap chunks in `ranges` of a customer index into `into` (nullptr: counts
  // only). Returns how many customers they hold, and how many chunks were read.
  struct ChunkRead {
    std::uint64_t customers = 0;
    std::uint64_t chunks = 0;
  };
  Result<ChunkRead> ReadRanges(const std::vector<std::pair<std::string, std::string>>& ranges,
                               Bits* into) {
    ChunkRead r;
    for (const auto& [begin, end] : ranges) {
      auto it = store_.Scan(ColumnFamily::kCrm, begin, end, &run_.snapshot);
      for (; it.Valid(); it.Next()) {
        const std::string_view key = it.key();
        if (key.size() < 4) return Error::Corruption("a segment bitmap key is damaged");
        std::uint64_t chunk = 0;
        for (std::size_t i = key.size() - 4; i < key.size(); ++i) {
          chunk = chunk << 8 | static_cast<unsigned char>(key[i]);
        }
        ++r.chunks;
        r.customers += into != nullptr ? into->OrBytes(chunk * segment_keys::kChunkBits, it.value())
                                       : Bits::CountBytes(it.value());
      }
      QUIRE_RETURN_IF_ERROR(it.status());
    }
    return r;
  }

  // How many customers `n` selects, about (at most kEstimateCap read), and the cost of
  // reading it as a set.
  struct Estimate {
    std::uint64_t customers = 0;
    double read_cost = 0;   // reading the set
    double check_cost = 0;  // checking one customer
  };
  Result<Estimate> EstimateOf(const FilterNode& n) {
    const std::uint64_t all = run_.universe_count;
    Estimate e;
    e.check_cost = kRowCheckCost;
    switch (n.kind) {
      case Kind::kAnd: {
        e.customers = all;
        for (const FilterNode& c : n.children) {
          QUIRE_ASSIGN_OR_RETURN(Estimate ce, EstimateOf(c));
          if (ce.customers <= e.customers) e.customers = ce.customers;
          e.read_cost = std::min(e.read_cost == 0 ? ce.read_cost : e.read_cost, ce.read_cost);
          e.check_cost += ce.check_cost;
        }
        return e;
      }
      case Kind::kOr: {
        for (const FilterNode& c : n.children) {
          QUIRE_ASSIGN_OR_RETURN(Estimate ce, EstimateOf(c));
          e.customers = std::min(all, e.customers + ce.customers);
          e.read_cost += ce.read_cost;
          e.check_cost += ce.check_cost;
        }
        return e;
      }
      case Kind::kNot: {
        QUIRE_ASSIGN_OR_RETURN(Estimate ce, EstimateOf(n.children[0]));
        e.customers = ce.customers >= kEstimateCap ? all : all - std::min(all, ce.customers);
        e.read_cost = ce.read_cost + static_cast<double>(all) / 64 * kEntryCost;
        e.check_cost = ce.check_cost;
        return e;
      }
      case Kind::kCompare: {
        if (n.def->code == 1) {  // id
          e.customers = n.op == Op::kEq || n.op == Op::kIn ? n.values.size() : all;
          e.read_cost = 1;
          e.check_cost = 0;
          return e;
        }
        std::optional<std::vector<std::pair<std::string, std::string>>> ranges = Ranges(n);
        if (!ranges) {  // read every row
          e.customers = all;
          e.read_cost = static_cast<double>(all) * kRowCheckCost / 4;
          return e;
        }
        // Counting a bitmap costs about what reading it does: exact, and cheap.
        QUIRE_ASSIGN_OR_RETURN(ChunkRead read, ReadRanges(*ranges, nullptr));
        const bool negative = n.op == Op::kNe || n.op == Op::kNotIn;
        e.customers = negative ? all - std::min(all, read.customers) : read.customers;
        e.read_cost = static_cast<double>(read.chunks) * kChunkCost;
        return e;
      }
      case Kind::kRelation: {
        RelatedRange r;
        if (!n.children.empty()) NarrowBy(n.children[0], n.related, run_, r);
        QUIRE_ASSIGN_OR_RETURN(std::uint64_t entries, EstimateRelated(n.related, r));
        const double read =
            entries >= kEstimateCap ? static_cast<double>(all) * 4 : static_cast<double>(entries);
        e.read_cost = read * kEntryCost * 3;
        e.check_cost = kRelatedCheckCost;
        const bool zero_counts = ZeroHolds(n);
        e.customers = zero_counts || n.quantifier == Quantifier::kNo
                          ? (entries >= kEstimateCap ? all : all - std::min(all, entries))
                          : std::min(all, entries);
        return e;
      }
    }
    return e;
  }

  // Whether a count / sum condition holds for a customer with no matching record.
  static bool ZeroHolds(const FilterNode& n) {
    if (n.quantifier != Quantifier::kCount && n.quantifier != Quantifier::kSum) return false;
    return Holds(n.op, Compare3(0, n.values[0].number));
  }

  // The customers `n` selects, as a set.
  Result<Bits> Read(const FilterNode& n) {
    const auto started = Clk::now();
    switch (n.kind) {
      case Kind::kAnd:
        return ReadAnd(n);
      case Kind::kOr: {
        Bits out(run_.max_customer + 1);
        for (const FilterNode& c : n.children) {
          QUIRE_ASSIGN_OR_RETURN(Bits b, Read(c));
          out.Or(b);
        }
        Step(run_, "or of " + std::to_string(n.children.size()), 0, 0, out.Count(), started);
        return out;
      }
      case Kind::kNot: {
        QUIRE_ASSIGN_OR_RETURN(Bits inner, Read(n.children[0]));
        Bits out = run_.universe;
        out.AndNot(inner);
        Step(run_, "every customer but those", 0, 0, out.Count(), started);
        return out;
      }
      case Kind::kCompare:
        return ReadCompare(n);
      case Kind::kRelation:
        return ReadRelation(n);
    }
    return Bits(run_.max_customer + 1);
  }

  Result<Bits> ReadCompare(const FilterNode& n) {
    const auto started = Clk::now();
    Bits out(run_.max_customer + 1);
    const std::string text = ConditionText(n);
    if (n.def->code == 1) {  // id: no index needed
      for (std::uint64_t id = 1; id <= run_.max_customer; ++id) {
        SegmentRow row;
        row.id = id;
        if (run_.universe.Test(id) && CompareRow(n, row, Entity::kCustomer, run_)) out.Set(id);
      }
      Step(run_, "ids " + text, 0, 0, out.Count(), started);
      return out;
    }
    std::optional<std::vector<std::pair<std::string, std::string>>> ranges = Ranges(n);
    if (ranges) {
      QUIRE_ASSIGN_OR_RETURN(ChunkRead read, ReadRanges(*ranges, &out));
      const std::uint64_t rows = read.chunks;
      if (n.op == Op::kNe || n.op == Op::kNotIn) {
        Bits all = run_.universe;
        all.AndNot(out);
        out = std::move(all);
      }
      out.And(run_.universe);
      Step(run_, "bitmaps customers." + n.field + " (" + std::to_string(rows) + " chunks): " + text,
           0, read.customers, out.Count(), started);
      return out;
    }
    // No index answers it: every customer's row.
    std::uint64_t rows = 0;
    SegmentRow row;
    const std::string prefix = storage::KeyEncoder().U8('Q').U8('C').Take();
    auto it = store_.ScanPrefix(ColumnFamily::kCrm, prefix, &run_.snapshot);
    for (; it.Valid(); it.Next()) {
      ++rows;
      QUIRE_RETURN_IF_ERROR(SegmentRow::DecodeInto(it.value(), IdAtEnd(it.key()), row));
      if (CompareRow(n, row, Entity::kCustomer, run_)) out.Set(row.id);
    }
    QUIRE_RETURN_IF_ERROR(it.status());
    out.And(run_.universe);
    Step(run_, "scan every customer's row (" + n.field + " has no index): " + text, 0, rows,
         out.Count(), started);
    return out;
  }

  Result<Bits> ReadRelation(const FilterNode& n) {
    const auto started = Clk::now();
    RelatedRange r;
    const FilterNode* where = n.children.empty() ? nullptr : &n.children[0];
    if (where != nullptr) NarrowBy(*where, n.related, run_, r);
    Bits touched(run_.max_customer + 1);
    std::unordered_map<std::uint64_t, std::int64_t> totals;
    const bool aggregate = n.quantifier == Quantifier::kCount || n.quantifier == Quantifier::kSum;
    const std::string currency = SumCurrency(where);
    std::uint64_t rows = 0;
    if (n.quantifier != Quantifier::kSum && (where == nullptr || Covered(*where, n.related))) {
      // The index's partitions and days say all the condition says: only each row's
      // customer is read.
      Result<void> bad = Ok();
      QUIRE_ASSIGN_OR_RETURN(
          rows, ScanRelatedRaw(n.related, r, [&](std::string_view, std::string_view value) {
            const std::optional<std::uint64_t> customer = SegmentRow::CustomerOf(value);
            if (!customer) {
              bad = Error::Corruption("a segment index row is damaged");
              return false;
            }
            if (n.quantifier == Quantifier::kCount) totals[*customer] += kOne;
            touched.Set(*customer);
            return true;
          }));
      QUIRE_RETURN_IF_ERROR(bad);
    } else {
      QUIRE_ASSIGN_OR_RETURN(rows, ScanRelated(n.related, r, [&](const SegmentRow& row) {
                               if (where != nullptr && !EvalRow(*where, row, n.related, run_))
                                 return true;
                               if (n.quantifier == Quantifier::kSum) {
                                 const RowField* cur = row.Find(6);
                                 if (cur == nullptr || cur->text != currency) return true;
                                 const RowField* amount = row.Find(n.sum_field->code);
                                 totals[row.customer] += amount != nullptr ? amount->number : 0;
                               } else if (n.quantifier == Quantifier::kCount) {
                                 totals[row.customer] += kOne;
                               }
                               touched.Set(row.customer);
                               return true;
                             }));
    }
    Bits out(run_.max_customer + 1);
    if (!aggregate) {
      out = std::move(touched);
      if (n.quantifier == Quantifier::kNo) {
        Bits all = run_.universe;
        all.AndNot(out);
        out = std::move(all);
      }
    } else {
      for (const auto& [customer, total] : totals) {
        if (Holds(n.op, Compare3(total, n.values[0].number))) out.Set(customer);
      }
      if (ZeroHolds(n)) {
        Bits none = run_.universe;
        none.AndNot(touched);
        out.Or(none);
      }
    }
    out.And(run_.universe);
    Step(run_, RangeText(n.related, r) + ": " + ConditionText(n), 0, rows, out.Count(), started);
    return out;
  }

  // The currency a sum adds up: the one its filter names ("currency = EUR"), else PLN.
  static std::string SumCurrency(const FilterNode* where) {
    if (where == nullptr) return "PLN";
    if (where->kind == Kind::kCompare && where->def->code == 6 && where->op == Op::kEq) {
      return where->values[0].text;
    }
    if (where->kind == Kind::kAnd) {
      for (const FilterNode& c : where->children) {
        std::string s = SumCurrency(&c);
        if (s != "PLN") return s;
      }
    }
    return "PLN";
  }

  Result<Bits> ReadAnd(const FilterNode& n) {
    // Estimate each condition; read the most selective; then intersect or check.
    struct Part {
      const FilterNode* node;
      Estimate estimate;
    };
    std::vector<Part> parts;
    for (const FilterNode& c : n.children) {
      const auto started = Clk::now();
      QUIRE_ASSIGN_OR_RETURN(Estimate e, EstimateOf(c));
      Step(run_, "estimate " + ConditionText(c), e.customers, 0, 0, started);
      parts.push_back({&c, e});
    }
    std::stable_sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) {
      if (a.estimate.customers != b.estimate.customers) {
        return a.estimate.customers < b.estimate.customers;
      }
      return a.estimate.read_cost < b.estimate.read_cost;
    });
    QUIRE_ASSIGN_OR_RETURN(Bits out, Read(*parts[0].node));
    std::uint64_t left = out.Count();
    for (std::size_t i = 1; i < parts.size() && left > 0; ++i) {
      const Part& p = parts[i];
      const double check = static_cast<double>(left) * p.estimate.check_cost;
      if (check <= p.estimate.read_cost) {
        const auto started = Clk::now();
        std::vector<std::uint64_t> drop;
        Result<void> failed = Ok();
        out.Each(0, [&](std::uint64_t id) {
          Result<bool> keep = Check(*p.node, id);
          if (!keep.has_value()) {
            failed = std::move(keep).error();
            return false;
          }
          if (!*keep) drop.push_back(id);
          return true;
        });
        QUIRE_RETURN_IF_ERROR(failed);
        for (std::uint64_t id : drop) out.Clear(id);
        Step(run_, "check each of " + std::to_string(left) + ": " + ConditionText(*p.node), 0, left,
             left - drop.size(), started);
        left -= drop.size();
      } else {
        QUIRE_ASSIGN_OR_RETURN(Bits b, Read(*p.node));
        out.And(b);
        left = out.Count();
      }
    }
    return out;
  }

  // Whether customer `id` is selected by `n`, checked on its own (its row, its records).
  Result<bool> Check(const FilterNode& n, std::uint64_t id) {
    switch (n.kind) {
      case Kind::kAnd:
        for (const FilterNode& c : n.children) {
          QUIRE_ASSIGN_OR_RETURN(bool ok, Check(c, id));
          if (!ok) return false;
        }
        return true;
      case Kind::kOr:
        for (const FilterNode& c : n.children) {
          QUIRE_ASSIGN_OR_RETURN(bool ok, Check(c, id));
          if (ok) return true;
        }
        return false;
      case Kind::kNot: {
        QUIRE_ASSIGN_OR_RETURN(bool ok, Check(n.children[0], id));
        return !ok;
      }
      case Kind::kCompare: {
        if (n.def->code == kCampaignCode) return CheckCampaign(n, id);
        QUIRE_ASSIGN_OR_RETURN(const SegmentRow* row, RowOfCustomer(id));
        if (row == nullptr) return false;
        return CompareRow(n, *row, Entity::kCustomer, run_);
      }
      case Kind::kRelation:
        return CheckRelation(n, id);
    }
    return false;
  }

  Result<bool> CheckCampaign(const FilterNode& n, std::uint64_t id) {
    bool any = false;
    for (const FilterValue& v : n.values) {
      const std::string key =
          segment_keys::BitmapChunk(segment_keys::CustomerBitmap(kCampaignCode) +
                                        segment_keys::FieldValue(FieldType::kId, "", v.number),
                                    id);
      QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> bits,
                             store_.Get(ColumnFamily::kCrm, key, &run_.snapshot));
      const std::uint32_t bit = segment_keys::BitInChunk(id);
      if (bits && bit / 8 < bits->size() &&
          (static_cast<unsigned char>((*bits)[bit / 8]) >> (bit % 8) & 1) != 0) {
        any = true;
        break;
      }
    }
    return n.op == Op::kNe || n.op == Op::kNotIn ? !any : any;
  }

  Result<const SegmentRow*> RowOfCustomer(std::uint64_t id) {
    if (cached_id_ == id) return cached_row_ ? &*cached_row_ : nullptr;
    cached_id_ = id;
    cached_row_.reset();
    QUIRE_ASSIGN_OR_RETURN(
        std::optional<std::string> bytes,
        store_.Get(ColumnFamily::kCrm, segment_keys::CustomerRow(id), &run_.snapshot));
    if (!bytes) return nullptr;
    QUIRE_ASSIGN_OR_RETURN(SegmentRow row, SegmentRow::Decode(*bytes, id));
    cached_row_ = std::move(row);
    return &*cached_row_;
  }

  // The related records of one customer, as rows.
  Result<std::vector<SegmentRow>> RelatedRows(Entity e, std::uint64_t customer) {
    std::vector<SegmentRow> rows;
    switch (e) {
      case Entity::kActivity: {
        std::string cursor;
        do {
          QUIRE_ASSIGN_OR_RETURN(
              ActivityStore::TimelinePage page,
              activities_.Timeline(customer, cursor, 1000,
                                   [](const Activity&) -> Result<bool> { return true; }));
          for (const Activity& a : page.activities) rows.push_back(RowOf(a));
          cursor = page.next;
        } while (!cursor.empty());
        break;
      }
      case Entity::kOffer: {
        QUIRE_ASSIGN_OR_RETURN(
            std::vector<Offer> offers,
            offers_.List(customer, SIZE_MAX, 0, [](const Offer&) { return true; }));
        for (const Offer& o : offers) rows.push_back(RowOf(o));
        break;
      }
      case Entity::kOrder: {
        QUIRE_ASSIGN_OR_RETURN(
            std::vector<Order> orders,
            offers_.Orders(customer, SIZE_MAX, 0, [](const Order&) { return true; }));
        for (const Order& o : orders) rows.push_back(RowOf(o));
        break;
      }
      case Entity::kCase: {
        QUIRE_ASSIGN_OR_RETURN(
            std::vector<ServiceCase> cases,
            cases_.List(customer, false, SIZE_MAX, 0, [](const ServiceCase&) { return true; }));
        for (const ServiceCase& c : cases) rows.push_back(RowOf(c));
        break;
      }
      case Entity::kCustomer:
        break;
    }
    return rows;
  }

  Result<bool> CheckRelation(const FilterNode& n, std::uint64_t id) {
    QUIRE_ASSIGN_OR_RETURN(std::vector<SegmentRow> rows, RelatedRows(n.related, id));
    const FilterNode* where = n.children.empty() ? nullptr : &n.children[0];
    const std::string currency = SumCurrency(where);
    std::int64_t total = 0;
    bool any = false;
    for (const SegmentRow& row : rows) {
      if (where != nullptr && !EvalRow(*where, row, n.related, run_)) continue;
      any = true;
      if (n.quantifier == Quantifier::kHas || n.quantifier == Quantifier::kNo) break;
      if (n.quantifier == Quantifier::kCount) {
        total += kOne;
      } else {
        const RowField* cur = row.Find(6);
        if (cur == nullptr || cur->text != currency) continue;
        const RowField* amount = row.Find(n.sum_field->code);
        total += amount != nullptr ? amount->number : 0;
      }
    }
    switch (n.quantifier) {
      case Quantifier::kHas:
        return any;
      case Quantifier::kNo:
        return !any;
      default:
        return Holds(n.op, Compare3(total, n.values[0].number));
    }
  }

  static std::string ConditionText(const FilterNode& n) {
    Filter f;
    f.root = n;
    return f.ToText();
  }

 private:
  storage::Store& store_;
  const ActivityStore& activities_;
  const OfferStore& offers_;
  const CaseStore& cases_;
  Run& run_;
  std::uint64_t cached_id_ = 0;
  std::optional<SegmentRow> cached_row_;
};

// The largest id under a record prefix ('c' for customers).
Result<std::uint64_t> LargestId(storage::Store& store, std::string_view prefix,
                                const storage::Snapshot* snapshot) {
  auto it = store.ScanPrefix(ColumnFamily::kCrm, prefix, snapshot);
  it.SeekToLast();
  if (!it.Valid()) {
    QUIRE_RETURN_IF_ERROR(it.status());
    return 0;
  }
  storage::KeyDecoder d(it.key().substr(prefix.size()));
  QUIRE_ASSIGN_OR_RETURN(std::uint64_t id, d.U64());
  return id;
}

// Collects the "has customer (f)" conditions of a filter over related records.
void CustomerRelations(const FilterNode& n, std::vector<const FilterNode*>& out) {
  if (n.kind == Kind::kRelation) {
    out.push_back(&n);
    return;
  }
  for (const FilterNode& c : n.children) CustomerRelations(c, out);
}

std::string SegmentKey(SegmentId id) {
  return storage::KeyEncoder().U8('V').U8('s').U64(id).Take();
}
std::string SegmentNameKey(std::string_view name) {
  std::string lower(name);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return storage::KeyEncoder().U8('V').U8('S').String(lower).Take();
}
constexpr std::string_view kNextSegmentKey = "n:segment";

}  // namespace

// ---- SegmentEngine ---------------------------------------------------------------------------

SegmentEngine::SegmentEngine(storage::Store& store, const Clock& clock,
                             const ActivityStore& activities, const OfferStore& offers,
                             const CaseStore& cases)
    : store_(store), clock_(clock), activities_(activities), offers_(offers), cases_(cases) {}

namespace {

struct Matches {
  std::uint64_t count = 0;
  Bits customers;                  // customers: the set
  std::vector<std::uint64_t> ids;  // related records: ascending
  json::object plan;
};

}  // namespace

static Result<Matches> Evaluate(storage::Store& store, const Clock& clock,
                                const ActivityStore& activities, const OfferStore& offers,
                                const CaseStore& cases, const Filter& filter, const Filter* scope) {
  const auto started = Clk::now();
  Run run(store.GetSnapshot());
  const Timestamp now = clock.Now();
  run.today = WarsawDay(now);
  run.now_ms = now.time_since_epoch().count();
  QUIRE_ASSIGN_OR_RETURN(run.max_customer,
                         LargestId(store, storage::KeyEncoder().U8('c').Take(), &run.snapshot));
  run.universe = Bits(run.max_customer + 1);
  run.universe.SetFrom(1);
  {
    const std::string merged = segment_keys::CustomerField(kMergedCode);
    auto it = store.ScanPrefix(ColumnFamily::kCrm, merged, &run.snapshot);
    for (; it.Valid(); it.Next()) run.universe.Clear(IdAtEnd(it.key()));
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  run.universe_count = run.universe.Count();
  Planner planner(store, activities, offers, cases, run);
  Matches m;
  // The filter and the scope as one AND, flat, so the planner weighs every condition.
  FilterNode root;
  if (scope != nullptr) {
    root.kind = Kind::kAnd;
    for (const FilterNode* part : {&filter.root, &scope->root}) {
      if (part->kind == Kind::kAnd) {
        root.children.insert(root.children.end(), part->children.begin(), part->children.end());
      } else {
        root.children.push_back(*part);
      }
    }
  } else {
    root = filter.root;
  }
  if (filter.target == Entity::kCustomer) {
    QUIRE_ASSIGN_OR_RETURN(m.customers, planner.Read(root));
    m.count = m.customers.Count();
  } else {
    // Related records: their customers' conditions first, then one scan of their index.
    std::vector<const FilterNode*> relations;
    CustomerRelations(root, relations);
    for (const FilterNode* r : relations) {
      Bits set(run.max_customer + 1);
      if (r->children.empty()) {
        set = run.universe;
      } else {
        QUIRE_ASSIGN_OR_RETURN(set, planner.Read(r->children[0]));
      }
      run.customer_sets.emplace(r, std::move(set));
    }
    RelatedRange range;
    NarrowBy(root, filter.target, run, range);
    const auto scan_started = Clk::now();
    QUIRE_ASSIGN_OR_RETURN(std::uint64_t rows,
                           planner.ScanRelated(filter.target, range, [&](const SegmentRow& row) {
                             if (EvalRow(root, row, filter.target, run)) m.ids.push_back(row.id);
                             return true;
                           }));
    std::sort(m.ids.begin(), m.ids.end());
    m.count = m.ids.size();
    Step(run, RangeText(filter.target, range) + ": the whole filter on each row", 0, rows, m.count,
         scan_started);
  }
  m.plan["steps"] = std::move(run.steps);
  m.plan["ms"] = std::chrono::duration<double, std::milli>(Clk::now() - started).count();
  return m;
}

namespace {

Result<FilterNode> ExpandClasses(const FilterNode& n, const ClassThresholds* t) {
  if (n.kind == FilterNode::Kind::kCompare && n.def != nullptr && n.def->name == "class") {
    std::vector<FilterNode> rules;
    for (const FilterValue& v : n.values) {
      if (t == nullptr) {
        return Error::Internal("classes are not available here");
      }
      QUIRE_ASSIGN_OR_RETURN(Filter rule, ParseFilterText(ClassRule(*t, v.text)));
      rules.push_back(std::move(rule.root));
    }
    FilterNode any;
    if (rules.size() == 1) {
      any = std::move(rules.front());
    } else {
      any.kind = FilterNode::Kind::kOr;
      any.children = std::move(rules);
    }
    any.where = n.where;
    if (n.op == Op::kNe || n.op == Op::kNotIn) {
      FilterNode negated;
      negated.kind = FilterNode::Kind::kNot;
      negated.where = n.where;
      negated.children.push_back(std::move(any));
      return negated;
    }
    return any;
  }
  FilterNode out = n;
  for (FilterNode& c : out.children) {
    QUIRE_ASSIGN_OR_RETURN(c, ExpandClasses(c, t));
  }
  return out;
}

bool NamesClass(const FilterNode& n) {
  if (n.kind == FilterNode::Kind::kCompare && n.def != nullptr && n.def->name == "class") {
    return true;
  }
  return std::any_of(n.children.begin(), n.children.end(), NamesClass);
}

}  // namespace

Result<Filter> SegmentEngine::WithClassRules(const Filter& filter) const {
  Filter out = filter;
  std::optional<ClassThresholds> t;
  if (classes_ != nullptr) {
    QUIRE_ASSIGN_OR_RETURN(ClassThresholds got, classes_->Get());
    t = got;
  }
  QUIRE_ASSIGN_OR_RETURN(out.root, ExpandClasses(filter.root, t ? &*t : nullptr));
  return out;
}

Result<SegmentAnswer> SegmentEngine::Run(const Filter& given, const Filter* scope,
                                         std::uint64_t after, std::size_t limit) const {
  std::optional<Filter> expanded;
  if (NamesClass(given.root)) {
    QUIRE_ASSIGN_OR_RETURN(Filter f, WithClassRules(given));
    expanded = std::move(f);
  }
  const Filter& filter = expanded ? *expanded : given;
  QUIRE_ASSIGN_OR_RETURN(Matches m,
                         Evaluate(store_, clock_, activities_, offers_, cases_, filter, scope));
  SegmentAnswer a;
  a.count = m.count;
  a.plan = std::move(m.plan);
  bool more = false;
  if (filter.target == Entity::kCustomer) {
    m.customers.Each(after + 1, [&](std::uint64_t id) {
      if (a.ids.size() == limit) {
        more = true;
        return false;
      }
      a.ids.push_back(id);
      return true;
    });
  } else {
    auto it = std::upper_bound(m.ids.begin(), m.ids.end(), after);
    for (; it != m.ids.end(); ++it) {
      if (a.ids.size() == limit) {
        more = true;
        break;
      }
      a.ids.push_back(*it);
    }
  }
  if (more && !a.ids.empty()) a.next = a.ids.back();
  return a;
}

Result<std::vector<std::uint64_t>> SegmentEngine::All(const Filter& given,
                                                      const Filter* scope) const {
  std::optional<Filter> expanded;
  if (NamesClass(given.root)) {
    QUIRE_ASSIGN_OR_RETURN(Filter f, WithClassRules(given));
    expanded = std::move(f);
  }
  const Filter& filter = expanded ? *expanded : given;
  QUIRE_ASSIGN_OR_RETURN(Matches m,
                         Evaluate(store_, clock_, activities_, offers_, cases_, filter, scope));
  if (filter.target != Entity::kCustomer) return std::move(m.ids);
  std::vector<std::uint64_t> ids;
  ids.reserve(m.count);
  m.customers.Each(0, [&](std::uint64_t id) {
    ids.push_back(id);
    return true;
  });
  return ids;
}

Result<std::size_t> SegmentEngine::BuildIfNeeded() {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> version,
                         store_.Get(ColumnFamily::kCrm, segment_keys::kVersion));
  if (version && *version == kIndexVersion) return 0;
  // Start from nothing: whatever an older layout left goes.
  {
    storage::WriteBatch clear;
    clear.DeleteRange(ColumnFamily::kCrm, "Q", "R");  // the indexes, and nothing else
    QUIRE_RETURN_IF_ERROR(store_.Write(clear));
  }
  std::size_t indexed = 0;
  storage::WriteBatch batch;
  auto flush = [&]() -> Result<void> {
    if (batch.empty()) return Ok();
    QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kNoSync));
    batch.Clear();
    return Ok();
  };
  auto each = [&](std::string_view prefix, auto parse, auto index) -> Result<void> {
    auto it = store_.ScanPrefix(ColumnFamily::kCrm, prefix);
    for (; it.Valid(); it.Next()) {
      auto record = parse(it.value());
      if (!record.has_value()) return std::move(record).error();
      index(*record);
      ++indexed;
      if (batch.count() >= 10'000) QUIRE_RETURN_IF_ERROR(flush());
    }
    return it.status();
  };
  QUIRE_RETURN_IF_ERROR(each(storage::KeyEncoder().U8('c').Take(), CustomerStore::FromStored,
                             [&](const Customer& c) { IndexSegments(nullptr, &c, batch); }));
  QUIRE_RETURN_IF_ERROR(each(storage::KeyEncoder().U8('a').Take(), ActivityStore::FromStored,
                             [&](const Activity& a) { IndexSegments(nullptr, &a, batch); }));
  QUIRE_RETURN_IF_ERROR(each(storage::KeyEncoder().U8('S').U8('o').Take(),
                             OfferStore::ParseStoredOffer,
                             [&](const Offer& o) { IndexSegments(nullptr, &o, batch); }));
  QUIRE_RETURN_IF_ERROR(each(storage::KeyEncoder().U8('S').U8('r').Take(),
                             OfferStore::ParseStoredOrder,
                             [&](const Order& o) { IndexSegments(nullptr, &o, batch); }));
  QUIRE_RETURN_IF_ERROR(each(storage::KeyEncoder().U8('S').U8('c').Take(), CaseStore::ParseStored,
                             [&](const ServiceCase& c) { IndexSegments(nullptr, &c, batch); }));
  // Campaign members, as their launches snapshotted them ('V' 'm' campaign customer).
  {
    const std::string members = storage::KeyEncoder().U8('V').U8('m').Take();
    auto it = store_.ScanPrefix(ColumnFamily::kCrm, members);
    for (; it.Valid(); it.Next()) {
      storage::KeyDecoder d(it.key().substr(members.size()));
      QUIRE_ASSIGN_OR_RETURN(std::uint64_t campaign, d.U64());
      QUIRE_ASSIGN_OR_RETURN(std::uint64_t customer, d.U64());
      batch.SetBit(
          ColumnFamily::kCrm,
          segment_keys::BitmapChunk(
              segment_keys::CustomerBitmap(kCampaignCode) +
                  segment_keys::FieldValue(FieldType::kId, "", static_cast<std::int64_t>(campaign)),
              customer),
          segment_keys::BitInChunk(customer), true);
      if (batch.count() >= 10'000) QUIRE_RETURN_IF_ERROR(flush());
    }
    QUIRE_RETURN_IF_ERROR(it.status());
  }
  // The customers' active months, from the counter sets the orders wrote (now in the store).
  QUIRE_RETURN_IF_ERROR(flush());
  QUIRE_RETURN_IF_ERROR(RebuildActiveMonths(store_));
  batch.Put(ColumnFamily::kCrm, segment_keys::kVersion, kIndexVersion);
  QUIRE_RETURN_IF_ERROR(flush());
  QUIRE_RETURN_IF_ERROR(store_.Flush(ColumnFamily::kCrm));
  return indexed;
}

// ---- Saved segments ------------------------------------------------------------------------

json::object SavedSegment::ToJson() const {
  json::object o;
  o["id"] = std::to_string(id);
  o["name"] = name;
  o["description"] = description;
  o["of"] = EntityPlural(target);
  o["text"] = text;
  if (Result<Filter> f = ParseFilterText(text, target); f.has_value()) o["filter"] = f->ToJson();
  o["owner"] = owner;
  internal::PutAnsweredStamps(o, created_by, created_at, modified_at);
  return o;
}

namespace {

json::object SegmentToStored(const SavedSegment& s) {
  json::object o;
  o["id"] = s.id;
  o["name"] = s.name;
  o["description"] = s.description;
  o["of"] = EntityPlural(s.target);
  o["text"] = s.text;
  o["owner"] = s.owner;
  internal::PutStoredStamps(o, s.created_by, s.created_at, s.modified_at);
  return o;
}

Result<SavedSegment> SegmentFromStored(std::string_view text) {
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(text, "segment"));
  SavedSegment s;
  s.id = static_cast<SegmentId>(IntOf(o, "id"));
  s.name = StrOf(o, "name");
  s.description = StrOf(o, "description");
  s.target = EntityFromName(StrOf(o, "of")).value_or(Entity::kCustomer);
  s.text = StrOf(o, "text");
  s.owner = StrOf(o, "owner");
  internal::ReadStoredStamps(o, s.created_by, s.created_at, s.modified_at);
  return s;
}

}  // namespace

Result<Filter> FilterFromRequest(const json::object& body) {
  Entity target = Entity::kCustomer;
  if (const json::value* of = body.if_contains("of")) {
    std::optional<Entity> e = of->is_string() ? EntityFromName(of->get_string()) : std::nullopt;
    if (!e) {
      return Error::ValidationFailed(
          "\"of\" names what the filter selects: customers, activities, offers, orders or cases",
          {{"of", "expected customers, activities, offers, orders or cases"}});
    }
    target = *e;
  }
  const json::value* text = body.if_contains("text");
  const json::value* filter = body.if_contains("filter");
  if ((text == nullptr) == (filter == nullptr)) {
    return Error::ValidationFailed(
        "send the filter as \"text\" (city = \"Kraków\" and tag = vip) or as \"filter\" (its "
        "JSON form), one of the two",
        {{text == nullptr ? "text" : "filter", "expected exactly one of text and filter"}});
  }
  if (text != nullptr) {
    if (!text->is_string()) {
      return Error::ValidationFailed("\"text\" must be the filter as text",
                                     {{"text", "expected text"}});
    }
    return ParseFilterText(text->get_string(), target);
  }
  return ParseFilterJson(*filter, target);
}

SegmentStore::SegmentStore(storage::Store& store, audit::AuditLog& audit, const Clock& clock)
    : store_(store), audit_(audit), clock_(clock) {}

Result<Filter> SegmentStore::FilterOf(const SavedSegment& s) {
  return ParseFilterText(s.text, s.target);
}

Result<SavedSegment> SegmentStore::Check(SavedSegment s, const json::object& fields) const {
  std::vector<ErrorDetail> problems;
  if (const json::value* v = fields.if_contains("name")) {
    s.name = v->is_string() ? std::string(v->get_string()) : "";
  }
  if (const json::value* v = fields.if_contains("description")) {
    s.description = v->is_string() ? std::string(v->get_string()) : "";
  }
  if (const json::value* v = fields.if_contains("owner"); v != nullptr && v->is_string()) {
    s.owner = std::string(v->get_string());
  }
  if (s.name.empty() || s.name.size() > 200) {
    problems.push_back({"name", "a segment needs a name of 1 to 200 characters"});
  }
  if (fields.contains("text") || fields.contains("filter") || fields.contains("of")) {
    json::object body;
    if (const json::value* v = fields.if_contains("of"))
      body["of"] = *v;
    else
      body["of"] = EntityPlural(s.target);
    if (const json::value* v = fields.if_contains("text")) body["text"] = *v;
    if (const json::value* v = fields.if_contains("filter")) body["filter"] = *v;
    if (!body.contains("text") && !body.contains("filter")) body["text"] = s.text;
    Result<Filter> f = FilterFromRequest(body);
    if (!f.has_value()) {
      for (const ErrorDetail& d : f.error().details()) problems.push_back(d);
      if (f.error().details().empty()) problems.push_back({"text", f.error().message()});
    } else {
      s.target = f->target;
      s.text = f->ToText();
    }
  } else if (s.text.empty()) {
    problems.push_back({"text", "a segment needs its filter: \"text\" or \"filter\""});
  }
  if (!problems.empty()) {
    std::string message =
        "the segment is not valid: " + problems[0].field + ": " + problems[0].message;
    return Error::ValidationFailed(std::move(message), std::move(problems));
  }
  return s;
}

Result<SavedSegment> SegmentStore::Create(const json::object& fields, const audit::Actor& actor) {
  SavedSegment s;
  s.owner = actor.id;
  QUIRE_ASSIGN_OR_RETURN(s, Check(std::move(s), fields));
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> taken,
                         store_.Get(ColumnFamily::kCrm, SegmentNameKey(s.name)));
  if (taken) {
    return Error::ValidationFailed(
        "a segment named '" + s.name + "' exists already (id " + *taken + "): choose another name",
        {{"name", "taken by segment " + *taken}});
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> next,
                         store_.Get(ColumnFamily::kCrm, kNextSegmentKey));
  s.id = next ? std::stoull(*next) : 1;
  s.created_by = actor.id;
  s.created_at = s.modified_at = clock_.Now();
  storage::WriteBatch batch;
  batch.Put(ColumnFamily::kCrm, SegmentKey(s.id), json::serialize(SegmentToStored(s)));
  batch.Put(ColumnFamily::kCrm, SegmentNameKey(s.name), std::to_string(s.id));
  batch.Put(ColumnFamily::kCrm, kNextSegmentKey, std::to_string(s.id + 1));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, "segment.created", "segment/" + std::to_string(s.id), {}}},
      s.created_at));
  return s;
}

Result<SavedSegment> SegmentStore::Update(SegmentId id, const json::object& patch,
                                          const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(SavedSegment before, Get(id));
  QUIRE_ASSIGN_OR_RETURN(SavedSegment s, Check(before, patch));
  storage::WriteBatch batch;
  if (SegmentNameKey(s.name) != SegmentNameKey(before.name)) {
    QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> taken,
                           store_.Get(ColumnFamily::kCrm, SegmentNameKey(s.name)));
    if (taken) {
      return Error::ValidationFailed("a segment named '" + s.name + "' exists already (id " +
                                         *taken + "): choose another name",
                                     {{"name", "taken by segment " + *taken}});
    }
    batch.Delete(ColumnFamily::kCrm, SegmentNameKey(before.name));
    batch.Put(ColumnFamily::kCrm, SegmentNameKey(s.name), std::to_string(id));
  }
  s.modified_at = clock_.Now();
  batch.Put(ColumnFamily::kCrm, SegmentKey(id), json::serialize(SegmentToStored(s)));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, "segment.changed", "segment/" + std::to_string(id), {}}},
      s.modified_at));
  return s;
}

Result<void> SegmentStore::Delete(SegmentId id, const audit::Actor& actor) {
  std::lock_guard lock(write_mu_);
  QUIRE_ASSIGN_OR_RETURN(SavedSegment s, Get(id));
  storage::WriteBatch batch;
  batch.Delete(ColumnFamily::kCrm, SegmentKey(id));
  batch.Delete(ColumnFamily::kCrm, SegmentNameKey(s.name));
  QUIRE_RETURN_IF_ERROR(audit_.Commit(
      std::move(batch), {{actor, "segment.deleted", "segment/" + std::to_string(id), {}}},
      clock_.Now()));
  return Ok();
}

Result<SavedSegment> SegmentStore::Get(SegmentId id) const {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text,
                         store_.Get(ColumnFamily::kCrm, SegmentKey(id)));
  if (!text) return Error::NotFound("no segment " + std::to_string(id));
  return SegmentFromStored(*text);
}

Result<SavedSegment> SegmentStore::Find(std::string_view id_or_name) const {
  if (!id_or_name.empty() && id_or_name.size() < 20 &&
      std::all_of(id_or_name.begin(), id_or_name.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    Result<SavedSegment> s = Get(std::stoull(std::string(id_or_name)));
    if (s.has_value() || s.error().code() != ErrorCode::kNotFound) return s;
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> id,
                         store_.Get(ColumnFamily::kCrm, SegmentNameKey(id_or_name)));
  if (!id) return Error::NotFound("no segment named '" + std::string(id_or_name) + "'");
  return Get(std::stoull(*id));
}

Result<std::vector<SavedSegment>> SegmentStore::List() const {
  std::vector<SavedSegment> out;
  auto it = store_.ScanPrefix(ColumnFamily::kCrm, storage::KeyEncoder().U8('V').U8('s').Take());
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(SavedSegment s, SegmentFromStored(it.value()));
    out.push_back(std::move(s));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

}  // namespace quire::crm
