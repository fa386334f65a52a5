#pragma once
// Group commit (STYLE.md P9): writer threads own the write connections. Callers hand them a unit of
// work and wait (Submit) or are called back (SubmitAsync); a writer drains the queue (up to kMaxBatch
// units, lingering briefly only while more keep arriving), opens one transaction, runs each unit inside
// its own SAVEPOINT, commits once (one sync for the whole batch) and only then answers every caller of
// the batch. A failing unit rolls back to its savepoint and gets its own error; the others go on.
//
// How many writers: one on both backends. SQLite has one write lock per file, so more would only queue
// on it. On PostgreSQL a few writers would overlap round trips, but two units in different writers'
// batches are concurrent transactions that cannot see each other's uncommitted rows: a callback stored
// as unmatched and the push recording the CheckoutRequestID it names could each miss the other (the
// push then waits for the reconciler), and two batches can deadlock. One writer keeps every write in
// commit order, as on SQLite, and a batch still costs one WAL flush. The benchmark measured no gain
// from more writers (bench/README.md). The constructor still takes a count for a future partitioned
// design (e.g. one writer per agency).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/sql_store.hpp"

namespace haven::storage {

class GroupCommitter {
  public:
    /// Runs one unit on the writer's connection inside its own savepoint.
    using Unit = std::function<Result<void>(SqlConnection&)>;
    /// Gets a unit's result once its batch committed (or failed).
    using Done = std::function<void(Result<void>)>;

    static constexpr size_t kMaxBatch = 64;
    /// How long a batch may wait for more units after its first one arrived...
    static constexpr std::chrono::microseconds kMaxLinger{1000};
    /// ...as long as another one arrives within this gap.
    static constexpr std::chrono::microseconds kArrivalGap{100};
    static constexpr size_t kSqliteWriters = 1;
    static constexpr size_t kPostgresWriters = 1;

    GroupCommitter(SqlDatabase& db, size_t writers);
    /// Finishes every queued unit and calls every `done`, then stops the writers.
    ~GroupCommitter();
    GroupCommitter(const GroupCommitter&) = delete;
    GroupCommitter& operator=(const GroupCommitter&) = delete;

    /// Queues `unit` and blocks until its batch committed (ok) or it failed: the unit's own error, or
    /// the batch's when BEGIN or COMMIT failed (then nothing of the batch was written).
    Result<void> Submit(Unit unit);
    /// Queues `unit` and returns at once; `done` gets what Submit would return, after the commit, on the
    /// completion executor (never on a writer, so it may take its time or submit more work).
    void SubmitAsync(Unit unit, Done done);
    /// Where `done` runs; until set, on a completion thread of the committer's own.
    void SetCompletionExecutor(Store::Executor executor);
    /// True on a writer thread (inside a unit).
    static bool OnWriter();

  private:
    struct Pending;
    void Loop();
    void RunBatch(std::deque<Pending*>& batch);
    void Complete(Pending* p);
    void CompletionLoop();

    SqlDatabase& db_;
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::deque<Pending*> queue_;
    bool stopping_ = false;
    std::vector<std::thread> writers_;

    std::mutex completion_mutex_;
    std::condition_variable completion_ready_;
    std::deque<std::function<void()>> completions_;
    bool completion_stopping_ = false;
    Store::Executor executor_;  // guarded by completion_mutex_
    std::thread completer_;
};

}  // namespace haven::storage
