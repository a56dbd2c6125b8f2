// Phone numbers as people type them ("601 234 567", "+48 (22) 123-45-67", "0048 601...")
// read with libphonenumber and kept in E.164 ("+48601234567"), so that one number is one
// key: the CTI screen pop finds a caller however the number was entered.
#pragma once

#include <string>
#include <string_view>

#include "quire/base/result.h"

namespace quire::crm {

// The region a number without a country code belongs to.
inline constexpr std::string_view kDefaultPhoneRegion = "PL";

// The number in E.164. Accepts what could be a number of its country (its length fits);
// whether it is assigned is PhoneIsValid's question. Errors: kInvalidArgument saying why.
Result<std::string> NormalizePhone(std::string_view typed,
                                   std::string_view region = kDefaultPhoneRegion);

// True when an E.164 number belongs to a range in use (the data-quality report's test).
bool PhoneIsValid(std::string_view e164);

}  // namespace quire::crm
