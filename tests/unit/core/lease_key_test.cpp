#include "core/lease_key.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

TEST(LeaseKey, ANumberOrAnAllDigitStringIsOurId) {
    for (const auto& value : {nlohmann::json(42), nlohmann::json("42")}) {
        auto key = ParseLeaseKey(value);
        ASSERT_TRUE(key) << value.dump();
        EXPECT_EQ(key->id, 42);
        EXPECT_TRUE(key->external_id.empty());
    }
}

TEST(LeaseKey, AStringWithANonDigitIsHavensId) {
    for (const char* text : {"lease-id-here", "6571b2c9e4b0a1f2c3d4e5f6", "A-12.3:b_c"}) {
        auto key = ParseLeaseKey(nlohmann::json(text));
        ASSERT_TRUE(key) << text;
        EXPECT_FALSE(key->id);
        EXPECT_EQ(key->external_id, text);
    }
}

TEST(LeaseKey, AnythingElseIsRefusedNamingTheField) {
    for (const auto& value :
         {nlohmann::json(0), nlohmann::json(-3), nlohmann::json(1.5), nlohmann::json(""), nlohmann::json("has space"),
          nlohmann::json(std::string(65, 'a')), nlohmann::json("99999999999999999999999"), nlohmann::json::array(),
          nlohmann::json(true)}) {
        auto key = ParseLeaseKey(value, "lease-id");
        ASSERT_FALSE(key) << value.dump();
        ASSERT_FALSE(key.error().details.empty());
        EXPECT_EQ(key.error().details.front().field, "lease-id");
    }
}

}  // namespace
}  // namespace haven::core
