// Receipts: the repository's templates as a tenant reads them (one SMS, Nairobi time, HTML-escaped values, an
// agency's own wording), and the fan-out on a real SQLite store: which payment events become which email and SMS
// messages, with the payloads, recipients and keys the outbox stores.
#include "service/receipts.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/rent_roll.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "storage/store.hpp"

namespace haven::service {
namespace {

using nlohmann::json;

std::chrono::system_clock::time_point At(const std::string& iso) { return *core::ParseIsoUtc(iso); }

ReceiptFacts Typical() {
    // A typical payment with generous lengths: a 10-character receipt, a five-figure amount, a long unit and
    // agency name, and money still owed (the longest of the three balance wordings).
    return ReceiptFacts{"TL4H2K9QXZ",
                        25000,
                        "Block B-12",
                        "Jane Wanjiku Mwangi",
                        At("2026-12-01T21:30:00Z"),
                        12500,
                        "Sunrise Apartments Ltd"};
}

TEST(ReceiptTemplates, TypicalReceiptFitsOneSmsAndNamesThePayment) {
    ReceiptTemplates templates(HAVEN_TEMPLATES_DIR);
    auto r = templates.Render(1, Typical());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_LE(core::Utf8Length(r->sms), 160u) << r->sms;
    EXPECT_NE(r->sms.find("TL4H2K9QXZ"), std::string::npos) << r->sms;
    EXPECT_NE(r->sms.find("KES 25,000"), std::string::npos) << r->sms;
    EXPECT_NE(r->sms.find("Block B-12"), std::string::npos) << r->sms;
    // 21:30 UTC on 1 December is 00:30 on 2 December in Nairobi.
    EXPECT_NE(r->sms.find("2 Dec 2026 00:30"), std::string::npos) << r->sms;
    EXPECT_NE(r->sms.find("Dec 2026 balance: KES 12,500"), std::string::npos) << r->sms;
    EXPECT_EQ(r->sms.find('\n'), std::string::npos);
    EXPECT_EQ(r->subject, "Receipt TL4H2K9QXZ: KES 25,000 for Block B-12");
    for (const std::string* part : {&r->text, &r->html}) {
        EXPECT_NE(part->find("TL4H2K9QXZ"), std::string::npos);
        EXPECT_NE(part->find("KES 25,000"), std::string::npos);
        EXPECT_NE(part->find("Block B-12"), std::string::npos);
        EXPECT_NE(part->find("2 Dec 2026"), std::string::npos);
        EXPECT_NE(part->find("00:30"), std::string::npos);
        EXPECT_NE(part->find("December 2026"), std::string::npos);
        EXPECT_NE(part->find("KES 12,500"), std::string::npos);
        EXPECT_NE(part->find("Sunrise Apartments Ltd"), std::string::npos);
    }
}

TEST(ReceiptTemplates, BalanceWordingFollowsTheMonthsBalance) {
    ReceiptTemplates templates(HAVEN_TEMPLATES_DIR);
    ReceiptFacts f = Typical();
    f.month_balance = 0;
    auto settled = templates.Render(1, f);
    ASSERT_TRUE(settled);
    EXPECT_NE(settled->sms.find("Dec 2026 rent paid in full"), std::string::npos) << settled->sms;
    EXPECT_EQ(settled->sms.find("balance:"), std::string::npos);
    f.month_balance = -3000;
    auto credit = templates.Render(1, f);
    ASSERT_TRUE(credit);
    EXPECT_NE(credit->sms.find("Dec 2026 credit: KES 3,000"), std::string::npos) << credit->sms;
    EXPECT_NE(credit->text.find("KES 3,000 paid ahead"), std::string::npos);
}

TEST(ReceiptTemplates, HtmlPartEscapesValuesAndTextPartsDoNot) {
    ReceiptTemplates templates(HAVEN_TEMPLATES_DIR);
    ReceiptFacts f = Typical();
    f.tenant_name = "Tom & <b>Jerry</b>";
    f.unit = "A&B \"1\"";
    auto r = templates.Render(1, f);
    ASSERT_TRUE(r);
    EXPECT_NE(r->html.find("Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;"), std::string::npos);
    EXPECT_EQ(r->html.find("<b>Jerry"), std::string::npos);
    EXPECT_NE(r->text.find("Dear Tom & <b>Jerry</b>,"), std::string::npos);
    EXPECT_NE(r->subject.find("A&B \"1\""), std::string::npos);
    EXPECT_NE(r->sms.find("A&B \"1\""), std::string::npos);
}

TEST(ReceiptTemplates, AnAgencysOwnFileOverridesTheDefaultForThatAgencyOnly) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("haven-templates-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::copy(HAVEN_TEMPLATES_DIR, dir, fs::copy_options::recursive);
    fs::create_directories(dir / "agency-7");
    std::ofstream(dir / "agency-7" / "receipt-sms.txt") << "Asante {{tenant_name}}! {{amount}} ({{receipt_number}})\n";
    ReceiptTemplates templates(dir.string());
    auto own = templates.Render(7, Typical());
    ASSERT_TRUE(own) << own.error().message;
    EXPECT_EQ(own->sms, "Asante Jane Wanjiku Mwangi! KES 25,000 (TL4H2K9QXZ)");
    EXPECT_EQ(own->subject, "Receipt TL4H2K9QXZ: KES 25,000 for Block B-12") << "files it lacks come from the default";
    auto other = templates.Render(8, Typical());
    ASSERT_TRUE(other);
    EXPECT_NE(other->sms.find("confirmed"), std::string::npos);

    // An edit applies to the next receipt, without a restart.
    std::ofstream(dir / "agency-7" / "receipt-sms.txt") << "Paid {{amount}}\n";
    EXPECT_EQ(templates.Render(7, Typical())->sms, "Paid KES 25,000");

    // A broken template is an error naming the file, not a receipt with holes.
    std::ofstream(dir / "agency-7" / "receipt-sms.txt") << "Paid {{#owing}}{{amount}}\n";
    auto broken = templates.Render(7, Typical());
    ASSERT_FALSE(broken);
    EXPECT_NE(broken.error().message.find("receipt-sms.txt"), std::string::npos);
    fs::remove_all(dir);
}

TEST(FormatKes, GroupsThousands) {
    EXPECT_EQ(FormatKes(0), "KES 0");
    EXPECT_EQ(FormatKes(999), "KES 999");
    EXPECT_EQ(FormatKes(1000), "KES 1,000");
    EXPECT_EQ(FormatKes(1234567), "KES 1,234,567");
    EXPECT_EQ(FormatKes(-2500), "KES -2,500");
}

class ReceiptFanOutTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto made = storage::MakeStore("sqlite::memory:");
        ASSERT_TRUE(made) << made.error().message;
        store_ = std::move(*made);
        ASSERT_TRUE(store_->Migrate());
        agency_ = store_->FindOrCreateAgency("Sunrise Apartments")->id;
    }

