// Test helpers: a libuv loop on its own thread, and a blocking raw-socket
// HTTP client that reads responses byte-exactly.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/http/router.h"
#include "common/http/server.h"
#include "gtest/gtest.h"

namespace meridian::http::testing {

// Runs a uv loop on a thread; Run() executes a function on it and waits.
class LoopThread {
 public:
  LoopThread() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &async_, OnAsync);
    async_.data = this;
  }
  ~LoopThread() { Stop(); }

  uv_loop_t* loop() { return &loop_; }

  void Start() {
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }

  void Run(std::function<void()> fn) {
    if (!thread_.joinable()) {  // not started (or stopped): run inline
      fn();
      return;
    }
    std::promise<void> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back([&] {
        fn();
        done.set_value();
      });
    }
    uv_async_send(&async_);
    done.get_future().wait();
  }

  // Closes the async handle; the loop then ends once every other handle is
  // closed. Returns uv_loop_close()'s result: 0 means nothing leaked.
  int Stop() {
    if (stopped_) return close_result_;
    stopped_ = true;
    if (thread_.joinable()) {
      Run([this] { uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr); });
      thread_.join();
    } else {
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
    }
    close_result_ = uv_loop_close(&loop_);
    return close_result_;
  }

 private:
  static void OnAsync(uv_async_t* async) {
    auto* self = static_cast<LoopThread*>(async->data);
    std::vector<std::function<void()>> work;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      work.swap(self->queue_);
    }
    for (auto& fn : work) fn();
  }

  uv_loop_t loop_;
  uv_async_t async_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::function<void()>> queue_;
  bool stopped_ = false;
  int close_result_ = 0;
};

// Polls `cond` until true or the deadline passes.
// A GET request line and headers (`extra`: more header lines, CRLF-ended).
inline std::string Get(absl::string_view target, absl::string_view extra = "") {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: localhost\r\n", extra, "\r\n");
}

inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout =
                                                           std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

struct HttpResponse {
  std::string status_line;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> Header(absl::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (absl::EqualsIgnoreCase(k, name)) return v;
    }
    return std::nullopt;
  }
};

class Client {
 public:
  // rcvbuf > 0 sets SO_RCVBUF before connecting (a slow, small-window reader).
  explicit Client(int port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Closes with RST instead of FIN.
  void Abort() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    Close();
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  bool Send(absl::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response. `head`: the request was HEAD (no body follows).
  std::optional<HttpResponse> Read(bool head = false, int timeout_ms = 5000) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(timeout_ms)) return std::nullopt;
    }
    HttpResponse r;
    std::vector<std::string> lines = absl::StrSplit(buffer_.substr(0, end), "\r\n");
    buffer_.erase(0, end + 4);
    r.status_line = lines[0];
    std::vector<std::string> parts = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
    if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &r.status)) return std::nullopt;
    size_t length = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string::npos) return std::nullopt;
      std::string name = lines[i].substr(0, colon);
      std::string value(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      if (absl::EqualsIgnoreCase(name, "Content-Length") && !absl::SimpleAtoi(value, &length)) {
        return std::nullopt;
      }
      r.headers.emplace_back(std::move(name), std::move(value));
    }
    if (head) return r;
    while (buffer_.size() < length) {
      if (!Fill(timeout_ms)) return std::nullopt;
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  // True if the server closes the connection (EOF or reset) within the
  // timeout with no further bytes.
  bool ReadsEof(int timeout_ms = 5000) {
    if (!buffer_.empty()) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  const std::string& buffered() const { return buffer_; }

 private:
  bool Fill(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// A Server on a loop thread, for tests: fill router_, then Listen().
class ServerFixture : public ::testing::Test {
 protected:
  void Listen(ServerOptions options = {}) {
    server_ = std::make_unique<Server>(loop_.loop(), router_->AsHandler(), options);
    absl::Status s = server_->Listen("127.0.0.1:0");
    ASSERT_TRUE(s.ok()) << s;
    port_ = server_->port();
    ASSERT_GT(port_, 0);
    loop_.Start();
  }

  void TearDown() override {
    loop_.Run([this] { server_.reset(); });
    EXPECT_EQ(loop_.Stop(), 0) << "handles left open on the loop";
  }

  ServerStats Stats() {
    ServerStats s;
    loop_.Run([&] { s = server_->stats(); });
    return s;
  }

  LoopThread loop_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

}  // namespace meridian::http::testing
