// Outbound callbacks/results: scheduled on the worker pool, every attempt recorded for /sim/v1/callbacks.
#include <thread>

#include <spdlog/spdlog.h>

#include "sim/core.hpp"
#include "sim/redact.hpp"

namespace haven::sim {

void Core::Schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
    uint64_t scheduled_epoch = 0;
    {
        std::lock_guard lock(mu);
        scheduled_epoch = epoch;
    }
    std::weak_ptr<Core> weak = weak_from_this();
    auto task = [weak, scheduled_epoch, fn = std::move(fn)]() {
        auto self = weak.lock();
        if (!self || self->stopped) return;
        {
            std::lock_guard lock(self->mu);
            if (self->epoch != scheduled_epoch) return;
        }
        try {
            fn();
        } catch (const std::exception& e) {
            spdlog::error("simulator: scheduled task failed: {}", e.what());
        }
    };
    if (delay.count() <= 0) {
        runtime.Post(std::move(task));
    } else {
        runtime.PostAfter(delay, std::move(task));
    }
}

core::Result<net::ClientResponse> Core::PostJson(const std::string& kind, const std::string& url, const Json& body,
                                                 int attempt, std::chrono::milliseconds timeout) {
    net::ClientRequest request;
    request.method = "POST";
    request.url = url;
    request.headers["Content-Type"] = "application/json";
    request.body = body.dump();
    request.timeout = timeout;
    auto start = std::chrono::steady_clock::now();
    auto result = client.Send(request);
    auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    Json entry = {{"kind", kind},
                  {"url", MaskUrl(url)},  // the receiver's secret rides in the URL (redact.hpp)
                  {"attempt", attempt},
                  {"status", result ? result->status : 0},
                  {"latencyMs", latency.count()},
                  {"time", FormatEat(Now(), "%Y-%m-%dT%H:%M:%S+03:00")},
                  {"body", body}};
    if (!result) {
        entry["error"] = ScrubUrlSecrets(result.error().message, url);  // "bad port in URL: <url>"
    } else {
        // A receiver's error page may echo the path it was called on, secret included.
        std::string text = ScrubUrlSecrets(result->body, url);
        Json parsed = Json::parse(text, nullptr, false);
        entry["response"] = parsed.is_discarded() ? Json(text) : parsed;
    }
    {
        std::lock_guard lock(mu);
        entry["id"] = next_log_id++;
        callback_log.push_back(std::move(entry));
        while (callback_log.size() > options.max_logged) callback_log.pop_front();
    }
    spdlog::debug("simulator: {} -> {} status {} in {} ms", kind, MaskUrl(url),
                  result ? result->status : 0, latency.count());
    return result;
}

void Core::Deliver(const Delivery& d) {
    if (d.url.empty()) return;
    for (int copy = 0; copy < d.times && !stopped; ++copy) {
        for (int attempt = 1; attempt <= 1 + std::max(0, options.callback_retries) && !stopped; ++attempt) {
            auto res = PostJson(d.kind, d.url, d.body, attempt, options.callback_timeout);
            if (res && res->status >= 200 && res->status < 300) break;
            if (attempt <= options.callback_retries) std::this_thread::sleep_for(options.callback_retry_delay);
        }
    }
}

}  // namespace haven::sim
