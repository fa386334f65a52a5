#include "service/email_sender.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace haven::service {

namespace {

using nlohmann::json;

void GlobalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlParts {
    std::string scheme;
    std::string host;  // IPv6 in brackets, as curl gives it
    std::string port;
};

std::optional<UrlParts> ParseUrl(const std::string& url) {
    GlobalInit();
    std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
    auto part = [&](CURLUPart which) {
        char* value = nullptr;
        std::string out;
        if (curl_url_get(u.get(), which, &value, 0) == CURLUE_OK && value != nullptr) out = value;
        curl_free(value);
        return out;
    };
    return UrlParts{part(CURLUPART_SCHEME), part(CURLUPART_HOST), part(CURLUPART_PORT)};
}

/// A literal loopback address or "localhost": the only hosts plain SMTP may go to.
bool LoopbackHost(std::string host) {
    if (host == "localhost") return true;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

std::string Base64(const std::string& data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(n);
    return out;
}

/// Base64 in lines of 76 characters (RFC 2045).
std::string Base64Lines(const std::string& data) {
    const std::string flat = Base64(data);
    std::string out;
    for (size_t i = 0; i < flat.size(); i += 76) out += flat.substr(i, 76) + "\r\n";
    return out;
}

bool Ascii(const std::string& s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return false;
    }
    return true;
}

bool HasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

/// RFC 2047: a header value that is not ASCII as UTF-8 base64 encoded-words (each at most 75 characters, split on
/// character boundaries), folded.
std::string EncodeHeader(const std::string& value) {
    if (Ascii(value)) return value;
    std::string out;
    size_t i = 0;
    while (i < value.size()) {
        // 45 bytes -> 60 base64 characters: with "=?UTF-8?B?" and "?=" a word stays within 75.
        size_t end = std::min(value.size(), i + 45);
        while (end < value.size() && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + Base64(value.substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

/// The bare address of "Name <addr>" or "addr".
std::string BareAddress(const std::string& from) {
    const auto open = from.rfind('<');
    const auto close = from.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open) {
        return from.substr(open + 1, close - open - 1);
    }
    return from;
}

std::string RandomHex(size_t bytes) {
    std::string raw(bytes, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

std::string RfcDate(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

struct Upload {
    const std::string* data;
    size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
    auto* up = static_cast<Upload*>(user);
    const size_t n = std::min(size * count, up->data->size() - up->offset);
    std::memcpy(buffer, up->data->data() + up->offset, n);
    up->offset += n;
    return n;
}

DeliveryResult Refused(std::string error) {
    DeliveryResult r;
    r.retry = false;
    r.error = std::move(error);
    return r;
}

}  // namespace

std::string CheckSmtpUrl(const std::string& url) {
    auto parts = ParseUrl(url);
    if (!parts) return "expected smtp://host[:port] or smtps://host[:port]";
    if (parts->scheme != "smtp" && parts->scheme != "smtps") return "the scheme must be smtp or smtps";
    if (parts->host.empty()) return "the URL names no host";
    return "";
}

std::string SmtpHostForLog(const std::string& url) {
    auto parts = ParseUrl(url);
    if (!parts) return "(invalid URL)";
    return parts->scheme + "://" + parts->host + (parts->port.empty() ? "" : ":" + parts->port);
}

EmailSender::EmailSender(EmailSettings settings, std::function<std::chrono::system_clock::time_point()> clock)
    : settings_(std::move(settings)), clock_(std::move(clock)) {
    if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
    GlobalInit();
}

std::string EmailSender::BuildMessage(const std::string& to, const std::string& subject, const std::string& text,
                                      const std::string& html) const {
    const std::string from_address = BareAddress(settings_.from);
    const auto at = from_address.rfind('@');
    const std::string domain = at == std::string::npos ? "localhost" : from_address.substr(at + 1);
    const std::string boundary = "=_haven_" + RandomHex(12);
    std::string m;
    m += "Date: " + RfcDate(clock_()) + "\r\n";
    m += "Message-ID: <" + RandomHex(16) + "@" + domain + ">\r\n";
    m += "From: " + settings_.from + "\r\n";
    m += "To: " + to + "\r\n";
    m += "Subject: " + EncodeHeader(subject) + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
    m += "\r\n";
    m += "--" + boundary + "\r\n";
    m += "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += Base64Lines(text);
    m += "--" + boundary + "\r\n";
    m += "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += Base64Lines(html);
    m += "--" + boundary + "--\r\n";
    return m;
}

DeliveryResult EmailSender::Deliver(const storage::OutboxMessage& message) {
    const json payload = json::parse(message.payload, nullptr, false);
    if (!payload.is_object() || !payload.contains("to") || !payload["to"].is_string() ||
        !payload.value("subject", json()).is_string() || !payload.value("text", json()).is_string() ||
        !payload.value("html", json()).is_string()) {
        return Refused("the email message's payload lacks to, subject, text or html");
    }
    const std::string to = payload["to"].get<std::string>();
    const std::string subject = payload["subject"].get<std::string>();
    if (to.empty() || HasLineBreak(to) || HasLineBreak(subject) || HasLineBreak(settings_.from)) {
        return Refused("the recipient, subject or sender contains a line break");
    }
    auto parts = ParseUrl(settings_.smtp_url);
    if (!parts || (parts->scheme != "smtp" && parts->scheme != "smtps") || parts->host.empty()) {
        return Refused("SMTP_URL is not an smtp:// or smtps:// URL");
    }
    // TLS is required, except to a relay on this machine: smtps:// is TLS from the start; smtp:// elsewhere must
    // upgrade with STARTTLS, and curl stops before MAIL FROM when the server does not offer it.
    const bool plain_allowed = parts->scheme == "smtp" && LoopbackHost(parts->host);

    const std::string body =
        BuildMessage(to, subject, payload["text"].get<std::string>(), payload["html"].get<std::string>());
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return DeliveryResult{false, true, std::nullopt, "", "libcurl could not start a transfer"};
    CURL* h = curl.get();
    char errbuf[CURL_ERROR_SIZE] = {0};
    Upload upload{&body};
    const std::string mail_from = "<" + BareAddress(settings_.from) + ">";
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(
        curl_slist_append(nullptr, ("<" + BareAddress(to) + ">").c_str()), curl_slist_free_all);
    curl_easy_setopt(h, CURLOPT_URL, settings_.smtp_url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     plain_allowed ? static_cast<long>(CURLUSESSL_NONE) : static_cast<long>(CURLUSESSL_ALL));
    if (!settings_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

    const CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    DeliveryResult r;
    if (code > 0) r.status_code = code;
    if (rc == CURLE_OK) {
        r.ok = true;
        r.retry = false;
        r.response_excerpt = "accepted by " + SmtpHostForLog(settings_.smtp_url);
        return r;
    }
    const std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    r.error = "SMTP " + SmtpHostForLog(settings_.smtp_url) + ": " + detail;
    r.response_excerpt = r.error.substr(0, 500);
    if (rc == CURLE_USE_SSL_FAILED) {
        r.error = "SMTP " + SmtpHostForLog(settings_.smtp_url) +
                  ": the server does not offer STARTTLS and TLS is required (use smtps:// or a server with "
                  "STARTTLS; plain SMTP only to a loopback address)";
        r.retry = false;
    } else if (rc == CURLE_LOGIN_DENIED || rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
        r.retry = false;
    } else if (code >= 500 && code < 600) {
        r.retry = false;  // a permanent refusal: sending the same message again gets the same answer
    }
    return r;
}

}  // namespace haven::service
