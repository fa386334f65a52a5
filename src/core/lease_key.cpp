#include "core/lease_key.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace haven::core {
namespace {

bool AllDigits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

Error Refused(const std::string& field) {
    return Error::Validation(field, field +
                                        " must be the id of one of your leases (a positive whole number) or its "
                                        "externalId (up to 64 of A-Z a-z 0-9 . _ : - with at least one "
                                        "non-digit)");
}

}  // namespace

bool ValidExternalId(std::string_view text) {
    if (text.empty() || text.size() > kMaxExternalIdLength || AllDigits(text)) return false;
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-'; });
}

Result<LeaseKey> ParseLeaseKey(const std::string& text, const std::string& field) {
    if (AllDigits(text)) {
        auto id = ParseId(text);
        if (!id) return Fail(Refused(field));
        return LeaseKey{*id, {}};
    }
    if (!ValidExternalId(text)) return Fail(Refused(field));
    return LeaseKey{std::nullopt, text};
}

Result<LeaseKey> ParseLeaseKey(const nlohmann::json& value, const std::string& field) {
    if (value.is_number_integer() && value.get<int64_t>() > 0) return LeaseKey{value.get<int64_t>(), {}};
    if (value.is_string()) return ParseLeaseKey(value.get_ref<const std::string&>(), field);
    return Fail(Refused(field));
}

}  // namespace haven::core
