#pragma once
// Daraja wire helpers shared by the simulator's API files: lenient field reading (numbers or strings,
// trimmed), format checks, EAT time formatting. Pure: no I/O, no Beast.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/hex.hpp"

namespace haven::sim {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// The text of a field as Daraja reads it: strings trimmed, integers printed, other numbers printed
/// as written ("1.5"). Absent, null, booleans, arrays and objects give nullopt.
std::optional<std::string> FieldText(const nlohmann::json& body, std::string_view key);
/// First present key of several spellings (e.g. "Occasion" / "Occassion").
std::optional<std::string> FieldTextAny(const nlohmann::json& body, std::initializer_list<std::string_view> keys);

std::string Trim(std::string_view s);
bool IsDigits(std::string_view s);
/// Whole shillings >= 1 written as digits only ("10"); decimals, signs and zero give nullopt.
std::optional<int64_t> ParseWholeAmount(std::string_view s);
/// 12-digit Kenyan MSISDN 2547XXXXXXXX or 2541XXXXXXXX (no '+', no leading 0).
bool IsMsisdn(std::string_view s);
/// 5-7 digit shortcode (paybill, till, B2C/C2B shortcodes).
bool IsShortcode(std::string_view s);
/// Absolute http(s) URL with a host and no whitespace.
bool IsHttpUrl(std::string_view s);
/// True when the URL contains one of the words Daraja refuses in registered URLs (mpesa, safaricom, exe, cmd...).
bool HasForbiddenUrlKeyword(std::string_view url);
/// 10 uppercase letters/digits (M-Pesa receipt shape).
bool IsReceipt(std::string_view s);
using core::Sha256Hex;  // the MSISDN hash of a v1 C2B confirmation
/// C2B v2 masked MSISDN: "2547 ***** 149".
std::string MaskMsisdnC2b(std::string_view msisdn);
/// Normalises 07.., +2547.., 2547.. to 2547..; other text is returned trimmed.
std::string NormalizePhone(std::string_view phone);

/// Formats a time in Kenya time (EAT, UTC+3) with strftime-style fields.
std::string FormatEat(TimePoint t, const char* format);
/// yyyyMMddHHmmss in EAT as a number (STK TransactionDate, BOCompletedTime ...).
int64_t EatNumber(TimePoint t);
/// Parses yyyyMMddHHmmss read as EAT; nullopt when the format or the date is invalid.
std::optional<TimePoint> ParseEatTimestamp(std::string_view s);

/// base64 with padding (standard alphabet) and its inverse (nullopt on invalid input).
std::string Base64Encode(std::string_view data);
std::optional<std::string> Base64Decode(std::string_view text);

/// "12.50" / "-15.40" for an amount in cents.
std::string FormatCents(int64_t cents);
/// cents as a JSON number with two decimals' worth of value (8959269.60 -> 8959269.6).
double CentsToNumber(int64_t cents);

}  // namespace haven::sim
