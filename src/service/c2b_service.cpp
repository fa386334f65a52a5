#include "service/c2b_service.hpp"

#include <algorithm>

#include "core/account_ref.hpp"
#include "core/hex.hpp"
#include "core/phone.hpp"
#include "core/time.hpp"
#include "service/c2b_register.hpp"

namespace haven::service {

using core::ErrorCode;
using nlohmann::json;

namespace {

/// A string field, or "" when missing or null; a number is taken as its text (M-Pesa sends strings).
std::string Field(const json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
    return it->dump();
}

bool AllDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsSha256Hex(std::string_view s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// "1000.00", "1000.0", "1000" -> 1000; fractions, signs, exponents, zero and absurd sizes -> nullopt.
std::optional<int64_t> WholeShillings(const json& body) {
    auto it = body.find("TransAmount");
    if (it == body.end()) return std::nullopt;
    if (it->is_number_integer()) {
        const int64_t v = it->get<int64_t>();
        return v > 0 ? std::optional<int64_t>(v) : std::nullopt;
    }
    if (!it->is_string()) return std::nullopt;
    const std::string text = it->get<std::string>();
    const auto dot = text.find('.');
    const std::string whole = text.substr(0, dot);
    if (!AllDigits(whole) || whole.size() > 12) return std::nullopt;
    if (dot != std::string::npos) {
        const std::string fraction = text.substr(dot + 1);
        if (fraction.empty() || fraction.size() > 2 || !AllDigits(fraction) ||
            fraction.find_first_not_of('0') != std::string::npos)
            return std::nullopt;
    }
    const int64_t v = std::stoll(whole);
    return v > 0 ? std::optional<int64_t>(v) : std::nullopt;
}

/// The visible digits of a masked MSISDN ("2547 ***** 149" -> prefix "2547", suffix "149").
void MaskedParts(const std::string& masked, std::string& prefix, std::string& suffix) {
    size_t i = 0;
    while (i < masked.size() && masked[i] >= '0' && masked[i] <= '9') prefix.push_back(masked[i++]);
    size_t j = masked.size();
    while (j > i && masked[j - 1] >= '0' && masked[j - 1] <= '9') --j;
    suffix = masked.substr(j);
}

}  // namespace

core::Result<C2bPaymentInput> ParseC2bBody(const json& body) {
    if (!body.is_object()) return core::Fail(ErrorCode::kValidation, "a C2B body must be a JSON object");
    C2bPaymentInput in;
    in.trans_id = Field(body, "TransID");
    if (in.trans_id.empty() || in.trans_id.size() > 20 ||
        !std::all_of(in.trans_id.begin(), in.trans_id.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); })) {
        return core::Fail(ErrorCode::kValidation, "TransID must be 1-20 capital letters and digits");
    }
    auto amount = WholeShillings(body);
    if (!amount) return core::Fail(ErrorCode::kValidation, "TransAmount must be a positive whole number of shillings");
    in.amount = *amount;
    in.business_shortcode = Field(body, "BusinessShortCode");
    if (!AllDigits(in.business_shortcode) || in.business_shortcode.size() < 5 || in.business_shortcode.size() > 7) {
        return core::Fail(ErrorCode::kValidation, "BusinessShortCode must be 5-7 digits");
    }
    in.trans_time = Field(body, "TransTime");
    auto when = core::ParseDarajaTimestamp(in.trans_time);
    if (!when) return core::Fail(ErrorCode::kValidation, "TransTime must be yyyyMMddHHmmss");
    in.completed_at = core::IsoUtc(*when);
    in.transaction_type = Field(body, "TransactionType").substr(0, 40);
    in.bill_ref_number = Field(body, "BillRefNumber").substr(0, 40);
    in.invoice_number = Field(body, "InvoiceNumber").substr(0, 40);
    in.org_account_balance = Field(body, "OrgAccountBalance").substr(0, 40);
    in.third_party_trans_id = Field(body, "ThirdPartyTransID").substr(0, 40);
    in.msisdn = Field(body, "MSISDN").substr(0, 64);
    in.api_version = IsSha256Hex(in.msisdn) ? 1 : 2;
    std::string name;
    for (const char* part : {"FirstName", "MiddleName", "LastName"}) {
        const std::string p = Field(body, part);
        if (p.empty()) continue;
        if (!name.empty()) name.push_back(' ');
        name += p;
    }
    in.payer_name = name.substr(0, 100);
    return in;
}

