// Store: opening and tuning the database, the stream catalog, Commit.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/write_batch.h"
#include "services/jetstream/store/keys.h"
#include "services/jetstream/store/rocks_store.h"

namespace meridian::jetstream {
namespace {

absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

bool Supported(rocksdb::CompressionType type) {
  for (rocksdb::CompressionType t : rocksdb::GetSupportedCompressions()) {
    if (t == type) return true;
  }
  return false;
}

// Keys are appended in order per prefix, so the memtable can keep an insert
// position (a "hint") per prefix and skip most of the skiplist search:
// block keys (prefix id + 'B') always; index keys (prefix: everything but
// the seq) only for streams with few subjects, since each hint costs ~250
// bytes of memtable and buys nothing when subjects rarely repeat. Called on
// the writing thread only (no concurrent memtable writes).
class InsertHintPrefix final : public rocksdb::SliceTransform {
 public:
  explicit InsertHintPrefix(const absl::flat_hash_set<uint64_t>* hinted_index)
      : hinted_index_(hinted_index) {}
  const char* Name() const override { return "meridian.jetstream.InsertHintPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    if (key[keys::kIdLen] == keys::kIndexTag) {
      return rocksdb::Slice(key.data(), key.size() - keys::kSeqLen);
    }
    return rocksdb::Slice(key.data(), keys::kTagPrefixLen);
  }
  // Only whole block and index keys. RocksDB 7.8 looks the hint up by
  // prefix for range-deletion begin keys too, and then applies a splice of
  // the point skiplist to the range-deletion skiplist (a crash): every
  // DeleteRange here therefore begins with a key outside this domain (a
  // bare tag or subject prefix).
  bool InDomain(const rocksdb::Slice& key) const override {
    if (key.size() < keys::kTagPrefixLen + keys::kSeqLen) return false;
    if (key[keys::kIdLen] == keys::kBlockTag)
      return key.size() == keys::kTagPrefixLen + keys::kSeqLen;
    std::string_view subject;
    StreamSeq seq = 0;
    return key[keys::kIdLen] == keys::kIndexTag &&
           hinted_index_->contains(keys::ReadBigEndian64(key.data())) &&
           keys::ParseIndexKey(std::string_view(key.data(), key.size()), &subject, &seq);
  }

 private:
  const absl::flat_hash_set<uint64_t>* hinted_index_;
};

// Tuned for batched small appends and seeks (README.md, "Tuning").
rocksdb::Options MakeOptions(const StoreOptions& opts, rocksdb::Env* env,
                             const std::shared_ptr<rocksdb::Cache>& cache,
                             const absl::flat_hash_set<uint64_t>* hinted_index) {
  rocksdb::Options o;
  o.create_if_missing = true;
  if (env != nullptr) o.env = env;
  o.max_background_jobs = 2;
  o.write_buffer_size = 64ull << 20;
  o.max_write_buffer_number = 3;
  o.target_file_size_base = 64ull << 20;
  o.max_bytes_for_level_base = 256ull << 20;
  o.level_compaction_dynamic_level_bytes = true;
  o.max_open_files = 1024;
  o.bytes_per_sync = 1ull << 20;
  o.max_total_wal_size = 512ull << 20;
  // Fresh data stays uncompressed (it is read back soon, often); only the
  // bottom level, where old messages settle, is compressed.
  o.compression = rocksdb::kNoCompression;
  if (Supported(rocksdb::kLZ4Compression)) o.bottommost_compression = rocksdb::kLZ4Compression;
  o.wal_compression = rocksdb::kNoCompression;
  // One writer thread: no concurrent memtable inserts (which would also
  // ignore the insert hints).
  o.allow_concurrent_memtable_write = false;
  o.memtable_insert_with_hint_prefix_extractor = std::make_shared<InsertHintPrefix>(hinted_index);
  // Queues delete from the front: compact files that are mostly tombstones.
  o.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(64 * 1024, 16 * 1024, 0.5));

  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.block_size = 16 * 1024;
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  // No bloom filter: almost every read is a seek or a Get of a key that
  // exists, where a filter costs memory and buys nothing.
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

}  // namespace

