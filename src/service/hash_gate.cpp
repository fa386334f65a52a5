#include "service/hash_gate.hpp"

#include <algorithm>

namespace haven::service {

HashGate::HashGate(int concurrency, int queue)
    : concurrency_(std::max(concurrency, 1)), queue_(std::max(queue, 0)), slots_(concurrency_) {}

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
