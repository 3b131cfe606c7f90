// The JetStream store: one RocksDB database under <store_dir>/jetstream.
// Opened at start, closed at stop; RocksDB headers stay in storage.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace meridian::jetstream {

struct StorageOptions {
  std::string store_dir = "/tmp/nats";
  int64_t max_memory_store = -1;
  int64_t max_file_store = -1;
};

class Storage {
 public:
  explicit Storage(StorageOptions options);
  ~Storage();
  [[nodiscard]] absl::Status Open();
  void Close();
  bool is_open() const;
  std::string path() const;

 private:
  struct Db;
  StorageOptions options_;
  std::unique_ptr<Db> db_;
};

}  // namespace meridian::jetstream
