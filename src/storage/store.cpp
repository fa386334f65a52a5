#include "storage/store.hpp"

#include <string_view>

#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace haven::storage {

Result<std::vector<TransferTotals>> Store::LinkedTransferTotals(int64_t agency_id,
                                                                const std::vector<int64_t>& original_ids) {
    std::vector<TransferTotals> out;
    out.reserve(original_ids.size());
    for (int64_t id : original_ids) {
        auto linked = ListTransfersForOriginal(agency_id, id);
        if (!linked) return core::Fail(linked.error());
        TransferTotals totals{.original_id = id};
        for (const Transfer& t : *linked) {
            if (t.kind == "reversal" && t.status == core::TxStatus::kSuccess) totals.reversed = true;
            if (t.kind == "b2c" && t.status != core::TxStatus::kFailed) totals.refunded += t.amount;
        }
        out.push_back(totals);
    }
    return out;
}

Result<std::unique_ptr<Store>> MakeStore(const std::string& database_url, const StoreOptions& options) {
    std::string_view url = database_url;
    if (url.starts_with("sqlite:")) {
        std::string_view path = url.substr(7);
        // "sqlite:///abs/path" and "sqlite://rel/path" are accepted too.
        if (path.starts_with("//")) path.remove_prefix(2);
        return OpenSqliteStore(std::string(path), options.group_commit);
    }
    if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return OpenPostgresStore(database_url, options.group_commit);
    return core::Fail(core::Error::Validation(
        "DATABASE_URL", "DATABASE_URL must start with sqlite: (e.g. sqlite:./data/haven.db) or postgres://"));
}

}  // namespace haven::storage
