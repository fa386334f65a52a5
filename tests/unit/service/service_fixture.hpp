#pragma once
// What the use case tests share: a fake Daraja (scripted answers, every call recorded, a hook that runs while
// Daraja "is being called") and a real SQLite store in memory with the migrations applied.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "daraja/client.hpp"
#include "memory_store.hpp"
#include "service/initiator.hpp"
#include "service/stk_service.hpp"
#include "storage/store.hpp"

namespace haven::service::testing {

using core::ErrorCode;
using core::Result;
using core::TxKind;
using core::TxStatus;
using nlohmann::json;

/// Answers in the order scripted; with nothing scripted, an acceptance with fresh ids.
class FakeDaraja : public daraja::DarajaClient {
  public:
    std::vector<daraja::StkPushRequest> stk_pushes;
    std::vector<daraja::B2cRequest> b2c_payments;
    std::vector<daraja::ReversalRequest> reversals;
    std::vector<daraja::StatusRequest> status_queries;
    std::vector<daraja::BalanceRequest> balance_checks;

    std::deque<Result<daraja::StkPushAck>> stk_answers;
    std::deque<Result<daraja::AsyncAck>> async_answers;  // B2C, reversal, status and balance, in call order
    /// Runs inside every call, before the answer: what the store holds while Daraja is being asked.
    std::function<void()> on_call;
    /// Async calls wait here (instead of completing in place) while `hold_async` is set.
    bool hold_async = false;
    std::vector<std::function<void()>> held;

    Result<daraja::StkPushAck> StkPush(const daraja::StkPushRequest& request) override {
        stk_pushes.push_back(request);
        if (on_call) on_call();
        if (!stk_answers.empty()) return Next(stk_answers);
        const std::string n = std::to_string(stk_pushes.size());
        return daraja::StkPushAck{"mr-" + n, "ws_CO_" + n, "0", "Success. Request accepted for processing",
                                  "Success. Request accepted for processing"};
    }
    Result<daraja::StkQueryAnswer> StkQuery(const std::string&) override { return daraja::StkQueryAnswer{true}; }
    Result<daraja::AsyncAck> B2cPayment(const daraja::B2cRequest& request) override {
        b2c_payments.push_back(request);
        return Async(request.originator_conversation_id);
    }
    Result<daraja::AsyncAck> Reversal(const daraja::ReversalRequest& request) override {
        reversals.push_back(request);
        return Async("");
    }
    Result<daraja::AsyncAck> TransactionStatus(const daraja::StatusRequest& request) override {
        status_queries.push_back(request);
        return Async("");
    }
    Result<daraja::AsyncAck> AccountBalance(const daraja::BalanceRequest& request) override {
        balance_checks.push_back(request);
        return Async("");
    }
    void StkPushAsync(const daraja::StkPushRequest& r, daraja::Done<daraja::StkPushAck> done) override {
        Later([this, r, done] { done(StkPush(r)); });
    }
    void B2cPaymentAsync(const daraja::B2cRequest& r, daraja::Done<daraja::AsyncAck> done) override {
        Later([this, r, done] { done(B2cPayment(r)); });
    }

    /// Completes the calls held so far, in order.
    void Release() {
        auto calls = std::move(held);
        held.clear();
        for (auto& call : calls) call();
    }

