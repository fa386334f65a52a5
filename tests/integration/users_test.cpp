// Users managed from the API (api/user_routes.cpp), on a real gateway over loopback: invites and their one-time
// links, the password policy's feedback, a user's own password change, an admin's forced reset, the last-admin rule,
// disabling (tokens refused at once), and who may do any of it.
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

constexpr const char* kStrong = "marigold-tugboat-vesper-42";

class Users : public GatewayTest {
  protected:
    void SetUp() override {
        GatewayTest::SetUp();
        admin_ = Login("admin@a.test");
    }

    int64_t UserId(const std::string& email) { return gateway_->store().FindUserByEmail(email)->id; }

    /// The token in a link "/invite.html#token=...".
    static std::string TokenOf(const json& link_answer) {
        std::string link = link_answer["data"]["link"];
        const std::string kPrefix = "/invite.html#token=";
        EXPECT_EQ(link.rfind(kPrefix, 0), 0U) << link;
        return link.substr(kPrefix.size());
    }

    Reply LoginWith(const std::string& email, const std::string& password) {
        return Api("POST", "/api/v1/auth/login", {{"email", email}, {"password", password}});
    }

    std::string Invite(const std::string& email, const std::string& role) {
        auto r = Api("POST", "/api/v1/users/invites", {{"email", email}, {"role", role}}, admin_);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return TokenOf(r.body);
    }

    std::string admin_;
};

TEST_F(Users, AnInvitedManagerSetsAPasswordThroughTheLinkAndLogsIn) {
    std::string token = Invite("new.manager@a.test", "manager");
    auto pending = Api("GET", "/api/v1/users/invites", nullptr, admin_);
    ASSERT_EQ(pending.status, 200);
    ASSERT_EQ(pending.body["data"]["items"].size(), 1U);
    EXPECT_EQ(pending.body["data"]["items"][0]["email"], "new.manager@a.test");
    EXPECT_FALSE(pending.body["data"]["items"][0].contains("link"));  // shown once, when made

    auto accepted = Api("POST", "/api/v1/invites/accept", {{"token", token}, {"password", kStrong}});
    ASSERT_EQ(accepted.status, 200) << accepted.body.dump();
    EXPECT_EQ(accepted.body["data"]["user"]["role"], "manager");

    auto login = LoginWith("new.manager@a.test", kStrong);
    ASSERT_EQ(login.status, 200) << login.body.dump();
    EXPECT_EQ(login.body["data"]["user"]["role"], "manager");
    EXPECT_EQ(login.body["data"]["user"]["agencyName"], "Agency A");

    // The link works once.
    auto again = Api("POST", "/api/v1/invites/accept", {{"token", token}, {"password", "another-Strong-pass-77"}});
    EXPECT_EQ(again.status, 409);
    EXPECT_NE(again.body["error"]["message"].get<std::string>().find("already used"), std::string::npos);
    EXPECT_TRUE(Api("GET", "/api/v1/users/invites", nullptr, admin_).body["data"]["items"].empty());
    EXPECT_EQ(gateway_->store().CountAudit("user.invite", "success").value_or(0), 1);
    EXPECT_EQ(gateway_->store().CountAudit("user.accept", "success").value_or(0), 1);
}

TEST_F(Users, AWeakPasswordIsRefusedWithZxcvbnFeedback) {
    std::string token = Invite("weak@a.test", "viewer");
    auto weak = Api("POST", "/api/v1/invites/accept", {{"token", token}, {"password", "password123"}});
    ASSERT_EQ(weak.status, 400) << weak.body.dump();
    EXPECT_EQ(weak.body["error"]["code"], "VALIDATION_ERROR");
    EXPECT_EQ(weak.body["error"]["details"][0]["field"], "password");
    EXPECT_NE(weak.body["error"]["message"].get<std::string>().find("Add another word"), std::string::npos);
    auto short_one = Api("POST", "/api/v1/invites/accept", {{"token", token}, {"password", "Xk#9v!q"}});
    EXPECT_NE(short_one.body["error"]["message"].get<std::string>().find("at least 10"), std::string::npos);
    // Refusals do not use the link up.
    EXPECT_EQ(Api("POST", "/api/v1/invites/accept", {{"token", token}, {"password", kStrong}}).status, 200);
}

