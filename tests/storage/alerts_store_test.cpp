// The alerts part of the Store contract (workers/alerts): the evidence for "callbacks missing" and "webhooks
// failing" per agency, alert items as episodes (one open per agency and reason; a new one after resolution), and an
// alert's system.alert event written once. SQLite always; PostgreSQL when HAVEN_TEST_POSTGRES_URL is set.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <string>

#include "core/time.hpp"
#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

using std::chrono::system_clock;

std::string At(std::chrono::seconds offset) { return core::IsoUtc(system_clock::now() + offset); }

class AlertsContract : public test::FreshStoreTest {
  protected:
    /// One statement on a connection of its own (webhook endpoints and messages belong to another part of the store).
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

    /// A push of the agency; `accepted`: Daraja answered with a CheckoutRequestID.
    int64_t Push(int64_t agency_id, bool accepted) {
        core::StkTransaction tx;
        tx.agency_id = agency_id;
        tx.phone_number = "254708374149";
        tx.amount = 100;
        tx.account_reference = "A1";
        tx.transaction_desc = "Rent";
        auto inserted = store_->InsertStk(tx);
        EXPECT_TRUE(inserted) << inserted.error().message;
        if (!inserted) return 0;
        if (accepted) {
            auto ids =
                store_->SetStkDarajaIds(inserted->id, "mr-" + std::to_string(inserted->id),
                                        "ws_CO_" + std::to_string(agency_id) + "_" + std::to_string(inserted->id));
            EXPECT_TRUE(ids) << ids.error().message;
        }
        return inserted->id;
    }

    std::map<int64_t, int64_t> Counts(const Result<std::vector<Store::AlertEvidence>>& evidence) {
        std::map<int64_t, int64_t> out;
        EXPECT_TRUE(evidence) << evidence.error().message;
        if (!evidence) return out;
        for (const auto& e : *evidence) {
            out[e.agency_id] = e.count;
            EXPECT_FALSE(e.since.empty());
        }
        return out;
    }

    int64_t Endpoint(int64_t agency_id, const std::string& extra_columns, const std::string& extra_values) {
        Exec("INSERT INTO webhook_endpoints (agency_id, url, secret_sealed" + extra_columns + ") VALUES (" +
             std::to_string(agency_id) + ", 'https://hooks.example/" + std::to_string(++endpoints_) + "', 'sealed'" +
             extra_values + ")");
        return endpoints_;  // ids are 1, 2, ... in a fresh store
    }

    int endpoints_ = 0;
};

TEST_P(AlertsContract, AcceptedPushesWithoutACallbackCountPerAgency) {
    for (int i = 0; i < 3; ++i) Push(agency_a_, true);
    Push(agency_a_, false);  // Daraja never answered: no callback could be expected
    Push(agency_b_, true);
    auto counts = Counts(store_->PushesWithoutCallback(At(std::chrono::hours(-1)), At(std::chrono::minutes(1))));
    EXPECT_EQ(counts[agency_a_], 3);
    EXPECT_EQ(counts[agency_b_], 1);
    // Too recent to count yet.
    EXPECT_TRUE(Counts(store_->PushesWithoutCallback(At(std::chrono::hours(-1)), At(std::chrono::hours(-1)))).empty());
}

TEST_P(AlertsContract, OneCallbackClearsTheAgencysEvidenceButNotAnothers) {
    const int64_t first = Push(agency_a_, true);
    Push(agency_a_, true);
    Push(agency_b_, true);
    ASSERT_TRUE(store_->AddStkEvent(first, "callback", "{}"));
    auto counts = Counts(store_->PushesWithoutCallback(At(std::chrono::hours(-1)), At(std::chrono::minutes(1))));
    EXPECT_EQ(counts.count(agency_a_), 0u) << "a callback arrived after every push of agency A";
    EXPECT_EQ(counts[agency_b_], 1);
    // Other events on the timeline (Daraja's answer, an STK query) are no callback.
    const int64_t queried = Push(agency_b_, true);
    ASSERT_TRUE(store_->AddStkEvent(queried, "query", "{}"));
    counts = Counts(store_->PushesWithoutCallback(At(std::chrono::hours(-1)), At(std::chrono::minutes(1))));
    EXPECT_EQ(counts[agency_b_], 2);
}

