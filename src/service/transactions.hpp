#pragma once
// Listing an agency's transactions (GET /api/v1/mpesa/transactions): the filters, the Nairobi-day dates, the leaseId
// that may be Haven's external id, and the cursor over every kind of row. The handler only translates HTTP.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/models.hpp"
#include "storage/store.hpp"

namespace haven::service {

/// The filters as the caller wrote them (query parameters); std::nullopt when not given.
struct TransactionQuery {
    int64_t agency_id = 0;
    std::optional<std::string> status;        // PENDING | SUCCESS | FAILED
    std::optional<std::string> kind;          // stk | b2c | reversal | c2b
    std::optional<std::string> lease_id;      // our id or Haven's external id (core/lease_key.hpp); STK rows only
    std::optional<std::string> phone_number;  // any form NormalizePhone takes
    std::optional<std::string> from, to;      // created: a date (a Nairobi day) or an ISO-8601 instant
    std::optional<std::string> completed_from, completed_to;  // reached a final state ("completed today")
    std::optional<std::string> needs_review;                  // true | false
    std::optional<std::string> limit;                         // 1..200, default 50
    std::optional<std::string> cursor;                        // the nextCursor of the previous page
};

/// An STK payment and what happened to its money since (refunds and reversals linked to it).
struct StkRow {
    core::StkTransaction transaction;
    storage::TransferTotals totals;
};
/// One row of the list: a payment received (STK, C2B) or money sent (B2C, reversal).
using TransactionRow = std::variant<StkRow, storage::Transfer, storage::C2bPayment>;

struct TransactionPage {
    std::vector<TransactionRow> items;                  // newest first
    std::optional<int64_t> next_cursor;                 // set when the page is full: pass it as `cursor` for the next
    std::map<int64_t, std::string> lease_external_ids;  // Haven's id of each lease the page names, when it has one
};

/// The page of the agency's transactions the query asks for. Every kind shares one id space, so the rows are merged
/// newest-first by id and the cursor stays exact. Errors: kValidation listing every bad filter (an external leaseId
/// no lease has among them, with how to create it); a database failure as it is.
core::Result<TransactionPage> ListTransactions(storage::Store& store, const TransactionQuery& query);

/// The STK transactions with their linked-transfer totals, in one store call for the successful ones (only a
/// successful payment can be refunded or reversed; the others have zero totals).
core::Result<std::vector<StkRow>> WithTotals(storage::Store& store, int64_t agency_id,
                                             std::vector<core::StkTransaction> transactions);

}  // namespace haven::service
