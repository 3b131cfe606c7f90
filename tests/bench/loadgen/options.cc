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
  if (argc < 2) return absl::InvalidArgumentError("missing mode (pub, pubsub, reqrep, sink)");
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
    static const char* const kValued[] = {"url",  "pub-url", "sub-url", "pubs", "subs",   "queue", "msgs",
                                          "size", "subject", "timeout", "port", "warmup", "batch"};
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
    } else {
      return absl::InvalidArgumentError("unknown flag or bad value: " + arg + (has_value ? "" : " " + value));
    }
  }
  if (!sub_url_set) o.sub_url = o.pub_url;
  return o;
}

}  // namespace meridian::loadgen
