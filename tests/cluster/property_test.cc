// Randomized property: K connections spread over the backend's URLs see
// exactly what the same K connections see on one reference nats-server.
//
// A seeded script of rounds: subscription changes (SUB of plain and wildcard
// subjects, queue groups q1/q2, UNSUB), then publishes from random
// connections. Each round ends with the propagation barrier after the
// changes and a delivery barrier after the publishes (every publisher sends a
// sync message to every connection; per-publisher order means the earlier
// messages have all been read when it arrives). Compared:
//   plain subscriptions: the multiset of (connection, subscription, subject,
//     payload) is identical;
//   queue groups: each message reaches exactly one member of each matching
//     group, in both runs (which member may differ). As in one nats-server, a
//     group is a queue name: same-named subscriptions on different subjects
//     that both match share one delivery.
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/core/test_server.h"

namespace meridian::testing {
namespace {

constexpr int kConnections = 6;
constexpr int kOperations = 300;
constexpr uint32_t kSeeds[] = {1, 2, 3, 4, 5};

struct Op {
  enum Kind { kSub, kUnsub, kPub } kind;
  int conn = 0;
  int sub_id = 0;        // kSub: the new subscription; kUnsub: the one removed
  std::string subject;   // pattern (kSub) or subject (kPub), below the run's root
  std::string queue;     // kSub: "" or q1 / q2
  std::string payload;   // kPub
};
struct Round {
  std::vector<Op> changes;
  std::vector<Op> pubs;
};

std::string Describe(const Op& op) {
  switch (op.kind) {
    case Op::kSub:
      return absl::StrCat("c", op.conn, " SUB ", op.subject, " ", op.queue, " #", op.sub_id);
    case Op::kUnsub:
      return absl::StrCat("c", op.conn, " UNSUB #", op.sub_id);
    case Op::kPub:
      return absl::StrCat("c", op.conn, " PUB ", op.subject, " ", op.payload);
  }
  return "";
}

// `distinct_queue_names`: a queue name is never used on two subjects (set by
// MERIDIAN_PROPERTY_DISTINCT_QUEUE_NAMES=1; by default q1/q2 go on any subject).
std::vector<Round> MakeScript(uint32_t seed, bool distinct_queue_names) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  auto token = [&](bool wild) -> std::string {
    int r = pick(wild ? 4 : 3);
    return r == 0 ? "a" : r == 1 ? "b" : r == 2 ? "c" : "*";
  };
  std::map<int, int> live;  // sub id -> connection
  std::vector<Round> script;
  int ops = 0, next_sub = 1, next_msg = 0;
  while (ops < kOperations) {
    Round round;
    for (int n = 2 + pick(6); n > 0; --n, ++ops) {
      Op op;
      if (!live.empty() && pick(10) < 3) {
        auto it = std::next(live.begin(), pick(static_cast<int>(live.size())));
        op = Op{Op::kUnsub, it->second, it->first, "", "", ""};
        live.erase(it);
      } else {
        op = Op{Op::kSub, pick(kConnections), next_sub++, "", "", ""};
        int len = 1 + pick(3);
        for (int t = 0; t < len; ++t) absl::StrAppend(&op.subject, t ? "." : "", token(true));
        if (pick(5) == 0) op.subject = len == 3 ? ">" : op.subject + ".>";
        int q = pick(4);
        op.queue = q == 0 ? "q1" : q == 1 ? "q2" : "";
        if (distinct_queue_names && !op.queue.empty()) {
          for (char c : op.subject) op.queue += c == '*' ? 'S' : c == '>' ? 'G' : c == '.' ? '_' : c;
        }
        live[op.sub_id] = op.conn;
      }
      round.changes.push_back(op);
    }
    for (int n = 8 + pick(12); n > 0; --n, ++ops) {
      Op op{Op::kPub, pick(kConnections), 0, "", "", absl::StrCat("m", next_msg++)};
      int len = 1 + pick(3);
      for (int t = 0; t < len; ++t) absl::StrAppend(&op.subject, t ? "." : "", token(false));
      round.pubs.push_back(op);
    }
    script.push_back(std::move(round));
  }
  return script;
}

struct Outcome {
  // (connection, subscription id, subject, payload) of plain subscriptions.
  std::multiset<std::tuple<int, int, std::string, std::string>> plain;
  // (payload, pattern, queue) -> deliveries to members of that group.
  std::map<std::tuple<std::string, std::string, std::string>, int> queued;
  std::string error;
};

// Runs a script with connection k on urls[k % urls.size()].
class ScriptRun {
 public:
  ScriptRun(const std::vector<std::string>& urls, const std::string& root)
      : prober_(urls), root_(root) {
    for (int k = 0; k < kConnections; ++k) {
      natsStatus st;
      conns_.push_back(NatsConnect(urls[static_cast<size_t>(k) % urls.size()], &st));
      if (st != NATS_OK) Fail(absl::StrCat("connect c", k, ": ", natsStatus_GetText(st)));
      sync_.push_back(st == NATS_OK ? SubscribeSync(conns_.back().get(), SyncSubject(k), &st)
                                    : nullptr);
    }
    if (out_.error.empty()) Barrier(All());
  }

