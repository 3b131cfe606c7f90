// meridian-jetstream: streams, consumers, KV and Object Store on RocksDB.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_split.h"
#include "common/daemon/daemon.h"
#include "common/log/log.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/monitor/monitor_service.h"

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("jetstream",
                                  "Meridian's JetStream service: streams, consumers, Key-Value and "
                                  "Object Store on RocksDB.");
  meridian::jetstream::EngineOptions o;
  std::string routers;
  daemon.options().String({"router"}, &routers,
                          "gRPC address of the router to attach to (a,b,c: failover targets)");
  daemon.options().String({"sd", "store_dir"}, &o.store_dir,
                          "Storage directory (RocksDB lives in <store_dir>/jetstream)");
  daemon.options().Size({"max_memory_store"}, &o.max_memory_store,
                        "Memory storage limit in bytes (-1: unlimited)");
  daemon.options().Size({"max_file_store"}, &o.max_file_store,
                        "File storage limit in bytes (-1: unlimited)");
  daemon.options().Bool({"sync_always"}, &o.sync_always,
                        "fsync the store before every acknowledgement (default: written to the OS "
                        "before acknowledging, survives a crash of the process, not of the machine)");
  daemon.options().Int({"sync_interval_ms"}, &o.sync_interval_ms,
                       "Without --sync_always: fsync the store this often (ms; nats-server's "
                       "sync_interval defaults to 2 minutes)");
  daemon.options().String({"server_name"}, &o.server_name, "Server name shown as stream leader");
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;
  o.link.targets = absl::StrSplit(routers, ',', absl::SkipEmpty());
  if (o.link.targets.empty()) {
    std::fprintf(stderr, "meridian-jetstream: --router is required\n");
    return 1;
  }
  o.link.peer_id = daemon.id();
  o.link.peer_name = daemon.common().name;
  if (o.server_name.empty()) o.server_name = daemon.common().name;
  o.server_id = daemon.id();
  std::unique_ptr<meridian::jetstream::Engine> engine;
  // Served once the engine runs (gRPC starts after the engine, stops before it).
  meridian::jetstream::JetStreamMonitorService monitor([&engine] { return engine.get(); });
  daemon.AddService(&monitor);
  daemon.AddComponent(
      "engine",
      [&]() -> absl::Status {
        auto e = meridian::jetstream::Engine::Open(o);
        if (!e.ok()) return e.status();
        engine = std::move(*e);
        engine->Start();
        // Ready once the router knows our subjects: frontends started after
        // us then see JetStream from their first client on.
        if (!engine->WaitAttached(absl::Seconds(10))) {
          MLOG_WARN("not attached to the router yet; serving anyway (it keeps trying)");
        }
        return absl::OkStatus();
      },
      [&] {
        if (engine) engine->Stop();
        engine.reset();
      });
  const int rc = daemon.Run();
  // Everything is stopped and the store closed. Skip static destruction: after
  // heavy traffic gRPC's library shutdown waits up to ~10 s for its executor
  // threads to leave epoll_wait, which only delays the exit.
  std::fflush(nullptr);
  std::_Exit(rc);
}
