#pragma once
// Money: whole Kenyan shillings as int64_t. M-Pesa rejects decimals, so do we.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/error.hpp"

namespace haven::core {

/// Smallest and largest STK Push amount per transaction (Daraja limits, KES). The largest is M-Pesa's
/// per-transaction limit, so it bounds B2C payments and reversals too.
inline constexpr int64_t kMinStkAmount = 1;
inline constexpr int64_t kMaxStkAmount = 250000;

/// Reads an amount of whole shillings from a JSON value. Only a JSON integer is accepted
/// (number_integer or number_unsigned); the bounds are inclusive.
/// Errors: Error::Validation(field, ...) for a missing/null value, a decimal (even 10.0), a string ("10"),
/// a boolean, an object/array, or an integer outside [min, max]; the message names the rule broken.
Result<int64_t> ParseAmount(const nlohmann::json& v, std::string_view field, int64_t min = kMinStkAmount,
                            int64_t max = kMaxStkAmount);

/// The largest amount we believe M-Pesa reports for one transaction: anything above is not a real payment.
inline constexpr int64_t kMaxDarajaAmount = 100'000'000;

/// Reads an amount Daraja reports (callback metadata, results). Daraja sends 1, 1.00 or "1.00" depending on
/// the API: all three mean 1. Accepted: a JSON integer, an integral JSON float, or a string of digits with an
/// optional fraction of zeros ("1", "1.0", "1.00"). Rejected (kValidation naming `field`): fractions ("1.5"),
/// exponents ("1e20"), signs, zero, anything above kMaxDarajaAmount, other types.
Result<int64_t> ParseDarajaAmount(const nlohmann::json& v, std::string_view field);

}  // namespace haven::core
