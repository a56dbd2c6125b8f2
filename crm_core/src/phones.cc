#include "quire/crm/phones.h"

#include <phonenumbers/phonenumberutil.h>

namespace quire::crm {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

Result<std::string> NormalizePhone(std::string_view typed, std::string_view region) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::string text(typed);
  auto refuse = [&](std::string_view why) {
    return Error::InvalidArgument("'" + text + "' is not a phone number: " + std::string(why));
  };
  if (text.size() > 64) return refuse("it is longer than 64 characters");
  PhoneNumber number;
  switch (util.Parse(text, std::string(region), &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return refuse("its country code is unknown (write +48 601 234 567, or 601 234 567 in " +
                    std::string(region) + ")");
    case PhoneNumberUtil::TOO_SHORT_NSN:
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return refuse("it is too short");
    case PhoneNumberUtil::TOO_LONG_NSN:
      return refuse("it is too long");
    default:
      return refuse("it holds no digits of a number");
  }
  if (number.has_extension()) return refuse("an extension does not belong in the number");
  switch (util.IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::IS_POSSIBLE:
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return refuse("its country code is unknown");
    case PhoneNumberUtil::TOO_SHORT:
      return refuse("it is too short for its country");
    case PhoneNumberUtil::TOO_LONG:
      return refuse("it is too long for its country");
    default:
      return refuse("its length fits no number of its country");
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool PhoneIsValid(std::string_view e164) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return false;
  }
  return util.IsValidNumber(number);
}

}  // namespace quire::crm
