#include "daraja/http_daraja_client.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "core/time.hpp"
#include "daraja/password.hpp"

namespace haven::daraja {

using core::Error;
using core::ErrorCode;
using nlohmann::json;

namespace {

constexpr const char* kInvalidToken = "404.001.03";

// Daraja sends numbers as strings and vice versa (docs/daraja.md §1.4): read either as a string.
std::string AsString(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
    if (v.is_number_float()) return std::to_string(static_cast<int64_t>(v.get<double>()));
    return {};
}

std::string Field(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() ? std::string{} : AsString(*it);
}

}  // namespace

core::Error DarajaError(const net::ClientResponse& response) {
    json body = json::parse(response.body, nullptr, false);
    std::string code = body.is_object() ? Field(body, "errorCode") : "";
    std::string message = body.is_object() ? Field(body, "errorMessage") : "";
    Error e;
    e.code = ErrorCode::kUpstream;
    if (code.empty()) {
        e.message = "M-Pesa answered HTTP " + std::to_string(response.status) + " without an error description";
    } else {
        e.message = "M-Pesa refused the request: " + message + " (" + code + ")";
    }
    e.extra = {{"httpStatus", response.status}, {"errorCode", code}, {"errorMessage", message}};
    return e;
}

TokenCache::TokenCache(Fetch fetch, Clock clock, std::chrono::seconds margin, FetchAsync fetch_async)
    : fetch_(std::move(fetch)), fetch_async_(std::move(fetch_async)), clock_(std::move(clock)), margin_(margin) {}

bool TokenCache::Fresh() const { return !token_.empty() && clock_() + margin_ < expires_at_; }

Result<std::string> TokenCache::Get() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (Fresh()) return token_;
        if (!refreshing_) break;
        cv_.wait(lock);  // another caller is fetching: share its token
    }
    refreshing_ = true;
    lock.unlock();
    return Finish(fetch_());
}

void TokenCache::GetAsync(Waiter done) {
    {
        std::unique_lock lock(mutex_);
        if (Fresh()) {
            std::string token = token_;
            lock.unlock();
            done(std::move(token));
            return;
        }
        waiters_.push_back(std::move(done));
        if (refreshing_) return;  // the fetch in progress answers this caller too
        refreshing_ = true;
    }
    if (!fetch_async_) {
        Finish(fetch_());
        return;
    }
    fetch_async_([this](Fetched fetched) { Finish(std::move(fetched)); });
}

Result<std::string> TokenCache::Finish(Fetched fetched) {
    Result<std::string> out;
    std::vector<Waiter> waiters;
    {
        std::lock_guard lock(mutex_);
        refreshing_ = false;
        ++fetch_count_;
        if (fetched) {
            token_ = fetched->first;
            expires_at_ = clock_() + fetched->second;
            out = token_;
        } else {
            out = tl::unexpected(fetched.error());
        }
        waiters.swap(waiters_);
    }
    cv_.notify_all();
    for (auto& waiter : waiters) waiter(out);
    return out;
}

void TokenCache::Invalidate(const std::string& token) {
    std::lock_guard lock(mutex_);
    if (token_ == token) token_.clear();
}

int TokenCache::fetch_count() const {
    std::lock_guard lock(mutex_);
    return fetch_count_;
}

