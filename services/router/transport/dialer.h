// Opens the socket of a router connection ourselves, for a driven
// AttachClient (see attach_client.h): the owner's event loop polls the
// socket, so the client must know it, and gRPC takes it over with
// CreateInsecureChannelFromFd. Blocking: call from a thread that may block.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace meridian::router {

// Connects to `target` ("unix:/path", "unix:///path", "host:port",
// "[v6]:port", with an optional "dns:///", "ipv4:" or "ipv6:" scheme) and
// returns the connected socket, non-blocking, close-on-exec. Names are
// resolved with getaddrinfo; every address is tried in order until one
// connects within `timeout`.
[[nodiscard]] absl::StatusOr<int> DialStream(const std::string& target, absl::Duration timeout);

}  // namespace meridian::router
