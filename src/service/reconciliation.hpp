#pragma once
// Reconciliation against the M-Pesa statement: import a statement file, compare it by receipt with the agency's
// records over the statement's period, settle pushes under review that the statement proves, keep the findings.
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace haven::service {

using core::Result;

struct StatementImportInput {
    int64_t agency_id = 0;
    std::string file_name;
    std::string actor;  // who imports (email or "cli"): created_by, and the actor of reconciliation.settle audits
    std::optional<int64_t> actor_user_id;
    std::string request_id;
    /// How far apart a push's creation and the statement row's initiation time may be for the row to settle it.
    std::chrono::seconds settle_window{std::chrono::minutes(5)};
};

struct StatementImportResult {
    storage::Store::ReconciliationImport import;
    bool created = false;  // false: the agency had imported this file before; nothing changed
};

/// Reads the statement from `in` (streamed: the parser holds one record; the comparison keeps one small entry per
/// receipt), compares it and writes the import, its findings and every settlement in one unit of work
/// (Store::Atomically), or nothing. The same file (same SHA-256) for the agency again answers the first import.
/// Errors: kValidation "line N: ..." for a malformed file (nothing written); store errors.
/// `on_bytes` (optional) is told the bytes read so far (a progress bar).
Result<StatementImportResult> ImportStatement(storage::Store& store, std::istream& in,
                                              const StatementImportInput& input,
                                              const std::function<void(int64_t)>& on_bytes = {});

/// The statement fields of a finding (its JSON text) and what recording it needs.
struct RecordFindingInput {
    int64_t agency_id = 0;
    int64_t import_id = 0;
    int64_t finding_id = 0;
    std::string actor;
};
struct RecordFindingResult {
    storage::Store::ReconciliationFinding finding;
    int64_t transaction_id = 0;
    std::optional<int64_t> lease_id;
};
/// Records a missing_in_ours Pay Bill row (money in) as a C2B payment matched to a lease by its A/C No., and
/// resolves the finding, in one unit of work. kNotFound; kConflict when already resolved or the receipt is
/// already recorded; kUnprocessable for a finding that is not a payment missing in our records.
Result<RecordFindingResult> RecordFinding(storage::Store& store, const RecordFindingInput& input);

}  // namespace haven::service
