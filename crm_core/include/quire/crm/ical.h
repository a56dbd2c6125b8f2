// iCalendar (RFC 5545): activities written as a calendar feed that Thunderbird, Apple
// Calendar and Google Calendar subscribe to, and .ics files read as activities.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/clock.h"
#include "quire/base/result.h"
#include "quire/crm/activities.h"

namespace quire::crm {

// A VCALENDAR of the activities: one VEVENT each (UID quire-activity-N), recurring ones with
// their RRULE and EXDATEs in their time zone (with its VTIMEZONE), all-day ones as dates,
// cancelled ones STATUS:CANCELLED. Lines folded and text escaped as RFC 5545 says.
std::string CalendarFeed(const std::vector<Activity>& activities, std::string_view name,
                         Timestamp now);

// One VEVENT of an .ics file as the fields of an activity (ActivityStore's JSON).
struct IcalEvent {
  std::size_t line = 0;  // its BEGIN:VEVENT
  std::string uid;
  boost::json::object fields;
};

// Every VEVENT of the file. Times with a TZID are read in that zone (an IANA name, a Windows
// name Outlook writes, or the file's own VTIMEZONE); a series keeps its RRULE and EXDATEs.
// Errors: kInvalidArgument naming the line — a component that never ends (a truncated
// file), no VCALENDAR, a VEVENT without DTSTART.
Result<std::vector<IcalEvent>> ReadIcalEvents(std::string_view text, Timestamp now);

}  // namespace quire::crm
