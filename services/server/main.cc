// meridian-server: starts the Meridian suite on one machine; a drop-in for
// nats-server (same flags, same configuration files, same default ports).
#include "services/server/launcher.h"

int main(int argc, char** argv) { return meridian::launcher::RunLauncher(argc, argv); }
