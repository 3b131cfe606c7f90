// meridian-loadgen: see UsageText() in options.cc or run with --help.
#include <cstdio>

#include "tests/bench/loadgen/modes.h"
#include "tests/bench/loadgen/options.h"

int main(int argc, char** argv) {
  using namespace meridian::loadgen;
  absl::StatusOr<Options> options = ParseOptions(argc, argv);
  if (!options.ok()) {
    if (absl::IsNotFound(options.status())) {
      std::fputs(UsageText(), stdout);
      return 0;
    }
    std::fprintf(stderr, "meridian-loadgen: %s\n(see --help)\n", std::string(options.status().message()).c_str());
    return 1;
  }
  switch (options->mode) {
    case Mode::kPub:
      return RunPub(*options);
    case Mode::kPubSub:
      return RunPubSub(*options);
    case Mode::kReqRep:
      return RunReqRep(*options);
    case Mode::kSink:
      return RunSink(*options);
    case Mode::kJsPub:
      return RunJsPub(*options);
    case Mode::kJsFetch:
      return RunJsFetch(*options);
    case Mode::kKvPut:
      return RunKvPut(*options);
    case Mode::kKvGet:
      return RunKvGet(*options);
  }
  return 1;
}
