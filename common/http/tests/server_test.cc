#include "common/http/server.h"

#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/http/tests/test_support.h"
#include "common/json/parser.h"
#include "common/json/writer.h"
#include "gtest/gtest.h"

namespace meridian::http {
namespace {

using testing::Client;
using testing::Get;
using testing::HttpResponse;
using testing::LoopThread;
using testing::WaitFor;


class ServerTest : public testing::ServerFixture {
 protected:
  void StartServer(ServerOptions options = {}, absl::string_view base_path = "") {
    router_ = std::make_unique<Router>(base_path);
    // Echoes method, path and query parameters as pretty JSON.
    router_->Add("/echo", [](const Request& req, Response* resp) {
      std::string out;
      json::Writer w = json::Writer::Pretty(&out);
      w.BeginObject().Member("method", req.method).Member("path", req.path);
      w.Key("params").BeginObject();
      for (const auto& [k, v] : req.query) w.Member(k, v);
      w.EndObject().Member("peer", req.peer).EndObject();
      RespondJson(req, 200, std::move(out), resp);
    });
    router_->Add("/varz", [](const Request& req, Response* resp) {
      RespondJson(req, 200, "{\n  \"server_id\": \"NTEST\"\n}", resp);
    });
    router_->Add("/big", [](const Request& req, Response* resp) {
      std::string body(4 << 20, 'x');
      for (size_t i = 0; i < body.size(); i += 1000) body[i] = static_cast<char>('a' + (i / 1000) % 26);
      resp->SetText(std::move(body));
    });
    router_->Add("/", [](const Request&, Response* resp) {
      resp->content_type = std::string(kContentTypeHtml);
      resp->body = "<html></html>";
    });
    Listen(options);
  }
};

TEST_F(ServerTest, GetWithQueryParams) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/echo?subs=detail&acc=A%20B&x=1+2&flag")));
  std::optional<HttpResponse> r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(r->Header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r->Header("Content-Length"), std::to_string(r->body.size()));
  ASSERT_TRUE(r->Header("Date").has_value());
  EXPECT_TRUE(absl::EndsWith(*r->Header("Date"), " GMT"));
  EXPECT_FALSE(r->Header("Connection").has_value());
  auto v = json::Parse(r->body);
  ASSERT_TRUE(v.ok()) << v.status() << r->body;
  EXPECT_EQ(*v->Find("method")->AsString(), "GET");
  EXPECT_EQ(*v->Find("path")->AsString(), "/echo");
  const json::Value* params = v->Find("params");
  EXPECT_EQ(*params->Find("subs")->AsString(), "detail");
  EXPECT_EQ(*params->Find("acc")->AsString(), "A B");
  EXPECT_EQ(*params->Find("x")->AsString(), "1 2");
  EXPECT_EQ(*params->Find("flag")->AsString(), "");
  EXPECT_TRUE(absl::StartsWith(*v->Find("peer")->AsString(), "127.0.0.1:"));
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  Client c(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(Get(absl::StrCat("/echo?n=", i))));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find(absl::StrCat("\"n\": \"", i, "\"")), std::string::npos);
  }
  ServerStats s = Stats();
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.open_connections, 1u);
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
  StartServer();
  Client c(port_);
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += Get(absl::StrCat("/echo?n=", i));
  batch += "HEAD /varz HTTP/1.1\r\nHost: h\r\n\r\n" + Get("/varz");
  ASSERT_TRUE(c.Send(batch));
  for (int i = 0; i < 20; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_NE(r->body.find(absl::StrCat("\"n\": \"", i, "\"")), std::string::npos) << i;
  }
  auto head = c.Read(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  auto varz = c.Read();
  ASSERT_TRUE(varz.has_value());
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(varz->body.size()));
  EXPECT_TRUE(c.buffered().empty());
}