    int64_t Lease(const std::string& email) {
        core::Lease l;
        l.agency_id = agency_;
        l.tenant_name = "Jane Wanjiku";
        l.phone_number = "254708374149";
        l.unit = "B-12";
        l.monthly_rent = 25000;
        l.account_reference = "B12";
        l.email = email;
        // Rent accrues from the first of this Nairobi month, so this month's balance is 25,000 less what is paid.
        l.start_date = core::NairobiDayOf(std::chrono::system_clock::now()).substr(0, 8) + "01";
        auto inserted = store_->InsertLease(l);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return inserted->id;
    }

    /// A successful STK push of `amount` (for the lease, when given); returns its transaction id.
    int64_t PaidStk(std::optional<int64_t> lease_id, int64_t amount, const std::string& receipt) {
        core::StkTransaction tx;
        tx.agency_id = agency_;
        tx.lease_id = lease_id;
        tx.phone_number = "254708374149";
        tx.amount = amount;
        tx.account_reference = "B12";
        tx.transaction_desc = "Rent";
        auto inserted = store_->InsertStk(tx);
        EXPECT_TRUE(inserted) << inserted.error().message;
        const std::string checkout = "ws_CO_" + receipt;
        EXPECT_TRUE(store_->SetStkDarajaIds(inserted->id, "m-" + receipt, checkout));
        storage::StkOutcome outcome;
        outcome.status = core::TxStatus::kSuccess;
        outcome.result_desc = "The service request is processed successfully.";
        outcome.mpesa_receipt_number = receipt;
        outcome.paid_amount = amount;
        auto applied = store_->ApplyStkOutcome(checkout, outcome);
        EXPECT_TRUE(applied && applied->applied);
        return inserted->id;
    }

