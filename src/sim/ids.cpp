#include "sim/ids.hpp"

#include <cstdio>
#include <ctime>

namespace haven::sim {

namespace {
constexpr char kHexChars[] = "0123456789abcdef";
constexpr char kUpperAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
}  // namespace

IdGenerator::IdGenerator(uint64_t seed) : rng_(seed != 0 ? seed : std::random_device{}()) {
    counter_ = 1000000 + rng_() % 8000000;
}

std::string IdGenerator::Pick(const char* alphabet, size_t alphabet_size, size_t n) {
    std::lock_guard lock(mu_);
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(alphabet[rng_() % alphabet_size]);
    return out;
}

std::string IdGenerator::Hex(size_t n) { return Pick(kHexChars, 16, n); }

std::string IdGenerator::RequestStyleId() {
    uint64_t count = 0;
    {
        std::lock_guard lock(mu_);
        count = counter_++;
    }
    return Hex(4) + "-" + Hex(4) + "-" + Hex(4) + "-" + Hex(12) + std::to_string(count);
}

std::string IdGenerator::CheckoutRequestId(TimePoint now, const std::string& msisdn) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    char msbuf[8];
    std::snprintf(msbuf, sizeof(msbuf), "%03lld", static_cast<long long>(ms));
    std::string tail = msisdn.size() >= 9 ? msisdn.substr(msisdn.size() - 9) : msisdn;
    return "ws_CO_" + FormatEat(now, "%d%m%Y%H%M%S") + msbuf + tail;
}

std::string IdGenerator::ConversationId(TimePoint now) { return "AG_" + FormatEat(now, "%Y%m%d") + "_2010" + Hex(16); }

std::string IdGenerator::ReceiptPrefix(TimePoint now) {
    std::string date = FormatEat(now, "%Y%m%d");
    int year = std::stoi(date.substr(0, 4));
    int month = std::stoi(date.substr(4, 2));
    int day = std::stoi(date.substr(6, 2));
    std::string out;
    // 'L' = 2017 ... 'U' = 2026; wraps after 'Z' (2031) rather than leaving the alphabet.
    out.push_back(static_cast<char>('A' + ((year - 2006) % 26 + 26) % 26));
    out.push_back(static_cast<char>('A' + (month - 1)));
    out.push_back(day < 10 ? static_cast<char>('0' + day) : static_cast<char>('A' + (day - 10)));
    return out;
}

std::string IdGenerator::Receipt(TimePoint now) { return ReceiptPrefix(now) + Pick(kUpperAlnum, 36, 7); }

std::string IdGenerator::ZeroReceipt(TimePoint now) { return ReceiptPrefix(now) + "0000000"; }

std::string IdGenerator::AccessToken() { return Pick(kAlnum, sizeof(kAlnum) - 1, 28); }

}  // namespace haven::sim
