#include "common/nkeys/nkeys.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace meridian::nkeys {
namespace {

constexpr uint8_t kSeedPrefix = 18 << 3;  // 'S'
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string WithCrc(std::string data) {
  uint16_t crc = Crc16(data);
  data.push_back(static_cast<char>(crc & 0xff));
  data.push_back(static_cast<char>(crc >> 8));
  return data;
}

// Decodes and checks the CRC; returns the bytes without it.
absl::StatusOr<std::string> DecodeChecked(absl::string_view text) {
  absl::StatusOr<std::string> raw = Base32Decode(text);
  if (!raw.ok()) return raw.status();
  if (raw->size() < 4) return absl::InvalidArgumentError("nkey too short");
  std::string body = raw->substr(0, raw->size() - 2);
  uint16_t want = static_cast<uint8_t>((*raw)[raw->size() - 2]) |
                  (static_cast<uint16_t>(static_cast<uint8_t>((*raw)[raw->size() - 1])) << 8);
  if (Crc16(body) != want) return absl::InvalidArgumentError("nkey checksum mismatch");
  return body;
}

absl::StatusOr<KeyPair> FromRawSeed(KeyType type, const std::string& raw_seed) {
  if (!SodiumReady()) return absl::InternalError("libsodium init failed");
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(raw_seed.data()));
  sodium_memzero(sk, sizeof sk);
  KeyPair kp;
  kp.type = type;
  kp.raw_seed = raw_seed;
  std::string pub(1, static_cast<char>(type));
  pub.append(reinterpret_cast<char*>(pk), sizeof pk);
  kp.public_key = Base32Encode(WithCrc(pub));
  std::string seed;
  uint8_t t = static_cast<uint8_t>(type);
  seed.push_back(static_cast<char>(kSeedPrefix | (t >> 5)));
  seed.push_back(static_cast<char>((t & 31) << 3));
  seed += raw_seed;
  kp.seed = Base32Encode(WithCrc(seed));
  return kp;
}

}  // namespace

uint16_t Crc16(absl::string_view data) {
  // CRC-16/XMODEM (poly 0x1021, init 0), as the nkeys encoding uses.
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : crc << 1;
  }
  return crc;
}

std::string Base32Encode(absl::string_view data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

absl::StatusOr<std::string> Base32Decode(absl::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= '2' && c <= '7') v = c - '2' + 26;
    else return absl::InvalidArgumentError("invalid base32 character in nkey");
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

absl::StatusOr<KeyPair> Create(KeyType type) {
  if (!SodiumReady()) return absl::InternalError("libsodium init failed");
  std::string raw(32, '\0');
  randombytes_buf(raw.data(), raw.size());
  return FromRawSeed(type, raw);
}

absl::StatusOr<KeyPair> FromSeed(absl::string_view seed) {
  absl::StatusOr<std::string> body = DecodeChecked(seed);
  if (!body.ok()) return body.status();
  if (body->size() != 34) return absl::InvalidArgumentError("invalid seed length");
  uint8_t b0 = static_cast<uint8_t>((*body)[0]);
  uint8_t b1 = static_cast<uint8_t>((*body)[1]);
  if ((b0 & 0xf8) != kSeedPrefix) return absl::InvalidArgumentError("not a seed");
  auto type = static_cast<KeyType>(((b0 & 7) << 5) | ((b1 & 0xf8) >> 3));
  return FromRawSeed(type, body->substr(2));
}

absl::StatusOr<std::string> DecodePublic(absl::string_view encoded, KeyType expected) {
  absl::StatusOr<std::string> body = DecodeChecked(encoded);
  if (!body.ok()) return body.status();
  if (body->size() != 33 || static_cast<uint8_t>((*body)[0]) != static_cast<uint8_t>(expected)) {
    return absl::InvalidArgumentError("invalid public nkey");
  }
  return body->substr(1);
}

bool IsValidPublicKey(absl::string_view encoded, KeyType expected) {
  return DecodePublic(encoded, expected).ok();
}

bool Verify(absl::string_view public_key, absl::string_view message, absl::string_view signature) {
  if (!SodiumReady() || signature.size() != crypto_sign_BYTES || public_key.empty()) return false;
  absl::StatusOr<std::string> body = DecodeChecked(public_key);
  if (!body.ok() || body->size() != 33) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(),
                                     reinterpret_cast<const unsigned char*>(body->data() + 1)) == 0;
}

absl::StatusOr<std::string> Sign(absl::string_view seed, absl::string_view message) {
  absl::StatusOr<KeyPair> kp = FromSeed(seed);
  if (!kp.ok()) return kp.status();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(kp->raw_seed.data()));
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(), sk);
  sodium_memzero(sk, sizeof sk);
  return sig;
}

std::string NewNonce() {
  SodiumReady();
  unsigned char raw[11];
  randombytes_buf(raw, sizeof raw);
  std::string out = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  return out;  // WebSafeBase64Escape omits padding
}

}  // namespace meridian::nkeys