  private:
    template <class T>
    static Result<T> Next(std::deque<Result<T>>& answers) {
        Result<T> next = answers.front();
        answers.pop_front();
        return next;
    }
    Result<daraja::AsyncAck> Async(const std::string& originator) {
        if (on_call) on_call();
        if (!async_answers.empty()) return Next(async_answers);
        const std::string n = std::to_string(++acks_);
        return daraja::AsyncAck{originator.empty() ? "ocid-" + n : originator, "AG_2026_conv" + n, "0",
                                "Accept the service request successfully."};
    }
    void Later(std::function<void()> call) {
        if (hold_async) {
            held.push_back(std::move(call));
        } else {
            call();
        }
    }
    int acks_ = 0;
};

/// Daraja's refusal of a request (an HTTP 400 with its error envelope).
inline core::Error DarajaRefusal(const std::string& message) {
    core::Error e = core::Error::Make(ErrorCode::kUpstream, message);
    e.extra = {{"errorCode", "400.002.02"}, {"errorMessage", message}};
    return e;
}

class ServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        OpenMemoryStore(store_);
        if (HasFatalFailure()) return;
        auto agency = store_->FindOrCreateAgency("Kilimani Homes");
        ASSERT_TRUE(agency) << agency.error().message;
        actor_.agency_id = agency->id;
        actor_.name = "admin@kilimani.test";
        actor_.request_id = "req-1";
    }

    StkDeps Stk() { return {*store_, daraja_, "https://gw.test/api/v1/mpesa/callback?secret=s"}; }
    B2cDeps Transfers() {
        return {*store_, daraja_,
                ResultUrls{"https://gw.test/b2c/result", "https://gw.test/b2c/timeout",
                           "https://gw.test/reversal/result", "https://gw.test/reversal/timeout",
                           "https://gw.test/balance/result", "https://gw.test/balance/timeout",
                           "https://gw.test/status/result", "https://gw.test/status/timeout"}};
    }

    /// Daraja's STK callback body for a push (ResultCode 0 with metadata, else a failure).
    static json StkCallback(const std::string& checkout_id, int result_code, int64_t amount,
                            const std::string& receipt) {
        json cb = {{"MerchantRequestID", "mr-x"},
                   {"CheckoutRequestID", checkout_id},
                   {"ResultCode", result_code},
                   {"ResultDesc",
                    result_code == 0 ? "The service request is processed successfully." : "Request cancelled by user"}};
        if (result_code == 0) {
            cb["CallbackMetadata"] = {{"Item", json::array({{{"Name", "Amount"}, {"Value", amount}},
                                                            {{"Name", "MpesaReceiptNumber"}, {"Value", receipt}},
                                                            {{"Name", "TransactionDate"}, {"Value", 20261201101530}},
                                                            {{"Name", "PhoneNumber"}, {"Value", 254708374149}}})}};
        }
        return {{"Body", {{"stkCallback", cb}}}};
    }

    /// A payment received by STK push: pushed through the use case, then settled by Daraja's callback.
    core::StkTransaction Payment(int64_t amount, TxStatus outcome, std::optional<int64_t> paid = std::nullopt,
                                 const std::string& receipt = "TLC1ABCD23") {
        StkPushInput input;
        input.phone_number = "254708374149";
        input.amount = amount;
        input.account_reference = "A-204";
        input.transaction_desc = "Rent";
        auto pushed = InitiateStkPush(input, actor_, Stk());
        EXPECT_TRUE(pushed) << pushed.error().message;
        if (!pushed) return {};
        if (outcome != TxStatus::kPending) {
            const auto& checkout = pushed->transaction.checkout_request_id;
            const int code = outcome == TxStatus::kSuccess ? 0 : 1032;
            auto body = StkCallback(checkout, code, paid.value_or(amount), receipt);
            auto applied = ApplyStkCallback(body, "req-cb", Stk());
            EXPECT_TRUE(applied && applied->applied) << (applied ? "not applied" : applied.error().message);
        }
        auto now = store_->FindStk(actor_.agency_id, pushed->transaction.id);
        EXPECT_TRUE(now) << now.error().message;
        return now ? *now : core::StkTransaction{};
    }

    /// Daraja's Result for a B2C payment or reversal (success carries the receipt and the amount sent).
    static json TransferResult(const storage::Transfer& t, int result_code, const std::string& receipt,
                               int64_t amount) {
        json result = {{"ResultType", 0},
                       {"ResultCode", result_code},
                       {"ResultDesc", result_code == 0 ? "The service request is processed successfully."
                                                       : "The balance is insufficient for the transaction."},
                       {"OriginatorConversationID", t.originator_conversation_id},
                       {"ConversationID", t.conversation_id},
                       {"TransactionID", result_code == 0 ? receipt : "TFE0000000"}};
        if (result_code == 0) {
            result["ResultParameters"] = {
                {"ResultParameter", json::array({{{"Key", "TransactionAmount"}, {"Value", amount}},
                                                 {{"Key", "TransactionReceipt"}, {"Value", receipt}}})}};
        }
        return {{"Result", result}};
    }

    std::unique_ptr<storage::Store> store_;
    FakeDaraja daraja_;
    Actor actor_;
};

}  // namespace haven::service::testing
