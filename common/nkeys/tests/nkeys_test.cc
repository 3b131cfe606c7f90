#include "common/nkeys/nkeys.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace meridian::nkeys {
namespace {

// The user key pair from the NATS documentation (nk -gen user -pubout).
constexpr char kDocSeed[] = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
constexpr char kDocPublic[] = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

TEST(NkeysTest, DocumentedSeedGivesDocumentedPublicKey) {
  auto kp = FromSeed(kDocSeed);
  ASSERT_TRUE(kp.ok()) << kp.status();
  EXPECT_EQ(kp->type, KeyType::kUser);
  EXPECT_EQ(kp->public_key, kDocPublic);
  EXPECT_EQ(kp->seed, kDocSeed);
  EXPECT_EQ(absl::BytesToHexString(kp->raw_seed),
            "29497ba00f41dd45936b4cc4bda1decb67c128e69fb3d490ee820daf7c318c0a");
  EXPECT_TRUE(IsValidPublicKey(kDocPublic, KeyType::kUser));
  EXPECT_FALSE(IsValidPublicKey(kDocPublic, KeyType::kAccount));
}

TEST(NkeysTest, ServerKeysStartWithN) {
  auto kp = Create(KeyType::kServer);
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ(kp->public_key.size(), 56u);
  EXPECT_EQ(kp->public_key[0], 'N');
  EXPECT_EQ(kp->seed.substr(0, 2), "SN");
  EXPECT_TRUE(IsValidPublicKey(kp->public_key, KeyType::kServer));
}

TEST(NkeysTest, SignAndVerify) {
  auto sig = Sign(kDocSeed, "nonce-123");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(Verify(kDocPublic, "nonce-123", *sig));
  EXPECT_FALSE(Verify(kDocPublic, "nonce-124", *sig));
  std::string bad = *sig;
  bad[0] ^= 1;
  EXPECT_FALSE(Verify(kDocPublic, "nonce-123", bad));
}

TEST(NkeysTest, CorruptKeysAreRejected) {
  std::string key = kDocPublic;
  key[10] = key[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(IsValidPublicKey(key, KeyType::kUser));
  EXPECT_FALSE(IsValidPublicKey("U0000", KeyType::kUser));
  EXPECT_FALSE(FromSeed("SUAC").ok());
  EXPECT_FALSE(FromSeed(kDocPublic).ok());
}

TEST(NkeysTest, NonceIsFifteenUrlSafeChars) {
  std::string a = NewNonce(), b = NewNonce();
  EXPECT_EQ(a.size(), 15u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_of("+/="), std::string::npos);
}

TEST(NkeysTest, Base32RoundTrip) {
  std::string data = "\x00\x01\xfe\xff hello";
  auto back = Base32Decode(Base32Encode(data));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, data);
}

}  // namespace
}  // namespace meridian::nkeys
