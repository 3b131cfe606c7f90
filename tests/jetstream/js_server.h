// A JetStream-enabled server under test on 127.0.0.1: Meridian (the
// meridian-server launcher and every daemon it starts) or the reference
// nats-server, both run as `<bin> -js -sd <store>`. The store directory
// outlives a stop, so a test can stop (SIGTERM) or kill (SIGKILL) the server
// and start it again on the same store and the same client port.
#pragma once

#include <sys/types.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace meridian::testing::jetstream {

enum class Backend { kMeridian, kNatsServer };

// "meridian" / "nats_server" (usable in test names).
std::string BackendName(Backend backend);
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }
// Path of the reference nats-server, "" when it is not installed.

class JsServer {
 public:
  // Creates a fresh store directory and starts the server on a random port;
  // nullptr on failure with the reason in *error.
  static std::unique_ptr<JsServer> Start(Backend backend, std::string* error);
  ~JsServer();  // kills whatever still runs, removes the store
  JsServer(const JsServer&) = delete;
  JsServer& operator=(const JsServer&) = delete;

  Backend backend() const { return backend_; }
  int port() const { return port_; }
  std::string url() const;
  const std::string& store_dir() const { return store_dir_; }
  bool running() const { return pid_ > 0; }
  // The launcher's / server's pid (-1 when not running).
  pid_t pid() const { return pid_; }
  // This run's log (stderr); earlier runs' logs are in PreviousLogs().
  std::string Log() const { return process_.Stderr(); }
  const std::string& PreviousLogs() const { return previous_logs_; }
  // Meridian: launcher log lines saying a daemon exited; "" when none.
  std::string DaemonExits() const;

  // SIGTERM and wait (bounded) for the whole server to exit. Returns the
  // launcher's / server's exit code (128+sig if it had to be killed).
  int Stop();
  // SIGKILL, nothing flushed. Meridian: the launcher is frozen first so it
  // restarts nothing, then every daemon and the launcher get SIGKILL.
  void Kill();
  // Starts again on the same store dir and client port.
  bool Restart(std::string* error);

 private:
  JsServer(Backend backend, std::string dir);
  bool Launch(int port, std::string* error);
  void WaitDaemonsGone();

  Backend backend_;
  std::string dir_;        // everything of this server: store, ports files, run dirs
  std::string store_dir_;  // dir_/store
  int port_ = 0;
  int runs_ = 0;
  Process process_;
  pid_t pid_ = -1;
  std::vector<pid_t> daemons_;  // Meridian's children when last stopped/killed
  std::string previous_logs_;
};

}  // namespace meridian::testing::jetstream
