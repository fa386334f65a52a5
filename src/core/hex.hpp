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

}  // namespace haven::core
