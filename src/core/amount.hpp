#pragma once
// Money: whole Kenyan shillings as int64_t. M-Pesa rejects decimals, so do we.
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace haven::core {

/// Smallest and largest STK Push amount per transaction (Daraja limits, KES).
inline constexpr int64_t kMinStkAmount = 1;
inline constexpr int64_t kMaxStkAmount = 250000;

/// Reads an amount of whole shillings from a JSON value. Only a JSON integer is accepted
/// (number_integer or number_unsigned); the bounds are inclusive.
/// Errors: Error::Validation(field, ...) for a missing/null value, a decimal (even 10.0), a string ("10"),
/// a boolean, an object/array, or an integer outside [min, max]; the message names the rule broken.
Result<int64_t> ParseAmount(const nlohmann::json& v, std::string_view field, int64_t min = kMinStkAmount,
                            int64_t max = kMaxStkAmount);

}  // namespace haven::core
