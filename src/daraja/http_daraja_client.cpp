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

// Daraja sends numbers as strings and vice versa (REFERENCE §1.4): read either as a string.
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

TokenCache::TokenCache(Fetch fetch, Clock clock, std::chrono::seconds margin)
    : fetch_(std::move(fetch)), clock_(std::move(clock)), margin_(margin) {}

Result<std::string> TokenCache::Get() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!token_.empty() && clock_() + margin_ < expires_at_) return token_;
        if (!refreshing_) break;
        cv_.wait(lock);  // another caller is fetching: share its token
    }
    refreshing_ = true;
    lock.unlock();
    auto fetched = fetch_();
    lock.lock();
    refreshing_ = false;
    ++fetch_count_;
    cv_.notify_all();
    if (!fetched) return tl::unexpected(fetched.error());
    token_ = fetched->first;
    expires_at_ = clock_() + fetched->second;
    return token_;
}

void TokenCache::Invalidate(const std::string& token) {
    std::lock_guard lock(mutex_);
    if (token_ == token) token_.clear();
}

int TokenCache::fetch_count() const {
    std::lock_guard lock(mutex_);
    return fetch_count_;
}

HttpDarajaClient::HttpDarajaClient(net::HttpClient& http, DarajaSettings settings, Clock clock)
    : http_(http),
      settings_(std::move(settings)),
      clock_(clock),
      tokens_([this] { return FetchToken(); }, clock, settings_.token_refresh_margin) {
    if (settings_.party_b.empty()) settings_.party_b = settings_.shortcode;
}

