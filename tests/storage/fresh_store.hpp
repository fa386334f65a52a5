#pragma once
// What every storage contract suite shares: the backends to run on (SQLite always, PostgreSQL when
// HAVEN_TEST_POSTGRES_URL is set; without it the PostgreSQL instantiation is not registered, so the test count says
// what ran) and a fresh, migrated store per test (a temp file, or a schema of its own).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace haven::storage::test {

inline std::string PostgresUrl() {
    const char* url = std::getenv("HAVEN_TEST_POSTGRES_URL");
    return url ? url : "";
}

/// "sqlite", and "postgres" when HAVEN_TEST_POSTGRES_URL is set: the values of INSTANTIATE_TEST_SUITE_P.
inline std::vector<std::string> Backends() {
    std::vector<std::string> out{"sqlite"};
    if (!PostgresUrl().empty()) out.push_back("postgres");
    return out;
}

/// A name part no other test process or test of this one uses.
inline std::string UniqueSuffix() {
    static std::atomic<int> counter{0};
    return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

/// Runs one statement on a separate connection; returns an error text or "".
inline std::string PgExec(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
    std::string err;
    if (PQstatus(conn) != CONNECTION_OK) {
        err = PQerrorMessage(conn);
    } else {
        PGresult* res = PQexec(conn, sql.c_str());
        if (PQresultStatus(res) != PGRES_COMMAND_OK) err = PQresultErrorMessage(res);
        PQclear(res);
    }
    PQfinish(conn);
    return err;
}

/// The PostgreSQL URL whose connections see `schema` first.
inline std::string WithSearchPath(const std::string& url, const std::string& schema) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

/// A test on a fresh, migrated store of the backend GetParam() names, holding two agencies (A and B, to show that
/// one never sees the other's rows); removed again after the test.
class FreshStoreTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        if (GetParam() == "sqlite") {
            dir_ = std::filesystem::temp_directory_path() / ("haven-store-" + UniqueSuffix());
            url_ = "sqlite:" + (dir_ / "nested" / "haven.db").string();  // the parent is created by the store
        } else {
            schema_ = "haven_t_" + UniqueSuffix();
            ASSERT_EQ(PgExec(PostgresUrl(), "CREATE SCHEMA " + schema_), "");
            url_ = WithSearchPath(PostgresUrl(), schema_);
        }
        auto store = MakeStore(url_);
        ASSERT_TRUE(store) << store.error().message;
        store_ = std::move(*store);
        auto migrated = store_->Migrate();
        ASSERT_TRUE(migrated) << migrated.error().message;
        ASSERT_GE(*migrated, 1);
        auto a = store_->FindOrCreateAgency("Agency A");
        auto b = store_->FindOrCreateAgency("Agency B");
        ASSERT_TRUE(a && b);
        agency_a_ = a->id;
        agency_b_ = b->id;
    }

    void TearDown() override {
        store_.reset();
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
        if (!schema_.empty()) {
            EXPECT_EQ(PgExec(PostgresUrl(), "DROP SCHEMA " + schema_ + " CASCADE"), "");
        }
    }

    std::filesystem::path dir_;
    std::string schema_;
    std::string url_;
    std::unique_ptr<Store> store_;
    int64_t agency_a_ = 0;
    int64_t agency_b_ = 0;
};

}  // namespace haven::storage::test