uint64_t StoredSize(std::string_view subject, std::string_view headers, std::string_view data) {
  return subject.size() + headers.size() + data.size() + 16;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto store = RocksStore::OpenDb(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

RocksStore::RocksStore(StoreOptions options) : options_(std::move(options)) {
  tail_budget_.limit = options_.tail_cache_bytes;
}

void RocksStore::EvictTails() {
  // Trim the biggest tails until 90% of the budget is used: one pass over
  // the streams per ~10% of the budget appended.
  const uint64_t goal = tail_budget_.limit - tail_budget_.limit / 10;
  while (tail_budget_.used > goal) {
    RocksStreamStore* biggest = nullptr;
    for (auto& [name, stream] : streams_) {
      if (biggest == nullptr || stream->tail_bytes() > biggest->tail_bytes())
        biggest = stream.get();
    }
    if (biggest == nullptr || biggest->tail_bytes() == 0) return;
    const uint64_t excess = tail_budget_.used - goal;
    const uint64_t bytes = biggest->tail_bytes();
    biggest->EvictTail(bytes > excess ? bytes - excess : 0);
  }
}

void RocksStore::ShareRunCache() {
  if (streams_.empty()) return;
  const uint64_t each = std::max<uint64_t>(1, options_.run_cache_entries / streams_.size());
  for (auto& [name, stream] : streams_) stream->SetRunCacheLimit(each);
}

RocksStore::~RocksStore() { (void)Close(); }

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::OpenDb(const StoreOptions& options) {
  std::unique_ptr<RocksStore> store(new RocksStore(options));
  if (absl::Status s = store->OpenInternal(); !s.ok()) {
    store->closed_ = true;
    return s;
  }
  return store;
}

absl::Status RocksStore::OpenInternal() {
  if (options_.path.empty()) return absl::InvalidArgumentError("store path is empty");
  if (options_.in_memory) {
    env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  } else {
    std::error_code ec;
    std::filesystem::create_directories(options_.path, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot create store directory ", options_.path, ": ", ec.message()));
    }
  }
  cache_ = rocksdb::NewLRUCache(std::max<uint64_t>(options_.block_cache_bytes, 1 << 20));
  rocksdb::Options o = MakeOptions(options_, env_.get(), cache_, &hinted_index_);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(o, options_.path, &raw);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot open message store at ", options_.path, ": ", s.ToString()));
  }
  db_.reset(raw);
  batch_ = std::make_unique<rocksdb::WriteBatch>();
  return LoadCatalog();
}

absl::Status RocksStore::LoadCatalog() {
  std::string value;
  // A store written by a newer build may hold records this one misreads.
  if (absl::Status s = Get(keys::FormatKey(), &value); s.ok()) {
    if (value.size() != 8) return absl::DataLossError("message store: bad format record");
    const uint64_t format = keys::ReadBigEndian64(value.data());
    if (format > keys::kFormat) {
      return absl::FailedPreconditionError(
          absl::StrCat("message store at ", options_.path, " has format ", format,
                       "; this build reads formats up to ", keys::kFormat));
    }
  } else if (!absl::IsNotFound(s)) {
    return s;
  }
  const uint64_t stored_format = value.size() == 8 ? keys::ReadBigEndian64(value.data()) : 1;
  value.clear();
  if (absl::Status s = Get(keys::NextIdKey(), &value); s.ok()) {
    if (value.size() != 8) return absl::DataLossError("message store: bad next-id record");
    next_id_ = keys::ReadBigEndian64(value.data());
  } else if (!absl::IsNotFound(s)) {
    return s;
  }
  std::vector<std::pair<std::string, uint64_t>> catalog;
  {
    const std::string prefix = keys::TagPrefix(keys::kGlobalId, keys::kCatalogTag);
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (it->value().size() != 8) return absl::DataLossError("message store: bad catalog record");
      catalog.emplace_back(it->key().ToString().substr(prefix.size()),
                           keys::ReadBigEndian64(it->value().data()));
    }
    if (!it->status().ok()) return absl::InternalError(it->status().ToString());
  }
  if (stored_format < keys::kFormat) {
    // Formats 1 and 2 kept a key per message: rewrite them as blocks, then
    // say the store has the current format (a crash before that redoes
    // the conversion, which writes the same records again).
    for (const auto& [name, id] : catalog) {
      if (absl::Status s = ConvertMessageKeys(this, id); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("converting stream ", name, ": ", s.message()));
      }
    }
    std::string format;
    keys::AppendBigEndian64(&format, keys::kFormat);
    rocksdb::WriteBatch batch;
    batch.Put(keys::FormatKey(), format);
    if (absl::Status s = WriteNow(&batch); !s.ok()) return s;
  }
  for (auto& [name, id] : catalog) {
    std::string meta;
    if (absl::Status s = Get(keys::MetaKey(id), &meta); !s.ok() && !absl::IsNotFound(s)) return s;
    keys::SeqState seq_state;
    if (absl::Status s = Get(keys::SeqStateKey(id), &value); s.ok()) {
      if (!keys::DecodeSeqState(value, &seq_state)) {
        return absl::DataLossError(absl::StrCat("message store: bad seq state of stream ", name));
      }
    } else if (!absl::IsNotFound(s)) {
      return s;
    }
    auto stream =
        std::make_unique<RocksStreamStore>(this, id, name, std::move(meta), &tail_budget_);
    if (absl::Status s = stream->Recover(seq_state); !s.ok()) return s;
    next_id_ = std::max(next_id_, id + 1);
    streams_.emplace(name, std::move(stream));
  }
  ShareRunCache();
  return absl::OkStatus();
}

