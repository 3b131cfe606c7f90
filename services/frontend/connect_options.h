// The client's CONNECT options, parsed from its JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace meridian::frontend {

// Defaults as nats-server's: CONNECT overrides only the fields it names, and
// a client that names none is verbose and pedantic.
struct ConnectOptions {
  bool verbose = true;
  bool pedantic = true;
  bool echo = true;
  bool headers = false;
  bool no_responders = false;
  bool tls_required = false;
  int64_t protocol = 0;
  std::string name, lang, version, user, pass, auth_token, nkey, jwt, sig;
};

// Fills `out` from the CONNECT JSON; unknown fields are ignored, as
// nats-server does. An error means the JSON itself is malformed.
[[nodiscard]] absl::Status ParseConnectOptions(std::string_view json, ConnectOptions* out);

}  // namespace meridian::frontend
