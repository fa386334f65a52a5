#include "daraja/results.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "daraja/callbacks.hpp"

namespace haven::daraja {

using core::ErrorCode;
using nlohmann::json;

namespace {

std::string Text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    return JsonScalarText(v);
}

std::string FieldText(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() ? std::string{} : Text(*it);
}

/// {"X": [ {Key, Value}, ... ]} or {"X": {Key, Value}} or a bare list -> map.
void ReadItems(const json& container, const char* item_key, std::map<std::string, json>& out) {
    if (container.is_null()) return;
    const json* items = &container;
    if (container.is_object() && container.contains(item_key)) items = &container[item_key];
    auto add = [&out](const json& item) {
        if (!item.is_object()) return;
        auto key = item.find("Key");
        if (key == item.end() || !key->is_string()) return;
        auto value = item.find("Value");
        out[key->get<std::string>()] = value == item.end() ? json(nullptr) : *value;
    };
    if (items->is_array()) {
        for (const auto& item : *items) add(item);
    } else {
        add(*items);
    }
}

std::string Trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

// strtod also reads "nan", "inf" and overflowing text ("1e400" -> inf): no balance is any of those.
bool ParseMoney(const std::string& text, double& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end != nullptr && *end == '\0' && std::isfinite(out);
}

}  // namespace

std::string ResultNotice::Param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string{} : Text(it->second);
}

core::Result<ResultNotice> ParseResult(const json& body) {
    if (!body.is_object() || !body.contains("Result") || !body["Result"].is_object()) {
        return core::Fail(core::Error::Validation("Result", "the body is not a Daraja Result ({\"Result\":{...}})"));
    }
    const json& r = body["Result"];
    ResultNotice out;
    out.result_code = FieldText(r, "ResultCode");
    out.result_desc = FieldText(r, "ResultDesc");
    out.originator_conversation_id = FieldText(r, "OriginatorConversationID");
    out.conversation_id = FieldText(r, "ConversationID");
    out.transaction_id = FieldText(r, "TransactionID");
    if (out.originator_conversation_id.empty() && out.conversation_id.empty()) {
        return core::Fail(core::Error::Validation("ConversationID", "the Result carries no conversation id"));
    }
    if (out.result_code.empty()) {
        return core::Fail(core::Error::Validation("ResultCode", "the Result carries no ResultCode"));
    }
    // Codes are digits ("0", "2001") or short identifiers ("R000001", "SFC_IC0003"); "0.4" is neither.
    if (out.result_code.size() > 20 || !std::all_of(out.result_code.begin(), out.result_code.end(),
                                                    [](unsigned char c) { return std::isalnum(c) || c == '_'; })) {
        return core::Fail(core::Error::Validation("ResultCode", "the Result's ResultCode is not a valid code"));
    }
    if (auto it = r.find("ResultParameters"); it != r.end()) ReadItems(*it, "ResultParameter", out.params);
    if (auto it = r.find("ReferenceData"); it != r.end()) ReadItems(*it, "ReferenceItem", out.references);
    return out;
}

core::Result<std::vector<BalanceAccount>> ParseAccountBalance(std::string_view text) {
    std::vector<BalanceAccount> out;
    while (!text.empty()) {
        size_t amp = text.find('&');
        std::string_view part = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (Trimmed(part).empty()) continue;
        std::vector<std::string> cols;
        while (true) {
            size_t bar = part.find('|');
            cols.push_back(Trimmed(part.substr(0, bar)));
            if (bar == std::string_view::npos) break;
            part = part.substr(bar + 1);
        }
        if (cols.size() != 6 || cols[0].empty()) {
            return core::Fail(ErrorCode::kValidation, "an AccountBalance entry does not have 6 columns");
        }
        BalanceAccount a;
        a.name = cols[0];
        a.currency = cols[1];
        if (!ParseMoney(cols[2], a.current) || !ParseMoney(cols[3], a.available) || !ParseMoney(cols[4], a.reserved) ||
            !ParseMoney(cols[5], a.uncleared)) {
            return core::Fail(ErrorCode::kValidation, "an AccountBalance amount is not a number");
        }
        out.push_back(std::move(a));
    }
    if (out.empty()) return core::Fail(ErrorCode::kValidation, "AccountBalance lists no account");
    return out;
}

}  // namespace haven::daraja
