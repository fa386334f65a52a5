// A database made by an earlier release keeps its money records when the new migrations run: the tables that
// migration 014 rebuilds on SQLite (transaction_ids, payments) keep every row, id and foreign key, and new ids
// continue after the old ones. Runs on SQLite, and on PostgreSQL when HAVEN_TEST_POSTGRES_URL is set.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "fresh_store.hpp"
#include "storage/migrations.hpp"
#include "storage/store.hpp"

namespace haven::storage::test {
namespace {

constexpr int kLastReleasedVersion = 13;  // the schema the previous release left behind

// Rows an agency of the previous release had: a lease, a paid STK push with its payment, a refund of it, and a
// failed push whose id was the highest ever handed out.
constexpr const char* kOldRows = R"sql(
INSERT INTO agencies (id, name, created_at) VALUES (1, 'Old Agency', '2026-11-01T00:00:00Z');
INSERT INTO leases (id, agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference)
    VALUES (1, 1, 'Jane Tenant', '254708374149', 'B4', 15000, 'B4');
INSERT INTO transaction_ids (id, kind, created_at) VALUES (7, 'stk', '2026-11-02T08:00:00Z');
INSERT INTO stk_transactions (id, agency_id, lease_id, phone_number, amount, account_reference, transaction_desc,
    checkout_request_id, status, mpesa_receipt_number) VALUES
    (7, 1, 1, '254708374149', 15000, 'B4', 'Rent', 'ws_CO_1', 'SUCCESS', 'UL7K3M9Q2A');
INSERT INTO payments (id, agency_id, lease_id, transaction_id, amount, mpesa_receipt_number, phone_number, paid_at)
    VALUES (3, 1, 1, 7, 15000, 'UL7K3M9Q2A', '254708374149', '2026-11-02T08:01:00Z');
INSERT INTO transaction_ids (id, kind, created_at) VALUES (8, 'b2c', '2026-11-03T08:00:00Z');
INSERT INTO transfers (id, agency_id, kind, type, command_id, phone_number, amount, remarks, original_transaction_id,
    status, created_at, updated_at) VALUES
    (8, 1, 'b2c', 'refund', 'BusinessPayment', '254708374149', 500, 'Overpaid', 7, 'SUCCESS',
     '2026-11-03T08:00:00Z', '2026-11-03T08:00:00Z');
INSERT INTO transaction_ids (id, kind, created_at) VALUES (9, 'stk', '2026-11-04T08:00:00Z');
INSERT INTO stk_transactions (id, agency_id, phone_number, amount, account_reference, transaction_desc, status)
    VALUES (9, 1, '254708374149', 10, 'B4', 'Rent', 'FAILED');
)sql";

class MigrationUpgradeTest : public ::testing::TestWithParam<std::string> {
  protected:
    void TearDown() override {
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
        if (!schema_.empty()) (void)PgExec(PostgresUrl(), "DROP SCHEMA " + schema_ + " CASCADE");
    }

    /// Builds the previous release's schema with its rows; returns the store URL.
    std::string OldDatabase() {
        std::string script =
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL);\n";
        for (const Migration& m : MigrationsFor(GetParam())) {
            if (m.version > kLastReleasedVersion) break;
            script += std::string(m.sql) + ";\nINSERT INTO schema_migrations VALUES (" + std::to_string(m.version) +
                      ", '" + std::string(m.name) + "', '2026-11-01T00:00:00Z');\n";
        }
        script += kOldRows;
        if (GetParam() == "sqlite") {
            dir_ = std::filesystem::temp_directory_path() / ("haven-upgrade-" + UniqueSuffix());
            std::filesystem::create_directories(dir_);
            std::string path = (dir_ / "haven.db").string();
            sqlite3* db = nullptr;
            EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
            char* err = nullptr;
            EXPECT_EQ(sqlite3_exec(db, ("PRAGMA foreign_keys = ON;\n" + script).c_str(), nullptr, nullptr, &err),
                      SQLITE_OK)
                << (err ? err : "");
            sqlite3_free(err);
            sqlite3_close(db);
            return "sqlite:" + path;
        }
        schema_ = "haven_up_" + UniqueSuffix();
        EXPECT_EQ(PgExec(PostgresUrl(), "CREATE SCHEMA " + schema_), "");
        std::string url = WithSearchPath(PostgresUrl(), schema_);
        EXPECT_EQ(PgExec(url, script + "SELECT setval(pg_get_serial_sequence('transaction_ids', 'id'), 9);"), "");
        return url;
    }

    std::filesystem::path dir_;
    std::string schema_;
};

TEST_P(MigrationUpgradeTest, PaymentsAndTransfersSurviveAndNewIdsContinue) {
    auto store = MakeStore(OldDatabase());
    ASSERT_TRUE(store) << store.error().message;
    auto migrated = (*store)->Migrate();
    ASSERT_TRUE(migrated) << migrated.error().message;
    EXPECT_GE(*migrated, 1);

    auto payments = (*store)->ListPayments(1, 1);
    ASSERT_TRUE(payments) << payments.error().message;
    ASSERT_EQ(payments->size(), 1u);
    EXPECT_EQ((*payments)[0].id, 3);
    EXPECT_EQ((*payments)[0].transaction_id, 7);
    EXPECT_EQ((*payments)[0].mpesa_receipt_number, "UL7K3M9Q2A");
    EXPECT_EQ((*payments)[0].paid_at, "2026-11-02T08:01:00Z");

    auto refund = (*store)->FindTransfer(1, 8);
    ASSERT_TRUE(refund) << refund.error().message;
    EXPECT_EQ(refund->original_transaction_id, 7);
    auto kind = (*store)->FindTransactionKind(1, 9);
    ASSERT_TRUE(kind);
    EXPECT_EQ(*kind, core::TxKind::kStk);

    core::StkTransaction tx;
    tx.agency_id = 1;
    tx.phone_number = "254708374149";
    tx.amount = 100;
    tx.account_reference = "B4";
    tx.transaction_desc = "Rent";
    auto inserted = (*store)->InsertStk(tx);
    ASSERT_TRUE(inserted) << inserted.error().message;
    EXPECT_GT(inserted->id, 9);  // ids never repeat one the old database handed out

    EXPECT_EQ(*(*store)->Migrate(), 0);  // nothing left to apply
}

INSTANTIATE_TEST_SUITE_P(Backends, MigrationUpgradeTest, ::testing::ValuesIn(Backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace haven::storage::test
