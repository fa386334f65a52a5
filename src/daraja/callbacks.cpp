#include "daraja/callbacks.hpp"

#include <cctype>
#include <cmath>

#include "core/amount.hpp"

namespace haven::daraja {

using core::Error;
using nlohmann::json;

std::string JsonScalarText(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
    if (v.is_number_float()) {
        double d = v.get<double>();
        if (std::floor(d) == d && std::fabs(d) < 9.2e18) return std::to_string(static_cast<int64_t>(d));
        return v.dump();
    }
    return {};
}

std::optional<int64_t> ParseResultCode(const json& v) {
    if (v.is_number_integer() || v.is_number_unsigned()) {
        // Daraja's codes are 0 and up (0, 1, 17, 1032, 2001, ...); a negative or huge one is not Daraja's.
        if (v.is_number_integer() && v.get<int64_t>() < 0) return std::nullopt;
        if (v.get<uint64_t>() > 999'999'999) return std::nullopt;
        return v.get<int64_t>();
    }
    if (!v.is_string()) return std::nullopt;
    const std::string& text = v.get_ref<const std::string&>();
    if (text.empty() || text.size() > 9) return std::nullopt;
    for (unsigned char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    return std::stoll(text);
}

bool ValidReceipt(std::string_view receipt) {
    if (receipt.size() < 6 || receipt.size() > 20) return false;
    for (unsigned char c : receipt) {
        if (!std::isalnum(c)) return false;
    }
    return true;
}

core::Result<StkCallback> ParseStkCallback(const json& body) {
    if (!body.is_object() || !body.contains("Body") || !body["Body"].is_object() ||
        !body["Body"].contains("stkCallback") || !body["Body"]["stkCallback"].is_object()) {
        return core::Fail(Error::Validation("Body.stkCallback", "not an STK callback: Body.stkCallback is missing"));
    }
    const json& cb = body["Body"]["stkCallback"];
    StkCallback out;
    out.merchant_request_id = cb.contains("MerchantRequestID") ? JsonScalarText(cb["MerchantRequestID"]) : "";
    out.checkout_request_id = cb.contains("CheckoutRequestID") ? JsonScalarText(cb["CheckoutRequestID"]) : "";
    if (out.checkout_request_id.empty()) {
        return core::Fail(Error::Validation("CheckoutRequestID", "CheckoutRequestID is missing"));
    }
    auto code = cb.contains("ResultCode") ? ParseResultCode(cb["ResultCode"]) : std::nullopt;
    if (!code) return core::Fail(Error::Validation("ResultCode", "ResultCode is missing or not an integer"));
    out.result_code = *code;
    out.result_desc = cb.contains("ResultDesc") ? JsonScalarText(cb["ResultDesc"]) : "";

    if (cb.contains("CallbackMetadata") && cb["CallbackMetadata"].is_object()) {
        json items = cb["CallbackMetadata"].value("Item", json::array());
        if (items.is_object()) items = json::array({items});  // one item collapses to an object
        if (items.is_array()) {
            for (const auto& item : items) {
                if (!item.is_object() || !item.contains("Name") || !item.contains("Value")) continue;
                const std::string name = JsonScalarText(item["Name"]);
                const json& value = item["Value"];
                if (name == "Amount") {
                    auto amount = core::ParseDarajaAmount(value, "Amount");
                    if (!amount) return core::Fail(amount.error());
                    out.amount = *amount;
                } else if (name == "MpesaReceiptNumber")
                    out.mpesa_receipt_number = JsonScalarText(value);
                else if (name == "TransactionDate")
                    out.transaction_date = JsonScalarText(value);
                else if (name == "PhoneNumber")
                    out.phone_number = JsonScalarText(value);
            }
        }
    }
    if (out.result_code == 0) {
        if (!out.amount) return core::Fail(Error::Validation("Amount", "a successful callback must carry its Amount"));
        if (!ValidReceipt(out.mpesa_receipt_number)) {
            return core::Fail(Error::Validation("MpesaReceiptNumber",
                                                "a successful callback must carry a well-formed MpesaReceiptNumber"));
        }
    }
    return out;
}

}  // namespace haven::daraja
