#include "core/hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace haven::core {
namespace {

TEST(ToHex, TwoLowercaseDigitsPerByte) {
    const unsigned char bytes[] = {0x00, 0x01, 0xab, 0xff, 0x10};
    EXPECT_EQ(ToHex(bytes, sizeof bytes), "0001abff10");
}

TEST(ToHex, BytesOfAStringIncludingZeros) {
    EXPECT_EQ(ToHex(std::string("a\0z", 3)), "61007a");
    EXPECT_EQ(ToHex(std::string_view()), "");
}

TEST(Sha256Hex, MatchesTheFips180Vectors) {
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace haven::core
