#include "service/password_policy.hpp"

#include <zxcvbn.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>

namespace haven::service {
namespace {

/// zxcvbn's score thresholds on guesses (its guesses_to_score, with the same +5 "delta"), in log10.
int ScoreFromGuessesLog10(double log10_guesses) {
    const double guesses = std::pow(10.0, log10_guesses);
    constexpr double kDelta = 5;
    if (guesses < 1e3 + kDelta) return 0;
    if (guesses < 1e6 + kDelta) return 1;
    if (guesses < 1e8 + kDelta) return 2;
    if (guesses < 1e10 + kDelta) return 3;
    return 4;
}

std::string Lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

/// The user's own words: each input as given, and an email's local part and its pieces (jane.doe -> jane, doe).
std::vector<std::string> UserWords(const std::vector<std::string>& inputs) {
    std::vector<std::string> words;
    auto add = [&words](std::string_view w) {
        if (w.size() >= 3) words.push_back(Lower(w));
    };
    for (const auto& input : inputs) {
        add(input);
        std::string_view local = std::string_view(input).substr(0, input.find('@'));
        add(local);
        size_t start = 0;
        for (size_t i = 0; i <= local.size(); ++i) {
            if (i == local.size() || !std::isalnum(static_cast<unsigned char>(local[i]))) {
                if (i > start && i - start < local.size()) add(local.substr(start, i - start));
                start = i + 1;
            }
        }
    }
    return words;
}

struct MatchFree {
    void operator()(ZxcMatch_t* m) const { ZxcvbnFreeInfo(m); }
};

/// zxcvbn's feedback for the longest part of the password it could guess (its get_match_feedback).
void Feedback(const ZxcMatch_t& match, std::string_view password, bool sole_match, PasswordStrength& out) {
    const int type = match.Type & ~MULTIPLE_MATCH;
    std::string_view part = password.substr(static_cast<size_t>(match.Begin), static_cast<size_t>(match.Length));
    switch (type) {
        case DICTIONARY_MATCH:
        case DICT_LEET_MATCH:
        case USER_MATCH:
        case USER_LEET_MATCH: {
            if (type == USER_MATCH || type == USER_LEET_MATCH) {
                out.warning = "Your email or name is easy to guess";
            } else if (sole_match) {
                out.warning = "This is similar to a commonly used password";
            } else {
                out.warning = "A word by itself is easy to guess";
            }
            const bool starts_upper = !part.empty() && std::isupper(static_cast<unsigned char>(part.front()));
            const bool all_upper =
                std::none_of(part.begin(), part.end(), [](unsigned char c) { return std::islower(c); });
            if (all_upper && part.size() > 1 &&
                std::any_of(part.begin(), part.end(), [](unsigned char c) { return std::isupper(c); })) {
                out.suggestions.push_back("All-uppercase is almost as easy to guess as all-lowercase");
            } else if (starts_upper) {
                out.suggestions.push_back("Capitalization doesn't help very much");
            }
            if (type == DICT_LEET_MATCH || type == USER_LEET_MATCH) {
                out.suggestions.push_back("Predictable substitutions like '@' instead of 'a' don't help very much");
            }
            break;
        }
        case SPATIAL_MATCH:
            out.warning = "Keyboard patterns like qwerty are easy to guess";
            out.suggestions.push_back("Use a longer keyboard pattern with more turns");
            break;
        case REPEATS_MATCH:
            out.warning = "Repeats like \"aaa\" or \"abcabc\" are easy to guess";
            out.suggestions.push_back("Avoid repeated words and characters");
            break;
        case SEQUENCE_MATCH:
            out.warning = "Sequences like abc or 6543 are easy to guess";
            out.suggestions.push_back("Avoid sequences");
            break;
        case DATE_MATCH:
        case YEAR_MATCH:
            out.warning = type == YEAR_MATCH ? "Recent years are easy to guess" : "Dates are often easy to guess";
            out.suggestions.push_back("Avoid dates and years that are associated with you");
            break;
        default:
            break;
    }
}

}  // namespace

PasswordStrength RatePassword(std::string_view password, const std::vector<std::string>& user_inputs) {
    PasswordStrength out;
    const std::string text(password.substr(0, kMaxPasswordLength));
    const std::vector<std::string> words = UserWords(user_inputs);
    std::vector<const char*> dict;
    dict.reserve(words.size() + 1);
    for (const auto& w : words) dict.push_back(w.c_str());
    dict.push_back(nullptr);

    ZxcMatch_t* raw = nullptr;
    const double bits = ZxcvbnMatch(text.c_str(), dict.data(), &raw);
    std::unique_ptr<ZxcMatch_t, MatchFree> info(raw);
    out.guesses_log10 = bits * std::log10(2.0);
    out.score = ScoreFromGuessesLog10(out.guesses_log10);
    if (out.score >= kMinPasswordScore) return out;

    // As zxcvbn: the longest guessable part decides the warning; general advice comes first.
    out.suggestions.push_back("Add another word or two. Uncommon words are better.");
    const ZxcMatch_t* longest = nullptr;
    int parts = 0;
    for (const ZxcMatch_t* m = info.get(); m != nullptr; m = m->Next) {
        ++parts;
        if ((m->Type & ~MULTIPLE_MATCH) == BRUTE_MATCH) continue;
        if (longest == nullptr || m->Length > longest->Length) longest = m;
    }
    if (longest != nullptr) Feedback(*longest, text, parts == 1, out);
    if (out.warning.empty() && text.size() < 12) out.warning = "Short passwords are easy to guess";
    return out;
}

core::Result<void> CheckPasswordPolicy(std::string_view password, const std::vector<std::string>& user_inputs,
                                       const std::string& field) {
    if (password.size() < kMinPasswordLength) {
        std::string msg = "use at least " + std::to_string(kMinPasswordLength) + " characters";
        core::Error e = core::Error::Make(core::ErrorCode::kValidation, "this password is too short: " + msg);
        e.details.push_back({field, msg});
        return core::Fail(std::move(e));
    }
    if (password.size() > kMaxPasswordLength) {
        std::string msg = "use at most " + std::to_string(kMaxPasswordLength) + " characters";
        core::Error e = core::Error::Make(core::ErrorCode::kValidation, "this password is too long: " + msg);
        e.details.push_back({field, msg});
        return core::Fail(std::move(e));
    }
    PasswordStrength strength = RatePassword(password, user_inputs);
    if (strength.score >= kMinPasswordScore) return {};
    std::string feedback = strength.warning.empty() ? std::string{} : strength.warning + ". ";
    for (const auto& s : strength.suggestions) feedback += s + (s.ends_with(".") ? " " : ". ");
    while (!feedback.empty() && feedback.back() == ' ') feedback.pop_back();
    core::Error e = core::Error::Make(core::ErrorCode::kValidation, "this password is too easy to guess: " + feedback);
    e.details.push_back({field, feedback});
    return core::Fail(std::move(e));
}

}  // namespace haven::service
