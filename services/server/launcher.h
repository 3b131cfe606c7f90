// meridian-server: the single-machine launcher, a drop-in for nats-server.
#pragma once

namespace meridian::launcher {

// The whole program; returns the process exit code.
int RunLauncher(int argc, char** argv);

}  // namespace meridian::launcher
