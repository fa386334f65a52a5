#include "sim/statement.hpp"

#include <algorithm>

#include "core/phone.hpp"

namespace haven::sim {
namespace {

std::string Shillings(int64_t cents) {
    // "1,234,567.00"
    const bool negative = cents < 0;
    const int64_t whole = (negative ? -cents : cents) / 100;
    const int64_t frac = (negative ? -cents : cents) % 100;
    std::string digits = std::to_string(whole);
    std::string grouped;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
        grouped += digits[i];
    }
    return (negative ? "-" : "") + grouped + "." + (frac < 10 ? "0" : "") + std::to_string(frac);
}

std::string Cell(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

struct Row {
    std::string receipt, time, details, reason, party, linked, account;
    int64_t in_cents = 0, out_cents = 0, balance_cents = 0;
};

/// A receipt for the charge of `receipt`: the same but its last character, one not used by the ledger.
std::string ChargeReceipt(const Ledger& ledger, const std::string& receipt) {
    static const std::string kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string out = receipt;
    if (out.empty()) return out;
    const size_t at = kAlphabet.find(out.back());
    for (size_t step = 1; step < kAlphabet.size(); ++step) {
        out.back() = kAlphabet[(at == std::string::npos ? 0 : at + step) % kAlphabet.size()];
        if (!ledger.FindByReceipt(out)) return out;
    }
    return receipt + "C";
}

}  // namespace

int64_t PayBillCharge(int64_t amount) { return std::clamp<int64_t>(amount * 55 / 10000, 1, 200); }

std::string StatementCsv(const Ledger& ledger, const Balances& opening, const std::string& shortcode,
                         std::optional<TimePoint> from, std::optional<TimePoint> to) {
    // Balances run over the whole ledger (oldest first); the period only chooses which rows are printed.
    std::vector<Row> rows;
    int64_t balance = opening.utility_cents / 100 * 100;  // whole shillings, as every statement amount
    for (const LedgerEntry& e : ledger.Entries()) {
        const bool shown = (!from || e.time >= *from) && (!to || e.time < *to);
        const std::string time = FormatEat(e.time, "%Y-%m-%d %H:%M:%S");
        const std::string party = core::MaskPhone(e.msisdn) + " - CUSTOMER";
        Row r{e.receipt, time, "", "", party, "", "", 0, 0, 0};
        int64_t charge_cents = 0;
        switch (e.kind) {
            case EntryKind::kStk:
            case EntryKind::kC2b:
                r.details = std::string(e.kind == EntryKind::kStk ? "Pay Bill Online from " : "Pay Bill from ") +
                            party + " Acc. " + e.account_reference;
                r.reason = "Pay Bill Online";
                r.account = e.account_reference;
                r.in_cents = e.amount * 100;
                charge_cents = PayBillCharge(e.amount) * 100;
                break;
            case EntryKind::kB2c:
                r.details = "Business Payment to " + party;
                r.reason = "Business Payment";
                r.out_cents = e.amount * 100;
                // M-Pesa's tariff is whole shillings (and so is every statement amount): the simulator's B2C charge
                // (22.40 by default) is printed rounded up.
                charge_cents = (e.charge_cents + 99) / 100 * 100;
                break;
            case EntryKind::kReversal:
                r.details = "Reversal of " + e.original_receipt;
                r.reason = "Reversal";
                r.linked = e.original_receipt;
                r.out_cents = e.amount * 100;
                break;
        }
        balance += r.in_cents - r.out_cents;
        r.balance_cents = balance;
        if (shown) rows.push_back(r);
        if (charge_cents > 0) {
            balance -= charge_cents;
            Row charge{ChargeReceipt(ledger, e.receipt),
                       time,
                       e.kind == EntryKind::kB2c ? "Business Payment Charge" : "Pay Bill Charge",
                       e.kind == EntryKind::kB2c ? "Business Payment Charge" : "Pay Bill Charge",
                       "",
                       e.receipt,
                       "",
                       0,
                       charge_cents,
                       balance};
            if (shown) rows.push_back(charge);
        }
    }
    std::string out;
    out += "Organization Name:,HAVEN DARAJA SIMULATOR\n";
    out += "Organization Short Code:," + shortcode + "\n";
    out += "Account:,Utility Account\n";
    out += "Time Period:," + (from ? FormatEat(*from, "%d-%m-%Y %H:%M:%S") : std::string("beginning")) + " - " +
           (to ? FormatEat(*to, "%d-%m-%Y %H:%M:%S") : std::string("now")) + "\n";
    out +=
        "Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,"
        "Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.\n";
    // Newest first, as the portal lists them.
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
        const Row& r = *it;
        out += r.receipt + "," + r.time + "," + r.time + "," + Cell(r.details) + ",Completed," +
               (r.in_cents ? Cell(Shillings(r.in_cents)) : "") + "," +
               (r.out_cents ? Cell(Shillings(r.out_cents)) : "") + "," + Cell(Shillings(r.balance_cents)) + ",true," +
               Cell(r.reason) + "," + Cell(r.party) + "," + r.linked + "," + Cell(r.account) + "\n";
    }
    return out;
}

}  // namespace haven::sim
