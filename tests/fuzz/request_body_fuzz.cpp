// Fuzzes the validation of the money-moving request bodies (STK push, B2C, reversal) and the free-text
// field reader they share. The bytes are parsed as JSON; the first byte also picks whether the tenant
// page's fixed lease is set.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/bodies.hpp"
#include "core/amount.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"
#include "fuzz_check.hpp"

using nlohmann::json;
using namespace haven;

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// What RequireText accepted is clean text: trimmed, within its length, and accepted again as it is.
void CheckText(const std::string& text, size_t max_len, bool may_be_empty) {
    if (text.empty()) {
        FUZZ_CHECK(may_be_empty);
        return;
    }
    FUZZ_CHECK(!IsSpace(text.front()) && !IsSpace(text.back()));
    FUZZ_CHECK(core::Utf8Length(text) <= max_len);
    for (char c : text) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    auto again = core::RequireText(json{{"f", text}}, "f", max_len);
    FUZZ_CHECK(again && *again == text);
    // Valid UTF-8 by construction: serialising it never needs a replacement character.
    FUZZ_CHECK(json(text).dump().find("\\ufffd") == std::string::npos);
}

void CheckPhone(const std::string& phone) {
    auto again = core::NormalizePhone(phone);
    FUZZ_CHECK(again && *again == phone);
}

void CheckError(const core::Error& e) {
    FUZZ_CHECK(e.code == core::ErrorCode::kValidation || e.code == core::ErrorCode::kBadJson);
    if (e.code == core::ErrorCode::kValidation) FUZZ_CHECK(!e.details.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    json body = json::parse(text, nullptr, false);
    if (body.is_discarded()) return 0;
    std::optional<int64_t> fixed_lease;
    if (size > 0 && (data[0] & 1)) fixed_lease = 7;

    auto stk = fixed_lease ? api::ReadTenantStkPushBody(body, {*fixed_lease, "A1", 15000}) : api::ReadStkPushBody(body);
    if (stk) {
        CheckPhone(stk->phone_number);
        FUZZ_CHECK(stk->amount >= core::kMinStkAmount && stk->amount <= core::kMaxStkAmount);
        CheckText(stk->account_reference, 12, false);
        CheckText(stk->transaction_desc, 13, false);
        if (fixed_lease) FUZZ_CHECK(stk->lease_id == fixed_lease);
        if (stk->lease_id) FUZZ_CHECK(*stk->lease_id > 0);
    } else {
        CheckError(stk.error());
    }

    if (auto b2c = api::ReadB2cBody(body)) {
        CheckPhone(b2c->phone_number);
        FUZZ_CHECK(b2c->amount >= api::kMinB2cAmount && b2c->amount <= core::kMaxStkAmount);
        FUZZ_CHECK(service::CommandIdFor(b2c->type).has_value());
        CheckText(b2c->remarks, 100, false);
        CheckText(b2c->occasion, 100, true);
        if (b2c->original_transaction_id) {
            FUZZ_CHECK(*b2c->original_transaction_id > 0);
            FUZZ_CHECK(b2c->type == "refund");
        }
    } else {
        CheckError(b2c.error());
    }

    if (auto rev = api::ReadReversalBody(body)) {
        FUZZ_CHECK(rev->transaction_id > 0);
        if (rev->amount) FUZZ_CHECK(*rev->amount >= 1 && *rev->amount <= core::kMaxStkAmount);
        CheckText(rev->remarks, 100, false);
        CheckText(rev->reason, 100, false);
    } else {
        CheckError(rev.error());
    }

    // Ids in bodies (transactionId, originalTransactionId) are positive whatever JSON carries them.
    if (auto id = api::IdField(body)) FUZZ_CHECK(*id > 0);
    if (body.is_object()) {
        for (const auto& [key, value] : body.items()) {
            if (auto id = api::IdField(value)) FUZZ_CHECK(*id > 0);
            if (auto t = core::RequireText(body, key, 20, false)) CheckText(*t, 20, true);
        }
    }
    return 0;
}
