// Key-Value through libnats' kvStore: put/get/create/update with revisions,
// delete and purge markers, history, keys, watchers, status, bucket delete.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/jetstream/js_fixture.h"

namespace meridian::testing::jetstream {
namespace {

using KvTest = JetStreamTest;

jsErrCode NoErr() { return static_cast<jsErrCode>(0); }

KvPtr CreateBucket(jsCtx* js, const std::string& bucket, uint8_t history) {
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket.c_str();
  cfg.History = history;
  kvStore* kv = nullptr;
  natsStatus s = js_CreateKeyValue(&kv, js, &cfg);
  EXPECT_EQ(s, NATS_OK) << "create bucket " << bucket << ": " << LastError();
  return KvPtr(s == NATS_OK ? kv : nullptr);
}

struct EntryView {
  std::string key, value;
  uint64_t revision = 0;
  kvOperation op = kvOp_Unknown;
  bool operator==(const EntryView& o) const {
    return key == o.key && value == o.value && revision == o.revision && op == o.op;
  }
};
std::ostream& operator<<(std::ostream& os, const EntryView& e) {
  return os << "{" << e.key << "=" << e.value << " rev " << e.revision << " op " << e.op << "}";
}
EntryView ViewOf(kvEntry* e) {
  EntryView v;
  v.key = Str(kvEntry_Key(e));
  v.value = std::string(static_cast<const char*>(kvEntry_Value(e)),
                        static_cast<size_t>(kvEntry_ValueLen(e)));
  v.revision = kvEntry_Revision(e);
  v.op = kvEntry_Operation(e);
  return v;
}
EntryView E(std::string key, std::string value, uint64_t rev, kvOperation op = kvOp_Put) {
  EntryView v;
  v.key = std::move(key);
  v.value = std::move(value);
  v.revision = rev;
  v.op = op;
  return v;
}

std::vector<EntryView> History(kvStore* kv, const std::string& key) {
  KvEntries h;
  natsStatus s = kvStore_History(&h.list, kv, key.c_str(), nullptr);
  EXPECT_EQ(s, NATS_OK) << "history " << key << ": " << LastError();
  std::vector<EntryView> out;
  for (int i = 0; i < h.list.Count; ++i) out.push_back(ViewOf(h.list.Entries[i]));
  return out;
}

TEST_P(KvTest, PutGetCreateUpdateDeletePurge) {
  std::string bucket = Unique("kv");
  KvPtr kv = CreateBucket(js(), bucket, 5);
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(Str(kvStore_Bucket(kv.get())), bucket);
  std::string prefix = "$KV." + bucket + ".";

  // The bucket is a stream with the KV conventions.
  StreamInfoPtr si = StreamInfo("KV_" + bucket);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->Config->MaxMsgsPerSubject, 5);
  EXPECT_TRUE(si->Config->AllowRollup);
  EXPECT_TRUE(si->Config->DenyDelete);
  EXPECT_TRUE(si->Config->AllowDirect);
  EXPECT_EQ(si->Config->Discard, js_DiscardNew);
  ASSERT_EQ(si->Config->SubjectsLen, 1);
  EXPECT_EQ(Str(si->Config->Subjects[0]), prefix + ">");

