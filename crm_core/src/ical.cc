#include "quire/crm/ical.h"

#include <libical/ical.h>

#include <map>
#include <memory>
#include <set>

#include "ical_lock.h"
#include "quire/base/instant.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using internal::IcalMutex;

std::int64_t Seconds(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
Timestamp FromSeconds(std::int64_t s) { return Timestamp(std::chrono::seconds(s)); }

struct ComponentDeleter {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentDeleter>;

icaltimezone* Builtin(const std::string& name) {  // REQUIRES: IcalMutex held
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return icaltimezone_get_utc_timezone();
  return icaltimezone_get_builtin_timezone(name.c_str());
}

// A time in `zone` as a property value with TZID=<IANA name>, or in UTC.
void AddTime(icalcomponent* event, icalproperty_kind kind, Timestamp t, bool date,
             const std::string& zone_name) {
  icaltimezone* utc = icaltimezone_get_utc_timezone();
  icaltimezone* zone = Builtin(zone_name);
  const bool local = !date && zone != nullptr && zone != utc;
  icaltimetype v = icaltime_from_timet_with_zone(Seconds(t), date ? 1 : 0, local ? zone : utc);
  if (local) v.zone = nullptr;  // written as local time, named by the TZID parameter
  icalproperty* p = nullptr;
  switch (kind) {
    case ICAL_DTSTART_PROPERTY:
      p = icalproperty_new_dtstart(v);
      break;
    case ICAL_DTEND_PROPERTY:
      p = icalproperty_new_dtend(v);
      break;
    default:
      p = icalproperty_new_exdate(v);
      break;
  }
  if (local) icalproperty_add_parameter(p, icalparameter_new_tzid(zone_name.c_str()));
  if (date) icalproperty_add_parameter(p, icalparameter_new_value(ICAL_VALUE_DATE));
  icalcomponent_add_property(event, p);
}

// Outlook writes Windows zone names; the common ones, as IANA names.
std::string IanaName(const std::string& tzid) {
  static const std::map<std::string, std::string> kWindows = {
      {"Central European Standard Time", "Europe/Warsaw"},
      {"Central Europe Standard Time", "Europe/Budapest"},
      {"W. Europe Standard Time", "Europe/Berlin"},
      {"Romance Standard Time", "Europe/Paris"},
      {"GMT Standard Time", "Europe/London"},
      {"E. Europe Standard Time", "Europe/Chisinau"},
      {"FLE Standard Time", "Europe/Kiev"},
      {"Russian Standard Time", "Europe/Moscow"},
      {"Eastern Standard Time", "America/New_York"},
      {"Central Standard Time", "America/Chicago"},
      {"Mountain Standard Time", "America/Denver"},
      {"Pacific Standard Time", "America/Los_Angeles"},
      {"UTC", "UTC"},
      {"Coordinated Universal Time", "UTC"}};
  if (auto it = kWindows.find(tzid); it != kWindows.end()) return it->second;
  // "/freeassociation.sourceforge.net/Europe/Warsaw", "/mozilla.org/20050126_1/Europe/Warsaw"
  for (const char* area : {"Europe/", "America/", "Asia/", "Africa/", "Australia/", "Pacific/",
                           "Atlantic/", "Indian/", "Etc/"}) {
    if (const auto at = tzid.find(area); at != std::string::npos) return tzid.substr(at);
  }
  return tzid;
}

// The line of each "BEGIN:VEVENT", and a check that every BEGIN has its END.
Result<std::vector<std::size_t>> EventLines(std::string_view text) {
  std::vector<std::size_t> lines;
  std::vector<std::pair<std::string, std::size_t>> open;
  std::size_t number = 0, pos = 0;
  bool calendar = false;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    auto upper = [](std::string_view s) {
      std::string u(s);
      for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return u;
    };
    const std::string u = upper(line);
    if (u.starts_with("BEGIN:")) {
      const std::string name = u.substr(6);
      if (name == "VCALENDAR") calendar = true;
      if (name == "VEVENT") lines.push_back(number);
      open.emplace_back(name, number);
    } else if (u.starts_with("END:")) {
      const std::string name = u.substr(4);
      if (open.empty() || open.back().first != name) {
        return Error::InvalidArgument(
            "line " + std::to_string(number) + ": END:" + name +
            (open.empty() ? " ends nothing"
                          : " where BEGIN:" + open.back().first + " of line " +
                                std::to_string(open.back().second) + " is still open"));
      }
      open.pop_back();
    }
    pos = end + 1;
  }
  if (!open.empty()) {
    return Error::InvalidArgument(
        "line " + std::to_string(open.back().second) + ": BEGIN:" + open.back().first +
        " never ends (END:" + open.back().first + " missing: a truncated file?)");
  }
  if (!calendar) {
    return Error::InvalidArgument("line 1: this is not an iCalendar file (BEGIN:VCALENDAR)");
  }
  return lines;
}

}  // namespace

