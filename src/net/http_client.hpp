#pragma once
// Outbound HTTP/1.1 and HTTPS client (used for Daraja calls and for the simulator's callbacks).
// Send() is a blocking facade over async Beast (call it from the worker pool, never from the I/O thread);
// SendAsync() never blocks.
// Every call has a deadline covering resolve, connect, TLS handshake, write and read.
// HTTPS: verify_peer, system CA paths or a given CA file, SNI and host name verification.
#include <chrono>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "net/http.hpp"
#include "net/runtime.hpp"

namespace haven::net {

struct ClientRequest {
    std::string method = "GET";
    std::string url;  // http://host:port/path?query or https://...
    Headers headers;
    std::string body;
    std::chrono::milliseconds timeout{10000};
    std::string local_address;  // bind to this local IP before connecting ("" = any; tests use 127.0.0.2)
    /// When set: called with each address the host resolved to (an IP literal too) before connecting; a
    /// non-empty answer (why) refuses the request. The connection then goes to those checked addresses, with
    /// no second lookup, so a name cannot resolve to something else between the check and the connect.
    std::function<std::string(const std::string& ip)> refuse_address;
};

struct ClientResponse {
    int status = 0;
    Headers headers;
    std::string body;
};

struct TlsOptions {
    std::string ca_file;  // PEM bundle to trust; empty = system default paths
    bool verify_peer = true;
};

class HttpClient {
  public:
    explicit HttpClient(Runtime& runtime, TlsOptions tls = {});
    ~HttpClient();
    /// kUpstreamUnavailable on DNS/connect/TLS/timeout failures (message says which); any HTTP
    /// status, including 4xx/5xx, is a successful ClientResponse.
    core::Result<ClientResponse> Send(const ClientRequest& request);
    /// The same exchange without waiting: `done` runs once, on the worker pool (so it may do blocking work
    /// such as a database write), with the answer or the failure. Safe to call from any thread.
    using Done = std::function<void(core::Result<ClientResponse>)>;
    void SendAsync(const ClientRequest& request, Done done);

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace haven::net
