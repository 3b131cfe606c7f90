// Deferred answers (Response::Defer / Responder) against a real Server on a
// loop thread, with real sockets; answers are completed from other threads.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "common/http/server.h"
#include "common/http/tests/test_support.h"
#include "gtest/gtest.h"

namespace meridian::http {
namespace {

using testing::Client;
using testing::Get;
using testing::HttpResponse;
using testing::LoopThread;
using testing::WaitFor;


Response Text(std::string body) {
  Response r;
  r.SetText(std::move(body));
  return r;
}

// The Responders of deferred requests, handed from the loop thread to the test.
class Pending {
 public:
  struct Entry {
    std::string tag;  // the request's ?n=
    Responder responder;
  };

  void Add(std::string tag, Responder responder) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(Entry{std::move(tag), std::move(responder)});
    cv_.notify_all();
  }

  // The oldest deferred request not taken yet; nullopt after 5 s.
  std::optional<Entry> Take() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(5), [&] { return !entries_.empty(); })) {
      return std::nullopt;
    }
    Entry e = std::move(entries_.front());
    entries_.pop_front();
    return e;
  }

  void Clear() {
    std::deque<Entry> dropped;
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(entries_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> entries_;
};

// Completes `responder` from a new thread after `delay`, like a gRPC callback.
std::thread CompleteLater(Responder responder, Response response,
                          std::chrono::milliseconds delay = std::chrono::milliseconds(20)) {
  return std::thread([responder = std::move(responder), response = std::move(response), delay]() mutable {
    std::this_thread::sleep_for(delay);
    responder.Complete(std::move(response));
  });
}

class DeferredTest : public testing::ServerFixture {
 protected:
  void StartServer(ServerOptions options = {}) {
    router_ = std::make_unique<Router>();
    router_->Add("/later", [this](const Request& req, Response* resp) {
      resp->SetText("ignored");  // whatever the handler leaves here is not sent
      pending_.Add(req.Param("n").value_or(""), resp->Defer());
    });
    router_->Add("/echo", [](const Request& req, Response* resp) {
      resp->SetText(absl::StrCat("echo ", req.Param("n").value_or("")));
    });
    router_->Add("/drop", [](const Request&, Response* resp) { resp->Defer(); });
    router_->Add("/twice", [this](const Request&, Response* resp) {
      Responder first = resp->Defer();
      Responder second = resp->Defer();
      EXPECT_TRUE(first.valid());
      EXPECT_TRUE(second.valid());
      pending_.Add("twice", second);
      first.Complete(Text("first"));
      second.Complete(Text("second"));  // ignored: the same answer
    });
    router_->Add("/now", [](const Request&, Response* resp) {
      resp->Defer().Complete(Text("completed in the handler"));
    });
    Listen(options);
  }

  void TearDown() override {
    ServerFixture::TearDown();
    pending_.Clear();  // Responders outliving the loop: harmless
  }

  Pending pending_;
};

TEST_F(DeferredTest, CompletedFromAnotherThread) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/later?n=1")));
  auto e = pending_.Take();
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->responder.valid());
  Response answer;
  answer.SetJson("{\"ok\":true}");
  answer.AddHeader("X-Extra", "yes");
  std::thread t = CompleteLater(e->responder, std::move(answer), std::chrono::milliseconds(50));
  auto r = c.Read();
  t.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r->body, "{\"ok\":true}");
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(r->Header("Content-Length"), "11");
  EXPECT_EQ(r->Header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r->Header("X-Extra"), "yes");
  EXPECT_TRUE(r->Header("Date").has_value());
  EXPECT_FALSE(r->Header("Connection").has_value());
  // A second Complete (from any copy) is ignored; the connection goes on.
  e->responder.Complete(Text("again"));
  ASSERT_TRUE(c.Send(Get("/echo?n=2")));
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "echo 2");
  ServerStats s = Stats();
  EXPECT_EQ(s.deferred, 1u);
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.bad_requests, 0u);
}