std::vector<StreamStore*> RocksStore::Streams() {
  std::vector<StreamStore*> out;
  out.reserve(streams_.size());
  for (auto& [name, stream] : streams_) out.push_back(stream.get());
  return out;
}

StreamStore* RocksStore::Find(std::string_view name) {
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second.get();
}

absl::StatusOr<StreamStore*> RocksStore::Create(std::string_view name, std::string_view meta) {
  if (name.empty()) return absl::InvalidArgumentError("stream name is empty");
  if (streams_.find(name) != streams_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("stream ", AsAbsl(name), " already exists"));
  }
  const uint64_t id = next_id_++;
  std::string id_value;
  keys::AppendBigEndian64(&id_value, id);
  std::string next_value;
  keys::AppendBigEndian64(&next_value, next_id_);
  batch_->Put(AsSlice(keys::CatalogKey(name)), id_value);
  batch_->Put(keys::NextIdKey(), next_value);
  batch_->Put(keys::MetaKey(id), AsSlice(meta));
  auto stream = std::make_unique<RocksStreamStore>(this, id, std::string(name), std::string(meta),
                                                   &tail_budget_);
  stream->InitEmpty();
  RocksStreamStore* raw = stream.get();
  streams_.emplace(std::string(name), std::move(stream));
  ShareRunCache();
  return raw;
}

absl::Status RocksStore::Delete(std::string_view name) {
  auto it = streams_.find(name);
  if (it == streams_.end()) {
    return absl::NotFoundError(absl::StrCat("stream ", AsAbsl(name), " not found"));
  }
  RocksStreamStore* stream = it->second.get();
  const uint64_t id = stream->id();
  // Everything of the stream shares its id prefix: one range tombstone.
  batch_->DeleteRange(keys::StreamPrefix(id), keys::StreamPrefix(id + 1));
  batch_->Delete(AsSlice(keys::CatalogKey(name)));
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), stream), dirty_.end());
  hinted_index_.erase(id);
  total_bytes_ -= stream->State().bytes;
  streams_.erase(it);
  ShareRunCache();
  return absl::OkStatus();
}