namespace {

TokenCache::Fetched ReadToken(const Result<net::ClientResponse>& res) {
    if (!res) return tl::unexpected(res.error());
    if (res->status != 200) return tl::unexpected(DarajaError(*res));
    json body = json::parse(res->body, nullptr, false);
    std::string token = body.is_object() ? Field(body, "access_token") : "";
    std::string expires = body.is_object() ? Field(body, "expires_in") : "";
    if (token.empty()) {
        return tl::unexpected(Error::Make(ErrorCode::kUpstream, "M-Pesa OAuth answered without an access_token"));
    }
    int64_t seconds = 3599;
    try {
        if (!expires.empty()) seconds = std::stoll(expires);
    } catch (...) {
    }
    spdlog::info("daraja: new access token, valid {} s", seconds);
    return std::make_pair(token, std::chrono::seconds(seconds));
}

/// A 2xx answer's JSON body, or Daraja's error envelope as kUpstream (errorCode in extra).
Result<json> ReadPost(const Result<net::ClientResponse>& res) {
    if (!res) return tl::unexpected(res.error());
    if (res->status >= 200 && res->status < 300) {
        json parsed = json::parse(res->body, nullptr, false);
        if (!parsed.is_object()) {
            return tl::unexpected(Error::Make(ErrorCode::kUpstream, "M-Pesa answered with a body that is not JSON"));
        }
        return parsed;
    }
    return tl::unexpected(DarajaError(*res));
}

bool InvalidToken(const Result<json>& answer) {
    return !answer && answer.error().extra.is_object() && answer.error().extra.value("errorCode", "") == kInvalidToken;
}

Result<StkPushAck> ReadStkPushAck(const Result<json>& res) {
    if (!res) return tl::unexpected(res.error());
    StkPushAck ack{Field(*res, "MerchantRequestID"), Field(*res, "CheckoutRequestID"), Field(*res, "ResponseCode"),
                   Field(*res, "ResponseDescription"), Field(*res, "CustomerMessage")};
    if (ack.checkout_request_id.empty() || ack.response_code != "0") {
        Error e = Error::Make(ErrorCode::kUpstream, "M-Pesa did not accept the request: " + ack.response_description);
        e.extra = {{"responseCode", ack.response_code}, {"responseDescription", ack.response_description}};
        return tl::unexpected(e);
    }
    return ack;
}

Result<StkQueryAnswer> ReadStkQueryAnswer(const Result<json>& res) {
    if (!res) {
        // Daraja answers an open prompt with HTTP 500 "The transaction is being processed" (docs/daraja.md §4).
        const auto& extra = res.error().extra;
        if (extra.is_object() && extra.value("errorCode", "") == "500.001.1001" &&
            extra.value("errorMessage", "").find("being processed") != std::string::npos) {
            return StkQueryAnswer{true, "", ""};
        }
        return tl::unexpected(res.error());
    }
    return StkQueryAnswer{false, Field(*res, "ResultCode"), Field(*res, "ResultDesc")};
}

Result<AsyncAck> ReadAsyncAck(const Result<json>& res) {
    if (!res) return tl::unexpected(res.error());
    AsyncAck ack{Field(*res, "OriginatorConversationID"), Field(*res, "ConversationID"), Field(*res, "ResponseCode"),
                 Field(*res, "ResponseDescription")};
    if (ack.response_code != "0" || ack.conversation_id.empty()) {
        Error e = Error::Make(ErrorCode::kUpstream, "M-Pesa did not accept the request: " + ack.response_description);
        e.extra = {{"responseCode", ack.response_code}, {"responseDescription", ack.response_description}};
        return tl::unexpected(e);
    }
    return ack;
}

Result<C2bRegisterAck> ReadC2bRegisterAck(const Result<json>& res) {
    if (!res) return tl::unexpected(res.error());
    // Daraja spells it OriginatorCoversationID (REFERENCE §9.1); the correct spelling is read too.
    std::string originator = Field(*res, "OriginatorCoversationID");
    if (originator.empty()) originator = Field(*res, "OriginatorConversationID");
    C2bRegisterAck ack{originator, Field(*res, "ResponseCode"), Field(*res, "ResponseDescription")};
    if (ack.response_code != "0") {
        Error e = Error::Make(ErrorCode::kUpstream, "M-Pesa did not accept the URLs: " + ack.response_description);
        e.extra = {{"responseCode", ack.response_code}, {"responseDescription", ack.response_description}};
        return tl::unexpected(e);
    }
    return ack;
}

std::string C2bRegisterPath(int version) {
    return version == 1 ? "/mpesa/c2b/v1/registerurl" : "/mpesa/c2b/v2/registerurl";
}

json C2bRegisterBody(const C2bRegisterRequest& r) {
    return {{"ShortCode", r.shortcode},
            {"ResponseType", r.response_type},
            {"ConfirmationURL", r.confirmation_url},
            {"ValidationURL", r.validation_url}};
}

constexpr const char* kStkPushPath = "/mpesa/stkpush/v1/processrequest";
constexpr const char* kStkQueryPath = "/mpesa/stkpushquery/v1/query";
constexpr const char* kB2cPath = "/mpesa/b2c/v3/paymentrequest";
constexpr const char* kReversalPath = "/mpesa/reversal/v1/request";
constexpr const char* kBalancePath = "/mpesa/accountbalance/v1/query";
constexpr const char* kStatusPath = "/mpesa/transactionstatus/v1/query";
constexpr const char* kTokenPath = "/oauth/v1/generate";

/// The API a request path belongs to, as the metrics label it (a fixed set: never the path itself).
std::string_view ApiLabel(std::string_view path) {
    static constexpr std::pair<std::string_view, std::string_view> kApis[] = {
        {kTokenPath, "token"},   {kStkPushPath, "stk_push"},      {kStkQueryPath, "stk_query"},
        {kB2cPath, "b2c"},       {kReversalPath, "reversal"},     {kBalancePath, "balance"},
        {kStatusPath, "status"}, {"/mpesa/c2b/", "c2b_register"},
    };
    for (const auto& [prefix, api] : kApis) {
        if (path.substr(0, prefix.size()) == prefix) return api;
    }
    return "other";
}

/// How a request to Daraja ended: ok (2xx), rejected (4xx: Daraja refused it), server_error (5xx), timeout, or
/// unreachable (DNS, connect, TLS, a broken connection).
std::string_view OutcomeLabel(const Result<net::ClientResponse>& res) {
    if (!res) return res.error().message.rfind("timed out", 0) == 0 ? "timeout" : "unreachable";
    if (res->status >= 200 && res->status < 300) return "ok";
    return res->status >= 500 ? "server_error" : "rejected";
}

}  // namespace

