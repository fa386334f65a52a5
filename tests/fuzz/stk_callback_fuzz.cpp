// Fuzzes the Daraja STK callback parser with whatever JSON the bytes parse to (Daraja's POST to our
// CallbackURL is untrusted input).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/amount.hpp"
#include "daraja/callbacks.hpp"
#include "fuzz_check.hpp"

using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    json body = json::parse(text, nullptr, false);
    if (body.is_discarded()) return 0;
    auto cb = haven::daraja::ParseStkCallback(body);
    if (cb) {
        // A callback that parses always names the transaction it settles.
        FUZZ_CHECK(!cb->checkout_request_id.empty());
        // An amount that may move money is a whole, positive number of shillings in M-Pesa's range.
        if (cb->amount) FUZZ_CHECK(*cb->amount >= 1 && *cb->amount <= haven::core::kMaxDarajaAmount);
    } else {
        FUZZ_CHECK(cb.error().code == haven::core::ErrorCode::kValidation);
    }
    // JsonScalarText is total and never throws, whatever the JSON value.
    (void)haven::daraja::JsonScalarText(body);
    // A result code read from text is the number those digits spell.
    if (auto code = haven::daraja::ParseResultCode(body); code && body.is_string()) {
        FUZZ_CHECK(*code >= 0 && std::stoll(body.get<std::string>()) == *code);
    }
    if (body.is_object()) {
        for (const auto& [key, value] : body.items()) (void)haven::daraja::JsonScalarText(value);
    }
    return 0;
}
