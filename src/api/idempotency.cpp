#include "api/idempotency.hpp"

#include "api/answer_later.hpp"
#include "api/b2c.hpp"
#include "api/dto.hpp"
#include "api/respond.hpp"
#include "core/hex.hpp"
#include "service/leases.hpp"

namespace haven::api {

using core::ErrorCode;

namespace {

bool ValidKey(const std::string& key) {
    if (key.empty() || key.size() > 255) return false;
    for (unsigned char c : key) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
}

/// The answer to a retry whose first request died after writing its transaction: that transaction as it is now.
net::Response Recovered(const ApiContext& ctx, int64_t agency_id, int64_t transaction_id) {
    auto kind = ctx.store.FindTransactionKind(agency_id, transaction_id);
    if (!kind) return ErrorResponse(kind.error());
    nlohmann::json data;
    if (*kind == core::TxKind::kStk) {
        auto tx = ctx.store.FindStk(agency_id, transaction_id);
        if (!tx) return ErrorResponse(tx.error());
        auto external = service::LeaseExternalId(ctx.store, agency_id, tx->lease_id);
        if (!external) return ErrorResponse(external.error());
        data = TransactionJson(*tx, *external);
    } else {
        auto t = ctx.store.FindTransfer(agency_id, transaction_id);
        if (!t) return ErrorResponse(t.error());
        data = TransferJson(*t);
    }
    data["transactionId"] = transaction_id;
    data["recovered"] = true;  // the first attempt's answer was lost; this is its transaction now
    net::Response res = Ok(std::move(data));
    res.headers["Idempotent-Replayed"] = "true";
    return res;
}

/// The answer is 503 UNAVAILABLE (not DARAJA_UNAVAILABLE, whose outcome the reconciler settles under the key).
bool DatabaseUnavailable(const net::Response& res) {
    if (res.status != 503) return false;
    const auto body = nlohmann::json::parse(res.body, nullptr, false);
    return body.is_object() && body.contains("error") && body["error"].is_object() &&
           body["error"].value("code", "") == net::ToHttp(ErrorCode::kUnavailable).code;
}

}  // namespace

void WithIdempotency(const net::Request& req, const ApiContext& ctx, int64_t agency_id, const std::string& scope,
                     const nlohmann::json& body, const IdempotentWork& run, net::Reply reply, IdempotencyKey rule) {
    auto key = req.Header("Idempotency-Key");
    if (!key && rule == IdempotencyKey::kRequired) {
        return reply(ErrorResponse(core::Error::Validation(
            "Idempotency-Key",
            "this request moves money, so it needs an Idempotency-Key header: a new UUID per attempt is ideal, "
            "and the same key again when retrying that attempt (so it never pays twice)")));
    }
    if (!key) return run(std::nullopt, std::move(reply));
    if (!ValidKey(*key)) {
        return reply(ErrorResponse(core::Error::Validation(
            "Idempotency-Key", "Idempotency-Key must be 1-255 visible ASCII characters (a UUID is ideal)")));
    }
    // nlohmann orders object keys, so the same fields in another order hash the same.
    const std::string hash = core::Sha256Hex(body.dump());
    auto claim = ctx.store.ClaimIdempotencyKey(agency_id, scope, *key, hash, ctx.settings.idempotency_claim_seconds);
    if (!claim) return reply(ErrorResponse(claim.error()));
    switch (claim->state) {
        case storage::IdempotencyState::kReplay: {
            net::Response res;
            res.status = claim->status;
            res.headers["Content-Type"] = "application/json; charset=utf-8";
            res.headers["Idempotent-Replayed"] = "true";
            res.body = claim->body;
            return reply(std::move(res));
        }
        case storage::IdempotencyState::kMismatch:
            return reply(ErrorResponse(ErrorCode::kIdempotencyMismatch,
                                       "this Idempotency-Key was already used with a different request body; "
                                       "use a new key for a new request"));
        case storage::IdempotencyState::kInProgress:
            return reply(
                ErrorResponse(ErrorCode::kConflict,
                              "a request with this Idempotency-Key is still being processed; retry in a moment"));
        case storage::IdempotencyState::kRecovered:
            return reply(Recovered(ctx, agency_id, *claim->transaction_id));
        case storage::IdempotencyState::kNew:
            break;
    }
    storage::IdempotencyRef ref{agency_id, scope, *key};
    // Every answer given after the claim is final for this key, failures included: a retry must not prompt the
    // phone (or pay) a second time when the outcome of the first try is unknown. A request that ended without an
    // answer (a fault) leaves its claim to run out, like a process that died: the retry then recovers its row.
    run(ref, Before(
                 std::move(reply),
                 [&ctx, ref](net::Response& res) {
                     // 503 UNAVAILABLE: the database failed under the request (a failover), so whether its writes
                     // committed is unknown. Like a process that died, it leaves its claim to run out: a retry with
                     // the key then recovers the row the request wrote, or runs it again when it wrote none.
                     if (DatabaseUnavailable(res)) return;
                     auto done =
                         ctx.store.CompleteIdempotencyKey(ref.agency_id, ref.scope, ref.key, res.status, res.body);
                     if (!done) res = ErrorResponse(done.error());
                 },
                 OnDropped::kSkip));
}

}  // namespace haven::api
