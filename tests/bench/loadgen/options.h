// Command-line options of meridian-loadgen.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace meridian::loadgen {

enum class Mode { kPub, kPubSub, kReqRep, kSink, kJsPub, kJsFetch, kKvPut, kKvGet };

struct Options {
  Mode mode = Mode::kPub;
  std::string pub_url = "127.0.0.1:4222";
  std::string sub_url;  // defaults to pub_url
  int pubs = 1;
  int subs = 1;
  std::string queue;  // queue group name; empty = plain subscribers
  uint64_t msgs = 1'000'000;
  size_t size = 16;
  std::string subject = "bench";
  double timeout_s = 60;
  bool settle_check = false;  // also implied when sub_url != pub_url
  int port = 4222;            // sink
  uint64_t warmup = 1000;     // reqrep
  bool spin = false;          // reqrep: busy-poll instead of poll(2)
  size_t batch_bytes = 64 * 1024;
  // JetStream modes.
  uint64_t window = 0;           // outstanding requests; 0 = the mode's default
  uint64_t pull_batch = 500;     // jsfetch: batch of one pull request
  int pulls = 2;                 // jsfetch: pull requests in flight
  double expires_s = 5;          // jsfetch: expires of a pull request
  std::string ack = "explicit";  // jsfetch: consumer ack policy, explicit or none
  uint64_t keys = 1000;          // kvput/kvget: distinct keys
};

// Usage text for --help.
const char* UsageText();

// Parses argv: the mode first, then --key=value or --key value flags.
// Returns NotFound for --help.
absl::StatusOr<Options> ParseOptions(int argc, char** argv);

}  // namespace meridian::loadgen
