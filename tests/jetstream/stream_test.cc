// Streams: add/update/info/delete, names and list, purge variants, get and
// delete of single messages, and the err_codes of the failures.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/jetstream/js_fixture.h"

namespace meridian::testing::jetstream {
namespace {

using StreamTest = JetStreamTest;

jsErrCode NoErr() { return static_cast<jsErrCode>(0); }

TEST_P(StreamTest, AddUpdateInfoDelete) {
  std::string name = Unique("S"), tok = Token();
  std::string subj = tok + ".>";
  StreamInfoPtr si = AddStream(name, {subj});
  ASSERT_NE(si, nullptr);
  ASSERT_NE(si->Config, nullptr);
  EXPECT_EQ(Str(si->Config->Name), name);
  ASSERT_EQ(si->Config->SubjectsLen, 1);
  EXPECT_EQ(Str(si->Config->Subjects[0]), subj);
  EXPECT_EQ(si->Config->Storage, js_FileStorage);
  EXPECT_EQ(si->Config->Retention, js_LimitsPolicy);
  EXPECT_EQ(si->Config->MaxMsgs, -1);
  EXPECT_EQ(si->Config->Duplicates, int64_t{120} * 1000 * 1000 * 1000);
  EXPECT_EQ(si->State.Msgs, 0u);
  EXPECT_EQ(si->State.FirstSeq, 0u);
  EXPECT_EQ(si->State.LastSeq, 0u);

  // The same configuration again is accepted (idempotent create).
  EXPECT_NE(AddStream(name, {subj}), nullptr);

  // A different configuration under the same name: 10058.
  {
    const char* subjects[] = {subj.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.MaxMsgs = 10;
    jsStreamInfo* out = nullptr;
    jsErrCode jerr = NoErr();
    EXPECT_EQ(js_AddStream(&out, js(), &cfg, nullptr, &jerr), NATS_ERR);
    EXPECT_EQ(jerr, JSStreamNameExistErr) << LastError();
    EXPECT_EQ(out, nullptr);
    jsStreamInfo_Destroy(out);

    // js_UpdateStream applies it.
    jerr = NoErr();
    ASSERT_EQ(js_UpdateStream(&out, js(), &cfg, nullptr, &jerr), NATS_OK)
        << jerr << " " << LastError();
    StreamInfoPtr updated(out);
    EXPECT_EQ(updated->Config->MaxMsgs, 10);
  }

  for (int i = 1; i <= 15; ++i) EXPECT_EQ(Publish(tok + ".x", absl::StrCat("m", i)), uint64_t(i));
  si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 10u);
  EXPECT_EQ(si->State.FirstSeq, 6u);
  EXPECT_EQ(si->State.LastSeq, 15u);
  EXPECT_EQ(si->State.Consumers, 0);
  EXPECT_EQ(si->Config->MaxMsgs, 10);

  // Subjects overlapping this stream's: 10065.
  {
    std::string other = Unique("O"), overlap = tok + ".x";
    const char* subjects[] = {overlap.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = other.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    jsStreamInfo* out = nullptr;
    jsErrCode jerr = NoErr();
    EXPECT_NE(js_AddStream(&out, js(), &cfg, nullptr, &jerr), NATS_OK);
    EXPECT_EQ(jerr, JSStreamSubjectOverlapErr) << LastError();
    jsStreamInfo_Destroy(out);
  }

  // Names and list include it.
  {
    jsStreamNamesList* names = nullptr;
    jsErrCode jerr = NoErr();
    ASSERT_EQ(js_StreamNames(&names, js(), nullptr, &jerr), NATS_OK) << LastError();
    Ptr<jsStreamNamesList> owned(names);
    std::vector<std::string> got(names->List, names->List + names->Count);
    EXPECT_NE(std::find(got.begin(), got.end(), name), got.end());

    jsStreamInfoList* list = nullptr;
    ASSERT_EQ(js_Streams(&list, js(), nullptr, &jerr), NATS_OK) << LastError();
    Ptr<jsStreamInfoList> owned_list(list);
    bool found = false;
    for (int i = 0; i < list->Count; ++i) {
      if (Str(list->List[i]->Config->Name) != name) continue;
      found = true;
      EXPECT_EQ(list->List[i]->State.Msgs, 10u);
      EXPECT_EQ(list->List[i]->State.LastSeq, 15u);
    }
    EXPECT_TRUE(found);

    // The subject filter of STREAM.NAMES (libnats: Stream.Info.SubjectsFilter).
    jsOptions o;
    jsOptions_Init(&o);
    std::string filter = tok + ".x";
    o.Stream.Info.SubjectsFilter = filter.c_str();
    jsStreamNamesList* filtered = nullptr;
    ASSERT_EQ(js_StreamNames(&filtered, js(), &o, &jerr), NATS_OK) << LastError();
    Ptr<jsStreamNamesList> owned_filtered(filtered);
    ASSERT_EQ(filtered->Count, 1);
    EXPECT_EQ(Str(filtered->List[0]), name);
  }

  // Delete; then it is gone (10059) for info, delete and purge.
  jsErrCode jerr = NoErr();
  EXPECT_EQ(js_DeleteStream(js(), name.c_str(), nullptr, &jerr), NATS_OK) << LastError();
  jsStreamInfo* out = nullptr;
  EXPECT_EQ(js_GetStreamInfo(&out, js(), name.c_str(), nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSStreamNotFoundErr);
  jsStreamInfo_Destroy(out);
  jerr = NoErr();
  EXPECT_NE(js_DeleteStream(js(), name.c_str(), nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSStreamNotFoundErr) << LastError();
  jerr = NoErr();
  EXPECT_NE(js_PurgeStream(js(), name.c_str(), nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSStreamNotFoundErr) << LastError();
}

TEST_P(StreamTest, UpdateOfMissingStreamAndBadConfig) {
  std::string name = Unique("S"), tok = Token();
  std::string subj = tok + ".>";
  const char* subjects[] = {subj.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  jsStreamInfo* out = nullptr;
  jsErrCode jerr = NoErr();
  EXPECT_NE(js_UpdateStream(&out, js(), &cfg, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSStreamNotFoundErr) << LastError();
  jsStreamInfo_Destroy(out);
  out = nullptr;

  // Replicas > 1 on a single server: 10074.
  cfg.Replicas = 3;
  jerr = NoErr();
  EXPECT_NE(js_AddStream(&out, js(), &cfg, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSStreamReplicasNotSupportedErr) << LastError();
  jsStreamInfo_Destroy(out);
}

TEST_P(StreamTest, PurgeWithFilterKeepAndSequence) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string a = tok + ".a", b = tok + ".b";
  // seq 1..10: odd on .a, even on .b
  for (int i = 1; i <= 10; ++i) ASSERT_EQ(Publish(i % 2 ? a : b, absl::StrCat(i)), uint64_t(i));

  auto present = [&](uint64_t seq) {
    natsMsg* m = nullptr;
    jsErrCode jerr = NoErr();
    natsStatus s = js_GetMsg(&m, js(), name.c_str(), seq, nullptr, &jerr);
    natsMsg_Destroy(m);
    if (s == NATS_NOT_FOUND) {
      EXPECT_EQ(jerr, JSNoMessageFoundErr) << "seq " << seq;
    }
    return s == NATS_OK;
  };
  auto remaining = [&] {
    std::vector<uint64_t> seqs;
    for (uint64_t s = 1; s <= 10; ++s) {
      if (present(s)) seqs.push_back(s);
    }
    return seqs;
  };

  jsOptions o;
  jsOptions_Init(&o);
  jsErrCode jerr = NoErr();
  // .a keeping its newest 2: removes 1, 3, 5.
  o.Stream.Purge.Subject = a.c_str();
  o.Stream.Purge.Keep = 2;
  ASSERT_EQ(js_PurgeStream(js(), name.c_str(), &o, &jerr), NATS_OK) << jerr << " " << LastError();
  EXPECT_EQ(remaining(), (std::vector<uint64_t>{2, 4, 6, 7, 8, 9, 10}));
  StreamInfoPtr si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 7u);
  EXPECT_EQ(si->State.FirstSeq, 2u);

  // Everything below seq 6: removes 2, 4.
  jsOptions_Init(&o);
  o.Stream.Purge.Sequence = 6;
  ASSERT_EQ(js_PurgeStream(js(), name.c_str(), &o, &jerr), NATS_OK) << jerr << " " << LastError();
  EXPECT_EQ(remaining(), (std::vector<uint64_t>{6, 7, 8, 9, 10}));
  si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 5u);
  EXPECT_EQ(si->State.FirstSeq, 6u);

  // .b below seq 10: removes 6, 8 (10 stays).
  jsOptions_Init(&o);
  o.Stream.Purge.Subject = b.c_str();
  o.Stream.Purge.Sequence = 10;
  ASSERT_EQ(js_PurgeStream(js(), name.c_str(), &o, &jerr), NATS_OK) << jerr << " " << LastError();
  EXPECT_EQ(remaining(), (std::vector<uint64_t>{7, 9, 10}));

  // Keep with no filter: the newest 2 of the stream.
  jsOptions_Init(&o);
  o.Stream.Purge.Keep = 2;
  ASSERT_EQ(js_PurgeStream(js(), name.c_str(), &o, &jerr), NATS_OK) << jerr << " " << LastError();
  EXPECT_EQ(remaining(), (std::vector<uint64_t>{9, 10}));

  // Everything.
  ASSERT_EQ(js_PurgeStream(js(), name.c_str(), nullptr, &jerr), NATS_OK) << LastError();
  si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 0u);
  EXPECT_EQ(si->State.Bytes, 0u);
  EXPECT_EQ(si->State.FirstSeq, 11u);
  EXPECT_EQ(si->State.LastSeq, 10u);
  // Sequences continue after a purge.
  EXPECT_EQ(Publish(a, "after"), 11u);
}

TEST_P(StreamTest, GetAndDeleteMessages) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string a = tok + ".a", b = tok + ".b", c = tok + ".c";
  ASSERT_EQ(Publish(a, "one"), 1u);
  {
    natsMsg* m = nullptr;
    ASSERT_EQ(natsMsg_Create(&m, b.c_str(), nullptr, "two", 3), NATS_OK);
    MsgPtr owned(m);
    natsMsgHeader_Set(m, "X-Test", "hdr-value");
    jsPubAck* pa = nullptr;
    ASSERT_EQ(js_PublishMsg(&pa, js(), m, nullptr, nullptr), NATS_OK) << LastError();
    PubAckPtr owned_pa(pa);
    EXPECT_EQ(pa->Sequence, 2u);
  }
  ASSERT_EQ(Publish(a, "three"), 3u);
  ASSERT_EQ(Publish(b, "four"), 4u);
  ASSERT_EQ(Publish(a, "five"), 5u);

  jsErrCode jerr = NoErr();
  natsMsg* m = nullptr;
  ASSERT_EQ(js_GetMsg(&m, js(), name.c_str(), 2, nullptr, &jerr), NATS_OK) << LastError();
  {
    MsgPtr owned(m);
    EXPECT_EQ(Str(natsMsg_GetSubject(m)), b);
    EXPECT_EQ(Data(m), "two");
    EXPECT_EQ(natsMsg_GetSequence(m), 2u);
    EXPECT_GT(natsMsg_GetTime(m), 0);
    const char* v = nullptr;
    ASSERT_EQ(natsMsgHeader_Get(m, "X-Test", &v), NATS_OK);
    EXPECT_EQ(Str(v), "hdr-value");
  }
  ASSERT_EQ(js_GetLastMsg(&m, js(), name.c_str(), b.c_str(), nullptr, &jerr), NATS_OK)
      << LastError();
  {
    MsgPtr owned(m);
    EXPECT_EQ(natsMsg_GetSequence(m), 4u);
    EXPECT_EQ(Data(m), "four");
  }
  // Last by a wildcard subject: the newest message of the stream.
  std::string all = tok + ".*";
  ASSERT_EQ(js_GetLastMsg(&m, js(), name.c_str(), all.c_str(), nullptr, &jerr), NATS_OK)
      << LastError();
  {
    MsgPtr owned(m);
    EXPECT_EQ(natsMsg_GetSequence(m), 5u);
  }

  // Missing: a sequence past the end, a subject without messages (10037).
  m = nullptr;
  EXPECT_EQ(js_GetMsg(&m, js(), name.c_str(), 99, nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSNoMessageFoundErr);
  jerr = NoErr();
  EXPECT_EQ(js_GetLastMsg(&m, js(), name.c_str(), c.c_str(), nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSNoMessageFoundErr);
  jerr = NoErr();
  EXPECT_EQ(js_GetMsg(&m, js(), "NO_SUCH_STREAM", 1, nullptr, &jerr), NATS_ERR);
  EXPECT_EQ(jerr, JSStreamNotFoundErr);

  // Delete (no erase) and erase.
  ASSERT_EQ(js_DeleteMsg(js(), name.c_str(), 3, nullptr, &jerr), NATS_OK) << LastError();
  ASSERT_EQ(js_EraseMsg(js(), name.c_str(), 1, nullptr, &jerr), NATS_OK) << LastError();
  jerr = NoErr();
  EXPECT_EQ(js_GetMsg(&m, js(), name.c_str(), 3, nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSNoMessageFoundErr);
  jerr = NoErr();
  EXPECT_EQ(js_GetMsg(&m, js(), name.c_str(), 1, nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSNoMessageFoundErr);
  // The last message of .a is now 5, and the one before it is gone.
  ASSERT_EQ(js_GetLastMsg(&m, js(), name.c_str(), a.c_str(), nullptr, &jerr), NATS_OK);
  natsMsg_Destroy(m);

  // Deleting it again: 10043 "sequence 3 not found".
  jerr = NoErr();
  EXPECT_NE(js_DeleteMsg(js(), name.c_str(), 3, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSSequenceNotFoundErr) << LastError();
  EXPECT_NE(LastError().find("sequence 3 not found"), std::string::npos) << LastError();

  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.DeletedDetails = true;
  StreamInfoPtr si = StreamInfo(name, &o);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 3u);
  EXPECT_EQ(si->State.FirstSeq, 2u);  // seq 1 went, the first left is 2
  EXPECT_EQ(si->State.LastSeq, 5u);
  EXPECT_EQ(si->State.NumDeleted, 1u);  // 3 (1 is before first_seq now)
  ASSERT_EQ(si->State.DeletedLen, 1);
  EXPECT_EQ(si->State.Deleted[0], 3u);
  EXPECT_EQ(si->State.NumSubjects, 2);
}

MERIDIAN_JS_INSTANTIATE(StreamTest);

}  // namespace
}  // namespace meridian::testing::jetstream
