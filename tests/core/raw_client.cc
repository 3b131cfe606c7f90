#include "tests/core/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/time/clock.h"

namespace meridian::testing {

RawClient::~RawClient() { Close(); }

void RawClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawClient::Connect(const std::string& host, int port, int rcvbuf) {
  Close();
  closed_ = false;
  buffer_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Close();
    return false;
  }
  return true;
}

bool RawClient::ConnectAndReadInfo(const std::string& host, int port, int rcvbuf) {
  if (!Connect(host, port, rcvbuf)) return false;
  return ReadLine(&info_);
}

bool RawClient::Send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

bool RawClient::ReadSome(absl::Time deadline) {
  if (closed_ || fd_ < 0) return false;
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    closed_ = true;  // EOF or reset
    return false;
  }
}

bool RawClient::WaitFor(const std::string& needle, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (buffer_.find(needle) == std::string::npos) {
    if (!ReadSome(deadline)) return buffer_.find(needle) != std::string::npos;
  }
  return true;
}

bool RawClient::Expect(const std::string& needle, absl::Duration timeout) {
  if (!WaitFor(needle, timeout)) return false;
  buffer_.erase(0, buffer_.find(needle) + needle.size());
  return true;
}

bool RawClient::ReadLine(std::string* line, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  size_t at;
  while ((at = buffer_.find("\r\n")) == std::string::npos) {
    if (!ReadSome(deadline)) return false;
  }
  *line = buffer_.substr(0, at);
  buffer_.erase(0, at + 2);
  return true;
}

bool RawClient::ReadBytes(size_t n, std::string* out, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (buffer_.size() < n) {
    if (!ReadSome(deadline)) return false;
  }
  *out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return true;
}

bool RawClient::WaitClosed(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!closed_) {
    if (!ReadSome(deadline) && !closed_) return false;
  }
  return true;
}

bool RawClient::Drain(absl::Duration window) {
  absl::Time deadline = absl::Now() + window;
  while (absl::Now() < deadline) {
    if (!ReadSome(deadline) && closed_) return false;
  }
  return !closed_;
}

bool RawClient::PingPong(absl::Duration timeout) {
  return Send("PING\r\n") && Expect("PONG\r\n", timeout);
}

std::string InfoJsonOf(const std::string& info_line) {
  if (info_line.rfind("INFO ", 0) != 0) return "";
  std::string json = info_line.substr(5);
  while (!json.empty() && (json.back() == ' ' || json.back() == '\r' || json.back() == '\n')) {
    json.pop_back();
  }
  return json;
}

std::string JsonField(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  if (at < json.size() && json[at] == '"') {
    size_t end = json.find('"', at + 1);
    return end == std::string::npos ? "" : json.substr(at, end - at + 1);
  }
  size_t end = json.find_first_of(",}", at);
  return json.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace meridian::testing
