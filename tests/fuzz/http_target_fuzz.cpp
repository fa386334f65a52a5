// Fuzzes what the server makes of a request target: percent-decoding of the path, the query string, route
// matching against the gateway's route table (404 vs 405), and the static-file path under a web root
// that holds links pointing out of it. The first byte picks the method, the rest is the target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "net/router.hpp"
#include "net/target.hpp"

using namespace haven::net;
namespace fs = std::filesystem;

namespace {

// The gateway's route patterns (src/api/*_routes.cpp).
constexpr std::pair<const char*, const char*> kRoutes[] = {
    {"GET", "/api/v1/auth/me"},
    {"GET", "/api/v1/config"},
    {"GET", "/api/v1/health"},
    {"GET", "/api/v1/leases"},
    {"GET", "/api/v1/leases/{id}"},
    {"GET", "/api/v1/leases/{id}/payments"},
    {"GET", "/api/v1/mpesa/balance/latest"},
    {"GET", "/api/v1/mpesa/status-detailed/{checkoutRequestId}"},
    {"GET", "/api/v1/mpesa/status/{checkoutRequestId}"},
    {"GET", "/api/v1/mpesa/transactions"},
    {"GET", "/api/v1/mpesa/transactions/{id}"},
    {"GET", "/api/v1/openapi.json"},
    {"GET", "/api/v1/pay/{token}"},
    {"GET", "/api/v1/pay/{token}/status/{checkoutRequestId}"},
    {"GET", "/api/v1/payments"},
    {"GET", "/api/v1/simulator/stk/pending"},
    {"POST", "/api/v1/auth/login"},
    {"POST", "/api/v1/leases"},
    {"POST", "/api/v1/mpesa/b2c"},
    {"POST", "/api/v1/mpesa/b2c/result"},
    {"POST", "/api/v1/mpesa/balance"},
    {"POST", "/api/v1/mpesa/callback"},
    {"POST", "/api/v1/mpesa/reverse"},
    {"POST", "/api/v1/mpesa/stk-push"},
    {"POST", "/api/v1/pay/{token}/stk-push"},
    {"POST", "/api/v1/simulator/stk/{checkoutRequestId}/resolve"},
};
constexpr const char* kMethods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"};

std::vector<std::string> Segments(std::string_view path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.emplace_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

std::string EncodeAll(std::string_view s) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    return out;
}

struct Fixture {
    Router router;
    fs::path base;
    fs::path web_root;
    fs::path secret;

    Fixture() {
        for (const auto& [method, pattern] : kRoutes) {
            router.Add(method, pattern, [](Request&) { return Response{}; });
        }
        std::string tmpl = (fs::temp_directory_path() / "haven-fuzz-web-XXXXXX").string();
        FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr);
        base = fs::canonical(tmpl);
        fs::create_directories(base / "web" / "sub");
        fs::create_directories(base / "web" / "empty");
        fs::create_directories(base / "outside");
        for (const char* f : {"web/index.html", "web/app.js", "web/sub/page.html", "outside/index.html"}) {
            std::ofstream(base / f) << "x";
        }
        secret = base / "secret.txt";
        std::ofstream(secret) << "secret";
        // Links out of the root: a file, a directory, a directory whose index.html is outside, and a loop.
        fs::create_symlink(secret, base / "web" / "leak");
        fs::create_directory_symlink(base / "outside", base / "web" / "out");
        fs::create_symlink(base / "outside" / "index.html", base / "web" / "sub" / "index.html");
        fs::create_symlink(base / "web" / "loop", base / "web" / "loop");
        web_root = base / "web";
    }
    ~Fixture() {
        std::error_code ec;
        fs::remove_all(base, ec);
    }
};

Fixture& Get() {
    static Fixture fixture;
    return fixture;
}

void CheckRoute(const Router& router, const std::string& method, const std::string& path) {
    auto match = router.Find(method, path);
    auto segments = Segments(path);
    if (match.kind == Router::MatchKind::kFound) {
        FUZZ_CHECK(match.handler != nullptr);
        // Some route of this method has the path's shape, and its {params} are exactly the path's segments.
        bool explained = false;
        for (const auto& [m, pattern] : kRoutes) {
            if (method != m) continue;
            auto pat = Segments(pattern);
            if (pat.size() != segments.size()) continue;
            bool ok = true;
            size_t params = 0;
            for (size_t i = 0; i < pat.size() && ok; ++i) {
                if (pat[i].front() == '{') {
                    auto it = match.params.find(pat[i].substr(1, pat[i].size() - 2));
                    ok = it != match.params.end() && it->second == segments[i] && !it->second.empty();
                    ++params;
                } else {
                    ok = pat[i] == segments[i];
                }
            }
            if (ok && params == match.params.size()) explained = true;
        }
        FUZZ_CHECK(explained);
    } else if (match.kind == Router::MatchKind::kWrongMethod) {
        FUZZ_CHECK(!match.allow.empty());
        FUZZ_CHECK(match.allow.find(method) == std::string::npos);
    } else {
        FUZZ_CHECK(match.allow.empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    Fixture& fx = Get();
    const std::string method = kMethods[data[0] % 6];
    const std::string target(reinterpret_cast<const char*>(data + 1), size - 1);

    // Split as the server does: the path before '?' is percent-decoded, the rest is the query.
    auto q = target.find('?');
    const std::string raw_path = target.substr(0, q);
    const std::string path = PercentDecode(raw_path, false);
    FUZZ_CHECK(path.size() <= raw_path.size());
    if (raw_path.find('%') == std::string::npos) FUZZ_CHECK(path == raw_path);
    FUZZ_CHECK(PercentDecode(EncodeAll(path), false) == path);

    if (q != std::string::npos) {
        const std::string query = target.substr(q + 1);
        auto params = ParseQuery(query);
        size_t pairs = 1;
        for (char c : query) pairs += c == '&';
        FUZZ_CHECK(params.size() <= pairs);
        // A key and value encoded byte by byte come back exactly, '+' and '&' included.
        auto it = params.begin();
        if (it != params.end()) {
            auto back = ParseQuery(EncodeAll(it->first) + "=" + EncodeAll(it->second));
            FUZZ_CHECK(back.size() == 1 && back.begin()->first == it->first && back.begin()->second == it->second);
        }
    }

    CheckRoute(fx.router, method, path);

    if (auto file = ResolveStaticPath(fx.web_root, path)) {
        // Whatever the path, a served file is a regular file inside the web root.
        auto rel = file->lexically_relative(fx.web_root);
        FUZZ_CHECK(!rel.empty() && *rel.begin() != "..");
        FUZZ_CHECK(fs::is_regular_file(*file));
        FUZZ_CHECK(fs::canonical(*file) == *file);
        FUZZ_CHECK(*file != fx.secret);
    }
    return 0;
}
