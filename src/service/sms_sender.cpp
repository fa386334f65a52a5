#include "service/sms_sender.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "core/phone.hpp"

namespace haven::service {

namespace {

using nlohmann::json;

DeliveryResult Failed(bool retry, std::string error, std::optional<int64_t> status = std::nullopt,
                      std::string excerpt = {}) {
    DeliveryResult r;
    r.retry = retry;
    r.error = std::move(error);
    r.status_code = status;
    r.response_excerpt = std::move(excerpt);
    return r;
}

/// An answer as recorded: at most 500 bytes, every phone number in it masked.
std::string Excerpt(const std::string& body) { return core::MaskPhonesIn(body.substr(0, 500)); }

}  // namespace

std::string FormEncode(const std::string& value) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

SmsSender::SmsSender(SmsSettings settings, SmsHttpPost post) : settings_(std::move(settings)), post_(std::move(post)) {
    while (!settings_.base_url.empty() && settings_.base_url.back() == '/') settings_.base_url.pop_back();
}

DeliveryResult SmsSender::Deliver(const storage::OutboxMessage& message) {
    const json payload = json::parse(message.payload, nullptr, false);
    if (!payload.is_object() || !payload.value("to", json()).is_string() ||
        !payload.value("message", json()).is_string()) {
        return Failed(false, "the SMS message's payload lacks to or message");
    }
    const std::string to = payload["to"].get<std::string>();
    const std::string masked = core::MaskPhone(to.size() > 1 && to[0] == '+' ? to.substr(1) : to);

    SmsHttpRequest req;
    req.url = settings_.base_url + "/version1/messaging";
    req.timeout = settings_.timeout;
    req.headers = {{"apiKey", settings_.api_key},
                   {"Accept", "application/json"},
                   {"Content-Type", "application/x-www-form-urlencoded"}};
    req.body = "username=" + FormEncode(settings_.username) + "&to=" + FormEncode(to) +
               "&message=" + FormEncode(payload["message"].get<std::string>());
    if (!settings_.sender_id.empty()) req.body += "&from=" + FormEncode(settings_.sender_id);

    auto res = post_(req);
    if (!res) return Failed(true, "Africa's Talking did not answer: " + res.error().message);
    const std::string excerpt = Excerpt(res->body);
    if (res->status == 400 || res->status == 401) {
        // A wrong key or username, or a field AT refuses: the same request fails again until someone fixes it.
        return Failed(false,
                      "Africa's Talking refused the request (HTTP " + std::to_string(res->status) + "): " + excerpt,
                      res->status, excerpt);
    }
    if (res->status != 201) {
        return Failed(true, "Africa's Talking answered HTTP " + std::to_string(res->status), res->status, excerpt);
    }
    const json answer = json::parse(res->body, nullptr, false);
    const json* recipients = nullptr;
    if (answer.is_object() && answer.contains("SMSMessageData") && answer["SMSMessageData"].is_object() &&
        answer["SMSMessageData"].contains("Recipients") && answer["SMSMessageData"]["Recipients"].is_array()) {
        recipients = &answer["SMSMessageData"]["Recipients"];
    }
    if (recipients == nullptr || recipients->empty() || !(*recipients)[0].is_object()) {
        return Failed(true, "Africa's Talking's answer names no recipient", res->status, excerpt);
    }
    const json& first = (*recipients)[0];
    const int64_t code =
        first.value("statusCode", json(0)).is_number_integer() ? first["statusCode"].get<int64_t>() : 0;
    if (code >= 100 && code <= 102) {
        DeliveryResult ok;
        ok.ok = true;
        ok.retry = false;
        ok.status_code = res->status;
        ok.response_excerpt = excerpt;
        return ok;
    }
    // 403 InvalidPhoneNumber, 404 UnsupportedNumberType, 406 UserInBlacklist: this number will not take it.
    const bool permanent = code == 403 || code == 404 || code == 406 || code == 402;
    return Failed(!permanent,
                  "Africa's Talking did not send the SMS to " + masked + ": " +
                      (first.contains("status") && first["status"].is_string() ? first["status"].get<std::string>()
                                                                               : std::string()) +
                      " (" + std::to_string(code) + ")",
                  res->status, excerpt);
}

}  // namespace haven::service
