#include "tests/bench/loadgen/conn.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meridian::loadgen {
namespace {

constexpr std::string_view kConnect =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,"
    "\"protocol\":1,\"echo\":false,\"name\":\"meridian-loadgen\",\"lang\":\"c++\",\"version\":\"0.1\"}\r\n"
    "PING\r\n";

absl::Status ErrnoStatus(const char* what) {
  return absl::UnavailableError(std::string(what) + ": " + std::strerror(errno));
}

absl::StatusOr<int> ConnectSocket(const Endpoint& endpoint, Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(endpoint.port);
  if (int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::InvalidArgumentError("resolve " + endpoint.host + ": " + ::gai_strerror(rc));
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(res);
    return ErrnoStatus("socket");
  }
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0 && errno != EINPROGRESS) {
    absl::Status st = ErrnoStatus(("connect " + endpoint.ToString()).c_str());
    ::close(fd);
    return st;
  }
  if (rc != 0) {
    pollfd pfd{fd, POLLOUT, 0};
    int n = ::poll(&pfd, 1, MillisLeft(deadline, 1 << 30));
    int err = 0;
    socklen_t len = sizeof(err);
    if (n <= 0)
      err = ETIMEDOUT;
    else
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      ::close(fd);
      errno = err;
      return ErrnoStatus(("connect " + endpoint.ToString()).c_str());
    }
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

absl::StatusOr<Endpoint> ParseEndpoint(const std::string& url) {
  std::string rest = url;
  if (size_t scheme = rest.find("://"); scheme != std::string::npos) rest = rest.substr(scheme + 3);
  Endpoint endpoint;
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (!host.empty()) endpoint.host = host;
  if (colon != std::string::npos) {
    std::string port = rest.substr(colon + 1);
    char* end = nullptr;
    long v = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || v <= 0 || v > 65535) {
      return absl::InvalidArgumentError("bad port in url: " + url);
    }
    endpoint.port = static_cast<int>(v);
  }
  return endpoint;
}

absl::StatusOr<std::vector<Endpoint>> ParseEndpoints(const std::string& urls) {
  std::vector<Endpoint> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = urls.find(',', start);
    const std::string one = urls.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (one.empty()) return absl::InvalidArgumentError("empty url in list: " + urls);
    absl::StatusOr<Endpoint> endpoint = ParseEndpoint(one);
    if (!endpoint.ok()) return endpoint.status();
    out.push_back(*endpoint);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Deadline DeadlineAfter(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

int MillisLeft(Deadline deadline, int cap_ms) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > cap_ms ? cap_ms : static_cast<int>(left);
}

absl::StatusOr<std::unique_ptr<Conn>> Conn::Dial(const Endpoint& endpoint, Deadline deadline,
                                                 std::function<void(const Frame&)> on_frame) {
  absl::StatusOr<int> fd = ConnectSocket(endpoint, deadline);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<Conn> conn(new Conn(*fd));
  if (on_frame) conn->reader_.set_on_frame(std::move(on_frame));
  const std::string where = "handshake with " + endpoint.ToString() + ": ";
  while (conn->reader_.infos() == 0) {
    if (Clock::now() >= deadline) return absl::DeadlineExceededError(where + "no INFO");
    if (absl::Status st = conn->Poll(100, deadline); !st.ok()) {
      return absl::Status(st.code(), where + "before INFO: " + std::string(st.message()));
    }
  }
  absl::Status st = conn->WriteRaw(kConnect, deadline);
  while (st.ok() && conn->reader_.pongs() == 0) {
    if (Clock::now() >= deadline) return absl::DeadlineExceededError(where + "no PONG after CONNECT");
    st = conn->Poll(100, deadline);
  }
  if (!st.ok()) return absl::Status(st.code(), where + std::string(st.message()));
  return conn;
}

Conn::~Conn() { ::close(fd_); }

absl::Status Conn::ReadOnce(bool* got_data) {
  *got_data = false;
  ssize_t n = ::recv(fd_, buffer_.get(), kReadBufferSize, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return absl::OkStatus();
    return ErrnoStatus("read");
  }
  if (n == 0) {
    if (reader_.errs() > 0) return absl::UnavailableError("server sent -ERR '" + reader_.first_error() + "'");
    return absl::UnavailableError("connection closed by the server");
  }
  *got_data = true;
  if (FeedStatus st = reader_.Feed(buffer_.get(), static_cast<size_t>(n)); st != FeedStatus::kOk) {
    return absl::InternalError(std::string("bad input from the server: ") + FeedStatusText(st));
  }
  if (reader_.errs() > 0) return absl::UnavailableError("server sent -ERR '" + reader_.first_error() + "'");
  return absl::OkStatus();
}

absl::Status Conn::Poll(int wait_ms, Deadline deadline, bool* got_data) {
  bool got = false;
  absl::Status st = ReadOnce(&got);
  if (st.ok() && !got && wait_ms > 0) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, MillisLeft(deadline, wait_ms)) > 0) st = ReadOnce(&got);
  }
  if (got_data != nullptr) *got_data = got;
  if (!st.ok()) return st;
  return AnswerPings(deadline);
}

absl::Status Conn::WriteRaw(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return ErrnoStatus("write");
    if (Clock::now() >= deadline) return absl::DeadlineExceededError("write timed out");
    pollfd pfd{fd_, POLLOUT, 0};
    ::poll(&pfd, 1, MillisLeft(deadline, 100));
  }
  return absl::OkStatus();
}

absl::Status Conn::AnswerPings(Deadline deadline) {
  while (pings_answered_ < reader_.pings()) {
    ++pings_answered_;
    if (absl::Status st = WriteRaw("PONG\r\n", deadline); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status Conn::WriteAll(std::string_view bytes, Deadline deadline) {
  // Look for a -ERR now and then even when the socket never fills up.
  if ((++writes_ & 15) == 0) {
    bool got = false;
    if (absl::Status st = ReadOnce(&got); !st.ok()) return st;
  }
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return ErrnoStatus("write");
    if (Clock::now() >= deadline) return absl::DeadlineExceededError("write timed out");
    if (abort_ != nullptr && abort_->load(std::memory_order_relaxed)) return absl::AbortedError("aborted");
    pollfd pfd{fd_, POLLOUT | POLLIN, 0};
    if (::poll(&pfd, 1, MillisLeft(deadline, 100)) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
      bool got = false;
      if (absl::Status st = ReadOnce(&got); !st.ok()) return st;
    }
  }
  return AnswerPings(deadline);
}

absl::Status Conn::Flush(Deadline deadline) {
  uint64_t want = reader_.pongs() + 1;
  if (absl::Status st = WriteRaw("PING\r\n", deadline); !st.ok()) return st;
  while (reader_.pongs() < want) {
    if (Clock::now() >= deadline) return absl::DeadlineExceededError("no PONG (flush) before the deadline");
    if (absl::Status st = Poll(100, deadline); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace meridian::loadgen
