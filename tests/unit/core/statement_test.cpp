#include "core/statement.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/time.hpp"

namespace haven::core {
namespace {

const std::string kHeader =
    "Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,"
    "Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.\n";

struct Parsed {
    std::vector<StatementRow> rows;
    Result<int64_t> result;
};

Parsed ParseText(const std::string& text) {
    Parsed p;
    std::istringstream in(text);
    p.result = ParseStatement(in, [&](const StatementRow& row) -> Result<void> {
        p.rows.push_back(row);
        return {};
    });
    return p;
}

std::string ErrorOf(const std::string& text) {
    Parsed p = ParseText(text);
    EXPECT_FALSE(p.result.has_value()) << text;
    return p.result ? "" : p.result.error().message;
}

TEST(StatementAmount, AcceptsThousandsSeparatorsAndTwoDecimals) {
    struct Case {
        std::string text;
        int64_t shillings;
    };
    const Case cases[] = {
        {"1,000.00", 1000},        {"750", 750},         {"750.0", 750},         {"148,250.00", 148250},
        {"1,234,567.00", 1234567}, {"-2,000.00", -2000}, {" 15,000.00 ", 15000}, {"0.00", 0}};
    for (const Case& c : cases) {
        auto a = ParseStatementAmount(c.text);
        ASSERT_TRUE(a) << c.text << ": " << a.error().message;
        EXPECT_EQ(*a, c.shillings) << c.text;
    }
}

TEST(StatementAmount, RejectsCentsAndMalformedAmounts) {
    EXPECT_NE(ParseStatementAmount("10.50").error().message.find("whole shillings"), std::string::npos);
    for (const char* bad : {"1,00.00", "1,0000.00", ",100", "10.", "10.000", "abc", "1.2.3", "", "1e3", "--1"}) {
        EXPECT_FALSE(ParseStatementAmount(bad)) << bad;
    }
}

TEST(StatementTime, BothDateOrdersAreNairobiTime) {
    auto a = ParseStatementTime("2026-12-05 18:42:10");
    ASSERT_TRUE(a);
    EXPECT_EQ(IsoUtc(*a), "2026-12-05T15:42:10Z");
    auto b = ParseStatementTime("05-12-2026 18:42:10");
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b);
    auto c = ParseStatementTime("01/01/2027 01:30");
    ASSERT_TRUE(c);
    EXPECT_EQ(IsoUtc(*c), "2026-12-31T22:30:00Z");
    for (const char* bad : {"2026-13-01 00:00:00", "2026-02-30 10:00:00", "2026-12-05", "2026-12-05 24:00:00",
                            "05-12-26 10:00:00", "2026-12-05 10:00:00Z", "2026/12-05 10:00:00"}) {
        EXPECT_FALSE(ParseStatementTime(bad)) << bad;
    }
}

TEST(StatementParser, ReadsTheSample) {
    std::ifstream in(std::string(HAVEN_FIXTURES_DIR) + "/statements/statement-sample.csv", std::ios::binary);
    ASSERT_TRUE(in);
    std::vector<StatementRow> rows;
    auto n = ParseStatement(in, [&](const StatementRow& r) -> Result<void> {
        rows.push_back(r);
        return {};
    });
    ASSERT_TRUE(n) << n.error().message;
    ASSERT_EQ(*n, 7);
    ASSERT_EQ(rows.size(), 7u);
    EXPECT_EQ(rows[0].line, 6);
    EXPECT_EQ(rows[0].receipt, "UL7K3M9Q2A");
    EXPECT_EQ(rows[0].kind, StatementRowKind::kPaymentIn);
    EXPECT_EQ(rows[0].paid_in, 15000);
    EXPECT_EQ(rows[0].balance, 148250);
    EXPECT_EQ(rows[0].account_no, "B4");
    EXPECT_EQ(rows[0].other_party, "2547****149 - WANJIKU KAMAU");
    EXPECT_EQ(IsoUtc(rows[0].completed_at), "2026-12-05T15:42:10Z");
    ASSERT_TRUE(rows[0].initiated_at);
    EXPECT_EQ(IsoUtc(*rows[0].initiated_at), "2026-12-05T15:42:09Z");
    EXPECT_EQ(rows[1].kind, StatementRowKind::kCharge);
    EXPECT_EQ(rows[1].withdrawn, 52);
    EXPECT_EQ(rows[1].linked_receipt, "UL7K3M9Q2A");
    EXPECT_EQ(rows[4].kind, StatementRowKind::kMoneyOut);
    EXPECT_EQ(rows[4].withdrawn, 2000);
    EXPECT_EQ(rows[6].kind, StatementRowKind::kFailed);
    EXPECT_EQ(rows[6].Amount(), 0);
    EXPECT_EQ(rows[6].line, 12);
}

TEST(StatementParser, KeepsThePreambleLines) {
    std::vector<StatementRow> rows;
    StatementParser p([&](const StatementRow& r) -> Result<void> {
        rows.push_back(r);
        return {};
    });
    ASSERT_TRUE(p.Feed("Organization Short Code:,600977\nTime Period:,01-12-2026 - 07-12-2026\n" + kHeader));
    ASSERT_TRUE(p.Finish());
    ASSERT_EQ(p.preamble().size(), 2u);
    EXPECT_EQ(p.preamble()[0].first, "Organization Short Code");
    EXPECT_EQ(p.preamble()[0].second, "600977");
}

// Chunks split anywhere (inside a quoted amount, between CR and LF) give the same rows.
TEST(StatementParser, ChunkBoundariesDoNotMatter) {
    const std::string text = "Org:,X\r\n" + kHeader +
                             "AB12CD34EF,2026-12-05 18:42:10,,\"Pay Bill, \"\"quoted\"\"\",Completed,\"15,000.00\",,,"
                             "true,Pay Bill Online,2547****149 - A,,B4\r\n";
    for (size_t size = 1; size <= 7; ++size) {
        std::vector<StatementRow> rows;
        StatementParser p([&](const StatementRow& r) -> Result<void> {
            rows.push_back(r);
            return {};
        });
        for (size_t i = 0; i < text.size(); i += size) ASSERT_TRUE(p.Feed(text.substr(i, size)));
        ASSERT_TRUE(p.Finish());
        ASSERT_EQ(rows.size(), 1u) << size;
        EXPECT_EQ(rows[0].details, "Pay Bill, \"quoted\"");
        EXPECT_EQ(rows[0].paid_in, 15000);
        EXPECT_EQ(rows[0].line, 3);
    }
}

// Header names are matched leniently: case, spaces, a missing final dot, the alternative names.
TEST(StatementParser, LenientHeaderNames) {
    struct Case {
        std::string header;
        std::string row;
        int64_t paid_in;
        int64_t withdrawn;
    };
    const Case cases[] = {
        {"receipt no,COMPLETION TIME, Transaction Status ,paid in,withdrawn,a/c no\n",
         "AB12CD34EF,2026-12-05 18:42:10,Completed,\"1,000.00\",,B4\n", 1000, 0},
        {"Receipt,Completion Time,Transaction Status,Amount\n", "AB12CD34EF,05-12-2026 18:42:10,Completed,-500.00\n", 0,
         500},
        {"Transaction ID,Completion  Time,Status,Amount,Extra Column\n",
         "AB12CD34EF,2026-12-05 18:42:10,Completed,\"2,500\",whatever\n", 2500, 0},
        {"\xEF\xBB\xBFReceipt No.,Completion Time,Transaction Status,Paid In,Withdrawn\n",
         "AB12CD34EF,2026-12-05 18:42:10,Completed,,-300.00\n", 0, 300},
    };
    for (const Case& c : cases) {
        Parsed p = ParseText(c.header + c.row);
        ASSERT_TRUE(p.result) << c.header << p.result.error().message;
        ASSERT_EQ(p.rows.size(), 1u) << c.header;
        EXPECT_EQ(p.rows[0].paid_in, c.paid_in) << c.header;
        EXPECT_EQ(p.rows[0].withdrawn, c.withdrawn) << c.header;
        EXPECT_EQ(p.rows[0].line, 2) << c.header;
    }
}

TEST(StatementParser, ClassifiesRows) {
    struct Case {
        std::string status, paid_in, withdrawn, reason, details;
        StatementRowKind kind;
    };
    const Case cases[] = {
        {"Completed", "100.00", "", "Pay Bill Online", "Pay Bill from", StatementRowKind::kPaymentIn},
        {"Completed", "", "100.00", "Business Payment", "Business Payment to", StatementRowKind::kMoneyOut},
        {"Completed", "", "52.00", "Pay Bill Charge", "Pay Bill Charge", StatementRowKind::kCharge},
        {"Completed", "", "100.00", "Reversal", "Reversal of", StatementRowKind::kReversal},
        {"Completed", "", "100.00", "", "Reversal for transaction", StatementRowKind::kReversal},
        {"Failed", "100.00", "", "Pay Bill Online", "", StatementRowKind::kFailed},
        {"cancelled", "", "", "Pay Bill Online", "", StatementRowKind::kFailed},
    };
    for (const Case& c : cases) {
        Parsed p = ParseText(kHeader + "AB12CD34EF,2026-12-05 18:42:10,," + c.details + "," + c.status + "," +
                             c.paid_in + "," + c.withdrawn + ",,true," + c.reason + ",,,\n");
        ASSERT_TRUE(p.result) << c.reason << ": " << p.result.error().message;
        ASSERT_EQ(p.rows.size(), 1u);
        EXPECT_EQ(p.rows[0].kind, c.kind) << c.status << " " << c.reason << " " << c.details;
    }
}

TEST(StatementParser, MalformedFilesNameTheLine) {
    struct Case {
        std::string text;
        std::string message;
    };
    const std::string row = "AB12CD34EF,2026-12-05 18:42:10,,x,Completed,100.00,,,true,Pay Bill Online,,,B4\n";
    const Case cases[] = {
        {"Org:,X\n" + kHeader + row + "AB12CD34EG,2026-12-05 18:42:10,,x,Completed,10.50,,,true,P,,,B4\n",
         "line 4: Paid In: amount \"10.50\" has cents"},
        {kHeader + row + "AB12CD34EG,2026-12-05,,x,Completed,100.00,,,true,P,,,B4\n", "line 3: Completion Time"},
        {kHeader + "AB12CD34EG,2026-12-05 18:42:10,x,Completed,100.00\n",
         "line 2: 5 fields, but the header row has 13"},
        {kHeader + ",2026-12-05 18:42:10,,x,Completed,100.00,,,true,P,,,B4\n", "line 2: Receipt No. is empty"},
        {kHeader + "AB-12,2026-12-05 18:42:10,,x,Completed,100.00,,,true,P,,,B4\n", "line 2: Receipt No. \"AB-12\""},
        {kHeader + "AB12CD34EF,2026-12-05 18:42:10,,x,Pending,100.00,,,true,P,,,B4\n",
         "line 2: Transaction Status \"Pending\""},
        {kHeader + "AB12CD34EF,2026-12-05 18:42:10,,x,Completed,100.00,50.00,,true,P,,,B4\n",
         "line 2: both Paid In and Withdrawn"},
        {kHeader + row + "AB12CD34EF,2026-12-05 18:42:10,,\"x,Completed,100.00,,,true,P,,,B4\n",
         "line 3: a quoted field is never closed"},
        {kHeader + "AB12CD34EF,2026-12-05 18:42:10,,x\"y,Completed,1,,,true,P,,,B4\n", "line 2: a quote inside"},
        {"just,some\nother,file\n", "no table header row"},
        {"Receipt No.,Completion Time,Paid In,Withdrawn\n", "line 1: the header row lacks Transaction Status"},
        {"Receipt No.,Completion Time,Transaction Status,Paid In\n", "line 1: the header row lacks Paid In and"},
        {"Receipt,Receipt No.,Completion Time,Transaction Status,Amount\n", "line 1: the column Receipt No. appears"},
        {"", "line 1: no table header row"},
    };
    for (const Case& c : cases) {
        const std::string message = ErrorOf(c.text);
        EXPECT_NE(message.find(c.message), std::string::npos) << "got: " << message << "\nwant: " << c.message;
    }
}

// A quoted field may span lines: the row keeps the line it starts on and the next row's line is counted right.
TEST(StatementParser, MultiLineQuotedFieldKeepsLineNumbers) {
    Parsed p = ParseText(kHeader + "AB12CD34EF,2026-12-05 18:42:10,,\"two\nlines\",Completed,1,,,true,P,,,B4\n" +
                         "AB12CD34EG,2026-12-05 18:42:10,,x,Completed,2,,,true,P,,,B4\n");
    ASSERT_TRUE(p.result) << p.result.error().message;
    ASSERT_EQ(p.rows.size(), 2u);
    EXPECT_EQ(p.rows[0].line, 2);
    EXPECT_EQ(p.rows[0].details, "two\nlines");
    EXPECT_EQ(p.rows[1].line, 4);
}

TEST(StatementParser, AHandlerErrorStopsTheParse) {
    int seen = 0;
    std::istringstream in(kHeader + "AB12CD34EF,2026-12-05 18:42:10,,x,Completed,1,,,true,P,,,B4\n" +
                          "AB12CD34EG,2026-12-05 18:42:10,,x,Completed,2,,,true,P,,,B4\n");
    auto r = ParseStatement(in, [&](const StatementRow& row) -> Result<void> {
        ++seen;
        return Fail(ErrorCode::kValidation, "line " + std::to_string(row.line) + ": stop");
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "line 2: stop");
    EXPECT_EQ(seen, 1);
}

TEST(MaskedPhone, ComparesTheVisibleDigits) {
    EXPECT_TRUE(MaskedPhoneMatches("2547****149 - JANE DOE", "254712345149"));
    EXPECT_TRUE(MaskedPhoneMatches("2547 ***** 149", "254712345149"));
    EXPECT_TRUE(MaskedPhoneMatches("254712345149", "254712345149"));
    EXPECT_FALSE(MaskedPhoneMatches("2547****148 - JANE DOE", "254712345149"));
    EXPECT_FALSE(MaskedPhoneMatches("2547****149", "254812345149"));
    EXPECT_FALSE(MaskedPhoneMatches("****149", "254712345149"));  // too few digits to say
    EXPECT_FALSE(MaskedPhoneMatches("", "254712345149"));
    EXPECT_EQ(VisibleDigits("2547****149 - JANE 2"), "2547149");
}

}  // namespace
}  // namespace haven::core
