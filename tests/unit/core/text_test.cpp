#include "core/text.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

using nlohmann::json;

TEST(RequireText, ReturnsTrimmedText) {
    json body = {{"name", "  Jane Wanjiku \t"}};
    EXPECT_EQ(RequireText(body, "name", 100).value(), "Jane Wanjiku");
}

TEST(RequireText, AcceptsExactlyMaxLength) {
    json body = {{"desc", "1234567890123"}};  // 13
    EXPECT_EQ(RequireText(body, "desc", 13).value(), "1234567890123");
}

TEST(RequireText, RejectsOneOverMaxLengthWithoutCutting) {
    json body = {{"desc", "12345678901234"}};  // 14
    auto result = RequireText(body, "desc", 13);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kValidation);
    EXPECT_EQ(result.error().details[0].field, "desc");
    EXPECT_NE(result.error().message.find("at most 13 characters"), std::string::npos);
}

TEST(RequireText, CountsMultibyteCharactersAsOne) {
    // 13 code points, 16+ bytes: "é" (2 bytes), "ñ" (2 bytes), "€" (3 bytes).
    std::string thirteen =
        "Rent\xC3\xA9\xC3\xB1\xE2\x82\xAC"
        "123456";
    ASSERT_GT(thirteen.size(), 13u);
    EXPECT_EQ(Utf8Length(thirteen), 13u);
    EXPECT_EQ(RequireText(json{{"d", thirteen}}, "d", 13).value(), thirteen);
    EXPECT_FALSE(RequireText(json{{"d", thirteen + "\xC3\xA9"}}, "d", 13).has_value());
}

TEST(RequireText, TrailingSpacesDoNotCountTowardsTheLimit) {
    EXPECT_EQ(RequireText(json{{"d", "1234567890123   "}}, "d", 13).value(), "1234567890123");
}

TEST(RequireText, MissingRequiredFieldIsAnError) {
    auto result = RequireText(json::object(), "tenantName", 100);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().details[0].field, "tenantName");
    EXPECT_NE(result.error().message.find("required"), std::string::npos);
    EXPECT_FALSE(RequireText(json{{"tenantName", nullptr}}, "tenantName", 100).has_value());
}

TEST(RequireText, BlankRequiredFieldIsAnError) {
    auto result = RequireText(json{{"tenantName", "   "}}, "tenantName", 100);
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("empty"), std::string::npos);
}

TEST(RequireText, NonStringIsAnError) {
    for (const json& value : {json(12), json(true), json::array({"a"}), json::object()}) {
        auto result = RequireText(json{{"unit", value}}, "unit", 10);
        ASSERT_FALSE(result.has_value()) << value.dump();
        EXPECT_NE(result.error().message.find("must be a string"), std::string::npos);
    }
}

TEST(RequireText, OptionalFieldMayBeMissingNullOrBlank) {
    EXPECT_EQ(RequireText(json::object(), "note", 10, false).value(), "");
    EXPECT_EQ(RequireText(json{{"note", nullptr}}, "note", 10, false).value(), "");
    EXPECT_EQ(RequireText(json{{"note", "  "}}, "note", 10, false).value(), "");
    EXPECT_FALSE(RequireText(json{{"note", 5}}, "note", 10, false).has_value());
    EXPECT_FALSE(RequireText(json{{"note", "12345678901"}}, "note", 10, false).has_value());
}

TEST(RequireText, NonObjectBodyCountsAsMissing) {
    EXPECT_FALSE(RequireText(json::array(), "name", 10).has_value());
    EXPECT_EQ(RequireText(json("x"), "name", 10, false).value(), "");
}

TEST(RequireText, RejectsControlCharactersAndInvalidUtf8) {
    EXPECT_FALSE(RequireText(json{{"d", "a\nb"}}, "d", 10).has_value());
    EXPECT_FALSE(RequireText(json{{"d", std::string("a\0b", 3)}}, "d", 10).has_value());
    EXPECT_FALSE(RequireText(json{{"d", "a\xC3"}}, "d", 10).has_value());         // truncated sequence
    EXPECT_FALSE(RequireText(json{{"d", "\xC0\xAF"}}, "d", 10).has_value());      // overlong '/'
    EXPECT_FALSE(RequireText(json{{"d", "\xED\xA0\x80"}}, "d", 10).has_value());  // surrogate
}

TEST(ParseId, AcceptsPositiveDecimals) {
    EXPECT_EQ(ParseId("1"), 1);
    EXPECT_EQ(ParseId("42"), 42);
    EXPECT_EQ(ParseId("9223372036854775807"), INT64_MAX);
}

TEST(ParseId, RejectsEverythingElse) {
    for (const char* text : {"", "0", "-1", "+1", " 1", "1 ", "01", "1a", "abc", "1.0", "0x10", "9223372036854775808",
                             "99999999999999999999"}) {
        EXPECT_FALSE(ParseId(text).has_value()) << text;
    }
}

}  // namespace
}  // namespace haven::core

namespace haven::core {
namespace {

TEST(Utf8Prefix, CutsByCharactersNeverInsideOne) {
    EXPECT_EQ(Utf8Prefix("Rent Payment for Apt 204", 13), "Rent Payment ");
    EXPECT_EQ(Utf8Prefix("Kodi ya nyumba é", 15), "Kodi ya nyumba ");
    EXPECT_EQ(Utf8Prefix("éééé", 2), "éé");
    EXPECT_EQ(Utf8Prefix("short", 13), "short");
    EXPECT_EQ(Utf8Prefix("", 13), "");
}

TEST(MaskName, KeepsOnlyEachWordsInitial) {
    EXPECT_EQ(MaskName("Jane Wanjiru"), "J. W.");
    EXPECT_EQ(MaskName("  Mary-Anne   Otieno "), "M. A. O.");
    EXPECT_EQ(MaskName("Ömer"), "Ö.");
    EXPECT_EQ(MaskName(""), "");
}

TEST(MaskEmail, KeepsTheFirstCharacterAndTheDomain) {
    EXPECT_EQ(MaskEmail("jane@example.com"), "j***@example.com");
    EXPECT_EQ(MaskEmail("a.b@c@d.ke"), "a***@d.ke");
    EXPECT_EQ(MaskEmail("no-at-sign"), "***");
    EXPECT_EQ(MaskEmail("@example.com"), "***");
}

}  // namespace
}  // namespace haven::core
