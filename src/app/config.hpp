#pragma once
// Settings from the environment and an optional .env file (the environment wins), with the
// variable names Haven users already know. A missing or malformed setting is one clear line.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/logging.hpp"
#include "core/error.hpp"
#include "service/haven_jwt.hpp"
#include "storage/c2b_settings.hpp"
#include "workers/alerts.hpp"
#include "workers/outbox.hpp"
#include "workers/reconciler.hpp"

namespace haven::app {

struct Config {
    std::string environment;  // simulator | sandbox | production
    std::string consumer_key;
    std::string consumer_secret;
    std::string shortcode;
    std::string passkey;
    std::string transaction_type;  // CustomerPayBillOnline | CustomerBuyGoodsOnline
    std::string party_b;           // till number for buy goods (MPESA_TILL_NUMBER)
    std::string callback_url;      // without the secret
    std::string callback_secret;   // MPESA_CALLBACK_SECRET: URL-safe, no word Daraja refuses (generated: hex)
    // PUBLIC_BASE_URL: where Daraja reaches us (no trailing slash); every URL handed to Daraja is
    // <public_base_url>/hooks/daraja/<callback_secret>/<path>. Default: MPESA_CALLBACK_URL's scheme and host, or
    // http://HOST:PORT in simulator mode (set at start).
    std::string public_base_url;
    storage::C2bSettings c2b;  // MPESA_C2B_VERSION, MPESA_C2B_RESPONSE_TYPE, C2B_VALIDATION, C2B_REJECT_UNKNOWN
    std::string base_url;      // Daraja host; the simulator's in simulator mode (set at start)
    std::string ca_file;       // MPESA_CA_FILE: extra CA bundle for Daraja's TLS
    // B2C, reversal, balance and transaction status (initiator API operator)
    std::string initiator_name;       // MPESA_INITIATOR_NAME (testapi in simulator mode)
    std::string initiator_password;   // MPESA_INITIATOR_PASSWORD: never logged
    std::string cert_path;            // MPESA_CERT_PATH: Safaricom's certificate (PEM) for SecurityCredential
    std::string security_credential;  // MPESA_SECURITY_CREDENTIAL: ready-made, wins over the password
    std::string b2c_shortcode;        // MPESA_B2C_SHORTCODE (600000 in simulator mode, else MPESA_SHORTCODE)
    std::string database_url;
    // Agencies' own M-Pesa secrets are sealed with this key (MASTER_KEY, 64 hex characters). Empty outside
    // simulator mode: agencies cannot store an account of their own. In simulator mode without MASTER_KEY, the
    // key kept in master_key_file (created once, mode 0600).
    std::string master_key;
    std::string master_key_file;
    bool db_group_commit = true;  // DB_GROUP_COMMIT: concurrent writes commit together (default: SQLite only)
    std::string host;
    uint16_t port = 4000;
    // METRICS_LISTEN: where GET /metrics (Prometheus) is served, host:port (default 127.0.0.1:9464; port 0 picks a
    // free one); "off": metrics_host is empty and nothing listens. Never the public port.
    std::string metrics_host = "127.0.0.1";
    uint16_t metrics_port = 9464;
    std::string jwt_secret;
    bool jwt_secret_generated = false;
    int64_t jwt_ttl_seconds = 900;        // JWT_TTL: access tokens live this long (seconds)
    int64_t refresh_ttl_seconds = 43200;  // REFRESH_TOKEN_TTL: a refresh token chain lives this long (seconds)
    std::string web_root;
    double rate_limit_per_second = 50;
    double rate_limit_burst = 200;
    size_t max_body_bytes = size_t{64} * 1024;
    std::string trusted_proxies;  // TRUSTED_PROXIES: IPs/CIDRs whose X-Forwarded-For names the client ("" = none)
    std::vector<std::string> cors_allowed_origins;  // CORS_ALLOWED_ORIGINS: sites that embed our components
    int max_connections = 20000;             // MAX_CONNECTIONS: open client connections (idle keep-alive ones included)
    LogSettings log;                         // LOG_LEVEL, LOG_FILE, LOG_FILE_MAX_MB, LOG_FILE_COUNT
    int worker_threads = 4;                  // WORKER_THREADS: handlers and blocking work (default: max(4, 2 x cores))
    int64_t daraja_max_in_flight = 256;      // DARAJA_MAX_IN_FLIGHT: requests waiting on Daraja at once (beyond: 503)
    workers::ReconcilerSettings reconciler;  // RECONCILE_*, STK_PROMPT_LIFETIME_SECONDS, NEEDS_REVIEW_AFTER_SECONDS,
                                             // RAW_BODY_RETENTION_DAYS
    // alerts (issue 13): ALERT_INTERVAL_SECONDS, ALERT_CALLBACK_MINUTES (ALERT_CALLBACK_SECONDS), ALERT_MIN_PUSHES,
    // ALERT_WEBHOOK_MINUTES
    workers::AlertSettings alerts;
    int64_t idempotency_claim_seconds = 60;  // IDEMPOTENCY_CLAIM_SECONDS: an unfinished claim runs out after this
    int64_t invite_ttl_hours = 72;           // INVITE_TTL_HOURS: an invite or reset link works this long
    // Logins: password hashing bound and throttling
    int hash_concurrency = 1;  // HASH_CONCURRENCY: argon2id hashes at once (default: the number of cores)
    int hash_queue = 2;        // HASH_QUEUE: logins waiting for a hash slot (default: twice HASH_CONCURRENCY)
    int64_t login_ip_max_failures = 100;        // LOGIN_IP_MAX_FAILURES: failed logins per client address...
    std::chrono::seconds login_ip_window{600};  // LOGIN_IP_WINDOW_SECONDS: ...within this window
    // API keys and Haven's JWTs
    int64_t api_key_rate_per_minute = 120;  // API_KEY_RATE_PER_MINUTE: requests a minute per API key (0: no limit)
    service::HavenJwtSettings haven_jwt;    // HAVEN_JWT_*: Haven's own tokens (off unless a key is configured)
    // Built-in simulator (simulator mode)
    uint16_t simulator_port = 0;
    std::chrono::milliseconds simulator_callback_delay{3000};
    bool simulator_interactive = false;
    std::string simulator_scenario;

