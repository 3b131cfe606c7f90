// meridian-links: leaf node and gateway connections to other clusters.
#include <string>

#include "common/daemon/daemon.h"

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("links",
                                  "Meridian's leaf node and gateway links to other clusters.");
  std::string router;
  daemon.options().String({"router"}, &router, "gRPC address of the router to attach to");
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;
  return daemon.Run();
}
