// The tenant's email (receipts by email, issue 13) on both backends: kept when a lease is created, set by a sync that
// sends one and kept by a sync that does not, changed and cleared by an edit.
#include <gtest/gtest.h>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage::test {
namespace {

class LeaseEmailStoreTest : public FreshStoreTest {
  protected:
    core::Lease NewLease(const std::string& email, const std::string& external_id = "") {
        core::Lease l;
        l.agency_id = agency_a_;
        l.tenant_name = "Jane Wanjiku";
        l.phone_number = "254708374149";
        l.unit = "B-12";
        l.monthly_rent = 25000;
        l.account_reference = "B12";
        l.email = email;
        l.external_id = external_id;
        return l;
    }
};

TEST_P(LeaseEmailStoreTest, CreatedLeaseKeepsItsEmail) {
    auto with = store_->InsertLease(NewLease("jane@example.com"));
    ASSERT_TRUE(with) << with.error().message;
    EXPECT_EQ(with->email, "jane@example.com");
    EXPECT_EQ(store_->FindLease(agency_a_, with->id)->email, "jane@example.com");
    auto without = store_->InsertLease(NewLease(""));
    ASSERT_TRUE(without);
    EXPECT_EQ(store_->FindLease(agency_a_, without->id)->email, "");
    EXPECT_EQ(store_->ListLeases(agency_a_)->front().email, "jane@example.com");
}

TEST_P(LeaseEmailStoreTest, SyncSetsTheEmailWhenSentAndKeepsItOtherwise) {
    auto created = store_->UpsertLeaseByExternalId(NewLease("jane@example.com", "haven-77"));
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_TRUE(created->created);
    EXPECT_EQ(created->lease.email, "jane@example.com");

    auto kept = store_->UpsertLeaseByExternalId(NewLease("", "haven-77"));
    ASSERT_TRUE(kept);
    EXPECT_FALSE(kept->created);
    EXPECT_EQ(kept->lease.email, "jane@example.com") << "a sync without an email keeps the stored one";

    auto changed = store_->UpsertLeaseByExternalId(NewLease("wanjiku@example.org", "haven-77"));
    ASSERT_TRUE(changed);
    EXPECT_EQ(store_->FindLeaseByExternalId(agency_a_, "haven-77")->email, "wanjiku@example.org");
}

TEST_P(LeaseEmailStoreTest, EditChangesAndClearsTheEmail) {
    auto lease = store_->InsertLease(NewLease("jane@example.com"));
    ASSERT_TRUE(lease);
    Store::LeaseEdit edit;
    edit.email = "";
    auto cleared = store_->UpdateLease(agency_a_, lease->id, edit);
    ASSERT_TRUE(cleared) << cleared.error().message;
    EXPECT_EQ(cleared->before.email, "jane@example.com");
    EXPECT_EQ(cleared->after.email, "");
    EXPECT_EQ(store_->FindLease(agency_a_, lease->id)->email, "");
}

INSTANTIATE_TEST_SUITE_P(Backends, LeaseEmailStoreTest, ::testing::ValuesIn(Backends()));

}  // namespace
}  // namespace haven::storage::test
