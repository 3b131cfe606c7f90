#include "common/http/response.h"

#include "absl/strings/str_cat.h"

namespace meridian::http {
namespace {

void Append2(int v, std::string* out) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

void RespondJson(const Request& request, int status, std::string json, Response* response) {
  response->status = status;
  std::optional<std::string> callback = request.Param("callback");
  if (callback.has_value() && !callback->empty()) {
    response->content_type = std::string(kContentTypeJavascript);
    response->body = absl::StrCat(*callback, "(", json, ")");
    return;
  }
  response->content_type = std::string(kContentTypeJson);
  response->body = std::move(json);
}

void RespondNotFound(Response* response) {
  response->status = 404;
  response->content_type = std::string(kContentTypeText);
  response->body = "404 page not found\n";
  response->AddHeader("X-Content-Type-Options", "nosniff");
}

std::string ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return absl::StrCat("status code ", status);
  }
}

void AppendHttpDate(absl::Time t, std::string* out) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  const absl::Weekday wd = absl::GetWeekday(cs);  // kMonday == 0
  out->append(kDays[static_cast<int>(wd)]);
  out->append(", ");
  Append2(cs.day(), out);
  out->push_back(' ');
  out->append(kMonths[cs.month() - 1]);
  out->push_back(' ');
  absl::StrAppend(out, cs.year());
  out->push_back(' ');
  Append2(cs.hour(), out);
  out->push_back(':');
  Append2(cs.minute(), out);
  out->push_back(':');
  Append2(cs.second(), out);
  out->append(" GMT");
}

}  // namespace meridian::http
