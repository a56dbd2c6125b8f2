#include "quire/server/json.h"

#include "quire/base/json_text.h"

#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

namespace quire::server {

int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kValidationFailed:
      return 422;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kTooManyRequests:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kDeadlineExceeded:
      return 504;
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

boost::json::object Page(boost::json::array items, std::string_view next) {
  return {{"items", std::move(items)},
          {"next",
           next.empty() ? boost::json::value() : boost::json::value(boost::json::string(next))}};
}

Response JsonResponse(int status, const boost::json::value& body) {
  Response response;
  response.status = status;
  response.body = JsonText(body);
  return response;
}

namespace {

Response MakeErrorResponse(int status, std::string_view code, std::string_view message,
                           const std::vector<ErrorDetail>& details) {
  boost::json::array detail_array;
  for (const ErrorDetail& d : details) {
    detail_array.push_back(boost::json::object{{"field", d.field}, {"message", d.message}});
  }
  return JsonResponse(
      status, boost::json::object{
                  {"error", boost::json::object{
                                {"code", code}, {"message", message}, {"details", detail_array}}}});
}

}  // namespace

Response ErrorResponse(const Error& error) {
  Response response = MakeErrorResponse(HttpStatus(error.code()), ErrorCodeName(error.code()),
                                        error.message(), error.details());
  if (error.code() == ErrorCode::kTooManyRequests) {
    for (const ErrorDetail& d : error.details()) {
      if (d.field == "retryAfter") response.headers.push_back({"Retry-After", d.message});
    }
  }
  return response;
}

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  return MakeErrorResponse(status, code, message, {});
}

Result<boost::json::value> ParseJsonBody(const Request& request) {
  if (request.body.empty()) {
    return Error::InvalidArgument("the request body is empty; send a JSON document");
  }
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::json::stream_parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(request.body.data(), request.body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return Error::InvalidArgument("the request body is not valid JSON (at byte " +
                                  std::to_string(used) + "): " + ec.message());
  }
  return parser.release();
}

Result<boost::json::object> ParseJsonObject(const Request& request) {
  QUIRE_ASSIGN_OR_RETURN(boost::json::value value, ParseJsonBody(request));
  if (!value.is_object()) {
    return Error::InvalidArgument("the request body must be a JSON object ({...})");
  }
  return std::move(value.as_object());
}

}  // namespace quire::server