  uint64_t rev = 0;
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "a", "1"), NATS_OK) << LastError();
  EXPECT_EQ(rev, 1u);
  kvEntry* e = nullptr;
  ASSERT_EQ(kvStore_Get(&e, kv.get(), "a"), NATS_OK) << LastError();
  {
    EntryPtr owned(e);
    EXPECT_EQ(ViewOf(e), E("a", "1", 1));
    EXPECT_EQ(Str(kvEntry_Bucket(e)), bucket);
    EXPECT_GT(kvEntry_Created(e), 0);
  }

  // Create: only when the key does not exist.
  ASSERT_EQ(kvStore_CreateString(&rev, kv.get(), "b", "x"), NATS_OK) << LastError();
  EXPECT_EQ(rev, 2u);
  EXPECT_EQ(kvStore_CreateString(&rev, kv.get(), "b", "y"), NATS_ERR);
  EXPECT_NE(LastError().find("wrong last sequence: 2"), std::string::npos) << LastError();
  // The same conflict at the JetStream level: err_code 10071.
  {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.ExpectNoMessage = true;
    jsErrCode jerr = NoErr();
    std::string subj = prefix + "b";
    EXPECT_EQ(js_Publish(nullptr, js(), subj.c_str(), "y", 1, &po, &jerr), NATS_ERR);
    EXPECT_EQ(jerr, JSStreamWrongLastSequenceErr);
  }

  // Update: only from the current revision.
  ASSERT_EQ(kvStore_UpdateString(&rev, kv.get(), "a", "2", 1), NATS_OK) << LastError();
  EXPECT_EQ(rev, 3u);
  EXPECT_EQ(kvStore_UpdateString(&rev, kv.get(), "a", "stale", 1), NATS_ERR);
  EXPECT_NE(LastError().find("wrong last sequence: 3"), std::string::npos) << LastError();
  {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.ExpectLastSubjectSeq = 1;
    jsErrCode jerr = NoErr();
    std::string subj = prefix + "a";
    EXPECT_EQ(js_Publish(nullptr, js(), subj.c_str(), "z", 1, &po, &jerr), NATS_ERR);
    EXPECT_EQ(jerr, JSStreamWrongLastSequenceErr);
  }
  ASSERT_EQ(kvStore_Get(&e, kv.get(), "a"), NATS_OK);
  {
    EntryPtr owned(e);
    EXPECT_EQ(ViewOf(e), E("a", "2", 3));
  }
  ASSERT_EQ(kvStore_GetRevision(&e, kv.get(), "a", 1), NATS_OK) << LastError();
  {
    EntryPtr owned(e);
    EXPECT_EQ(ViewOf(e), E("a", "1", 1));
  }
  // A revision of another key is not this key's.
  EXPECT_EQ(kvStore_GetRevision(&e, kv.get(), "a", 2), NATS_NOT_FOUND);

  // Delete leaves a marker; the key reads as missing; create works again.
  ASSERT_EQ(kvStore_Delete(kv.get(), "a"), NATS_OK) << LastError();  // rev 4
  e = nullptr;
  EXPECT_EQ(kvStore_Get(&e, kv.get(), "a"), NATS_NOT_FOUND);
  EXPECT_EQ(e, nullptr);
  ASSERT_EQ(kvStore_CreateString(&rev, kv.get(), "a", "3"), NATS_OK) << LastError();
  EXPECT_EQ(rev, 5u);
  EXPECT_EQ(History(kv.get(), "a"),
            (std::vector<EntryView>{E("a", "1", 1), E("a", "2", 3), E("a", "", 4, kvOp_Delete),
                                    E("a", "3", 5)}));
  EXPECT_EQ(kvStore_Get(&e, kv.get(), "missing"), NATS_NOT_FOUND);

  // Purge: one marker is all that is left of the key.
  ASSERT_EQ(kvStore_Purge(kv.get(), "a", nullptr), NATS_OK) << LastError();  // rev 6
  EXPECT_EQ(History(kv.get(), "a"), (std::vector<EntryView>{E("a", "", 6, kvOp_Purge)}));
  EXPECT_EQ(kvStore_Get(&e, kv.get(), "a"), NATS_NOT_FOUND);

  // Keys: the live ones only (a's last entry is a purge marker).
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "c", "c"), NATS_OK);     // 7
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "d.e", "de"), NATS_OK);  // 8
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "gone", "g"), NATS_OK);  // 9
  ASSERT_EQ(kvStore_Delete(kv.get(), "gone"), NATS_OK);                // 10
  KvKeys keys;
  ASSERT_EQ(kvStore_Keys(&keys.list, kv.get(), nullptr), NATS_OK) << LastError();
  std::vector<std::string> got(keys.list.Keys, keys.list.Keys + keys.list.Count);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"b", "c", "d.e"}));

  // History is capped at 5 per key.
  for (int i = 1; i <= 7; ++i) {
    ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "h", std::to_string(i).c_str()), NATS_OK);
  }
  EXPECT_EQ(rev, 17u);
  std::vector<EntryView> h = History(kv.get(), "h");
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h.front(), E("h", "3", 13));
  EXPECT_EQ(h.back(), E("h", "7", 17));

  // Status: values = stored messages (b, a's marker, c, d.e, gone x2, h x5).
  kvStatus* st = nullptr;
  ASSERT_EQ(kvStore_Status(&st, kv.get()), NATS_OK) << LastError();
  KvStatusPtr status(st);
  EXPECT_EQ(Str(kvStatus_Bucket(st)), bucket);
  EXPECT_EQ(kvStatus_History(st), 5);
  EXPECT_EQ(kvStatus_Values(st), 11u);
  EXPECT_EQ(kvStatus_TTL(st), 0);
  EXPECT_EQ(kvStatus_Replicas(st), 1);
}

