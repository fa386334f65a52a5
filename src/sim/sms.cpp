// Africa's Talking's SMS API as the gateway's SMS sender uses it (../shared/africastalking/REFERENCE.md):
// POST /version1/messaging, form-encoded, the apiKey header; 201 with a Recipients list, 401 (plain text) for a wrong
// key or username, 400 (plain text) for a missing field. The messages are kept, newest last, for
// GET /sim/v1/sms?phone=2547... (the virtual phone's inbox).
#include "core/phone.hpp"
#include "net/target.hpp"
#include "sim/core.hpp"

namespace haven::sim {

namespace {

constexpr const char* kCost = "KES 0.8000";

net::Response Text(int status, const std::string& text) {
    return net::Response::Text(status, text, "text/plain; charset=utf-8");
}

/// "+254712345678" or "254712345678" -> "254712345678"; std::nullopt for anything else.
std::optional<std::string> Msisdn(std::string number) {
    while (!number.empty() && number.front() == ' ') number.erase(number.begin());
    while (!number.empty() && number.back() == ' ') number.pop_back();
    if (!number.empty() && number.front() == '+') number.erase(number.begin());
    auto normal = core::NormalizePhone(number);
    if (!normal || *normal != number) return std::nullopt;
    return *normal;
}

net::Response Send(Core& c, net::Request& req) {
    const auto key = req.Header("apiKey");
    const bool key_ok = key && !key->empty() && (c.options.at_api_key.empty() || *key == c.options.at_api_key);
    if (!key_ok) return Text(401, "The supplied authentication is invalid");
    auto form = net::ParseQuery(req.body);
    for (const char* field : {"username", "to", "message"}) {
        if (form[field].empty())
            return Text(400, std::string("Request is missing required form field '") + field + "'");
    }
    if (!c.options.at_username.empty() && form["username"] != c.options.at_username) {
        return Text(401, "The supplied authentication is invalid");
    }
    const std::string received = FormatEat(c.Now(), "%Y-%m-%dT%H:%M:%S+03:00");
    Json recipients = Json::array();
    int sent = 0;
    std::lock_guard lock(c.mu);
    std::string list = form["to"];
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        const std::string raw = list.substr(start, comma - start);
        start = comma + 1;
        if (raw.empty()) continue;
        auto msisdn = Msisdn(raw);
        if (!msisdn) {
            recipients.push_back({{"statusCode", 403},
                                  {"number", raw},
                                  {"status", "InvalidPhoneNumber"},
                                  {"cost", "0"},
                                  {"messageId", "None"}});
            continue;
        }
        const std::string id = "ATXid_sim" + std::to_string(c.next_sms_id++);
        recipients.push_back({{"statusCode", 101},
                              {"number", "+" + *msisdn},
                              {"status", "Success"},
                              {"cost", kCost},
                              {"messageId", id}});
        c.sms.push_back({{"messageId", id},
                         {"phoneNumber", *msisdn},
                         {"from", form.count("from") ? form["from"] : std::string("AFRICASTKNG")},
                         {"message", form["message"]},
                         {"receivedAt", received}});
        while (c.sms.size() > c.options.max_logged) c.sms.pop_front();
        ++sent;
    }
    const size_t total = recipients.size();
    return net::Response::Json(201,
                               {{"SMSMessageData",
                                 {{"Message", "Sent to " + std::to_string(sent) + "/" + std::to_string(total) +
                                                  " Total Cost: " + (sent > 0 ? std::string(kCost) : std::string("0"))},
                                  {"Recipients", recipients}}}});
}

}  // namespace

void RegisterSms(net::Router& router, const std::shared_ptr<Core>& core) {
    std::weak_ptr<Core> weak = core;
    router.Add("POST", "/version1/messaging", [weak](net::Request& req) {
        auto c = weak.lock();
        if (!c) return Text(503, "stopped");
        return Send(*c, req);
    });
}

net::Response ListSms(Core& c, net::Request& req) {
    auto phone = req.Query("phone");
    std::optional<std::string> wanted;
    if (phone && !phone->empty()) {
        wanted = Msisdn(*phone);
        if (!wanted) {
            return net::Response::Json(
                400, {{"error", {{"code", "VALIDATION_ERROR"}, {"message", "phone must be like 254712345678"}}}});
        }
    }
    Json out = Json::array();
    std::lock_guard lock(c.mu);
    for (const auto& sms : c.sms) {
        if (!wanted || sms["phoneNumber"] == *wanted) out.push_back(sms);
    }
    return net::Response::Json(200, {{"messages", out}});
}

}  // namespace haven::sim
