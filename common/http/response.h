// What a handler fills in; the server adds the framing headers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/http/request.h"
#include "common/http/responder.h"

namespace meridian::http {

inline constexpr absl::string_view kContentTypeJson = "application/json";
inline constexpr absl::string_view kContentTypeJavascript = "application/javascript";
inline constexpr absl::string_view kContentTypeText = "text/plain; charset=utf-8";
inline constexpr absl::string_view kContentTypeHtml = "text/html; charset=utf-8";

struct Response {
  int status = 200;
  // Empty with a non-empty body means kContentTypeText (what Go's content
  // sniffing picks for nats-server's plain-text errors).
  std::string content_type;
  std::string body;
  // Extra headers. The server always sets Content-Length, Date and
  // Connection, and Access-Control-Allow-Origin unless given here.
  HeaderList headers;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  void SetJson(std::string json, int code = 200) {
    status = code;
    content_type = std::string(kContentTypeJson);
    body = std::move(json);
  }
  void SetText(std::string text, int code = 200) {
    status = code;
    content_type = std::string(kContentTypeText);
    body = std::move(text);
  }

  // Answers later instead: the handler returns without filling this
  // Response (whatever it holds is ignored) and completes the Responder,
  // from any thread (see responder.h). Only the Response a Server hands to
  // its handler can defer, and only while that handler runs; elsewhere (a
  // copy, a Response built in a test) this returns an invalid Responder.
  // Calling it again in the same handler returns the same answer's Responder.
  Responder Defer();

  // Set by the server before calling the handler; not copied with the Response.
  internal::DeferHook defer_hook;
};

// nats-server's handleResponse (server/monitor.go): the JSON as is, or, when
// the request has ?callback=fn, JSONP `fn(<json>)` as application/javascript.
void RespondJson(const Request& request, int status, std::string json, Response* response);

// Go's http.NotFound: 404, "404 page not found\n", text/plain, nosniff.
void RespondNotFound(Response* response);

// "OK", "Not Found", ...; "status code N" for codes it does not know (Go's text).
std::string ReasonPhrase(int status);

// RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
void AppendHttpDate(absl::Time t, std::string* out);

}  // namespace meridian::http
