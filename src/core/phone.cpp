#include "core/phone.hpp"

#include <cctype>

namespace haven::core {
namespace {

constexpr std::string_view kPhoneField = "phoneNumber";
constexpr std::string_view kPhoneHelp =
    "phoneNumber must be a Safaricom mobile number such as 0712345678, 254712345678 or +254712345678 "
    "(07xx or 01xx numbers; spaces and hyphens are allowed)";

Error PhoneError() { return Error::Validation(std::string(kPhoneField), std::string(kPhoneHelp)); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The national significant number (9 digits) must start with 7 or 1 (Safaricom mobile ranges).
bool IsMobileNsn(std::string_view nsn) { return nsn.size() == 9 && (nsn[0] == '7' || nsn[0] == '1'); }

}  // namespace

Result<std::string> NormalizePhone(std::string_view input) {
    // Trim surrounding whitespace, then allow a single leading '+'.
    while (!input.empty() && std::isspace(static_cast<unsigned char>(input.front()))) input.remove_prefix(1);
    while (!input.empty() && std::isspace(static_cast<unsigned char>(input.back()))) input.remove_suffix(1);
    bool plus = false;
    if (!input.empty() && input.front() == '+') {
        plus = true;
        input.remove_prefix(1);
    }
    if (input.empty() || !IsDigit(input.front()) || !IsDigit(input.back())) return Fail(PhoneError());

    std::string digits;
    digits.reserve(input.size());
    char previous = '0';
    for (char c : input) {
        if (IsDigit(c)) {
            digits.push_back(c);
        } else if (c == ' ' || c == '-') {
            // One separator between digit groups; "07--12" or "0712  345" is a typo, not a number.
            if (!IsDigit(previous)) return Fail(PhoneError());
        } else {
            return Fail(PhoneError());
        }
        previous = c;
    }

    std::string_view nsn;
    if (digits.size() == 12 && digits.compare(0, 3, "254") == 0) {
        nsn = std::string_view(digits).substr(3);
    } else if (plus) {
        return Fail(PhoneError());  // '+' only makes sense before the country code
    } else if (digits.size() == 10 && digits[0] == '0') {
        nsn = std::string_view(digits).substr(1);
    } else if (digits.size() == 9) {
        nsn = digits;
    } else {
        return Fail(PhoneError());
    }
    if (!IsMobileNsn(nsn)) return Fail(PhoneError());
    return "254" + std::string(nsn);
}

std::string MaskPhone(std::string_view normalised) {
    if (normalised.size() <= 8) return std::string(normalised.size(), '*');
    std::string out(normalised.substr(0, 4));
    out.append(normalised.size() - 8, '*');
    out.append(normalised.substr(normalised.size() - 4));
    return out;
}

std::string MaskPhonesIn(std::string_view text) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        size_t j = i;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
        if (j == i) {
            out.push_back(text[i++]);
            continue;
        }
        std::string_view digits = text.substr(i, j - i);
        const bool mobile = digits.size() == 12 && (digits.starts_with("2547") || digits.starts_with("2541"));
        out += mobile ? MaskPhone(digits) : std::string(digits);
        i = j;
    }
    return out;
}

std::string MaskDigitRuns(std::string_view text) {
    std::string out(text);
    size_t i = 0;
    while (i < out.size()) {
        if (out[i] < '0' || out[i] > '9') {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
        if (end - i >= 9) {
            for (size_t k = i; k < end - 4; ++k) out[k] = '*';
        }
        i = end;
    }
    return out;
}

}  // namespace haven::core
