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

}  // namespace
}  // namespace haven::core
