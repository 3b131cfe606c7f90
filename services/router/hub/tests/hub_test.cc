// The Hub over real loopback Attach streams: peers attached to one hub, and
// two hubs meshed (both dialing each other, as symmetric route lists do).
#include "services/router/hub/hub.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/router/transport/attach_client.h"
#include "services/router/transport/attach_server.h"
#include "services/router/transport/packed.h"

namespace meridian::router {
namespace {

using v1::Frame;

template <typename Pred>
bool WaitFor(Pred done, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

// A fake frontend: records the view the router pushes and the messages.
class Peer {
 public:
  Peer(const std::string& target, const std::string& id, const std::string& client_url) {
    AttachClientOptions o;
    o.target = target;
    o.hello.set_peer_id(id);
    o.hello.set_kind(v1::PEER_KIND_FRONTEND);
    o.hello.add_client_urls(client_url);
    o.on_frame = [this](const Frame& f) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& d : f.interest()) view_[d.subject() + "|" + d.queue()] += d.count();
      std::string_view in = f.packed();
      PackedMessage m;
      bool malformed = false;
      while (NextPacked(&in, &m, &malformed)) {
        std::vector<std::string_view> queues;
        m.Queues(&queues);
        std::string line = std::string(m.subject);
        if (!m.deliver_as.empty()) line += ">" + std::string(m.deliver_as);
        line += ":" + std::string(m.payload) + ":";
        for (std::string_view q : queues) line += std::string(q) + ",";
        messages_.push_back(line);
      }
      EXPECT_FALSE(malformed);
      if (f.has_cluster()) {
        urls_.assign(f.cluster().client_urls().begin(), f.cluster().client_urls().end());
      }
    };
    client_ = AttachClient::Start(std::move(o));
  }
  bool Send(const Frame& f) { return client_->Enqueue(f); }
  void Interest(const std::string& subject, const std::string& queue, int count) {
    Frame f;
    auto* d = f.add_interest();
    d->set_account("$G");
    d->set_subject(subject);
    d->set_queue(queue);
    d->set_count(count);
    ASSERT_TRUE(WaitFor([&] { return Send(f); }));
  }
  void Publish(const std::string& subject, const std::string& payload,
               std::vector<std::string> served = {}) {
    Frame f;
    auto* m = f.add_messages();
    m->set_account("$G");
    m->set_subject(subject);
    m->set_payload(payload);
    for (const auto& q : served) m->add_queues(q);
    ASSERT_TRUE(Send(f));
  }
  // A message in the packed form, as frontends and jetstream send them.
  void PublishPacked(const std::string& subject, const std::string& deliver_as,
                     const std::string& payload) {
    Frame f;
    PackedMessage m;
    m.account = "$G";
    m.subject = subject;
    m.payload = payload;
    m.deliver_as = deliver_as;
    AppendPacked(f.mutable_packed(), m, {});
    ASSERT_TRUE(Send(f));
  }
  int View(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return view_[key];
  }
  std::vector<std::string> Messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  std::vector<std::string> Urls() {
    std::lock_guard<std::mutex> lock(mu_);
    return urls_;
  }
  bool connected() const { return client_->connected(); }
  uint64_t connects() const { return client_->connects(); }
  void Stop() { client_->Stop(); }