TEST_P(AlertsContract, FailingEndpointsCountOnlyEnabledOnesFailingLongEnough) {
    const std::string old = At(std::chrono::hours(-2));
    Endpoint(agency_a_, ", failing_since", ", '" + old + "'");                             // failing for 2 h
    const int64_t with_message = Endpoint(agency_a_, "", "");                              // a message retried
    Endpoint(agency_a_, ", failing_since, enabled", ", '" + old + "', 0");                 // disabled
    Endpoint(agency_a_, ", failing_since", ", '" + At(std::chrono::seconds(0)) + "'");     // just started
    Endpoint(agency_b_, ", failing_since, deleted_at", ", '" + old + "', '" + old + "'");  // deleted
    const int64_t retried_b = Endpoint(agency_b_, "", "");                                 // never attempted
    auto event = store_->InsertOutboxEvent(
        {.agency_id = agency_a_, .type = "payment.succeeded", .subject_kind = "stk", .subject_id = 1});
    ASSERT_TRUE(event) << event.error().message;
    const std::string e = std::to_string(event->id);
    Exec(
        "INSERT INTO outbox_messages (event_id, agency_id, channel, endpoint_id, subject_key, dedupe_key, payload, "
        "attempts, created_at) VALUES (" +
        e + ", " + std::to_string(agency_a_) + ", 'webhook', " + std::to_string(with_message) +
        ", 'stk:1', 'k1', '{}', 2, '" + old + "')");
    Exec(
        "INSERT INTO outbox_messages (event_id, agency_id, channel, endpoint_id, subject_key, dedupe_key, payload, "
        "attempts, created_at) VALUES (" +
        e + ", " + std::to_string(agency_b_) + ", 'webhook', " + std::to_string(retried_b) +
        ", 'stk:1', 'k2', '{}', 0, '" + old + "')");
    auto counts = Counts(store_->FailingWebhookEndpoints(At(std::chrono::minutes(-30))));
    EXPECT_EQ(counts[agency_a_], 2);
    EXPECT_EQ(counts.count(agency_b_), 0u);
}

TEST_P(AlertsContract, AnAgencyAlertIsAnEpisodeOfItsOwn) {
    const ReviewItem a{.agency_id = agency_a_, .reason_code = "alert_callbacks_missing", .reason = "no callbacks"};
    const ReviewItem b{.agency_id = agency_b_, .reason_code = "alert_callbacks_missing", .reason = "no callbacks"};
    auto first_a = store_->OpenReview(a);
    auto first_b = store_->OpenReview(b);
    ASSERT_TRUE(first_a && first_b);
    EXPECT_NE(first_a->id, first_b->id) << "each agency has its own alert";
    auto again = store_->OpenReview(a);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, first_a->id) << "an open alert stands";

    auto open_a = store_->LatestAlerts(agency_a_, true);
    ASSERT_TRUE(open_a);
    ASSERT_EQ(open_a->size(), 1u);
    EXPECT_EQ(open_a->front().id, first_a->id);

    ASSERT_TRUE(store_->ResolveReview(agency_a_, false, first_a->id, "cleared", "system"));
    open_a = store_->LatestAlerts(agency_a_, true);
    ASSERT_TRUE(open_a);
    EXPECT_TRUE(open_a->empty());
    auto next = store_->OpenReview(a);
    ASSERT_TRUE(next);
    EXPECT_NE(next->id, first_a->id) << "once resolved, the next occurrence is a new episode";
    EXPECT_EQ(next->status, "open");

    auto latest = store_->LatestAlerts(std::nullopt, false);
    ASSERT_TRUE(latest);
    ASSERT_EQ(latest->size(), 2u) << "the newest item per agency and reason";
    for (const auto& item : *latest) EXPECT_TRUE(item.id == next->id || item.id == first_b->id) << item.id;
}

TEST_P(AlertsContract, AnAlertsEventIsWrittenOnce) {
    auto item = store_->OpenReview(
        {.agency_id = agency_a_, .reason_code = "alert_webhooks_failing", .reason = "an endpoint fails"});
    ASSERT_TRUE(item);
    auto has = store_->HasOutboxEvent("system.alert", "alert", item->id);
    ASSERT_TRUE(has);
    EXPECT_FALSE(*has);
    const OutboxEvent event{.agency_id = agency_a_,
                            .type = "system.alert",
                            .subject_kind = "alert",
                            .subject_id = item->id,
                            .data = R"({"code":"webhooks_failing"})"};
    ASSERT_TRUE(store_->InsertOutboxEvent(event));
    has = store_->HasOutboxEvent("system.alert", "alert", item->id);
    ASSERT_TRUE(has);
    EXPECT_TRUE(*has);
    auto second = store_->InsertOutboxEvent(event);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, core::ErrorCode::kConflict);
}

INSTANTIATE_TEST_SUITE_P(Backends, AlertsContract, ::testing::ValuesIn(test::Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace haven::storage
