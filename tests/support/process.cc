#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace meridian::testing {
namespace {

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t SpawnWithFds(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    // A test binary killed by a timeout takes its servers with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    ::execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

bool WaitPid(pid_t pid, absl::Duration timeout, int* code) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      *code = ExitCodeOf(status);
      return true;
    }
    if (r < 0 && errno != EINTR) return false;
    if (absl::Now() > deadline) return false;
    ::usleep(5000);
  }
}

}  // namespace

std::string BinPath(const std::string& name) {
  const char* dir = std::getenv("MERIDIAN_BIN_DIR");
  return absl::StrCat(dir ? dir : MERIDIAN_TEST_BIN_DIR, "/", name);
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult RunProgram(const std::vector<std::string>& argv, absl::Duration timeout) {
  std::string dir = MakeTempDir("meridian-run");
  std::string out_path = dir + "/out", err_path = dir + "/err";
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RunResult result;
  pid_t pid = SpawnWithFds(argv, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (!WaitPid(pid, timeout, &result.exit_code)) {
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    result.exit_code = ExitCodeOf(status);
  }
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  RemoveTree(dir);
  return result;
}

Process::Process(std::vector<std::string> argv) : argv_(std::move(argv)) {}

Process::Process(Process&& other) noexcept
    : argv_(std::move(other.argv_)),
      stderr_path_(std::move(other.stderr_path_)),
      pid_(other.pid_),
      exit_code_(other.exit_code_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    this->~Process();
    new (this) Process(std::move(other));
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  if (!stderr_path_.empty()) ::unlink(stderr_path_.c_str());
}

bool Process::Start() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "meridian-proc-XXXXXX").string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return false;
  stderr_path_ = tmpl;
  pid_ = SpawnWithFds(argv_, -1, fd);
  ::close(fd);
  return pid_ > 0;
}

int Process::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return exit_code_;
  int code;
  if (WaitPid(pid_, timeout, &code)) {
    exit_code_ = code;
    pid_ = -1;
  }
  return exit_code_;
}

int Process::SignalAndWait(int sig, absl::Duration timeout) {
  if (pid_ > 0) ::kill(pid_, sig);
  return Wait(timeout);
}

bool Process::Running() {
  if (pid_ <= 0) return false;
  int status;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = ExitCodeOf(status);
    pid_ = -1;
    return false;
  }
  return true;
}

std::string Process::Stderr() const { return ReadFile(stderr_path_); }

bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (absl::Now() > deadline) return false;
    ::usleep(20 * 1000);
  }
}

int HttpGet(const std::string& host_port, const std::string& path, std::string* body) {
  size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) return 0;
  std::string host = host_port.substr(0, colon);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  std::string req = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host_port, "\r\n\r\n");
  if (::write(fd, req.data(), req.size()) < 0) {
    ::close(fd);
    return 0;
  }
  std::string resp;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  int code = 0;
  if (resp.size() > 12) (void)absl::SimpleAtoi(resp.substr(9, 3), &code);
  size_t start = resp.find("\r\n\r\n");
  if (body) *body = start == std::string::npos ? "" : resp.substr(start + 4);
  return code;
}

bool ProcessAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

std::string PortsFileUrl(const std::string& json, const std::string& key) {
  std::string needle = absl::StrCat("\"", key, "\":[\"");
  size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  size_t end = json.find('"', at);
  return json.substr(at, end - at);
}

namespace {

// Parent pid and state of a process from /proc/<pid>/stat; false if gone.
bool ProcStat(pid_t pid, pid_t* ppid, char* state) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 4 > stat.size()) return false;
  std::vector<std::string> f = absl::StrSplit(stat.substr(paren + 2), ' ');
  if (f.size() < 2) return false;
  *state = f[0].empty() ? '?' : f[0][0];
  int p = 0;
  if (!absl::SimpleAtoi(f[1], &p)) return false;
  *ppid = p;
  return true;
}

// Every live descendant of `root` (children, grandchildren, ...).
std::vector<pid_t> DescendantsOf(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      int pid = 0;
      if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
      pid_t ppid;
      char state;
      if (ProcStat(pid, &ppid, &state) && state != 'Z') children[ppid].push_back(pid);
    }
    ::closedir(d);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p]) {
      out.push_back(c);
      todo.push_back(c);
    }
  }
  return out;
}

bool GoneOrZombie(pid_t pid) {
  pid_t ppid;
  char state;
  return !ProcStat(pid, &ppid, &state) || state == 'Z' || state == 'X';
}

}  // namespace

std::vector<pid_t> ProcessDescendants(pid_t root) { return DescendantsOf(root); }
bool ProcessGone(pid_t pid) { return GoneOrZombie(pid); }

std::string NatsServerPath() {
  for (const char* p :
       {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

}  // namespace meridian::testing
