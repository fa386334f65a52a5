#include "api/answer_later.hpp"

#include <memory>

#include "api/respond.hpp"

namespace haven::api {

using core::ErrorCode;

net::Reply Before(net::Reply reply, std::function<void(net::Response&)> first, OnDropped on_dropped) {
    auto dropped = std::make_shared<bool>(false);
    return net::Reply(
        [reply = std::move(reply), first = std::move(first), dropped, on_dropped](net::Response res) {
            if (!*dropped || on_dropped == OnDropped::kRun) first(res);
            reply(std::move(res));
        },
        [dropped] {
            *dropped = true;
            return ErrorResponse(ErrorCode::kInternal, "internal error: the request ended without an answer");
        });
}

net::AsyncHandler CallsDaraja(ApiContext& ctx, net::AsyncHandler handler) {
    return [&ctx, handler = std::move(handler)](net::Request& req, net::Reply reply) {
        auto permit = ctx.daraja_limit.TryAcquire();
        if (!permit) {
            net::Response busy = ErrorResponse(
                ErrorCode::kDarajaBusy, "M-Pesa is answering slowly and " + std::to_string(ctx.daraja_limit.limit()) +
                                            " requests already wait on it; nothing was done: retry in a moment");
            busy.headers["Retry-After"] = "1";
            reply(std::move(busy));
            return;
        }
        // The permit goes back with the answer (or with the 500 of a dropped reply).
        handler(req,
                Before(std::move(reply), [permit = std::move(permit)](net::Response&) mutable { permit.reset(); }));
    };
}

}  // namespace haven::api
