// The accounts part of the Store contract (agencies' own M-Pesa accounts), on SQLite always and on PostgreSQL
// when HAVEN_TEST_POSTGRES_URL is set (a fresh schema per test).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <string>
#include <utility>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

using core::ErrorCode;

class AccountsContract : public test::FreshStoreTest {
  protected:
    MpesaAccount Account(int64_t agency_id, const std::string& shortcode) {
        MpesaAccount a;
        a.agency_id = agency_id;
        a.shortcode = shortcode;
        a.initiator_name = "apiop";
        a.consumer_key_sealed = "sealed-key";
        a.consumer_secret_sealed = "sealed-secret";
        a.passkey_sealed = "sealed-passkey";
        a.initiator_secret_sealed = "sealed-password";
        a.updated_by = "admin@b.test";
        return a;
    }

    /// The first column of the first row of `sql`, read on a connection of its own ("" for NULL or no row).
    std::string QueryOne(const std::string& sql) {
        std::string out;
        if (GetParam() == "sqlite") {
            sqlite3* db = nullptr;
            EXPECT_EQ(sqlite3_open((dir_ / "nested" / "haven.db").string().c_str(), &db), SQLITE_OK);
            sqlite3_stmt* st = nullptr;
            EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
                out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
            }
            sqlite3_finalize(st);
            sqlite3_close(db);
        } else {
            PGconn* conn = PQconnectdb(url_.c_str());
            PGresult* res = PQexec(conn, sql.c_str());
            EXPECT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQresultErrorMessage(res);
            if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) out = PQgetvalue(res, 0, 0);
            PQclear(res);
            PQfinish(conn);
        }
        return out;
    }
};

TEST_P(AccountsContract, AnAgencyWithoutAnAccountIsNotFound) {
    auto found = store_->FindMpesaAccount(agency_b_);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, ErrorCode::kNotFound);
}

TEST_P(AccountsContract, UpsertStoresThenReplacesTheAccountColumns) {
    auto a = Account(agency_b_, "600111");
    a.till_number = "5123456";
    a.transaction_type = "CustomerBuyGoodsOnline";
    a.b2c_shortcode = "600222";
    ASSERT_TRUE(store_->UpsertMpesaAccount(a));
    auto found = store_->FindMpesaAccount(agency_b_);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->shortcode, "600111");
    EXPECT_EQ(found->till_number, "5123456");
    EXPECT_EQ(found->transaction_type, "CustomerBuyGoodsOnline");
    EXPECT_EQ(found->b2c_shortcode, "600222");
    EXPECT_EQ(found->initiator_name, "apiop");
    EXPECT_EQ(found->consumer_key_sealed, "sealed-key");
    EXPECT_EQ(found->consumer_secret_sealed, "sealed-secret");
    EXPECT_EQ(found->passkey_sealed, "sealed-passkey");
    EXPECT_EQ(found->initiator_secret_sealed, "sealed-password");
    EXPECT_EQ(found->initiator_secret_kind, "password");
    EXPECT_EQ(found->updated_by, "admin@b.test");
    EXPECT_FALSE(found->updated_at.empty());

    auto changed = Account(agency_b_, "600112");
    changed.initiator_secret_sealed = "";
    auto stored = store_->UpsertMpesaAccount(changed);
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_EQ(stored->shortcode, "600112");
    EXPECT_EQ(stored->till_number, "");
    EXPECT_EQ(stored->initiator_secret_sealed, "");
    // Agency A is untouched by B's account.
    EXPECT_FALSE(store_->FindMpesaAccount(agency_a_));
}

TEST_P(AccountsContract, AShortcodeOrTillOfAnotherAgencyIsAConflict) {
    auto a = Account(agency_a_, "600111");
    a.till_number = "5123456";
    ASSERT_TRUE(store_->UpsertMpesaAccount(a));
    const std::pair<std::string, std::string> taken[] = {
        {"600111", ""}, {"600999", "5123456"}, {"5123456", ""}, {"600999", "600111"}};
    for (const auto& [shortcode, till] : taken) {
        auto b = Account(agency_b_, shortcode);
        b.till_number = till;
        auto stored = store_->UpsertMpesaAccount(b);
        ASSERT_FALSE(stored) << shortcode << " / " << till;
        EXPECT_EQ(stored.error().code, ErrorCode::kConflict);
    }
    EXPECT_FALSE(store_->FindMpesaAccount(agency_b_));
    // The same agency may store its own numbers again.
    EXPECT_TRUE(store_->UpsertMpesaAccount(a));
}

TEST_P(AccountsContract, UpsertAndClearLeaveTheC2bColumnsAlone) {
    ASSERT_TRUE(store_->UpsertMpesaAccount(Account(agency_b_, "600111")));
    // The C2B settings of the row are another record's (written here directly, as their owner would).
    const std::string row = " FROM mpesa_accounts WHERE agency_id = " + std::to_string(agency_b_);
    QueryOne("UPDATE mpesa_accounts SET c2b_version = 1, c2b_validation = 1 WHERE agency_id = " +
             std::to_string(agency_b_) + " RETURNING agency_id");
    ASSERT_EQ(QueryOne("SELECT c2b_version" + row), "1");
    ASSERT_TRUE(store_->UpsertMpesaAccount(Account(agency_b_, "600112")));
    EXPECT_EQ(QueryOne("SELECT c2b_version" + row), "1");
    EXPECT_EQ(QueryOne("SELECT c2b_validation" + row), "1");
    auto cleared = store_->ClearMpesaAccount(agency_b_, "admin@b.test");
    ASSERT_TRUE(cleared);
    EXPECT_TRUE(*cleared);
    EXPECT_FALSE(store_->FindMpesaAccount(agency_b_));
    auto again = store_->ClearMpesaAccount(agency_b_, "admin@b.test");
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
    EXPECT_EQ(QueryOne("SELECT c2b_version" + row), "1");
    EXPECT_EQ(QueryOne("SELECT consumer_secret_sealed" + row), "");
    // The shortcode is free again for another agency.
    EXPECT_TRUE(store_->UpsertMpesaAccount(Account(agency_a_, "600112")));
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountsContract, ::testing::ValuesIn(test::Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace haven::storage
