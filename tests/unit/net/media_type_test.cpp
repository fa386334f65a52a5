// Content-Type parsing (RFC 9110 §8.3.1): what the API's body rules and the simulator's control API rely on.
#include "net/media_type.hpp"

#include <gtest/gtest.h>

namespace haven::net {
namespace {

TEST(MediaType, NamesAreCaseInsensitiveAndParametersUnquoted) {
    auto m = ParseMediaType("Application/JSON ; Charset=\"UTF-8\"");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->Essence(), "application/json");
    ASSERT_EQ(m->parameters.size(), 1u);
    EXPECT_EQ(m->Parameter("charset"), "UTF-8");
    auto quoted = ParseMediaType(R"(multipart/form-data; boundary="a \"b\" c")");
    ASSERT_TRUE(quoted.has_value());
    EXPECT_EQ(quoted->Parameter("boundary"), "a \"b\" c");
}

TEST(MediaType, ASubstringIsNotAType) {
    auto m = ParseMediaType("text/plain; x=application/json");
    // Parsed as what it is: text/plain whose parameter value merely mentions JSON (a '/' is no token
    // character, so the value is refused as malformed).
    EXPECT_TRUE(!m.has_value() || m->Essence() == "text/plain");
    auto q = ParseMediaType("text/plain; x=\"application/json\"");
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->Essence(), "text/plain");
}

TEST(MediaType, MalformedIsNullopt) {
    for (const char* bad : {"", "application", "application/", "/json", "application/json; charset",
                            "application/json; =utf-8", "application/json; charset=\"utf-8", "application/json x",
                            "appli cation/json", "application/json; charset=utf 8"}) {
        EXPECT_FALSE(ParseMediaType(bad).has_value()) << bad;
    }
    EXPECT_TRUE(ParseMediaType("application/json;").has_value());  // an empty parameter is allowed
}

}  // namespace
}  // namespace haven::net