  Outcome Run(const std::vector<Round>& script) {
    for (size_t r = 0; r < script.size() && out_.error.empty(); ++r) {
      std::set<int> changed;
      for (const Op& op : script[r].changes) {
        Apply(op);
        changed.insert(op.conn);
      }
      Barrier(changed);
      std::set<int> publishers;
      for (const Op& op : script[r].pubs) {
        std::string subject = absl::StrCat(root_, ".", op.subject);
        natsConnection_PublishString(Conn(op.conn), subject.c_str(), op.payload.c_str());
        publishers.insert(op.conn);
      }
      Collect(publishers, r);
    }
    return std::move(out_);
  }

 private:
  struct Sub {
    NatsSubPtr sub;
    int conn;
    std::string pattern, queue;
  };

  natsConnection* Conn(int k) { return conns_[static_cast<size_t>(k)].get(); }
  std::string SyncSubject(int k) { return absl::StrCat("_sync.", root_, ".", k); }
  static std::set<int> All() {
    std::set<int> all;
    for (int k = 0; k < kConnections; ++k) all.insert(k);
    return all;
  }
  void Fail(const std::string& what) {
    if (out_.error.empty()) out_.error = what;
  }

  void Apply(const Op& op) {
    if (op.kind == Op::kUnsub) {
      natsSubscription_Unsubscribe(subs_[op.sub_id].sub.get());
      subs_.erase(op.sub_id);
      return;
    }
    natsStatus st;
    Sub s{SubscribeSync(Conn(op.conn), absl::StrCat(root_, ".", op.subject), &st, op.queue),
          op.conn, op.subject, op.queue};
    if (st != NATS_OK) return Fail(absl::StrCat(Describe(op), ": ", natsStatus_GetText(st)));
    natsSubscription_SetPendingLimits(s.sub.get(), -1, -1);
    subs_[op.sub_id] = std::move(s);
  }

  void Barrier(const std::set<int>& changed) {
    std::vector<natsConnection*> ncs;
    for (int k : changed) ncs.push_back(Conn(k));
    std::string error = prober_.Barrier(ncs);
    if (!error.empty()) Fail("propagation barrier: " + error);
  }

  // Delivery barrier, then every pending message into the outcome.
  void Collect(const std::set<int>& publishers, size_t round) {
    for (int p : publishers) {
      for (int k = 0; k < kConnections; ++k) {
        natsConnection_PublishString(Conn(p), SyncSubject(k).c_str(), "sync");
      }
      natsConnection_Flush(Conn(p));
    }
    for (int k = 0; k < kConnections; ++k) {
      for (size_t i = 0; i < publishers.size(); ++i) {
        if (!NextMsg(sync_[static_cast<size_t>(k)].get(), 10000)) {
          return Fail(absl::StrCat("round ", round, ": sync message ", i, " missing on c", k));
        }
      }
    }
    for (auto& [id, s] : subs_) {
      int pending = 0;
      natsSubscription_GetPending(s.sub.get(), &pending, nullptr);
      for (; pending > 0; --pending) {
        NatsMsgPtr m = NextMsg(s.sub.get(), 1000);
        if (!m) return Fail(absl::StrCat("round ", round, ": pending message lost on #", id));
        std::string subject(natsMsg_GetSubject(m.get()));
        subject = subject.substr(root_.size() + 1);
        if (s.queue.empty()) {
          out_.plain.emplace(s.conn, id, subject, Data(m.get()));
        } else {
          // One server groups queue subscribers by name across subjects.
          ++out_.queued[{Data(m.get()), "", s.queue}];
        }
      }
    }
  }

