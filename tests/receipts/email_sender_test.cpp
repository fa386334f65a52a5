// The email sender against a real SMTP server (tests/support/smtp_sink.py, Debian's python3-aiosmtpd) on this
// machine: a receipt arrives with its headers and both MIME parts; a plain server that is not on loopback gets
// nothing; a permanent refusal is not retried; no server is retried.
#include "service/email_sender.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "receipts/smtp_sink.hpp"
#include "service/receipts.hpp"

namespace haven::service {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// The first IPv4 address of this machine that is not loopback ("" when it has none).
std::string NonLoopbackAddress() {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return "";
    std::string found;
    for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
        char text[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) found = text;
    }
    freeifaddrs(list);
    return found;
}

std::string Base64Decode(std::string in) {
    std::erase_if(in, [](char c) { return c == '\r' || c == '\n'; });
    std::string out(in.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) return "";
    size_t pad = 0;
    while (pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

/// One header's value (unfolded), "" when absent.
std::string Header(const std::string& message, const std::string& name) {
    const std::string head = message.substr(0, message.find("\r\n\r\n"));
    const auto at = ("\r\n" + head).find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    std::string value;
    size_t pos = at + name.size() + 2;
    for (;;) {
        const auto end = head.find("\r\n", pos);
        value += head.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (end == std::string::npos || end + 2 >= head.size() || (head[end + 2] != ' ' && head[end + 2] != '\t')) {
            break;
        }
        pos = end + 3;
    }
    return value;
}

/// The decoded body of the part with this content type.
std::string Part(const std::string& message, const std::string& content_type) {
    const auto type = message.find("Content-Type: " + content_type);
    if (type == std::string::npos) return "";
    const auto start = message.find("\r\n\r\n", type);
    const auto end = message.find("\r\n--", start);
    return Base64Decode(message.substr(start + 4, end - start - 4));
}

storage::OutboxMessage Receipt(const std::string& to) {
    ReceiptTemplates templates(HAVEN_TEMPLATES_DIR);
    auto r = templates.Render(1, ReceiptFacts{"TL4H2K9QXZ", 25000, "B-12", "Jane Wanjiku",
                                              std::chrono::system_clock::now(), 0, "Sunrise Apartments"});
    EXPECT_TRUE(r) << r.error().message;
    storage::OutboxMessage m;
    m.channel = "email";
    m.recipient = to;
    m.payload = json{{"to", to}, {"subject", r->subject}, {"text", r->text}, {"html", r->html}}.dump();
    return m;
}

TEST(EmailSender, ReceiptArrivesAtALoopbackServerWithHeadersAndBothParts) {
    SmtpSink sink("127.0.0.1");
    ASSERT_GT(sink.port(), 0) << sink.Log();
    EmailSender sender({.smtp_url = sink.Url(), .from = "Sunrise Receipts <receipts@sunrise.test>"});
    auto result = sender.Deliver(Receipt("jane@example.com"));
    ASSERT_TRUE(result.ok) << result.error << "\n" << sink.Log();
    EXPECT_EQ(result.status_code, 250);

    ASSERT_TRUE(WaitUntil([&] { return sink.Messages().size() == 1; })) << sink.Log();
    const std::string mail = ReadFile(sink.Messages()[0]);
    EXPECT_EQ(Header(mail, "From"), "Sunrise Receipts <receipts@sunrise.test>");
    EXPECT_EQ(Header(mail, "To"), "jane@example.com");
    EXPECT_EQ(Header(mail, "Subject"), "Receipt TL4H2K9QXZ: KES 25,000 for B-12");
    EXPECT_NE(Header(mail, "Date"), "");
    EXPECT_NE(Header(mail, "Message-ID").find("@sunrise.test>"), std::string::npos);
    EXPECT_NE(Header(mail, "Content-Type").find("multipart/alternative"), std::string::npos);
    const std::string text = Part(mail, "text/plain; charset=UTF-8");
    const std::string html = Part(mail, "text/html; charset=UTF-8");
    for (const std::string* part : {&text, &html}) {
        EXPECT_NE(part->find("TL4H2K9QXZ"), std::string::npos) << *part;
        EXPECT_NE(part->find("KES 25,000"), std::string::npos) << *part;
        EXPECT_NE(part->find("Jane Wanjiku"), std::string::npos) << *part;
    }
    EXPECT_NE(html.find("<table"), std::string::npos);
    EXPECT_EQ(text.find("<table"), std::string::npos);
    // The envelope names the bare addresses.
    const std::string envelope = ReadFile(sink.Messages()[0].replace_extension(".env"));
    EXPECT_EQ(envelope, "receipts@sunrise.test\njane@example.com");
}

TEST(EmailSender, SubjectThatIsNotAsciiIsAnEncodedWord) {
    EmailSender sender({.smtp_url = "smtp://127.0.0.1:25", .from = "receipts@sunrise.test"});
    const std::string subject = "Risiti ya kodi – Nyumba ya Wanjikū";
    const std::string mail = sender.BuildMessage("jane@example.com", subject, "text", "<p>html</p>");
    const std::string header = Header(mail, "Subject");
    ASSERT_EQ(header.rfind("=?UTF-8?B?", 0), 0u) << header;
    std::string decoded;
    size_t pos = 0;
    while ((pos = header.find("=?UTF-8?B?", pos)) != std::string::npos) {
        const auto end = header.find("?=", pos + 10);
        decoded += Base64Decode(header.substr(pos + 10, end - pos - 10));
        pos = end + 2;
    }
    EXPECT_EQ(decoded, subject);
    EXPECT_EQ(Header(sender.BuildMessage("a@b.test", "Plain", "t", "h"), "Subject"), "Plain");
}

TEST(EmailSender, PlainServerThatIsNotOnLoopbackGetsNothing) {
    const std::string address = NonLoopbackAddress();
    if (address.empty()) GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
    SmtpSink sink(address);
    ASSERT_GT(sink.port(), 0) << sink.Log();
    EmailSender sender({.smtp_url = sink.Url(), .from = "receipts@sunrise.test"});
    auto result = sender.Deliver(Receipt("jane@example.com"));
    EXPECT_FALSE(result.ok);
    EXPECT_FALSE(result.retry) << "a server without TLS stays without TLS: a configuration error to show";
    EXPECT_NE(result.error.find("STARTTLS"), std::string::npos) << result.error;
    // The sink writes a message before it answers DATA, and Deliver has returned: had anything been sent, it
    // would be there now.
    EXPECT_TRUE(sink.Messages().empty());
}

TEST(EmailSender, PermanentRefusalIsNotRetriedAndNoServerIs) {
    SmtpSink sink("127.0.0.1");
    ASSERT_GT(sink.port(), 0) << sink.Log();
    EmailSender sender({.smtp_url = sink.Url(), .from = "receipts@sunrise.test"});
    auto refused = sender.Deliver(Receipt("nobody@example.com"));
    EXPECT_FALSE(refused.ok);
    EXPECT_FALSE(refused.retry);
    EXPECT_EQ(refused.status_code, 550);
    EXPECT_TRUE(sink.Messages().empty());

    EmailSender nowhere(
        {.smtp_url = "smtp://127.0.0.1:" + std::to_string(crash::FreeLoopbackPort()), .from = "receipts@sunrise.test"});
    auto unreachable = nowhere.Deliver(Receipt("jane@example.com"));
    EXPECT_FALSE(unreachable.ok);
    EXPECT_TRUE(unreachable.retry) << unreachable.error;
}

TEST(EmailSender, CredentialsInTheUrlNeverReachTheError) {
    EmailSender sender({.smtp_url = "smtp://mailer:s3cret-pass@127.0.0.1:" + std::to_string(crash::FreeLoopbackPort()),
                        .from = "receipts@sunrise.test"});
    auto result = sender.Deliver(Receipt("jane@example.com"));
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error.find("s3cret"), std::string::npos) << result.error;
    EXPECT_EQ(result.response_excerpt.find("s3cret"), std::string::npos);
    EXPECT_EQ(SmtpHostForLog("smtps://mailer:s3cret-pass@mail.example.com:465"), "smtps://mail.example.com:465");
}

TEST(EmailSender, MalformedPayloadIsNotRetried) {
    EmailSender sender({.smtp_url = "smtp://127.0.0.1:25", .from = "receipts@sunrise.test"});
    storage::OutboxMessage m;
    m.payload = R"({"to":"jane@example.com"})";
    EXPECT_FALSE(sender.Deliver(m).retry);
    m.payload = R"({"to":"jane@example.com\r\nBcc: x@evil.test","subject":"s","text":"t","html":"h"})";
    auto injected = sender.Deliver(m);
    EXPECT_FALSE(injected.ok);
    EXPECT_FALSE(injected.retry);
}

}  // namespace
}  // namespace haven::service
