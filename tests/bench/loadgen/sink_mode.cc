// sink: a fake NATS server that does nothing: INFO on accept, PONG for each
// PING, everything else parsed and dropped. One thread per connection.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/bench/loadgen/conn.h"
#include "tests/bench/loadgen/frame_reader.h"
#include "tests/bench/loadgen/modes.h"
#include "tests/bench/loadgen/report.h"

namespace meridian::loadgen {
namespace {

struct Totals {
  std::atomic<uint64_t> conns{0};
  std::atomic<uint64_t> frames{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> bad{0};
};

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void Serve(int fd, int port, const std::atomic<bool>& stop, Totals& totals) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const std::string info =
      "INFO {\"server_id\":\"NLOADGENSINK\",\"server_name\":\"sink\",\"version\":\"2.9.10\",\"proto\":1,"
      "\"go\":\"none\",\"host\":\"127.0.0.1\",\"port\":" +
      std::to_string(port) + ",\"headers\":true,\"max_payload\":1048576} \r\n";
  FrameReader reader;
  uint64_t pongs_sent = 0;
  std::vector<char> buf(Conn::kReadBufferSize);
  bool ok = SendAll(fd, info);
  while (ok && !stop.load(std::memory_order_relaxed)) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    totals.bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    if (reader.Feed(buf.data(), static_cast<size_t>(n)) != FeedStatus::kOk) {
      totals.bad.fetch_add(1);
      SendAll(fd, "-ERR 'Unknown Protocol Operation'\r\n");
      break;
    }
    for (; pongs_sent < reader.pings() && ok; ++pongs_sent) ok = SendAll(fd, "PONG\r\n");
  }
  totals.frames.fetch_add(reader.frames());
  ::close(fd);
}

}  // namespace

int RunSink(const Options& o) {
  Report report;
  report.Add("mode", "sink");
  // Signals are taken synchronously by the main thread only.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(lfd, 128) != 0) {
    std::string err = std::strerror(errno);
    ::close(lfd);
    return report.Finish(absl::UnavailableError("listen on 127.0.0.1:" + std::to_string(o.port) + ": " + err));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  report.Add("port", port);
  Note("sink: listening on 127.0.0.1:" + std::to_string(port));

  std::atomic<bool> stop{false};
  Totals totals;
  std::mutex mu;
  std::vector<std::thread> workers;  // guarded by mu
  std::thread acceptor([&] {
    while (!stop.load()) {
      pollfd pfd{lfd, POLLIN, 0};
      if (::poll(&pfd, 1, 100) <= 0) continue;
      int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      totals.conns.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu);
      workers.emplace_back([&, fd] { Serve(fd, port, stop, totals); });
    }
  });

  const auto timeout = std::chrono::duration<double>(o.timeout_s);
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec ts{static_cast<time_t>(secs.count()),
              static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout - secs).count())};
  int sig = ::sigtimedwait(&sigs, nullptr, &ts);
  stop.store(true);
  acceptor.join();
  {
    std::lock_guard<std::mutex> lock(mu);
    for (std::thread& t : workers) t.join();
  }
  ::close(lfd);
  report.Add("conns", totals.conns.load())
      .Add("frames", totals.frames.load())
      .Add("bytes", totals.bytes.load())
      .Add("bad_conns", totals.bad.load())
      .Add("ended_by", sig > 0 ? "signal" : "timeout");
  return report.Finish(absl::OkStatus());
}

}  // namespace meridian::loadgen
