#include "services/router/transport/dialer.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace meridian::router {
namespace {

absl::Status Errno(const char* what, const std::string& target) {
  return absl::UnavailableError(absl::StrCat(what, " ", target, ": ", std::strerror(errno)));
}

// Debian's Abseil has its own string_view: these stay with std's.
bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (!s->starts_with(prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// Waits for a non-blocking connect on `fd` to finish.
absl::Status FinishConnect(int fd, const std::string& target, absl::Duration timeout) {
  pollfd p{fd, POLLOUT, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return absl::DeadlineExceededError(absl::StrCat("connect ", target, ": timed out"));
  if (rc < 0) return Errno("poll", target);
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return Errno("getsockopt", target);
  if (err != 0) {
    errno = err;
    return Errno("connect", target);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Connect(int family, const sockaddr* addr, socklen_t len,
                            const std::string& target, absl::Duration timeout) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket for", target);
  absl::Status status;
  if (::connect(fd, addr, len) != 0) {
    status = errno == EINPROGRESS || errno == EAGAIN ? FinishConnect(fd, target, timeout)
                                                    : Errno("connect", target);
  }
  if (!status.ok()) {
    ::close(fd);
    return status;
  }
  if (family != AF_UNIX) {
    int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

absl::StatusOr<int> DialUnix(std::string_view path, const std::string& target,
                             absl::Duration timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("bad unix socket path in ", target));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return Connect(AF_UNIX, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr), target, timeout);
}

}  // namespace

absl::StatusOr<int> DialStream(const std::string& target, absl::Duration timeout) {
  std::string_view rest = target;
  if (ConsumePrefix(&rest, "unix://")) return DialUnix(rest, target, timeout);
  if (ConsumePrefix(&rest, "unix:")) return DialUnix(rest, target, timeout);
  if (!ConsumePrefix(&rest, "dns:///") && !ConsumePrefix(&rest, "ipv4:")) {
    (void)ConsumePrefix(&rest, "ipv6:");
  }
  // host:port, [v6]:port
  std::string host, port;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("bad router address ", target));
    }
    host = std::string(rest.substr(1, close - 1));
    port = std::string(rest.substr(close + 2));
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon + 1 >= rest.size()) {
      return absl::InvalidArgumentError(absl::StrCat("bad router address ", target, " (want host:port)"));
    }
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolve ", target, ": ", ::gai_strerror(rc)));
  }
  absl::StatusOr<int> result = absl::UnavailableError(absl::StrCat("resolve ", target, ": no addresses"));
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    result = Connect(a->ai_family, a->ai_addr, a->ai_addrlen, target, timeout);
    if (result.ok()) break;
  }
  ::freeaddrinfo(list);
  return result;
}

}  // namespace meridian::router
