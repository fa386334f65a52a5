#include "sim/wire.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "core/hex.hpp"

namespace haven::sim {

std::string Trim(std::string_view s) {
    size_t b = 0;
    size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::optional<std::string> FieldText(const nlohmann::json& body, std::string_view key) {
    if (!body.is_object()) return std::nullopt;
    auto it = body.find(std::string(key));
    if (it == body.end()) return std::nullopt;
    const auto& v = *it;
    if (v.is_string()) return Trim(v.get<std::string>());
    if (v.is_number_integer()) return v.dump();
    if (v.is_number_float()) {
        double d = v.get<double>();
        // 10.0 is still a decimal on the wire: keep the fraction so amount checks refuse it.
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.2f", d);
        return std::string(buf);
    }
    return std::nullopt;
}

std::optional<std::string> FieldTextAny(const nlohmann::json& body, std::initializer_list<std::string_view> keys) {
    for (auto k : keys) {
        if (auto v = FieldText(body, k)) return v;
    }
    return std::nullopt;
}

bool IsDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> ParseWholeAmount(std::string_view s) {
    if (!IsDigits(s) || s.size() > 12) return std::nullopt;
    int64_t v = std::stoll(std::string(s));
    if (v < 1) return std::nullopt;
    return v;
}

bool IsMsisdn(std::string_view s) {
    return s.size() == 12 && IsDigits(s) && (s.substr(0, 4) == "2547" || s.substr(0, 4) == "2541");
}

bool IsShortcode(std::string_view s) { return IsDigits(s) && s.size() >= 5 && s.size() <= 7; }

bool IsHttpUrl(std::string_view s) {
    std::string_view rest;
    if (s.rfind("https://", 0) == 0) {
        rest = s.substr(8);
    } else if (s.rfind("http://", 0) == 0) {
        rest = s.substr(7);
    } else {
        return false;
    }
    if (rest.empty() || rest[0] == '/' || rest[0] == ':') return false;
    return std::none_of(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

bool HasForbiddenUrlKeyword(std::string_view url) {
    std::string lower(url);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::array<const char*, 8> kWords = {"mpesa", "m-pesa", "safaricom", "exe",
                                                      "exec",  "cmd",    "sql",       "query"};
    return std::any_of(kWords.begin(), kWords.end(), [&](const char* w) { return lower.find(w) != std::string::npos; });
}

bool IsReceipt(std::string_view s) {
    return s.size() == 10 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

std::string MaskMsisdnC2b(std::string_view msisdn) {
    if (msisdn.size() < 7) return std::string(msisdn);
    return std::string(msisdn.substr(0, 4)) + " ***** " + std::string(msisdn.substr(msisdn.size() - 3));
}

std::string NormalizePhone(std::string_view phone) {
    std::string digits;
    for (char c : phone) {
        if (c >= '0' && c <= '9') digits.push_back(c);
    }
    if (digits.size() == 10 && digits[0] == '0') return "254" + digits.substr(1);
    if (digits.size() == 9 && (digits[0] == '7' || digits[0] == '1')) return "254" + digits;
    if (digits.empty()) return Trim(phone);
    return digits;
}

namespace {
constexpr int kEatOffsetSeconds = 3 * 3600;

std::tm EatTm(TimePoint t) {
    std::time_t secs = Clock::to_time_t(t) + kEatOffsetSeconds;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}
}  // namespace

std::string FormatEat(TimePoint t, const char* format) {
    std::tm tm = EatTm(t);
    char buf[64];
    size_t n = std::strftime(buf, sizeof(buf), format, &tm);
    return std::string(buf, n);
}

int64_t EatNumber(TimePoint t) { return std::stoll(FormatEat(t, "%Y%m%d%H%M%S")); }

std::optional<TimePoint> ParseEatTimestamp(std::string_view s) {
    if (s.size() != 14 || !IsDigits(s)) return std::nullopt;
    auto num = [&](size_t pos, size_t len) { return std::stoi(std::string(s.substr(pos, len))); };
    std::tm tm{};
    tm.tm_year = num(0, 4) - 1900;
    tm.tm_mon = num(4, 2) - 1;
    tm.tm_mday = num(6, 2);
    tm.tm_hour = num(8, 2);
    tm.tm_min = num(10, 2);
    tm.tm_sec = num(12, 2);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 59) {
        return std::nullopt;
    }
    std::tm copy = tm;
    std::time_t secs = timegm(&copy);
    // timegm normalises 31 February into March: a changed day means the date does not exist.
    if (copy.tm_mday != tm.tm_mday || copy.tm_mon != tm.tm_mon) return std::nullopt;
    return Clock::from_time_t(secs - kEatOffsetSeconds);
}

std::string Base64Encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
    std::string clean;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
    }
    if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
    for (char c : clean) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) return std::nullopt;
    }
    std::string out(clean.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0) return std::nullopt;
    size_t pad = 0;
    if (!clean.empty() && clean[clean.size() - 1] == '=') ++pad;
    if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string FormatCents(int64_t cents) {
    bool negative = cents < 0;
    uint64_t abs = negative ? static_cast<uint64_t>(-cents) : static_cast<uint64_t>(cents);
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%s%llu.%02llu", negative ? "-" : "", static_cast<unsigned long long>(abs / 100),
                  static_cast<unsigned long long>(abs % 100));
    return buf;
}

double CentsToNumber(int64_t cents) { return static_cast<double>(cents) / 100.0; }

}  // namespace haven::sim
