#pragma once
// Collects every invalid field of a request, not just the first, so a form can show them all. Used where input is
// read: the API's bodies and the use cases that take a caller's filters (service::ListTransactions).
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/text.hpp"

namespace haven::core {

struct Validator {
    Error error = Error::Make(ErrorCode::kValidation, "some fields are invalid");

    template <class T>
    std::optional<T> Take(Result<T> r) {
        if (r) return std::move(*r);
        for (auto& d : r.error().details) error.details.push_back(d);
        if (r.error().details.empty()) error.details.push_back({"", r.error().message});
        return std::nullopt;
    }
    void Add(std::string field, std::string message) {
        error.details.push_back({std::move(field), std::move(message)});
    }
    bool ok() const { return error.details.empty(); }
    Error Finish() {
        if (error.details.size() == 1) error.message = error.details.front().message;
        return error;
    }
};

/// The largest limit= a list takes (openapi.json says the same; tests/contract checks it).
inline constexpr int64_t kMaxPageLimit = 200;

/// The paging every list takes: limit=1..200 and cursor=<the previous page's nextCursor> (rows with a smaller id).
/// Absent values leave `limit` and `before_id` as they are.
inline void ReadPaging(const std::optional<std::string>& raw_limit, const std::optional<std::string>& raw_cursor,
                       Validator& v, int& limit, std::optional<int64_t>& before_id) {
    if (raw_limit) {
        auto n = ParseId(*raw_limit);
        if (!n || *n > kMaxPageLimit)
            v.Add("limit", "limit must be between 1 and 200");
        else
            limit = static_cast<int>(*n);
    }
    if (raw_cursor) {
        before_id = ParseId(*raw_cursor);
        if (!before_id) v.Add("cursor", "cursor must be the nextCursor of a previous page");
    }
}

}  // namespace haven::core