TEST_F(Users, InvitingAnExistingUserIsAConflictAndARevokedInviteIsRefused) {
    auto dup = Api("POST", "/api/v1/users/invites", {{"email", "viewer@a.test"}, {"role", "viewer"}}, admin_);
    EXPECT_EQ(dup.status, 409);
    auto made = Api("POST", "/api/v1/users/invites", {{"email", "later@a.test"}, {"role", "viewer"}}, admin_);
    ASSERT_EQ(made.status, 201);
    std::string token = TokenOf(made.body);
    auto revoked = Api("DELETE", "/api/v1/users/invites/" + made.body["data"]["id"].dump(), nullptr, admin_);
    ASSERT_EQ(revoked.status, 200) << revoked.body.dump();
    auto refused = Api("POST", "/api/v1/invites/accept", {{"token", token}, {"password", kStrong}});
    EXPECT_EQ(refused.status, 409);
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("revoked"), std::string::npos);
    EXPECT_EQ(Api("POST", "/api/v1/invites/accept", {{"token", "not-a-token"}, {"password", kStrong}}).status, 404);
}

TEST_F(Users, AUserChangesTheirOwnPasswordAndTheOldOneStopsWorking) {
    std::string viewer = Login("viewer@a.test");
    auto wrong =
        Api("POST", "/api/v1/auth/password", {{"currentPassword", "not-it"}, {"newPassword", kStrong}}, viewer);
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(wrong.body["error"]["details"][0]["field"], "currentPassword");
    auto weak =
        Api("POST", "/api/v1/auth/password", {{"currentPassword", kPassword}, {"newPassword", "password123"}}, viewer);
    EXPECT_EQ(weak.status, 400);
    EXPECT_EQ(weak.body["error"]["details"][0]["field"], "newPassword");

    auto changed =
        Api("POST", "/api/v1/auth/password", {{"currentPassword", kPassword}, {"newPassword", kStrong}}, viewer);
    ASSERT_EQ(changed.status, 200) << changed.body.dump();
    EXPECT_EQ(LoginWith("viewer@a.test", kPassword).status, 401);
    auto fresh = LoginWith("viewer@a.test", kStrong);
    ASSERT_EQ(fresh.status, 200);
    // The session that changed it has ended; the new one works.
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, viewer).status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, fresh.body["data"]["token"]).status, 200);
}

TEST_F(Users, AnAdminForcesAResetAndTheUserSetsANewPasswordThroughTheLink) {
    std::string manager = Login("manager@a.test");
    auto reset = Api("POST", "/api/v1/users/" + std::to_string(UserId("manager@a.test")) + "/reset", nullptr, admin_);
    ASSERT_EQ(reset.status, 201) << reset.body.dump();
    EXPECT_EQ(reset.body["data"]["purpose"], "reset");
    // The old password and the old session stop working at once.
    EXPECT_EQ(LoginWith("manager@a.test", kPassword).status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, manager).status, 401);

    auto set = Api("POST", "/api/v1/invites/accept", {{"token", TokenOf(reset.body)}, {"password", kStrong}});
    ASSERT_EQ(set.status, 200) << set.body.dump();
    auto login = LoginWith("manager@a.test", kStrong);
    ASSERT_EQ(login.status, 200);
    EXPECT_EQ(login.body["data"]["user"]["role"], "manager");
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, login.body["data"]["token"]).status, 200);
}