    storage::OutboxEvent Event(int64_t id, const std::string& type, const std::string& kind, int64_t subject) {
        storage::OutboxEvent e;
        e.id = id;
        e.agency_id = agency_;
        e.type = type;
        e.subject_kind = kind;
        e.subject_id = subject;
        return e;
    }

    std::vector<storage::OutboxMessage> FanOut(ReceiptChannels channels, const storage::OutboxEvent& event) {
        auto fan_out = MakeReceiptFanOut(ReceiptTemplates(HAVEN_TEMPLATES_DIR), channels);
        auto out = fan_out(*store_, event);
        EXPECT_TRUE(out) << out.error().message;
        return out ? *out : std::vector<storage::OutboxMessage>{};
    }

    std::unique_ptr<storage::Store> store_;
    int64_t agency_ = 0;
};

TEST_F(ReceiptFanOutTest, StkPaymentOfALeaseBecomesOneEmailAndOneSms) {
    const int64_t lease = Lease("jane@example.com");
    const int64_t tx = PaidStk(lease, 20000, "TL4H2K9QXZ");
    auto messages = FanOut({.email = true, .sms = true}, Event(41, "payment.succeeded", "stk", tx));
    ASSERT_EQ(messages.size(), 2u);

    const auto& email = messages[0];
    EXPECT_EQ(email.channel, "email");
    EXPECT_EQ(email.event_id, 41);
    EXPECT_EQ(email.agency_id, agency_);
    EXPECT_EQ(email.recipient, "jane@example.com");
    EXPECT_EQ(email.dedupe_key, "41:email:jane@example.com");
    const json mail = json::parse(email.payload);
    EXPECT_EQ(mail["to"], "jane@example.com");
    EXPECT_EQ(mail["subject"], "Receipt TL4H2K9QXZ: KES 20,000 for B-12");
    for (const char* part : {"text", "html"}) {
        const std::string body = mail[part].get<std::string>();
        EXPECT_NE(body.find("TL4H2K9QXZ"), std::string::npos) << part;
        EXPECT_NE(body.find("KES 20,000"), std::string::npos) << part;
        // The rent roll's balance for the month: 25,000 due, 20,000 paid.
        EXPECT_NE(body.find("KES 5,000"), std::string::npos) << part;
        EXPECT_NE(body.find("Sunrise Apartments"), std::string::npos) << part;
    }

    const auto& sms = messages[1];
    EXPECT_EQ(sms.channel, "sms");
    EXPECT_EQ(sms.recipient, "254708374149");
    EXPECT_EQ(sms.dedupe_key, "41:sms:254708374149");
    const json text = json::parse(sms.payload);
    EXPECT_EQ(text["to"], "+254708374149");
    const std::string message = text["message"].get<std::string>();
    EXPECT_LE(core::Utf8Length(message), 160u);
    EXPECT_NE(message.find("TL4H2K9QXZ confirmed. KES 20,000 received for B-12"), std::string::npos) << message;
    EXPECT_NE(message.find("balance: KES 5,000"), std::string::npos) << message;
}

