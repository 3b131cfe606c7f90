// meridian-auth: users, tokens, NKeys, JWTs and permissions.
#include <string>

#include "common/daemon/daemon.h"

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("auth",
                                  "Meridian's authentication service: decides who a client is and "
                                  "what it may do.");
  std::string user, pass, token;
  daemon.options().String({"user"}, &user, "User required for connections");
  daemon.options().String({"pass"}, &pass, "Password required for connections");
  daemon.options().String({"auth"}, &token, "Token required for connections");
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;
  return daemon.Run();
}
