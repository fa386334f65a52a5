// Fuzzes the parser of the Results Daraja posts to our ResultURL / QueueTimeOutURL (B2C, reversal,
// account balance, transaction status) and the AccountBalance text inside a balance Result.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "daraja/results.hpp"
#include "fuzz_check.hpp"

using haven::daraja::ParseAccountBalance;
using nlohmann::json;

namespace {

void CheckBalance(const std::string& text) {
    auto accounts = ParseAccountBalance(text);
    if (!accounts) {
        FUZZ_CHECK(accounts.error().code == haven::core::ErrorCode::kValidation);
        return;
    }
    FUZZ_CHECK(!accounts->empty());
    for (const auto& a : *accounts) {
        FUZZ_CHECK(!a.name.empty());
        FUZZ_CHECK(a.name.find('|') == std::string::npos && a.name.find('&') == std::string::npos);
        // A balance shown to an operator is a real number of shillings, never NaN or infinity.
        FUZZ_CHECK(std::isfinite(a.current) && std::isfinite(a.available) && std::isfinite(a.reserved) &&
                   std::isfinite(a.uncleared));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    json body = json::parse(text, nullptr, false);
    if (body.is_discarded()) {
        // Not JSON: feed the bytes to the AccountBalance parser instead.
        CheckBalance(text);
        return 0;
    }
    auto notice = haven::daraja::ParseResult(body);
    if (!notice) {
        FUZZ_CHECK(notice.error().code == haven::core::ErrorCode::kValidation);
        return 0;
    }
    // A parsed Result always carries a code and at least one id to match it to our row.
    FUZZ_CHECK(!notice->result_code.empty());
    FUZZ_CHECK(!notice->originator_conversation_id.empty() || !notice->conversation_id.empty());
    FUZZ_CHECK(notice->ok() == (notice->result_code == "0"));
    for (const auto& [key, value] : notice->params) {
        (void)notice->Param(key);
        if (value.is_string()) CheckBalance(value.get<std::string>());
    }
    (void)notice->Param("AccountBalance");
    return 0;
}
