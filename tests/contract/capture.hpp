#pragma once
// A gateway fixture that records every answer (method, route pattern, path, status, body) so a JSON Schema
// validator can check each one against the OpenAPI document afterwards (validate.mjs).
#include <fstream>
#include <regex>
#include <string>

#include "gateway_fixture.hpp"

namespace haven::testing {

class CapturingGateway : public GatewayTest {
  protected:
    /// Calls `path` (an instance of the documented `route`) and records the answer.
    Reply Hit(const std::string& method, const std::string& route, const std::string& path, const json& body = nullptr,
              const std::string& token = "", net::Headers headers = {}) {
        if (!token.empty()) headers["Authorization"] = "Bearer " + token;
        Reply r = Call(method, gateway_->BaseUrl() + path, body.is_null() ? "" : body.dump(), headers);
        Record(method, route, path, r);
        return r;
    }

    /// Same with a raw body and Content-Type (malformed JSON, wrong media types).
    Reply HitRaw(const std::string& method, const std::string& route, const std::string& path, const std::string& raw,
                 const std::string& content_type, const std::string& token = "") {
        net::Headers headers{{"Content-Type", content_type}};
        if (!token.empty()) headers["Authorization"] = "Bearer " + token;
        Reply r = Call(method, gateway_->BaseUrl() + path, raw, headers);
        Record(method, route, path, r);
        return r;
    }

    void Record(const std::string& method, const std::string& route, const std::string& path, const Reply& r) {
        json entry = {{"method", method}, {"route", route}, {"path", path}, {"status", r.status}};
        entry["body"] = r.body.is_discarded() ? json(nullptr) : r.body;
        exchanges_.push_back(std::move(entry));
    }

    /// Writes {openapi, routes, exchanges} for validate.mjs.
    void WriteCapture(const std::string& file, const json& openapi) {
        json routes = json::array();
        for (const auto& route : gateway_->router().Routes()) {
            routes.push_back({{"method", route.method}, {"pattern", route.pattern}});
        }
        std::ofstream out(file);
        out << json{{"openapi", openapi}, {"routes", routes}, {"exchanges", exchanges_}}.dump();
        ASSERT_TRUE(out.good()) << "cannot write " << file;
    }

    json exchanges_ = json::array();
};

}  // namespace haven::testing
