#include "core/amount.hpp"

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

}  // namespace haven::core
