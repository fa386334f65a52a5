#include "app/gateway.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "api/b2c.hpp"
#include "api/daraja_inbound.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/webhooks.hpp"
#include "core/daraja_url.hpp"
#include "core/hex.hpp"
#include "core/time.hpp"
#include "daraja/account_clients.hpp"
#include "daraja/http_daraja_client.hpp"
#include "daraja/security_credential.hpp"
#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "net/server.hpp"
#include "net/target.hpp"
#include "service/auth.hpp"
#include "service/email_sender.hpp"
#include "service/hash_gate.hpp"
#include "service/login_throttle.hpp"
#include "service/receipts.hpp"
#include "service/sealed.hpp"
#include "service/sms_sender.hpp"
#include "sim/simulator.hpp"
#include "workers/alerts.hpp"
#include "workers/outbox.hpp"
#include "workers/reconciler.hpp"
#include "workers/webhook_sender.hpp"

namespace haven::app {

using core::ErrorCode;

struct Gateway::Impl {
    explicit Impl(Config c) : config(std::move(c)), runtime(config.worker_threads) {}
    Config config;
    metrics::Registry metrics;  // before everything that records into it, so it goes last
    // Routes that wait on Daraja hold no thread meanwhile (AsyncHandlers, bounded by DARAJA_MAX_IN_FLIGHT), so the
    // pool is sized for the machine's cores (WORKER_THREADS), not for the number of slow calls.
    net::Runtime runtime;
    // The simulator stands in for Safaricom's servers: its own threads, so gateway handlers blocked
    // on Daraja calls can never starve it (as they could not starve the real Daraja).
    net::Runtime sim_runtime{16};
    // The reconciler asks Daraja one request at a time and waits for each answer: on its own thread, so a pass
    // never holds one of the few worker threads, and its share of Daraja calls in flight is one (outside
    // DARAJA_MAX_IN_FLIGHT).
    net::Runtime reconciler_runtime{1};
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<sim::Simulator> simulator;
    std::unique_ptr<net::HttpClient> http;
    std::unique_ptr<daraja::HttpDarajaClient> daraja;
    std::unique_ptr<daraja::AccountClients> account_clients;  // agencies' own accounts (issue 12)
    std::unique_ptr<service::HashGate> hash_gate;
    std::unique_ptr<service::LoginThrottle> login_throttle;
    std::unique_ptr<daraja::InFlightLimit> daraja_limit;
    std::unique_ptr<api::ApiKeyUsage> api_key_usage;
    std::unique_ptr<api::ApiContext> ctx;
    net::Router router;
    std::unique_ptr<net::Server> server;
    // --- metrics --- GET /metrics on its own listener (METRICS_LISTEN), never on the public port.
    net::Router metrics_router;
    std::unique_ptr<net::Server> metrics_server;
    std::unique_ptr<workers::Reconciler> reconciler;
    std::unique_ptr<workers::Alerts> alerts;  // on the reconciler's thread: a pass is a few reads
    // --- outbox --- Deliveries wait on receivers (up to 10 s each): on a thread of their own, like the reconciler.
    net::Runtime outbox_runtime{1};
    std::unique_ptr<net::HttpClient> webhook_http;  // system CAs (not Daraja's pinned ones)
    std::unique_ptr<workers::OutboxWorker> outbox;
    // Receipts (issue 13): the senders and the fan-out the outbox worker is given in Start.
    std::shared_ptr<service::ChannelSender> email_sender;  // null when SMTP is not configured
    std::shared_ptr<service::ChannelSender> sms_sender;    // null when Africa's Talking is not configured
    service::ReceiptFanOut receipt_fan_out;                // empty when no channel is configured
    bool started = false;
};

namespace {

std::string RandomHex(size_t bytes) {
    std::string raw(bytes, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
    return core::ToHex(raw);
}

/// Receipts by email and SMS (issue 13): the senders for the configured channels and the fan-out that builds the
/// messages. The outbox worker delivers them (given to it in Start).
void StartReceipts(Gateway::Impl& s) {
    const auto& r = s.config.receipts;
    if (r.templates_dir.empty()) {
        spdlog::warn("receipts: no templates folder (TEMPLATES_DIR, or templates/ in the repository): no receipts");
        return;
    }
    if (r.email()) {
        service::EmailSettings email;
        email.smtp_url = r.smtp_url;
        email.from = r.smtp_from;
        s.email_sender = std::make_shared<service::EmailSender>(email);
        spdlog::info("receipts: email through {} from {}", service::SmtpHostForLog(r.smtp_url), r.smtp_from);
    }
    if (!r.at_username.empty() && !r.at_api_key.empty()) {
        service::SmsSettings sms;
        sms.username = r.at_username;
        sms.api_key = r.at_api_key;
        sms.sender_id = r.at_sender_id;
        if (!r.at_base_url.empty()) sms.base_url = r.at_base_url;
        s.sms_sender = std::make_shared<service::SmsSender>(
            sms, [http = s.http.get()](const service::SmsHttpRequest& req) -> core::Result<service::SmsHttpResponse> {
                net::ClientRequest out;
                out.method = "POST";
                out.url = req.url;
                for (const auto& [name, value] : req.headers) out.headers[name] = value;
                out.body = req.body;
                out.timeout = req.timeout;
                auto res = http->Send(out);
                if (!res) return core::Fail(res.error());
                return service::SmsHttpResponse{res->status, res->body};
            });
        spdlog::info("receipts: SMS through Africa's Talking at {}", sms.base_url);
    }
    if (s.email_sender || s.sms_sender) {
        s.receipt_fan_out =
            service::MakeReceiptFanOut(service::ReceiptTemplates(r.templates_dir),
                                       {.email = s.email_sender != nullptr, .sms = s.sms_sender != nullptr});
        spdlog::info("receipts: templates in {}", r.templates_dir);
    } else {
        spdlog::info("receipts: neither SMTP_URL nor AT_API_KEY is set: no receipts are sent");
    }
}

/// The certificate that encrypts initiator passwords: MPESA_CERT_PATH, else the simulator's ("" when neither).
core::Result<std::string> CertificatePem(const Config& c, const sim::Simulator* simulator) {
    if (!c.cert_path.empty()) {
        std::ifstream in(c.cert_path);
        if (!in) return core::Fail(ErrorCode::kValidation, "MPESA_CERT_PATH: cannot read " + c.cert_path);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    return simulator != nullptr ? simulator->CertificatePem() : std::string();
}

/// The key agencies' own M-Pesa secrets are sealed with: MASTER_KEY, else (simulator mode) the key file, created
/// once. None outside simulator mode without MASTER_KEY: agencies then use the global account only.
core::Result<std::optional<service::SecretBox>> MasterKey(const Config& c) {
    std::string hex = c.master_key;
    if (hex.empty() && !c.master_key_file.empty()) {
        auto loaded = service::LoadOrCreateKeyFile(c.master_key_file);
        if (!loaded) return core::Fail(loaded.error().code, "MASTER_KEY: " + loaded.error().message);
        hex = *loaded;
    }
    if (hex.empty()) return std::optional<service::SecretBox>();
    auto box = service::SecretBox::FromHex(hex);
    if (!box) return core::Fail(ErrorCode::kValidation, "MASTER_KEY: " + box.error().message);
    return std::optional<service::SecretBox>(std::move(*box));
}

/// MPESA_SECURITY_CREDENTIAL as given, else the initiator password encrypted with the certificate
/// (the simulator's in simulator mode, MPESA_CERT_PATH otherwise). "" when B2C is not configured.
core::Result<std::string> SecurityCredential(const Config& c, const sim::Simulator* simulator) {
    if (!c.security_credential.empty()) return c.security_credential;
    if (c.initiator_password.empty()) return std::string();
    std::string pem;
    if (!c.cert_path.empty()) {
        std::ifstream in(c.cert_path);
        if (!in) return core::Fail(ErrorCode::kValidation, "MPESA_CERT_PATH: cannot read " + c.cert_path);
        std::ostringstream text;
        text << in.rdbuf();
        pem = text.str();
    } else if (simulator != nullptr) {
        pem = simulator->CertificatePem();
    } else {
        spdlog::warn("B2C, reversal, balance and status are off: set MPESA_CERT_PATH (or MPESA_SECURITY_CREDENTIAL)");
        return std::string();
    }
    auto built = daraja::BuildSecurityCredential(c.initiator_password, pem);
    if (!built)
        return core::Fail(ErrorCode::kValidation,
                          "MPESA_INITIATOR_PASSWORD / MPESA_CERT_PATH: " + built.error().message);
    return built;
}

/// The gauges read at each scrape: the reconciler's and the outbox's backlog, open needs-review items and the
/// database pool. Read afresh at every scrape (a few COUNTs each), so a scrape never shows a stale backlog.
void RegisterGauges(Gateway::Impl& s) {
    auto read = [store = s.store.get(),
                 first_after = s.config.reconciler.first_after]() -> std::optional<storage::Store::BacklogCounts> {
        const auto now = std::chrono::system_clock::now();
        auto counts = store->CountBacklog(core::IsoUtc(now), core::IsoUtc(now - first_after));
        if (!counts) return std::nullopt;
        return *counts;
    };
    using Samples = std::optional<std::vector<metrics::GaugeSample>>;
    s.metrics.Gauges(
        "haven_reconciler_backlog", "PENDING rows due for a status query now (the reconciler's queue), by queue.",
        {"queue"}, [read]() -> Samples {
            auto c = read();
            if (!c) return std::nullopt;
            return std::vector<metrics::GaugeSample>{{{"stk"}, static_cast<double>(c->stk_due)},
                                                     {{"transfers"}, static_cast<double>(c->transfers_due)}};
        });
    s.metrics.Gauges("haven_review_open", "Open needs-review items, every agency.", {}, [read]() -> Samples {
        auto c = read();
        if (!c) return std::nullopt;
        return std::vector<metrics::GaugeSample>{{{}, static_cast<double>(c->review_open)}};
    });
    s.metrics.Gauges(
        "haven_outbox_backlog",
        "PENDING outbox rows: events not yet fanned out, messages (webhook, email, SMS) not yet delivered.", {"kind"},
        [read]() -> Samples {
            auto c = read();
            if (!c) return std::nullopt;
            return std::vector<metrics::GaugeSample>{{{"events"}, static_cast<double>(c->outbox_events)},
                                                     {{"messages"}, static_cast<double>(c->outbox_messages)}};
        });
    s.metrics.Gauges("haven_http_open_connections", "Client connections open on the public port now.", {},
                     [server = s.server.get()]() -> Samples {
                         return std::vector<metrics::GaugeSample>{{{}, static_cast<double>(server->LiveConnections())}};
                     });
    s.metrics.Gauges("haven_db_pool_connections", "Database connections of this process, by state.", {"state"},
                     [store = s.store.get()]() -> Samples {
                         const auto use = store->DatabasePoolUse();
                         return std::vector<metrics::GaugeSample>{{{"in_use"}, static_cast<double>(use.in_use)},
                                                                  {{"idle"}, static_cast<double>(use.idle)}};
                     });
    s.metrics.Gauges(
        "haven_db_pool_max_connections", "The most database connections this process opens.", {},
        [store = s.store.get()]() -> Samples {
            return std::vector<metrics::GaugeSample>{{{}, static_cast<double>(store->DatabasePoolUse().max)}};
        });
}

/// GET /metrics on METRICS_LISTEN. A port that cannot be bound is logged and the gateway serves on without it:
/// payments matter more than their graphs (Prometheus then shows the target down).
void StartMetricsServer(Gateway::Impl& s) {
    const auto& c = s.config;
    if (c.metrics_host.empty()) {
        spdlog::info("metrics: METRICS_LISTEN=off: no /metrics");
        return;
    }
    s.metrics_router.Add("GET", "/metrics", [registry = &s.metrics](net::Request&) {
        return net::Response::Text(200, registry->Expose(), metrics::Registry::kContentType);
    });
    net::ServerOptions options;
    options.name = "metrics";
    options.host = c.metrics_host;
    options.port = c.metrics_port;
    options.max_body_bytes = 4096;
    options.max_connections = 64;
    options.access_log = false;  // a scrape every few seconds would drown the log
    auto server = std::make_unique<net::Server>(s.runtime, s.metrics_router, options);
    try {
        server->Start();
        s.metrics_server = std::move(server);
    } catch (const std::exception& e) {
        spdlog::error("metrics: cannot listen on {}:{} ({}); the gateway serves without /metrics (set METRICS_LISTEN)",
                      c.metrics_host, c.metrics_port, e.what());
    }
}

}  // namespace

Gateway::Gateway(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Gateway::~Gateway() { Stop(); }

core::Result<void> Gateway::Start() {
    auto& s = *impl_;
    auto& c = s.config;
    auto store = storage::MakeStore(c.database_url, {.group_commit = c.db_group_commit});
    if (!store) return tl::unexpected(store.error());
    s.store = std::move(*store);
    auto migrated = s.store->Migrate();
    if (!migrated) return tl::unexpected(migrated.error());
    if (*migrated > 0) spdlog::info("database: applied {} migration(s)", *migrated);

    s.runtime.Start();
    // Answers of units committed by group commit go back to the worker pool, never the writer.
    s.store->SetCompletionExecutor([&rt = s.runtime](std::function<void()> fn) { rt.Post(std::move(fn)); });
    if (c.simulator_mode()) {
        sim::SimulatorOptions options;
        options.host = "127.0.0.1";
        options.port = c.simulator_port;
        options.consumer_key = c.consumer_key;
        options.consumer_secret = c.consumer_secret;
        options.passkey = c.passkey;
        // Agencies may set paybills and Daraja apps of their own (issue 12): the built-in simulator takes any
        // well-formed shortcode and any consumer key and secret, as the sandbox does; the passkey still counts.
        options.consumer_key.clear();
        options.consumer_secret.clear();
        options.stk_shortcodes = {};
        options.callback_delay = c.simulator_callback_delay;
        options.interactive_stk = c.simulator_interactive;
        options.scenario_file = c.simulator_scenario;
        // Receipts by SMS go to the simulator's Africa's Talking endpoint, which checks the key like AT does.
        if (c.receipts.at_api_key.empty()) c.receipts.at_api_key = "atsk_sim_" + RandomHex(16);
        options.at_username = c.receipts.at_username;
        options.at_api_key = c.receipts.at_api_key;
        s.sim_runtime.Start();
        s.simulator = std::make_unique<sim::Simulator>(s.sim_runtime, options);
        try {
            s.simulator->Start();
        } catch (const std::exception& e) {
            return core::Fail(ErrorCode::kInternal, std::string("the built-in simulator did not start: ") + e.what());
        }
        c.base_url = s.simulator->BaseUrl();
        if (c.receipts.at_base_url.empty()) c.receipts.at_base_url = s.simulator->BaseUrl();
    }

    net::TlsOptions tls;
    tls.ca_file = c.ca_file;
    s.http = std::make_unique<net::HttpClient>(s.runtime, tls);
    daraja::DarajaSettings ds;
    ds.base_url = c.base_url;
    ds.consumer_key = c.consumer_key;
    ds.consumer_secret = c.consumer_secret;
    ds.shortcode = c.shortcode;
    ds.passkey = c.passkey;
    ds.transaction_type = c.transaction_type;
    ds.party_b = c.party_b;
    ds.initiator_name = c.initiator_name;
    ds.b2c_shortcode = c.b2c_shortcode;
    ds.metrics = &s.metrics;
    auto credential = SecurityCredential(c, s.simulator.get());
    if (!credential) return tl::unexpected(credential.error());
    ds.security_credential = *credential;
    s.daraja = std::make_unique<daraja::HttpDarajaClient>(*s.http, ds, [] { return std::chrono::system_clock::now(); });
    auto certificate = CertificatePem(c, s.simulator.get());
    if (!certificate) return tl::unexpected(certificate.error());
    s.account_clients = std::make_unique<daraja::AccountClients>(
        *s.http, [] { return std::chrono::system_clock::now(); },
        std::shared_ptr<daraja::DarajaClient>(std::shared_ptr<void>(), s.daraja.get()), *certificate);
    auto master_key = MasterKey(c);
    if (!master_key) return tl::unexpected(master_key.error());
    StartReceipts(s);

    api::ApiSettings settings;
    settings.environment = c.environment;
    settings.shortcode = c.shortcode;
    settings.jwt_secret = c.jwt_secret;
    settings.jwt_ttl_seconds = c.jwt_ttl_seconds;
    settings.refresh_ttl_seconds = c.refresh_ttl_seconds;
    settings.callback_url = c.callback_url;
    settings.callback_secret = c.callback_secret;
    settings.public_base_url = c.public_base_url;
    settings.c2b_defaults = c.c2b;
    settings.idempotency_claim_seconds = c.idempotency_claim_seconds;
    settings.invite_ttl_seconds = c.invite_ttl_hours * 3600;
    settings.simulator_url = s.simulator ? s.simulator->BaseUrl() : "";
    settings.till_number = c.party_b;
    s.hash_gate = std::make_unique<service::HashGate>(c.hash_concurrency, c.hash_queue);
    service::LoginThrottleSettings throttle;
    throttle.address_max_failures = c.login_ip_max_failures;
    throttle.address_window = c.login_ip_window;
    s.login_throttle = std::make_unique<service::LoginThrottle>(*s.store, throttle, [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    });
    s.daraja_limit = std::make_unique<daraja::InFlightLimit>(c.daraja_max_in_flight);
    s.ctx = std::make_unique<api::ApiContext>(
        api::ApiContext{*s.store, *s.daraja, *s.http, settings, *s.hash_gate, *s.login_throttle, *s.daraja_limit});
    s.api_key_usage = std::make_unique<api::ApiKeyUsage>(c.api_key_rate_per_minute);
    s.ctx->api_key_usage = s.api_key_usage.get();
    s.ctx->accounts.box = std::move(*master_key);
    // An agency's own account: the global settings (Daraja host, timeouts) with the agency's numbers and secrets.
    s.ctx->account_client = [clients = s.account_clients.get(), ds](const service::ResolvedAccount& a) {
        daraja::DarajaSettings settings = ds;
        settings.consumer_key = a.consumer_key;
        settings.consumer_secret = a.consumer_secret;
        settings.shortcode = a.shortcode;
        settings.passkey = a.passkey;
        settings.transaction_type = a.transaction_type;
        settings.party_b = a.transaction_type == "CustomerBuyGoodsOnline" ? a.till_number : a.shortcode;
        settings.initiator_name = a.initiator_name;
        settings.b2c_shortcode = a.b2c_shortcode;
        settings.security_credential = a.initiator_secret_kind == "credential" ? a.initiator_secret : "";
        return clients->For(settings, a.initiator_secret_kind == "password" ? a.initiator_secret : "");
    };
    s.ctx->runtime = &s.runtime;
    s.ctx->callback_lag = &s.metrics.Histograms(
        "haven_daraja_callback_lag_seconds",
        "Time from a push (its row written, just before Daraja accepts it) to the callback that settled it (whole "
        "seconds), by API.",
        {"api"}, metrics::CallbackLagBounds());
    if (c.haven_jwt.Enabled()) {
        auto verifier = service::HavenJwtVerifier::Load(c.haven_jwt);
        if (!verifier) return core::Fail(ErrorCode::kValidation, "HAVEN_JWT: " + verifier.error().message);
        s.ctx->haven_jwt = *verifier;
    }
    api::RegisterAllRoutes(s.router, *s.ctx);

    net::ServerOptions options;
    options.name = "gateway";
    options.host = c.host;
    options.port = c.port;
    options.max_body_bytes = c.max_body_bytes;
    options.body_limit_for = api::RouteBodyLimit;  // a statement upload may be ~20 MB
    options.max_connections = c.max_connections;
    options.rate_limit_per_second = c.rate_limit_per_second;
    options.rate_limit_burst = c.rate_limit_burst;
    options.web_root = c.web_root;
    options.trusted_proxies = net::TrustedProxies::Parse(c.trusted_proxies).value_or(net::TrustedProxies());
    options.quiet_paths = {std::string(api::kHealthzPath), std::string(api::kReadyzPath)};
    options.cors_allowed_origins = c.cors_allowed_origins;
    options.metrics = &s.metrics;
    // Daraja's callbacks and results carry our secret: never turn them away with a 429 (Daraja's
    // retry policy is unknown, so a refused callback may never come back).
    options.rate_limit_exempt = [secret = c.callback_secret](const net::Request& req) {
        // The load balancer's probes: a node that answered them 429 would be taken out of rotation.
        if (req.path == api::kHealthzPath || req.path == api::kReadyzPath) return true;
        if (req.method != "POST") return false;
        if (req.path.rfind(api::kDarajaSeedPrefix, 0) != 0 && !net::DarajaHookSecret(req.path)) return false;
        return api::HasCallbackSecret(req, secret);
    };
    s.server = std::make_unique<net::Server>(s.runtime, s.router, options);
    try {
        c.port = s.server->Start();
    } catch (const std::exception& e) {
        return core::Fail(ErrorCode::kInternal,
                          std::string("cannot listen on ") + c.host + ":" + std::to_string(c.port) + ": " + e.what());
    }
    if (c.callback_url.empty()) {
        // Simulator mode: Daraja is on this machine, so it can call us on loopback.
        c.callback_url = "http://127.0.0.1:" + std::to_string(c.port) + "/api/v1/mpesa/callback";
        s.ctx->settings.callback_url = c.callback_url;
    }
    if (c.public_base_url.empty()) {
        // Simulator mode without MPESA_CALLBACK_URL: Daraja (the built-in simulator) calls us where we listen.
        c.public_base_url = BaseUrl();
        s.ctx->settings.public_base_url = c.public_base_url;
    }
    if (auto word = core::FindForbiddenUrlWord(c.public_base_url)) {
        spdlog::warn("PUBLIC_BASE_URL {} contains '{}': Daraja refuses such URLs for C2B registration",
                     c.public_base_url, *word);
    }
    RegisterGauges(s);
    StartMetricsServer(s);
    s.reconciler_runtime.Start();
    s.reconciler = std::make_unique<workers::Reconciler>(s.reconciler_runtime, s.ctx->StkDeps(),
                                                         api::B2cDepsFor(*s.ctx), c.reconciler);
    s.reconciler->SetAccountDeps([ctx = s.ctx.get()](int64_t agency_id) { return ctx->StkDepsFor(agency_id); },
                                 [ctx = s.ctx.get()](int64_t agency_id) { return api::B2cDepsFor(*ctx, agency_id); });
    s.reconciler->Start();
    s.alerts = std::make_unique<workers::Alerts>(s.reconciler_runtime, *s.store, c.alerts);
    s.alerts->Start();
    // --- outbox ---
    s.ctx->settings.webhooks_allow_private = c.webhooks_allow_private;
    s.outbox_runtime.Start();
    s.webhook_http = std::make_unique<net::HttpClient>(s.runtime);
    s.outbox = std::make_unique<workers::OutboxWorker>(s.outbox_runtime, *s.store, api::WebhookEventBody, c.outbox);
    if (s.ctx->accounts.box) {
        s.outbox->SetSender("webhook", std::make_shared<workers::WebhookSender>(
                                           *s.store, *s.ctx->accounts.box, *s.webhook_http,
                                           workers::WebhookSenderSettings{.allow_private = c.webhooks_allow_private}));
    }
    // Receipts by email and SMS (StartReceipts): the same outbox, its retries and attempts.
    if (s.email_sender) s.outbox->SetSender("email", s.email_sender);
    if (s.sms_sender) s.outbox->SetSender("sms", s.sms_sender);
    if (s.receipt_fan_out) s.outbox->SetReceiptFanOut(s.receipt_fan_out);
    s.outbox->Start();
    s.started = true;
    return {};
}

void Gateway::Stop() {
    auto& s = *impl_;
    if (!s.started) return;
    s.started = false;
    if (s.reconciler) s.reconciler->Stop();
    if (s.alerts) s.alerts->Stop();
    if (s.outbox) s.outbox->Stop();
    if (s.server) s.server->Stop();
    if (s.metrics_server) s.metrics_server->Stop();
    if (s.hash_gate) s.hash_gate->Stop();  // logins being checked answer while the context they use still exists
    if (s.simulator) s.simulator->Stop();
    s.reconciler_runtime.Stop();
    s.outbox_runtime.Stop();
    s.store->SetCompletionExecutor(nullptr);  // the pool stops next; the store's own thread answers the rest
    s.runtime.Stop();
    s.sim_runtime.Stop();
}

uint16_t Gateway::Port() const { return impl_->config.port; }
uint16_t Gateway::MetricsPort() const { return impl_->metrics_server ? impl_->metrics_server->Port() : 0; }
metrics::Registry& Gateway::metrics() { return impl_->metrics; }
std::string Gateway::BaseUrl() const {
    std::string host = impl_->config.host == "0.0.0.0" ? "127.0.0.1" : impl_->config.host;
    return "http://" + host + ":" + std::to_string(impl_->config.port);
}
std::string Gateway::SimulatorUrl() const { return impl_->simulator ? impl_->simulator->BaseUrl() : ""; }
const Config& Gateway::config() const { return impl_->config; }
storage::Store& Gateway::store() { return *impl_->store; }
sim::Simulator* Gateway::simulator() { return impl_->simulator.get(); }
const net::Router& Gateway::router() const { return impl_->router; }
api::ApiContext& Gateway::api_context() { return *impl_->ctx; }
int Gateway::ReconcileNow() { return impl_->reconciler ? impl_->reconciler->RunOnce() : 0; }
int Gateway::AlertsNow() { return impl_->alerts ? impl_->alerts->RunOnce() : 0; }

core::Result<core::User> AddUser(storage::Store& store, const std::string& email, const std::string& password,
                                 core::Role role, const std::string& agency) {
    if (password.size() < 8) return core::Fail(core::Error::Validation("password", "use at least 8 characters"));
    if (email.find('@') == std::string::npos) return core::Fail(core::Error::Validation("email", "not an email"));
    auto a = store.FindOrCreateAgency(agency);
    if (!a) return tl::unexpected(a.error());
    auto hash = service::HashPassword(password);
    if (!hash) return tl::unexpected(hash.error());
    core::User user;
    user.agency_id = a->id;
    user.email = email;
    user.password_hash = *hash;
    user.role = role;
    return store.InsertUser(user);
}

}  // namespace haven::app