  Prober prober_;
  std::string root_;
  std::vector<NatsConnPtr> conns_;
  std::vector<NatsSubPtr> sync_;
  std::map<int, Sub> subs_;
  Outcome out_;
};

class PropertyTest : public ClusterTest {
 public:
  static void TearDownTestSuite() {
    Reference().reset();
    ClusterTest::TearDownTestSuite();
  }

 protected:
  static std::unique_ptr<Cluster>& Reference() {
    static auto* reference = new std::unique_ptr<Cluster>();
    return *reference;
  }
};

template <typename Set>
std::string Diff(const Set& want, const Set& got, const std::string& want_name,
                 const std::string& got_name) {
  std::ostringstream out;
  int shown = 0;
  for (const auto& e : want) {
    if (got.count(e) < want.count(e) && shown++ < 10) {
      out << "  only in " << want_name << ": c" << std::get<0>(e) << " #" << std::get<1>(e) << " "
          << std::get<2>(e) << " " << std::get<3>(e) << "\n";
    }
  }
  return out.str();
}

TEST_P(PropertyTest, SameDeliveriesAsOneNatsServer) {
  if (NatsServerPath().empty()) GTEST_SKIP() << "nats-server not installed: no reference";
  if (!Reference()) {
    std::string error;
    Reference() = Cluster::Start(Backend::kNatsCluster, 1, &error);
    ASSERT_NE(Reference(), nullptr) << error;
  }
  for (uint32_t seed : kSeeds) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, " (", ParamName(GetParam()), ")"));
    const char* env = std::getenv("MERIDIAN_PROPERTY_DISTINCT_QUEUE_NAMES");
    bool distinct = env != nullptr && std::string(env) == "1";
    std::vector<Round> script = MakeScript(seed, distinct);
    std::string root = UniqueSubject("prop");  // fresh subjects: no stale interest
    for (char& c : root) c = c == '.' ? '_' : c;
    Outcome want = ScriptRun(Reference()->urls(), root + "r").Run(script);
    ASSERT_EQ(want.error, "") << "reference run";
    Outcome got = ScriptRun(cluster().urls(), root + "b").Run(script);
    ASSERT_EQ(got.error, "") << "backend run";

    // The script exercises something: plenty of plain and queued deliveries.
    EXPECT_GT(want.plain.size(), 200u);
    EXPECT_GT(want.queued.size(), 20u);
    EXPECT_EQ(got.plain.size(), want.plain.size());
    EXPECT_TRUE(got.plain == want.plain)
        << Diff(want.plain, got.plain, "reference", "backend")
        << Diff(got.plain, want.plain, "backend", "reference");
    EXPECT_EQ(got.queued.size(), want.queued.size()) << "queue groups reached";
    for (const auto& [key, n] : want.queued) {
      EXPECT_EQ(n, 1) << "reference: " << std::get<0>(key) << " to " << std::get<1>(key) << " "
                      << std::get<2>(key);
      auto it = got.queued.find(key);
      EXPECT_TRUE(it != got.queued.end() && it->second == 1)
          << std::get<0>(key) << " to group " << std::get<1>(key) << " " << std::get<2>(key)
          << ": " << (it == got.queued.end() ? 0 : it->second) << " deliveries";
    }
    if (HasFailure()) {
      std::string ops;
      for (const Round& r : script) {
        for (const Op& op : r.changes) absl::StrAppend(&ops, Describe(op), "\n");
        for (const Op& op : r.pubs) absl::StrAppend(&ops, "  ", Describe(op), "\n");
      }
      ADD_FAILURE() << "seed " << seed << " failed; its script:\n" << ops;
      return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PropertyTest,
AllBackends(), ClusterParamName);

}  // namespace
}  // namespace meridian::testing
