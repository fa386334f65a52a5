#include "app/config.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/daraja_url.hpp"
#include "core/hex.hpp"
#include "net/trusted_proxies.hpp"
#include "service/auth.hpp"
#include "service/email_sender.hpp"
#include "service/sealed.hpp"

namespace haven::app {

using core::ErrorCode;

namespace {

constexpr const char* kSandboxPasskey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";

std::string Trim(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

core::Error Bad(const std::string& var, const std::string& expected, const std::optional<std::string>& got = {}) {
    std::string msg = var + ": expected " + expected;
    if (got) msg += ", got '" + *got + "'";
    return core::Error::Make(ErrorCode::kValidation, msg);
}

bool AllDigits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// METRICS_LISTEN: "host:port", "[v6]:port", or "off" (an empty host); nullopt when malformed.
std::optional<std::pair<std::string, uint16_t>> ParseListen(std::string value) {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower == "off") return std::make_pair(std::string(), uint16_t{0});
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    std::string host = value.substr(0, colon);
    const std::string port = value.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        return std::nullopt;  // an IPv6 address needs its brackets
    }
    if (host.empty() || port.empty() || port.size() > 5 || !AllDigits(port) || std::stoi(port) > 65535) {
        return std::nullopt;
    }
    return std::make_pair(host, static_cast<uint16_t>(std::stoi(port)));
}

bool IsHttpUrl(const std::string& s, bool allow_http) {
    if (s.rfind("https://", 0) == 0) return s.size() > 8;
    return allow_http && s.rfind("http://", 0) == 0 && s.size() > 7;
}

std::string DeriveSecret(const std::string& key, const std::string& label) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(label.data()),
         label.size(), digest, &len);
    return core::ToHex(digest, len);
}

/// "https://pay.example.com:8443/api/v1/mpesa/callback?x" -> "https://pay.example.com:8443".
std::string SchemeAndHost(const std::string& url) {
    const auto scheme = url.find("://");
    const auto end = url.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
    return end == std::string::npos ? url : url.substr(0, end);
}

std::string DefaultWebRoot() {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_regular_file("web/index.html", ec)) return fs::absolute("web").string();
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (auto dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
            if (fs::is_regular_file(dir / "web" / "index.html", ec)) return (dir / "web").string();
        }
    }
    return {};
}

/// The repository's templates/ folder, found like the web root: in the working directory, else beside or above
/// the binary. "" when none is found.
std::string DefaultTemplatesDir() {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_regular_file("templates/receipt-sms.txt", ec)) return fs::absolute("templates").string();
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (auto dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
            if (fs::is_regular_file(dir / "templates" / "receipt-sms.txt", ec)) return (dir / "templates").string();
        }
    }
    return {};
}

}  // namespace

std::map<std::string, std::string> ReadDotEnv(const std::string& path) {
    std::map<std::string, std::string> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        line = Trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("export ", 0) == 0) line = Trim(line.substr(7));
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = Trim(line.substr(0, eq));
        std::string value = Trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        } else if (auto hash = value.find(" #"); hash != std::string::npos) {
            value = Trim(value.substr(0, hash));
        }
        out[key] = value;
    }
    return out;
}

Env ProcessEnv(const std::string& dotenv_path) {
    auto file = std::make_shared<std::map<std::string, std::string>>(ReadDotEnv(dotenv_path));
    return [file](const std::string& name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name.c_str())) return std::string(v);
        auto it = file->find(name);
        if (it != file->end()) return it->second;
        return std::nullopt;
    };
}