HttpDarajaClient::HttpDarajaClient(net::HttpClient& http, DarajaSettings settings, Clock clock)
    : http_(http),
      settings_(std::move(settings)),
      clock_(clock),
      tokens_([this] { return FetchToken(); }, clock, settings_.token_refresh_margin,
              [this](std::function<void(TokenCache::Fetched)> done) {
                  SendAsync(kTokenPath, TokenRequest(),
                            [done = std::move(done)](Result<net::ClientResponse> res) { done(ReadToken(res)); });
              }) {
    if (settings_.party_b.empty()) settings_.party_b = settings_.shortcode;
    if (settings_.metrics != nullptr) {
        calls_ = &settings_.metrics->Counters("haven_daraja_requests_total",
                                              "Requests to Daraja by API and outcome (ok, rejected, server_error, "
                                              "timeout, unreachable).",
                                              {"api", "outcome"});
        latency_ = &settings_.metrics->Histograms("haven_daraja_request_duration_seconds",
                                                  "Time from sending a request to Daraja to its answer (or failure), "
                                                  "by API and outcome.",
                                                  {"api", "outcome"}, metrics::DarajaLatencyBounds());
    }
}

void HttpDarajaClient::Record(const std::string& path, const Result<net::ClientResponse>& res,
                              std::chrono::steady_clock::time_point started) {
    if (calls_ == nullptr) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto api = ApiLabel(path);
    const auto outcome = OutcomeLabel(res);
    calls_->With({api, outcome}).Inc();
    latency_->With({api, outcome}).Observe(seconds);
}

Result<net::ClientResponse> HttpDarajaClient::Send(const std::string& path, const net::ClientRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    auto res = http_.Send(request);
    Record(path, res, started);
    return res;
}

void HttpDarajaClient::SendAsync(const std::string& path, const net::ClientRequest& request,
                                 std::function<void(Result<net::ClientResponse>)> done) {
    const auto started = std::chrono::steady_clock::now();
    http_.SendAsync(request, [this, path, started, done = std::move(done)](Result<net::ClientResponse> res) {
        Record(path, res, started);
        done(std::move(res));
    });
}

net::ClientRequest HttpDarajaClient::TokenRequest() const {
    net::ClientRequest req;
    req.method = "GET";
    req.url = settings_.base_url + "/oauth/v1/generate?grant_type=client_credentials";
    req.headers["Authorization"] = "Basic " + Base64Encode(settings_.consumer_key + ":" + settings_.consumer_secret);
    req.timeout = settings_.timeout;
    return req;
}

Result<std::pair<std::string, std::chrono::seconds>> HttpDarajaClient::FetchToken() {
    return ReadToken(Send(kTokenPath, TokenRequest()));
}

net::ClientRequest HttpDarajaClient::PostRequest(const std::string& path, const std::string& body,
                                                 const std::string& token) const {
    net::ClientRequest req;
    req.method = "POST";
    req.url = settings_.base_url + path;
    req.headers["Authorization"] = "Bearer " + token;
    req.headers["Content-Type"] = "application/json";
    req.body = body;
    req.timeout = settings_.timeout;
    return req;
}

Result<json> HttpDarajaClient::PostJson(const std::string& path, const json& body) {
    const std::string text = body.dump();
    for (int attempt = 0;; ++attempt) {
        auto token = tokens_.Get();
        if (!token) return tl::unexpected(token.error());
        auto answer = ReadPost(Send(path, PostRequest(path, text, *token)));
        if (attempt == 0 && InvalidToken(answer)) {
            tokens_.Invalidate(*token);  // expired or invalidated early: one retry with a fresh token
            continue;
        }
        return answer;
    }
}

void HttpDarajaClient::PostJsonAsync(const std::string& path, const json& body, Done<json> done) {
    PostTextAsync(path, body.dump(), false, std::move(done));
}

