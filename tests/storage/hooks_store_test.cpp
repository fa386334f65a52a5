// The hooks part of the Store contract: an agency's C2B settings and last registration in its mpesa_accounts row,
// on SQLite always and on PostgreSQL when HAVEN_TEST_POSTGRES_URL is set (a fresh schema per test).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

class HooksContract : public test::FreshStoreTest {
  protected:
    /// One statement on a connection of its own (the account columns belong to another part of the store).
    void Exec(const std::string& sql) {
        if (GetParam() == "postgres") {
            ASSERT_EQ(test::PgExec(url_, sql), "");
            return;
        }
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(url_.substr(std::string("sqlite:").size()).c_str(), &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        char* err = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
        std::string message = err ? err : "";
        sqlite3_free(err);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << message;
    }
};

TEST_P(HooksContract, AnAgencyWithoutARowHasNoSettingsOfItsOwn) {
    auto found = store_->FindC2bSettings(agency_a_);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_FALSE(found->has_value());
}

TEST_P(HooksContract, UpdatingCreatesTheRowAndReadsBack) {
    C2bSettings s;
    s.version = 1;
    s.response_type = "Cancelled";
    s.validation = true;
    s.reject_unknown = true;
    auto saved = store_->UpdateC2bSettings(agency_a_, s, "admin@a.test");
    ASSERT_TRUE(saved) << saved.error().message;
    auto found = store_->FindC2bSettings(agency_a_);
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->version, 1);
    EXPECT_EQ((*found)->response_type, "Cancelled");
    EXPECT_TRUE((*found)->validation);
    EXPECT_TRUE((*found)->reject_unknown);
    EXPECT_EQ((*found)->registered_at, "");
    EXPECT_FALSE(store_->FindC2bSettings(agency_b_).value().has_value());  // the other agency is untouched
}

TEST_P(HooksContract, SettingsAndRegistrationLeaveTheAccountColumnsAlone) {
    Exec("INSERT INTO mpesa_accounts (agency_id, shortcode, initiator_name) VALUES (" + std::to_string(agency_a_) +
         ", '600996', 'apiop')");
    C2bSettings s;
    s.version = 1;
    ASSERT_TRUE(store_->UpdateC2bSettings(agency_a_, s, "admin@a.test"));
    auto recorded =
        store_->RecordC2bRegistration(agency_a_, s, R"({"confirmation":"x"})", "2026-12-01T10:00:00Z", "admin@a.test");
    ASSERT_TRUE(recorded) << recorded.error().message;
    EXPECT_EQ(recorded->registered_at, "2026-12-01T10:00:00Z");
    EXPECT_EQ(recorded->registered_urls, R"({"confirmation":"x"})");
    // The account columns are read back through a registration that names the shortcode's row.
    Exec("UPDATE mpesa_accounts SET c2b_registered_urls = shortcode || '/' || initiator_name WHERE agency_id = " +
         std::to_string(agency_a_));
    auto found = store_->FindC2bSettings(agency_a_);
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->registered_urls, "600996/apiop");
    EXPECT_EQ((*found)->version, 1);
}

TEST_P(HooksContract, RecordingARegistrationKeepsTheSettings) {
    C2bSettings s;
    s.response_type = "Cancelled";
    s.validation = true;
    ASSERT_TRUE(store_->UpdateC2bSettings(agency_a_, s, "admin@a.test"));
    C2bSettings used;  // defaults: a registration never rewrites the settings of an existing row
    auto recorded = store_->RecordC2bRegistration(agency_a_, used, "{}", "2026-12-01T10:00:00Z", "cli");
    ASSERT_TRUE(recorded);
    EXPECT_EQ(recorded->response_type, "Cancelled");
    EXPECT_TRUE(recorded->validation);
    // Without a row, the registration creates it with the settings it used.
    used.version = 1;
    auto created = store_->RecordC2bRegistration(agency_b_, used, "{}", "2026-12-01T10:00:00Z", "cli");
    ASSERT_TRUE(created);
    EXPECT_EQ(created->version, 1);
    EXPECT_EQ(created->registered_at, "2026-12-01T10:00:00Z");
}

INSTANTIATE_TEST_SUITE_P(Backends, HooksContract, ::testing::ValuesIn(test::Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace haven::storage