TEST_F(ReceiptFanOutTest, OnlyConfiguredChannelsAndKnownAddressesGetMessages) {
    const int64_t with_email = Lease("jane@example.com");
    const int64_t without_email = Lease("");
    const int64_t tx1 = PaidStk(with_email, 25000, "TL4H2K9QX1");
    const int64_t tx2 = PaidStk(without_email, 25000, "TL4H2K9QX2");

    auto sms_only = FanOut({.email = false, .sms = true}, Event(1, "payment.succeeded", "stk", tx1));
    ASSERT_EQ(sms_only.size(), 1u);
    EXPECT_EQ(sms_only[0].channel, "sms");
    EXPECT_NE(json::parse(sms_only[0].payload)["message"].get<std::string>().find("rent paid in full"),
              std::string::npos);

    auto email_only = FanOut({.email = true, .sms = false}, Event(2, "payment.succeeded", "stk", tx1));
    ASSERT_EQ(email_only.size(), 1u);
    EXPECT_EQ(email_only[0].channel, "email");

    auto no_address = FanOut({.email = true, .sms = false}, Event(3, "payment.succeeded", "stk", tx2));
    EXPECT_TRUE(no_address.empty()) << "a lease without an email gets no email";

    EXPECT_TRUE(FanOut({.email = false, .sms = false}, Event(4, "payment.succeeded", "stk", tx1)).empty());
}

TEST_F(ReceiptFanOutTest, OtherEventsAndPaymentsOfNoLeaseGetNoReceipt) {
    const int64_t lease = Lease("jane@example.com");
    const int64_t tx = PaidStk(lease, 25000, "TL4H2K9QX3");
    const int64_t no_lease = PaidStk(std::nullopt, 500, "TL4H2K9QX4");
    const ReceiptChannels both{.email = true, .sms = true};
    EXPECT_TRUE(FanOut(both, Event(5, "payment.failed", "stk", tx)).empty());
    EXPECT_TRUE(FanOut(both, Event(6, "transaction.needs_review", "review", 1)).empty());
    EXPECT_TRUE(FanOut(both, Event(7, "payment.succeeded", "stk", no_lease)).empty());
    storage::OutboxEvent install_wide = Event(8, "payment.succeeded", "stk", tx);
    install_wide.agency_id.reset();
    EXPECT_TRUE(FanOut(both, install_wide).empty());
}

TEST_F(ReceiptFanOutTest, MatchedC2bPaymentGetsAReceiptAndAnUnmatchedOneDoesNot) {
    const int64_t lease = Lease("jane@example.com");
    storage::C2bPayment p;
    p.agency_id = agency_;
    p.trans_id = "TC2B0001AB";
    p.transaction_type = "Pay Bill";
    p.business_shortcode = "600996";
    p.bill_ref_number = "B12";
    p.amount = 25000;
    p.msisdn = "2547****4149";
    p.trans_time = "20261202103000";
    p.completed_at = core::IsoUtc(std::chrono::system_clock::now());
    p.lease_id = lease;
    p.matched_by = "reference";
    p.status = "matched";
    auto matched = store_->InsertC2bPayment(p);
    ASSERT_TRUE(matched) << matched.error().message;

    auto messages = FanOut({.email = true, .sms = true}, Event(9, "c2b.received", "c2b", matched->payment.id));
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[1].dedupe_key, "9:sms:254708374149");
    const std::string sms = json::parse(messages[1].payload)["message"].get<std::string>();
    EXPECT_NE(sms.find("TC2B0001AB confirmed. KES 25,000"), std::string::npos) << sms;
    EXPECT_NE(sms.find("rent paid in full"), std::string::npos) << sms;

    storage::C2bPayment u = p;
    u.trans_id = "TC2B0002CD";
    u.lease_id.reset();
    u.matched_by = "";
    u.status = "unmatched";
    auto unmatched = store_->InsertC2bPayment(u);
    ASSERT_TRUE(unmatched) << unmatched.error().message;
    EXPECT_TRUE(FanOut({.email = true, .sms = true}, Event(10, "c2b.received", "c2b", unmatched->payment.id)).empty());
}

}  // namespace
}  // namespace haven::service
