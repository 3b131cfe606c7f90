// The modes of meridian-loadgen; each returns the process exit code.
#pragma once

#include "tests/bench/loadgen/options.h"

namespace meridian::loadgen {

int RunPub(const Options& options);
int RunPubSub(const Options& options);
int RunReqRep(const Options& options);
int RunSink(const Options& options);
int RunJsPub(const Options& options);
int RunJsFetch(const Options& options);
int RunKvPut(const Options& options);
int RunKvGet(const Options& options);

}  // namespace meridian::loadgen
