#include "core/account_ref.hpp"

#include <array>
#include <vector>

namespace haven::core {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr std::array<std::string_view, 10> kUnitWords = {"APARTMENT", "APT",  "UNIT", "HOUSE", "HSE",
                                                         "HS",        "FLAT", "ROOM", "RM",    "DOOR"};
constexpr std::array<std::string_view, 3> kNumberWords = {"NO", "NUMBER", "NBR"};

template <size_t N>
bool OneOf(const std::string& token, const std::array<std::string_view, N>& words) {
    for (auto w : words)
        if (token == w) return true;
    return false;
}

}  // namespace

std::string NormalizeAccountRef(std::string_view typed) {
    // Tokens: runs of letters (upper-cased) and runs of digits; anything else separates.
    std::vector<std::string> tokens;
    std::string current;
    int kind = 0;  // 0 none, 1 letters, 2 digits
    auto flush = [&] {
        if (!current.empty()) tokens.push_back(std::move(current));
        current.clear();
        kind = 0;
    };
    for (char c : typed) {
        const int k = IsLetter(c) ? 1 : IsDigit(c) ? 2 : 0;
        if (k != kind) flush();
        if (k == 0) continue;
        kind = k;
        current.push_back(Upper(c));
    }
    flush();

    std::vector<std::string> kept;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const bool has_next = i + 1 < tokens.size();
        if (has_next && OneOf(tokens[i], kUnitWords)) {
            // "House No. 4B": the number word after a unit word goes with it.
            if (i + 2 < tokens.size() && OneOf(tokens[i + 1], kNumberWords)) ++i;
            continue;
        }
        if (has_next && kept.empty() && OneOf(tokens[i], kNumberWords)) continue;
        kept.push_back(tokens[i]);
    }

    std::string key;
    bool last_digits = false;
    for (auto& token : kept) {
        const bool digits = IsDigit(token.front());
        if (digits) {
            const auto first = token.find_first_not_of('0');
            token = first == std::string::npos ? "0" : token.substr(first);
            if (last_digits) key.push_back('-');
        }
        key += token;
        last_digits = digits;
    }
    return key;
}

}  // namespace haven::core
