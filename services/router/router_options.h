// meridian-router's options (flags and config keys of the same names).
#pragma once

#include <string>

#include "common/options/options.h"

namespace meridian::router {

struct RouterDaemonOptions {
  // Address other routers (and peers failing over from their own router)
  // dial: "host:port". Empty: this router serves only --grpc_listen.
  std::string cluster_listen;
  std::string routes;  // other routers' cluster addresses, comma-separated
  std::string cluster_name;

  void Register(options::OptionSet& set);
};

}  // namespace meridian::router
