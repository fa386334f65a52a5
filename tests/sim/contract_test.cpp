// Contract: every fixture request is accepted as-is and each acknowledgement has the fixture's keys
// and JSON types; data-driven scenarios from tests/fixtures/scenarios/*.json.
#include <filesystem>

#include "harness.hpp"

namespace haven::sim::test {
namespace {

struct FixtureCase {
    const char* request;
    const char* path;
    const char* response;
};

class SimContract : public SimTest, public ::testing::WithParamInterface<FixtureCase> {};

TEST_P(SimContract, FixtureRequestIsAcceptedWithFixtureAckShape) {
    auto options = FastOptions();
    options.callback_delay = std::chrono::hours(1);  // fixture URLs point at example.com: send nothing
    StartSim(options);
    const auto& c = GetParam();
    Json request = Fixture(c.request);
    if (std::string(c.request) == "stkpushquery.request.json") {
        // The query needs a CheckoutRequestID this simulator issued (and a final outcome).
        SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"manual", true}}}}}));
        auto push = Post("/mpesa/stkpush/v1/processrequest", Fixture("stkpush.request.json"));
        ASSERT_EQ(push.status, 200) << push.text;
        request["CheckoutRequestID"] = push.body["CheckoutRequestID"];
        Control("POST", "/sim/v1/stk/" + push.body["CheckoutRequestID"].get<std::string>() + "/resolve",
                {{"action", "accept"}, {"pin", "0000"}});
    }
    auto r = Post(c.path, request);
    ASSERT_EQ(r.status, 200) << c.request << ": " << r.text;
    ExpectSameShape(Fixture(c.response), r.body);
    if (r.body.contains("ResponseCode")) {
        EXPECT_EQ(r.body["ResponseCode"], "0");
    }
    if (r.body.contains("OriginatorConversationID") && request.contains("OriginatorConversationID")) {
        EXPECT_EQ(r.body["OriginatorConversationID"], request["OriginatorConversationID"]);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, SimContract,
    ::testing::Values(
        FixtureCase{"stkpush.request.json", "/mpesa/stkpush/v1/processrequest", "stkpush.response.json"},
        FixtureCase{"stkpush.request.buygoods.json", "/mpesa/stkpush/v1/processrequest", "stkpush.response.json"},
        FixtureCase{"stkpushquery.request.json", "/mpesa/stkpushquery/v1/query", "stkpushquery.response.success.json"},
        FixtureCase{"b2c.request.v1.json", "/mpesa/b2c/v1/paymentrequest", "b2c.response.v1.json"},
        FixtureCase{"b2c.request.v3.json", "/mpesa/b2c/v3/paymentrequest", "b2c.response.v3.json"},
        FixtureCase{"reversal.request.json", "/mpesa/reversal/v1/request", "reversal.response.json"},
        FixtureCase{"accountbalance.request.json", "/mpesa/accountbalance/v1/query", "accountbalance.response.json"},
        FixtureCase{"transactionstatus.request.json", "/mpesa/transactionstatus/v1/query",
                    "transactionstatus.response.json"},
        FixtureCase{"transactionstatus.request.by-originatorconversationid.json", "/mpesa/transactionstatus/v1/query",
                    "transactionstatus.response.json"},
        FixtureCase{"c2b.registerurl.request.json", "/mpesa/c2b/v1/registerurl", "c2b.registerurl.response.json"},
        FixtureCase{"c2b.registerurl.request.json", "/mpesa/c2b/v2/registerurl", "c2b.registerurl.response.v2.json"},
        FixtureCase{"c2b.simulate.request.paybill.json", "/mpesa/c2b/v1/simulate", "c2b.simulate.response.json"},
        FixtureCase{"c2b.simulate.request.buygoods.json", "/mpesa/c2b/v2/simulate", "c2b.simulate.response.json"}),
    [](const ::testing::TestParamInfo<FixtureCase>& info) {
        std::string name = std::to_string(info.index) + "_" + info.param.request;
        for (auto& ch : name) {
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        }
        return name;
    });

// ---- data-driven scenarios (STYLE.md P8) ----
// Each file: {"description", "rules":[...], "request":{"api":"stkpush"|"b2c", "amount", "phone"},
//             "expect":{"status", "errorCode", "callbacks", "resultCode"}}

std::vector<std::string> ScenarioFiles() {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(FixturePath("scenarios"))) {
        if (entry.path().extension() == ".json") out.push_back(entry.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class SimScenario : public SimTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(SimScenario, BehavesAsDescribed) {
    auto options = FastOptions();
    options.scenario_file = FixturePath("scenarios/" + GetParam());
    StartSim(options);
    Json scenario = Json::parse(ReadText(options.scenario_file));
    const Json& request = scenario["request"];
    const Json& expect = scenario["expect"];
    std::string api = request.value("api", "stkpush");
    int64_t amount = request.value("amount", 1);
    std::string phone = request.value("phone", "254708374149");
    Reply r;
    std::string inbox;
    if (api == "stkpush") {
        r = Post("/mpesa/stkpush/v1/processrequest", StkRequest(amount, phone));
        inbox = "/stk";
    } else {
        Json body = AsyncRequest("b2c.request.v1.json");
        body["Amount"] = amount;
        body["PartyB"] = phone;
        r = Post("/mpesa/b2c/v1/paymentrequest", body);
        inbox = expect.value("inbox", "/result");
    }
    ASSERT_EQ(r.status, expect.value("status", 200)) << scenario["description"] << ": " << r.text;
    if (expect.contains("errorCode")) {
        EXPECT_EQ(r.body["errorCode"], expect["errorCode"]);
    }
    if (r.status != 200) return;
    size_t callbacks = expect.value("callbacks", 1);
    if (callbacks == 0) {
        ASSERT_EQ(api, "stkpush");
        ASSERT_TRUE(WaitUntil([&] {
            return Post("/mpesa/stkpushquery/v1/query", QueryRequest(r.body["CheckoutRequestID"])).status == 200;
        }));
        EXPECT_EQ(receiver_->Count(inbox), 0u);
        return;
    }
    auto bodies = receiver_->WaitFor(inbox, callbacks);
    ASSERT_EQ(bodies.size(), callbacks) << scenario["description"];
    if (expect.contains("resultCode")) {
        const Json& got =
            api == "stkpush" ? bodies[0]["Body"]["stkCallback"]["ResultCode"] : bodies[0]["Result"]["ResultCode"];
        EXPECT_EQ(got, expect["resultCode"]) << scenario["description"];
    }
}

INSTANTIATE_TEST_SUITE_P(Files, SimScenario, ::testing::ValuesIn(ScenarioFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param.substr(0, info.param.size() - 5);
                             for (auto& ch : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             }
                             return name;
                         });

}  // namespace
}  // namespace haven::sim::test
