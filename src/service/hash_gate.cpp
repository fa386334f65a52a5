#include "service/hash_gate.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace haven::service {

HashGate::HashGate(int concurrency, int queue)
    : concurrency_(std::max(concurrency, 1)), queue_(std::max(queue, 0)), slots_(concurrency_) {
    for (int i = 0; i < concurrency_; ++i) threads_.emplace_back([this] { Work(); });
}

HashGate::~HashGate() { Stop(); }

void HashGate::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
}

bool HashGate::Submit(std::function<void()> work, std::function<void()> then) {
    if (admitted_.fetch_add(1) >= concurrency_ + queue_) {
        admitted_.fetch_sub(1);
        return false;
    }
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            admitted_.fetch_sub(1);
            return false;
        }
        jobs_.push_back({std::move(work), std::move(then)});
    }
    wake_.notify_one();
    return true;
}

namespace {

void Run(const std::function<void()>& f, const char* what) {
    try {
        f();
    } catch (const std::exception& e) {
        spdlog::error("{} failed: {}", what, e.what());
    } catch (...) {
        spdlog::error("{} failed", what);
    }
}

}  // namespace

void HashGate::Work() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping, and nothing left to run
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        slots_.acquire();
        {
            Permit permit(this);  // gives the slot and the admission back after the work, before `then`
            Run(job.work, "password check");
        }
        if (job.then) Run(job.then, "login answer");
    }
}

std::optional<HashGate::Permit> HashGate::TryEnter() {
    // Admission first: the counter says how many hold or wait for a slot, so a full gate refuses without waiting.
    if (admitted_.fetch_add(1) >= concurrency_ + queue_) {
        admitted_.fetch_sub(1);
        return std::nullopt;
    }
    slots_.acquire();
    return Permit(this);
}

HashGate::Permit::~Permit() {
    if (gate_ == nullptr) return;
    gate_->slots_.release();
    gate_->admitted_.fetch_sub(1);
}

}  // namespace haven::service
