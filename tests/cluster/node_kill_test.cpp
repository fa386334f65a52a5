// Three gateway nodes behind HAProxy on one PostgreSQL; kill -9 of one node during a burst of pushes and
// callbacks through the load balancer, at a moment its reconciler holds claims. Then:
//   1. every push a client saw acknowledged (2xx, retrying with its Idempotency-Key like a real client) ends
//      settled, agreeing with what M-Pesa did, or needs review;
//   2. no duplicate payments (a receipt on one transaction only, one payment per transaction) and no phone is
//      prompted twice for one key;
//   3. the survivors take over the dead node's claims: each row it held is asked about again by another node,
//      not before its claim ran out, and settles.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "cluster_harness.hpp"
#include "core/time.hpp"

namespace haven::cluster {
namespace {

constexpr int kPushes = 48;
constexpr int kClientThreads = 4;
constexpr auto kPacing = 250ms;  // between one client thread's pushes: the burst lasts a few seconds
constexpr int kQueryMs = 300;    // each STK Query is answered this late: claims are held while it waits
constexpr int kReviewAfterSeconds = 20;
// Settings of every node: the reconciler asks a second after a push and a claim lasts 3 s.
const std::vector<std::string> kSettings = {
    "RECONCILE_INTERVAL_SECONDS=1",
    "RECONCILE_AFTER_SECONDS=1",
    "RECONCILE_BACKOFF_SECONDS=1",
    "RECONCILE_BACKOFF_MAX_SECONDS=2",
    "RECONCILE_LEASE_SECONDS=3",
    "STK_PROMPT_LIFETIME_SECONDS=4",
    "NEEDS_REVIEW_AFTER_SECONDS=" + std::to_string(kReviewAfterSeconds),
    "IDEMPOTENCY_CLAIM_SECONDS=2",
};

enum class Behaviour { kNormal, kDropped, kDuplicated, kDeclined };

struct Push {
    int index = 0;
    std::string key;
    std::string msisdn;
    int64_t amount = 0;
    Behaviour behaviour = Behaviour::kNormal;
    json body;
    int first_status = 0;  // the first attempt's answer (0 = none)
    int attempts = 0;
    int status = 0;  // the last answer
    std::string error;
    int64_t transaction_id = 0;
    bool acknowledged() const { return status >= 200 && status < 300; }
};

int64_t EpochMs(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string Join(const std::vector<std::string>& items, size_t max = 20) {
    std::string out;
    for (size_t i = 0; i < items.size() && i < max; ++i) out += "\n    - " + items[i];
    if (items.size() > max) out += "\n    - ... and " + std::to_string(items.size() - max) + " more";
    return out;
}

TEST_F(ClusterTest, KillOneOfThreeNodesDuringBurstThroughHaproxy) {
    const auto test_start = Clock::now();
    StartSimulator(200);
    ReserveHaproxyPort();
    // Daraja's callbacks come through the load balancer too, so some reach the node that is killed.
    const NodeOptions options{haproxy_url_ + "/api/v1/mpesa/callback", kSettings};
    Node& a = StartNode("a", options);
    Node& b = StartNode("b", options);
    Node& c = StartNode("c", options);
    ASSERT_FALSE(HasFailure());
    StartHaproxy({&a, &b, &c});
    LoginAndCreateLease(a);

    // ---- The plan: a quarter each of normal pushes, callbacks dropped (the reconciler settles them),
    // callbacks duplicated, and declined prompts.
    std::vector<Push> pushes(kPushes);
    json rules = json::array();
    for (int i = 0; i < kPushes; ++i) {
        Push& p = pushes[i];
        p.index = i;
        p.key = "kill-" + std::to_string(i);
        const std::string local = "0744" + std::to_string(100000 + i);
        p.msisdn = "254" + local.substr(1);
        p.amount = 500 + 37 * i;
        p.behaviour = static_cast<Behaviour>(i % 4);
        p.body = PushBody(local, p.amount, "KILL" + std::to_string(i));
        json then = {{"delayMs", 100 + (i * 53) % 400}};
        if (p.behaviour == Behaviour::kDropped) then["callbacks"] = 0;
        if (p.behaviour == Behaviour::kDuplicated) then["callbacks"] = 2;
        if (p.behaviour == Behaviour::kDeclined) then["resultCode"] = "1032";
        rules.push_back({{"api", "stkpush"}, {"when", {{"phone", p.msisdn}}}, {"then", then}});
    }
    rules.push_back({{"api", "stkquery"}, {"then", {{"slowMs", kQueryMs}}}});
    SetSimRules(rules);

    // ---- The burst: each client retries its key until it is answered (a 502 from HAProxy for a request the
    // dead node held, a 409 while the dead node's idempotency claim runs), as a real client would.
    std::mutex mu;
    std::atomic<int> acknowledged{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < kClientThreads; ++t) {
        clients.emplace_back([&, t] {
            for (int i = t; i < kPushes; i += kClientThreads) {
                Push& p = pushes[i];
                const auto give_up = Clock::now() + 25s;
                Reply r;
                int attempts = 0, first = -1;
                for (;;) {
                    r = Api(haproxy_url_, "POST", "/api/v1/mpesa/stk-push", p.body, {{"Idempotency-Key", p.key}});
                    ++attempts;
                    if (first < 0) first = r.status;
                    const bool again = r.status == 0 || r.status == 502 || r.status == 503 || r.status == 504 ||
                                       (r.status == 409 && r.body.dump().find("being processed") != std::string::npos);
                    if (!again || Clock::now() > give_up) break;
                    std::this_thread::sleep_for(100ms);
                }
                {
                    std::lock_guard lock(mu);
                    p.first_status = first;
                    p.attempts = attempts;
                    p.status = r.status;
                    p.error = r.error.empty() ? (r.status >= 300 ? r.body.dump() : "") : r.error;
                    if (p.acknowledged()) p.transaction_id = r.body["data"].value("transactionId", int64_t{0});
                }
                if (p.acknowledged()) ++acknowledged;
                std::this_thread::sleep_for(kPacing);
            }
        });
    }

    // ---- kill -9, once a third of the burst is acknowledged, of the node whose reconciler holds a claim right then
    // (any of the three: each claims one row at a time, so the holder changes from moment to moment).
    Node* victim = nullptr;
    std::vector<std::pair<int64_t, std::string>> held;  // the rows it held at the kill, with their claimed_until
    const auto kill_deadline = Clock::now() + 20s;
    std::map<std::string, int> claims_seen;  // claim owner -> times seen while waiting (for the failure message)
    while (Clock::now() < kill_deadline && victim == nullptr) {
        auto r = pg_->Query(
            "SELECT id, claimed_until, claimed_by FROM stk_transactions WHERE status = 'PENDING' AND claimed_by IS "
            "NOT NULL AND claimed_until >= to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
        for (const auto& row : r.rows) ++claims_seen[row[2].value_or("")];
        if (acknowledged.load() >= kPushes / 3 && !r.rows.empty()) {
            const std::string owner = r.rows.front()[2].value_or("");  // host:pid:random
            for (Node* n : {&a, &b, &c}) {
                if (owner.find(":" + std::to_string(n->process->pid()) + ":") != std::string::npos) victim = n;
            }
            if (victim != nullptr) {
                victim->process->Signal(SIGKILL);
                for (const auto& row : r.rows) {
                    if (row[2] == owner) held.emplace_back(std::stoll(*row[0]), row[1].value_or(""));
                }
            }
        }
        if (victim == nullptr) std::this_thread::sleep_for(10ms);
    }
    const bool burst_running = acknowledged.load() < kPushes;
    if (victim == nullptr) {
        victim = &c;  // the burst goes on without a node either way
        victim->process->Signal(SIGKILL);
    }
    const auto reaped = victim->process->Wait(5s);
    const auto kill_time = std::chrono::system_clock::now();
    const int acked_at_kill = acknowledged.load();
    for (auto& t : clients) t.join();
    ASSERT_TRUE(reaped && WIFSIGNALED(*reaped) && WTERMSIG(*reaped) == SIGKILL)
        << "node " << victim->name << " was not killed by SIGKILL (did it exit early?)\n"
        << crash::Tail(victim->log, 30);
    ASSERT_FALSE(held.empty()) << "no reconciler held a claim within 20 s of the burst, so the takeover could not be "
                                  "shown ("
                               << acknowledged.load()
                               << " pushes acknowledged; claims seen: " << ::testing::PrintToString(claims_seen) << ")"
                               << Logs();

    // Rows it held that a callback or the node itself settled in the moment before the kill were not left unfinished.
    std::vector<std::pair<int64_t, std::string>> orphaned;
    for (const auto& [id, until] : held) {
        if (pg_->Count("SELECT COUNT(*) FROM stk_transactions WHERE status = 'PENDING' AND id = " +
                       std::to_string(id)) == 1) {
            orphaned.emplace_back(id, until);
        }
    }
    int acked = 0, retried = 0;
    std::vector<std::string> unanswered;
    for (const auto& p : pushes) {
        if (p.acknowledged()) ++acked;
        if (p.attempts > 1) ++retried;
        if (!p.acknowledged())
            unanswered.push_back(p.key + ": last answer " + std::to_string(p.status) + " " + p.error);
    }
    std::cout << "kill -9 of node " << victim->name << (burst_running ? " during" : " after") << " the burst, with "
              << acked_at_kill << " pushes acknowledged, holding " << held.size() << " claim(s) (" << orphaned.size()
              << " still PENDING); burst over: " << acked << "/" << kPushes << " acknowledged, " << retried
              << " needed a retry" << std::endl;
    // Two nodes are left, so every key is answered in the end.
    EXPECT_TRUE(unanswered.empty()) << "pushes never acknowledged:" << Join(unanswered) << Logs();

    // ---- 1. Every acknowledged push settles (agreeing with M-Pesa) or needs review.
    std::map<int64_t, json> rows;
    std::vector<std::string> unsettled;
    auto review_ids = [&] {
        std::set<int64_t> ids;
        for (const auto& r : pg_->Query("SELECT transaction_id FROM review_items WHERE status = 'open' AND "
                                        "transaction_id IS NOT NULL")
                                 .rows) {
            ids.insert(std::stoll(*r[0]));
        }
        return ids;
    };
    std::set<int64_t> review;
    const auto settle_start = Clock::now();
    Eventually(
        [&] {
            unsettled.clear();
            review = review_ids();
            for (const auto& p : pushes) {
                if (!p.acknowledged()) continue;
                auto r = Api(haproxy_url_, "GET", "/api/v1/mpesa/transactions/" + std::to_string(p.transaction_id));
                if (r.status != 200) {
                    unsettled.push_back(p.key + ": GET answered " + std::to_string(r.status));
                    continue;
                }
                rows[p.transaction_id] = r.body["data"];
                const std::string status = r.body["data"].value("status", "");
                if (status == "PENDING" && !review.count(p.transaction_id) &&
                    !r.body["data"].value("needsReview", false)) {
                    unsettled.push_back(p.key + " (transaction " + std::to_string(p.transaction_id) + ") PENDING");
                }
            }
            return unsettled.empty();
        },
        std::chrono::seconds(kReviewAfterSeconds + 15));
    std::cout << "every acknowledged push settled or in review after " << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(Clock::now() - settle_start).count() << " s" << std::endl;
    EXPECT_TRUE(unsettled.empty()) << "acknowledged pushes neither settled nor in review:" << Join(unsettled) << Logs();

    std::map<std::string, json> session_by_checkout;
    for (const auto& s : SimSessions()) session_by_checkout[s.value("checkoutRequestId", "")] = s;
    std::vector<std::string> wrong;
    std::map<std::string, int> states;
    for (const auto& p : pushes) {
        if (!p.acknowledged() || !rows.count(p.transaction_id)) continue;
        const json& row = rows[p.transaction_id];
        const std::string status = row.value("status", "");
        ++states[review.count(p.transaction_id) ? "review" : status];
        const std::string checkout =
            row["checkoutRequestId"].is_string() ? row["checkoutRequestId"].get<std::string>() : "";
        const json s = session_by_checkout.count(checkout) ? session_by_checkout[checkout] : json();
        const bool paid = s.is_object() && s.value("final", false) && s.value("resultCode", "") == "0";
        if (status == "SUCCESS" && (!paid || s.value("amount", int64_t{0}) != p.amount)) {
            wrong.push_back(p.key + " SUCCESS but the simulator says " + s.dump());
        }
        if (status == "FAILED" && paid) wrong.push_back(p.key + " FAILED but the tenant paid: " + s.dump());
        if (status == "SUCCESS" && row["mpesaReceiptNumber"].is_string() &&
            row["mpesaReceiptNumber"] != s.value("mpesaReceiptNumber", json())) {
            wrong.push_back(p.key + " has receipt " + row["mpesaReceiptNumber"].dump() + ", M-Pesa's is " +
                            s.value("mpesaReceiptNumber", json()).dump());
        }
    }
    std::cout << "states:";
    for (const auto& [k, n] : states) std::cout << " " << k << "=" << n;
    std::cout << std::endl;
    EXPECT_TRUE(wrong.empty()) << "rows settled against M-Pesa's evidence:" << Join(wrong);

    // ---- 2. No duplicate payments, no second prompt for a key.
    std::vector<std::string> duplicates;
    for (const auto& [label, sql] : std::vector<std::pair<std::string, std::string>>{
             {"one receipt on several payments",
              "SELECT mpesa_receipt_number FROM payments WHERE mpesa_receipt_number IS NOT NULL GROUP BY "
              "mpesa_receipt_number HAVING COUNT(*) > 1"},
             {"several payments for one transaction",
              "SELECT transaction_id FROM payments GROUP BY transaction_id HAVING COUNT(*) > 1"},
             {"one receipt on several transactions",
              "SELECT mpesa_receipt_number FROM stk_transactions WHERE mpesa_receipt_number IS NOT NULL GROUP BY "
              "mpesa_receipt_number HAVING COUNT(*) > 1"},
             {"a payment for a transaction that is not SUCCESS",
              "SELECT p.id FROM payments p JOIN stk_transactions s ON s.id = p.transaction_id WHERE s.status <> "
              "'SUCCESS'"},
             {"a payment of another amount",
              "SELECT p.id FROM payments p JOIN stk_transactions s ON s.id = "
              "p.transaction_id WHERE p.amount <> s.amount"},
             {"a paid transaction without its payment",
              "SELECT s.id FROM stk_transactions s WHERE s.status = 'SUCCESS' AND s.lease_id IS NOT NULL AND NOT "
              "EXISTS (SELECT 1 FROM payments p WHERE p.transaction_id = s.id)"},
             {"two transactions for one phone (one key each)",
              "SELECT phone_number FROM stk_transactions GROUP BY phone_number HAVING COUNT(*) > 1"},
         }) {
        auto r = pg_->Query(sql);
        if (!r.error.empty()) duplicates.push_back(label + ": " + r.error);
        for (const auto& row : r.rows) duplicates.push_back(label + ": " + row[0].value_or("NULL"));
    }
    std::map<std::string, int> prompts;
    for (const auto& req : SimRequests("/mpesa/stkpush/v1/processrequest")) {
        const json& phone = req["body"].value("PhoneNumber", json());
        ++prompts[phone.is_string() ? phone.get<std::string>() : phone.dump()];
    }
    for (const auto& [phone, n] : prompts) {
        if (n > 1) duplicates.push_back("phone " + phone + " prompted " + std::to_string(n) + " times");
    }
    const int64_t payments = pg_->Count("SELECT COUNT(*) FROM payments");
    std::cout << "no duplicates: " << (duplicates.empty() ? "ok" : "FAILED") << " (" << payments << " payments)"
              << std::endl;
    EXPECT_TRUE(duplicates.empty()) << "duplicate or inconsistent payments:" << Join(duplicates);

    // ---- 3. The dead node's claims: each row it held unfinished was asked about by a survivor, not before the
    // claim ran out, and settled.
    std::map<std::string, std::vector<int64_t>> query_times;  // CheckoutRequestID -> arrival (ms)
    for (const auto& q : SimRequests("/mpesa/stkpushquery/v1/query")) {
        query_times[q["body"].value("CheckoutRequestID", "")].push_back(q.value("receivedAtMs", int64_t{0}));
    }
    std::vector<std::string> not_taken_over;
    for (const auto& [id, until] : orphaned) {
        auto r = pg_->Query("SELECT status, checkout_request_id, review_reason FROM stk_transactions WHERE id = " +
                            std::to_string(id));
        if (r.rows.empty()) {
            not_taken_over.push_back("transaction " + std::to_string(id) + " is gone");
            continue;
        }
        const std::string status = r.rows[0][0].value_or("");
        const std::string checkout = r.rows[0][1].value_or("");
        const bool in_review = review.count(id) > 0 || r.rows[0][2].has_value();
        const auto expiry = core::ParseIsoUtc(until);
        int64_t after_kill = 0, too_early = 0;
        for (int64_t t : query_times[checkout]) {
            if (t > EpochMs(kill_time)) ++after_kill;
            if (t > EpochMs(kill_time) && expiry && t < EpochMs(*expiry)) ++too_early;
        }
        const std::string what = "transaction " + std::to_string(id) + " (claimed until " + until + ", now " + status +
                                 (in_review ? ", in review" : "") + ", " + std::to_string(after_kill) +
                                 " queries after the kill)";
        if (status == "PENDING" && !in_review) not_taken_over.push_back(what + ": never settled");
        if (!checkout.empty() && after_kill == 0) not_taken_over.push_back(what + ": no survivor asked about it");
        if (too_early > 0) not_taken_over.push_back(what + ": asked about before the dead node's claim ran out");
    }
    std::cout << "takeover of node " << victim->name << "'s " << orphaned.size()
              << " unfinished claim(s): " << (not_taken_over.empty() ? "ok" : "FAILED") << "; done in "
              << std::chrono::duration<double>(Clock::now() - test_start).count() << " s" << std::endl;
    EXPECT_TRUE(not_taken_over.empty()) << "the dead node's claims:" << Join(not_taken_over) << Logs();
}

}  // namespace
}  // namespace haven::cluster
