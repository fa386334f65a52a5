// haven-mpesa: serve | simulate | migrate | user add | backup | reconcile | c2b
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "app/backup_cli.hpp"
#include "app/c2b_cli.hpp"
#include "app/config.hpp"
#include "app/demo_seed.hpp"
#include "app/gateway.hpp"
#include "app/logging.hpp"
#include "app/reconcile_cli.hpp"
#include "core/state.hpp"
#include "net/runtime.hpp"
#include "service/password_policy.hpp"
#include "sim/simulator.hpp"

namespace {

std::atomic<bool> g_stop{false};

void WaitForSignal() {
    std::signal(SIGINT, [](int) { g_stop = true; });
    std::signal(SIGTERM, [](int) { g_stop = true; });
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

haven::app::Config LoadOrExit() {
    auto config = haven::app::LoadConfig(haven::app::ProcessEnv());
    if (!config) {
        std::cerr << "haven-mpesa: configuration error: " << config.error().message << "\n";
        std::exit(2);
    }
    return *config;
}

constexpr const char* kDemoAgency = "Demo Properties";
constexpr const char* kDemoPassword = "haven-demo-2026";

void SeedDemoUsers(haven::storage::Store& store) {
    using haven::core::Role;
    for (auto [email, role] :
         {std::pair{"admin@demo.haven", Role::kAdmin}, std::pair{"manager@demo.haven", Role::kManager},
          std::pair{"viewer@demo.haven", Role::kViewer}}) {
        if (store.FindUserByEmail(email)) continue;
        auto user = haven::app::AddUser(store, email, kDemoPassword, role, kDemoAgency);
        if (!user) spdlog::warn("demo user {} not created: {}", email, user.error().message);
    }
}

/// Every connection is a file descriptor: lift the soft limit toward MAX_CONNECTIONS (within the hard limit).
void RaiseOpenFileLimit(int max_connections) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    const rlim_t wanted = static_cast<rlim_t>(max_connections) + 1024;  // the database, the log, outbound calls
    const rlim_t target = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (target <= limit.rlim_cur) return;
    limit.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (target < wanted) {
        spdlog::warn("open files limited to {} by the system: fewer than MAX_CONNECTIONS={} can be open at once",
                     target, max_connections);
    }
}

int Serve(bool demo) {
    auto config = LoadOrExit();
    RaiseOpenFileLimit(config.max_connections);
    if (auto logging = haven::app::ConfigureLogging(config.log); !logging) {
        std::cerr << "haven-mpesa: configuration error: " << logging.error().message << "\n";
        return 2;
    }
    if (demo && !config.simulator_mode()) {
        std::cerr << "haven-mpesa: --demo only works with MPESA_ENVIRONMENT=simulator\n";
        return 2;
    }
    haven::app::Gateway gateway(config);
    if (auto started = gateway.Start(); !started) {
        std::cerr << "haven-mpesa: " << started.error().message << "\n";
        return 1;
    }
    const auto& c = gateway.config();
    std::optional<haven::app::DemoSeedResult> history;
    if (demo) {
        SeedDemoUsers(gateway.store());
        // Six months of rent, failed prompts, paybill payments, refunds and a reversal (app/demo_seed.hpp), once.
        auto seeded = haven::app::SeedDemoHistory(gateway.store(), gateway.simulator(), kDemoAgency, c.shortcode,
                                                  std::chrono::system_clock::now());
        if (seeded) {
            history = *seeded;
        } else {
            spdlog::warn("demo history not seeded: {}", seeded.error().message);
        }
    }
    std::cout << "\n  Haven M-Pesa is running (" << c.environment << " mode)\n"
              << "  Dashboard:  " << gateway.BaseUrl() << "/\n"
              << "  API:        " << gateway.BaseUrl() << "/api/v1  (OpenAPI: /api/v1/openapi.json)\n";
    if (c.simulator_mode()) {
        std::cout << "  Simulator:  " << gateway.SimulatorUrl() << "  (Daraja API, control API under /sim/v1/)\n"
                  << "  Virtual phone: " << gateway.BaseUrl() << "/phone.html\n";
    }
    if (demo) {
        std::cout << "  Log in as:  admin@demo.haven / " << kDemoPassword
                  << "   (also manager@demo.haven, viewer@demo.haven)\n";
        if (history) {
            std::cout << "  Demo history: " << history->leases << " leases, " << history->transactions
                      << " transactions from " << history->first_day << " to " << history->last_day
                      << (history->seeded ? " (seeded now)" : " (seeded on an earlier start)") << "\n"
                      << "                reconcile it: import " << gateway.SimulatorUrl()
                      << "/sim/v1/statement.csv on the Reconciliation page (2 findings on purpose: docs/demo.md)\n";
        }
    }
    if (c.jwt_secret_generated) std::cout << "  (JWT_SECRET not set: sessions end when the gateway stops)\n";
    std::cout << "  Stop with Ctrl+C\n" << std::endl;
    WaitForSignal();
    spdlog::info("shutting down");
    gateway.Stop();
    return 0;
}

int Simulate(haven::sim::SimulatorOptions options) {
    haven::net::Runtime runtime(16);
    runtime.Start();
    haven::sim::Simulator simulator(runtime, options);
    try {
        simulator.Start();
    } catch (const std::exception& e) {
        std::cerr << "haven-mpesa simulate: " << e.what() << "\n";
        return 1;
    }
    std::cout << "Daraja simulator listening on " << simulator.BaseUrl() << "\n"
              << "  OAuth: GET " << simulator.BaseUrl() << "/oauth/v1/generate?grant_type=client_credentials\n"
              << "  Control API: " << simulator.BaseUrl() << "/sim/v1/  (rules, stk/pending, requests, callbacks)\n"
              << std::endl;
    WaitForSignal();
    simulator.Stop();
    runtime.Stop();
    return 0;
}

int Migrate() {
    auto config = LoadOrExit();
    auto store = haven::storage::MakeStore(config.database_url);
    if (!store) {
        std::cerr << "haven-mpesa migrate: " << store.error().message << "\n";
        return 1;
    }
    auto n = (*store)->Migrate();
    if (!n) {
        std::cerr << "haven-mpesa migrate: " << n.error().message << "\n";
        return 1;
    }
    std::cout << "applied " << *n << " migration(s)\n";
    return 0;
}

int AddUserCommand(const std::string& email, const std::string& password, const std::string& role_name,
                   const std::string& agency) {
    auto config = LoadOrExit();
    auto role = haven::core::ParseRole(role_name);
    if (!role) {
        std::cerr << "haven-mpesa user add: --role must be admin, manager or viewer\n";
        return 2;
    }
    if (auto policy = haven::service::CheckPasswordPolicy(password, {email}); !policy) {
        std::cerr << "haven-mpesa user add: " << policy.error().message << "\n";
        return 2;
    }
    auto store = haven::storage::MakeStore(config.database_url);
    if (!store) {
        std::cerr << "haven-mpesa user add: " << store.error().message << "\n";
        return 1;
    }
    if (auto m = (*store)->Migrate(); !m) {
        std::cerr << "haven-mpesa user add: " << m.error().message << "\n";
        return 1;
    }
    auto user = haven::app::AddUser(**store, email, password, *role, agency);
    if (!user) {
        std::cerr << "haven-mpesa user add: " << user.error().message << "\n";
        return 1;
    }
    std::cout << "created " << haven::core::ToString(*role) << " " << email << " in agency '" << agency << "'\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Haven M-Pesa: a self-hosted M-Pesa (Daraja) payments gateway with a built-in Daraja simulator"};
    app.require_subcommand(1);

