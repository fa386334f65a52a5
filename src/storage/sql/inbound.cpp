// Daraja bodies as received, and callbacks whose reference matches no transaction (kept, never dropped).
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<int64_t> SqlStore::StoreInbound(const std::string& kind, const std::string& body) {
    return One<int64_t>(Run("INSERT INTO inbound_messages (kind, body, received_at) VALUES (?, ?, ?) RETURNING id",
                            {kind, body, NowIso8601()}),
                        ReadInt, "inbound message");
}

Result<void> SqlStore::SetInboundOutcome(int64_t id, const std::string& outcome) {
    return Done(Run("UPDATE inbound_messages SET outcome = ? WHERE id = ?", {outcome, id}));
}

Result<InboundMessage> SqlStore::FindInbound(int64_t id) {
    return One<InboundMessage>(
        RunRead("SELECT id, kind, body, outcome, received_at FROM inbound_messages WHERE id = ?", {id}),
        [](const SqlRow& row) {
            RowReader r(row);
            InboundMessage m;
            m.id = r.Int();
            m.kind = r.Text();
            m.body = r.Text();
            m.outcome = r.Text();
            m.received_at = r.Text();
            return m;
        },
        "inbound message");
}

Result<void> SqlStore::InsertUnmatchedCallback(const std::string& kind, const std::string& reference,
                                               const std::string& payload) {
    return Done(Run("INSERT INTO unmatched_callbacks (kind, reference, payload, received_at) VALUES (?, ?, ?, ?)",
                    {kind, reference, payload, NowIso8601()}));
}

Result<int64_t> SqlStore::CountUnmatchedCallbacks(const std::string& reference) {
    return One<int64_t>(RunRead("SELECT COUNT(*) FROM unmatched_callbacks WHERE reference = ?", {reference}), ReadInt,
                        "count");
}

Result<std::vector<std::string>> SqlStore::ListUnmatchedCallbacks(const std::string& kind,
                                                                  const std::string& reference) {
    // The writer connection: this read races a callback being stored right now and must see it.
    return Many<std::string>(
        Run("SELECT payload FROM unmatched_callbacks WHERE kind = ? AND reference = ? ORDER BY id", {kind, reference}),
        [](const SqlRow& row) { return RowReader(row).Text(); });
}

Result<void> SqlStore::DeleteUnmatchedCallbacks(const std::string& kind, const std::string& reference) {
    return Done(Run("DELETE FROM unmatched_callbacks WHERE kind = ? AND reference = ?", {kind, reference}));
}

Result<std::vector<std::pair<std::string, std::string>>> SqlStore::ListUnmatchedCallbacksBetween(
    const std::string& kind, const std::string& from, const std::string& to) {
    return Many<std::pair<std::string, std::string>>(Run("SELECT reference, payload FROM unmatched_callbacks WHERE "
                                                         "kind = ? AND received_at >= ? AND received_at < ? "
                                                         "ORDER BY id LIMIT 200",
                                                         {kind, from, to}),
                                                     [](const SqlRow& row) {
                                                         RowReader r(row);
                                                         std::string reference = r.Text();
                                                         return std::make_pair(std::move(reference), r.Text());
                                                     });
}

}  // namespace haven::storage
