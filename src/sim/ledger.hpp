#pragma once
// The simulator's books: the organisation's accounts (in cents) and every completed transaction by
// receipt, so reversals and status queries can find what STK, C2B and B2C produced. Not thread-safe:
// the Simulator guards it with its state mutex.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/wire.hpp"

namespace haven::sim {

struct Balances {
    int64_t working_cents = 70000000;      // Working Account 700000.00
    int64_t utility_cents = 22803700;      // Utility Account 228037.00 (C2B in, B2C out)
    int64_t charges_paid_cents = -154000;  // Charges Paid Account -1540.00
};

enum class EntryKind { kStk, kC2b, kB2c, kReversal };
const char* EntryKindName(EntryKind kind);

struct LedgerEntry {
    EntryKind kind = EntryKind::kStk;
    std::string receipt;
    int64_t amount = 0;  // whole shillings
    int64_t charge_cents = 0;
    std::string msisdn;     // the customer
    std::string shortcode;  // the organisation
    std::string account_reference;
    std::string conversation_id;
    std::string originator_conversation_id;
    std::string command_id;  // BusinessPayment, CustomerPayBillOnline, ...
    std::string reason;      // ReasonType in status results
    TimePoint time;
    bool reversed = false;
    std::string reversed_by;       // receipt of the reversal
    std::string original_receipt;  // for reversals: the reversed receipt
};

class Ledger {
  public:
    explicit Ledger(Balances initial = {});

    const Balances& Accounts() const { return balances_; }
    /// Money received from a customer (STK, C2B): credits the Utility Account.
    void Receive(LedgerEntry entry);
    /// True when the Utility Account can pay amount + charge.
    bool CanPay(int64_t amount, int64_t charge_cents) const;
    /// Money paid to a customer (B2C): debits the Utility Account, charge to Charges Paid.
    void Pay(LedgerEntry entry);
    /// Reverses a received transaction: debits the Utility Account, marks the original reversed.
    void Reverse(const std::string& original_receipt, LedgerEntry reversal);

    const LedgerEntry* FindByReceipt(const std::string& receipt) const;
    const LedgerEntry* FindByConversationId(const std::string& id) const;  // either conversation id
    const std::vector<LedgerEntry>& Entries() const { return entries_; }

    /// "Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|...".
    std::string AccountBalanceString() const;
    /// "Utility Account|KES|7722179.62|7722179.62|0.00|0.00" (reversal DebitAccountBalance).
    std::string UtilityBalanceString() const;
    nlohmann::json ToJson() const;

  private:
    Balances balances_;
    std::vector<LedgerEntry> entries_;
};

}  // namespace haven::sim
