#pragma once
// DarajaClient over HTTPS (or HTTP to the simulator): OAuth token cache shared by all calls,
// STK Push and STK Query, Daraja's error envelope turned into a clear Error.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "daraja/client.hpp"
#include "metrics/registry.hpp"
#include "net/http_client.hpp"

namespace haven::daraja {

struct DarajaSettings {
    std::string base_url;  // https://sandbox.safaricom.co.ke, https://api.safaricom.co.ke or the simulator
    std::string consumer_key;
    std::string consumer_secret;
    std::string shortcode;
    std::string passkey;
    std::string transaction_type = "CustomerPayBillOnline";  // or CustomerBuyGoodsOnline
    std::string party_b;                                     // till number for buy goods; defaults to shortcode
    std::string initiator_name;                              // B2C, reversal, balance, status
    std::string security_credential;  // ready-made (built at start from the password and certificate)
    std::string b2c_shortcode;        // PartyA of B2C, balance and B2C status queries
    std::chrono::milliseconds timeout{15000};
    std::chrono::seconds token_refresh_margin{60};  // renew this long before expiry
    // Every request to Daraja counted and timed by API and outcome (haven_daraja_*); null: not counted. Shared by
    // the clients of every account; must outlive them.
    metrics::Registry* metrics = nullptr;
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

/// OAuth access token cache: one refresh at a time (other callers, blocking or not, share it), renewed before
/// expiry.
class TokenCache {
  public:
    using Fetched = Result<std::pair<std::string, std::chrono::seconds>>;
    using Fetch = std::function<Fetched()>;
    /// Starts a fetch and returns; the callback runs once with its outcome.
    using FetchAsync = std::function<void(std::function<void(Fetched)>)>;
    using Waiter = std::function<void(Result<std::string>)>;
    TokenCache(Fetch fetch, Clock clock, std::chrono::seconds margin, FetchAsync fetch_async = {});
    Result<std::string> Get();
    /// The token without blocking: `done` runs at once with a cached token, else when the fetch in progress (this
    /// caller's or another's) ends; every caller arriving during one fetch shares its outcome.
    void GetAsync(Waiter done);
    /// Drops the token if it is still the given one (after Daraja said 404.001.03).
    void Invalidate(const std::string& token);
    int fetch_count() const;

  private:
    bool Fresh() const;  // needs mutex_
    /// Stores the outcome of a fetch, wakes blocking callers and runs the waiting callbacks.
    Result<std::string> Finish(Fetched fetched);

    Fetch fetch_;
    FetchAsync fetch_async_;
    Clock clock_;
    std::chrono::seconds margin_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool refreshing_ = false;
    std::vector<Waiter> waiters_;
    std::string token_;
    std::chrono::system_clock::time_point expires_at_{};
    int fetch_count_ = 0;
};

/// Each call has the same deadline (settings.timeout) for the token fetch and for the call itself, blocking or not.
class HttpDarajaClient : public DarajaClient {
  public:
    HttpDarajaClient(net::HttpClient& http, DarajaSettings settings, Clock clock);
    Result<StkPushAck> StkPush(const StkPushRequest& request) override;
    Result<StkQueryAnswer> StkQuery(const std::string& checkout_request_id) override;
    Result<AsyncAck> B2cPayment(const B2cRequest& request) override;
    Result<AsyncAck> Reversal(const ReversalRequest& request) override;
    Result<AsyncAck> AccountBalance(const BalanceRequest& request) override;
    Result<AsyncAck> TransactionStatus(const StatusRequest& request) override;
    void StkPushAsync(const StkPushRequest& request, Done<StkPushAck> done) override;
    void StkQueryAsync(const std::string& checkout_request_id, Done<StkQueryAnswer> done) override;
    void B2cPaymentAsync(const B2cRequest& request, Done<AsyncAck> done) override;
    void ReversalAsync(const ReversalRequest& request, Done<AsyncAck> done) override;
    void AccountBalanceAsync(const BalanceRequest& request, Done<AsyncAck> done) override;
    void TransactionStatusAsync(const StatusRequest& request, Done<AsyncAck> done) override;
    Result<C2bRegisterAck> RegisterC2bUrls(const C2bRegisterRequest& request) override;
    void RegisterC2bUrlsAsync(const C2bRegisterRequest& request, Done<C2bRegisterAck> done) override;
    int token_fetches() const { return tokens_.fetch_count(); }

    /// POSTs a JSON body with a bearer token; retries once with a new token after 404.001.03.
    /// Returns the parsed body of a 2xx answer; Daraja's envelope otherwise becomes kUpstream.
    Result<nlohmann::json> PostJson(const std::string& path, const nlohmann::json& body);
    /// The same without blocking; `done` runs on the worker pool.
    void PostJsonAsync(const std::string& path, const nlohmann::json& body, Done<nlohmann::json> done);

  private:
    net::ClientRequest TokenRequest() const;
    net::ClientRequest PostRequest(const std::string& path, const std::string& body, const std::string& token) const;
    Result<std::pair<std::string, std::chrono::seconds>> FetchToken();
    void PostTextAsync(std::string path, std::string text, bool retried, Done<nlohmann::json> done);
    /// The initiator APIs (B2C, reversal, balance, status): refused before sending when no initiator is configured.
    Result<AsyncAck> PostInitiator(const std::string& path, const nlohmann::json& body);
    void PostInitiatorAsync(const std::string& path, const nlohmann::json& body, Done<AsyncAck> done);
    Result<void> InitiatorConfigured() const;
    /// http_.Send / SendAsync, counted and timed under the API `path` belongs to.
    Result<net::ClientResponse> Send(const std::string& path, const net::ClientRequest& request);
    void SendAsync(const std::string& path, const net::ClientRequest& request,
                   std::function<void(Result<net::ClientResponse>)> done);
    void Record(const std::string& path, const Result<net::ClientResponse>& res,
                std::chrono::steady_clock::time_point started);

    metrics::CounterFamily* calls_ = nullptr;
    metrics::HistogramFamily* latency_ = nullptr;
    net::HttpClient& http_;
    DarajaSettings settings_;
    Clock clock_;
    TokenCache tokens_;
};

/// Turns a non-2xx Daraja answer into an Error (kUpstream with extra {httpStatus, errorCode, errorMessage}).
core::Error DarajaError(const net::ClientResponse& response);

}  // namespace haven::daraja
