#include "service/accounts.hpp"

#include <algorithm>
#include <utility>

#include "core/validator.hpp"

namespace haven::service {

using core::ErrorCode;

namespace {

bool IsShortcode(const std::string& s) {
    return s.size() >= 5 && s.size() <= 7 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

bool Printable(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

/// A secret as typed: given (not empty, printable, at most `max` characters) or left out.
void CheckSecret(core::Validator& v, const char* field, const std::optional<std::string>& value, size_t max,
                 bool required) {
    if (!value) {
        if (required) v.Add(field, std::string(field) + " is required for a new account");
        return;
    }
    if (value->empty() || value->size() > max || !Printable(*value)) {
        v.Add(field, std::string(field) + " must be 1 to " + std::to_string(max) +
                         " visible characters (no spaces); leave it out to keep the stored one");
    }
}

}  // namespace

Result<ResolvedAccount> AccountFor(storage::Store& store, const AccountGlobals& globals, int64_t agency_id) {
    auto row = store.FindMpesaAccount(agency_id);
    if (!row) {
        if (row.error().code == ErrorCode::kNotFound) return ResolvedAccount{};
        return tl::unexpected(row.error());
    }
    if (!globals.box) {
        return core::Fail(ErrorCode::kInternal,
                          "this agency's M-Pesa account is sealed, but no MASTER_KEY is set to open it");
    }
    ResolvedAccount out;
    out.own = true;
    out.shortcode = row->shortcode;
    out.till_number = row->till_number;
    out.transaction_type = row->transaction_type;
    out.b2c_shortcode = row->b2c_shortcode.empty() ? row->shortcode : row->b2c_shortcode;
    out.initiator_name = row->initiator_name;
    out.initiator_secret_kind = row->initiator_secret_kind;
    const std::pair<const std::string*, std::string*> secrets[] = {
        {&row->consumer_key_sealed, &out.consumer_key},
        {&row->consumer_secret_sealed, &out.consumer_secret},
        {&row->passkey_sealed, &out.passkey},
        {&row->initiator_secret_sealed, &out.initiator_secret}};
    for (const auto& [sealed, into] : secrets) {
        if (sealed->empty()) continue;
        auto opened = globals.box->Open(*sealed);
        if (!opened) return core::Fail(ErrorCode::kInternal, "this agency's M-Pesa account: " + opened.error().message);
        *into = std::move(*opened);
    }
    return out;
}

Result<storage::MpesaAccount> SaveAccount(storage::Store& store, const AccountGlobals& globals, int64_t agency_id,
                                          const AccountUpdate& u, const std::string& updated_by) {
    if (!globals.box) {
        return core::Fail(ErrorCode::kUnprocessable,
                          "an agency account cannot be stored without MASTER_KEY (the key its secrets are sealed "
                          "with): set MASTER_KEY on the gateway, or keep using the global MPESA_* account");
    }
    auto existing = store.FindMpesaAccount(agency_id);
    if (!existing && existing.error().code != ErrorCode::kNotFound) return tl::unexpected(existing.error());
    const bool first = !existing.has_value();

    core::Validator v;
    if (!IsShortcode(u.shortcode)) v.Add("shortcode", "shortcode must be your paybill number, 5 to 7 digits");
    if (!u.till_number.empty() && !IsShortcode(u.till_number))
        v.Add("tillNumber", "tillNumber must be 5 to 7 digits (or left out)");
    if (u.transaction_type != "CustomerPayBillOnline" && u.transaction_type != "CustomerBuyGoodsOnline")
        v.Add("transactionType", "transactionType must be CustomerPayBillOnline or CustomerBuyGoodsOnline");
    else if (u.transaction_type == "CustomerBuyGoodsOnline" && u.till_number.empty())
        v.Add("tillNumber", "tillNumber is required for CustomerBuyGoodsOnline (the till that receives the money)");
    if (!u.b2c_shortcode.empty() && !IsShortcode(u.b2c_shortcode))
        v.Add("b2cShortcode", "b2cShortcode must be 5 to 7 digits (or left out: the shortcode)");
    if (u.initiator_name.size() > 64 || (!u.initiator_name.empty() && !Printable(u.initiator_name)))
        v.Add("initiatorName", "initiatorName must be at most 64 visible characters");
    if (u.initiator_secret_kind != "password" && u.initiator_secret_kind != "credential")
        v.Add("initiatorSecretKind", "initiatorSecretKind must be password or credential");
    CheckSecret(v, "consumerKey", u.consumer_key, 256, first);
    CheckSecret(v, "consumerSecret", u.consumer_secret, 256, first);
    CheckSecret(v, "passkey", u.passkey, 256, first);
    CheckSecret(v, "initiatorSecret", u.initiator_secret, 2048, false);
    const bool has_initiator_secret = u.initiator_secret || (!first && !existing->initiator_secret_sealed.empty());
    if (u.initiator_secret && u.initiator_name.empty())
        v.Add("initiatorName", "initiatorName is required with an initiatorSecret");
    if (!v.ok()) return core::Fail(v.Finish());

    storage::MpesaAccount a = first ? storage::MpesaAccount{} : *existing;
    a.agency_id = agency_id;
    a.shortcode = u.shortcode;
    a.till_number = u.till_number;
    a.transaction_type = u.transaction_type;
    a.b2c_shortcode = u.b2c_shortcode;
    a.initiator_name = u.initiator_name;
    a.initiator_secret_kind = u.initiator_secret_kind;
    a.updated_by = updated_by;
    const SecretBox& box = *globals.box;
    if (u.consumer_key) a.consumer_key_sealed = box.Seal(*u.consumer_key);
    if (u.consumer_secret) a.consumer_secret_sealed = box.Seal(*u.consumer_secret);
    if (u.passkey) a.passkey_sealed = box.Seal(*u.passkey);
    if (u.initiator_secret) a.initiator_secret_sealed = box.Seal(*u.initiator_secret);
    // No initiator: no secret kept for one either (B2C, reversal, balance and status are refused for the agency).
    if (u.initiator_name.empty() || !has_initiator_secret) a.initiator_secret_sealed.clear();
    return store.UpsertMpesaAccount(a);
}

}  // namespace haven::service
