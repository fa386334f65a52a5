#include "core/text.hpp"

#include <charconv>

namespace haven::core {
namespace {

Error TextError(std::string_view field, const std::string& rule) {
    std::string name(field);
    return Error::Validation(name, name + " " + rule);
}

bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Strict UTF-8 check: no overlongs, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = 0;
        uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

bool HasControlCharacter(std::string_view s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return true;
    }
    return false;
}

}  // namespace

size_t Utf8Length(std::string_view text) {
    size_t n = 0;
    for (char ch : text) {
        if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
    }
    return n;
}

Result<std::string> RequireText(const nlohmann::json& body, std::string_view field, size_t max_len, bool required) {
    const nlohmann::json* value = nullptr;
    if (body.is_object()) {
        auto it = body.find(std::string(field));
        if (it != body.end()) value = &*it;
    }
    if (value == nullptr || value->is_null()) {
        if (!required) return std::string();
        return Fail(TextError(field, "is required"));
    }
    if (!value->is_string()) return Fail(TextError(field, "must be a string"));

    std::string_view text = value->get_ref<const std::string&>();
    while (!text.empty() && IsSpace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && IsSpace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (text.empty()) {
        if (!required) return std::string();
        return Fail(TextError(field, "must not be empty"));
    }
    if (!IsValidUtf8(text)) return Fail(TextError(field, "must be valid UTF-8 text"));
    if (HasControlCharacter(text)) return Fail(TextError(field, "must not contain control characters or line breaks"));
    if (Utf8Length(text) > max_len) {
        return Fail(TextError(field, "must be at most " + std::to_string(max_len) + " characters"));
    }
    return std::string(text);
}

std::optional<int64_t> ParseId(std::string_view text) {
    if (text.empty() || text.front() < '1' || text.front() > '9') return std::nullopt;
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value <= 0) return std::nullopt;
    return value;
}

std::string Utf8Prefix(std::string_view text, size_t max_code_points) {
    size_t points = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const bool starts_a_point = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
        if (starts_a_point && points++ == max_code_points) return std::string(text.substr(0, i));
    }
    return std::string(text);
}

std::string MaskName(std::string_view name) {
    std::string out;
    bool at_word_start = true;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == ' ' || c == '\t' || c == '-') {
            at_word_start = true;
            continue;
        }
        if (!at_word_start) continue;
        at_word_start = false;
        if (!out.empty()) out += ' ';
        out += Utf8Prefix(name.substr(i), 1);
        out += '.';
    }
    return out;
}

std::string MaskEmail(std::string_view email) {
    const size_t at = email.rfind('@');
    if (at == std::string_view::npos || at == 0) return "***";
    return Utf8Prefix(email, 1) + "***" + std::string(email.substr(at));
}

}  // namespace haven::core
