#include "core/amount.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace haven::core {
namespace {

Error AmountError(std::string_view field, const std::string& rule) {
    std::string name(field);
    return Error::Validation(name, name + " " + rule);
}

std::string WholeNumberRule(int64_t min, int64_t max) {
    return "must be a whole number of shillings between " + std::to_string(min) + " and " + std::to_string(max) +
           " (no decimals, no quotes)";
}

}  // namespace

Result<int64_t> ParseAmount(const nlohmann::json& v, std::string_view field, int64_t min, int64_t max) {
    if (v.is_null()) return Fail(AmountError(field, "is required"));
    int64_t value = 0;
    if (v.is_number_unsigned()) {
        auto u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return Fail(AmountError(field, "must be at most " + std::to_string(max)));
        }
        value = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
        value = v.get<int64_t>();
    } else if (v.is_number_float()) {
        return Fail(AmountError(field, "must be a whole number of shillings: decimals are not allowed"));
    } else {
        return Fail(AmountError(field, WholeNumberRule(min, max)));
    }
    if (value < min) return Fail(AmountError(field, "must be at least " + std::to_string(min)));
    if (value > max) return Fail(AmountError(field, "must be at most " + std::to_string(max)));
    return value;
}

Result<int64_t> ParseDarajaAmount(const nlohmann::json& v, std::string_view field) {
    const std::string rule = "must be a whole number of shillings between 1 and " + std::to_string(kMaxDarajaAmount);
    int64_t value = 0;
    if (v.is_number_unsigned() || v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kMaxDarajaAmount)) {
            return Fail(AmountError(field, rule));
        }
        value = v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
    } else if (v.is_number_float()) {
        const double d = v.get<double>();
        // Compared as doubles first, so 1e20 or NaN never reaches the integer conversion.
        if (!(d >= 1.0 && d <= static_cast<double>(kMaxDarajaAmount)) ||
            d != static_cast<double>(static_cast<int64_t>(d))) {
            return Fail(AmountError(field, rule));
        }
        value = static_cast<int64_t>(d);
    } else if (v.is_string()) {
        const std::string& text = v.get_ref<const std::string&>();
        const size_t dot = text.find('.');
        const std::string whole = text.substr(0, dot);
        const std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
        auto digits = [](const std::string& t) {
            return std::all_of(t.begin(), t.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
        };
        const bool zero_fraction =
            dot == std::string::npos || (!fraction.empty() && fraction.find_first_not_of('0') == std::string::npos);
        if (whole.empty() || whole.size() > 12 || !digits(whole) || !zero_fraction)
            return Fail(AmountError(field, rule));
        value = std::stoll(whole);
    } else {
        return Fail(AmountError(field, rule));
    }
    if (value < 1 || value > kMaxDarajaAmount) return Fail(AmountError(field, rule));
    return value;
}

}  // namespace haven::core
