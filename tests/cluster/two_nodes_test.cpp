// Two gateway nodes on one PostgreSQL: what a landlord relies on when Daraja, a client or the reconciler reaches
// "the gateway" through any node.
//   1. A push through node A settles from the callback Daraja delivers to node B.
//   2. One Idempotency-Key sent to both nodes at the same instant prompts the phone once, and both answers
//      agree (or one is 409 "still being processed" and its retry replays the other's answer).
//   3. Two reconcilers never ask M-Pesa about one push at the same time, and each push is asked about on the
//      schedule the settings give.
#include <algorithm>
#include <iostream>
#include <latch>
#include <set>
#include <thread>

#include "cluster_harness.hpp"

namespace haven::cluster {
namespace {

bool InProgress(const Reply& r) {
    return r.status == 409 && r.body.dump().find("being processed") != std::string::npos;
}

TEST_F(ClusterTest, PushThroughOneNodeSettlesFromCallbackToTheOther) {
    StartSimulator(200);
    const int port_b = ReservePort();
    const std::string url_b = "http://127.0.0.1:" + std::to_string(port_b);
    // A's pushes name B's callback URL, as when Daraja's callback reaches another node behind a load balancer.
    Node& a = StartNode("a", {url_b + "/api/v1/mpesa/callback", {}});
    Node& b = StartNode("b", {url_b + "/api/v1/mpesa/callback", {}}, port_b);
    ASSERT_FALSE(HasFailure());
    LoginAndCreateLease(a);
    SetSimRules(json::array({{{"api", "stkpush"}, {"then", {{"delayMs", 200}}}}}));

    auto push = Api(a.url, "POST", "/api/v1/mpesa/stk-push", PushBody("0711000001", 1500, "C7"),
                    {{"Idempotency-Key", "cluster-one"}});
    ASSERT_EQ(push.status, 200) << push.body.dump();
    const std::string id = std::to_string(push.body["data"]["transactionId"].get<int64_t>());

    json row;
    const bool settled = Eventually(
        [&] {
            auto r = Api(a.url, "GET", "/api/v1/mpesa/transactions/" + id);
            row = r.body.is_object() ? r.body["data"] : json();
            return r.status == 200 && row.value("status", "") != "PENDING";
        },
        20s);
    ASSERT_TRUE(settled) << "the push did not settle: " << row.dump() << Logs();
    EXPECT_EQ(row.value("status", ""), "SUCCESS") << row.dump();
    EXPECT_TRUE(row["mpesaReceiptNumber"].is_string()) << row.dump();
    // B, which took the callback, and A, which sent the push, read the same row.
    auto from_b = Api(b.url, "GET", "/api/v1/mpesa/transactions/" + id);
    ASSERT_EQ(from_b.status, 200) << from_b.body.dump();
    EXPECT_EQ(from_b.body["data"].value("status", ""), "SUCCESS");
    EXPECT_EQ(from_b.body["data"]["mpesaReceiptNumber"], row["mpesaReceiptNumber"]);

    // The callback went to B alone and B acknowledged it; nothing asked M-Pesa (the reconciler's first query
    // comes minutes later), so the callback B received is what settled the push.
    int to_b = 0, elsewhere = 0;
    for (const auto& cb : SimCallbacks()) {
        const std::string url = cb.value("url", "");
        if (url.rfind(url_b + "/", 0) == 0 && cb.value("status", 0) == 200)
            ++to_b;
        else
            ++elsewhere;
    }
    EXPECT_EQ(to_b, 1);
    EXPECT_EQ(elsewhere, 0);
    EXPECT_TRUE(SimRequests("/mpesa/stkpushquery/v1/query").empty());
    auto payments = Api(a.url, "GET", "/api/v1/leases/" + std::to_string(lease_id_) + "/payments");
    ASSERT_EQ(payments.status, 200) << payments.body.dump();
    EXPECT_EQ(payments.body["data"].size(), 1u) << payments.body.dump();
}

TEST_F(ClusterTest, OneIdempotencyKeyAtBothNodesAtOncePromptsOnce) {
    StartSimulator(200);
    Node& a = StartNode("a", {});
    Node& b = StartNode("b", {});
    ASSERT_FALSE(HasFailure());
    LoginAndCreateLease(a);
    // Half the keys meet a Daraja that answers at once (the two claims race each other), half one that answers
    // 300 ms late (the second request arrives while the first waits on Daraja).
    constexpr int kKeys = 16;
    json rules = json::array();
    for (int i = 0; i < kKeys; i += 2) {
        rules.push_back({{"api", "stkpush"},
                         {"when", {{"phone", "25472200" + std::to_string(1000 + i)}}},
                         {"then", {{"slowMs", 300}}}});
    }
    SetSimRules(rules);

    std::vector<std::string> wrong;
    std::set<std::string> outcomes;
    for (int i = 0; i < kKeys; ++i) {
        const std::string local = "072200" + std::to_string(1000 + i);
        const json body = PushBody(local, 100 + i, "KEY" + std::to_string(i));
        const std::map<std::string, std::string> key{{"Idempotency-Key", "both-nodes-" + std::to_string(i)}};
        Reply answers[2];
        std::latch start(2);
        std::thread to_a([&] {
            start.arrive_and_wait();
            answers[0] = Api(a.url, "POST", "/api/v1/mpesa/stk-push", body, key);
        });
        std::thread to_b([&] {
            start.arrive_and_wait();
            answers[1] = Api(b.url, "POST", "/api/v1/mpesa/stk-push", body, key);
        });
        to_a.join();
        to_b.join();
        std::string shape;
        for (int n = 0; n < 2; ++n) shape += (n ? "/" : "") + std::to_string(answers[n].status);
        outcomes.insert(shape);
        // A 409 "still being processed" is retried where it came from, as a client would, until it replays.
        for (int n = 0; n < 2; ++n) {
            const std::string& url = n == 0 ? a.url : b.url;
            Eventually(
                [&] {
                    if (!InProgress(answers[n])) return true;
                    answers[n] = Api(url, "POST", "/api/v1/mpesa/stk-push", body, key);
                    return !InProgress(answers[n]);
                },
                10s);
        }
        const std::string who = "key " + std::to_string(i) + " (first answers " + shape + ")";
        if (answers[0].status != 200 || answers[1].status != 200) {
            wrong.push_back(who + ": answers " + answers[0].body.dump() + " and " + answers[1].body.dump());
            continue;
        }
        const json& da = answers[0].body["data"];
        const json& db = answers[1].body["data"];
        if (da["transactionId"] != db["transactionId"] || da["checkoutRequestId"] != db["checkoutRequestId"]) {
            wrong.push_back(who + ": the nodes disagree: " + da.dump() + " vs " + db.dump());
        }
    }
    EXPECT_TRUE(wrong.empty()) << ::testing::PrintToString(wrong);

    // The simulator saw one push per key (each key has its own phone), and the database holds one row per key.
    std::map<std::string, int> pushes_per_phone;
    for (const auto& req : SimRequests("/mpesa/stkpush/v1/processrequest")) {
        ++pushes_per_phone[req["body"].value("PhoneNumber", json()).dump()];
    }
    int prompted_twice = 0;
    for (const auto& [phone, n] : pushes_per_phone) prompted_twice += n > 1;
    EXPECT_EQ(pushes_per_phone.size(), static_cast<size_t>(kKeys)) << ::testing::PrintToString(pushes_per_phone);
    EXPECT_EQ(prompted_twice, 0) << ::testing::PrintToString(pushes_per_phone);
    EXPECT_EQ(pg_->Count("SELECT COUNT(*) FROM stk_transactions"), kKeys);
    EXPECT_EQ(pg_->Count("SELECT COUNT(*) FROM (SELECT phone_number FROM stk_transactions GROUP BY phone_number "
                         "HAVING COUNT(*) > 1) twice"),
              0);
    std::cout << "first answers (node a/node b):";
    for (const auto& o : outcomes) std::cout << " " << o;
    std::cout << std::endl;
}

TEST_F(ClusterTest, TwoReconcilersNeverQueryOneRowAtOnce) {
    StartSimulator(200);
    // Aggressive settings: every push is due a second after it is made and again a second after each query,
    // and a claim lasts 2 s, shorter than one pass over every row (each query takes 400 ms below), so a claim
    // runs out while its node is still working through its batch.
    const std::vector<std::string> reconcile = {
        "RECONCILE_INTERVAL_SECONDS=1",    "RECONCILE_AFTER_SECONDS=1",   "RECONCILE_BACKOFF_SECONDS=1",
        "RECONCILE_BACKOFF_MAX_SECONDS=1", "RECONCILE_LEASE_SECONDS=2",   "STK_PROMPT_LIFETIME_SECONDS=600",
        "NEEDS_REVIEW_AFTER_SECONDS=3600", "IDEMPOTENCY_CLAIM_SECONDS=5",
    };
    Node& a = StartNode("a", {"", reconcile});
    Node& b = StartNode("b", {"", reconcile});
    ASSERT_FALSE(HasFailure());
    LoginAndCreateLease(a);
    // The phone never answers within the test and no callback comes: every push stays PENDING, so the
    // reconcilers keep asking. Each query is answered 400 ms late, so two overlapping queries would show.
    constexpr int kPushes = 8;
    constexpr int kQueryMs = 400;
    SetSimRules(json::array({{{"api", "stkpush"}, {"then", {{"delayMs", 600000}, {"callbacks", 0}}}},
                             {{"api", "stkquery"}, {"then", {{"slowMs", kQueryMs}}}}}));
    std::map<std::string, int64_t> created_ms;  // CheckoutRequestID -> when the push was acknowledged
    for (int i = 0; i < kPushes; ++i) {
        const Node& via = i % 2 == 0 ? a : b;
        auto push = Api(via.url, "POST", "/api/v1/mpesa/stk-push",
                        PushBody("07330" + std::to_string(10000 + i), 200 + i, "REC" + std::to_string(i)));
        ASSERT_EQ(push.status, 200) << push.body.dump();
        created_ms[push.body["data"].value("checkoutRequestId", "")] =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
    }
    // Watch the claims while the reconcilers work: both nodes must take part, or this proves nothing.
    std::map<std::string, int> claims_by_owner;
    const auto watch_until = Clock::now() + 12s;
    while (Clock::now() < watch_until) {
        auto r = pg_->Query("SELECT claimed_by FROM stk_transactions WHERE claimed_by IS NOT NULL");
        for (const auto& row : r.rows) ++claims_by_owner[row[0].value_or("")];
        std::this_thread::sleep_for(50ms);
    }
    std::set<std::string> pids;
    for (const auto& [owner, n] : claims_by_owner) {
        // owner = host:pid:random
        const auto first = owner.find(':');
        const auto second = owner.find(':', first + 1);
        if (first != std::string::npos && second != std::string::npos)
            pids.insert(owner.substr(first + 1, second - first - 1));
    }
    EXPECT_TRUE(pids.count(std::to_string(a.process->pid())) && pids.count(std::to_string(b.process->pid())))
        << "both reconcilers should have claimed rows; claim owners seen: "
        << ::testing::PrintToString(claims_by_owner);

    // The simulator's log: when each query arrived and when it was answered.
    std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> queries;
    for (const auto& q : SimRequests("/mpesa/stkpushquery/v1/query")) {
        queries[q["body"].value("CheckoutRequestID", "")].emplace_back(q.value("receivedAtMs", int64_t{0}),
                                                                       q.value("answeredAtMs", int64_t{0}));
    }
    std::vector<std::string> overlaps, late;
    // A row is due a second after its last query was recorded; a pass starts every second and may first work
    // through up to every other row (kPushes queries of kQueryMs). Plus a margin for a loaded machine.
    const int64_t max_gap_ms = 1000 + 1000 + kPushes * kQueryMs + 3000;
    for (const auto& [checkout, created] : created_ms) {
        auto& list = queries[checkout];
        std::sort(list.begin(), list.end());
        if (list.size() < 2) {
            late.push_back(checkout + ": queried " + std::to_string(list.size()) + " times in 12 s");
            continue;
        }
        if (list.front().first - created > max_gap_ms) {
            late.push_back(checkout + ": first query " + std::to_string(list.front().first - created) +
                           " ms after the push");
        }
        for (size_t i = 1; i < list.size(); ++i) {
            if (list[i].first < list[i - 1].second) {
                overlaps.push_back(checkout + ": a query arrived at " + std::to_string(list[i].first) +
                                   " while the one from " + std::to_string(list[i - 1].first) +
                                   " was still unanswered (until " + std::to_string(list[i - 1].second) + ")");
            }
            if (list[i].first - list[i - 1].second > max_gap_ms) {
                late.push_back(checkout + ": " + std::to_string(list[i].first - list[i - 1].second) +
                               " ms between two queries");
            }
        }
    }
    size_t total = 0;
    for (const auto& [checkout, list] : queries) total += list.size();
    std::cout << total << " queries of " << kPushes << " pushes by " << pids.size() << " nodes; " << overlaps.size()
              << " overlapping" << std::endl;
    EXPECT_TRUE(overlaps.empty()) << "two reconcilers asked about one push at once:"
                                  << ::testing::PrintToString(overlaps);
    EXPECT_TRUE(late.empty()) << "pushes not asked about on schedule:" << ::testing::PrintToString(late) << Logs();
}

}  // namespace
}  // namespace haven::cluster
