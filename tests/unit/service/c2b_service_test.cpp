// The C2B use cases on a real SQLite store in memory: the untrusted body checked (Daraja's captured v1, v2 and
// buy-goods bodies), matching by reference then v1 phone hash, unmatched payments queued for review, validation's
// decision, and the payer check before a refund.
#include "service/c2b_service.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/hex.hpp"

namespace haven::service {
namespace {

using nlohmann::json;

json Fixture(const std::string& name) {
    std::ifstream in(std::string(HAVEN_FIXTURES_DIR) + "/daraja/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

class C2bService : public ::testing::Test {
  protected:
    void SetUp() override {
        auto made = storage::MakeStore("sqlite::memory:");
        ASSERT_TRUE(made) << made.error().message;
        store_ = std::move(*made);
        ASSERT_TRUE(store_->Migrate());
        agency_ = store_->FindOrCreateAgency("Agency A")->id;
        config_.global_shortcode = "600996";
    }

    int64_t Lease(const std::string& reference, const std::string& phone) {
        core::Lease l;
        l.agency_id = agency_;
        l.tenant_name = "Jane";
        l.phone_number = phone;
        l.unit = reference;
        l.monthly_rent = 1000;
        l.account_reference = reference;
        return store_->InsertLease(l)->id;
    }

    std::unique_ptr<storage::Store> store_;
    int64_t agency_ = 0;
    C2bConfig config_;
};

TEST(C2bBody, DarajasCapturedBodiesParse) {
    auto v1 = ParseC2bBody(Fixture("c2b.confirmation.request.v1.json"));
    ASSERT_TRUE(v1) << v1.error().message;
    EXPECT_EQ(v1->api_version, 1);
    EXPECT_EQ(v1->amount, 1);
    EXPECT_EQ(v1->trans_id, "TFE6H2J8KD");
    EXPECT_EQ(v1->completed_at, "2025-06-14T14:05:12Z");  // 17:05:12 in Nairobi
    EXPECT_EQ(v1->payer_name, "John Doe");
    EXPECT_EQ(v1->msisdn, core::Sha256Hex("254708374149"));
    auto v2 = ParseC2bBody(Fixture("c2b.confirmation.request.v2.json"));
    ASSERT_TRUE(v2);
    EXPECT_EQ(v2->api_version, 2);
    EXPECT_EQ(v2->amount, 5);
    auto till = ParseC2bBody(Fixture("c2b.confirmation.request.buygoods.json"));
    ASSERT_TRUE(till);
    EXPECT_EQ(till->transaction_type, "Buy Goods");
    EXPECT_EQ(till->bill_ref_number, "");
    EXPECT_TRUE(ParseC2bBody(Fixture("c2b.validation.request.v1.json")));
}

TEST(C2bBody, UntrustedFieldsAreChecked) {
    const json good = Fixture("c2b.confirmation.request.v2.json");
    for (auto [field, value] : std::vector<std::pair<std::string, json>>{{"TransAmount", "10.50"},
                                                                         {"TransAmount", "0.00"},
                                                                         {"TransAmount", "-5"},
                                                                         {"TransAmount", "1e3"},
                                                                         {"TransAmount", nullptr},
                                                                         {"TransID", ""},
                                                                         {"TransID", "abc def"},
                                                                         {"TransID", "X' OR 1=1"},
                                                                         {"BusinessShortCode", "abc"},
                                                                         {"TransTime", "20251314170512"},
                                                                         {"TransTime", "yesterday"}}) {
        json body = good;
        body[field] = value;
        auto parsed = ParseC2bBody(body);
        EXPECT_FALSE(parsed) << field << "=" << value.dump();
    }
    json body = good;
    body["TransAmount"] = "1000";
    EXPECT_EQ(ParseC2bBody(body)->amount, 1000);
    EXPECT_FALSE(ParseC2bBody(json::array()));
}

TEST_F(C2bService, AReferenceMatchBeatsThePhoneAndAnUnknownOneIsQueued) {
    const int64_t b4 = Lease("B-04", "254708374149");
    auto in = ParseC2bBody(Fixture("c2b.confirmation.request.v2.json"));
    in->bill_ref_number = "b4";
    auto recorded = RecordC2bPayment(*store_, *in, config_);
    ASSERT_TRUE(recorded) << recorded.error().message;
    EXPECT_TRUE(recorded->applied);
    EXPECT_EQ(recorded->payment.lease_id, b4);
    EXPECT_EQ(recorded->payment.matched_by, "reference");
    // The same TransID again changes nothing.
    auto again = RecordC2bPayment(*store_, *in, config_);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->applied);
    EXPECT_EQ(store_->ListPayments(agency_, b4)->size(), 1u);

    in->trans_id = "TFE6H2J8ZZ";
    in->bill_ref_number = "ACC001";  // v2: masked number, no fallback
    auto unmatched = RecordC2bPayment(*store_, *in, config_);
    ASSERT_TRUE(unmatched);
    EXPECT_EQ(unmatched->payment.status, "unmatched");
    auto items = store_->ListReview({.agency_id = agency_, .transaction_id = unmatched->payment.id, .limit = 5});
    ASSERT_EQ(items->size(), 1u);
    EXPECT_EQ(items->front().reason_code, "c2b_unmatched");
}

TEST_F(C2bService, AV1PaymentFallsBackToThePhoneOnlyWhenOneLeaseHasIt) {
    const int64_t lease = Lease("B4", "254708374149");
    auto in = ParseC2bBody(Fixture("c2b.confirmation.request.v1.json"));  // ACC001, hash of 254708374149
    auto recorded = RecordC2bPayment(*store_, *in, config_);
    ASSERT_TRUE(recorded);
    EXPECT_EQ(recorded->payment.lease_id, lease);
    EXPECT_EQ(recorded->payment.matched_by, "phone");

    Lease("C7", "254708374149");  // now two leases have that number
    in->trans_id = "TFE6H2J8K2";
    auto ambiguous = RecordC2bPayment(*store_, *in, config_);
    ASSERT_TRUE(ambiguous);
    EXPECT_EQ(ambiguous->payment.status, "unmatched");
}

TEST_F(C2bService, AnUnknownShortcodeIsRefusedForReview) {
    auto in = ParseC2bBody(Fixture("c2b.confirmation.request.v2.json"));
    in->business_shortcode = "777777";
    auto recorded = RecordC2bPayment(*store_, *in, config_);
    ASSERT_FALSE(recorded);
    EXPECT_EQ(recorded.error().code, core::ErrorCode::kValidation);
}

TEST_F(C2bService, ValidationRejectsOnlyWhenTheAgencyRejectsUnknowns) {
    Lease("B4", "254711000222");
    auto in = ParseC2bBody(Fixture("c2b.validation.request.v1.json"));  // ACC001
    EXPECT_TRUE(*DecideC2bValidation(*store_, *in, config_));           // validation off
    config_.defaults.validation = true;
    EXPECT_TRUE(*DecideC2bValidation(*store_, *in, config_));  // on, but unknowns accepted
    config_.defaults.reject_unknown = true;
    EXPECT_FALSE(*DecideC2bValidation(*store_, *in, config_));
    in->bill_ref_number = "b 4";
    EXPECT_TRUE(*DecideC2bValidation(*store_, *in, config_));
}

TEST(C2bPayer, TheTypedNumberMustBeThePayers) {
    storage::C2bPayment v1;
    v1.api_version = 1;
    v1.msisdn = core::Sha256Hex("254708374149");
    EXPECT_TRUE(PayerMatches(v1, "254708374149"));
    EXPECT_FALSE(PayerMatches(v1, "254708374148"));
    storage::C2bPayment v2;
    v2.api_version = 2;
    v2.msisdn = "2547 ***** 149";
    EXPECT_TRUE(PayerMatches(v2, "254708374149"));
    EXPECT_FALSE(PayerMatches(v2, "254708374148"));
    v2.msisdn = "***";
    EXPECT_FALSE(PayerMatches(v2, "254708374149"));
}

}  // namespace
}  // namespace haven::service