std::string CalendarFeed(const std::vector<Activity>& activities, std::string_view name,
                         Timestamp now) {
  const std::lock_guard lock(IcalMutex());
  Component cal(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  icalcomponent_add_property(cal.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(cal.get(), icalproperty_new_prodid("-//Quire//CRM calendar//EN"));
  icalcomponent_add_property(cal.get(), icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(cal.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
  icalproperty* calname = icalproperty_new_x(std::string(name).c_str());
  icalproperty_set_x_name(calname, "X-WR-CALNAME");
  icalcomponent_add_property(cal.get(), calname);
  std::set<std::string> zones;
  icaltimezone* utc = icaltimezone_get_utc_timezone();
  for (const Activity& a : activities) {
    icalcomponent* ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    const std::string uid = "quire-activity-" + std::to_string(a.id);
    icalcomponent_add_property(ev, icalproperty_new_uid(uid.c_str()));
    icalcomponent_add_property(
        ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(Seconds(now), 0, utc)));
    icalcomponent_add_property(ev, icalproperty_new_lastmodified(icaltime_from_timet_with_zone(
                                       Seconds(a.modified_at), 0, utc)));
    const std::string zone = a.recurring() ? a.recurrence.time_zone : "UTC";
    if (zone != "UTC" && Builtin(zone) != nullptr) zones.insert(zone);
    AddTime(ev, ICAL_DTSTART_PROPERTY, a.start, a.all_day, zone);
    if (a.end > a.start) AddTime(ev, ICAL_DTEND_PROPERTY, a.end, a.all_day, zone);
    const std::string summary = a.title.empty() ? a.type : a.title;
    icalcomponent_add_property(ev, icalproperty_new_summary(summary.c_str()));
    if (!a.note.empty()) {
      icalcomponent_add_property(ev, icalproperty_new_description(a.note.c_str()));
    }
    icalcomponent_add_property(ev, icalproperty_new_categories(a.type.c_str()));
    icalcomponent_add_property(
        ev, icalproperty_new_status(a.status == "cancelled" ? ICAL_STATUS_CANCELLED
                                    : a.status == "planned" ? ICAL_STATUS_CONFIRMED
                                                            : ICAL_STATUS_CONFIRMED));
    if (a.recurring()) {
      icalcomponent_add_property(
          ev, icalproperty_new_rrule(icalrecurrencetype_from_string(a.recurrence.rule.c_str())));
      for (const Timestamp x : a.recurrence.exdates) {
        AddTime(ev, ICAL_EXDATE_PROPERTY, x, a.all_day, zone);
      }
    }
    icalcomponent_add_component(cal.get(), ev);
  }
  // Each zone used, as a VTIMEZONE whose TZID is its IANA name.
  for (const std::string& z : zones) {
    icalcomponent* vtz = icalcomponent_new_clone(icaltimezone_get_component(Builtin(z)));
    if (icalproperty* tzid = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)) {
      icalproperty_set_tzid(tzid, z.c_str());
    }
    icalcomponent_add_component(cal.get(), vtz);
  }
  char* text = icalcomponent_as_ical_string_r(cal.get());
  std::string out(text);
  free(text);  // NOLINT: libical's allocation
  return out;
}

Result<std::vector<IcalEvent>> ReadIcalEvents(std::string_view text, Timestamp now) {
  QUIRE_ASSIGN_OR_RETURN(std::vector<std::size_t> lines, EventLines(text));
  const std::lock_guard lock(IcalMutex());
  Component cal(icalparser_parse_string(std::string(text).c_str()));
  if (cal == nullptr) {
    return Error::InvalidArgument("line 1: the file cannot be read as iCalendar");
  }
  icalcomponent* root = cal.get();
  if (icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
    root = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
    if (root == nullptr) {
      return Error::InvalidArgument("line 1: no VCALENDAR in the file");
    }
  }
  std::vector<IcalEvent> out;
  icaltimezone* utc = icaltimezone_get_utc_timezone();
  std::size_t index = 0;
  for (icalcomponent* ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
       ev != nullptr; ev = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
    IcalEvent e;
    e.line = index < lines.size() ? lines[index] : 0;
    ++index;
    auto located = [&](const std::string& what) {
      return Error::InvalidArgument("line " + std::to_string(e.line) + ": " + what);
    };
    std::string zone_name = "UTC";
    // A property's time as an instant: in its TZID's zone (IANA, Windows, or the file's
    // VTIMEZONE), UTC, or floating (read as UTC).
    auto instant = [&](icalproperty* p, icaltimetype t) -> Timestamp {
      icaltimezone* zone = utc;
      if (icalparameter* tzid = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER)) {
        const std::string id = icalparameter_get_tzid(tzid);
        if (icaltimezone* z = Builtin(IanaName(id))) {
          zone = z;
          zone_name = IanaName(id);
        } else if (icaltimezone* own = icalcomponent_get_timezone(root, id.c_str())) {
          zone = own;
        }
      } else if (t.zone != nullptr) {
        zone = const_cast<icaltimezone*>(t.zone);  // NOLINT: libical's API
      }
      if (t.is_date) zone = utc;
      return FromSeconds(icaltime_as_timet_with_zone(t, zone));
    };
    icalproperty* dtstart = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    if (dtstart == nullptr) return located("the VEVENT has no DTSTART");
    const icaltimetype st = icalproperty_get_dtstart(dtstart);
    const Timestamp start = instant(dtstart, st);
    Timestamp end = start;
    if (icalproperty* dtend = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY)) {
      end = instant(dtend, icalproperty_get_dtend(dtend));
    } else if (icalproperty* dur = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY)) {
      end = start + std::chrono::seconds(icaldurationtype_as_int(icalproperty_get_duration(dur)));
    } else if (st.is_date) {
      end = start + std::chrono::days(1);
    }
    if (const char* uid = icalcomponent_get_uid(ev)) e.uid = uid;
    json::object& f = e.fields;
    f["type"] = "meeting";
    if (icalproperty* cat = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY)) {
      std::string c = icalproperty_get_categories(cat);
      for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      for (const char* t :
           {"call", "meeting", "email", "visit", "letter", "presentation", "task"}) {
        if (c == t) f["type"] = t;
      }
    }
    if (const char* s = icalcomponent_get_summary(ev)) f["title"] = std::string(s).substr(0, 300);
    std::string note;
    if (const char* d = icalcomponent_get_description(ev)) note = d;
    if (const char* loc = icalcomponent_get_location(ev); loc != nullptr && *loc != '\0') {
      note = std::string("Location: ") + loc + (note.empty() ? "" : "\n" + note);
    }
    if (!note.empty()) f["note"] = note.substr(0, 10'000);
    f["allDay"] = st.is_date == 1;
    f["start"] = FormatInstant(start);
    f["end"] = FormatInstant(end);
    const bool cancelled = icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
    if (icalproperty* rrule = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY)) {
      const icalrecurrencetype r = icalproperty_get_rrule(rrule);
      f["rrule"] = icalrecurrencetype_as_string(const_cast<icalrecurrencetype*>(&r));  // NOLINT
      f["timeZone"] = zone_name;
      json::array exdates;
      for (icalproperty* x = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY);
           x != nullptr; x = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
        exdates.emplace_back(FormatInstant(instant(x, icalproperty_get_exdate(x))));
      }
      if (!exdates.empty()) f["exdates"] = std::move(exdates);
    }
    f["status"] =
        cancelled ? "cancelled" : (end <= now && !f.contains("rrule") ? "done" : "planned");
    if (!e.uid.empty()) f["externalId"] = e.uid.substr(0, 100);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace quire::crm