    bool demo = false;
    auto* serve = app.add_subcommand("serve",
                                     "Run the gateway (REST API, dashboard, callbacks). Settings come from "
                                     "the environment and .env: MPESA_ENVIRONMENT, MPESA_CONSUMER_KEY, ...");
    serve->add_flag(
        "--demo", demo,
        "Simulator mode only: create demo users (admin/manager/viewer@demo.haven) and six months of demo history");

    haven::sim::SimulatorOptions sim_options;
    int64_t delay_ms = 1500;
    auto* simulate = app.add_subcommand("simulate", "Run the Daraja simulator alone");
    simulate->add_option("--port", sim_options.port, "Port to listen on (0 = any free port)")->default_val(8089);
    simulate->add_option("--host", sim_options.host, "Address to bind (loopback only unless --allow-remote)")
        ->default_val("127.0.0.1");
    simulate->add_flag("--allow-remote", sim_options.allow_remote,
                       "Allow a non-loopback --host: the control API (/sim/v1/) has no authentication");
    simulate->add_option("--scenario", sim_options.scenario_file,
                         "Rules file (JSON, same format as POST /sim/v1/rules)");
    simulate->add_option("--tls-cert", sim_options.tls_cert_file, "PEM certificate: serve HTTPS");
    simulate->add_option("--tls-key", sim_options.tls_key_file, "PEM private key for --tls-cert");
    simulate->add_option("--callback-delay-ms", delay_ms, "Delay before an automatic outcome and callback")
        ->default_val(1500);
    simulate->add_flag("--interactive", sim_options.interactive_stk,
                       "STK prompts wait for the control API (virtual phone) instead of succeeding");
    simulate->add_flag("--invalidate-old-tokens", sim_options.invalidate_old_tokens,
                       "A new OAuth token revokes the older ones");
    simulate->add_flag("--strict-timestamp", sim_options.strict_timestamp, "STK Timestamp must be EAT and recent");
    simulate->add_option("--callback-retries", sim_options.callback_retries,
                         "Extra delivery attempts when a callback receiver fails");
    auto set_rule_limit = [&sim_options](const int64_t& s) { sim_options.rule_limit_window = std::chrono::seconds(s); };
    simulate
        ->add_option_function<int64_t>("--rule-limit-seconds", set_rule_limit,
                                       "Same PartyA and Amount as a successful STK push this recently -> callback 17 "
                                       "(0 = off)")
        ->check(CLI::NonNegativeNumber);
    simulate
        ->add_option("--products", sim_options.enabled_products,
                     "API products on the app, comma list (others answer 401.003.01; default all): "
                     "stk,b2c,reversal,balance,status,c2b_v1,c2b_v2")
        ->delimiter(',')
        ->check(CLI::IsMember(haven::sim::SimulatorProducts()));
    simulate->add_flag("--accept-foreign-credentials,!--strict-credentials", sim_options.accept_foreign_credentials,
                       "A SecurityCredential not made with our certificate is accepted for a known initiator "
                       "(default; --strict-credentials answers 2001)");

    auto* migrate = app.add_subcommand("migrate", "Apply database migrations (DATABASE_URL) and exit");

    auto* user = app.add_subcommand("user", "Manage users");
    user->require_subcommand(1);
    std::string email, password, role, agency;
    auto* user_add = user->add_subcommand("add", "Create a user in an agency (the agency is created if new)");
    user_add->add_option("--email", email, "Login email")->required();
    user_add->add_option("--password", password, "Password (at least 8 characters)")->required();
    user_add->add_option("--role", role, "admin | manager | viewer")
        ->required()
        ->check(CLI::IsMember({"admin", "manager", "viewer"}));
    user_add->add_option("--agency", agency, "Agency name")->required();

    haven::app::AddC2bCommands(app);
    haven::app::AddReconcileCommand(app);
    haven::app::AddBackupCommand(app);

    CLI11_PARSE(app, argc, argv);

    if (serve->parsed()) return Serve(demo);
    if (simulate->parsed()) {
        sim_options.callback_delay = std::chrono::milliseconds(delay_ms);
        return Simulate(sim_options);
    }
    if (migrate->parsed()) return Migrate();
    if (user_add->parsed()) return AddUserCommand(email, password, role, agency);
    return 0;
}
