// NKeys: ed25519 keys in NATS's text encoding (base32 of a prefix byte, the
// key and a CRC-16), as the nkeys library defines them. Used for the server
// id ("N..."), INFO nonces and, later, nkey/JWT authentication.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace meridian::nkeys {

enum class KeyType : uint8_t {
  kAccount = 0,          // 'A'
  kServer = 13 << 3,     // 'N'
  kCluster = 2 << 3,     // 'C'
  kOperator = 14 << 3,   // 'O'
  kUser = 20 << 3,       // 'U'
  kCurve = 23 << 3,      // 'X'
};

struct KeyPair {
  KeyType type;
  std::string public_key;  // encoded, e.g. "N..."
  std::string seed;        // encoded, "S..."
  std::string raw_seed;    // 32 bytes
};

// A fresh random key pair of the given type.
[[nodiscard]] absl::StatusOr<KeyPair> Create(KeyType type);
// The key pair behind an encoded seed ("SU...", "SA...", ...).
[[nodiscard]] absl::StatusOr<KeyPair> FromSeed(absl::string_view seed);
// Decodes an encoded public key, checking its type prefix and CRC; returns
// the 32 raw key bytes.
[[nodiscard]] absl::StatusOr<std::string> DecodePublic(absl::string_view encoded, KeyType expected);
bool IsValidPublicKey(absl::string_view encoded, KeyType expected);

// Ed25519 signature check of `message` by the encoded public key.
bool Verify(absl::string_view public_key, absl::string_view message, absl::string_view signature);
// Signs with an encoded seed (for tests and for signing clients).
[[nodiscard]] absl::StatusOr<std::string> Sign(absl::string_view seed, absl::string_view message);

// nats-server's INFO nonce: 11 random bytes, base64url without padding (15 chars).
std::string NewNonce();

// Encoding primitives, exposed for tests.
std::string Base32Encode(absl::string_view data);
[[nodiscard]] absl::StatusOr<std::string> Base32Decode(absl::string_view text);
uint16_t Crc16(absl::string_view data);

}  // namespace meridian::nkeys
