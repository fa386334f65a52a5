#pragma once
// Wiring: config -> store, Daraja client, (in simulator mode) the in-process simulator, the REST
// routes, the HTTP server and the reconciliation worker. `haven-mpesa serve` and the integration
// tests both run the gateway through this class.
#include <memory>
#include <string>

#include "app/config.hpp"
#include "core/error.hpp"
#include "metrics/registry.hpp"
#include "net/router.hpp"
#include "storage/store.hpp"

namespace haven::api {
struct ApiContext;
}  // namespace haven::api
namespace haven::sim {
class Simulator;
}  // namespace haven::sim

namespace haven::app {

class Gateway {
  public:
    explicit Gateway(Config config);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    /// Opens and migrates the database, starts the simulator (simulator mode), then serves.
    core::Result<void> Start();
    void Stop();

    uint16_t Port() const;
    /// Where GET /metrics listens (METRICS_LISTEN); 0 when it is off or its address could not be bound.
    uint16_t MetricsPort() const;
    /// Every metric of this gateway (requests, Daraja calls, callback lag, the gauges read at scrape time).
    metrics::Registry& metrics();
    std::string BaseUrl() const;       // http://HOST:PORT
    std::string SimulatorUrl() const;  // "" outside simulator mode
    const Config& config() const;
    storage::Store& store();
    /// The built-in simulator (simulator mode, between Start and Stop); nullptr otherwise.
    sim::Simulator* simulator();
    const net::Router& router() const;
    /// What the routes were registered with (valid between Start and Stop): tests register extra routes with it.
    api::ApiContext& api_context();
    /// Runs one reconciliation pass now (tests; the worker runs it on its own timer).
    int ReconcileNow();
    /// Runs one alerts pass now (tests; the worker runs it on its own timer); returns how many alerts it raised.
    int AlertsNow();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

/// Creates the agency if needed and the user; kConflict when the email exists.
core::Result<core::User> AddUser(storage::Store& store, const std::string& email, const std::string& password,
                                 core::Role role, const std::string& agency);

}  // namespace haven::app
