#pragma once
// Building blocks for routes that answer later (net::AsyncHandler): a step that runs on the answer before it goes
// out, and the bound on requests waiting on Daraja.
#include <functional>

#include "api/context.hpp"
#include "net/http.hpp"

namespace haven::api {

/// Whether `first` (below) also runs on the 500 of a reply that was dropped without an answer.
enum class OnDropped { kRun, kSkip };

/// A Reply that runs `first` on the answer (it may change it) before handing it to `reply`. A dropped inner reply
/// still answers: a 500, on which `first` runs unless `on_dropped` is kSkip.
net::Reply Before(net::Reply reply, std::function<void(net::Response&)> first, OnDropped on_dropped = OnDropped::kRun);

/// A route that waits on Daraja: it holds one of DARAJA_MAX_IN_FLIGHT permits from before it writes anything until
/// it answers. With none left it answers 503 DARAJA_BUSY with Retry-After and does nothing else: no row, no audit
/// row, no Idempotency-Key claimed (so wrap it outside Audited).
net::AsyncHandler CallsDaraja(ApiContext& ctx, net::AsyncHandler handler);

}  // namespace haven::api
