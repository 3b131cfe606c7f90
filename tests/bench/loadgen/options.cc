#include "tests/bench/loadgen/options.h"

#include <cstdlib>
#include <string_view>

namespace meridian::loadgen {
namespace {

bool ParseUint(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  // Accept 1e6-style and 1_000_000-style counts.
  std::string digits;
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  double d = std::strtod(digits.c_str(), &end);
  if (*end != '\0' || d < 0 || d > 1e18) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

}  // namespace

const char* UsageText() {
  return R"(meridian-loadgen: a NATS-protocol load generator (raw TCP, one thread per connection).

Usage: meridian-loadgen MODE [--flag=value ...]

Modes:
  pub      --pubs N publishers send --msgs messages in total (split evenly) of --size bytes
           on --subject; the run ends when every publisher's final PING is answered.
  pubsub   --subs K subscribers (plain, or one queue group with --queue NAME) first, then
           --pubs publishers send --msgs in total. Each plain subscriber must receive all
           of them; a queue group must receive --msgs in total. Elapsed = first publish to
           last receive. Also reports recv_per_sub (each subscriber's count) and, with a
           --sub-url list, recv_per_sub_url (counts summed per list entry).
  reqrep   One responder (on --sub-url) echoes requests; one requester (on --pub-url)
           makes --warmup unmeasured then --msgs sequential request/reply round trips
           with a wildcard inbox; both connections are driven by one thread. Reports
           latency percentiles in microseconds.
  jspub    Creates the file-storage R1 stream BENCH (subjects bench.>) and publishes --msgs
           messages of --size bytes to bench.data, each with a reply subject, at most
           --window (default 4000, nats.go's async publisher) awaiting their PubAck; every
           PubAck must carry "seq" and no "error". Reports ack_rate (acked msgs/s) and the
           publish->ack latency; checks the stream holds --msgs at the end.
  jsfetch  Fills BENCH with --msgs messages (as jspub, not timed), creates the durable pull
           consumer C (--ack explicit or none), then times consuming them all with pull
           requests {"batch":--pull-batch,"expires":--expires} to
           $JS.API.CONSUMER.MSG.NEXT.BENCH.C, --pulls in flight; with explicit acks every
           message is acked (empty PUB to its reply) and the clock stops when the consumer
           reports all acked. Reports consume_rate.
  kvput    Creates the bucket KV_bench as nats.go does (history 1, direct get, file) and
           puts --msgs values of --size bytes on --keys keys round robin, --window puts
           outstanding (default 1: a put waits for its ack). Reports put_rate and latency.
  kvget    Creates KV_bench, puts every one of --keys keys once (not timed), then does --msgs
           direct gets ($JS.API.DIRECT.GET.KV_bench.$KV.bench.<key>, empty payload), keys
           round robin, --window outstanding (default 1). Reports get_rate and latency.
  sink     A fake server on 127.0.0.1:--port that sends INFO, answers PING with PONG and
           swallows everything else: measures the load generator's own ceiling. Runs
           until SIGINT/SIGTERM or --timeout, then prints what it swallowed.

Flags:
  --url=HOST:PORT       both --pub-url and --sub-url (default 127.0.0.1:4222)
  --pub-url=HOST:PORT[,HOST:PORT...]
                        where publishers / the requester connect; with a list, publisher i
                        connects to entry i % n (reqrep: exactly one)
  --sub-url=HOST:PORT[,HOST:PORT...]
                        where subscribers / the responder connect (default: --pub-url); with
                        a list, subscriber i connects to entry i % n, e.g. --subs=4
                        --sub-url=A,B puts subscribers 0 and 2 on A, 1 and 3 on B
  --pubs=N              publishers (default 1)
  --subs=K              subscribers (default 1)
  --queue=NAME          subscribers join this queue group
  --msgs=M              messages (pub/pubsub: total published; reqrep: requests) (default 1e6)
  --size=S              payload bytes (default 16)
  --subject=SUBJ        subject (default bench)
  --settle-check        before the measured run, publish probes until every subscriber
                        sees one (automatic when a subscriber's server is not the
                        publisher's, e.g. across a cluster)
  --warmup=N            reqrep: unmeasured round trips first (default 1000)
  --spin                reqrep: busy-poll the sockets instead of sleeping in poll(2)
                        (takes a whole CPU: only with the load generator on a CPU of its own)
  --batch=BYTES         publisher write size (default 65536)
  --window=N            jspub/kvput/kvget: requests awaiting their reply (see the modes)
  --pull-batch=B        jsfetch: batch of each pull request (default 500)
  --pulls=P             jsfetch: pull requests in flight (default 2)
  --expires=SECONDS     jsfetch: expires of each pull request (default 5)
  --ack=explicit|none   jsfetch: the consumer's ack policy (default explicit)
  --keys=K              kvput/kvget: distinct keys (default 1000)
  --timeout=SECONDS     bound on the whole run (default 60); on expiry the partial
                        result is reported and the exit code is 2
  --port=P              sink: port to listen on (default 4222)
  -h, --help            this text

Output: one line of key=value pairs on stdout (status=ok|timeout|error), human text on
stderr. Exit code 0 = ok, 1 = usage or connection/server error, 2 = timeout.
)";
}

absl::StatusOr<Options> ParseOptions(int argc, char** argv) {
  Options o;
  if (argc < 2)
    return absl::InvalidArgumentError("missing mode (pub, pubsub, reqrep, sink, jspub, jsfetch, kvput, kvget)");
  std::string mode = argv[1];
  if (mode == "-h" || mode == "--help" || mode == "help") return absl::NotFoundError("help");
  if (mode == "pub")
    o.mode = Mode::kPub;
  else if (mode == "pubsub")
    o.mode = Mode::kPubSub;
  else if (mode == "reqrep")
    o.mode = Mode::kReqRep;
  else if (mode == "sink")
    o.mode = Mode::kSink;
  else if (mode == "jspub")
    o.mode = Mode::kJsPub;
  else if (mode == "jsfetch")
    o.mode = Mode::kJsFetch;
  else if (mode == "kvput")
    o.mode = Mode::kKvPut;
  else if (mode == "kvget")
    o.mode = Mode::kKvGet;
  else
    return absl::InvalidArgumentError("unknown mode: " + mode);

  bool sub_url_set = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return absl::NotFoundError("help");
    if (arg.rfind("--", 0) != 0) return absl::InvalidArgumentError("unexpected argument: " + arg);
    std::string key = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      has_value = true;
    }
    if (key == "settle-check") {
      o.settle_check = true;
      continue;
    }
    if (key == "spin") {
      o.spin = true;
      continue;
    }
    static const char* const kValued[] = {"url",        "pub-url", "sub-url", "pubs", "subs",   "queue", "msgs",
                                          "size",       "subject", "timeout", "port", "warmup", "batch", "window",
                                          "pull-batch", "pulls",   "expires", "ack",  "keys"};
    bool known = false;
    for (const char* k : kValued) known = known || key == k;
    if (!known) return absl::InvalidArgumentError("unknown flag: --" + key);
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError("missing value for --" + key);
      value = argv[++i];
    }
    uint64_t n = 0;
    auto need_uint = [&](uint64_t min, uint64_t max) -> bool { return ParseUint(value, &n) && n >= min && n <= max; };
    if (key == "url") {
      o.pub_url = value;
      o.sub_url = value;
      sub_url_set = true;
    } else if (key == "pub-url") {
      o.pub_url = value;
    } else if (key == "sub-url") {
      o.sub_url = value;
      sub_url_set = true;
    } else if (key == "pubs" && need_uint(1, 256)) {
      o.pubs = static_cast<int>(n);
    } else if (key == "subs" && need_uint(1, 256)) {
      o.subs = static_cast<int>(n);
    } else if (key == "queue") {
      o.queue = value;
    } else if (key == "msgs" && need_uint(1, uint64_t{1} << 40)) {
      o.msgs = n;
    } else if (key == "size" && need_uint(0, 64 << 20)) {
      o.size = n;
    } else if (key == "subject" && !value.empty()) {
      o.subject = value;
    } else if (key == "timeout") {
      char* end = nullptr;
      o.timeout_s = std::strtod(value.c_str(), &end);
      if (*end != '\0' || o.timeout_s <= 0) return absl::InvalidArgumentError("bad --timeout: " + value);
    } else if (key == "port" && need_uint(0, 65535)) {
      o.port = static_cast<int>(n);
    } else if (key == "warmup" && need_uint(0, uint64_t{1} << 40)) {
      o.warmup = n;
    } else if (key == "batch" && need_uint(64, 64 << 20)) {
      o.batch_bytes = n;
    } else if (key == "window" && need_uint(1, 1 << 20)) {
      o.window = n;
    } else if (key == "pull-batch" && need_uint(1, 1 << 20)) {
      o.pull_batch = n;
    } else if (key == "pulls" && need_uint(1, 64)) {
      o.pulls = static_cast<int>(n);
    } else if (key == "expires") {
      char* end = nullptr;
      o.expires_s = std::strtod(value.c_str(), &end);
      if (*end != '\0' || o.expires_s <= 0) return absl::InvalidArgumentError("bad --expires: " + value);
    } else if (key == "ack" && (value == "explicit" || value == "none")) {
      o.ack = value;
    } else if (key == "keys" && need_uint(1, 1 << 20)) {
      o.keys = n;
    } else {
      return absl::InvalidArgumentError("unknown flag or bad value: " + arg + (has_value ? "" : " " + value));
    }
  }
  if (!sub_url_set) o.sub_url = o.pub_url;
  return o;
}

}  // namespace meridian::loadgen
