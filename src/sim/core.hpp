#pragma once
// Private to sim/: the simulator's shared state and the helpers every API file uses. One mutex
// guards all state; handlers run on the worker pool (never the I/O thread), so short blocking work (RSA)
// is allowed here, but nothing waits on a thread: slowMs, callback delays and retries are timers
// (Runtime::PostAfter) and callbacks go out through HttpClient::SendAsync.
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "net/http.hpp"
#include "net/http_client.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"
#include "sim/credential.hpp"
#include "sim/ids.hpp"
#include "sim/ledger.hpp"
#include "sim/rules.hpp"
#include "sim/simulator.hpp"
#include "sim/wire.hpp"

namespace haven::sim {

using Json = nlohmann::json;

struct StkSession {
    std::string merchant_request_id;
    std::string checkout_request_id;
    std::string phone;
    std::string party_a;  // the paying customer (rule limit, docs/daraja.md §12.4)
    std::string shortcode;
    std::string party_b;
    std::string transaction_type;
    std::string callback_url;
    std::string account_reference;
    int64_t amount = 0;
    TimePoint created;
    TimePoint expires;
    bool waiting_phone = false;
    bool final = false;
    std::string result_code;
    std::string result_desc;
    std::string receipt;
    TimePoint completed;
    RuleThen plan;
};

struct C2bRegistration {
    std::string shortcode;
    std::string response_type;
    std::string confirmation_url;
    std::string validation_url;
    int version = 1;
};

struct AccessToken {
    TimePoint expires;
};

/// A planned callback: where, what, how many times (0 = never).
struct Delivery {
    std::string kind;
    std::string url;
    Json body;
    int times = 1;
};

/// What every B2C-family request (B2C, reversal, balance, status) carries: the ids of its ack and
/// Result, the initiator, and where the Result or the queue timeout goes.
struct AsyncRequest {
    std::string originator_id;
    std::string conversation_id;
    std::string initiator;
    std::string credential;
    std::string result_url;
    std::string queue_timeout_url;
};

class Core : public std::enable_shared_from_this<Core> {
  public:
    Core(net::Runtime& runtime, SimulatorOptions options, CredentialKey key);

    net::Runtime& runtime;
    const SimulatorOptions options;
    net::HttpClient client;
    IdGenerator ids;
    CredentialKey key;
    std::atomic<bool> stopped{false};

    std::mutex mu;  // guards everything below
    Ledger ledger;
    RuleSet rules;
    std::map<std::string, AccessToken> tokens;
    std::map<std::string, StkSession> stk;
    std::map<std::string, std::string> phone_locks;  // MSISDN -> CheckoutRequestID
    std::set<std::string> originator_ids;            // B2C v3 ids seen
    std::map<std::string, C2bRegistration> c2b;      // by shortcode
    std::deque<Json> request_log;
    std::deque<Json> callback_log;
    std::deque<Json> sms;  // Africa's Talking SMS received (sms.cpp), oldest first
    uint64_t next_sms_id = 1;
    std::map<uint64_t, net::Reply> slow_replies;  // answers a slowMs timer still holds; Stop answers them
    uint64_t next_slow_id = 1;
    uint64_t epoch = 0;  // bumped by reset: scheduled work from an older epoch does nothing
    uint64_t next_log_id = 1;

    TimePoint Now() const;
    /// Daraja's envelope {requestId, errorCode, errorMessage}; HTTP status from the code's first digits.
    net::Response DarajaError(const std::string& code, const std::string& message, std::string request_id = {},
                              int status = 0);
    net::Response BadRequest(const std::string& field) {
        return DarajaError("400.002.02", "Bad Request - Invalid " + field);
    }
    /// Bearer token check: 404.001.04 for a missing/malformed header, 404.001.03 for unknown/expired.
    std::optional<net::Response> CheckBearer(const net::Request& req);
    /// Content type + JSON object parse. first_field names the 400.002.02 for a non-JSON content type.
    std::optional<net::Response> ParseJson(const net::Request& req, const std::string& first_field, Json& out);
    /// First matching rule (counts the hit).
    std::optional<RuleThen> MatchRule(const std::string& api, const RuleSubject& subject);
    /// invalidateToken and httpStatus/errorCode of a matched rule; a response means "answer this". (slowMs is a
    /// timer in the Daraja route, before this runs: see AddDarajaRoute.)
    std::optional<net::Response> ApplyFaults(const std::optional<RuleThen>& rule, const net::Request& req);
    /// The rule's delayMs or callback_delay.
    std::chrono::milliseconds OutcomeDelay(const std::optional<RuleThen>& rule) const;

