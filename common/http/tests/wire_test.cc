#include "common/http/wire.h"

#include <random>

#include "gtest/gtest.h"

namespace meridian::http {
namespace {

struct Parsed {
  ParseOutcome outcome;
  Request request;
};

Parsed ParseAll(absl::string_view text, WireLimits limits = {}) {
  RequestParser parser(limits);
  Parsed p;
  p.outcome = parser.Parse(text, &p.request);
  return p;
}

TEST(RequestParserTest, SimpleGet) {
  const std::string text = "GET /connz?subs=detail&acc=A%20B HTTP/1.1\r\nHost: localhost:8222\r\n"
                           "User-Agent: curl/8.0\r\nAccept:  */*  \r\n\r\n";
  Parsed p = ParseAll(text);
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kComplete);
  EXPECT_EQ(p.outcome.consumed, text.size());
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.target, "/connz?subs=detail&acc=A%20B");
  EXPECT_EQ(p.request.path, "/connz");
  EXPECT_EQ(p.request.raw_query, "subs=detail&acc=A%20B");
  EXPECT_EQ(p.request.version_minor, 1);
  EXPECT_EQ(p.request.Param("acc"), "A B");
  ASSERT_NE(p.request.Header("accept"), nullptr);
  EXPECT_EQ(*p.request.Header("accept"), "*/*");
  EXPECT_EQ(p.request.headers.size(), 3u);
}

TEST(RequestParserTest, BareLineFeedsLeadingBlankLinesAndHttp10WithoutHost) {
  Parsed p = ParseAll("\r\n\nGET /varz HTTP/1.0\nX-A: 1\n\n");
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kComplete);
  EXPECT_EQ(p.request.version_minor, 0);
  EXPECT_EQ(p.request.path, "/varz");
  EXPECT_EQ(*p.request.Header("x-a"), "1");
}

