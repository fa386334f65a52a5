// The analytics series (store.hpp block "analytics"): one statement per call, a UNION ALL of one aggregate per span
// of time, each over a range of one index of migration 022 (the amounts are in the index: no table reads, and no
// GROUP BY sort across spans). A span's arms carry its position, so the answer does not rely on the order rows come
// back in. Stored times are ISO-8601 UTC text of one width, so a span is a text range on both backends.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {
namespace {

/// Spans per statement: SQLite allows at most 500 arms in one compound SELECT (SQLITE_MAX_COMPOUND_SELECT).
constexpr size_t kSpansPerStatement = 100;

/// Runs `arm(sql, params, position)` for each span of one chunk joined by UNION ALL, then `read` on every row.
template <class Arm, class Read>
Result<void> Chunked(const std::vector<Store::TimeSpan>& spans, Arm arm, Read read,
                     const std::function<Result<SqlResult>(const std::string&, const SqlParams&)>& run) {
    for (size_t first = 0; first < spans.size(); first += kSpansPerStatement) {
        std::string sql;
        SqlParams params;
        const size_t last = std::min(spans.size(), first + kSpansPerStatement);
        for (size_t i = first; i < last; ++i) {
            if (!sql.empty()) sql += " UNION ALL ";
            arm(sql, params, i);
        }
        auto res = run(sql, params);
        if (!res) return Fail(res.error());
        for (const SqlRow& row : res->rows) {
            RowReader r(row);
            const auto position = static_cast<size_t>(r.Int());
            if (position >= spans.size()) return Fail(ErrorCode::kInternal, "analytics: a row of no span");
            read(r, position);
        }
    }
    return {};
}

}  // namespace

Result<std::vector<Store::CollectionSums>> SqlStore::SumCollections(int64_t agency_id,
                                                                    const std::vector<TimeSpan>& spans) {
    std::vector<CollectionSums> out(spans.size());
    auto arm = [&](std::string& sql, SqlParams& params, size_t i) {
        for (const char* source : {"stk", "c2b"}) {
            if (source[0] == 'c') sql += " UNION ALL ";
            sql += Cat({"SELECT ", std::to_string(i), ", '", source,
                        "', COUNT(*), COALESCE(SUM(amount), 0) FROM payments WHERE agency_id = ? AND source = '",
                        source, "' AND paid_at >= ? AND paid_at < ?"});
            params.insert(params.end(), {agency_id, spans[i].from, spans[i].to});
        }
    };
    auto read = [&](RowReader& r, size_t i) {
        const bool stk = r.Text() == "stk";
        const int64_t count = r.Int();
        const int64_t amount = r.Int();
        (stk ? out[i].stk_count : out[i].c2b_count) = count;
        (stk ? out[i].stk_amount : out[i].c2b_amount) = amount;
    };
    auto done = Chunked(spans, arm, read, std::bind_front(&SqlStore::RunRead, this));
    if (!done) return Fail(done.error());
    return out;
}

Result<std::vector<Store::StkOutcomeCounts>> SqlStore::CountStkOutcomes(int64_t agency_id,
                                                                        const std::vector<TimeSpan>& spans) {
    std::vector<StkOutcomeCounts> out(spans.size());
    // Seven counts per span, each a range of stk_agency_status_created or stk_agency_status_code_created.
    static const char* const kCounts[] = {
        "status = 'PENDING'",
        "status = 'SUCCESS'",
        "status = 'FAILED'",
        "status = 'FAILED' AND result_code = 1032",
        "status = 'FAILED' AND result_code = 1037",
        "status = 'FAILED' AND result_code = 1",
        "status = 'FAILED' AND result_code = 2001",
    };
    auto arm = [&](std::string& sql, SqlParams& params, size_t i) {
        sql += "SELECT " + std::to_string(i);
        for (const char* where : kCounts) {
            sql += Cat({", (SELECT COUNT(*) FROM stk_transactions WHERE agency_id = ? AND ", where,
                        " AND created_at >= ? AND created_at < ?)"});
            params.insert(params.end(), {agency_id, spans[i].from, spans[i].to});
        }
    };
    auto read = [&](RowReader& r, size_t i) {
        StkOutcomeCounts& c = out[i];
        c.pending = r.Int();
        c.succeeded = r.Int();
        c.failed = r.Int();
        c.cancelled = r.Int();
        c.timed_out = r.Int();
        c.insufficient_funds = r.Int();
        c.wrong_pin = r.Int();
    };
    auto done = Chunked(spans, arm, read, std::bind_front(&SqlStore::RunRead, this));
    if (!done) return Fail(done.error());
    return out;
}

Result<std::vector<std::vector<Store::TransferSums>>> SqlStore::SumTransfers(int64_t agency_id,
                                                                             const std::vector<TimeSpan>& spans) {
    std::vector<std::vector<TransferSums>> out(spans.size());
    auto arm = [&](std::string& sql, SqlParams& params, size_t i) {
        sql += Cat({"SELECT ", std::to_string(i),
                    ", kind, type, status, COUNT(*), SUM(amount) FROM transfers WHERE agency_id = ? AND "
                    "created_at >= ? AND created_at < ? GROUP BY kind, type, status"});
        params.insert(params.end(), {agency_id, spans[i].from, spans[i].to});
    };
    auto read = [&](RowReader& r, size_t i) {
        TransferSums s;
        s.kind = r.Text();
        s.type = r.Text();
        s.status = r.Text();
        s.count = r.Int();
        s.amount = r.Int();
        out[i].push_back(std::move(s));
    };
    auto done = Chunked(spans, arm, read, std::bind_front(&SqlStore::RunRead, this));
    if (!done) return Fail(done.error());
    // Rows of one span in a stable order, whatever order the backend grouped them in.
    for (auto& sums : out) {
        std::sort(sums.begin(), sums.end(), [](const TransferSums& a, const TransferSums& b) {
            return std::tie(a.kind, a.type, a.status) < std::tie(b.kind, b.type, b.status);
        });
    }
    return out;
}

}  // namespace haven::storage
