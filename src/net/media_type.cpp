#include "net/media_type.hpp"

#include <cctype>

namespace haven::net {

namespace {

// RFC 9110 §5.6.2 tchar.
bool IsTchar(unsigned char c) {
    if (std::isalnum(c)) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

class Cursor {
  public:
    explicit Cursor(std::string_view text) : text_(text) {}
    bool Done() const { return at_ >= text_.size(); }
    char Peek() const { return Done() ? '\0' : text_[at_]; }
    void SkipOws() {
        while (!Done() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
    }
    bool Eat(char c) {
        if (Peek() != c || Done()) return false;
        ++at_;
        return true;
    }
    std::string_view Token() {
        size_t start = at_;
        while (!Done() && IsTchar(static_cast<unsigned char>(text_[at_]))) ++at_;
        return text_.substr(start, at_ - start);
    }
    /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; returns the unescaped text.
    std::optional<std::string> Quoted() {
        if (!Eat('"')) return std::nullopt;
        std::string out;
        while (!Done()) {
            unsigned char c = static_cast<unsigned char>(text_[at_++]);
            if (c == '"') return out;
            if (c == '\\') {
                if (Done()) return std::nullopt;
                c = static_cast<unsigned char>(text_[at_++]);
            }
            if (c < 0x20 && c != '\t') return std::nullopt;
            if (c == 0x7f) return std::nullopt;
            out.push_back(static_cast<char>(c));
        }
        return std::nullopt;  // unclosed
    }

  private:
    std::string_view text_;
    size_t at_ = 0;
};

}  // namespace

std::optional<std::string> MediaType::Parameter(std::string_view name) const {
    for (const auto& [k, v] : parameters) {
        if (k == name) return v;
    }
    return std::nullopt;
}

std::optional<MediaType> ParseMediaType(std::string_view text) {
    Cursor in(text);
    in.SkipOws();
    MediaType out;
    auto type = in.Token();
    if (type.empty() || !in.Eat('/')) return std::nullopt;
    auto subtype = in.Token();
    if (subtype.empty()) return std::nullopt;
    out.type = Lower(type);
    out.subtype = Lower(subtype);
    for (;;) {
        in.SkipOws();
        if (in.Done()) return out;
        if (!in.Eat(';')) return std::nullopt;
        in.SkipOws();
        if (in.Done() || in.Peek() == ';') continue;  // an empty parameter is allowed
        auto name = in.Token();
        if (name.empty() || !in.Eat('=')) return std::nullopt;
        std::string value;
        if (in.Peek() == '"') {
            auto quoted = in.Quoted();
            if (!quoted) return std::nullopt;
            value = std::move(*quoted);
        } else {
            auto token = in.Token();
            if (token.empty()) return std::nullopt;
            value = std::string(token);
        }
        out.parameters.emplace_back(Lower(name), std::move(value));
    }
}

}  // namespace haven::net
