#pragma once
// The Daraja API as our services see it: typed requests and answers, errors as values.
// HttpDarajaClient (http_daraja_client.hpp) speaks the wire format; tests of services may fake this.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace haven::daraja {

using core::Result;

struct StkPushRequest {
    std::string phone_number;  // normalised 2547XXXXXXXX
    int64_t amount = 0;
    std::string account_reference;
    std::string transaction_desc;
    std::string callback_url;  // full URL including our callback secret
};

/// Daraja's synchronous acceptance of an STK push ("prompt queued", not paid).
struct StkPushAck {
    std::string merchant_request_id;
    std::string checkout_request_id;
    std::string response_code;
    std::string response_description;
    std::string customer_message;
};

/// STK query: pending while the prompt is open, then the final ResultCode.
struct StkQueryAnswer {
    bool pending = false;
    std::string result_code;  // "0", "1032", ...
    std::string result_desc;
};

/// B2C v3 payment (docs/daraja.md §5): our own OriginatorConversationID, persisted before the call.
struct B2cRequest {
    std::string originator_conversation_id;
    std::string command_id;  // BusinessPayment | SalaryPayment | PromotionPayment
    int64_t amount = 0;
    std::string phone_number;  // PartyB, normalised
    std::string remarks;
    std::string occasion;  // optional
    std::string result_url;
    std::string timeout_url;
};

/// Reversal of a received payment (docs/daraja.md §6).
struct ReversalRequest {
    std::string transaction_id;  // M-Pesa receipt of the payment
    int64_t amount = 0;
    std::string remarks;
    std::string occasion;
    std::string result_url;
    std::string timeout_url;
};

/// Account balance query (docs/daraja.md §7).
struct BalanceRequest {
    std::string remarks;
    std::string result_url;
    std::string timeout_url;
};

/// Transaction status query (docs/daraja.md §8): by receipt, or by the original conversation id.
struct StatusRequest {
    std::string transaction_id;            // receipt, may be empty
    std::string original_conversation_id;  // used when the receipt is unknown
    bool b2c_party = true;                 // PartyA: the B2C shortcode (else the STK shortcode)
    std::string remarks;
    std::string occasion;
    std::string result_url;
    std::string timeout_url;
};

/// The synchronous ack of the async APIs above ("request queued"; the outcome comes as a Result).
struct AsyncAck {
    std::string originator_conversation_id;
    std::string conversation_id;
    std::string response_code;
    std::string response_description;
};

/// C2B register URL (REFERENCE §9.1): POST /mpesa/c2b/v<version>/registerurl. The version must match the API
/// product of the Daraja app (v1 sends the payer's MSISDN hashed, v2 masked).
struct C2bRegisterRequest {
    int version = 2;            // 1 | 2
    std::string shortcode;      // the paybill or till (head office) number
    std::string response_type;  // Completed | Cancelled: what M-Pesa does when validation is unreachable or late
    std::string confirmation_url;
    std::string validation_url;
};

/// Daraja's acceptance of the URLs (note its spelling OriginatorCoversationID on the wire).
struct C2bRegisterAck {
    std::string originator_conversation_id;
    std::string response_code;
    std::string response_description;
};

/// Completion of an asynchronous call: runs once, with the answer or the error.
template <class T>
using Done = std::function<void(Result<T>)>;

class DarajaClient {
  public:
    virtual ~DarajaClient() = default;
    /// kUpstream (Daraja's errorCode/errorMessage in Error::extra) or kUpstreamUnavailable on failure.
    virtual Result<StkPushAck> StkPush(const StkPushRequest& request) = 0;
    virtual Result<StkQueryAnswer> StkQuery(const std::string& checkout_request_id) = 0;
    /// The initiator APIs; the default refuses (fakes that only do STK need not implement them).
    virtual Result<AsyncAck> B2cPayment(const B2cRequest&) { return NotSupported(); }
    virtual Result<AsyncAck> Reversal(const ReversalRequest&) { return NotSupported(); }
    virtual Result<AsyncAck> AccountBalance(const BalanceRequest&) { return NotSupported(); }
    virtual Result<AsyncAck> TransactionStatus(const StatusRequest&) { return NotSupported(); }
    /// C2B register URL; Daraja's refusal ("Urls are already registered.", errorCode 500.003.1001) is kUpstream
    /// with its errorCode/errorMessage in Error::extra.
    virtual Result<C2bRegisterAck> RegisterC2bUrls(const C2bRegisterRequest&) { return NotSupported<C2bRegisterAck>(); }

    /// The same calls without holding the caller's thread while Daraja answers: `done` runs once, on the worker
    /// pool (it may write to the database). The defaults call the blocking ones in place (fakes in unit tests).
    virtual void StkPushAsync(const StkPushRequest& r, Done<StkPushAck> done) { done(StkPush(r)); }
    virtual void StkQueryAsync(const std::string& checkout_request_id, Done<StkQueryAnswer> done) {
        done(StkQuery(checkout_request_id));
    }
    virtual void B2cPaymentAsync(const B2cRequest& r, Done<AsyncAck> done) { done(B2cPayment(r)); }
    virtual void ReversalAsync(const ReversalRequest& r, Done<AsyncAck> done) { done(Reversal(r)); }
    virtual void AccountBalanceAsync(const BalanceRequest& r, Done<AsyncAck> done) { done(AccountBalance(r)); }
    virtual void TransactionStatusAsync(const StatusRequest& r, Done<AsyncAck> done) { done(TransactionStatus(r)); }
    virtual void RegisterC2bUrlsAsync(const C2bRegisterRequest& r, Done<C2bRegisterAck> done) {
        done(RegisterC2bUrls(r));
    }

  private:
    template <class T = AsyncAck>
    static Result<T> NotSupported() {
        return core::Fail(core::ErrorCode::kUpstreamUnavailable, "this Daraja client does not support the API");
    }
};

}  // namespace haven::daraja
