#include "sim/ledger.hpp"

namespace haven::sim {

const char* EntryKindName(EntryKind kind) {
    switch (kind) {
        case EntryKind::kStk:
            return "stk";
        case EntryKind::kC2b:
            return "c2b";
        case EntryKind::kB2c:
            return "b2c";
        case EntryKind::kReversal:
            return "reversal";
    }
    return "unknown";
}

Ledger::Ledger(Balances initial) : balances_(initial) {}

void Ledger::Receive(LedgerEntry entry) {
    balances_.utility_cents += entry.amount * 100;
    entries_.push_back(std::move(entry));
}

bool Ledger::CanPay(int64_t amount, int64_t charge_cents) const {
    return amount * 100 + charge_cents <= balances_.utility_cents;
}

void Ledger::Pay(LedgerEntry entry) {
    balances_.utility_cents -= entry.amount * 100 + entry.charge_cents;
    balances_.charges_paid_cents -= entry.charge_cents;
    entries_.push_back(std::move(entry));
}

void Ledger::Reverse(const std::string& original_receipt, LedgerEntry reversal) {
    for (auto& e : entries_) {
        if (e.receipt == original_receipt) {
            e.reversed = true;
            e.reversed_by = reversal.receipt;
        }
    }
    balances_.utility_cents -= reversal.amount * 100;
    reversal.original_receipt = original_receipt;
    entries_.push_back(std::move(reversal));
}

const LedgerEntry* Ledger::FindByReceipt(const std::string& receipt) const {
    for (const auto& e : entries_) {
        if (e.receipt == receipt) return &e;
    }
    return nullptr;
}

const LedgerEntry* Ledger::FindByConversationId(const std::string& id) const {
    if (id.empty()) return nullptr;
    for (const auto& e : entries_) {
        if (e.conversation_id == id || e.originator_conversation_id == id) return &e;
    }
    return nullptr;
}

namespace {
std::string Account(const char* name, int64_t cents) {
    std::string v = FormatCents(cents);
    return std::string(name) + "|KES|" + v + "|" + v + "|0.00|0.00";
}
}  // namespace

std::string Ledger::AccountBalanceString() const {
    return Account("Working Account", balances_.working_cents) + "&" + Account("Float Account", 0) + "&" +
           Account("Utility Account", balances_.utility_cents) + "&" +
           Account("Charges Paid Account", balances_.charges_paid_cents) + "&" +
           Account("Organization Settlement Account", 0);
}

std::string Ledger::UtilityBalanceString() const { return Account("Utility Account", balances_.utility_cents); }

nlohmann::json Ledger::ToJson() const {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : entries_) {
        entries.push_back({{"kind", EntryKindName(e.kind)},
                           {"receipt", e.receipt},
                           {"amount", e.amount},
                           {"chargeCents", e.charge_cents},
                           {"msisdn", e.msisdn},
                           {"shortcode", e.shortcode},
                           {"accountReference", e.account_reference},
                           {"conversationId", e.conversation_id},
                           {"originatorConversationId", e.originator_conversation_id},
                           {"commandId", e.command_id},
                           {"time", EatNumber(e.time)},
                           {"reversed", e.reversed},
                           {"reversedBy", e.reversed_by},
                           {"originalReceipt", e.original_receipt}});
    }
    return {{"accounts",
             {{"working", FormatCents(balances_.working_cents)},
              {"utility", FormatCents(balances_.utility_cents)},
              {"chargesPaid", FormatCents(balances_.charges_paid_cents)},
              {"accountBalance", AccountBalanceString()}}},
            {"entries", entries}};
}

}  // namespace haven::sim
