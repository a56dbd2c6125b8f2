#include "quire/org/link.h"

namespace quire::org {
namespace {

bool IsKind(std::string_view kind) {
  if (kind.empty() || kind.size() > 32 || kind.front() < 'a' || kind.front() > 'z') return false;
  for (const char c : kind) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<void> CheckLink(const Link& l) {
  if (!IsKind(l.kind)) {
    return Error::InvalidArgument("'" + l.kind +
                                  "' is not a link kind: use lower-case letters such as "
                                  "instance, task, customer, offer");
  }
  if (l.id.empty() || l.id.size() > 200) {
    return Error::InvalidArgument("a " + l.kind + " link needs an id (1 to 200 characters)");
  }
  for (const char c : l.id) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return Error::InvalidArgument("the id of a " + l.kind + " link has a control character");
    }
  }
  return Ok();
}

Result<Link> ParseLink(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Error::InvalidArgument("'" + std::string(text) +
                                  "' is not a link: write kind:id, e.g. customer:c-42");
  }
  Link l{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  QUIRE_RETURN_IF_ERROR(CheckLink(l));
  return l;
}

std::string ToString(const Link& link) { return link.kind + ":" + link.id; }

}  // namespace quire::org