TEST_F(DeferredTest, PipelinedRequestsWaitAndStayInOrder) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/later?n=0") + Get("/echo?n=1") + Get("/later?n=2") + Get("/echo?n=3") +
                     Get("/echo?n=4")));
  auto first = pending_.Take();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->tag, "0");
  // Nothing is answered while the first one is outstanding.
  EXPECT_FALSE(c.Read(false, 100).has_value());
  std::thread t = CompleteLater(first->responder, Text("later 0"));
  auto r0 = c.Read();
  auto r1 = c.Read();
  t.join();
  ASSERT_TRUE(r0.has_value());
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r0->body, "later 0");
  EXPECT_EQ(r1->body, "echo 1");
  auto second = pending_.Take();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->tag, "2");
  // More requests arriving while parked queue up behind it as well.
  ASSERT_TRUE(c.Send(Get("/echo?n=5")));
  std::thread t2 = CompleteLater(second->responder, Text("later 2"));
  for (const char* want : {"later 2", "echo 3", "echo 4", "echo 5"}) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << want;
    EXPECT_EQ(r->body, want);
  }
  t2.join();
  EXPECT_TRUE(c.buffered().empty());
  EXPECT_EQ(Stats().deferred, 2u);
}

TEST_F(DeferredTest, HeadAndHttp10Framing) {
  StartServer();
  {  // HEAD: headers with the body's length, no body; the connection goes on.
    Client c(port_);
    ASSERT_TRUE(c.Send("HEAD /later HTTP/1.1\r\nHost: h\r\n\r\n" + Get("/echo?n=1")));
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value());
    std::thread t = CompleteLater(e->responder, Text("hello"));
    auto head = c.Read(/*head=*/true);
    t.join();
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->Header("Content-Length"), "5");
    auto next = c.Read();
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->body, "echo 1");
  }
  {  // HTTP/1.0: answered as 1.0, then closed; what follows is never answered.
    Client c(port_);
    ASSERT_TRUE(c.Send("GET /later HTTP/1.0\r\n\r\n" + Get("/echo?n=1")));
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value());
    std::thread t = CompleteLater(e->responder, Text("old"));
    auto r = c.Read();
    t.join();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status_line, "HTTP/1.0 200 OK");
    EXPECT_EQ(r->body, "old");
    EXPECT_FALSE(r->Header("Connection").has_value());
    EXPECT_TRUE(c.ReadsEof());
  }
  {  // HTTP/1.0 keep-alive on request.
    Client c(port_);
    ASSERT_TRUE(c.Send("GET /later HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value());
    std::thread t = CompleteLater(e->responder, Text("kept"));
    auto r = c.Read();
    t.join();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Header("Connection"), "keep-alive");
    ASSERT_TRUE(c.Send("GET /echo?n=2 HTTP/1.0\r\n\r\n"));
    auto next = c.Read();
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->body, "echo 2");
    EXPECT_TRUE(c.ReadsEof());
  }
  {  // HTTP/1.1 "Connection: close".
    Client c(port_);
    ASSERT_TRUE(c.Send(Get("/later", "Connection: close\r\n") + Get("/echo")));
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value());
    std::thread t = CompleteLater(e->responder, Text("bye"));
    auto r = c.Read();
    t.join();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Header("Connection"), "close");
    EXPECT_TRUE(c.ReadsEof());
  }
}

TEST_F(DeferredTest, DroppedResponderGets500) {
  StartServer();
  Client c(port_);
  // Dropped inside the handler.
  ASSERT_TRUE(c.Send(Get("/drop")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status_line, "HTTP/1.1 500 Internal Server Error");
  EXPECT_EQ(r->body, "500 Internal Server Error");
  EXPECT_EQ(r->Header("Content-Type"), "text/plain; charset=utf-8");
  // Dropped on another thread, every copy, with pipelined requests behind.
  ASSERT_TRUE(c.Send(Get("/later") + Get("/echo?n=1")));
  auto e = pending_.Take();
  ASSERT_TRUE(e.has_value());
  std::thread([responder = std::move(e->responder)]() mutable {
    Responder copy = responder;
    responder = Responder();
  }).join();
  auto dropped = c.Read();
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->status, 500);
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "echo 1");
  EXPECT_EQ(Stats().bad_requests, 2u);
}

