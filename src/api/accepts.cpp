#include "api/accepts.hpp"

#include <algorithm>
#include <cctype>

#include "api/respond.hpp"
#include "net/media_type.hpp"

namespace haven::api {

using core::ErrorCode;

const BodyRule kJsonBody{{"application/json"}, true};
const BodyRule kDarajaBody{{"application/json"}, false};

namespace {

bool IsUtf8(std::string value) {
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
    return value == "utf-8" || value == "utf8";
}

std::string Expected(const BodyRule& rule) {
    std::string out;
    for (size_t i = 0; i < rule.types.size(); ++i) {
        if (i > 0) out += i + 1 == rule.types.size() ? " or " : ", ";
        out += rule.types[i];
    }
    return out;
}

core::Error Unsupported(const BodyRule& rule) {
    if (rule.types.size() == 1 && rule.types[0] == "application/json") {
        return core::Error::Make(ErrorCode::kUnsupportedMedia,
                                 "send the body as JSON with Content-Type: application/json "
                                 "(charset=utf-8 is the only parameter allowed)");
    }
    return core::Error::Make(ErrorCode::kUnsupportedMedia, "this route accepts Content-Type " + Expected(rule));
}

}  // namespace

core::Result<void> CheckContentType(const net::Request& req, const BodyRule& rule) {
    if (!rule.check_header) return {};
    auto header = req.Header("Content-Type");
    if (!header) return tl::unexpected(Unsupported(rule));
    auto media = net::ParseMediaType(*header);
    if (!media || std::find(rule.types.begin(), rule.types.end(), media->Essence()) == rule.types.end()) {
        return tl::unexpected(Unsupported(rule));
    }
    for (const auto& [name, value] : media->parameters) {
        if (name == "charset" && IsUtf8(value)) continue;
        if (name == "boundary" && media->type == "multipart") continue;
        return tl::unexpected(Unsupported(rule));
    }
    return {};
}

net::Handler Accepts(BodyRule rule, net::Handler handler) {
    return [rule = std::move(rule), handler = std::move(handler)](net::Request& req) {
        if (auto ok = CheckContentType(req, rule); !ok) return ErrorResponse(ok.error());
        return handler(req);
    };
}

net::AsyncHandler Accepts(BodyRule rule, net::AsyncHandler handler) {
    return [rule = std::move(rule), handler = std::move(handler)](net::Request& req, net::Reply reply) {
        if (auto ok = CheckContentType(req, rule); !ok) return reply(ErrorResponse(ok.error()));
        handler(req, std::move(reply));
    };
}

}  // namespace haven::api
