// Fuzzes amount parsing (every amount a client sends) and path ids. The first byte picks the bounds, the
// rest is parsed as JSON; the whole input is also tried as a path id.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "core/amount.hpp"
#include "core/text.hpp"
#include "fuzz_check.hpp"

using nlohmann::json;
using namespace haven::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);

    auto id = ParseId(text);
    if (id) {
        // A path id is positive and written exactly one way.
        FUZZ_CHECK(*id > 0);
        FUZZ_CHECK(std::to_string(*id) == text);
    }

    if (size == 0) return 0;
    struct Bounds {
        int64_t min, max;
    };
    static constexpr Bounds kBounds[] = {
        {kMinStkAmount, kMaxStkAmount}, {10, 250000}, {1, 100000000}, {0, std::numeric_limits<int64_t>::max()}};
    const Bounds b = kBounds[data[0] % 4];
    json v = json::parse(text.substr(1), nullptr, false);
    if (v.is_discarded()) return 0;
    auto amount = ParseAmount(v, "amount", b.min, b.max);
    if (amount) {
        // An accepted amount is a JSON integer inside the bounds, and it is the number that was sent.
        FUZZ_CHECK(v.is_number_integer());
        FUZZ_CHECK(*amount >= b.min && *amount <= b.max);
        if (b.min > 0) FUZZ_CHECK(*amount > 0);
        FUZZ_CHECK(json(*amount) == v);
    } else {
        FUZZ_CHECK(amount.error().code == ErrorCode::kValidation);
        FUZZ_CHECK(!amount.error().details.empty() && amount.error().details.front().field == "amount");
    }
    // What Daraja reports (1, 1.00 or "1.00"): accepted only as a whole, positive amount in range.
    if (auto reported = ParseDarajaAmount(v, "Amount")) {
        FUZZ_CHECK(*reported >= 1 && *reported <= kMaxDarajaAmount);
        if (v.is_number()) FUZZ_CHECK(v.get<double>() == static_cast<double>(*reported));
        if (v.is_string()) {
            const std::string& t = v.get_ref<const std::string&>();
            auto dot = t.find('.');
            FUZZ_CHECK(std::stoll(t.substr(0, dot)) == *reported);
            if (dot != std::string::npos) FUZZ_CHECK(t.find_first_not_of('0', dot + 1) == std::string::npos);
        }
    }
    return 0;
}
