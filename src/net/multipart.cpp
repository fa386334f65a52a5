#include "net/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace haven::net {
namespace {

using core::Fail;

tl::unexpected<core::Error> Bad(const std::string& what) {
    return Fail(core::Error::Validation("file", "malformed multipart body: " + what));
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// Reads `form-data; name="file"; filename="x.csv"` into the part; false when it is not form-data with a name.
bool ReadDisposition(std::string_view value, MultipartPart& part) {
    const size_t semi = value.find(';');
    if (Lower(Trim(value.substr(0, semi))) != "form-data") return false;
    bool has_name = false;
    std::string_view rest = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
    while (!rest.empty()) {
        rest = Trim(rest);
        const size_t eq = rest.find('=');
        if (eq == std::string_view::npos) return false;
        const std::string key = Lower(Trim(rest.substr(0, eq)));
        rest.remove_prefix(eq + 1);
        std::string val;
        if (!rest.empty() && rest.front() == '"') {
            size_t i = 1;
            for (; i < rest.size() && rest[i] != '"'; ++i) {
                if (rest[i] == '\\' && i + 1 < rest.size()) ++i;  // a quoted-pair
                val += rest[i];
            }
            if (i >= rest.size()) return false;  // unterminated quote
            rest.remove_prefix(i + 1);
        } else {
            const size_t end = rest.find(';');
            val = std::string(Trim(rest.substr(0, end)));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
        }
        rest = Trim(rest);
        if (!rest.empty()) {
            if (rest.front() != ';') return false;
            rest.remove_prefix(1);
        }
        if (key == "name") {
            part.name = val;
            has_name = true;
        } else if (key == "filename") {
            part.filename = val;
        }
    }
    return has_name;
}

}  // namespace

core::Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary) {
    if (boundary.empty() || boundary.size() > 70) return Bad("the boundary must have 1 to 70 characters");
    const std::string delimiter = "--" + std::string(boundary);
    const std::string next = "\r\n" + delimiter;
    if (body.substr(0, delimiter.size()) != delimiter) return Bad("the body does not start with the boundary");
    size_t pos = delimiter.size();
    std::vector<MultipartPart> parts;
    for (;;) {
        if (body.substr(pos, 2) == "--") return parts;  // the close delimiter; an epilogue is ignored
        // Transport padding (spaces) may follow a delimiter before its CRLF.
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
        if (body.substr(pos, 2) != "\r\n") return Bad("a boundary line does not end in CRLF");
        pos += 2;
        if (parts.size() == kMaxMultipartParts) return Bad("more than 16 parts");
        const size_t headers_end = body.find("\r\n\r\n", pos);
        const bool no_headers = body.substr(pos, 2) == "\r\n";
        if (!no_headers && (headers_end == std::string_view::npos || headers_end - pos > kMaxPartHeaderBytes)) {
            return Bad("a part's headers do not end with an empty line");
        }
        MultipartPart part;
        bool has_disposition = false;
        std::string_view headers = no_headers ? std::string_view{} : body.substr(pos, headers_end - pos);
        while (!headers.empty()) {
            const size_t eol = headers.find("\r\n");
            std::string_view line = headers.substr(0, eol);
            headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
            const size_t colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0) return Bad("a part header without a name");
            const std::string name = Lower(line.substr(0, colon));
            const std::string_view value = Trim(line.substr(colon + 1));
            if (name == "content-disposition") {
                if (has_disposition) return Bad("a part with two Content-Disposition headers");
                if (!ReadDisposition(value, part))
                    return Bad("a part's Content-Disposition is not form-data with a name");
                has_disposition = true;
            } else if (name == "content-type") {
                part.content_type = std::string(value);
            }
        }
        if (!has_disposition) return Bad("a part has no Content-Disposition");
        pos = no_headers ? pos + 2 : headers_end + 4;
        const size_t end = body.find(next, pos);
        if (end == std::string_view::npos) return Bad("the closing boundary is missing");
        part.body = body.substr(pos, end - pos);
        parts.push_back(std::move(part));
        pos = end + next.size();
    }
}

}  // namespace haven::net
