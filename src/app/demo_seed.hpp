#pragma once
// The demo's history (`serve --demo`, simulator mode only): a demo agency with 20 leases and six months of rent
// collected the way a Nairobi agency collects it, so the first screen a newcomer sees is a working business.
//
// BuildDemoHistory is pure: the same `now` gives the same leases, payments, receipts and times (a fixed random
// seed; months and days are Nairobi's, relative to `now`). SeedDemoHistory writes it once per agency (a marker row,
// migration 023, keeps the `now` it was built for) and hands the same history to the built-in simulator's ledger on
// every start, so the simulator's statement for the demo period matches the gateway's records, except for the two
// discrepancies the demo shows on purpose (docs/demo.md):
//   - a paybill payment whose C2B confirmation never reached the gateway (on the statement only: missing_in_ours);
//   - an STK push whose answer never came, left PENDING under review, which the statement settles (settled_review).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace haven::sim {
class Simulator;
}  // namespace haven::sim

namespace haven::app {

using TimePoint = std::chrono::system_clock::time_point;

struct DemoTenant {
    std::string name;
    std::string unit;  // also the account reference tenants type at the paybill
    std::string phone;
    std::string email;  // "" for tenants who gave none
    int64_t rent = 0;
    int due_day = 1;
    std::string start_date;  // Nairobi day rent starts accruing
};

enum class DemoKind {
    kStkSuccess,      // rent by STK push, callback received
    kStkFailed,       // a prompt that failed: 1032 cancelled, 1037 timed out, 1 insufficient funds
    kStkUnderReview,  // the push's answer never came: PENDING with a review item (the statement settles it)
    kC2b,             // rent at the paybill, confirmation received and matched by account number
    kC2bLost,         // rent at the paybill whose confirmation never came (only on the statement)
    kRefund,          // B2C refund of (part of) an STK payment
    kReversal,        // reversal of an STK payment
};

struct DemoEvent {
    DemoKind kind = DemoKind::kStkSuccess;
    size_t tenant = 0;
    int64_t amount = 0;
    TimePoint created;
    TimePoint completed;
    int64_t result_code = 0;         // failed pushes
    std::string receipt;             // every money movement ("" for failed pushes)
    std::optional<size_t> original;  // refunds and reversals: the event they send back
};

struct DemoHistory {
    std::vector<DemoTenant> tenants;
    std::vector<DemoEvent> events;  // oldest first
    TimePoint from;                 // the first day of the history (Nairobi midnight)
    TimePoint until;                // the `now` it was built for
};

/// The history up to `now`: about six Nairobi months (the current one and the five before), every event before
/// `now`. Deterministic.
DemoHistory BuildDemoHistory(TimePoint now);

struct DemoSeedResult {
    bool seeded = false;  // false: the agency had its history already; nothing was written
    int64_t agency_id = 0;
    int64_t leases = 0;
    int64_t transactions = 0;
    size_t ledger_entries = 0;  // handed to the simulator (0 without one)
    std::string history_from;   // ISO-8601 UTC
    std::string history_until;
    std::string first_day;  // the same as Nairobi days "YYYY-MM-DD"
    std::string last_day;
};

/// Seeds `agency` (created if needed) with BuildDemoHistory(now) in one unit of work, unless its marker exists
/// (then the history is rebuilt from the marker's time and nothing is written). The events the seeded changes
/// emit are marked done in the same unit (Store::SkipOutboxEvents): the history sends no receipts or webhooks.
/// `simulator` (may be null) receives the same history's ledger entries either way; `shortcode` is the paybill
/// they name.
core::Result<DemoSeedResult> SeedDemoHistory(storage::Store& store, sim::Simulator* simulator,
                                             const std::string& agency, const std::string& shortcode, TimePoint now);

}  // namespace haven::app
