// The users part of the Store contract (invites, reset links, roles, disabling, the last-admin rule), on SQLite
// always and on PostgreSQL when HAVEN_TEST_POSTGRES_URL is set (a fresh schema per test).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

using core::ErrorCode;
using core::Role;

constexpr const char* kFuture = "2999-01-01T00:00:00Z";
constexpr const char* kPast = "2000-01-01T00:00:00Z";
constexpr const char* kNow = "2026-01-01T00:00:00Z";

class UsersContract : public test::FreshStoreTest {
  protected:
    void SetUp() override {
        FreshStoreTest::SetUp();
        if (HasFatalFailure()) return;
        admin_ = AddUser(agency_a_, "admin@a.test", Role::kAdmin).id;
    }

    core::User AddUser(int64_t agency, const std::string& email, Role role) {
        core::User u;
        u.agency_id = agency;
        u.email = email;
        u.password_hash = "hash-of-" + email;
        u.role = role;
        auto inserted = store_->InsertUser(u);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return inserted.value_or(core::User{});
    }

    UserInvite Invite(const std::string& email, Role role, const std::string& token_hash,
                      const std::string& expires_at = kFuture) {
        UserInvite i;
        i.agency_id = agency_a_;
        i.purpose = "invite";
        i.email = email;
        i.role = role;
        i.token_hash = token_hash;
        i.created_by_user_id = admin_;
        i.expires_at = expires_at;
        return i;
    }

    int64_t admin_ = 0;
};

TEST_P(UsersContract, AnInviteIsUsedOnceAndCreatesItsUser) {
    auto invite = store_->InsertInvite(Invite("manager@a.test", Role::kManager, "h1"));
    ASSERT_TRUE(invite) << invite.error().message;
    EXPECT_EQ(store_->ListPendingInvites(agency_a_, kNow)->size(), 1U);
    EXPECT_TRUE(store_->ListPendingInvites(agency_b_, kNow)->empty());

    auto user = store_->RedeemInvite("h1", "new-hash", kNow, 0);
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->email, "manager@a.test");
    EXPECT_EQ(user->role, Role::kManager);
    EXPECT_EQ(user->agency_id, agency_a_);
    EXPECT_EQ(user->password_hash, "new-hash");
    EXPECT_TRUE(store_->ListPendingInvites(agency_a_, kNow)->empty());

    auto again = store_->RedeemInvite("h1", "other-hash", kNow, 0);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kConflict);
    EXPECT_NE(again.error().message.find("already used"), std::string::npos);
    EXPECT_EQ(store_->FindUserByEmail("manager@a.test")->password_hash, "new-hash");
}

TEST_P(UsersContract, ExpiredRevokedAndUnknownLinksAreRefusedWithTheirReason) {
    ASSERT_TRUE(store_->InsertInvite(Invite("old@a.test", Role::kViewer, "expired", kPast)));
    auto revoked = store_->InsertInvite(Invite("gone@a.test", Role::kViewer, "revoked"));
    ASSERT_TRUE(revoked);
    EXPECT_FALSE(store_->RevokeInvite(agency_b_, revoked->id));  // another agency's: not found
    ASSERT_TRUE(store_->RevokeInvite(agency_a_, revoked->id));
    EXPECT_EQ(store_->RevokeInvite(agency_a_, revoked->id).error().code, ErrorCode::kConflict);

    auto expired = store_->RedeemInvite("expired", "x", kNow, 0);
    ASSERT_FALSE(expired);
    EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
    auto refused = store_->RedeemInvite("revoked", "x", kNow, 0);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("revoked"), std::string::npos);
    EXPECT_EQ(store_->RedeemInvite("nope", "x", kNow, 0).error().code, ErrorCode::kNotFound);
    EXPECT_FALSE(store_->FindUserByEmail("old@a.test"));
    EXPECT_FALSE(store_->FindUserByEmail("gone@a.test"));
}

TEST_P(UsersContract, InvitingAnExistingUsersEmailIsAConflict) {
    auto dup = store_->InsertInvite(Invite("ADMIN@a.test", Role::kViewer, "h2"));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
}

