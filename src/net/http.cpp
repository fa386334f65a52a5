#include "net/http.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>

namespace haven::net {

bool CaseLess::operator()(std::string_view a, std::string_view b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
    });
}

std::optional<std::string> Request::Header(std::string_view name) const {
    auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> Request::Query(std::string_view name) const {
    auto it = query.find(std::string(name));
    if (it == query.end()) return std::nullopt;
    return it->second;
}

std::string Request::Param(std::string_view name) const {
    auto it = params.find(std::string(name));
    return it == params.end() ? std::string() : it->second;
}

Response Response::Json(int status, const nlohmann::json& body) {
    Response res;
    res.status = status;
    // replace invalid UTF-8 instead of throwing: the body may echo client input.
    res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    res.headers["Content-Type"] = "application/json; charset=utf-8";
    return res;
}

Response Response::Text(int status, std::string body, std::string content_type) {
    Response res;
    res.status = status;
    res.body = std::move(body);
    res.headers["Content-Type"] = std::move(content_type);
    return res;
}

struct Reply::State {
    std::function<void(Response)> deliver;
    std::function<Response()> unanswered;
    std::atomic<bool> answered{false};

    ~State() {
        if (answered.exchange(true)) return;
        try {
            deliver(unanswered());
        } catch (...) {  // a destructor must not throw; the connection then closes on its own deadline
        }
    }
};

Reply::Reply(std::function<void(Response)> deliver, std::function<Response()> unanswered)
    : state_(std::make_shared<State>()) {
    state_->deliver = std::move(deliver);
    state_->unanswered = std::move(unanswered);
}

void Reply::operator()(Response response) const {
    if (state_->answered.exchange(true)) return;
    state_->deliver(std::move(response));
}

bool Reply::Answered() const { return state_->answered.load(); }

}  // namespace haven::net