    /// Runs fn on the worker pool after delay, unless the simulator stopped or was reset meanwhile.
    void Schedule(std::chrono::milliseconds delay, std::function<void()> fn);
    /// One POST attempt, recorded in the callback log. Blocking (worker pool only): for the C2B validation
    /// call, whose answer decides the payment.
    core::Result<net::ClientResponse> PostJson(const std::string& kind, const std::string& url, const Json& body,
                                               int attempt, std::chrono::milliseconds timeout);
    /// The same attempt without waiting; `done` runs on the worker pool with the answer.
    void PostJsonAsync(const std::string& kind, const std::string& url, const Json& body, int attempt,
                       std::chrono::milliseconds timeout, std::function<void(core::Result<net::ClientResponse>)> done);
    /// Delivers d.times copies one after the other, each with up to callback_retries extra attempts
    /// callback_retry_delay apart (a timer, not a sleep). Returns at once; `done` (if any) runs on the pool
    /// after the last attempt, or when the simulator stopped or was reset meanwhile.
    void Deliver(Delivery d, std::function<void()> done = {});
    /// Delivers each in turn (see Deliver), then runs done.
    void DeliverAll(std::vector<Delivery> deliveries, std::function<void()> done);
    /// Answers every request a slowMs timer still holds with 503 (Simulator::Stop), so no connection waits on
    /// a stopped simulator.
    void AnswerSlowReplies();

    /// 0 when the initiator and its SecurityCredential are good, 2001 otherwise. Blocking (RSA).
    int CheckInitiator(const std::string& initiator, const std::string& credential);