TEST_F(Users, TheLastAdminCannotBeDisabledOrDemoted) {
    const std::string path = "/api/v1/users/" + std::to_string(UserId("admin@a.test"));
    auto disable = Api("POST", path + "/disable", nullptr, admin_);
    EXPECT_EQ(disable.status, 409);
    EXPECT_NE(disable.body["error"]["message"].get<std::string>().find("last active admin"), std::string::npos);
    auto demote = Api("PATCH", path, {{"role", "manager"}}, admin_);
    EXPECT_EQ(demote.status, 409);
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, admin_).body["data"]["role"], "admin");

    // Once the manager is an admin too, the first may step down.
    auto promote =
        Api("PATCH", "/api/v1/users/" + std::to_string(UserId("manager@a.test")), {{"role", "admin"}}, admin_);
    ASSERT_EQ(promote.status, 200) << promote.body.dump();
    EXPECT_EQ(Api("PATCH", path, {{"role", "manager"}}, admin_).status, 200);
    // The role comes from the user row: the same token is a manager's now.
    EXPECT_EQ(Api("GET", "/api/v1/users", nullptr, admin_).status, 403);
}

TEST_F(Users, ADisabledUsersExistingTokenIsRefusedAtOnce) {
    std::string viewer = Login("viewer@a.test");
    ASSERT_EQ(Api("GET", "/api/v1/leases", nullptr, viewer).status, 200);
    const std::string path = "/api/v1/users/" + std::to_string(UserId("viewer@a.test"));
    auto disabled = Api("POST", path + "/disable", nullptr, admin_);
    ASSERT_EQ(disabled.status, 200) << disabled.body.dump();
    EXPECT_EQ(disabled.body["data"]["status"], "disabled");

    auto refused = Api("GET", "/api/v1/leases", nullptr, viewer);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.body["error"]["message"], "this account is disabled: ask your agency admin");
    EXPECT_EQ(LoginWith("viewer@a.test", kPassword).status, 401);

    ASSERT_EQ(Api("POST", path + "/enable", nullptr, admin_).status, 200);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, viewer).status, 401);  // that session stays ended
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, Login("viewer@a.test")).status, 200);
    EXPECT_EQ(gateway_->store().CountAudit("user.disable", "success").value_or(0), 1);
}

TEST_F(Users, AViewerAndAManagerCannotManageUsers) {
    const std::string id = std::to_string(UserId("viewer@a.test"));
    for (const char* email : {"viewer@a.test", "manager@a.test"}) {
        std::string token = Login(email);
        EXPECT_EQ(Api("GET", "/api/v1/users", nullptr, token).status, 403) << email;
        EXPECT_EQ(Api("POST", "/api/v1/users/invites", {{"email", "x@a.test"}, {"role", "admin"}}, token).status, 403)
            << email;
        EXPECT_EQ(Api("PATCH", "/api/v1/users/" + id, {{"role", "admin"}}, token).status, 403) << email;
        EXPECT_EQ(Api("POST", "/api/v1/users/" + id + "/disable", nullptr, token).status, 403) << email;
        EXPECT_EQ(Api("POST", "/api/v1/users/" + id + "/reset", nullptr, token).status, 403) << email;
    }
    EXPECT_EQ(Api("GET", "/api/v1/users", nullptr).status, 401);
}

TEST_F(Users, AnotherAgencysUsersAreNotFound) {
    const std::string other = std::to_string(UserId("admin@b.test"));
    EXPECT_EQ(Api("PATCH", "/api/v1/users/" + other, {{"role", "viewer"}}, admin_).status, 404);
    EXPECT_EQ(Api("POST", "/api/v1/users/" + other + "/disable", nullptr, admin_).status, 404);
    EXPECT_EQ(Api("POST", "/api/v1/users/" + other + "/reset", nullptr, admin_).status, 404);
    auto list = Api("GET", "/api/v1/users", nullptr, admin_);
    ASSERT_EQ(list.status, 200);
    for (const auto& u : list.body["data"]["items"]) EXPECT_NE(u["email"], "admin@b.test");
    EXPECT_EQ(list.body["data"]["items"].size(), 3U);
    // Agency B's invites are not Agency A's to revoke.
    auto b_invite =
        Api("POST", "/api/v1/users/invites", {{"email", "x@b.test"}, {"role", "viewer"}}, Login("admin@b.test"));
    ASSERT_EQ(b_invite.status, 201);
    EXPECT_EQ(Api("DELETE", "/api/v1/users/invites/" + b_invite.body["data"]["id"].dump(), nullptr, admin_).status,
              404);
}

}  // namespace
}  // namespace haven::testing
