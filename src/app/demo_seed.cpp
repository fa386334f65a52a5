#include "app/demo_seed.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "core/phone.hpp"
#include "core/rent_roll.hpp"
#include "core/time.hpp"
#include "service/c2b_service.hpp"
#include "sim/ledger.hpp"
#include "sim/simulator.hpp"
#include "sim/wire.hpp"

namespace haven::app {

using core::ErrorCode;
using core::Fail;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

// The history never changes between starts: one seed for every random choice.
constexpr uint64_t kSeed = 20261213;
constexpr int kMonths = 6;  // the current Nairobi month and the five before it
constexpr int64_t kB2cChargeCents = 2240;

/// How a tenant pays.
enum class Habit {
    kPunctual,  // STK, a few days before the due day
    kPaybill,   // the paybill (C2B), around the due day
    kLate,      // STK, 4 to 12 days after the due day
    kPartial,   // STK in two instalments, the second two weeks later (this month: only the first so far)
    kArrears,   // falls behind: half, nothing, half, and nothing so far this month
};

struct Profile {
    const char* name;
    const char* unit;
    int64_t rent;
    int due_day;
    Habit habit;
    bool email;
};

// Units A-D, five each; rents by block. Most pay on time by STK.
constexpr std::array<Profile, 20> kProfiles = {{
    {"Grace Wanjiku", "A1", 12000, 1, Habit::kPunctual, true},
    {"Kevin Otieno", "A2", 12000, 5, Habit::kPunctual, false},
    {"Mercy Akinyi", "A3", 12500, 1, Habit::kPunctual, true},
    {"Brian Kiprotich", "A4", 12000, 5, Habit::kPunctual, false},
    {"Peter Mwangi", "A5", 12500, 1, Habit::kPunctual, false},
    {"Fatuma Hassan", "B1", 15000, 1, Habit::kPunctual, true},
    {"Dennis Mutua", "B2", 15000, 10, Habit::kPunctual, false},
    {"Faith Chebet", "B3", 15500, 5, Habit::kPunctual, true},
    {"Collins Omondi", "B4", 15000, 1, Habit::kPunctual, false},
    {"Lucy Nyambura", "B5", 15000, 5, Habit::kPunctual, true},
    {"James Kamau", "C1", 18500, 1, Habit::kPunctual, false},
    {"Moses Wafula", "C2", 18500, 5, Habit::kPaybill, false},
    {"Sharon Auma", "C3", 18000, 5, Habit::kPaybill, true},
    {"Daniel Kariuki", "C4", 18500, 1, Habit::kLate, false},
    {"Zawadi Mwakio", "C5", 18000, 1, Habit::kLate, true},
    {"Esther Njeri", "D1", 25000, 1, Habit::kLate, false},
    {"Juma Bakari", "D2", 24000, 1, Habit::kPartial, false},
    {"Joyce Muthoni", "D3", 25000, 1, Habit::kPartial, true},
    {"Felix Kibet", "D4", 24000, 1, Habit::kArrears, false},
    {"Amina Abdi", "D5", 25000, 5, Habit::kPunctual, true},
}};
constexpr size_t kNewTenant = 19;      // moved in last month
constexpr size_t kUnderReview = 3;     // last month's push: no answer, under review
constexpr size_t kLostPaybill = 12;    // last month's paybill payment: confirmation lost
constexpr size_t kReversedTenant = 1;  // typed ten times the rent three months ago: reversed
constexpr size_t kDuplicateA = 5;      // paid twice four months ago: refunded
constexpr size_t kDuplicateB = 8;      // paid twice two months ago: refunded
constexpr size_t kOverpaidTenant = 9;  // paid 1,000 too much five months ago: refunded

class Rng {
  public:
    explicit Rng(uint64_t seed) : gen_(seed) {}
    int64_t Between(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(gen_); }
    bool Chance(int percent) { return Between(1, 100) <= percent; }
    std::string Chars(size_t n, const char* alphabet) {
        const std::string a(alphabet);
        std::string out;
        for (size_t i = 0; i < n; ++i) out += a[static_cast<size_t>(Between(0, static_cast<int64_t>(a.size()) - 1))];
        return out;
    }

