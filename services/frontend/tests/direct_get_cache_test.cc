// DirectGetCache alone: what it stores, when it refuses, what drops entries.
#include "services/frontend/direct_get_cache.h"

#include <string>

#include "gtest/gtest.h"

namespace meridian::frontend {
namespace {

constexpr std::string_view kFound =
    "NATS/1.0\r\nNats-Stream: KV_b\r\nNats-Subject: $KV.b.k\r\nNats-Sequence: 7\r\n"
    "Nats-Time-Stamp: 2026-11-29T05:00:00Z\r\n\r\n";
constexpr std::string_view kGet = "$JS.API.DIRECT.GET.KV_b.$KV.b.k";

DirectGetCacheOptions Opts(int64_t max_bytes = 1 << 20, absl::Duration ttl = absl::Hours(1)) {
  DirectGetCacheOptions o;
  o.max_bytes = max_bytes;
  o.ttl = ttl;
  return o;
}

// Expects the answer on `reply`, then delivers it.
void Answer(DirectGetCache& c, std::string_view reply, std::string_view request,
            std::string_view headers, std::string_view payload) {
  c.ExpectReply(reply, DirectGetCache::RequestStream(request), request);
  c.OnRouted(reply, headers, payload);
}

TEST(DirectGetCacheTest, RequestStreamOnlyForTheLastBySubjectForm) {
  EXPECT_EQ(DirectGetCache::RequestStream(kGet), "KV_b");
  EXPECT_EQ(DirectGetCache::RequestStream("$JS.API.DIRECT.GET.S.a.b.c"), "S");
  EXPECT_EQ(DirectGetCache::RequestStream("$JS.API.DIRECT.GET.S"), "");   // JSON body form
  EXPECT_EQ(DirectGetCache::RequestStream("$JS.API.DIRECT.GET.S."), "");  // no subject
  EXPECT_EQ(DirectGetCache::RequestStream("$JS.API.DIRECT.GET..x"), "");  // no stream
  EXPECT_EQ(DirectGetCache::RequestStream("$JS.API.STREAM.MSG.GET.S"), "");
  EXPECT_EQ(DirectGetCache::RequestStream("foo"), "");
}

TEST(DirectGetCacheTest, StoresAnAwaitedAnswerAndServesIt) {
  DirectGetCache c(Opts());
  EXPECT_EQ(c.Lookup("KV_b", kGet), nullptr);
  Answer(c, "_INBOX.1", kGet, kFound, "v1");
  auto e = c.Lookup("KV_b", kGet);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->headers, kFound);
  EXPECT_EQ(e->payload, "v1");
  EXPECT_FALSE(c.Expecting());
  DirectGetCacheStats s = c.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 1u);
}

TEST(DirectGetCacheTest, NotFoundIsStoredOtherStatusesAreNot) {
  DirectGetCache c(Opts());
  Answer(c, "_INBOX.1", kGet, "NATS/1.0 404 Message Not Found\r\n\r\n", "");
  EXPECT_NE(c.Lookup("KV_b", kGet), nullptr);
  const std::string other = "$JS.API.DIRECT.GET.KV_b.$KV.b.other";
  Answer(c, "_INBOX.2", other, "NATS/1.0 503\r\n\r\n", "");
  Answer(c, "_INBOX.3", other, "NATS/1.0 408 Request Timeout\r\n\r\n", "");
  Answer(c, "_INBOX.4", other, "", "plain reply from someone else");
  EXPECT_EQ(c.Lookup("KV_b", other), nullptr);
}

TEST(DirectGetCacheTest, UnawaitedMessagesAreIgnored) {
  DirectGetCache c(Opts());
  c.OnRouted("_INBOX.1", kFound, "v1");
  EXPECT_EQ(c.stats().stored, 0u);
  c.ExpectReply("_INBOX.1", "KV_b", kGet);
  c.OnRouted("_INBOX.other", kFound, "v1");
  EXPECT_TRUE(c.Expecting());
  EXPECT_EQ(c.stats().stored, 0u);
}

TEST(DirectGetCacheTest, AReplySubjectReusedBeforeTheAnswerStoresNothing) {
  // Two gets on one reply subject: the first answer could be taken for the
  // second request (another key, or an epoch after an invalidation).
  DirectGetCache c(Opts());
  const std::string other = "$JS.API.DIRECT.GET.KV_b.$KV.b.other";
  c.ExpectReply("_INBOX.same", "KV_b", kGet);
  c.ExpectReply("_INBOX.same", "KV_b", other);
  c.OnRouted("_INBOX.same", kFound, "the answer for k");
  EXPECT_EQ(c.Lookup("KV_b", other), nullptr);
  EXPECT_EQ(c.Lookup("KV_b", kGet), nullptr);
  // The same key twice, an invalidation between the requests.
  c.ExpectReply("_INBOX.again", "KV_b", kGet);
  c.Invalidate("KV_b");
  c.ExpectReply("_INBOX.again", "KV_b", kGet);
  c.OnRouted("_INBOX.again", kFound, "maybe from before the change");
  EXPECT_EQ(c.Lookup("KV_b", kGet), nullptr);
  // Once answered, the subject may be used again.
  Answer(c, "_INBOX.again", kGet, kFound, "fresh");
  EXPECT_NE(c.Lookup("KV_b", kGet), nullptr);
}

