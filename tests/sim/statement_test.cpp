// The simulator's statement export reads back through the gateway's own statement parser: every ledger entry is a
// row with its receipt, amount and account, each payment in is followed by its charge, the period filters.
#include "core/statement.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "sim/ledger.hpp"
#include "sim/statement.hpp"

namespace haven::sim {
namespace {

std::vector<core::StatementRow> Parse(const std::string& csv) {
    std::vector<core::StatementRow> rows;
    std::istringstream in(csv);
    auto n = core::ParseStatement(in, [&](const core::StatementRow& r) -> core::Result<void> {
        rows.push_back(r);
        return {};
    });
    EXPECT_TRUE(n) << (n ? "" : n.error().message) << "\n" << csv;
    return rows;
}

TEST(SimStatement, TheLedgerReadsBackAsAStatement) {
    Ledger ledger;
    const auto t0 = Clock::now() - std::chrono::hours(1);
    LedgerEntry pay;
    pay.kind = EntryKind::kStk;
    pay.receipt = "SIM0000001";
    pay.amount = 15000;
    pay.msisdn = "254708374149";
    pay.account_reference = "B4";
    pay.time = t0;
    ledger.Receive(pay);
    LedgerEntry out;
    out.kind = EntryKind::kB2c;
    out.receipt = "SIM0000002";
    out.amount = 2000;
    out.charge_cents = 2240;  // printed rounded up to 23: statement amounts are whole shillings
    out.msisdn = "254708374149";
    out.time = t0 + std::chrono::minutes(10);
    ledger.Pay(out);

    const auto rows = Parse(StatementCsv(ledger, Balances{}, "174379", std::nullopt, std::nullopt));
    ASSERT_EQ(rows.size(), 4u);  // newest first: the payout's charge, the payout, the payment's charge, the payment
    EXPECT_EQ(rows[1].receipt, "SIM0000002");
    EXPECT_EQ(rows[1].kind, core::StatementRowKind::kMoneyOut);
    EXPECT_EQ(rows[1].withdrawn, 2000);
    EXPECT_EQ(rows[0].kind, core::StatementRowKind::kCharge);
    EXPECT_EQ(rows[0].withdrawn, 23);
    EXPECT_EQ(rows[0].linked_receipt, "SIM0000002");
    EXPECT_EQ(rows[3].receipt, "SIM0000001");
    EXPECT_EQ(rows[3].kind, core::StatementRowKind::kPaymentIn);
    EXPECT_EQ(rows[3].paid_in, 15000);
    EXPECT_EQ(rows[3].account_no, "B4");
    EXPECT_TRUE(core::MaskedPhoneMatches(rows[3].other_party, "254708374149"));
    EXPECT_EQ(rows[3].completed_at, std::chrono::floor<std::chrono::seconds>(t0));
    EXPECT_EQ(rows[2].kind, core::StatementRowKind::kCharge);
    EXPECT_EQ(rows[2].withdrawn, PayBillCharge(15000));
    EXPECT_EQ(rows[2].linked_receipt, "SIM0000001");
    // The balance runs from the opening Utility Account: + 15,000 - charge - 2,000 - 23.
    EXPECT_EQ(*rows[0].balance, Balances{}.utility_cents / 100 + 15000 - PayBillCharge(15000) - 2000 - 23);

    const auto later = Parse(StatementCsv(ledger, Balances{}, "174379", t0 + std::chrono::minutes(5), std::nullopt));
    ASSERT_EQ(later.size(), 2u);
    EXPECT_EQ(later[1].receipt, "SIM0000002");
}

}  // namespace
}  // namespace haven::sim
