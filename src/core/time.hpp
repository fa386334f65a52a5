#pragma once
// Time formats on the wire: Daraja's yyyyMMddHHmmss in Nairobi time (EAT, UTC+3, no DST) and ISO-8601 UTC.
// Pure arithmetic: nothing here reads the TZ environment or the system time zone database.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace haven::core {

/// Nairobi's fixed offset from UTC (East Africa Time has no daylight saving).
inline constexpr std::chrono::hours kEatOffset{3};

/// Formats t as Daraja's Timestamp "yyyyMMddHHmmss" in EAT (t + 3h), e.g. 2026-12-31T22:30:00Z ->
/// "20270101013000". Sub-second parts are dropped.
std::string DarajaTimestamp(std::chrono::system_clock::time_point t);

/// Formats t as ISO-8601 UTC with second precision: "2026-11-28T04:16:30Z".
std::string IsoUtc(std::chrono::system_clock::time_point t);

/// Formats t as the API shows instants, ISO-8601 UTC with milliseconds: "2026-11-28T04:16:30.000Z".
std::string IsoUtcMillis(std::chrono::system_clock::time_point t);

/// Parses an ISO-8601 instant. Accepted: "2026-11-28" (midnight UTC), "2026-11-28T04:16:30Z",
/// "2026-11-28T07:16:30+03:00" (any ±HH:MM offset), optional fractional seconds (".123", dropped), and a
/// space instead of 'T'. A date-time without 'Z' or an offset is rejected as ambiguous.
/// Returns std::nullopt for anything malformed or out of range (month 13, Feb 30, 24:00, ...).
std::optional<std::chrono::system_clock::time_point> ParseIsoUtc(std::string_view text);

/// Parses Daraja's "yyyyMMddHHmmss" (exactly 14 digits, EAT) into the UTC instant it denotes
/// ("20270101013000" -> 2026-12-31T22:30:00Z). Returns std::nullopt when malformed or out of range.
std::optional<std::chrono::system_clock::time_point> ParseDarajaTimestamp(std::string_view text);

}  // namespace haven::core