TEST(DirectGetCacheTest, InvalidationDropsTheStreamOnly) {
  DirectGetCache c(Opts());
  const std::string other = "$JS.API.DIRECT.GET.KV_c.$KV.c.k";
  Answer(c, "_INBOX.1", kGet, kFound, "v1");
  Answer(c, "_INBOX.2", other, kFound, "v2");
  c.OnInternal("$MRD.DG.INV.KV_b");
  EXPECT_EQ(c.Lookup("KV_b", kGet), nullptr);
  EXPECT_NE(c.Lookup("KV_c", other), nullptr);
  EXPECT_EQ(c.stats().entries, 1u);
  c.OnInternal("$MRD.OTHER.KV_c");  // not an invalidation
  EXPECT_NE(c.Lookup("KV_c", other), nullptr);
}

TEST(DirectGetCacheTest, AnswerOvertakenByAnInvalidationIsNotStored) {
  // The answer may predate the change the invalidation announces.
  DirectGetCache c(Opts());
  c.ExpectReply("_INBOX.1", "KV_b", kGet);
  c.Invalidate("KV_b");
  c.OnRouted("_INBOX.1", kFound, "old");
  EXPECT_EQ(c.Lookup("KV_b", kGet), nullptr);
  // Another stream's invalidation does not matter.
  c.ExpectReply("_INBOX.2", "KV_b", kGet);
  c.Invalidate("KV_c");
  c.OnRouted("_INBOX.2", kFound, "new");
  EXPECT_NE(c.Lookup("KV_b", kGet), nullptr);
}

TEST(DirectGetCacheTest, ResetDropsEntriesAndAwaitedAnswers) {
  DirectGetCache c(Opts());
  Answer(c, "_INBOX.1", kGet, kFound, "v1");
  c.ExpectReply("_INBOX.2", "KV_b", "$JS.API.DIRECT.GET.KV_b.$KV.b.x");
  c.Reset();
  EXPECT_EQ(c.Lookup("KV_b", kGet), nullptr);
  EXPECT_FALSE(c.Expecting());
  c.OnRouted("_INBOX.2", kFound, "late");
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.stats().bytes, 0u);
}

TEST(DirectGetCacheTest, EntriesOlderThanTheTtlAreNotServed) {
  DirectGetCache c(Opts(1 << 20, absl::ZeroDuration()));
  Answer(c, "_INBOX.1", kGet, kFound, "v1");
  EXPECT_EQ(c.stats().entries, 1u);
  EXPECT_EQ(c.Lookup("KV_b", kGet), nullptr);
}

TEST(DirectGetCacheTest, BytesStayWithinTheBound) {
  DirectGetCache c(Opts(4096));
  const std::string big(1000, 'x');
  for (int i = 0; i < 100; ++i) {
    std::string req = "$JS.API.DIRECT.GET.KV_b.$KV.b.k" + std::to_string(i);
    Answer(c, "_INBOX." + std::to_string(i), req, kFound, big);
    EXPECT_LE(c.stats().bytes, 4096u);
  }
  EXPECT_GT(c.stats().entries, 0u);
  // Larger than the whole cache: never stored.
  Answer(c, "_INBOX.x", "$JS.API.DIRECT.GET.KV_b.$KV.b.huge", kFound, std::string(8192, 'y'));
  EXPECT_EQ(c.Lookup("KV_b", "$JS.API.DIRECT.GET.KV_b.$KV.b.huge"), nullptr);
}

TEST(DirectGetCacheTest, ReplacingAnEntryKeepsTheAccountingExact) {
  DirectGetCache c(Opts());
  Answer(c, "_INBOX.1", kGet, kFound, "v1");
  const uint64_t one = c.stats().bytes;
  Answer(c, "_INBOX.2", kGet, kFound, "a longer value");
  EXPECT_EQ(c.Lookup("KV_b", kGet)->payload, "a longer value");
  EXPECT_EQ(c.stats().entries, 1u);
  EXPECT_EQ(c.stats().bytes, one + 12);
  c.Invalidate("KV_b");
  EXPECT_EQ(c.stats().bytes, 0u);
  EXPECT_GT(one, 0u);
}

}  // namespace
}  // namespace meridian::frontend