    /// `received`: when the request arrived (wall clock), logged with the answer time in milliseconds so a test can
    /// tell whether two requests overlapped (e.g. two gateways querying one push at once). Unset = now.
    void LogRequest(const net::Request& req, int status,
                    std::optional<std::chrono::system_clock::time_point> received = std::nullopt);
    void ResetState();
};

/// One Daraja request as its API sees it, after the checks every Daraja route makes.
struct DarajaCall {
    net::Request& req;
    Json body;                     // the parsed JSON object (empty for GET)
    std::optional<RuleThen> rule;  // the scenario rule that matched, if any
    /// outOfOrder callbacks/results: delivered before the synchronous answer is sent.
    std::vector<Delivery> before_answer;
    std::chrono::system_clock::time_point received = std::chrono::system_clock::now();
};

/// What a Daraja route checks before its API runs, and the API itself.
struct DarajaApi {
    std::string rule_api;     // the scenario rule "api" it matches ("stkpush", "b2c", ...)
    bool bearer = true;       // Authorization: Bearer checked first (OAuth uses Basic, checked by the API)
    std::string first_field;  // expects a JSON object; names the 400.002.02 for another content type. "" = no body
    std::function<RuleSubject(const Json& body)> subject;  // what rules match on; empty = nothing
    std::function<net::Response(Core&, DarajaCall&)> run;
};

/// Registers an API (plus 405.001 answers for the other verbs) as an async route, in Daraja's order: the bearer
/// token, the JSON body, the scenario rule, the rule's slowMs (a timer: the thread goes back to the pool), its
/// other faults, then the API. Logs each request.
void AddDarajaRoute(net::Router& router, const std::shared_ptr<Core>& core, const std::string& method,
                    const std::string& path, DarajaApi api);

// Builders shared by results (docs/daraja.md §1.4): one-item Key/Value lists collapse to a bare object.
Json KeyValueList(Json items);
Json KeyValue(const std::string& key, Json value);
Json KeyOnly(const std::string& key);
Json ResultEnvelope(Json result_code, const std::string& desc, const std::string& originator_id,
                    const std::string& conversation_id, const std::string& transaction_id, Json parameters,
                    Json reference_items, int result_type = 0);
/// Usual ResultDesc for a result code (B2C/reversal/balance/status).
std::string ResultDescFor(const std::string& code);
/// Result code as Daraja writes it: a number when numeric, else the string ("R000002").
Json ResultCodeJson(const std::string& code);
/// The Daraja-like "ack" for B2C-family requests.
Json AsyncAck(const std::string& originator_id, const std::string& conversation_id);
/// The "queued too long" notification for QueueTimeOutURL (docs/daraja.md §5.4, shape unconfirmed).
Json QueueTimeoutBody(const std::string& originator_id, const std::string& conversation_id,
                      const std::string& transaction_id);

// The steps every B2C-family Result shares; `api` names the deliveries ("b2c" -> "b2c.result", "b2c.timeout").
/// The code a Result starts from: 2001 for a bad initiator, else the rule's resultCode, else "0". Blocking (RSA).
std::string InitialResultCode(Core& c, const AsyncRequest& r, const std::optional<RuleThen>& rule);
/// A rule's queueTimeout: the notification posted to QueueTimeOutURL instead of the Result.
std::optional<Delivery> QueueTimeoutDelivery(Core& c, const std::string& api, const AsyncRequest& r,
                                             const std::optional<RuleThen>& rule, TimePoint now);
/// The rule's resultDesc, else the usual one for the code.
std::string ResultDesc(const std::string& code, const std::optional<RuleThen>& rule);
/// The Result to ResultURL, posted as many times as the rule says (once by default).
Delivery ResultDelivery(const std::string& api, const AsyncRequest& r, Json body, const std::optional<RuleThen>& rule);
/// Posts the Result `outcome` decides: before the ack is answered when the rule says outOfOrder, else on the
/// worker pool after the outcome delay.
void SendOutcome(Core& c, DarajaCall& call, std::function<Delivery(Core&)> outcome);

/// The usual end of a B2C-family request: fresh ids, the Result sent by `outcome`, the ack answered.
template <class R>
net::Response AcceptAsync(Core& c, DarajaCall& call, R r,
                          Delivery (*outcome)(Core&, const R&, const std::optional<RuleThen>&)) {
    r.originator_id = c.ids.RequestStyleId();
    r.conversation_id = c.ids.ConversationId(c.Now());
    SendOutcome(c, call, [r, rule = call.rule, outcome](Core& core) { return outcome(core, r, rule); });
    return net::Response::Json(200, AsyncAck(r.originator_id, r.conversation_id));
}

/// Initiator name + SecurityCredential shape (non-empty base64); fills both or answers 400.002.02.
std::optional<net::Response> ReadInitiator(Core& c, const Json& body, const char* initiator_key, std::string& initiator,
                                           std::string& credential);
/// A required http(s) URL field; 400.002.02 Invalid <key> otherwise.
std::optional<net::Response> ReadUrl(Core& c, const Json& body, const char* key, std::string& url);
/// "<MSISDN> - <customer name>" / "<shortcode> - <org name>".
std::string CustomerPublicName(const Core& c, const std::string& msisdn);
std::string OrgPublicName(const std::string& shortcode);

void RegisterOauth(net::Router& router, const std::shared_ptr<Core>& core);
void RegisterStk(net::Router& router, const std::shared_ptr<Core>& core);
void RegisterB2c(net::Router& router, const std::shared_ptr<Core>& core);
void RegisterReversal(net::Router& router, const std::shared_ptr<Core>& core);
void RegisterBalance(net::Router& router, const std::shared_ptr<Core>& core);
void RegisterStatus(net::Router& router, const std::shared_ptr<Core>& core);
void RegisterC2b(net::Router& router, const std::shared_ptr<Core>& core);
void RegisterControl(net::Router& router, const std::shared_ptr<Core>& core);
/// Africa's Talking's POST /version1/messaging (sms.cpp).
void RegisterSms(net::Router& router, const std::shared_ptr<Core>& core);
/// GET /sim/v1/sms?phone=: the SMS received, oldest first (all when no phone is given).
net::Response ListSms(Core& c, net::Request& req);

/// STK outcome helpers used by the control API (virtual phone).
/// Makes the session final with code (no-op when already final) and returns the callbacks to send.
std::optional<Delivery> FinalizeStk(Core& core, const std::string& checkout_request_id, const std::string& code,
                                    std::optional<std::string> desc = std::nullopt);
std::string StkResultDesc(const std::string& code, bool for_query);
Json StkCallbackBody(const StkSession& s);
Json StkQueryBody(const StkSession& s);

}  // namespace haven::sim