TEST_F(ServerTest, PipelinedRequestsInRandomPieces) {
  StartServer();
  Client c(port_);
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += Get(absl::StrCat("/echo?n=", i));
  std::mt19937 rng(3);
  for (size_t pos = 0; pos < batch.size();) {
    size_t n = std::min<size_t>(1 + rng() % 40, batch.size() - pos);
    ASSERT_TRUE(c.Send(absl::string_view(batch).substr(pos, n)));
    pos += n;
    if (rng() % 8 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int i = 0; i < 50; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_NE(r->body.find(absl::StrCat("\"n\": \"", i, "\"")), std::string::npos) << i;
  }
}

TEST_F(ServerTest, Http10ClosesAfterTheResponse) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /varz HTTP/1.0\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status_line, "HTTP/1.0 200 OK");
  EXPECT_EQ(r->body, "{\n  \"server_id\": \"NTEST\"\n}");
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(ServerTest, Http10KeepAliveOnRequest) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /varz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("Connection"), "keep-alive");
  ASSERT_TRUE(c.Send("GET /varz HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(c.Read().has_value());
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(ServerTest, ConnectionCloseHonoured) {
  StartServer();
  Client c(port_);
  // The request after the "close" one is never answered.
  ASSERT_TRUE(c.Send(Get("/varz", "Connection: close\r\n") + Get("/varz")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(ServerTest, OversizeHeadGets431) {
  StartServer();
  {
    Client c(port_);
    std::string big = "GET /varz HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(20000, 'a') + "\r\n\r\n";
    c.Send(big);  // may fail midway once the server has answered and closed
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 431);
    EXPECT_EQ(r->body, "431 Request Header Fields Too Large");
    EXPECT_EQ(r->Header("Connection"), "close");
    EXPECT_TRUE(c.ReadsEof());
  }
  {  // Never terminated: answered as soon as the limit is crossed.
    Client c(port_);
    c.Send("GET /varz HTTP/1.1\r\nX-Pad: " + std::string(17000, 'a'));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 431);
  }
  EXPECT_GE(Stats().bad_requests, 2u);
}

TEST_F(ServerTest, GarbageGets400AndClose) {
  StartServer();
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("hello there\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status_line, "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(r->body, "400 Bad Request: malformed HTTP request");
    EXPECT_EQ(r->Header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_TRUE(c.ReadsEof());
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("GET /varz HTTP/1.1\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, "400 Bad Request: missing required Host header");
    EXPECT_TRUE(c.ReadsEof());
  }
  {  // A TLS ClientHello on the plain port.
    Client c(port_);
    std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    hello += std::string(500, '\x00') + "\n\n";
    ASSERT_TRUE(c.Send(hello));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 400);
  }
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("GET /varz HTTP/2.0\r\nHost: h\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 505);
  }
}

TEST_F(ServerTest, ClientVanishingMidRequestLeaksNothing) {
  StartServer();
  for (int i = 0; i < 10; ++i) {
    Client partial(port_);
    partial.Send("GET /varz HTTP/1.1\r\nHo");
    Client aborted(port_);
    aborted.Send("GET /varz HTT");
    aborted.Abort();
    Client gone(port_);  // full request, leaves before reading the answer
    gone.Send(Get("/big"));
    gone.Abort();
    Client silent(port_);
  }
  EXPECT_TRUE(WaitFor([&] { return Stats().open_connections == 0; }))
      << Stats().open_connections;
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/varz")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, HalfClosedClientStillGetsItsAnswer) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/big")));
  c.ShutdownWrite();
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body.size(), 4u << 20);
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(ServerTest, ManyConnections) {
  StartServer();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 300; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(clients[i]->Send(Get(absl::StrCat("/echo?i=", i))));
  for (int i = 0; i < 300; ++i) {
    auto r = clients[i]->Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_NE(r->body.find(absl::StrCat("\"i\": \"", i, "\"")), std::string::npos);
  }
  EXPECT_EQ(Stats().open_connections, 300u);
  clients.clear();
  EXPECT_TRUE(WaitFor([&] { return Stats().open_connections == 0; }));
}

TEST_F(ServerTest, MaxConnectionsRejectsTheExtraOnes) {
  StartServer(ServerOptions{.max_connections = 5});
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->Send(Get("/varz")));
    ASSERT_TRUE(clients.back()->Read().has_value());
  }
  Client extra(port_);
  extra.Send(Get("/varz"));
  EXPECT_TRUE(extra.ReadsEof());
  ServerStats s = Stats();
  EXPECT_EQ(s.connections_rejected, 1u);
  EXPECT_EQ(s.open_connections, 5u);
  clients.pop_back();
  ASSERT_TRUE(WaitFor([&] { return Stats().open_connections == 4; }));
  Client again(port_);
  ASSERT_TRUE(again.Send(Get("/varz")));
  EXPECT_TRUE(again.Read().has_value());
}

TEST_F(ServerTest, HeadHasHeadersOnly) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("HEAD /varz HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto head = c.Read(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), "26");
  EXPECT_EQ(head->Header("Content-Type"), "application/json");
  // Nothing else arrives; the connection still works.
  ASSERT_TRUE(c.Send(Get("/varz")));
  auto get = c.Read();
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->body.size(), 26u);
}

