#include "services/jetstream/storage.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace meridian::jetstream {

struct Storage::Db {
  std::unique_ptr<rocksdb::DB> db;
};

Storage::Storage(StorageOptions options) : options_(std::move(options)) {}
Storage::~Storage() { Close(); }

std::string Storage::path() const { return absl::StrCat(options_.store_dir, "/jetstream"); }
bool Storage::is_open() const { return db_ != nullptr; }

absl::Status Storage::Open() {
  std::error_code ec;
  std::filesystem::create_directories(path(), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create store directory ", path(), ": ", ec.message()));
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path() + "/db", &raw);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot open RocksDB at ", path(), "/db: ", s.ToString()));
  }
  db_ = std::make_unique<Db>();
  db_->db.reset(raw);
  MLOG_INFO("storage open at ", path(), "/db");
  return absl::OkStatus();
}

void Storage::Close() {
  if (db_ == nullptr) return;
  (void)db_->db->Close();
  db_.reset();
}

}  // namespace meridian::jetstream