    // --- outbox (webhooks) ---
    bool webhooks_allow_private = false;  // WEBHOOKS_ALLOW_PRIVATE: webhooks may go to loopback/private addresses
    workers::OutboxSettings outbox;       // OUTBOX_INTERVAL_MS, OUTBOX_MAX_AGE_HOURS, OUTBOX_RETRY_BASE_MS,
                                          // OUTBOX_DISABLE_AFTER_FAILURES, OUTBOX_DISABLE_AFTER_SECONDS
    // --- receipts --- (receipts by email and SMS; see README "Receipts")
    struct Receipts {
        std::string smtp_url;       // SMTP_URL: smtps://... or smtp://... (STARTTLS required unless loopback); secret
        std::string smtp_from;      // SMTP_FROM
        std::string at_username;    // AT_USERNAME ("sandbox" in simulator mode)
        std::string at_api_key;     // AT_API_KEY: never logged (simulator mode: generated at start when unset)
        std::string at_sender_id;   // AT_SENDER_ID ("" = Africa's Talking's shared sender)
        std::string at_base_url;    // AT_BASE_URL ("" = https://api.africastalking.com; the simulator's in sim mode)
        std::string templates_dir;  // TEMPLATES_DIR (default: the repository's templates/ folder)
        bool email() const { return !smtp_url.empty() && !smtp_from.empty(); }
    } receipts;

    bool simulator_mode() const { return environment == "simulator"; }
};

using Env = std::function<std::optional<std::string>(const std::string&)>;

/// Reads KEY=VALUE lines (comments, blank lines, optional quotes, "export " prefix). Missing file = empty.
std::map<std::string, std::string> ReadDotEnv(const std::string& path);

/// The process environment, falling back to the .env file's values.
Env ProcessEnv(const std::string& dotenv_path = ".env");

/// kValidation with a message of the form "PORT: expected a number from 1 to 65535, got 'abc'".
core::Result<Config> LoadConfig(const Env& env);

}  // namespace haven::app
