// meridian-router: the routing core. Peers (frontends, jetstream, links and
// other routers) attach over the Router.Attach stream (proto/meridian/router).
#include "common/daemon/daemon.h"

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("router",
                                  "The Meridian routing core: keeps the interest graph per account "
                                  "and forwards messages between attached peers.");
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;
  return daemon.Run();
}
