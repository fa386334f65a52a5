#pragma once
// The Daraja API as our services see it: typed requests and answers, errors as values.
// HttpDarajaClient (http_daraja_client.hpp) speaks the wire format; tests of services may fake this.
#include <cstdint>
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

class DarajaClient {
public:
    virtual ~DarajaClient() = default;
    /// kUpstream (Daraja's errorCode/errorMessage in Error::extra) or kUpstreamUnavailable on failure.
    virtual Result<StkPushAck> StkPush(const StkPushRequest& request) = 0;
    virtual Result<StkQueryAnswer> StkQuery(const std::string& checkout_request_id) = 0;
};

}  // namespace haven::daraja
