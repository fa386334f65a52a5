// Strict media types: a JSON route takes application/json (charset=utf-8 at most) and nothing that
// merely contains the words, so another site's page cannot POST to it without a CORS preflight.
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class MediaType : public GatewayTest {
  protected:
    Reply PostAs(const std::string& path, const std::string& content_type, const json& body,
                 const std::string& token = "", const std::string& key = "") {
        net::Headers headers{{"Content-Type", content_type}};
        if (!token.empty()) headers["Authorization"] = "Bearer " + token;
        if (!key.empty()) headers["Idempotency-Key"] = key;
        return Call("POST", gateway_->BaseUrl() + path, body.dump(), headers);
    }

    std::string PayPath(const std::string& staff) {
        const std::string link = CreateLease(staff)["paymentLink"];
        return "/api/v1/pay/" + link.substr(link.find("t=") + 2) + "/stk-push";
    }
};

TEST_F(MediaType, SmuggledJsonInATextTypeIs415OnTheTenantPayLink) {
    const auto path = PayPath(Login("admin@a.test"));
    // A form or fetch() from another site may send text/plain without a preflight.
    for (const char* type : {"text/plain; x=application/json", "text/plain;charset=application/json",
                             "application/jsonx", "application/json-patch+json",
                             "multipart/form-data; a=application/json", "application/x-www-form-urlencoded"}) {
        auto r = PostAs(path, type, {{"phoneNumber", "0708374149"}});
        EXPECT_EQ(r.status, 415) << type << ": " << r.body.dump();
        EXPECT_EQ(r.body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE") << type;
    }
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush"), 0) << "a prompt went out for a refused body";
}

TEST_F(MediaType, SmuggledJsonInATextTypeIs415OnAnAuthenticatedRoute) {
    const auto token = Login("admin@a.test");
    for (const char* type : {"text/plain; x=application/json", "application/json; charset=latin-1",
                             "application/json; foo=bar", "/json", "application/"}) {
        auto r = PostAs("/api/v1/mpesa/stk-push", type, StkBody(10), token);
        EXPECT_EQ(r.status, 415) << type << ": " << r.body.dump();
        EXPECT_EQ(r.body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE") << type;
        auto lease = PostAs("/api/v1/leases", type,
                            {{"tenantName", "Wanjiku Kamau"},
                             {"phoneNumber", "0708374149"},
                             {"unit", "B4"},
                             {"monthlyRent", 15000},
                             {"accountReference", "A1"}},
                            token);
        EXPECT_EQ(lease.status, 415) << type << ": " << lease.body.dump();
    }
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush"), 0);
}

TEST_F(MediaType, JsonWithUtf8CharsetOrInCapitalsIsAccepted) {
    const auto token = Login("admin@a.test");
    int n = 0;
    for (const char* type :
         {"application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json;",
          "Application/Json;Charset=\"UTF-8\"", "application/json ; charset=utf-8"}) {
        json body = StkBody(20 + n);
        body["phoneNumber"] = "07110000" + std::to_string(10 + n++);  // one phone per push: no subscriber lock
        auto r = PostAs("/api/v1/mpesa/stk-push", type, body, token);
        EXPECT_EQ(r.status, 200) << type << ": " << r.body.dump();
    }
    const auto path = PayPath(token);
    auto tenant = PostAs(path, "application/json; charset=utf-8", {{"phoneNumber", "0722000111"}});
    EXPECT_EQ(tenant.status, 200) << tenant.body.dump();
}

TEST_F(MediaType, DarajaCallbacksIgnoreTheHeaderButNotTheBody) {
    const std::string url = gateway_->BaseUrl() + "/api/v1/mpesa/callback?secret=" + gateway_->config().callback_secret;
    // A proxy that drops or rewrites the header loses nothing: the body is what counts.
    json callback = {{"Body",
                      {{"stkCallback",
                        {{"MerchantRequestID", "1"},
                         {"CheckoutRequestID", "ws_CO_unknown"},
                         {"ResultCode", 1032},
                         {"ResultDesc", "Request cancelled by user"}}}}}};
    auto plain = Call("POST", url, callback.dump(), {{"Content-Type", "text/plain"}});
    EXPECT_NE(plain.status, 415) << plain.body.dump();
    auto garbage = Call("POST", url, "ResultCode=0", {{"Content-Type", "application/json"}});
    EXPECT_EQ(garbage.status, 400) << garbage.body.dump();
    EXPECT_EQ(garbage.body["error"]["code"], "INVALID_JSON");
}

}  // namespace
}  // namespace haven::testing
