#include "daraja/callbacks.hpp"

#include <cmath>

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

namespace {

std::optional<int64_t> AsInt(const json& v) {
    std::string text = JsonScalarText(v);
    if (text.empty()) return std::nullopt;
    try {
        size_t used = 0;
        int64_t n = std::stoll(text, &used);
        if (used == text.size()) return n;
        double d = std::stod(text, &used);
        if (used == text.size()) return static_cast<int64_t>(std::llround(d));
    } catch (...) {
    }
    return std::nullopt;
}

}  // namespace

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
    auto code = cb.contains("ResultCode") ? AsInt(cb["ResultCode"]) : std::nullopt;
    if (!code) return core::Fail(Error::Validation("ResultCode", "ResultCode is missing or not a number"));
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
                if (name == "Amount") out.amount = AsInt(value);
                else if (name == "MpesaReceiptNumber") out.mpesa_receipt_number = JsonScalarText(value);
                else if (name == "TransactionDate") out.transaction_date = JsonScalarText(value);
                else if (name == "PhoneNumber") out.phone_number = JsonScalarText(value);
            }
        }
    }
    return out;
}

}  // namespace haven::daraja
