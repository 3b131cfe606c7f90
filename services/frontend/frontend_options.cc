#include "services/frontend/frontend_options.h"

namespace meridian::frontend {

void FrontendOptions::Register(options::OptionSet& set) {
  set.String({"client_listen"}, &client_listen, "host:port for NATS client connections");
  set.String({"http_listen"}, &http_listen, "host:port for HTTP monitoring (empty: off)");
  set.String({"router"}, &router, "gRPC address of the router to attach to");
  set.String({"auth_service"}, &auth_service, "gRPC address of the auth service");
  set.String({"server_name"}, &server_name, "server_name reported to clients in INFO");
  set.Bool({"jetstream"}, &jetstream, "Advertise JetStream to clients");
  set.String({"user"}, &user, "User required for connections");
  set.String({"pass"}, &pass, "Password required for connections");
  set.String({"auth"}, &auth_token, "Token required for connections").ConfigKey("auth_token");
}

}  // namespace meridian::frontend
