#include "storage/group_commit.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace haven::storage {

using core::ErrorCode;
using core::Fail;

namespace {
thread_local bool t_on_writer = false;
}  // namespace

/// One caller's unit and where its answer goes (Submit: the caller's stack; SubmitAsync: the heap).
struct GroupCommitter::Pending {
    Unit unit;
    Done done;                            // called once with the final result
    bool async = false;                   // done runs on the completion executor, then Pending is deleted
    std::optional<Result<void>> outcome;  // the unit's own result, until the batch's fate is known
};

GroupCommitter::GroupCommitter(SqlDatabase& db, size_t writers) : db_(db), completer_([this] { CompletionLoop(); }) {
    for (size_t i = 0; i < std::max<size_t>(writers, 1); ++i) writers_.emplace_back([this] { Loop(); });
}

GroupCommitter::~GroupCommitter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    arrived_.notify_all();
    for (auto& w : writers_) w.join();
    {
        std::lock_guard lock(completion_mutex_);
        completion_stopping_ = true;
    }
    completion_ready_.notify_one();
    completer_.join();
}

bool GroupCommitter::OnWriter() { return t_on_writer; }

void GroupCommitter::SetCompletionExecutor(Store::Executor executor) {
    std::lock_guard lock(completion_mutex_);
    executor_ = std::move(executor);
}

Result<void> GroupCommitter::Submit(Unit unit) {
    if (t_on_writer) {
        // A unit that submits another would wait for its own batch forever.
        spdlog::error("storage: a unit of work submitted another unit");
        return Fail(ErrorCode::kInternal, "database error");
    }
    std::mutex m;
    std::condition_variable answered;
    std::optional<Result<void>> result;
    Pending pending{.unit = std::move(unit), .done = [&](Result<void> r) {
                        std::lock_guard lock(m);
                        result.emplace(std::move(r));
                        answered.notify_one();
                    }};
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(&pending);
    }
    arrived_.notify_one();
    std::unique_lock lock(m);
    answered.wait(lock, [&] { return result.has_value(); });
    return std::move(*result);
}

void GroupCommitter::SubmitAsync(Unit unit, Done done) {
    if (t_on_writer) {
        spdlog::error("storage: a unit of work submitted another unit");
        auto failed = Fail(ErrorCode::kInternal, "database error");
        std::lock_guard lock(completion_mutex_);
        completions_.emplace_back([done = std::move(done), failed] { done(failed); });
        completion_ready_.notify_one();
        return;
    }
    auto* pending = new Pending{.unit = std::move(unit), .done = std::move(done), .async = true};
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(pending);
    }
    arrived_.notify_one();
}

void GroupCommitter::Complete(Pending* p) {
    if (!p->async) {
        p->done(std::move(*p->outcome));  // wakes the caller blocked in Submit
        return;
    }
    std::function<void()> call = [p] {
        std::unique_ptr<Pending> owned(p);
        owned->done(std::move(*owned->outcome));
    };
    std::lock_guard lock(completion_mutex_);
    if (executor_ && !completion_stopping_) {
        executor_(std::move(call));
        return;
    }
    completions_.push_back(std::move(call));
    completion_ready_.notify_one();
}

void GroupCommitter::CompletionLoop() {
    for (;;) {
        std::function<void()> next;
        {
            std::unique_lock lock(completion_mutex_);
            completion_ready_.wait(lock, [&] { return completion_stopping_ || !completions_.empty(); });
            if (completions_.empty()) return;
            next = std::move(completions_.front());
            completions_.pop_front();
        }
        next();
    }
}

void GroupCommitter::Loop() {
    t_on_writer = true;
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
            if (failure || !p->outcome)
                p->outcome = Fail(failure ? *failure : core::Error::Make(ErrorCode::kInternal, "database error"));
            Complete(p);
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
