// Outbound callbacks/results: timers and HttpClient::SendAsync (no thread waits for a delay or an answer),
// every attempt recorded for /sim/v1/callbacks.
#include <spdlog/spdlog.h>

#include <memory>

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

namespace {

net::ClientRequest JsonPost(const std::string& url, const Json& body, std::chrono::milliseconds timeout) {
    net::ClientRequest request;
    request.method = "POST";
    request.url = url;
    request.headers["Content-Type"] = "application/json";
    request.body = body.dump();
    request.timeout = timeout;
    return request;
}

/// Records one attempt in the callback log (masked: the receiver's secret rides in the URL, redact.hpp).
void RecordAttempt(Core& c, const std::string& kind, const std::string& url, const Json& body, int attempt,
                   std::chrono::steady_clock::time_point start, const core::Result<net::ClientResponse>& result) {
    auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    Json entry = {{"kind", kind},
                  {"url", MaskUrl(url)},
                  {"attempt", attempt},
                  {"status", result ? result->status : 0},
                  {"latencyMs", latency.count()},
                  {"time", FormatEat(c.Now(), "%Y-%m-%dT%H:%M:%S+03:00")},
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
        std::lock_guard lock(c.mu);
        entry["id"] = c.next_log_id++;
        c.callback_log.push_back(std::move(entry));
        while (c.callback_log.size() > c.options.max_logged) c.callback_log.pop_front();
    }
    spdlog::debug("simulator: {} -> {} status {} in {} ms", kind, MaskUrl(url), result ? result->status : 0,
                  latency.count());
}

/// One Deliver in progress: which copy and attempt comes next.
struct DeliveryRun {
    Delivery d;
    std::function<void()> done;
    uint64_t epoch = 0;
    int copy = 0;
    int attempt = 1;
};

void Finished(const std::shared_ptr<DeliveryRun>& run) {
    if (run->done) run->done();
}

/// Sends the attempt `run` points at; its completion moves on to the next attempt, copy, or done.
void NextAttempt(const std::weak_ptr<Core>& weak, std::shared_ptr<DeliveryRun> run) {
    auto c = weak.lock();
    if (!c || c->stopped || run->copy >= run->d.times) return Finished(run);
    {
        std::lock_guard lock(c->mu);
        if (c->epoch != run->epoch) return Finished(run);  // reset meanwhile: the old world's callbacks stop
    }
    c->PostJsonAsync(run->d.kind, run->d.url, run->d.body, run->attempt, c->options.callback_timeout,
                     [weak, run](core::Result<net::ClientResponse> res) {
                         auto c = weak.lock();
                         if (!c) return Finished(run);
                         bool ok = res && res->status >= 200 && res->status < 300;
                         if (!ok && run->attempt <= c->options.callback_retries) {
                             ++run->attempt;
                             // A timer, not a sleep: the pool thread goes back to serving requests.
                             c->runtime.PostAfter(c->options.callback_retry_delay,
                                                  [weak, run]() { NextAttempt(weak, run); });
                             return;
                         }
                         ++run->copy;
                         run->attempt = 1;
                         NextAttempt(weak, run);
                     });
}

}  // namespace

core::Result<net::ClientResponse> Core::PostJson(const std::string& kind, const std::string& url, const Json& body,
                                                 int attempt, std::chrono::milliseconds timeout) {
    auto start = std::chrono::steady_clock::now();
    auto result = client.Send(JsonPost(url, body, timeout));
    RecordAttempt(*this, kind, url, body, attempt, start, result);
    return result;
}

void Core::PostJsonAsync(const std::string& kind, const std::string& url, const Json& body, int attempt,
                         std::chrono::milliseconds timeout,
                         std::function<void(core::Result<net::ClientResponse>)> done) {
    auto start = std::chrono::steady_clock::now();
    std::weak_ptr<Core> weak = weak_from_this();
    client.SendAsync(JsonPost(url, body, timeout), [weak, kind, url, body, attempt, start,
                                                    done = std::move(done)](core::Result<net::ClientResponse> result) {
        if (auto c = weak.lock()) RecordAttempt(*c, kind, url, body, attempt, start, result);
        done(std::move(result));
    });
}

void Core::Deliver(Delivery d, std::function<void()> done) {
    auto run = std::make_shared<DeliveryRun>();
    run->d = std::move(d);
    run->done = std::move(done);
    if (run->d.url.empty()) run->d.times = 0;
    {
        std::lock_guard lock(mu);
        run->epoch = epoch;
    }
    NextAttempt(weak_from_this(), std::move(run));
}

void Core::DeliverAll(std::vector<Delivery> deliveries, std::function<void()> done) {
    if (deliveries.empty()) {
        if (done) done();
        return;
    }
    Delivery first = std::move(deliveries.front());
    deliveries.erase(deliveries.begin());
    std::weak_ptr<Core> weak = weak_from_this();
    Deliver(std::move(first), [weak, rest = std::move(deliveries), done = std::move(done)]() mutable {
        auto c = weak.lock();
        if (!c) {
            if (done) done();
            return;
        }
        c->DeliverAll(std::move(rest), std::move(done));
    });
}

}  // namespace haven::sim