TEST_P(KvTest, WatchInitialValuesThenUpdates) {
  std::string bucket = Unique("kv");
  KvPtr kv = CreateBucket(js(), bucket, 3);
  ASSERT_NE(kv, nullptr);
  uint64_t rev = 0;
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "k.1", "v0"), NATS_OK);  // 1
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "k.2", "v2"), NATS_OK);  // 2
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "k.1", "v1"), NATS_OK);  // 3
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "x.y", "xy"), NATS_OK);  // 4

  kvWatcher* raw = nullptr;
  ASSERT_EQ(kvStore_WatchAll(&raw, kv.get(), nullptr), NATS_OK) << LastError();
  WatcherPtr all(raw);
  raw = nullptr;
  ASSERT_EQ(kvStore_Watch(&raw, kv.get(), "k.*", nullptr), NATS_OK) << LastError();
  WatcherPtr ks(raw);

  auto next = [](kvWatcher* w, EntryView* out) {
    kvEntry* e = nullptr;
    natsStatus s = kvWatcher_Next(&e, w, 5000);
    EntryPtr owned(e);
    if (s == NATS_OK && e != nullptr) *out = ViewOf(e);
    if (s == NATS_OK && e == nullptr) *out = EntryView();  // end of initial values
    return s;
  };
  EntryView v;
  // Initial values: the newest of each key, in stream order, then the marker.
  for (const EntryView& want : {E("k.2", "v2", 2), E("k.1", "v1", 3), E("x.y", "xy", 4)}) {
    ASSERT_EQ(next(all.get(), &v), NATS_OK) << LastError();
    EXPECT_EQ(v, want);
  }
  ASSERT_EQ(next(all.get(), &v), NATS_OK);
  EXPECT_EQ(v, EntryView()) << "expected the end-of-initial-values marker";
  for (const EntryView& want : {E("k.2", "v2", 2), E("k.1", "v1", 3), EntryView()}) {
    ASSERT_EQ(next(ks.get(), &v), NATS_OK) << LastError();
    EXPECT_EQ(v, want);
  }

  // Updates, as they happen, each seen by both watchers before the next:
  // nats-server 2.9.10 now and then skips a message on a watcher when several
  // land back to back (about 1 run in 80 on this test), so a burst here would
  // make the reference flaky rather than test anything more.
  auto expect_update = [&](const EntryView& want, bool on_ks) {
    ASSERT_EQ(next(all.get(), &v), NATS_OK) << LastError();
    EXPECT_EQ(v, want);
    if (!on_ks) return;
    ASSERT_EQ(next(ks.get(), &v), NATS_OK) << LastError();
    EXPECT_EQ(v, want);
  };
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "k.3", "v3"), NATS_OK);  // 5
  expect_update(E("k.3", "v3", 5), true);
  ASSERT_EQ(kvStore_Delete(kv.get(), "k.1"), NATS_OK);  // 6
  expect_update(E("k.1", "", 6, kvOp_Delete), true);
  ASSERT_EQ(kvStore_PutString(&rev, kv.get(), "z", "zz"), NATS_OK);  // 7
  expect_update(E("z", "zz", 7), false);
  ASSERT_EQ(kvStore_Purge(kv.get(), "k.2", nullptr), NATS_OK);  // 8
  expect_update(E("k.2", "", 8, kvOp_Purge), true);
  // Nothing more.
  kvEntry* e = nullptr;
  EXPECT_EQ(kvWatcher_Next(&e, ks.get(), 300), NATS_TIMEOUT);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(kvWatcher_Stop(all.get()), NATS_OK);

  // A watcher on an empty bucket reports the end of initial values at once.
  std::string empty_bucket = Unique("kvempty");
  KvPtr empty = CreateBucket(js(), empty_bucket, 1);
  ASSERT_NE(empty, nullptr);
  raw = nullptr;
  ASSERT_EQ(kvStore_WatchAll(&raw, empty.get(), nullptr), NATS_OK) << LastError();
  WatcherPtr ew(raw);
  ASSERT_EQ(next(ew.get(), &v), NATS_OK);
  EXPECT_EQ(v, EntryView());
  ASSERT_EQ(kvStore_PutString(&rev, empty.get(), "first", "1"), NATS_OK);
  ASSERT_EQ(next(ew.get(), &v), NATS_OK);
  EXPECT_EQ(v, E("first", "1", 1));
}

TEST_P(KvTest, BucketLifecycle) {
  std::string bucket = Unique("kv");
  KvPtr kv = CreateBucket(js(), bucket, 5);
  ASSERT_NE(kv, nullptr);
  // Creating it again with the same configuration binds to it.
  KvPtr again = CreateBucket(js(), bucket, 5);
  EXPECT_NE(again, nullptr);
  kvStore* bound = nullptr;
  ASSERT_EQ(js_KeyValue(&bound, js(), bucket.c_str()), NATS_OK) << LastError();
  KvPtr owned(bound);
  uint64_t rev = 0;
  ASSERT_EQ(kvStore_PutString(&rev, bound, "k", "v"), NATS_OK);
  kvEntry* e = nullptr;
  ASSERT_EQ(kvStore_Get(&e, kv.get(), "k"), NATS_OK);
  kvEntry_Destroy(e);

  ASSERT_EQ(js_DeleteKeyValue(js(), bucket.c_str()), NATS_OK) << LastError();
  kvStore* missing = nullptr;
  EXPECT_EQ(js_KeyValue(&missing, js(), bucket.c_str()), NATS_NOT_FOUND);
  EXPECT_EQ(missing, nullptr);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = NoErr();
  EXPECT_EQ(js_GetStreamInfo(&si, js(), ("KV_" + bucket).c_str(), nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSStreamNotFoundErr);
  EXPECT_NE(js_DeleteKeyValue(js(), bucket.c_str()), NATS_OK);
}

MERIDIAN_JS_INSTANTIATE(KvTest);

}  // namespace
}  // namespace meridian::testing::jetstream