TEST_F(ServerTest, NotFoundLikeNatsServer) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/nope")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(r->body, "404 page not found\n");
  EXPECT_EQ(r->Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->Header("X-Content-Type-Options"), "nosniff");
  ASSERT_TRUE(c.Send(Get("/")));
  auto root = c.Read();
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Header("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(ServerTest, OtherMethodsGet405AndKeepTheConnection) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("POST /varz HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nabcde" + Get("/varz")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status_line, "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(r->Header("Allow"), "GET, HEAD");
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  ASSERT_TRUE(c.Send("DELETE /nope HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto del = c.Read();
  ASSERT_TRUE(del.has_value());
  EXPECT_EQ(del->status, 405);
}

TEST_F(ServerTest, BasePath) {
  StartServer({}, "/nats");
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/nats/varz") + Get("/varz") + Get("/nats")));
  EXPECT_EQ(c.Read()->status, 200);
  EXPECT_EQ(c.Read()->status, 404);
  EXPECT_EQ(c.Read()->Header("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(ServerTest, JsonpCallback) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/varz?callback=fn")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("Content-Type"), "application/javascript");
  EXPECT_EQ(r->body, "fn({\n  \"server_id\": \"NTEST\"\n})");
}

TEST_F(ServerTest, IdleAndReadTimeoutsClose) {
  StartServer(ServerOptions{.idle_timeout = absl::Milliseconds(100),
                            .read_timeout = absl::Milliseconds(150)});
  Client idle(port_);
  Client slow(port_);
  ASSERT_TRUE(slow.Send("GET /varz HTTP/1.1\r\n"));
  Client used(port_);
  ASSERT_TRUE(used.Send(Get("/varz")));
  ASSERT_TRUE(used.Read().has_value());
  EXPECT_TRUE(idle.ReadsEof(3000));
  EXPECT_TRUE(slow.ReadsEof(3000));
  EXPECT_TRUE(used.ReadsEof(3000));
  EXPECT_TRUE(WaitFor([&] { return Stats().timeouts == 3; }));
  EXPECT_EQ(Stats().open_connections, 0u);
}

TEST_F(ServerTest, TricklingClientIsCutOffByTheReadTimeout) {
  StartServer(ServerOptions{.read_timeout = absl::Milliseconds(200)});
  Client c(port_);
  const std::string request = Get("/varz", "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
  bool closed = false;
  for (char ch : request) {
    if (!c.Send(std::string(1, ch))) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(closed || c.ReadsEof(3000));
}

TEST_F(ServerTest, SlowReaderGetsALargeResponseIntact) {
  StartServer();
  Client c(port_, /*rcvbuf=*/64 * 1024);
  ASSERT_TRUE(c.Send(Get("/big") + Get("/big") + Get("/varz")));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server queues
  for (int n = 0; n < 2; ++n) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->body.size(), 4u << 20);
    for (size_t i = 0; i < r->body.size(); i += 1000) {
      ASSERT_EQ(r->body[i], static_cast<char>('a' + (i / 1000) % 26)) << i;
    }
  }
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, CloseDropsOpenConnections) {
  StartServer();
  Client a(port_), b(port_);
  ASSERT_TRUE(a.Send(Get("/varz")));
  ASSERT_TRUE(a.Read().has_value());
  b.Send("GET /va");
  ASSERT_TRUE(WaitFor([&] { return Stats().open_connections == 2; }));
  loop_.Run([&] { server_->Close(); });
  EXPECT_TRUE(a.ReadsEof());
  EXPECT_TRUE(b.ReadsEof());
  Client late(port_);
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, HandlerMayCloseTheServer) {
  router_ = nullptr;
  Server* raw = nullptr;
  server_ = std::make_unique<Server>(
      loop_.loop(), [&raw](const Request&, Response* resp) {
        raw->Close();
        resp->SetText("bye");
      });
  raw = server_.get();
  ASSERT_TRUE(server_->Listen("127.0.0.1:0").ok());
  loop_.Start();
  Client c(server_->port());
  ASSERT_TRUE(c.Send(Get("/x")));
  EXPECT_TRUE(c.ReadsEof());
}

TEST(ServerListenTest, Errors) {
  LoopThread loop;
  Server a(loop.loop(), [](const Request&, Response*) {});
  EXPECT_EQ(a.Listen("8222").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Listen("127.0.0.1:99999").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Listen("::1:80").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(a.Listen("localhost:0").ok());
  EXPECT_GT(a.port(), 0);
  EXPECT_EQ(a.Listen("127.0.0.1:0").code(), absl::StatusCode::kFailedPrecondition);
  Server b(loop.loop(), [](const Request&, Response*) {});
  absl::Status s = b.Listen(absl::StrCat("127.0.0.1:", a.port()));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("address already in use"), std::string::npos) << s;
  Server v6(loop.loop(), [](const Request&, Response*) {});
  if (v6.Listen("[::1]:0").ok()) {
    EXPECT_GT(v6.port(), 0);
  }
  a.Close();
  b.Close();
  v6.Close();
  EXPECT_EQ(loop.Stop(), 0);
}

}  // namespace
}  // namespace meridian::http