TEST_P(UsersContract, TheLastActiveAdminCannotBeDemotedOrDisabled) {
    auto demote = store_->SetUserRole(agency_a_, admin_, Role::kViewer);
    ASSERT_FALSE(demote);
    EXPECT_EQ(demote.error().code, ErrorCode::kConflict);
    auto disable = store_->SetUserDisabled(agency_a_, admin_, true, 100);
    ASSERT_FALSE(disable);
    EXPECT_EQ(disable.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->FindUserById(admin_)->role, Role::kAdmin);
    EXPECT_TRUE(store_->FindUserById(admin_)->disabled_at.empty());

    // With a second admin, one may go; another agency's admins do not count.
    AddUser(agency_b_, "admin@b.test", Role::kAdmin);
    auto second = AddUser(agency_a_, "second@a.test", Role::kAdmin);
    auto disabled = store_->SetUserDisabled(agency_a_, second.id, true, 100);
    ASSERT_TRUE(disabled) << disabled.error().message;
    EXPECT_FALSE(disabled->disabled_at.empty());
    EXPECT_EQ(disabled->tokens_valid_after, 100);
    EXPECT_EQ(store_->SetUserRole(agency_a_, admin_, Role::kManager).error().code, ErrorCode::kConflict);
    ASSERT_TRUE(store_->SetUserDisabled(agency_a_, second.id, false, 0));
    ASSERT_TRUE(store_->SetUserRole(agency_a_, admin_, Role::kManager));
}

TEST_P(UsersContract, AnotherAgencysUserIsNotFound) {
    auto other = AddUser(agency_b_, "viewer@b.test", Role::kViewer);
    EXPECT_EQ(store_->SetUserRole(agency_a_, other.id, Role::kAdmin).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->SetUserDisabled(agency_a_, other.id, true, 1).error().code, ErrorCode::kNotFound);
    UserInvite link;
    link.token_hash = "r";
    link.expires_at = kFuture;
    EXPECT_EQ(store_->StartPasswordReset(agency_a_, other.id, link, 1).error().code, ErrorCode::kNotFound);
    ASSERT_EQ(store_->ListUsers(agency_a_)->size(), 1U);
}

TEST_P(UsersContract, TwoAdminsDemotingEachOtherAtOnceLeaveOneAdmin) {
    auto second = AddUser(agency_a_, "second@a.test", Role::kAdmin);
    for (int round = 0; round < 5; ++round) {
        std::atomic<int> won{0};
        std::thread t1([&] { won += store_->SetUserRole(agency_a_, admin_, Role::kViewer).has_value() ? 1 : 0; });
        std::thread t2([&] { won += store_->SetUserDisabled(agency_a_, second.id, true, 1).has_value() ? 1 : 0; });
        t1.join();
        t2.join();
        EXPECT_EQ(won.load(), 1);
        int active_admins = 0;
        auto users = store_->ListUsers(agency_a_);
        ASSERT_TRUE(users);
        for (const auto& u : *users) {
            if (u.role == Role::kAdmin && u.disabled_at.empty()) ++active_admins;
        }
        EXPECT_EQ(active_admins, 1);
        ASSERT_TRUE(store_->SetUserDisabled(agency_a_, second.id, false, 0));
        ASSERT_TRUE(store_->SetUserRole(agency_a_, admin_, Role::kAdmin));
    }
}

TEST_P(UsersContract, AForcedResetClearsThePasswordAndItsLinkSetsANewOne) {
    auto manager = AddUser(agency_a_, "manager@a.test", Role::kManager);
    UserInvite first;
    first.token_hash = "reset-1";
    first.created_by_user_id = admin_;
    first.expires_at = kFuture;
    ASSERT_TRUE(store_->StartPasswordReset(agency_a_, manager.id, first, 50));
    UserInvite second = first;
    second.token_hash = "reset-2";
    auto link = store_->StartPasswordReset(agency_a_, manager.id, second, 60);
    ASSERT_TRUE(link) << link.error().message;
    EXPECT_EQ(link->purpose, "reset");
    EXPECT_EQ(link->user_id, manager.id);
    EXPECT_EQ(link->email, "manager@a.test");
    auto cleared = store_->FindUserById(manager.id);
    EXPECT_TRUE(cleared->password_hash.empty());
    EXPECT_EQ(cleared->tokens_valid_after, 60);

    // A newer reset revokes the older link.
    EXPECT_NE(store_->RedeemInvite("reset-1", "x", kNow, 70).error().message.find("revoked"), std::string::npos);
    auto user = store_->RedeemInvite("reset-2", "fresh-hash", kNow, 70);
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->id, manager.id);
    EXPECT_EQ(user->password_hash, "fresh-hash");
    EXPECT_EQ(user->tokens_valid_after, 70);
    EXPECT_EQ(user->role, Role::kManager);
}

TEST_P(UsersContract, OwnPasswordChangeSetsHashAndCutOff) {
    auto changed = store_->SetUserPassword(admin_, "changed", 1234);
    ASSERT_TRUE(changed);
    EXPECT_EQ(store_->FindUserById(admin_)->password_hash, "changed");
    EXPECT_EQ(store_->FindUserById(admin_)->tokens_valid_after, 1234);
}

INSTANTIATE_TEST_SUITE_P(Backends, UsersContract, ::testing::ValuesIn(test::Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace haven::storage