core::Result<C2bMatch> MatchC2b(storage::Store& store, int64_t agency_id, const C2bPaymentInput& input) {
    auto by_ref = store.MatchLeaseByAccountKey(agency_id, core::NormalizeAccountRef(input.bill_ref_number));
    if (!by_ref) return core::Fail(by_ref.error());
    // Two active leases with one key are ambiguous: a person decides.
    if (by_ref->count == 1) return C2bMatch{by_ref->lease_id, "reference"};
    if (by_ref->count == 0 && input.api_version == 1) {
        auto by_phone = store.MatchLeaseByPhoneHash(agency_id, input.msisdn);
        if (!by_phone) return core::Fail(by_phone.error());
        if (by_phone->count == 1) return C2bMatch{by_phone->lease_id, "phone"};
    }
    return C2bMatch{};
}

core::Result<C2bRecordOutcome> RecordC2bPayment(storage::Store& store, const C2bPaymentInput& input,
                                                const C2bConfig& config, const std::string& origin) {
    auto agency = store.FindC2bRouteAgency(input.business_shortcode, config.global_shortcode, config.global_till);
    if (!agency) return core::Fail(agency.error());
    if (!*agency) {
        return core::Fail(ErrorCode::kValidation,
                          "BusinessShortCode " + input.business_shortcode + " belongs to no agency");
    }
    return RecordC2bPaymentFor(store, **agency, input, origin);
}

core::Result<C2bRecordOutcome> RecordC2bPaymentFor(storage::Store& store, int64_t agency_id,
                                                   const C2bPaymentInput& input, const std::string& origin) {
    auto match = MatchC2b(store, agency_id, input);
    if (!match) return core::Fail(match.error());
    storage::C2bPayment row;
    row.agency_id = agency_id;
    row.trans_id = input.trans_id;
    row.transaction_type = input.transaction_type;
    row.business_shortcode = input.business_shortcode;
    row.bill_ref_number = input.bill_ref_number;
    row.invoice_number = input.invoice_number;
    row.amount = input.amount;
    row.msisdn = input.msisdn;
    row.payer_name = input.payer_name;
    row.api_version = input.api_version;
    row.trans_time = input.trans_time;
    row.completed_at = input.completed_at;
    row.org_account_balance = input.org_account_balance;
    row.third_party_trans_id = input.third_party_trans_id;
    row.lease_id = match->lease_id;
    row.matched_by = match->matched_by;
    row.origin = origin;
    auto recorded = store.InsertC2bPayment(row);
    if (!recorded) return core::Fail(recorded.error());
    C2bRecordOutcome out{true, recorded->inserted, std::move(recorded->payment)};
    if (out.applied && out.payment.status == "unmatched") {
        storage::ReviewItem item;
        item.agency_id = out.payment.agency_id;
        item.transaction_id = out.payment.id;
        item.reason_code = "c2b_unmatched";
        item.reason = "C2B payment " + out.payment.trans_id + " of KES " + std::to_string(out.payment.amount) +
                      (out.payment.bill_ref_number.empty() ? std::string(" without an account number")
                                                           : " for account '" + out.payment.bill_ref_number + "'") +
                      " matches no active lease: assign it to a lease or refund it";
        auto opened = store.OpenReview(item);
        if (!opened) return core::Fail(opened.error());
    }
    return out;
}

core::Result<storage::C2bSettings> C2bSettingsFor(storage::Store& store, int64_t agency_id, const C2bConfig& config) {
    return C2bSettingsOf(store, agency_id, config.defaults);  // the one reader of the settings (c2b_register.hpp)
}

core::Result<bool> DecideC2bValidation(storage::Store& store, const C2bPaymentInput& input, const C2bConfig& config) {
    auto agency = store.FindC2bRouteAgency(input.business_shortcode, config.global_shortcode, config.global_till);
    if (!agency) return core::Fail(agency.error());
    storage::C2bSettings settings;
    if (*agency) {
        auto found = C2bSettingsFor(store, **agency, config);
        if (!found) return core::Fail(found.error());
        settings = *found;
    } else {
        settings = config.defaults;
    }
    if (!settings.validation || !settings.reject_unknown) return true;
    if (!*agency) return false;
    auto match = MatchC2b(store, **agency, input);
    if (!match) return core::Fail(match.error());
    return match->lease_id.has_value();
}

bool PayerMatches(const storage::C2bPayment& payment, const std::string& phone) {
    if (payment.api_version == 1) return core::Sha256Hex(phone) == payment.msisdn;
    std::string prefix, suffix;
    MaskedParts(payment.msisdn, prefix, suffix);
    // A mask that shows too little proves nothing.
    if (prefix.size() + suffix.size() < 6) return false;
    return phone.size() == 12 && phone.compare(0, prefix.size(), prefix) == 0 &&
           phone.compare(phone.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace haven::service
