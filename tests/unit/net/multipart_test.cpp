#include "net/multipart.hpp"

#include <gtest/gtest.h>

namespace haven::net {
namespace {

const std::string kBody =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n"
    "\r\n"
    "december\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"statement.csv\"\r\n"
    "Content-Type: text/csv\r\n"
    "\r\n"
    "Receipt No.,Amount\r\nAB1,\"1,000.00\"\r\nnot --XyZ the end\r\n"
    "--XyZ--\r\n"
    "epilogue";

TEST(Multipart, ReadsEveryPartAsAViewOfTheBody) {
    auto parts = ParseMultipart(kBody, "XyZ");
    ASSERT_TRUE(parts) << parts.error().message;
    ASSERT_EQ(parts->size(), 2u);
    EXPECT_EQ((*parts)[0].name, "note");
    EXPECT_EQ((*parts)[0].body, "december");
    EXPECT_EQ((*parts)[1].name, "file");
    EXPECT_EQ((*parts)[1].filename, "statement.csv");
    EXPECT_EQ((*parts)[1].content_type, "text/csv");
    EXPECT_EQ((*parts)[1].body, "Receipt No.,Amount\r\nAB1,\"1,000.00\"\r\nnot --XyZ the end");
}

TEST(Multipart, AnEmptyPartAndQuotedNames) {
    auto parts =
        ParseMultipart("--b\r\nContent-Disposition: form-data; name=\"a\\\"b\"; filename=\"\"\r\n\r\n\r\n--b--", "b");
    ASSERT_TRUE(parts) << parts.error().message;
    ASSERT_EQ(parts->size(), 1u);
    EXPECT_EQ((*parts)[0].name, "a\"b");
    EXPECT_EQ((*parts)[0].body, "");
}

TEST(Multipart, RefusesWhatIsNotPlainFormData) {
    const char* bad[] = {
        "",                                                                                 // empty
        "preamble\r\n--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--b--",  // a preamble
        "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx",                       // no close delimiter
        "--b\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--b--",             // not form-data
        "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",                          // no name
        "--b\r\nContent-Type: text/csv\r\n\r\nx\r\n--b--",                                  // no disposition
        "--b\r\nContent-Disposition: form-data; name=\"f\r\n\r\nx\r\n--b--",                // unterminated quote
        "--b\nContent-Disposition: form-data; name=\"f\"\n\nx\n--b--",                      // bare LF
        "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nx\r\n--b--",                  // headers never end
        "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--b y\r\n--b--",  // the delimiter in the content
    };
    for (const char* body : bad) {
        auto parts = ParseMultipart(body, "b");
        EXPECT_FALSE(parts) << body;
        if (!parts) {
            EXPECT_NE(parts.error().message.find("malformed multipart body"), std::string::npos);
        }
    }
    EXPECT_FALSE(ParseMultipart(kBody, ""));
    EXPECT_FALSE(ParseMultipart(kBody, std::string(71, 'x')));
}

TEST(Multipart, AtMostSixteenParts) {
    std::string body;
    for (int i = 0; i < 17; ++i) body += "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n";
    body += "--b--";
    EXPECT_FALSE(ParseMultipart(body, "b"));
}

}  // namespace
}  // namespace haven::net
