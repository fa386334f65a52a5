#include "api/bodies.hpp"

#include <limits>

#include "api/validator.hpp"
#include "core/amount.hpp"
#include "core/lease_key.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"

namespace haven::api {

using nlohmann::json;

namespace {

core::Error NotAnObject() {
    return core::Error::Make(core::ErrorCode::kBadJson, "the request body must be a JSON object");
}

std::optional<std::string> ReadPhone(const json& body, Validator& v) {
    if (!body.contains("phoneNumber") || !body["phoneNumber"].is_string()) {
        v.Add("phoneNumber", "phoneNumber is required, e.g. \"0712345678\"");
        return std::nullopt;
    }
    return v.Take(core::NormalizePhone(body["phoneNumber"].get<std::string>()));
}

}  // namespace

std::optional<int64_t> IdField(const json& v) {
    // nlohmann stores every non-negative JSON integer as unsigned: 0 and values above INT64_MAX are no ids.
    if (v.is_number_unsigned()) {
        auto u = v.get<uint64_t>();
        if (u == 0 || u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
        return static_cast<int64_t>(u);
    }
    if (v.is_number_integer() && v.get<int64_t>() > 0) return v.get<int64_t>();
    if (v.is_string()) return core::ParseId(v.get<std::string>());
    return std::nullopt;
}

namespace {

/// accountReference: at most 12 characters, with why (a longer one is not cut: it names the payment).
core::Result<std::string> ReadAccountReference(const json& body) {
    auto reference = core::RequireText(body, "accountReference", core::kMaxAccountReference);
    if (reference) return reference;
    const auto raw = body.find("accountReference");
    if (raw != body.end() && raw->is_string() &&
        core::Utf8Length(raw->get_ref<const std::string&>()) > core::kMaxAccountReference) {
        return core::Fail(
            core::Error::Validation("accountReference",
                                    "accountReference must be at most 12 characters: Daraja documents 12, and longer "
                                    "ones have been seen accepted and then never reach the tenant's phone"));
    }
    return reference;
}

}  // namespace

core::Result<service::StkPushInput> ReadStkPushBody(const json& body) {
    if (!body.is_object()) return core::Fail(NotAnObject());
    Validator v;
    auto phone = ReadPhone(body, v);
    auto amount =
        v.Take(core::ParseAmount(body.value("amount", json()), "amount", core::kMinStkAmount, core::kMaxStkAmount));
    auto reference = v.Take(ReadAccountReference(body));
    std::optional<std::string> desc;
    if (body.contains("transactionDesc")) {
        // Kept in full for our records; the STK use case sends Daraja its first 13 characters.
        desc = v.Take(core::RequireText(body, "transactionDesc", core::kMaxTransactionDesc));
    } else {
        desc = "Rent payment";  // Daraja rejects an empty TransactionDesc
    }
    std::optional<int64_t> lease_id;
    std::string lease_external_id;
    if (body.contains("leaseId") && !body["leaseId"].is_null()) {
        if (auto key = v.Take(core::ParseLeaseKey(body["leaseId"]))) {
            lease_id = key->id;
            lease_external_id = key->external_id;
        }
    }
    if (!v.ok()) return core::Fail(v.Finish());
    return service::StkPushInput{*phone, *amount, *reference, *desc, lease_id, lease_external_id, std::nullopt};
}

core::Result<service::StkPushInput> ReadTenantStkPushBody(const json& body, const TenantPush& lease) {
    if (!body.is_object()) return core::Fail(NotAnObject());
    Validator v;
    auto phone = ReadPhone(body, v);
    // The rent due is checked like an amount the tenant typed: a rent above what one STK push may ask is refused.
    const json amount_given = body.contains("amount") ? body["amount"] : json(lease.amount_due);
    auto amount = v.Take(core::ParseAmount(amount_given, "amount", core::kMinStkAmount, core::kMaxStkAmount));
    if (!v.ok()) return core::Fail(v.Finish());
    return service::StkPushInput{*phone, *amount, lease.account_reference, "Rent", lease.lease_id, "", std::nullopt};
}

core::Result<service::B2cInput> ReadB2cBody(const json& b) {
    if (!b.is_object()) return core::Fail(NotAnObject());
    Validator v;
    service::B2cInput input;
    if (auto phone = ReadPhone(b, v)) input.phone_number = *phone;
    if (auto amount =
            v.Take(core::ParseAmount(b.value("amount", json()), "amount", kMinB2cAmount, core::kMaxStkAmount))) {
        input.amount = *amount;
    }
    input.type = b.contains("type") && b["type"].is_string() ? b["type"].get<std::string>() : "";
    if (!service::CommandIdFor(input.type)) v.Add("type", "type must be refund, payout, salary, bonus or promotion");
    if (auto remarks = v.Take(core::RequireText(b, "remarks", 100))) input.remarks = *remarks;
    if (auto occasion = v.Take(core::RequireText(b, "occasion", 100, false))) input.occasion = *occasion;
    if (b.contains("originalTransactionId") && !b["originalTransactionId"].is_null()) {
        input.original_transaction_id = IdField(b["originalTransactionId"]);
        if (!input.original_transaction_id) {
            v.Add("originalTransactionId", "originalTransactionId must be the id of a payment");
        } else if (input.type != "refund") {
            v.Add("originalTransactionId", "only a refund is linked to an original payment");
        }
    }
    if (!v.ok()) return core::Fail(v.Finish());
    return input;
}

core::Result<service::ReversalInput> ReadReversalBody(const json& b) {
    if (!b.is_object()) return core::Fail(NotAnObject());
    Validator v;
    service::ReversalInput input;
    auto id = b.contains("transactionId") ? IdField(b["transactionId"]) : std::nullopt;
    if (!id)
        v.Add("transactionId", "transactionId must be the id of a successful payment");
    else
        input.transaction_id = *id;
    if (b.contains("amount") && !b["amount"].is_null()) {
        input.amount = v.Take(core::ParseAmount(b["amount"], "amount", 1, core::kMaxStkAmount));
    }
    if (auto remarks = v.Take(core::RequireText(b, "remarks", 100))) input.remarks = *remarks;
    if (auto reason = v.Take(core::RequireText(b, "reason", 100))) input.reason = *reason;
    if (!v.ok()) return core::Fail(v.Finish());
    return input;
}

}  // namespace haven::api
