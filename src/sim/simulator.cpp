#include "sim/simulator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "net/server.hpp"
#include "sim/core.hpp"

namespace haven::sim {

struct Simulator::Impl {
    net::Runtime& runtime;
    SimulatorOptions options;
    std::shared_ptr<Core> core;
    net::Router router;
    net::Router daraja;  // the Daraja API routes, before product gating copies them into router
    std::unique_ptr<net::Server> server;
    std::string tls_cert_file;
    std::string temp_dir;
    uint16_t port = 0;
    bool tls = false;

    Impl(net::Runtime& rt, SimulatorOptions opts) : runtime(rt), options(std::move(opts)) {}
    ~Impl() {
        if (!temp_dir.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(temp_dir, ec);
        }
    }
};

namespace {

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

net::Response ServerError(Core* core, int status, const std::string& code, const std::string& message,
                          const std::string& request_id) {
    (void)code;
    (void)message;
    std::string daraja_code = "500.003.1001";
    std::string text = "Internal Server Error";
    if (status == 404) {
        daraja_code = "404.001.01";
        text = "Resource not found";
    } else if (status == 405) {
        daraja_code = "405.001";
        text = "Method Not Allowed";
    } else if (status == 413 || status == 400) {
        daraja_code = "400.002.05";
        text = "Invalid Request Payload";
    } else if (status == 429) {
        daraja_code = "500.003.02";
        text = "Error Occurred: Spike Arrest Violation";
    }
    std::string id = request_id.empty() ? core->ids.RequestStyleId() : request_id;
    return core->DarajaError(daraja_code, text, id);
}

/// The API product a Daraja path belongs to (docs/daraja.md §12.6); "" for paths every app may call (OAuth).
std::string ProductOf(const std::string& path) {
    static const std::vector<std::pair<std::string, std::string>> kPrefixes = {{"/mpesa/stkpush/", "stk"},
                                                                               {"/mpesa/stkpushquery/", "stk"},
                                                                               {"/mpesa/b2c/", "b2c"},
                                                                               {"/mpesa/reversal/", "reversal"},
                                                                               {"/mpesa/accountbalance/", "balance"},
                                                                               {"/mpesa/transactionstatus/", "status"},
                                                                               {"/mpesa/c2b/v1/", "c2b_v1"},
                                                                               {"/mpesa/c2b/v2/", "c2b_v2"}};
    for (const auto& [prefix, product] : kPrefixes) {
        if (path.rfind(prefix, 0) == 0) return product;
    }
    return "";
}

bool IsLoopback(const std::string& host) {
    if (host == "localhost") return true;
    std::string bare =
        host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
    in_addr v4{};
    if (inet_pton(AF_INET, bare.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

void CheckHost(const SimulatorOptions& opts) {
    if (opts.allow_remote || IsLoopback(opts.host)) return;
    throw std::runtime_error("refusing to listen on " + opts.host +
                             ": the control API (/sim/v1/) has no authentication, so the simulator listens on "
                             "loopback only (127.0.0.1); pass --allow-remote if other machines must reach it");
}

void CheckProducts(const std::set<std::string>& products) {
    const auto& known = SimulatorProducts();
    for (const auto& p : products) {
        if (std::find(known.begin(), known.end(), p) == known.end()) {
            throw std::runtime_error("unknown API product '" + p +
                                     "' (known: stk, b2c, reversal, balance, status, c2b_v1, c2b_v2)");
        }
    }
}

/// Copies the Daraja routes (plain and async) into the served router; a disabled product's routes answer
/// 401.003.01 to a valid token (Apigee checks the token, then the product, before the API sees the request).
void AddGatedRoutes(net::Router& router, const net::Router& daraja, const std::shared_ptr<Core>& core) {
    const auto& enabled = core->options.enabled_products;
    std::weak_ptr<Core> weak = core;
    // A missing or bad token is answered as usual (404.001.0x) by the API itself; nullopt means "let it".
    auto refuse = [weak](net::Request& req) -> std::optional<net::Response> {
        auto c = weak.lock();
        if (!c || c->CheckBearer(req)) return std::nullopt;
        net::Response res = c->DarajaError(
            "401.003.01", "Error Occurred - Invalid Access Token - Invalid API call as no apiproduct match found");
        c->LogRequest(req, res.status);
        return res;
    };
    for (const auto& route : daraja.Routes()) {
        auto match = daraja.Find(route.method, route.pattern);
        if (match.kind != net::Router::MatchKind::kFound) continue;
        std::string product = ProductOf(route.pattern);
        bool open = enabled.empty() || product.empty() || enabled.count(product) != 0;
        if (match.async_handler) {
            net::AsyncHandler handler = *match.async_handler;
            if (open) {
                router.AddAsync(route.method, route.pattern, std::move(handler));
                continue;
            }
            router.AddAsync(route.method, route.pattern, [refuse, handler](net::Request& req, net::Reply reply) {
                if (auto res = refuse(req)) return reply(std::move(*res));
                handler(req, std::move(reply));
            });
            continue;
        }
        if (!match.handler) continue;
        net::Handler handler = *match.handler;
        if (open) {
            router.Add(route.method, route.pattern, std::move(handler));
            continue;
        }
        router.Add(route.method, route.pattern, [refuse, handler](net::Request& req) {
            if (auto res = refuse(req)) return std::move(*res);
            return handler(req);
        });
    }
}

}  // namespace

const std::vector<std::string>& SimulatorProducts() {
    static const std::vector<std::string> kProducts = {"stk",    "b2c",    "reversal", "balance",
                                                       "status", "c2b_v1", "c2b_v2"};
    return kProducts;
}

Simulator::Simulator(net::Runtime& runtime, SimulatorOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}

Simulator::~Simulator() { Stop(); }

uint16_t Simulator::Start() {
    if (impl_->server) return impl_->port;
    const auto& opts = impl_->options;
    CheckHost(opts);
    CheckProducts(opts.enabled_products);
    auto key = opts.credential_cert_file.empty()
                   ? CredentialKey::Generate()
                   : CredentialKey::Load(opts.credential_cert_file, opts.credential_key_file);
    if (!key) throw std::runtime_error("simulator key: " + key.error().message);

    std::vector<Rule> rules;
    if (!opts.scenario_file.empty()) {
        auto doc = nlohmann::json::parse(ReadFile(opts.scenario_file), nullptr, false);
        if (doc.is_discarded()) throw std::runtime_error("scenario file " + opts.scenario_file + " is not JSON");
        auto parsed = ParseRules(doc);
        if (!parsed) throw std::runtime_error("scenario file " + opts.scenario_file + ": " + parsed.error().message);
        rules = std::move(*parsed);
    }

    net::ServerOptions server_options;
    server_options.name = "simulator";
    server_options.host = opts.host;
    server_options.port = opts.port;
    server_options.security_headers = false;  // Daraja (Apigee) sends none of the browser headers
    server_options.access_log = opts.access_log;
    if (!opts.tls_cert_file.empty() && !opts.tls_key_file.empty()) {
        server_options.tls_cert_file = opts.tls_cert_file;
        server_options.tls_key_file = opts.tls_key_file;
        impl_->tls_cert_file = opts.tls_cert_file;
    } else if (opts.tls_self_signed) {
        std::string pattern = (std::filesystem::temp_directory_path() / "haven-sim-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
        impl_->temp_dir = pattern;
        impl_->tls_cert_file = pattern + "/cert.pem";
        WriteFile(impl_->tls_cert_file, key->CertificatePem());
        WriteFile(pattern + "/key.pem", key->PrivateKeyPem());
        std::filesystem::permissions(pattern + "/key.pem",
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        server_options.tls_cert_file = impl_->tls_cert_file;
        server_options.tls_key_file = pattern + "/key.pem";
    }
    impl_->tls = !server_options.tls_cert_file.empty();

    impl_->core = std::make_shared<Core>(impl_->runtime, opts, std::move(*key));
    impl_->core->rules.Add(std::move(rules), true);
    Core* core = impl_->core.get();
    std::weak_ptr<Core> weak = impl_->core;
    server_options.error_body = [weak](int status, const std::string& code, const std::string& message,
                                       const std::string& request_id) {
        auto c = weak.lock();
        if (!c) return net::Response::Json(status, {{"errorCode", code}, {"errorMessage", message}});
        return ServerError(c.get(), status, code, message, request_id);
    };
    (void)core;

    RegisterOauth(impl_->daraja, impl_->core);
    RegisterStk(impl_->daraja, impl_->core);
    RegisterB2c(impl_->daraja, impl_->core);
    RegisterReversal(impl_->daraja, impl_->core);
    RegisterBalance(impl_->daraja, impl_->core);
    RegisterStatus(impl_->daraja, impl_->core);
    RegisterC2b(impl_->daraja, impl_->core);
    AddGatedRoutes(impl_->router, impl_->daraja, impl_->core);
    RegisterControl(impl_->router, impl_->core);
    RegisterSms(impl_->router, impl_->core);

    impl_->server = std::make_unique<net::Server>(impl_->runtime, impl_->router, server_options);
    impl_->port = impl_->server->Start();
    spdlog::info("simulator: Daraja simulator listening on {}", BaseUrl());
    if (!IsLoopback(opts.host)) {
        spdlog::warn(
            "simulator: listening on {} (not loopback): anyone who reaches this port can read the request "
            "log and answer prompts through /sim/v1/",
            opts.host);
    }
    return impl_->port;
}

void Simulator::Stop() {
    if (!impl_->server) return;
    impl_->core->stopped = true;
    // Answered before the server drains its sessions: a slowMs timer must not hold a connection (or Stop) open.
    impl_->core->AnswerSlowReplies();
    impl_->server->Stop();
    impl_->server.reset();
}

std::string Simulator::BaseUrl() const {
    return std::string(impl_->tls ? "https" : "http") + "://" + impl_->options.host + ":" + std::to_string(impl_->port);
}

std::string Simulator::CertificatePem() const { return impl_->core ? impl_->core->key.CertificatePem() : ""; }

std::string Simulator::TlsCertificateFile() const { return impl_->tls_cert_file; }

}  // namespace haven::sim

namespace haven::sim {

void Simulator::SeedLedger(std::vector<LedgerEntry> entries) {
    if (!impl_->core) return;
    std::stable_sort(entries.begin(), entries.end(),
                     [](const LedgerEntry& a, const LedgerEntry& b) { return a.time < b.time; });
    std::lock_guard lock(impl_->core->mu);
    Ledger& ledger = impl_->core->ledger;
    for (LedgerEntry& e : entries) {
        switch (e.kind) {
            case EntryKind::kStk:
            case EntryKind::kC2b:
                ledger.Receive(std::move(e));
                break;
            case EntryKind::kB2c:
                ledger.Pay(std::move(e));
                break;
            case EntryKind::kReversal: {
                const std::string original = e.original_receipt;
                ledger.Reverse(original, std::move(e));
                break;
            }
        }
    }
}

}  // namespace haven::sim
