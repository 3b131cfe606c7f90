// meridian-jetstream: streams, consumers, KV and Object Store on RocksDB.
#include "common/daemon/daemon.h"
#include "services/jetstream/storage.h"

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("jetstream",
                                  "Meridian's JetStream service: streams, consumers, Key-Value and "
                                  "Object Store on RocksDB.");
  meridian::jetstream::StorageOptions storage_options;
  std::string router;
  daemon.options().String({"router"}, &router, "gRPC address of the router to attach to");
  daemon.options().String({"sd", "store_dir"}, &storage_options.store_dir,
                          "Storage directory (RocksDB lives in <store_dir>/jetstream)");
  daemon.options().Size({"max_memory_store"}, &storage_options.max_memory_store,
                        "Memory storage limit in bytes (-1: unlimited)");
  daemon.options().Size({"max_file_store"}, &storage_options.max_file_store,
                        "File storage limit in bytes (-1: unlimited)");
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;
  meridian::jetstream::Storage storage(storage_options);
  daemon.AddComponent("storage", [&] { return storage.Open(); }, [&] { storage.Close(); });
  return daemon.Run();
}