core::Result<Config> LoadConfig(const Env& env) {
    auto get = [&](const std::string& name) -> std::optional<std::string> {
        auto v = env(name);
        if (v) *v = Trim(*v);
        if (v && v->empty()) return std::nullopt;
        return v;
    };
    auto number = [&](const std::string& name, int64_t min, int64_t max, int64_t fallback) -> core::Result<int64_t> {
        auto raw = get(name);
        if (!raw) return fallback;
        if (!AllDigits(*raw) || raw->size() > 12 || std::stoll(*raw) < min || std::stoll(*raw) > max) {
            return tl::unexpected(
                Bad(name, "a whole number from " + std::to_string(min) + " to " + std::to_string(max), raw));
        }
        return std::stoll(*raw);
    };
    Config c;
    c.consumer_key = get("MPESA_CONSUMER_KEY").value_or("");
    c.consumer_secret = get("MPESA_CONSUMER_SECRET").value_or("");
    const bool has_credentials = !c.consumer_key.empty() || !c.consumer_secret.empty();
    c.environment = get("MPESA_ENVIRONMENT").value_or(has_credentials ? "sandbox" : "simulator");
    std::transform(c.environment.begin(), c.environment.end(), c.environment.begin(), ::tolower);
    if (c.environment != "simulator" && c.environment != "sandbox" && c.environment != "production") {
        return tl::unexpected(Bad("MPESA_ENVIRONMENT", "simulator, sandbox or production", env("MPESA_ENVIRONMENT")));
    }
    const bool sim = c.simulator_mode();

    auto port = number("PORT", 0, 65535, 4000);
    if (!port) return tl::unexpected(port.error());
    c.port = static_cast<uint16_t>(*port);
    c.host = get("HOST").value_or("127.0.0.1");
    if (auto listen = get("METRICS_LISTEN")) {
        auto parsed = ParseListen(*listen);
        if (!parsed) return tl::unexpected(Bad("METRICS_LISTEN", "host:port (127.0.0.1:9464) or off", listen));
        c.metrics_host = parsed->first;
        c.metrics_port = parsed->second;
    }
    c.database_url = get("DATABASE_URL").value_or("sqlite:./data/haven.db");
    if (c.database_url.rfind("sqlite:", 0) != 0 && c.database_url.rfind("postgres://", 0) != 0 &&
        c.database_url.rfind("postgresql://", 0) != 0) {
        return tl::unexpected(
            Bad("DATABASE_URL", "sqlite:PATH or postgres://user:password@host:5432/db", c.database_url));
    }
    // Batching pays on SQLite (one writer, one sync per batch). On PostgreSQL the server already shares WAL
    // flushes between concurrent sessions, and one writer making every round trip measured slower than a
    // transaction per request on the pool (bench/README.md), so there it is off unless asked for.
    c.db_group_commit = c.database_url.rfind("postgres", 0) != 0;
    if (auto v = get("DB_GROUP_COMMIT")) {
        if (*v != "0" && *v != "1" && *v != "true" && *v != "false") {
            return tl::unexpected(Bad("DB_GROUP_COMMIT", "1 or 0", v));
        }
        c.db_group_commit = (*v == "1" || *v == "true");
    }
    if (auto key = get("MASTER_KEY")) {
        if (!service::SecretBox::FromHex(*key)) {
            return tl::unexpected(Bad("MASTER_KEY", "64 hex characters (32 bytes, e.g. openssl rand -hex 32)"));
        }
        c.master_key = *key;
    } else if (sim) {
        // Next to the SQLite database, so `make run` keeps reading the secrets it sealed before a restart.
        std::filesystem::path dir = "data";
        if (c.database_url.rfind("sqlite:", 0) == 0) {
            auto db = std::filesystem::path(c.database_url.substr(7));
            if (db.has_parent_path()) dir = db.parent_path();
        }
        c.master_key_file = (dir / "master.key").string();
    }

    if (!sim) {
        for (const char* var : {"MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE", "MPESA_PASSKEY",
                                "MPESA_CALLBACK_URL", "JWT_SECRET"}) {
            // PUBLIC_BASE_URL alone says where Daraja reaches us.
            if (std::string_view(var) == "MPESA_CALLBACK_URL" && get("PUBLIC_BASE_URL")) continue;
            if (!get(var)) {
                return tl::unexpected(
                    Bad(var, std::string("a value (required when MPESA_ENVIRONMENT=") + c.environment + ")"));
            }
        }
    }
    c.shortcode = get("MPESA_SHORTCODE").value_or("174379");
    if (!AllDigits(c.shortcode) || c.shortcode.size() < 5 || c.shortcode.size() > 7) {
        return tl::unexpected(Bad("MPESA_SHORTCODE", "your paybill or till number, 5 to 7 digits", c.shortcode));
    }
    c.passkey = get("MPESA_PASSKEY").value_or(kSandboxPasskey);
    if (sim && c.consumer_key.empty()) c.consumer_key = "haven-simulator";
    if (sim && c.consumer_secret.empty()) c.consumer_secret = "haven-simulator";
    c.transaction_type = get("MPESA_TRANSACTION_TYPE").value_or("CustomerPayBillOnline");
    if (c.transaction_type != "CustomerPayBillOnline" && c.transaction_type != "CustomerBuyGoodsOnline") {
        return tl::unexpected(
            Bad("MPESA_TRANSACTION_TYPE", "CustomerPayBillOnline or CustomerBuyGoodsOnline", c.transaction_type));
    }
    c.party_b = get("MPESA_TILL_NUMBER").value_or("");

    c.callback_url = get("MPESA_CALLBACK_URL").value_or("");
    if (!c.callback_url.empty() && !IsHttpUrl(c.callback_url, c.environment != "production")) {
        return tl::unexpected(Bad("MPESA_CALLBACK_URL",
                                  c.environment == "production" ? "the public https:// URL of /api/v1/mpesa/callback"
                                                                : "the public http(s):// URL of /api/v1/mpesa/callback",
                                  c.callback_url));
    }
    if (auto pub = get("PUBLIC_BASE_URL")) {
        std::string base = *pub;
        while (!base.empty() && base.back() == '/') base.pop_back();
        if (!IsHttpUrl(base, c.environment != "production") || base.find_first_of("?#") != std::string::npos) {
            return tl::unexpected(Bad("PUBLIC_BASE_URL",
                                      c.environment == "production"
                                          ? "the public https:// address Daraja reaches this gateway at, no query"
                                          : "the public http(s):// address Daraja reaches this gateway at, no query",
                                      pub));
        }
        c.public_base_url = base;
    } else if (!c.callback_url.empty()) {
        c.public_base_url = SchemeAndHost(c.callback_url);
    }  // else (simulator mode): http://HOST:PORT once the server listens (app/gateway.cpp)
    if (auto base = get("MPESA_BASE_URL")) {
        if (!IsHttpUrl(*base, true)) return tl::unexpected(Bad("MPESA_BASE_URL", "an http(s):// URL", base));
        c.base_url = *base;
        while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
    } else if (c.environment == "sandbox") {
        c.base_url = "https://sandbox.safaricom.co.ke";
    } else if (c.environment == "production") {
        c.base_url = "https://api.safaricom.co.ke";
    }
    c.ca_file = get("MPESA_CA_FILE").value_or("");
    c.initiator_name = get("MPESA_INITIATOR_NAME").value_or(sim ? "testapi" : "");
    c.initiator_password = get("MPESA_INITIATOR_PASSWORD").value_or(sim ? "Safaricom999!*!" : "");
    c.cert_path = get("MPESA_CERT_PATH").value_or("");
    c.security_credential = get("MPESA_SECURITY_CREDENTIAL").value_or("");
    c.b2c_shortcode = get("MPESA_B2C_SHORTCODE").value_or(sim ? "600000" : c.shortcode);
    if (!AllDigits(c.b2c_shortcode) || c.b2c_shortcode.size() < 5 || c.b2c_shortcode.size() > 7) {
        return tl::unexpected(Bad("MPESA_B2C_SHORTCODE", "your B2C shortcode, 5 to 7 digits", c.b2c_shortcode));
    }

    if (auto secret = get("JWT_SECRET")) {
        if (secret->size() < 32) {
            return tl::unexpected(Bad("JWT_SECRET", "at least 32 random characters (e.g. openssl rand -hex 32)"));
        }
        c.jwt_secret = *secret;
    } else {
        c.jwt_secret = service::RandomToken(32);  // simulator mode only: sessions end with the process
        c.jwt_secret_generated = true;
    }
    if (auto v = number("JWT_TTL", 1, 86400, 900); v)
        c.jwt_ttl_seconds = *v;
    else
        return tl::unexpected(v.error());
    if (auto v = number("REFRESH_TOKEN_TTL", 60, 30 * 86400, 43200); v)
        c.refresh_ttl_seconds = *v;
    else
        return tl::unexpected(v.error());
    if (auto secret = get("MPESA_CALLBACK_SECRET")) {
        if (secret->size() < 16) return tl::unexpected(Bad("MPESA_CALLBACK_SECRET", "at least 16 random characters"));
        // It stands in the path of every URL Daraja calls (/hooks/daraja/<secret>/...): it must need no escaping,
        // and Daraja refuses a URL with one of its forbidden words (use hex: openssl rand -hex 20).
        if (!core::IsUrlSafeSegment(*secret)) {
            return tl::unexpected(
                Bad("MPESA_CALLBACK_SECRET", "only the characters A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 20)"));
        }
        if (auto word = core::FindForbiddenUrlWord(*secret)) {
            return tl::unexpected(Bad("MPESA_CALLBACK_SECRET", "no word Daraja refuses in a URL; it contains '" +
                                                                   std::string(*word) +
                                                                   "' (use hex: openssl rand -hex 20)"));
        }
        c.callback_secret = *secret;
    } else {
        c.callback_secret = DeriveSecret(c.jwt_secret, "haven-mpesa-callback").substr(0, 40);
    }

    if (auto v = number("MPESA_C2B_VERSION", 1, 2, 2); v)
        c.c2b.version = static_cast<int>(*v);
    else
        return tl::unexpected(v.error());
    c.c2b.response_type = get("MPESA_C2B_RESPONSE_TYPE").value_or("Completed");
    if (c.c2b.response_type != "Completed" && c.c2b.response_type != "Cancelled") {
        return tl::unexpected(Bad("MPESA_C2B_RESPONSE_TYPE", "Completed or Cancelled", c.c2b.response_type));
    }
    for (auto [var, flag] :
         {std::pair{"C2B_VALIDATION", &c.c2b.validation}, std::pair{"C2B_REJECT_UNKNOWN", &c.c2b.reject_unknown}}) {
        if (auto v = get(var)) {
            if (*v != "0" && *v != "1" && *v != "true" && *v != "false") return tl::unexpected(Bad(var, "1 or 0", v));
            *flag = (*v == "1" || *v == "true");
        }
    }

    c.web_root = get("WEB_ROOT").value_or(DefaultWebRoot());
    if (auto v = number("RATE_LIMIT_PER_SECOND", 0, 1000000, 50); v)
        c.rate_limit_per_second = double(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("RATE_LIMIT_BURST", 0, 1000000, 200); v)
        c.rate_limit_burst = double(*v);
    else
        return tl::unexpected(v.error());
    if (auto proxies = get("TRUSTED_PROXIES")) {
        if (!net::TrustedProxies::Parse(*proxies)) {
            return tl::unexpected(
                Bad("TRUSTED_PROXIES", "comma-separated IP addresses or CIDR blocks like 10.0.0.0/8, ::1", proxies));
        }
        c.trusted_proxies = *proxies;
    }
    if (auto origins = get("CORS_ALLOWED_ORIGINS")) {
        std::stringstream list(*origins);
        std::string origin;
        while (std::getline(list, origin, ',')) {
            origin = Trim(origin);
            if (origin.empty()) continue;
            const auto scheme_end = origin.find("://");
            if (!IsHttpUrl(origin, true) || origin.back() == '/' ||
                origin.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3) != std::string::npos) {
                return tl::unexpected(Bad("CORS_ALLOWED_ORIGINS",
                                          "comma-separated origins like https://app.haven.example (no path)", origin));
            }
            c.cors_allowed_origins.push_back(origin);
        }
    }
    if (auto v = number("MAX_CONNECTIONS", 16, 1000000, 20000); v)
        c.max_connections = static_cast<int>(*v);
    else
        return tl::unexpected(v.error());
    // No handler waits on Daraja while holding a thread, so a few per core serve the database and CPU work.
    const int64_t threads_default =
        std::max<int64_t>(4, 2 * int64_t{std::max(1u, std::thread::hardware_concurrency())});
    if (auto v = number("WORKER_THREADS", 2, 1024, threads_default); v)
        c.worker_threads = static_cast<int>(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("DARAJA_MAX_IN_FLIGHT", 1, 100000, 256); v)
        c.daraja_max_in_flight = *v;
    else
        return tl::unexpected(v.error());
    const struct {
        const char* name;
        int64_t min, max, fallback;
        std::chrono::seconds* into;
    } durations[] = {
        {"RECONCILE_INTERVAL_SECONDS", 1, 86400, 30, &c.reconciler.interval},
        {"RECONCILE_AFTER_SECONDS", 1, 86400, 120, &c.reconciler.first_after},
        {"RECONCILE_BACKOFF_SECONDS", 1, 86400, 30, &c.reconciler.backoff},
        {"RECONCILE_BACKOFF_MAX_SECONDS", 1, 604800, 3600, &c.reconciler.backoff_max},
        {"STK_PROMPT_LIFETIME_SECONDS", 1, 86400, 300, &c.reconciler.prompt_lifetime},
        {"NEEDS_REVIEW_AFTER_SECONDS", 1, 2592000, 86400, &c.reconciler.review_after},
        {"RECONCILE_LEASE_SECONDS", 1, 86400, 120, &c.reconciler.lease},
    };
    for (const auto& d : durations) {
        if (auto v = number(d.name, d.min, d.max, d.fallback); v)
            *d.into = std::chrono::seconds(*v);
        else
            return tl::unexpected(v.error());
    }
    if (auto v = number("RAW_BODY_RETENTION_DAYS", 0, 36500, 90); v)
        c.reconciler.raw_body_retention = std::chrono::hours(24 * *v);
    else
        return tl::unexpected(v.error());
    // alerts (issue 13): money that stops flowing (workers/alerts)
    if (auto v = number("ALERT_INTERVAL_SECONDS", 1, 86400, 60); v)
        c.alerts.interval = std::chrono::seconds(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("ALERT_CALLBACK_MINUTES", 1, 1440, 10); v)
        c.alerts.callback_after = std::chrono::minutes(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("ALERT_CALLBACK_SECONDS", 0, 86400, 0); v && *v > 0)  // tests and demos: finer than minutes
        c.alerts.callback_after = std::chrono::seconds(*v);
    else if (!v)
        return tl::unexpected(v.error());
    if (auto v = number("ALERT_MIN_PUSHES", 1, 10000, 3); v)
        c.alerts.min_pushes = *v;
    else
        return tl::unexpected(v.error());
    if (auto v = number("ALERT_WEBHOOK_MINUTES", 1, 10080, 30); v)
        c.alerts.webhook_after = std::chrono::minutes(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("IDEMPOTENCY_CLAIM_SECONDS", 1, 3600, 60); v)
        c.idempotency_claim_seconds = *v;
    else
        return tl::unexpected(v.error());
    if (auto v = number("INVITE_TTL_HOURS", 1, 720, 72); v)
        c.invite_ttl_hours = *v;
    else
        return tl::unexpected(v.error());

    const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
    if (auto v = number("HASH_CONCURRENCY", 1, 256, cores); v)
        c.hash_concurrency = static_cast<int>(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("HASH_QUEUE", 0, 4096, 2 * int64_t{c.hash_concurrency}); v)
        c.hash_queue = static_cast<int>(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("LOGIN_IP_MAX_FAILURES", 1, 1000000, 100); v)
        c.login_ip_max_failures = *v;
    else
        return tl::unexpected(v.error());
    if (auto v = number("LOGIN_IP_WINDOW_SECONDS", 1, 86400, 600); v)
        c.login_ip_window = std::chrono::seconds(*v);
    else
        return tl::unexpected(v.error());

    if (auto v = number("API_KEY_RATE_PER_MINUTE", 0, 1000000, 120); v)
        c.api_key_rate_per_minute = *v;
    else
        return tl::unexpected(v.error());
    c.haven_jwt.secret = get("HAVEN_JWT_SECRET").value_or("");
    if (!c.haven_jwt.secret.empty() && c.haven_jwt.secret.size() < 32) {
        return tl::unexpected(
            Bad("HAVEN_JWT_SECRET", "at least 32 characters (the secret Haven signs HS256 tokens with)"));
    }
    c.haven_jwt.public_key_file = get("HAVEN_JWT_PUBLIC_KEY_FILE").value_or("");
    c.haven_jwt.jwks_file = get("HAVEN_JWT_JWKS_FILE").value_or("");
    c.haven_jwt.issuer = get("HAVEN_JWT_ISSUER").value_or("");
    c.haven_jwt.audience = get("HAVEN_JWT_AUDIENCE").value_or("");
    c.haven_jwt.agency_claim = get("HAVEN_JWT_AGENCY_CLAIM").value_or("agencyId");
    c.haven_jwt.role_claim = get("HAVEN_JWT_ROLE_CLAIM").value_or("role");
    c.haven_jwt.subject_claim = get("HAVEN_JWT_SUBJECT_CLAIM").value_or("sub");
    if (auto map = get("HAVEN_JWT_ROLE_MAP")) {
        auto parsed = service::ParseRoleMap(*map);
        if (!parsed)
            return tl::unexpected(Bad("HAVEN_JWT_ROLE_MAP",
                                      "haven_role=our_role pairs, e.g. "
                                      "landlord=admin,property_manager=manager,agent=viewer",
                                      map));
        c.haven_jwt.role_map = std::move(*parsed);
    }

    if (auto v = number("SIMULATOR_PORT", 0, 65535, 0); v)
        c.simulator_port = static_cast<uint16_t>(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("SIMULATOR_CALLBACK_DELAY_MS", 0, 600000, 3000); v) {
        c.simulator_callback_delay = std::chrono::milliseconds(*v);
    } else {
        return tl::unexpected(v.error());
    }
    if (auto v = get("SIMULATOR_INTERACTIVE")) {
        if (*v != "0" && *v != "1" && *v != "true" && *v != "false") {
            return tl::unexpected(Bad("SIMULATOR_INTERACTIVE", "1 or 0", v));
        }
        c.simulator_interactive = (*v == "1" || *v == "true");
    }
    c.simulator_scenario = get("SIMULATOR_SCENARIO").value_or("");

    c.log.level = get("LOG_LEVEL").value_or("info");
    static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(kLevels.begin(), kLevels.end(), c.log.level) == kLevels.end()) {
        return tl::unexpected(Bad("LOG_LEVEL", "trace, debug, info, warn, error, critical or off", c.log.level));
    }
    c.log.file = get("LOG_FILE").value_or("");
    if (auto v = number("LOG_FILE_MAX_MB", 1, 10240, 10); v)
        c.log.file_max_bytes = static_cast<size_t>(*v) << 20;
    else
        return tl::unexpected(v.error());
    if (auto v = number("LOG_FILE_COUNT", 1, 1000, 5); v)
        c.log.file_count = static_cast<size_t>(*v);
    else
        return tl::unexpected(v.error());

    // --- outbox (webhooks) ---
    if (auto v = get("WEBHOOKS_ALLOW_PRIVATE")) {
        if (*v != "0" && *v != "1" && *v != "true" && *v != "false") {
            return tl::unexpected(Bad("WEBHOOKS_ALLOW_PRIVATE", "true or false", v));
        }
        c.webhooks_allow_private = (*v == "1" || *v == "true");
    }
    if (auto v = number("OUTBOX_INTERVAL_MS", 50, 3600000, 1000); v)
        c.outbox.interval = std::chrono::milliseconds(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("OUTBOX_MAX_AGE_HOURS", 1, 720, 72); v)
        c.outbox.max_age = std::chrono::hours(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("OUTBOX_RETRY_BASE_MS", 100, 3600000, 5000); v)
        c.outbox.retry_base = std::chrono::milliseconds(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("OUTBOX_DISABLE_AFTER_FAILURES", 1, 100000, 5); v)
        c.outbox.disable_after_failures = static_cast<int>(*v);
    else
        return tl::unexpected(v.error());
    if (auto v = number("OUTBOX_DISABLE_AFTER_SECONDS", 0, 2592000, 86400); v)
        c.outbox.disable_after = std::chrono::seconds(*v);
    else
        return tl::unexpected(v.error());
    // --- receipts ---
    // Email receipts need SMTP_URL and SMTP_FROM; SMS receipts AT_USERNAME and AT_API_KEY (in simulator mode the
    // built-in simulator stands in for Africa's Talking, so SMS works without them).
    c.receipts.smtp_url = get("SMTP_URL").value_or("");
    c.receipts.smtp_from = get("SMTP_FROM").value_or("");
    if (!c.receipts.smtp_url.empty()) {
        // The URL may carry a password: the message never repeats it.
        if (auto why = service::CheckSmtpUrl(c.receipts.smtp_url); !why.empty()) {
            return tl::unexpected(Bad("SMTP_URL", "smtp://host:587 (STARTTLS) or smtps://host:465; " + why));
        }
        if (c.receipts.smtp_from.empty() || c.receipts.smtp_from.find('@') == std::string::npos ||
            c.receipts.smtp_from.find_first_of("\r\n") != std::string::npos) {
            return tl::unexpected(Bad("SMTP_FROM", "the sender address, e.g. Haven Receipts <receipts@haven.example>",
                                      c.receipts.smtp_from));
        }
    }
    c.receipts.at_username = get("AT_USERNAME").value_or(c.simulator_mode() ? "sandbox" : "");
    c.receipts.at_api_key = get("AT_API_KEY").value_or("");
    c.receipts.at_sender_id = get("AT_SENDER_ID").value_or("");
    c.receipts.at_base_url = get("AT_BASE_URL").value_or("");
    if (!c.receipts.at_base_url.empty() && !IsHttpUrl(c.receipts.at_base_url, true)) {
        return tl::unexpected(
            Bad("AT_BASE_URL", "an http(s) URL like https://api.africastalking.com", c.receipts.at_base_url));
    }
    c.receipts.templates_dir = get("TEMPLATES_DIR").value_or(DefaultTemplatesDir());
    return c;
}

}  // namespace haven::app