void RocksStore::FlushDeletes() {
  if (delete_spans_.empty()) return;
  auto key = [this](const std::pair<size_t, size_t>& span) {
    return std::string_view(delete_keys_.data() + span.first, span.second);
  };
  std::sort(delete_spans_.begin(), delete_spans_.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  for (const auto& span : delete_spans_) batch_->Delete(AsSlice(key(span)));
  delete_spans_.clear();
  delete_keys_.clear();
}

absl::Status RocksStore::Commit() {
  if (!write_error_.ok()) return write_error_;
  if (closed_) return absl::FailedPreconditionError("message store is closed");
  FlushDeletes();
  for (RocksStreamStore* stream : dirty_) {
    stream->WriteBlocks(batch_.get());
    stream->WriteRuns(batch_.get());
  }
  FlushDeletes();
  for (RocksStreamStore* stream : dirty_) stream->WriteSeqState(batch_.get());
  if (batch_->Count() == 0) {
    dirty_.clear();
    return absl::OkStatus();
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_always;
  wo.disableWAL = false;
  rocksdb::Status s = db_->Write(wo, batch_.get());
  if (!s.ok()) {
    write_error_ = absl::InternalError(
        absl::StrCat("message store write failed at ", options_.path, ": ", s.ToString()));
    return write_error_;
  }
  std::vector<RocksStreamStore*> compacting;
  for (RocksStreamStore* stream : dirty_) {
    stream->ClearDirty();
    if (stream->BlocksCommitted()) compacting.push_back(stream);
  }
  dirty_.clear();
  batch_->Clear();
  ++write_gen_;
  DropHeldIterators();
  if (compacting.empty()) return absl::OkStatus();
  // Block ranges mostly removed: rewritten from the committed blocks, in
  // a write of their own.
  for (RocksStreamStore* stream : compacting) {
    if (absl::Status c = stream->CompactBlocks(batch_.get()); !c.ok()) {
      batch_->Clear();
      write_error_ = c;
      return c;
    }
  }
  if (absl::Status w = WriteNow(batch_.get()); !w.ok()) {
    write_error_ = w;
    return w;
  }
  batch_->Clear();
  ++write_gen_;
  DropHeldIterators();
  return absl::OkStatus();
}

void RocksStore::DropHeldIterators() {
  for (MsgBlocks* holder : iter_holders_) holder->DropIterator();
  iter_holders_.clear();
}

absl::Status RocksStore::WriteNow(rocksdb::WriteBatch* batch) {
  if (batch->Count() == 0) return absl::OkStatus();
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_always;
  rocksdb::Status s = db_->Write(wo, batch);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("message store write failed at ", options_.path, ": ", s.ToString()));
  }
  return absl::OkStatus();
}

absl::Status RocksStore::Close() {
  if (closed_) return absl::OkStatus();
  absl::Status result = Commit();
  closed_ = true;
  iter_.reset();
  DropHeldIterators();
  streams_.clear();
  if (db_ != nullptr) {
    rocksdb::Status s = db_->Close();
    if (!s.ok() && result.ok()) {
      result = absl::InternalError(absl::StrCat("closing message store: ", s.ToString()));
    }
    db_.reset();
  }
  env_.reset();
  return result;
}

absl::Status RocksStore::Sync() {
  if (!write_error_.ok()) return write_error_;
  if (closed_) return absl::FailedPreconditionError("message store is closed");
  rocksdb::Status s = db_->SyncWAL();
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("message store sync failed at ", options_.path, ": ", s.ToString()));
  }
  return absl::OkStatus();
}

rocksdb::Iterator* RocksStore::Iter() {
  iter_pos_ = IterPos{};  // the caller may move it anywhere
  return IterKeepPos();
}

rocksdb::Iterator* RocksStore::IterKeepPos() {
  if (iter_ == nullptr || iter_gen_ != write_gen_) {
    iter_.reset();
    iter_ = NewIterator();
    iter_gen_ = write_gen_;
  }
  return iter_.get();
}

std::unique_ptr<rocksdb::Iterator> RocksStore::NewIterator() {
  rocksdb::ReadOptions ro;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro));
}

absl::Status RocksStore::Get(std::string_view key, std::string* value) {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), AsSlice(key), value);
  if (s.IsNotFound()) return absl::NotFoundError("not found");
  if (!s.ok()) return absl::InternalError(absl::StrCat("message store read: ", s.ToString()));
  return absl::OkStatus();
}

}  // namespace meridian::jetstream
