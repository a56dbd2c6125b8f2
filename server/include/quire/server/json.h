// JSON at the HTTP edge, with Boost.JSON.
//
// Every error leaves the server in one shape, with the status its code maps to:
//   {"error": {"code": "not_found", "message": "...", "details": [{"field": ..., "message": ...}]}}
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string_view>

#include "quire/base/error.h"
#include "quire/base/result.h"
#include "quire/server/http.h"

namespace quire::server {

// The HTTP status for an error code (NotFound → 404, Conflict → 409, ...).
int HttpStatus(ErrorCode code);

Response JsonResponse(int status, const boost::json::value& body);

// A list answer, the one shape of every list (docs/api.md): {"items": [...], "next": cursor},
// `next` being null on the last page; the following page is asked for with ?after=cursor.
boost::json::object Page(boost::json::array items, std::string_view next = {});

// A domain error, with the status its code maps to.
Response ErrorResponse(const Error& error);
// A protocol-level error that has no domain code (405 method_not_allowed, 413, ...).
Response ErrorResponse(int status, std::string_view code, std::string_view message);

// The request body as JSON. Fails with kInvalidArgument naming the byte offset of the
// first syntax error, or saying the body is empty.
Result<boost::json::value> ParseJsonBody(const Request& request);
// As ParseJsonBody, and the top level must be an object.
Result<boost::json::object> ParseJsonObject(const Request& request);

}  // namespace quire::server
