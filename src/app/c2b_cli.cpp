// `haven-mpesa c2b register [--agency ID]`: the agency's C2B confirmation and validation URLs
// (PUBLIC_BASE_URL/hooks/daraja/<secret>/c2b/...) registered with Daraja's register URL API, with the version and
// ResponseType of its C2B settings; prints what was registered, or Daraja's error ("Urls are already registered.").
#include "app/c2b_cli.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "app/config.hpp"
#include "daraja/http_daraja_client.hpp"
#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "service/c2b_register.hpp"
#include "storage/store.hpp"

namespace haven::app {

namespace {

int Register(int64_t agency_id) {
    auto config = LoadConfig(ProcessEnv());
    if (!config) {
        std::cerr << "haven-mpesa: configuration error: " << config.error().message << "\n";
        return 2;
    }
    Config& c = *config;
    if (c.simulator_mode() && c.base_url.empty()) {
        std::cerr << "haven-mpesa c2b register: in simulator mode the built-in simulator lives inside the running "
                     "gateway: register from its Paybill page or POST /api/v1/c2b/register (or set MPESA_BASE_URL to a "
                     "`haven-mpesa simulate` instance)\n";
        return 2;
    }
    if (c.public_base_url.empty()) {
        c.public_base_url =
            "http://" + (c.host == "0.0.0.0" ? std::string("127.0.0.1") : c.host) + ":" + std::to_string(c.port);
    }
    auto store = storage::MakeStore(c.database_url, {.group_commit = false});
    if (!store) {
        std::cerr << "haven-mpesa c2b register: " << store.error().message << "\n";
        return 1;
    }
    if (auto migrated = (*store)->Migrate(); !migrated) {
        std::cerr << "haven-mpesa c2b register: " << migrated.error().message << "\n";
        return 1;
    }
    auto agency = (*store)->FindAgency(agency_id);
    if (!agency) {
        std::cerr << "haven-mpesa c2b register: no agency with id " << agency_id << "\n";
        return 1;
    }
    // An agency's own account has sealed Daraja keys the running gateway holds the master key for: it registers there.
    if (auto own = (*store)->FindMpesaAccount(agency_id); own && !own->shortcode.empty()) {
        std::cerr << "haven-mpesa c2b register: " << agency->name
                  << " has its own M-Pesa account: register its URLs from the Paybill page or POST "
                     "/api/v1/c2b/register\n";
        return 1;
    }
    net::Runtime runtime(2, 1);
    runtime.Start();
    net::TlsOptions tls;
    tls.ca_file = c.ca_file;
    net::HttpClient http(runtime, tls);
    daraja::DarajaSettings ds;
    ds.base_url = c.base_url;
    ds.consumer_key = c.consumer_key;
    ds.consumer_secret = c.consumer_secret;
    ds.shortcode = c.shortcode;
    daraja::HttpDarajaClient daraja(http, ds, [] { return std::chrono::system_clock::now(); });
    service::C2bRegisterDeps deps{**store, daraja, c.public_base_url, c.callback_secret, c.shortcode, c.c2b};
    auto registered = service::RegisterC2b(deps, agency_id, "cli");
    runtime.Stop();
    if (!registered) {
        std::cerr << "haven-mpesa c2b register: " << registered.error().message << "\n";
        return 1;
    }
    std::cout << "Registered the C2B URLs of " << agency->name << " with M-Pesa (" << registered->response_description
              << ")\n"
              << "  Shortcode:     " << registered->shortcode << "  (C2B v" << registered->version << ", ResponseType "
              << registered->response_type << ")\n"
              << "  Confirmation:  " << registered->confirmation_url << "\n"
              << "  Validation:    " << registered->validation_url << "\n"
              << "  (**** stands for MPESA_CALLBACK_SECRET)\n";
    return 0;
}

}  // namespace

void AddC2bCommands(CLI::App& app) {
    auto* c2b = app.add_subcommand("c2b", "Paybill (C2B) payments");
    c2b->require_subcommand(1);
    auto agency_id = std::make_shared<int64_t>(1);
    auto* reg =
        c2b->add_subcommand("register",
                            "Register the C2B confirmation and validation URLs (PUBLIC_BASE_URL/hooks/daraja/...) "
                            "with M-Pesa, using the agency's C2B version and ResponseType");
    reg->add_option("--agency", *agency_id, "Agency id (default 1: the first agency)")->check(CLI::PositiveNumber);
    reg->callback([agency_id] {
        if (int code = Register(*agency_id); code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace haven::app
