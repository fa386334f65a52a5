#include "core/time.hpp"

#include <cstdio>

namespace haven::core {
namespace {

using std::chrono::system_clock;

struct Civil {
    int year;
    unsigned month;
    unsigned day;
    long hour;
    long minute;
    long second;
};

Civil ToCivil(system_clock::time_point t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    auto days = std::chrono::floor<std::chrono::days>(secs);
    std::chrono::year_month_day ymd{days};
    std::chrono::hh_mm_ss hms{secs - days};
    return Civil{static_cast<int>(ymd.year()),
                 static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()),
                 static_cast<long>(hms.hours().count()),
                 static_cast<long>(hms.minutes().count()),
                 static_cast<long>(hms.seconds().count())};
}

// Reads exactly n digits at pos; false if any is not a digit or the text is too short.
bool ReadDigits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

std::optional<system_clock::time_point> MakeInstant(int year, int month, int day, int hour, int minute, int second) {
    if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                    std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    std::chrono::sys_days days{ymd};
    return system_clock::time_point{days} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
           std::chrono::seconds{second};
}

}  // namespace

std::string DarajaTimestamp(system_clock::time_point t) {
    Civil c = ToCivil(t + kEatOffset);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u%02ld%02ld%02ld", c.year, c.month, c.day, c.hour, c.minute, c.second);
    return buf;
}

std::string IsoUtc(system_clock::time_point t) {
    Civil c = ToCivil(t);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", c.year, c.month, c.day, c.hour, c.minute,
                  c.second);
    return buf;
}

std::string IsoUtcMillis(system_clock::time_point t) {
    const auto whole = std::chrono::floor<std::chrono::seconds>(t);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - whole).count();
    std::string out = IsoUtc(whole);
    char fraction[24];  // ".123Z": millis is 0..999, the size only quiets -Wformat-truncation
    std::snprintf(fraction, sizeof fraction, ".%03lldZ", static_cast<long long>(millis));
    out.replace(out.size() - 1, 1, fraction);
    return out;
}

std::optional<system_clock::time_point> ParseIsoUtc(std::string_view s) {
    int year = 0, month = 0, day = 0;
    if (!ReadDigits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !ReadDigits(s, 5, 2, month) || s[7] != '-' ||
        !ReadDigits(s, 8, 2, day)) {
        return std::nullopt;
    }
    if (s.size() == 10) return MakeInstant(year, month, day, 0, 0, 0);

    int hour = 0, minute = 0, second = 0;
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ReadDigits(s, 11, 2, hour) || s.size() < 19 ||
        s[13] != ':' || !ReadDigits(s, 14, 2, minute) || s[16] != ':' || !ReadDigits(s, 17, 2, second)) {
        return std::nullopt;
    }
    size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
    }
    auto instant = MakeInstant(year, month, day, hour, minute, second);
    if (!instant || pos >= s.size()) return std::nullopt;

    std::string_view zone = s.substr(pos);
    if (zone == "Z" || zone == "z") return instant;
    int off_h = 0, off_m = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !ReadDigits(zone, 1, 2, off_h) || zone[3] != ':' ||
        !ReadDigits(zone, 4, 2, off_m) || off_h > 23 || off_m > 59) {
        return std::nullopt;
    }
    auto offset = std::chrono::hours{off_h} + std::chrono::minutes{off_m};
    // Local time = UTC + offset, so UTC = local - offset.
    return zone[0] == '+' ? *instant - offset : *instant + offset;
}

std::optional<system_clock::time_point> ParseDarajaTimestamp(std::string_view s) {
    if (s.size() != 14) return std::nullopt;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!ReadDigits(s, 0, 4, year) || !ReadDigits(s, 4, 2, month) || !ReadDigits(s, 6, 2, day) ||
        !ReadDigits(s, 8, 2, hour) || !ReadDigits(s, 10, 2, minute) || !ReadDigits(s, 12, 2, second)) {
        return std::nullopt;
    }
    auto local = MakeInstant(year, month, day, hour, minute, second);
    if (!local) return std::nullopt;
    return *local - kEatOffset;
}

}  // namespace haven::core