 private:
  std::mutex mu_;
  std::map<std::string, int> view_;
  std::vector<std::string> messages_;
  std::vector<std::string> urls_;
  // Last: destroyed (its thread stopped) before what its callbacks write to.
  std::unique_ptr<AttachClient> client_;
};

// One router: a Hub, its local listener and (optionally) a cluster listener.
struct TestRouter {
  explicit TestRouter(const std::string& id) {
    HubOptions o;
    o.self_id = id;
    o.name = id;
    o.cluster_name = "test";
    o.seed = 7;
    hub = std::make_unique<Hub>(o);
    AttachServerOptions so;
    so.listen = "127.0.0.1:0";
    so.hello = hub->MakeHello();
    auto s = AttachServer::Start(std::move(so), hub.get());
    EXPECT_TRUE(s.ok()) << s.status();
    local = std::move(*s);
  }
  ~TestRouter() {
    local->Shutdown();
    hub->Stop();
  }
  std::unique_ptr<Hub> hub;
  std::unique_ptr<AttachServer> local;
};

TEST(HubTest, PushesOthersInterestAndRoutesMessages) {
  TestRouter r("r1");
  r.hub->Start();
  Peer a(r.local->address(), "A", "127.0.0.1:1001");
  Peer b(r.local->address(), "B", "127.0.0.1:1002");
  ASSERT_TRUE(WaitFor([&] { return a.connected() && b.connected(); }));
  ASSERT_TRUE(WaitFor([&] { return r.hub->stats().peers == 2; }));

  a.Interest("foo.*", "", 1);
  a.Interest("work", "q", 2);
  ASSERT_TRUE(WaitFor([&] { return b.View("foo.*|") == 1 && b.View("work|q") == 2; }));
  EXPECT_EQ(a.View("foo.*|"), 0);  // never its own interest

  b.Publish("foo.bar", "1");
  b.Publish("nobody", "2");
  b.Publish("work", "3");
  b.Publish("work", "4", {"q"});  // B served the group itself
  ASSERT_TRUE(WaitFor([&] { return a.Messages().size() >= 2; }));
  EXPECT_EQ(a.Messages(), (std::vector<std::string>{"foo.bar:1:", "work:3:q,"}));
  EXPECT_TRUE(WaitFor([&] { return r.hub->stats().messages_unrouted == 2; }));

  // Both see every client URL (INFO connect_urls).
  EXPECT_TRUE(WaitFor([&] { return b.Urls().size() == 2; }));

  // A goes away: its interest disappears at B.
  a.Stop();
  EXPECT_TRUE(WaitFor([&] { return b.View("foo.*|") == 0 && b.View("work|q") == 0; }));
}

TEST(HubTest, RecordsInARowShareTheirRoutingButNotQueueDraws) {
  TestRouter r("r1");
  r.hub->Start();
  Peer pub(r.local->address(), "P", "");
  Peer plain(r.local->address(), "A", "");
  Peer q1(r.local->address(), "Q1", "");
  Peer q2(r.local->address(), "Q2", "");
  ASSERT_TRUE(WaitFor([&] { return pub.connected() && plain.connected() && q1.connected() && q2.connected(); }));
  plain.Interest("s", "", 1);
  q1.Interest("w", "g", 1);
  q2.Interest("w", "g", 1);
  ASSERT_TRUE(WaitFor([&] { return pub.View("s|") == 1 && pub.View("w|g") == 2; }));

  // One frame: runs of records to one subject, to a queue group, to nobody.
  Frame f;
  auto add = [&f](const std::string& subject, const std::string& payload) {
    PackedMessage m;
    m.account = "$G";
    m.subject = subject;
    m.payload = payload;
    AppendPacked(f.mutable_packed(), m, {});
  };
  std::vector<std::string> want_plain;
  for (int i = 0; i < 100; ++i) add("w", std::to_string(i));
  for (int i = 0; i < 50; ++i) {
    add("s", std::to_string(i));
    want_plain.push_back("s:" + std::to_string(i) + ":");
    if (i % 10 == 9) add("nobody", "x");
  }
  add("w", "last");
  ASSERT_TRUE(pub.Send(f));

  ASSERT_TRUE(WaitFor([&] { return plain.Messages().size() == 50 && q1.Messages().size() + q2.Messages().size() == 101; }));
  EXPECT_EQ(plain.Messages(), want_plain);
  // Each record to the group is drawn on its own (all 101 at one member:
  // a chance of 2^-100).
  EXPECT_GT(q1.Messages().size(), 0u);
  EXPECT_GT(q2.Messages().size(), 0u);
  EXPECT_TRUE(WaitFor([&] { return r.hub->stats().messages_unrouted == 5; }));
}

TEST(HubTest, MalformedPackedMessagesEndOnlyThatStream) {
  TestRouter r("r1");
  r.hub->Start();
  Peer good(r.local->address(), "G", "");
  Peer bad(r.local->address(), "B", "");
  Peer sub(r.local->address(), "S", "");
  ASSERT_TRUE(WaitFor([&] { return good.connected() && bad.connected() && sub.connected(); }));
  sub.Interest("x", "", 1);
  ASSERT_TRUE(WaitFor([&] { return good.View("x|") == 1 && bad.View("x|") == 1; }));
  Frame garbage;
  garbage.set_packed(std::string("\x00\x00\xff\xff\xff\xff\x01", 7));  // a header cut short
  ASSERT_TRUE(bad.Send(garbage));
  // The bad peer's stream is ended (it reconnects by itself); the others go on.
  EXPECT_TRUE(WaitFor([&] { return bad.connects() >= 2; }));
  good.Publish("x", "after");
  ASSERT_TRUE(WaitFor([&] { return sub.Messages().size() == 1; }));
  EXPECT_EQ(sub.Messages()[0], "x:after:");
}

TEST(HubTest, ResetReplacesInterestWithoutFlapping) {
  TestRouter r("r1");
  r.hub->Start();
  Peer a(r.local->address(), "A", "");
  Peer b(r.local->address(), "B", "");
  ASSERT_TRUE(WaitFor([&] { return a.connected() && b.connected(); }));
  a.Interest("x", "", 1);
  ASSERT_TRUE(WaitFor([&] { return b.View("x|") == 1; }));
  Frame reset;
  reset.set_interest_reset(true);
  auto* d = reset.add_interest();
  d->set_account("$G");
  d->set_subject("y");
  d->set_count(1);
  ASSERT_TRUE(a.Send(reset));
  ASSERT_TRUE(WaitFor([&] { return b.View("y|") == 1 && b.View("x|") == 0; }));
}

TEST(HubTest, BadInterestMakesThePeerResync) {
  TestRouter r("r1");
  r.hub->Start();
  Peer a(r.local->address(), "A", "");
  ASSERT_TRUE(WaitFor([&] { return a.connected(); }));
  a.Interest("never.added", "", -1);  // below zero: refused, stream ended
  EXPECT_TRUE(WaitFor([&] { return r.hub->stats().interest_errors == 1; }));
}

// Two routers, each listing the other (both dial, so they may be linked
// twice), each with a local listener for peers.
struct TwoRouterMesh {
  TwoRouterMesh() {
    // Learn two free ports (each hub must know its own route URL).
    int ports[2];
    {
      HubOptions probe_options;
      probe_options.self_id = "probe";
      Hub probe(probe_options);
      auto s1 = Bind(&probe, "127.0.0.1:0");
      auto s2 = Bind(&probe, "127.0.0.1:0");
      ports[0] = s1->port();
      ports[1] = s2->port();
    }
    for (int i = 0; i < 2; ++i) {
      options[i].self_id = "r" + std::to_string(i + 1);
      options[i].name = options[i].self_id;
      options[i].cluster_name = "test";
      options[i].route_url = "127.0.0.1:" + std::to_string(ports[i]);
    }
    options[0].routes = {options[1].route_url};
    options[1].routes = {options[0].route_url};
    for (int i = 0; i < 2; ++i) {
      hubs[i] = std::make_unique<Hub>(options[i]);
      cluster[i] = Bind(hubs[i].get(), options[i].route_url);
      local[i] = Bind(hubs[i].get(), "127.0.0.1:0");
    }
    for (auto& h : hubs) h->Start();
  }
  ~TwoRouterMesh() {
    for (int i = 0; i < 2; ++i) StopRouter(i);
  }
  void StopRouter(int i) {
    if (local[i]) local[i]->Shutdown();
    if (cluster[i]) cluster[i]->Shutdown();
    if (hubs[i]) hubs[i]->Stop();
  }
  static std::unique_ptr<AttachServer> Bind(Hub* hub, const std::string& listen) {
    AttachServerOptions so;
    so.listen = listen;
    so.hello = hub->MakeHello();
    auto s = AttachServer::Start(std::move(so), hub);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  bool Linked() const { return hubs[0]->stats().routers == 1 && hubs[1]->stats().routers == 1; }

  HubOptions options[2];
  std::unique_ptr<Hub> hubs[2];
  std::unique_ptr<AttachServer> cluster[2], local[2];
};

// Each router knows the other once: interest and messages cross once.
TEST(HubTest, MeshOfTwoRoutersKnowsEachOnceAndDeliversOnce) {
  TwoRouterMesh mesh;
  ASSERT_TRUE(WaitFor([&] { return mesh.Linked(); }));
  Peer a(mesh.local[0]->address(), "A", "127.0.0.1:1001");
  Peer b(mesh.local[1]->address(), "B", "127.0.0.1:1002");
  ASSERT_TRUE(WaitFor([&] { return a.connected() && b.connected(); }));
  b.Interest("foo", "", 1);
  b.Interest("work", "q", 1);
  ASSERT_TRUE(WaitFor([&] { return a.View("foo|") == 1 && a.View("work|q") == 1; }));
  for (int i = 0; i < 20; ++i) a.Publish("foo", std::to_string(i));
  a.Publish("work", "w");
  ASSERT_TRUE(WaitFor([&] { return b.Messages().size() == 21; }));
  absl::SleepFor(absl::Milliseconds(100));  // nothing more may arrive
  EXPECT_EQ(b.Messages().size(), 21u);
  EXPECT_EQ(b.Messages().back(), "work:w:q,");
  EXPECT_TRUE(mesh.Linked());
  // Client URLs of both sides reach both peers.
  EXPECT_TRUE(WaitFor([&] { return a.Urls().size() == 2 && b.Urls().size() == 2; }));

  // Router 2 goes away: its peer's interest disappears at A.
  b.Stop();
  mesh.StopRouter(1);
  EXPECT_TRUE(WaitFor([&] { return a.View("foo|") == 0 && a.View("work|q") == 0; }));
  a.Stop();
}

// A message's deliver_as (the subject its client sees) crosses both routers:
// each re-encodes the record for the next hop.
TEST(HubTest, DeliverAsCrossesTheMesh) {
  TwoRouterMesh mesh;
  ASSERT_TRUE(WaitFor([&] { return mesh.Linked(); }));
  Peer a(mesh.local[0]->address(), "A", "");
  Peer b(mesh.local[1]->address(), "B", "");
  ASSERT_TRUE(WaitFor([&] { return a.connected() && b.connected(); }));
  b.Interest("_INBOX.x", "", 1);
  ASSERT_TRUE(WaitFor([&] { return a.View("_INBOX.x|") == 1; }));
  a.PublishPacked("_INBOX.x", "orders.new", "1");
  a.PublishPacked("_INBOX.x", "", "2");
  ASSERT_TRUE(WaitFor([&] { return b.Messages().size() == 2; }));
  EXPECT_EQ(b.Messages(), (std::vector<std::string>{"_INBOX.x>orders.new:1:", "_INBOX.x:2:"}));
}

// Router 1's cluster listener goes away: the links it accepted end. Traffic
// goes on over a link router 1 dialed (there already, or dialed again), the
// interest each side holds of the other stays exact (a delta lost or applied
// twice would show in the views), and every message arrives once.
TEST(HubTest, MeshSurvivesLosingALinkWithExactInterest) {
  TwoRouterMesh mesh;
  ASSERT_TRUE(WaitFor([&] { return mesh.Linked(); }));
  Peer a(mesh.local[0]->address(), "A", "");
  Peer b(mesh.local[1]->address(), "B", "");
  ASSERT_TRUE(WaitFor([&] { return a.connected() && b.connected(); }));
  b.Interest("foo", "", 1);
  a.Interest("bar", "", 1);
  ASSERT_TRUE(WaitFor([&] { return a.View("foo|") == 1 && b.View("bar|") == 1; }));

  mesh.cluster[0]->Shutdown();
  mesh.cluster[0].reset();
  // Interest changes while links switch still end up exact on both sides.
  b.Interest("late", "", 1);
  b.Interest("foo", "", -1);
  ASSERT_TRUE(WaitFor([&] { return a.View("late|") == 1 && a.View("foo|") == 0; }))
      << "late " << a.View("late|") << " foo " << a.View("foo|");
  EXPECT_EQ(b.View("bar|"), 1);
  ASSERT_TRUE(WaitFor([&] { return mesh.Linked(); }));
  for (int i = 0; i < 50; ++i) a.Publish("late", std::to_string(i));
  ASSERT_TRUE(WaitFor([&] { return b.Messages().size() == 50; }));
  absl::SleepFor(absl::Milliseconds(100));  // nothing more may arrive
  EXPECT_EQ(b.Messages().size(), 50u);
  a.Stop();
  b.Stop();
}

}  // namespace
}  // namespace meridian::router