TEST(RequestParserTest, PathIsDecodedAbsoluteFormAccepted) {
  Parsed p = ParseAll("GET /a%2Fb+c HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kComplete);
  EXPECT_EQ(p.request.path, "/a/b+c");
  p = ParseAll("GET http://h:8222/varz?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kComplete);
  EXPECT_EQ(p.request.path, "/varz");
  EXPECT_EQ(p.request.Param("x"), "1");
  p = ParseAll("GET http://h:8222 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kComplete);
  EXPECT_EQ(p.request.path, "/");
}

TEST(RequestParserTest, IncompleteUntilTheBlankLine) {
  RequestParser parser;
  Request r;
  std::string buf = "GET / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(parser.Parse(buf, &r).kind, ParseOutcome::kIncomplete);
  buf += "\r";
  EXPECT_EQ(parser.Parse(buf, &r).kind, ParseOutcome::kIncomplete);
  buf += "\n";
  EXPECT_EQ(parser.Parse(buf, &r).kind, ParseOutcome::kComplete);
}

TEST(RequestParserTest, BodyByContentLength) {
  RequestParser parser;
  Request r;
  std::string buf = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\nhello\n\nwor";
  EXPECT_EQ(parser.Parse(buf, &r).kind, ParseOutcome::kIncomplete);
  buf += "ldGET";
  ParseOutcome o = parser.Parse(buf, &r);
  ASSERT_EQ(o.kind, ParseOutcome::kComplete);
  EXPECT_EQ(r.body, "hello\n\nworld");
  EXPECT_EQ(buf.substr(o.consumed), "GET");
}

TEST(RequestParserTest, PipelinedRequestsOneAtATime) {
  const std::string text =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\n";
  RequestParser parser;
  Request r;
  absl::string_view rest = text;
  ParseOutcome o = parser.Parse(rest, &r);
  ASSERT_EQ(o.kind, ParseOutcome::kComplete);
  EXPECT_EQ(r.path, "/a");
  rest.remove_prefix(o.consumed);
  o = parser.Parse(rest, &r);
  ASSERT_EQ(o.kind, ParseOutcome::kComplete);
  EXPECT_EQ(r.path, "/b");
  rest.remove_prefix(o.consumed);
  EXPECT_EQ(parser.Parse(rest, &r).kind, ParseOutcome::kIncomplete);
}

TEST(RequestParserTest, HeadLimit431) {
  WireLimits limits{.max_head_bytes = 100};
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  Parsed p = ParseAll(big, limits);
  EXPECT_EQ(p.outcome.kind, ParseOutcome::kError);
  EXPECT_EQ(p.outcome.error_status, 431);
  // Unterminated and already over the limit.
  p = ParseAll("GET / HTTP/1.1\r\nX: " + std::string(200, 'a'), limits);
  EXPECT_EQ(p.outcome.error_status, 431);
  // Exactly at the limit is fine.
  std::string exact = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  exact.insert(exact.size() - 2, "X: " + std::string(100 - exact.size() - 5, 'a') + "\r\n");
  ASSERT_EQ(exact.size(), 100u);
  EXPECT_EQ(ParseAll(exact, limits).outcome.kind, ParseOutcome::kComplete);
}

struct BadCase {
  std::string text;
  int status;
  std::string detail;
};

class BadRequestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadRequestTest, Rejected) {
  Parsed p = ParseAll(GetParam().text, WireLimits{.max_head_bytes = 16384, .max_body_bytes = 10});
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kError) << GetParam().text;
  EXPECT_EQ(p.outcome.error_status, GetParam().status) << GetParam().text;
  EXPECT_EQ(p.outcome.error_detail, GetParam().detail) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    All, BadRequestTest,
    ::testing::Values(
        BadCase{"hello world\r\n\r\n", 400, "malformed HTTP request"},
        BadCase{"GET /\r\n\r\n", 400, "malformed HTTP request"},
        BadCase{"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed HTTP request"},
        BadCase{"GET / HTTP/1.1 x\r\nHost: h\r\n\r\n", 400, "malformed HTTP request"},
        BadCase{"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid method"},
        BadCase{"GET / HTTP/1.1\x01\r\nHost: h\r\n\r\n", 400, "malformed HTTP version"},
        BadCase{"GET / HTTP/11\r\nHost: h\r\n\r\n", 400, "malformed HTTP version"},
        BadCase{"GET / http/1.1\r\nHost: h\r\n\r\n", 400, "malformed HTTP version"},
        BadCase{"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "unsupported protocol version"},
        BadCase{"GET varz HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request URI"},
        BadCase{"GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request URI"},
        BadCase{"GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request URI"},
        BadCase{"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request URI"},
        BadCase{"GET / HTTP/1.1\r\n\r\n", 400, "missing required Host header"},
        BadCase{"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "too many Host headers"},
        BadCase{"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400, "obsolete line folding"},
        BadCase{"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400, "malformed MIME header line"},
        BadCase{"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "invalid header name"},
        BadCase{"GET / HTTP/1.1\r\n: h\r\n\r\n", 400, "invalid header name"},
        BadCase{"GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n", 400, "invalid header value"},
        BadCase{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "bad Content-Length"},
        BadCase{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
                "bad Content-Length"},
        BadCase{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400,
                "bad Content-Length"},
        BadCase{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 413, ""},
        BadCase{"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
                "unsupported transfer encoding"},
        BadCase{std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n", 13), 400,
                "malformed HTTP request"}));

// Feeding the same bytes in arbitrary pieces gives the same requests.
TEST(RequestParserTest, RandomSplitPoints) {
  const std::string stream =
      "GET /varz HTTP/1.1\r\nHost: h\r\n\r\n"
      "HEAD /connz?subs=1&acc=%24G HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n"
      "\r\nPOST /x HTTP/1.1\nHost: h\nContent-Length: 5\n\nab\r\nc"
      "GET /subsz?test=foo.%3E HTTP/1.0\r\n\r\n";
  const std::vector<std::string> want_paths = {"/varz", "/connz", "/x", "/subsz"};
  std::mt19937 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    RequestParser parser;
    std::string buffer;
    std::vector<Request> got;
    size_t pos = 0;
    while (pos < stream.size()) {
      size_t n = 1 + rng() % 24;
      buffer.append(stream, pos, n);
      pos += n;
      while (true) {
        Request r;
        ParseOutcome o = parser.Parse(buffer, &r);
        ASSERT_NE(o.kind, ParseOutcome::kError) << iter;
        if (o.kind == ParseOutcome::kIncomplete) break;
        got.push_back(std::move(r));
        buffer.erase(0, o.consumed);
      }
    }
    ASSERT_EQ(got.size(), want_paths.size()) << iter;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].path, want_paths[i]);
    EXPECT_EQ(got[1].Param("acc"), "$G");
    EXPECT_EQ(got[2].body, "ab\r\nc");
    EXPECT_EQ(got[3].Param("test"), "foo.>");
    EXPECT_TRUE(buffer.empty());
  }
}

TEST(RequestParserTest, RandomGarbageNeverCrashes) {
  std::mt19937 rng(99);
  const std::string alphabet = "GET /?=&%HTP1.0\r\n: \x01\xff" "abcHost";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    size_t len = rng() % 80;
    for (size_t i = 0; i < len; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
    RequestParser parser(WireLimits{.max_head_bytes = 64, .max_body_bytes = 8});
    Request r;
    ParseOutcome o = parser.Parse(text, &r);
    if (o.kind == ParseOutcome::kComplete) {
      EXPECT_LE(o.consumed, text.size());
    }
  }
}

TEST(SerializeTest, JsonResponseLikeGo) {
  Response r;
  r.SetJson("{\"a\":1}");
  std::string out;
  SerializeResponse(r, {.date = "Sun, 06 Nov 1994 08:49:37 GMT", .allow_origin = "*"}, &out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\n"
            "Access-Control-Allow-Origin: *\r\n"
            "Content-Length: 7\r\n"
            "Content-Type: application/json\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "\r\n"
            "{\"a\":1}");
}

TEST(SerializeTest, HeadCloseAndExtraHeaders) {
  Response r;
  r.status = 404;
  r.body = "404 page not found\n";
  r.AddHeader("X-Content-Type-Options", "nosniff");
  r.AddHeader("X-Evil", "a\r\nSet-Cookie: b");
  r.AddHeader("Content-Length", "999");  // ignored: framing is the server's
  std::string out;
  SerializeResponse(r, {.head = true, .keep_alive = false}, &out);
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\n"
            "Connection: close\r\n"
            "Content-Length: 19\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "X-Evil: a  Set-Cookie: b\r\n"
            "\r\n");
}

TEST(SerializeTest, Http10AndBodylessStatuses) {
  Response r;
  r.SetText("hi");
  std::string out;
  SerializeResponse(r, {.version_minor = 0, .keep_alive = false}, &out);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi");
  out.clear();
  SerializeResponse(r, {.version_minor = 0, .keep_alive = true}, &out);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
  out.clear();
  r.status = 204;
  SerializeResponse(r, {}, &out);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\n\r\n");
  out.clear();
  Response odd;
  odd.status = 599;
  SerializeResponse(odd, {}, &out);
  EXPECT_EQ(out, "HTTP/1.1 599 status code 599\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializeTest, HandlerOriginWins) {
  Response r;
  r.AddHeader("access-control-allow-origin", "https://example.com");
  std::string out;
  SerializeResponse(r, {.allow_origin = "*"}, &out);
  EXPECT_NE(out.find("access-control-allow-origin: https://example.com\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Access-Control-Allow-Origin: *"), std::string::npos);
}

TEST(HttpDateTest, ImfFixdate) {
  std::string out;
  AppendHttpDate(absl::FromUnixSeconds(784111777), &out);
  EXPECT_EQ(out, "Sun, 06 Nov 1994 08:49:37 GMT");
  out.clear();
  AppendHttpDate(absl::FromUnixSeconds(1234567890), &out);
  EXPECT_EQ(out, "Fri, 13 Feb 2009 23:31:30 GMT");
}

}  // namespace
}  // namespace meridian::http
