// Fuzzes phone number normalisation (every phoneNumber a client or a tenant types) and the masks used
// for log lines.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/phone.hpp"
#include "fuzz_check.hpp"

using namespace haven::core;

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t LongestDigitRun(const std::string& s) {
    size_t best = 0, run = 0;
    for (char c : s) {
        run = IsDigit(c) ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    auto phone = NormalizePhone(input);
    if (phone) {
        // The stored form: 254 + a 9-digit Safaricom mobile number starting with 7 or 1 ...
        FUZZ_CHECK(phone->size() == 12);
        for (char c : *phone) FUZZ_CHECK(IsDigit(c));
        FUZZ_CHECK(phone->compare(0, 3, "254") == 0);
        FUZZ_CHECK((*phone)[3] == '7' || (*phone)[3] == '1');
        // ... which is a fixed point: normalising it again changes nothing, as do the other accepted forms.
        auto again = NormalizePhone(*phone);
        FUZZ_CHECK(again && *again == *phone);
        auto plus = NormalizePhone("+" + *phone);
        FUZZ_CHECK(plus && *plus == *phone);
        auto local = NormalizePhone("0" + phone->substr(3));
        FUZZ_CHECK(local && *local == *phone);
        // Its mask keeps the first 4 and last 4 digits only.
        std::string masked = MaskPhone(*phone);
        FUZZ_CHECK(masked.size() == 12 && masked.substr(0, 4) == phone->substr(0, 4) && masked.substr(4, 4) == "****" &&
                   masked.substr(8) == phone->substr(8));
    } else {
        FUZZ_CHECK(phone.error().code == ErrorCode::kValidation);
    }

    std::string masked = MaskPhone(input);
    FUZZ_CHECK(masked.size() == input.size());
    if (input.size() <= 8) FUZZ_CHECK(masked == std::string(input.size(), '*'));

    // Log masking: the same length, non-digits untouched, and no run of 9 or more digits survives.
    std::string runs = MaskDigitRuns(input);
    FUZZ_CHECK(runs.size() == input.size());
    FUZZ_CHECK(LongestDigitRun(runs) < 9);
    for (size_t i = 0; i < input.size(); ++i) {
        if (!IsDigit(input[i])) FUZZ_CHECK(runs[i] == input[i]);
    }
    return 0;
}