void HttpDarajaClient::PostTextAsync(std::string path, std::string text, bool retried, Done<json> done) {
    tokens_.GetAsync([this, path = std::move(path), text = std::move(text), retried,
                      done = std::move(done)](Result<std::string> token) mutable {
        if (!token) {
            done(tl::unexpected(token.error()));
            return;
        }
        auto request = PostRequest(path, text, *token);
        const std::string sent_to = path;
        SendAsync(sent_to, request,
                  [this, path = std::move(path), text = std::move(text), retried, used = *token,
                   done = std::move(done)](Result<net::ClientResponse> res) mutable {
                      auto answer = ReadPost(res);
                      if (!retried && InvalidToken(answer)) {
                          tokens_.Invalidate(used);  // expired or invalidated early: one retry with a fresh token
                          PostTextAsync(std::move(path), std::move(text), true, std::move(done));
                          return;
                      }
                      done(std::move(answer));
                  });
    });
}

namespace {

json StkPushBody(const DarajaSettings& settings, const StkPushRequest& request, const std::string& timestamp) {
    return {
        {"BusinessShortCode", settings.shortcode},
        {"Password", StkPassword(settings.shortcode, settings.passkey, timestamp)},
        {"Timestamp", timestamp},
        {"TransactionType", settings.transaction_type},
        {"Amount", request.amount},
        {"PartyA", request.phone_number},
        {"PartyB", settings.party_b},
        {"PhoneNumber", request.phone_number},
        {"CallBackURL", request.callback_url},
        {"AccountReference", request.account_reference},
        {"TransactionDesc", request.transaction_desc},
    };
}

json StkQueryBody(const DarajaSettings& settings, const std::string& checkout_request_id,
                  const std::string& timestamp) {
    return {
        {"BusinessShortCode", settings.shortcode},
        {"Password", StkPassword(settings.shortcode, settings.passkey, timestamp)},
        {"Timestamp", timestamp},
        {"CheckoutRequestID", checkout_request_id},
    };
}

json B2cBody(const DarajaSettings& settings, const B2cRequest& r) {
    json body = {
        {"OriginatorConversationID", r.originator_conversation_id},
        {"InitiatorName", settings.initiator_name},
        {"SecurityCredential", settings.security_credential},
        {"CommandID", r.command_id},
        {"Amount", r.amount},
        {"PartyA", settings.b2c_shortcode},
        {"PartyB", r.phone_number},
        {"Remarks", r.remarks},
        {"QueueTimeOutURL", r.timeout_url},
        {"ResultURL", r.result_url},
    };
    if (!r.occasion.empty()) body["Occasion"] = r.occasion;
    return body;
}

json ReversalBody(const DarajaSettings& settings, const ReversalRequest& r) {
    json body = {
        {"Initiator", settings.initiator_name},
        {"SecurityCredential", settings.security_credential},
        {"CommandID", "TransactionReversal"},
        {"TransactionID", r.transaction_id},
        {"Amount", r.amount},
        {"ReceiverParty", settings.shortcode},
        {"RecieverIdentifierType", "11"},  // Daraja's spelling (docs/daraja.md §6)
        {"ResultURL", r.result_url},
        {"QueueTimeOutURL", r.timeout_url},
        {"Remarks", r.remarks},
    };
    if (!r.occasion.empty()) body["Occasion"] = r.occasion;
    return body;
}

json BalanceBody(const DarajaSettings& settings, const BalanceRequest& r) {
    return {
        {"Initiator", settings.initiator_name},
        {"SecurityCredential", settings.security_credential},
        {"CommandID", "AccountBalance"},
        {"PartyA", settings.b2c_shortcode},
        {"IdentifierType", "4"},
        {"Remarks", r.remarks},
        {"QueueTimeOutURL", r.timeout_url},
        {"ResultURL", r.result_url},
    };
}

json StatusBody(const DarajaSettings& settings, const StatusRequest& r) {
    json body = {
        {"Initiator", settings.initiator_name},
        {"SecurityCredential", settings.security_credential},
        {"CommandID", "TransactionStatusQuery"},
        {"PartyA", r.b2c_party ? settings.b2c_shortcode : settings.shortcode},
        {"IdentifierType", "4"},
        {"ResultURL", r.result_url},
        {"QueueTimeOutURL", r.timeout_url},
        {"Remarks", r.remarks},
    };
    if (!r.transaction_id.empty()) body["TransactionID"] = r.transaction_id;
    if (!r.original_conversation_id.empty()) body["OriginalConversationID"] = r.original_conversation_id;
    if (!r.occasion.empty()) body["Occasion"] = r.occasion;
    return body;
}

}  // namespace