TEST_F(DeferredTest, TimeoutGets504AndCloses) {
  StartServer(ServerOptions{.deferred_timeout = absl::Milliseconds(100),
                            .linger = absl::Milliseconds(50)});
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/later") + Get("/echo")));
  auto e = pending_.Take();
  ASSERT_TRUE(e.has_value());
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status_line, "HTTP/1.1 504 Gateway Timeout");
  EXPECT_EQ(r->body, "504 Gateway Timeout");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(c.ReadsEof());
  std::thread([&] { e->responder.Complete(Text("too late")); }).join();
  EXPECT_TRUE(WaitFor([&] { return Stats().open_connections == 0; }));
  ServerStats s = Stats();
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.deferred, 1u);
  // The server goes on.
  Client again(port_);
  ASSERT_TRUE(again.Send(Get("/echo?n=7")));
  auto next = again.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "echo 7");
}

TEST_F(DeferredTest, IdleAndReadTimeoutsWaitForTheDeferredAnswer) {
  StartServer(ServerOptions{.idle_timeout = absl::Milliseconds(100),
                            .read_timeout = absl::Milliseconds(100),
                            .deferred_timeout = absl::Seconds(20)});
  Client c(port_);
  // A partial request behind the parked one would start the read timeout.
  ASSERT_TRUE(c.Send(Get("/later") + "GET /echo?n=1 HTTP/1.1\r\n"));
  auto e = pending_.Take();
  ASSERT_TRUE(e.has_value());
  // Several idle/read timeouts long: the connection must stay open.
  EXPECT_FALSE(c.ReadsEof(500));
  std::thread t = CompleteLater(e->responder, Text("patient"), std::chrono::milliseconds(0));
  auto r = c.Read();
  t.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "patient");
  // Afterwards the read timeout is back for the partial request.
  EXPECT_TRUE(c.ReadsEof(3000));
  EXPECT_TRUE(WaitFor([&] { return Stats().timeouts == 1; }));
}

TEST_F(DeferredTest, ClientGoneBeforeComplete) {
  StartServer();
  {  // Reset: the connection closes at once; Complete is a no-op.
    Client c(port_);
    ASSERT_TRUE(c.Send(Get("/later")));
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value());
    c.Abort();
    ASSERT_TRUE(WaitFor([&] { return Stats().open_connections == 0; }));
    std::thread([&] { e->responder.Complete(Text("nobody listens")); }).join();
  }
  {  // FIN: treated as a half-close; answered (into the void), then closed.
    Client c(port_);
    ASSERT_TRUE(c.Send(Get("/later")));
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value());
    c.Close();
    CompleteLater(e->responder, Text("nobody listens")).join();
    EXPECT_TRUE(WaitFor([&] { return Stats().open_connections == 0; }));
  }
  {  // Reset, then every Responder dropped: no 500 to send anywhere.
    Client c(port_);
    ASSERT_TRUE(c.Send(Get("/later")));
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value());
    c.Abort();
    ASSERT_TRUE(WaitFor([&] { return Stats().open_connections == 0; }));
    std::thread([responder = std::move(e->responder)] {}).join();
  }
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/echo?n=1")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "echo 1");
}

