#pragma once
// A small, strict multipart/form-data reader (RFC 7578 over RFC 2046): none of our libraries parses multipart
// (Beast has no multipart body), and an upload route needs only one file part. Parts are views into the body:
// a 20 MB statement is not copied. Anything outside the plain form a browser or curl sends is refused.
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haven::net {

struct MultipartPart {
    std::string name;          // Content-Disposition: form-data; name="..."
    std::string filename;      // its filename="..." ("" when none)
    std::string content_type;  // the part's Content-Type ("" when none)
    std::string_view body;     // a view into the request body
};

/// Most parts accepted in one body, and the longest header block of a part.
inline constexpr size_t kMaxMultipartParts = 16;
inline constexpr size_t kMaxPartHeaderBytes = 8 * 1024;

/// Splits `body` by `boundary` (the Content-Type's boundary parameter, 1 to 70 characters). Required: the body
/// starts with the first delimiter "--boundary" (no preamble), lines end in CRLF, every part has a
/// Content-Disposition of type form-data with a name, and the close delimiter "--boundary--" ends it (an
/// epilogue after it is ignored). Errors: kValidation naming what is wrong.
core::Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary);

}  // namespace haven::net