Result<std::pair<std::string, std::chrono::seconds>> HttpDarajaClient::FetchToken() {
    net::ClientRequest req;
    req.method = "GET";
    req.url = settings_.base_url + "/oauth/v1/generate?grant_type=client_credentials";
    req.headers["Authorization"] = "Basic " + Base64Encode(settings_.consumer_key + ":" + settings_.consumer_secret);
    req.timeout = settings_.timeout;
    auto res = http_.Send(req);
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

Result<net::ClientResponse> HttpDarajaClient::PostOnce(const std::string& path, const std::string& body,
                                                       const std::string& token) {
    net::ClientRequest req;
    req.method = "POST";
    req.url = settings_.base_url + path;
    req.headers["Authorization"] = "Bearer " + token;
    req.headers["Content-Type"] = "application/json";
    req.body = body;
    req.timeout = settings_.timeout;
    return http_.Send(req);
}

Result<json> HttpDarajaClient::PostJson(const std::string& path, const json& body) {
    const std::string text = body.dump();
    for (int attempt = 0;; ++attempt) {
        auto token = tokens_.Get();
        if (!token) return tl::unexpected(token.error());
        auto res = PostOnce(path, text, *token);
        if (!res) return tl::unexpected(res.error());
        if (res->status >= 200 && res->status < 300) {
            json parsed = json::parse(res->body, nullptr, false);
            if (!parsed.is_object()) {
                return tl::unexpected(Error::Make(ErrorCode::kUpstream, "M-Pesa answered with a body that is not JSON"));
            }
            return parsed;
        }
        Error err = DarajaError(*res);
        if (attempt == 0 && err.extra.value("errorCode", "") == kInvalidToken) {
            tokens_.Invalidate(*token);  // expired or invalidated early: one retry with a fresh token
            continue;
        }
        return tl::unexpected(err);
    }
}

Result<StkPushAck> HttpDarajaClient::StkPush(const StkPushRequest& request) {
    const std::string timestamp = core::DarajaTimestamp(clock_());
    json body = {
        {"BusinessShortCode", settings_.shortcode},
        {"Password", StkPassword(settings_.shortcode, settings_.passkey, timestamp)},
        {"Timestamp", timestamp},
        {"TransactionType", settings_.transaction_type},
        {"Amount", request.amount},
        {"PartyA", request.phone_number},
        {"PartyB", settings_.party_b},
        {"PhoneNumber", request.phone_number},
        {"CallBackURL", request.callback_url},
        {"AccountReference", request.account_reference},
        {"TransactionDesc", request.transaction_desc},
    };
    auto res = PostJson("/mpesa/stkpush/v1/processrequest", body);
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

Result<StkQueryAnswer> HttpDarajaClient::StkQuery(const std::string& checkout_request_id) {
    const std::string timestamp = core::DarajaTimestamp(clock_());
    json body = {
        {"BusinessShortCode", settings_.shortcode},
        {"Password", StkPassword(settings_.shortcode, settings_.passkey, timestamp)},
        {"Timestamp", timestamp},
        {"CheckoutRequestID", checkout_request_id},
    };
    auto res = PostJson("/mpesa/stkpushquery/v1/query", body);
    if (!res) {
        // Daraja answers an open prompt with HTTP 500 "The transaction is being processed" (REFERENCE §4).
        const auto& extra = res.error().extra;
        if (extra.is_object() && extra.value("errorCode", "") == "500.001.1001" &&
            extra.value("errorMessage", "").find("being processed") != std::string::npos) {
            return StkQueryAnswer{true, "", ""};
        }
        return tl::unexpected(res.error());
    }
    return StkQueryAnswer{false, Field(*res, "ResultCode"), Field(*res, "ResultDesc")};
}

Result<AsyncAck> HttpDarajaClient::PostAsync(const std::string& path, const json& body) {
    if (settings_.initiator_name.empty() || settings_.security_credential.empty()) {
        return tl::unexpected(Error::Make(ErrorCode::kUpstreamUnavailable,
                                          "the M-Pesa initiator is not configured (MPESA_INITIATOR_NAME and "
                                          "MPESA_INITIATOR_PASSWORD with MPESA_CERT_PATH, or "
                                          "MPESA_SECURITY_CREDENTIAL)"));
    }
    auto res = PostJson(path, body);
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

Result<AsyncAck> HttpDarajaClient::B2cPayment(const B2cRequest& r) {
    json body = {
        {"OriginatorConversationID", r.originator_conversation_id},
        {"InitiatorName", settings_.initiator_name},
        {"SecurityCredential", settings_.security_credential},
        {"CommandID", r.command_id},
        {"Amount", r.amount},
        {"PartyA", settings_.b2c_shortcode},
        {"PartyB", r.phone_number},
        {"Remarks", r.remarks},
        {"QueueTimeOutURL", r.timeout_url},
        {"ResultURL", r.result_url},
    };
    if (!r.occasion.empty()) body["Occasion"] = r.occasion;
    return PostAsync("/mpesa/b2c/v3/paymentrequest", body);
}

Result<AsyncAck> HttpDarajaClient::Reversal(const ReversalRequest& r) {
    json body = {
        {"Initiator", settings_.initiator_name},
        {"SecurityCredential", settings_.security_credential},
        {"CommandID", "TransactionReversal"},
        {"TransactionID", r.transaction_id},
        {"Amount", r.amount},
        {"ReceiverParty", settings_.shortcode},
        {"RecieverIdentifierType", "11"},  // Daraja's spelling (REFERENCE §6)
        {"ResultURL", r.result_url},
        {"QueueTimeOutURL", r.timeout_url},
        {"Remarks", r.remarks},
    };
    if (!r.occasion.empty()) body["Occasion"] = r.occasion;
    return PostAsync("/mpesa/reversal/v1/request", body);
}

Result<AsyncAck> HttpDarajaClient::AccountBalance(const BalanceRequest& r) {
    json body = {
        {"Initiator", settings_.initiator_name},
        {"SecurityCredential", settings_.security_credential},
        {"CommandID", "AccountBalance"},
        {"PartyA", settings_.b2c_shortcode},
        {"IdentifierType", "4"},
        {"Remarks", r.remarks},
        {"QueueTimeOutURL", r.timeout_url},
        {"ResultURL", r.result_url},
    };
    return PostAsync("/mpesa/accountbalance/v1/query", body);
}

Result<AsyncAck> HttpDarajaClient::TransactionStatus(const StatusRequest& r) {
    json body = {
        {"Initiator", settings_.initiator_name},
        {"SecurityCredential", settings_.security_credential},
        {"CommandID", "TransactionStatusQuery"},
        {"PartyA", r.b2c_party ? settings_.b2c_shortcode : settings_.shortcode},
        {"IdentifierType", "4"},
        {"ResultURL", r.result_url},
        {"QueueTimeOutURL", r.timeout_url},
        {"Remarks", r.remarks},
    };
    if (!r.transaction_id.empty()) body["TransactionID"] = r.transaction_id;
    if (!r.original_conversation_id.empty()) body["OriginalConversationID"] = r.original_conversation_id;
    if (!r.occasion.empty()) body["Occasion"] = r.occasion;
    return PostAsync("/mpesa/transactionstatus/v1/query", body);
}

}  // namespace haven::daraja