  private:
    std::mt19937_64 gen_;
};

TimePoint Seconds(TimePoint t) { return std::chrono::time_point_cast<seconds>(t); }

/// Nairobi midnight of day "YYYY-MM-DD".
TimePoint NairobiMidnight(const std::string& day) { return *core::ParseIsoUtc(day + "T00:00:00+03:00"); }

/// A Nairobi day `offset` days from `day`, at a plausible hour for paying rent (07:00-21:59).
TimePoint DayAt(const std::string& day, int offset, Rng& rng) {
    return NairobiMidnight(day) + days(offset) + hours(rng.Between(7, 21)) + minutes(rng.Between(0, 59)) +
           seconds(rng.Between(0, 59));
}

std::string Receipt(TimePoint t, Rng& rng, std::set<std::string>& used) {
    // M-Pesa receipts: a letter for the year (R = 2023, S = 2024, ...), one for the month, eight more.
    const core::YearMonth m = core::NairobiMonthOf(t);
    for (;;) {
        std::string r;
        r += static_cast<char>('R' + std::clamp(m.year - 2023, 0, 8));
        r += static_cast<char>('A' + m.month - 1);
        r += rng.Chars(8, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (used.insert(r).second) return r;
    }
}

struct Builder {
    TimePoint now;
    TimePoint from;    // the first month's rent of an early payer falls a few days before: kept (paid at signing)
    TimePoint latest;  // nothing planned after this happens (the history ends a few minutes before now)
    Rng rng{kSeed};
    std::vector<DemoEvent> events;

    /// Adds an event; an event planned after `latest` has not happened yet and is left out (returns nullopt), unless
    /// `must` (this month's first instalment of a partial payer: squeezed between the month's start and now).
    std::optional<size_t> Add(DemoEvent e, bool must = false) {
        const auto took = std::chrono::duration_cast<seconds>(e.completed - e.created);
        if (e.created > latest) {
            if (!must) return std::nullopt;
            const TimePoint month_start = *core::ParseIsoUtc(core::NairobiMonthStartUtc(core::NairobiMonthOf(now)));
            e.created = month_start + (latest - month_start) / 2;
        }
        e.created = Seconds(e.created);
        e.completed = e.created + took;
        events.push_back(e);
        return events.size() - 1;
    }

    /// A push of `amount` at `at`: sometimes a failed prompt first (cancelled, timed out, no funds), then the payment.
    std::optional<size_t> Pay(size_t tenant, int64_t amount, TimePoint at, bool must = false) {
        if (!must && rng.Chance(22)) {
            const int64_t pick = rng.Between(1, 100);
            const int64_t code = pick <= 55 ? 1032 : pick <= 85 ? 1037 : 1;
            const seconds took = code == 1037 ? seconds(rng.Between(58, 75)) : seconds(rng.Between(6, 25));
            DemoEvent failed{DemoKind::kStkFailed, tenant, amount, at - minutes(rng.Between(3, 25)), {}, code, "", {}};
            failed.completed = failed.created + took;
            Add(failed);
        }
        DemoEvent ok{DemoKind::kStkSuccess, tenant, amount, at, at + seconds(rng.Between(12, 40)), 0, "", {}};
        return Add(ok, must);
    }

    std::optional<size_t> Paybill(size_t tenant, int64_t amount, TimePoint at, DemoKind kind = DemoKind::kC2b) {
        return Add({kind, tenant, amount, at, at, 0, "", {}});
    }

    void SendBack(DemoKind kind, size_t original, int64_t amount, TimePoint at) {
        DemoEvent e{kind, events[original].tenant, amount, at, at + seconds(rng.Between(4, 20)), 0, "", {}};
        e.original = original;
        Add(e);
    }
};

std::vector<DemoTenant> Tenants(const std::string& first_day, Rng& rng) {
    std::vector<DemoTenant> out;
    std::set<std::string> phones;
    const core::YearMonth first = *core::MonthOfDay(first_day);
    for (size_t i = 0; i < kProfiles.size(); ++i) {
        const Profile& p = kProfiles[i];
        DemoTenant t;
        t.name = p.name;
        t.unit = p.unit;
        do {  // Safaricom numbers: 2547 then 0, 1, 2 or 9
            t.phone = "2547" + std::string(1, "0129"[rng.Between(0, 3)]) + rng.Chars(7, "0123456789");
        } while (!phones.insert(t.phone).second);
        t.rent = p.rent;
        t.due_day = p.due_day;
        if (p.email) {
            std::string local;
            for (char c : std::string(p.name)) local += c == ' ' ? '.' : static_cast<char>(std::tolower(c));
            t.email = local + "@example.co.ke";
        }
        core::YearMonth start = first;
        if (i == kNewTenant) {
            for (int k = 0; k < kMonths - 2; ++k) start = core::NextMonth(start);
        }
        t.start_date = core::ToString(start) + "-01";
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace

DemoHistory BuildDemoHistory(TimePoint now) {
    now = Seconds(now);
    const core::YearMonth current = core::NairobiMonthOf(now);
    core::YearMonth first = current;
    for (int k = 1; k < kMonths; ++k) first = core::PreviousMonth(first);
    Builder b;
    b.now = now;
    b.from = *core::ParseIsoUtc(core::NairobiMonthStartUtc(first));
    b.latest = now - minutes(5);

    DemoHistory h;
    h.tenants = Tenants(core::ToString(first) + "-01", b.rng);
    h.from = b.from;
    h.until = now;

    for (size_t i = 0; i < h.tenants.size(); ++i) {
        const DemoTenant& t = h.tenants[i];
        const Habit habit = kProfiles[i].habit;
        int index = 0;  // months since the first of the history: 0 .. kMonths - 1
        for (core::YearMonth m = first; m <= current; m = core::NextMonth(m), ++index) {
            if (!core::AccruesIn(core::Lease{.due_day = t.due_day, .start_date = t.start_date}, m)) continue;
            const std::string due = core::DueDate(m, t.due_day);
            const bool last_month = index == kMonths - 2;
            const bool this_month = index == kMonths - 1;
            switch (habit) {
                case Habit::kPunctual: {
                    const TimePoint at = DayAt(due, -static_cast<int>(b.rng.Between(i == 0 ? 2 : 0, 3)), b.rng);
                    if (i == kUnderReview && last_month) {
                        b.Add({DemoKind::kStkUnderReview, i, t.rent, at, at + seconds(31), 0, "", {}});
                        break;
                    }
                    if (i == kReversedTenant && index == kMonths - 4) {
                        // Ten times the rent by mistake: reversed two hours later, then the right amount.
                        if (auto wrong = b.Pay(i, t.rent * 10, at)) {
                            b.SendBack(DemoKind::kReversal, *wrong, t.rent * 10, at + hours(2));
                            b.Pay(i, t.rent, at + hours(3));
                        }
                        break;
                    }
                    const int64_t amount = i == kOverpaidTenant && index == 0 ? t.rent + 1000 : t.rent;
                    auto paid = b.Pay(i, amount, at);
                    if (!paid) break;
                    if (amount != t.rent) b.SendBack(DemoKind::kRefund, *paid, 1000, at + days(1) + hours(1));
                    if ((i == kDuplicateA && index == 1) || (i == kDuplicateB && index == 3)) {
                        // The prompt was sent twice and the tenant accepted both: the second is refunded next day.
                        DemoEvent twice{DemoKind::kStkSuccess,         i, t.rent, at + minutes(2),
                                        at + minutes(2) + seconds(20), 0, "",     {}};
                        if (auto second = b.Add(twice)) {
                            b.SendBack(DemoKind::kRefund, *second, t.rent, at + days(1) + hours(2));
                        }
                    }
                    break;
                }
                case Habit::kPaybill: {
                    const TimePoint at = DayAt(due, static_cast<int>(b.rng.Between(-2, 1)), b.rng);
                    b.Paybill(i, t.rent, at, i == kLostPaybill && last_month ? DemoKind::kC2bLost : DemoKind::kC2b);
                    break;
                }
                case Habit::kLate:
                    b.Pay(i, t.rent, DayAt(due, static_cast<int>(b.rng.Between(4, 12)), b.rng));
                    break;
                case Habit::kPartial: {
                    const int64_t first_part = t.rent * 6 / 10;
                    b.Pay(i, first_part, DayAt(due, 0, b.rng), this_month);
                    if (!this_month)
                        b.Pay(i, t.rent - first_part, DayAt(due, static_cast<int>(b.rng.Between(12, 16)), b.rng));
                    break;
                }
                case Habit::kArrears: {
                    const int64_t share[kMonths] = {t.rent, t.rent, t.rent / 2, 0, t.rent / 2, 0};
                    if (share[index] > 0)
                        b.Pay(i, share[index], DayAt(due, static_cast<int>(b.rng.Between(0, 6)), b.rng));
                    break;
                }
            }
        }
    }

    // Oldest first; receipts drawn in that order, so they follow the same seed whatever the planning order.
    std::vector<size_t> order(b.events.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return b.events[x].created < b.events[y].created; });
    std::vector<size_t> position(order.size());
    for (size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
    std::set<std::string> used;
    for (size_t k : order) {
        DemoEvent e = b.events[k];
        if (e.original) e.original = position[*e.original];
        if (e.kind != DemoKind::kStkFailed) e.receipt = Receipt(e.completed, b.rng, used);
        h.events.push_back(std::move(e));
    }
    return h;
}

namespace {

std::string Month(TimePoint t) {
    static const char* kNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const core::YearMonth m = core::NairobiMonthOf(t);
    return std::string(kNames[m.month - 1]) + " " + std::to_string(m.year);
}

/// Daraja-shaped ids for the rows (the simulator's own shapes).
std::string CheckoutId(TimePoint t, size_t n) {
    char tail[16];
    std::snprintf(tail, sizeof tail, "%06zu", n);
    return "ws_CO_" + sim::FormatEat(t, "%d%m%Y%H%M%S") + "0" + tail;
}
std::string ConversationId(TimePoint t, size_t n) {
    char tail[20];
    std::snprintf(tail, sizeof tail, "%016zx", n * 2654435761u);
    return "AG_" + sim::FormatEat(t, "%Y%m%d") + "_2010" + tail;
}

std::vector<sim::LedgerEntry> LedgerEntries(const DemoHistory& h, const std::string& shortcode) {
    std::vector<sim::LedgerEntry> out;
    for (size_t n = 0; n < h.events.size(); ++n) {
        const DemoEvent& e = h.events[n];
        const DemoTenant& t = h.tenants[e.tenant];
        sim::LedgerEntry l;
        l.receipt = e.receipt;
        l.amount = e.amount;
        l.msisdn = t.phone;
        l.shortcode = shortcode;
        l.time = e.completed;
        switch (e.kind) {
            case DemoKind::kStkFailed:
                continue;  // no money moved
            case DemoKind::kStkSuccess:
            case DemoKind::kStkUnderReview:
                l.kind = sim::EntryKind::kStk;
                l.account_reference = t.unit;
                l.command_id = "CustomerPayBillOnline";
                break;
            case DemoKind::kC2b:
            case DemoKind::kC2bLost:
                l.kind = sim::EntryKind::kC2b;
                l.account_reference = t.unit;
                l.command_id = "CustomerPayBillOnline";
                break;
            case DemoKind::kRefund:
                l.kind = sim::EntryKind::kB2c;
                l.charge_cents = kB2cChargeCents;
                l.command_id = "BusinessPayment";
                l.conversation_id = ConversationId(e.created, n);
                break;
            case DemoKind::kReversal:
                l.kind = sim::EntryKind::kReversal;
                l.command_id = "TransactionReversal";
                l.conversation_id = ConversationId(e.created, n);
                l.original_receipt = h.events[*e.original].receipt;
                break;
        }
        out.push_back(std::move(l));
    }
    return out;
}

/// Writes the history with the store's ordinary calls (so every row is what the live flows would write), then moves
/// each row's times into the past.
core::Result<int64_t> WriteHistory(storage::Store& s, int64_t agency_id, const DemoHistory& h,
                                   const std::string& shortcode) {
    std::vector<int64_t> lease_ids;
    for (const DemoTenant& t : h.tenants) {
        core::Lease lease;
        lease.agency_id = agency_id;
        lease.tenant_name = t.name;
        lease.phone_number = t.phone;
        lease.unit = t.unit;
        lease.monthly_rent = t.rent;
        lease.account_reference = t.unit;
        lease.due_day = t.due_day;
        lease.start_date = t.start_date;
        lease.email = t.email;  // where receipts go (no receipt is sent for the seeded history)
        auto inserted = s.InsertLease(lease);
        if (!inserted) return Fail(inserted.error());
        lease_ids.push_back(inserted->id);
        const TimePoint signed_at = NairobiMidnight(t.start_date) - days(12) + hours(11);
        if (auto r = s.BackdateDemoLease(inserted->id, core::IsoUtc(signed_at)); !r) return Fail(r.error());
    }

    std::vector<int64_t> ids(h.events.size(), 0);
    int64_t written = 0;
    for (size_t n = 0; n < h.events.size(); ++n) {
        const DemoEvent& e = h.events[n];
        const DemoTenant& t = h.tenants[e.tenant];
        const int64_t lease_id = lease_ids[e.tenant];
        std::string completed = core::IsoUtc(e.completed);
        switch (e.kind) {
            case DemoKind::kC2bLost:
                continue;  // the confirmation never arrived: only the statement knows it
            case DemoKind::kStkSuccess:
            case DemoKind::kStkFailed:
            case DemoKind::kStkUnderReview: {
                core::StkTransaction tx;
                tx.agency_id = agency_id;
                tx.lease_id = lease_id;
                tx.phone_number = t.phone;
                tx.amount = e.amount;
                tx.account_reference = t.unit;
                tx.transaction_desc = "Rent " + Month(e.created);
                tx.created_at = core::IsoUtc(e.created);
                auto inserted = s.InsertStk(tx);
                if (!inserted) return Fail(inserted.error());
                ids[n] = inserted->id;
                if (e.kind == DemoKind::kStkUnderReview) {
                    completed.clear();
                    storage::ReviewItem item;
                    item.agency_id = agency_id;
                    item.transaction_id = inserted->id;
                    item.reason_code = "never_confirmed";
                    item.reason = "Daraja's answer to this push never arrived and no callback matched it";
                    if (auto r = s.OpenReview(item); !r) return Fail(r.error());
                    break;
                }
                const std::string checkout = CheckoutId(e.created, n);
                const std::string merchant =
                    std::to_string(29115 + n % 900) + "-" + std::to_string(34620561 + n * 7) + "-1";
                if (auto r = s.SetStkDarajaIds(inserted->id, merchant, checkout); !r) return Fail(r.error());
                storage::StkOutcome outcome;
                if (e.kind == DemoKind::kStkSuccess) {
                    outcome.status = core::TxStatus::kSuccess;
                    outcome.result_code = 0;
                    outcome.result_desc = "The service request is processed successfully.";
                    outcome.mpesa_receipt_number = e.receipt;
                    outcome.transaction_date = core::DarajaTimestamp(e.completed);
                    outcome.paid_amount = e.amount;
                } else {
                    outcome.status = core::TxStatus::kFailed;
                    outcome.result_code = e.result_code;
                    outcome.result_desc = e.result_code == 1032   ? "Request Cancelled by user."
                                          : e.result_code == 1037 ? "DS timeout user cannot be reached."
                                                                  : "The balance is insufficient for the transaction.";
                }
                if (auto r = s.ApplyStkOutcome(checkout, outcome); !r) return Fail(r.error());
                break;
            }
            case DemoKind::kC2b: {
                service::C2bPaymentInput p;
                p.transaction_type = "Pay Bill";
                p.trans_id = e.receipt;
                p.trans_time = core::DarajaTimestamp(e.completed);
                p.completed_at = completed;
                p.amount = e.amount;
                p.business_shortcode = shortcode;
                p.bill_ref_number = t.unit;
                p.msisdn = sim::MaskMsisdnC2b(t.phone);
                for (char c : t.name.substr(0, t.name.find(' '))) p.payer_name += static_cast<char>(std::toupper(c));
                p.api_version = 2;
                auto recorded = service::RecordC2bPaymentFor(s, agency_id, p, "confirmation");
                if (!recorded) return Fail(recorded.error());
                ids[n] = recorded->payment.id;
                break;
            }
            case DemoKind::kRefund:
            case DemoKind::kReversal: {
                const DemoEvent& original = h.events[*e.original];
                storage::Transfer tr;
                tr.agency_id = agency_id;
                tr.phone_number = t.phone;
                tr.amount = e.amount;
                tr.original_transaction_id = ids[*e.original];
                if (e.kind == DemoKind::kRefund) {
                    tr.kind = core::TxKind::kB2c;
                    tr.type = "refund";
                    tr.command_id = "BusinessPayment";
                    tr.remarks =
                        e.amount == original.amount ? "Refund: rent paid twice" : "Refund: paid more than rent";
                } else {
                    tr.kind = core::TxKind::kReversal;
                    tr.type = "reversal";
                    tr.command_id = "TransactionReversal";
                    tr.remarks = "Reversal: wrong amount";
                    tr.reason = "The tenant typed ten times the rent";
                    tr.original_receipt = original.receipt;
                }
                tr.created_at = core::IsoUtc(e.created);
                auto inserted = s.InsertTransfer(tr);
                if (!inserted) return Fail(inserted.error());
                ids[n] = inserted->id;
                const std::string conversation = ConversationId(e.created, n);
                if (auto r = s.SetTransferDarajaIds(inserted->id, conversation + "-o", conversation); !r) {
                    return Fail(r.error());
                }
                storage::TransferOutcome outcome{core::TxStatus::kSuccess, "0",
                                                 "The service request is processed successfully.", e.receipt};
                if (auto r = s.ApplyTransferOutcome(inserted->id, outcome); !r) return Fail(r.error());
                break;
            }
        }
        if (auto r = s.BackdateDemoTransaction(ids[n], core::IsoUtc(e.created), completed); !r) return Fail(r.error());
        ++written;
    }
    return written;
}

}  // namespace

core::Result<DemoSeedResult> SeedDemoHistory(storage::Store& store, sim::Simulator* simulator,
                                             const std::string& agency, const std::string& shortcode, TimePoint now) {
    auto a = store.FindOrCreateAgency(agency);
    if (!a) return Fail(a.error());
    DemoSeedResult result;
    result.agency_id = a->id;
    auto marker = store.FindDemoSeed(a->id);
    if (!marker) return Fail(marker.error());
    DemoHistory history;
    if (*marker) {
        // Seeded before: the same history (its own `now`) for the simulator, nothing for the store.
        auto until = core::ParseIsoUtc((*marker)->history_until);
        if (!until) return Fail(ErrorCode::kInternal, "demo_seeds.history_until is not a time");
        history = BuildDemoHistory(*until);
        result.transactions = (*marker)->transactions;
    } else {
        history = BuildDemoHistory(now);
        auto unit = store.Atomically([&](storage::Store& s) -> core::Result<void> {
            // The seeded changes emit outbox events like live ones; they are marked done before anyone can fan them
            // out (same unit), so the history sends no receipts and no webhooks.
            auto before = s.LatestOutboxEventId();
            if (!before) return Fail(before.error());
            auto written = WriteHistory(s, a->id, history, shortcode);
            if (!written) return Fail(written.error());
            auto after = s.LatestOutboxEventId();
            if (!after) return Fail(after.error());
            if (auto skipped = s.SkipOutboxEvents(*before, *after); !skipped) return Fail(skipped.error());
            storage::Store::DemoSeed seed;
            seed.agency_id = a->id;
            seed.history_until = core::IsoUtc(history.until);
            seed.transactions = *written;
            if (auto r = s.InsertDemoSeed(seed); !r) return Fail(r.error());
            result.transactions = *written;
            return {};
        });
        if (!unit) return Fail(unit.error());
        result.seeded = true;
    }
    result.leases = static_cast<int64_t>(history.tenants.size());
    result.history_from = core::IsoUtc(history.from);
    result.history_until = core::IsoUtc(history.until);
    result.first_day = core::NairobiDayOf(history.from);
    result.last_day = core::NairobiDayOf(history.until);
    if (simulator != nullptr) {
        auto entries = LedgerEntries(history, shortcode);
        result.ledger_entries = entries.size();
        simulator->SeedLedger(std::move(entries));
    }
    return result;
}

}  // namespace haven::app
