// The OpenAPI document the gateway embeds and serves, checked against the code: its shape (OpenAPI 3.1,
// every body and answer a named schema, one shared error response) and its limits (the constants the
// request readers enforce). A limit changed on one side only fails here.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api/bodies.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/amount.hpp"
#include "core/lease_key.hpp"
#include "core/phone.hpp"
#include "core/state.hpp"
#include "core/text.hpp"
#include "net/error_response.hpp"

namespace haven::api {
namespace {

using nlohmann::json;

const json& Doc() { return OpenApiDocument(); }
const json& Schema(const std::string& name) { return Doc()["components"]["schemas"].at(name); }
const json& Prop(const std::string& schema, const std::string& field) { return Schema(schema)["properties"].at(field); }

/// Follows "#/a/b/c" inside the document.
const json* Resolve(const std::string& ref) {
    if (ref.rfind("#/", 0) != 0) return nullptr;
    const json* at = &Doc();
    size_t start = 2;
    while (start <= ref.size()) {
        const size_t slash = std::min(ref.find('/', start), ref.size());
        const std::string key = ref.substr(start, slash - start);
        if (!at->is_object() || !at->contains(key)) return nullptr;
        at = &(*at)[key];
        start = slash + 1;
    }
    return at;
}

void Walk(const json& node, const std::string& where, const std::function<void(const json&, const std::string&)>& f) {
    f(node, where);
    if (node.is_object()) {
        for (const auto& [k, v] : node.items()) Walk(v, where + "/" + k, f);
    } else if (node.is_array()) {
        for (size_t i = 0; i < node.size(); ++i) Walk(node[i], where + "/" + std::to_string(i), f);
    }
}

TEST(OpenApiDocument, IsOpenApi31WithPlainJsonSchemas) {
    EXPECT_EQ(Doc()["openapi"], "3.1.0");
    Walk(Doc(), "", [](const json& node, const std::string& where) {
        if (!node.is_object()) return;
        // OpenAPI 3.0 spellings that JSON Schema 2020-12 does not have.
        EXPECT_FALSE(node.contains("nullable")) << where << ": use a type array with \"null\"";
        if (where.find("/properties/") == std::string::npos) {
            EXPECT_FALSE(node.contains("example")) << where << ": use \"examples\" (an array)";
        }
        if (node.contains("$ref") && node["$ref"].is_string()) {
            EXPECT_NE(Resolve(node["$ref"]), nullptr) << where << ": " << node["$ref"] << " resolves to nothing";
        }
    });
}

TEST(OpenApiDocument, EveryBodyAndAnswerIsANamedSchemaAndEveryErrorTheOneErrorResponse) {
    const json& error = Doc()["components"]["responses"].at("Error");
    EXPECT_EQ(error["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error");
    for (const auto& [path, item] : Doc()["paths"].items()) {
        for (const auto& [method, op] : item.items()) {
            const std::string where = method + " " + path;
            if (op.contains("requestBody")) {
                // Every media type a body may come as (JSON; an upload's text/csv or multipart/form-data).
                for (const auto& [type, content] : op["requestBody"]["content"].items()) {
                    const std::string ref = content["schema"].value("$ref", "");
                    EXPECT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << where << " request body " << type;
                }
            }
            bool success = false;
            for (const auto& [status, response] : op["responses"].items()) {
                if (status[0] == '2') {
                    success = true;
                    for (const auto& [type, content] : response["content"].items()) {
                        const std::string ref = content["schema"].value("$ref", "");
                        EXPECT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << where << " " << status << " " << type;
                    }
                } else {
                    EXPECT_EQ(response.value("$ref", ""), "#/components/responses/Error") << where << " " << status;
                }
            }
            EXPECT_TRUE(success) << where << " documents no success answer";
        }
    }
}

TEST(OpenApiDocument, ErrorCodesAreThoseTheGatewaySends) {
    std::set<std::string> documented;
    for (const auto& code : Schema("Error")["properties"]["error"]["properties"]["code"]["enum"])
        documented.insert(code.get<std::string>());
    std::set<std::string> sent;
    for (int c = 0; c <= static_cast<int>(core::ErrorCode::kDarajaBusy); ++c) {
        sent.insert(std::string(net::ToHttp(static_cast<core::ErrorCode>(c)).code));
    }
    EXPECT_EQ(documented, sent);
}

TEST(OpenApiDocument, EnumsMatchTheCode) {
    std::set<std::string> statuses;
    for (auto s : {core::TxStatus::kPending, core::TxStatus::kSuccess, core::TxStatus::kFailed}) {
        statuses.insert(std::string(core::ToString(s)));
    }
    std::set<std::string> documented;
    for (const auto& s : Schema("TxStatus")["enum"]) documented.insert(s.get<std::string>());
    EXPECT_EQ(documented, statuses);
    std::set<std::string> roles;
    for (auto r : {core::Role::kAdmin, core::Role::kManager, core::Role::kViewer})
        roles.insert(std::string(core::ToString(r)));
    documented.clear();
    for (const auto& r : Prop("User", "role")["enum"]) documented.insert(r.get<std::string>());
    EXPECT_EQ(documented, roles);
}

TEST(OpenApiDocument, StkPushLimitsAreTheCodes) {
    EXPECT_EQ(Prop("StkPushRequest", "amount")["minimum"], core::kMinStkAmount);
    EXPECT_EQ(Prop("StkPushRequest", "amount")["maximum"], core::kMaxStkAmount);
    EXPECT_EQ(Prop("TenantStkPushRequest", "amount")["maximum"], core::kMaxStkAmount);
    EXPECT_EQ(Prop("StkPushRequest", "accountReference")["maxLength"], core::kMaxAccountReference);
    EXPECT_EQ(Prop("LeaseCreateRequest", "accountReference")["maxLength"], core::kMaxAccountReference);
    EXPECT_EQ(Prop("LeaseSyncRequest", "accountReference")["maxLength"], core::kMaxAccountReference);
    EXPECT_EQ(Prop("StkPushRequest", "transactionDesc")["maxLength"], core::kMaxTransactionDesc);
    const std::string desc = Prop("StkPushRequest", "transactionDesc")["description"];
    EXPECT_NE(desc.find("first " + std::to_string(core::kDarajaTransactionDescLength) + " characters"),
              std::string::npos)
        << desc;
}

TEST(OpenApiDocument, MoneyOutLimitsAreTheCodes) {
    EXPECT_EQ(Prop("B2cRequest", "amount")["minimum"], kMinB2cAmount);
    EXPECT_EQ(Prop("B2cRequest", "amount")["maximum"], core::kMaxStkAmount);
    EXPECT_EQ(Prop("ReversalRequest", "amount")["maximum"], core::kMaxStkAmount);
}

TEST(OpenApiDocument, PageLimitsAreTheCodes) {
    for (const char* path : {"/api/v1/mpesa/transactions", "/api/v1/review"}) {
        bool found = false;
        for (const auto& p : Doc()["paths"][path]["get"]["parameters"]) {
            if (p["name"] != "limit") continue;
            found = true;
            EXPECT_EQ(p["schema"]["minimum"], 1) << path;
            EXPECT_EQ(p["schema"]["maximum"], kMaxPageLimit) << path;
        }
        EXPECT_TRUE(found) << path << " documents no limit";
    }
}

TEST(OpenApiDocument, ExternalIdRuleIsTheCodes) {
    const json& s = Schema("ExternalId");
    EXPECT_EQ(s["maxLength"], core::kMaxExternalIdLength);
    // ECMAScript regex, as JSON Schema's pattern is.
    const std::regex pattern(s["pattern"].get<std::string>(), std::regex::ECMAScript);
    const std::vector<std::string> samples = {"lease-id-here",
                                              "65f0c0ffee01",
                                              "a",
                                              "12a",
                                              "A.b_c:d-e",
                                              "123",
                                              "0",
                                              "",
                                              "has space",
                                              "emoji-é",
                                              "slash/no",
                                              std::string(core::kMaxExternalIdLength, 'x'),
                                              std::string(core::kMaxExternalIdLength + 1, 'x')};
    for (const std::string& id : samples) {
        const bool by_length = !id.empty() && id.size() <= s["maxLength"].get<size_t>();
        EXPECT_EQ(core::ValidExternalId(id), by_length && std::regex_match(id, pattern)) << '"' << id << '"';
    }
}

TEST(OpenApiDocument, PhonePatternsAgreeWithNormalizePhone) {
    const std::regex input(Schema("PhoneInput")["pattern"].get<std::string>(), std::regex::ECMAScript);
    const std::regex stored(Schema("PhoneNumber")["pattern"].get<std::string>(), std::regex::ECMAScript);
    int accepted = 0;
    for (const char* raw : {"0712345678", "712345678", "254712345678", "+254712345678", "0712 345 678", "0712-345-678",
                            "0110345678", "110345678", "254110345678", "+254110345678", "071234567", "0212345678",
                            "+255712345678", "07123456789", "abc", "", "0712 345 67a"}) {
        auto normal = core::NormalizePhone(raw);
        if (!normal) continue;
        ++accepted;
        EXPECT_TRUE(std::regex_match(std::string(raw), input)) << raw << " is accepted but PhoneInput refuses it";
        EXPECT_TRUE(std::regex_match(*normal, stored)) << *normal << " is stored but PhoneNumber refuses it";
    }
    EXPECT_GE(accepted, 10);
}

}  // namespace
}  // namespace haven::api
