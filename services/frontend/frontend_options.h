// meridian-frontend's options (flags and config keys of the same names).
#pragma once

#include <string>

#include "common/options/options.h"
#include "services/frontend/direct_get_cache.h"
#include "services/frontend/limits.h"

namespace meridian::frontend {

struct FrontendOptions {
  std::string client_listen = "0.0.0.0:4222";  // NATS clients; port 0 picks one
  std::string http_listen;                     // monitoring; empty = off
  std::string http_base_path;
  std::string router;                          // router gRPC address
  std::string auth_service;                    // auth gRPC address
  std::string server_name;
  bool jetstream = false;                      // JetStream reachable through the router
  std::string jetstream_service;               // meridian-jetstream's gRPC address (/jsz)
  std::string user;
  std::string pass;
  std::string auth_token;
  int64_t loops = 0;  // event loops (threads); 0 = one per core
  bool router_thread = false;  // the router link on its own thread, not loop 0
  Limits limits;
  DirectGetCacheOptions direct_get;

  void Register(options::OptionSet& set);
};

}  // namespace meridian::frontend
