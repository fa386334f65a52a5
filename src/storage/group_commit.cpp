#include "storage/group_commit.hpp"

#include <exception>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

namespace haven::storage {

using core::ErrorCode;
using core::Fail;

/// One caller's unit and the answer it waits for (lives on the caller's stack).
struct GroupCommitter::Pending {
    Unit unit;
    std::optional<Result<void>> outcome;  // the unit's own result, until the batch's fate is known
    bool done = false;
    std::mutex mutex;
    std::condition_variable answered;
};

GroupCommitter::GroupCommitter(SqlDatabase& db) : db_(db), writer_([this] { Loop(); }) {}

GroupCommitter::~GroupCommitter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    arrived_.notify_one();
    writer_.join();
}

Result<void> GroupCommitter::Submit(Unit unit) {
    if (std::this_thread::get_id() == writer_.get_id()) {
        // A unit that submits another would wait for its own batch forever.
        spdlog::error("storage: a unit of work submitted another unit");
        return Fail(ErrorCode::kInternal, "database error");
    }
    Pending pending{.unit = std::move(unit)};
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(&pending);
    }
    arrived_.notify_one();
    std::unique_lock lock(pending.mutex);
    pending.answered.wait(lock, [&] { return pending.done; });
    return std::move(*pending.outcome);
}

void GroupCommitter::Loop() {
    for (;;) {
        std::deque<Pending*> batch;
        {
            std::unique_lock lock(mutex_);
            arrived_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, nothing left
            const auto deadline = std::chrono::steady_clock::now() + kMaxLinger;
            // Linger only under concurrent load (more than one unit already waiting): a lone request
            // commits at once. Stop when the batch is full, the deadline passes or arrivals pause.
            bool linger = queue_.size() > 1;
            for (;;) {
                while (!queue_.empty() && batch.size() < kMaxBatch) {
                    batch.push_back(queue_.front());
                    queue_.pop_front();
                }
                if (!linger || stopping_ || batch.size() >= kMaxBatch) break;
                const auto until = std::min(deadline, std::chrono::steady_clock::now() + kArrivalGap);
                linger = arrived_.wait_until(lock, until, [&] { return stopping_ || !queue_.empty(); }) &&
                         std::chrono::steady_clock::now() < deadline;
                if (!linger) {
                    // Take what arrived at the last moment, then commit.
                    while (!queue_.empty() && batch.size() < kMaxBatch) {
                        batch.push_back(queue_.front());
                        queue_.pop_front();
                    }
                    break;
                }
            }
        }
        RunBatch(batch);
    }
}

void GroupCommitter::RunBatch(std::deque<Pending*>& batch) {
    // Answers every caller; `failure` (when set) replaces every unit's own result.
    auto answer = [&](const std::optional<core::Error>& failure) {
        for (Pending* p : batch) {
            std::lock_guard lock(p->mutex);
            if (failure) p->outcome = Fail(*failure);
            p->done = true;
            p->answered.notify_one();
        }
    };
    auto conn = db_.Acquire();
    if (!conn) return answer(conn.error());
    SqlConnection& c = **conn;
    if (auto begun = c.Run(db_.BeginStatement(), {}); !begun) return answer(begun.error());

    for (Pending* p : batch) {
        if (auto saved = c.Run("SAVEPOINT unit", {}); !saved) {
            (void)c.Run("ROLLBACK", {});
            return answer(saved.error());
        }
        try {
            p->outcome = p->unit(c);
        } catch (const std::exception& e) {  // the writer thread must outlive any one unit
            spdlog::error("storage: a unit of work threw: {}", e.what());
            p->outcome = Fail(ErrorCode::kInternal, "database error");
        }
        if (*p->outcome) {
            if (auto released = c.Run("RELEASE unit", {}); !released) {
                (void)c.Run("ROLLBACK", {});
                return answer(released.error());
            }
            continue;
        }
        // The unit failed: undo only its own statements. If even that fails (the database gave up the
        // whole transaction, e.g. an I/O error), the units before it are gone too.
        auto undone = c.Run("ROLLBACK TO unit", {});
        if (undone) undone = c.Run("RELEASE unit", {});
        if (!undone) {
            (void)c.Run("ROLLBACK", {});
            return answer(undone.error());
        }
    }
    if (auto committed = c.Run("COMMIT", {}); !committed) {
        (void)c.Run("ROLLBACK", {});
        return answer(committed.error());
    }
    conn->reset();  // give the connection back before waking callers
    answer(std::nullopt);
}

}  // namespace haven::storage
