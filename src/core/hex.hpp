#pragma once
// The one hex encoder: digests, random tokens and request ids are written as lowercase hex.
#include <cstddef>
#include <string>
#include <string_view>

namespace haven::core {

/// Lowercase hex of `size` bytes at `data`, two characters per byte ("\x01\xab" -> "01ab").
std::string ToHex(const unsigned char* data, size_t size);

/// Lowercase hex of the bytes of `bytes`.
std::string ToHex(std::string_view bytes);

/// The SHA-256 of `text` as 64 lowercase hex characters: how a secret we hand out once (API keys, refresh tokens,
/// invite links) and a request body (Idempotency-Key) are stored.
std::string Sha256Hex(std::string_view text);

}  // namespace haven::core
