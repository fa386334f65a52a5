#include "net/static_files.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "net/target.hpp"

namespace haven::net {
namespace fs = std::filesystem;
namespace {
constexpr uintmax_t kMaxStaticFileBytes = 32 * 1024 * 1024;
}  // namespace

std::string ContentTypeFor(const fs::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".json") return "application/json; charset=utf-8";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    if (ext == ".woff2") return "font/woff2";
    return "application/octet-stream";
}

bool StaticFiles::Open(const std::string& root) {
    std::error_code ec;
    root_ = fs::weakly_canonical(fs::path(root), ec);
    if (ec || !fs::is_directory(root_)) root_.clear();
    return Enabled();
}

std::optional<Response> StaticFiles::Serve(std::string_view path) const {
    if (root_.empty()) return std::nullopt;
    auto found = ResolveStaticPath(root_, path);
    if (!found) return std::nullopt;
    std::error_code ec;
    auto size = fs::file_size(*found, ec);
    if (ec || size > kMaxStaticFileBytes) return std::nullopt;
    std::ifstream in(*found, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream data;
    data << in.rdbuf();
    Response res = Response::Text(200, data.str(), ContentTypeFor(*found));
    res.headers["Cache-Control"] = "no-cache";
    return res;
}

}  // namespace haven::net