TEST_F(DeferredTest, HalfClosedClientGetsTheDeferredAnswers) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/later?n=0") + Get("/echo?n=1")));
  c.ShutdownWrite();
  auto e = pending_.Take();
  ASSERT_TRUE(e.has_value());
  std::thread t = CompleteLater(e->responder, Text("later 0"));
  auto r0 = c.Read();
  auto r1 = c.Read();
  t.join();
  ASSERT_TRUE(r0.has_value());
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r0->body, "later 0");
  EXPECT_EQ(r1->body, "echo 1");
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(DeferredTest, ServerClosedThenComplete) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/later")));
  auto e = pending_.Take();
  ASSERT_TRUE(e.has_value());
  loop_.Run([&] { server_->Close(); });
  EXPECT_TRUE(c.ReadsEof());
  std::thread([&] { e->responder.Complete(Text("late")); }).join();
  EXPECT_EQ(Stats().open_connections, 0u);
}

TEST_F(DeferredTest, ServerDestroyedThenCompleteAndDrop) {
  StartServer();
  Client a(port_), b(port_);
  ASSERT_TRUE(a.Send(Get("/later?n=a")));
  ASSERT_TRUE(b.Send(Get("/later?n=b")));
  auto ea = pending_.Take();
  auto eb = pending_.Take();
  ASSERT_TRUE(ea.has_value());
  ASSERT_TRUE(eb.has_value());
  loop_.Run([&] { server_.reset(); });
  EXPECT_TRUE(a.ReadsEof());
  std::thread([&] { ea->responder.Complete(Text("late")); }).join();
  // Even once the loop itself is gone.
  EXPECT_EQ(loop_.Stop(), 0);
  std::thread([responder = std::move(eb->responder)]() mutable {
    responder.Complete(Text("later still"));
    responder = Responder();
  }).join();
}

TEST_F(DeferredTest, CompleteInsideTheHandlerAndDeferTwice) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send(Get("/now") + Get("/twice") + Get("/echo?n=1")));
  auto now = c.Read();
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->body, "completed in the handler");
  auto twice = c.Read();
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->body, "first");
  auto echo = c.Read();
  ASSERT_TRUE(echo.has_value());
  EXPECT_EQ(echo->body, "echo 1");
  EXPECT_EQ(Stats().deferred, 2u);
}

static_assert(std::is_nothrow_move_constructible_v<Response>);

TEST(ResponderTest, OutsideAServerIsInvalidAndHarmless) {
  Response bare;
  Responder r = bare.Defer();
  EXPECT_FALSE(r.valid());
  r.Complete(Text("nothing"));
  Responder none;
  EXPECT_FALSE(none.valid());
  none.Complete(Text("nothing"));
}

// Many deferred answers completed by several threads while the server is
// destroyed midway: every answer either arrives intact or the connection is
// closed; nothing crashes (run under ASan/TSan for the memory side).
TEST_F(DeferredTest, CompletionsRacingServerDestruction) {
  StartServer();
  constexpr int kClients = 40;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->Send(Get(absl::StrCat("/later?n=", i))));
  }
  std::vector<Pending::Entry> entries;
  for (int i = 0; i < kClients; ++i) {
    auto e = pending_.Take();
    ASSERT_TRUE(e.has_value()) << i;
    entries.push_back(std::move(*e));
  }
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < kClients;) {
        Pending::Entry& e = entries[static_cast<size_t>(i)];
        if (i % 3 == 0) {
          e.responder = Responder();  // dropped: 500
        } else {
          e.responder.Complete(Text(absl::StrCat("later ", e.tag)));
        }
        // Spread the answers out so some are delivered before the
        // destruction and some race it (the outcome is checked either way).
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
  }
  while (next.load() < kClients / 2) std::this_thread::yield();
  loop_.Run([&] { server_.reset(); });
  for (auto& t : workers) t.join();
  for (int i = 0; i < kClients; ++i) {
    auto r = clients[static_cast<size_t>(i)]->Read(false, 2000);
    if (!r.has_value()) continue;  // closed by the server's destruction
    if (i % 3 == 0) {
      EXPECT_EQ(r->status, 500) << i;
    } else {
      EXPECT_EQ(r->body, absl::StrCat("later ", i)) << i;
    }
  }
}

}  // namespace
}  // namespace meridian::http