Result<StkPushAck> HttpDarajaClient::StkPush(const StkPushRequest& request) {
    return ReadStkPushAck(PostJson(kStkPushPath, StkPushBody(settings_, request, core::DarajaTimestamp(clock_()))));
}

void HttpDarajaClient::StkPushAsync(const StkPushRequest& request, Done<StkPushAck> done) {
    PostJsonAsync(kStkPushPath, StkPushBody(settings_, request, core::DarajaTimestamp(clock_())),
                  [done = std::move(done)](Result<json> res) { done(ReadStkPushAck(res)); });
}

Result<StkQueryAnswer> HttpDarajaClient::StkQuery(const std::string& checkout_request_id) {
    return ReadStkQueryAnswer(
        PostJson(kStkQueryPath, StkQueryBody(settings_, checkout_request_id, core::DarajaTimestamp(clock_()))));
}

void HttpDarajaClient::StkQueryAsync(const std::string& checkout_request_id, Done<StkQueryAnswer> done) {
    PostJsonAsync(kStkQueryPath, StkQueryBody(settings_, checkout_request_id, core::DarajaTimestamp(clock_())),
                  [done = std::move(done)](Result<json> res) { done(ReadStkQueryAnswer(res)); });
}

Result<void> HttpDarajaClient::InitiatorConfigured() const {
    if (settings_.initiator_name.empty() || settings_.security_credential.empty()) {
        return tl::unexpected(Error::Make(ErrorCode::kUpstreamUnavailable,
                                          "the M-Pesa initiator is not configured (MPESA_INITIATOR_NAME and "
                                          "MPESA_INITIATOR_PASSWORD with MPESA_CERT_PATH, or "
                                          "MPESA_SECURITY_CREDENTIAL)"));
    }
    return {};
}

Result<AsyncAck> HttpDarajaClient::PostInitiator(const std::string& path, const json& body) {
    if (auto ok = InitiatorConfigured(); !ok) return tl::unexpected(ok.error());
    return ReadAsyncAck(PostJson(path, body));
}

void HttpDarajaClient::PostInitiatorAsync(const std::string& path, const json& body, Done<AsyncAck> done) {
    if (auto ok = InitiatorConfigured(); !ok) {
        done(tl::unexpected(ok.error()));
        return;
    }
    PostJsonAsync(path, body, [done = std::move(done)](Result<json> res) { done(ReadAsyncAck(res)); });
}

Result<AsyncAck> HttpDarajaClient::B2cPayment(const B2cRequest& r) {
    return PostInitiator(kB2cPath, B2cBody(settings_, r));
}
void HttpDarajaClient::B2cPaymentAsync(const B2cRequest& r, Done<AsyncAck> done) {
    PostInitiatorAsync(kB2cPath, B2cBody(settings_, r), std::move(done));
}

Result<AsyncAck> HttpDarajaClient::Reversal(const ReversalRequest& r) {
    return PostInitiator(kReversalPath, ReversalBody(settings_, r));
}
void HttpDarajaClient::ReversalAsync(const ReversalRequest& r, Done<AsyncAck> done) {
    PostInitiatorAsync(kReversalPath, ReversalBody(settings_, r), std::move(done));
}

Result<AsyncAck> HttpDarajaClient::AccountBalance(const BalanceRequest& r) {
    return PostInitiator(kBalancePath, BalanceBody(settings_, r));
}
void HttpDarajaClient::AccountBalanceAsync(const BalanceRequest& r, Done<AsyncAck> done) {
    PostInitiatorAsync(kBalancePath, BalanceBody(settings_, r), std::move(done));
}

Result<AsyncAck> HttpDarajaClient::TransactionStatus(const StatusRequest& r) {
    return PostInitiator(kStatusPath, StatusBody(settings_, r));
}
void HttpDarajaClient::TransactionStatusAsync(const StatusRequest& r, Done<AsyncAck> done) {
    PostInitiatorAsync(kStatusPath, StatusBody(settings_, r), std::move(done));
}

Result<C2bRegisterAck> HttpDarajaClient::RegisterC2bUrls(const C2bRegisterRequest& r) {
    return ReadC2bRegisterAck(PostJson(C2bRegisterPath(r.version), C2bRegisterBody(r)));
}
void HttpDarajaClient::RegisterC2bUrlsAsync(const C2bRegisterRequest& r, Done<C2bRegisterAck> done) {
    PostJsonAsync(C2bRegisterPath(r.version), C2bRegisterBody(r),
                  [done = std::move(done)](Result<json> res) { done(ReadC2bRegisterAck(res)); });
}

}  // namespace haven::daraja
