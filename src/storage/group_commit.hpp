#pragma once
// Group commit (STYLE.md P9): one writer thread owns the write connection. Callers hand it a unit of
// work and wait; the writer drains the queue (up to kMaxBatch units, lingering briefly only while more
// keep arriving), opens one transaction, runs each unit inside its own SAVEPOINT, commits once (one
// fsync for the whole batch) and only then answers every caller of the batch.
// A failing unit rolls back to its savepoint and gets its own error; the others in its batch go on.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "storage/sql_store.hpp"

namespace haven::storage {

class GroupCommitter {
public:
    /// Runs one unit on the writer's connection inside its own savepoint.
    using Unit = std::function<Result<void>(SqlConnection&)>;

    static constexpr size_t kMaxBatch = 64;
    /// How long a batch may wait for more units after its first one arrived...
    static constexpr std::chrono::microseconds kMaxLinger{1000};
    /// ...as long as another one arrives within this gap.
    static constexpr std::chrono::microseconds kArrivalGap{100};

    explicit GroupCommitter(SqlDatabase& db);
    /// Finishes every queued unit, then stops the writer.
    ~GroupCommitter();
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;

    /// Queues `unit` and blocks until its batch committed (ok) or it failed: the unit's own error, or
    /// the batch's when BEGIN or COMMIT failed (then nothing of the batch was written).
    Result<void> Submit(Unit unit);

private:
    struct Pending;
    void Loop();
    void RunBatch(std::deque<Pending*>& batch);

    SqlDatabase& db_;
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::deque<Pending*> queue_;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace haven::storage
