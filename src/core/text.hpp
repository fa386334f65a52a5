#pragma once
// Free-text request fields and path ids.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace haven::core {

/// Daraja's documented limits on the STK push's text fields, in characters. An AccountReference longer than
/// 12 is refused (it names the payment; longer ones have been seen accepted and never reach the phone); a
/// TransactionDesc may be longer for our records and is cut to 13 when sent.
inline constexpr size_t kMaxAccountReference = 12;
inline constexpr size_t kDarajaTransactionDescLength = 13;
inline constexpr size_t kMaxTransactionDesc = 100;

/// Reads body[field] as text: it must be a JSON string which, after trimming surrounding whitespace, is
/// non-empty, valid UTF-8, free of control characters and at most max_len characters long (counted in
/// Unicode code points, so "é" is one). Longer text is an error — it is never cut.
/// With required = false, a missing or null field (or one that is blank after trimming) yields "".
/// Errors: Error::Validation(field, ...) saying which rule failed (missing, not a string, empty, too long,
/// invalid characters). A body that is not a JSON object counts as the field missing.
Result<std::string> RequireText(const nlohmann::json& body, std::string_view field, size_t max_len,
                                bool required = true);

/// Number of Unicode code points in UTF-8 text (continuation bytes are not counted).
size_t Utf8Length(std::string_view text);

/// The first max_code_points code points of valid UTF-8 text (never splits a character).
std::string Utf8Prefix(std::string_view text, size_t max_code_points);

/// Parses a path id: a positive decimal int64 written with digits only ("42"). Signs, spaces, leading zeros,
/// zero, overflow and anything else give std::nullopt.
std::optional<int64_t> ParseId(std::string_view text);

/// A person's name as an append-only record may keep it: each word's first letter and a dot ("Jane Wanjiru" ->
/// "J. W."). The audit log cannot be erased, so it holds no name a tenant could ask us to remove.
std::string MaskName(std::string_view name);

/// An e-mail address as an append-only record may keep it: the first character of the local part, "***" and the
/// domain ("jane@example.com" -> "j***@example.com"); text without an '@' gives "***".
std::string MaskEmail(std::string_view email);

}  // namespace haven::core
