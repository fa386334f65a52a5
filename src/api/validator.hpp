#pragma once
// Collects every invalid field of a request, not just the first, so a form can show them all.
#include <optional>
#include <utility>

#include "core/error.hpp"

namespace haven::api {

struct Validator {
    core::Error error = core::Error::Make(core::ErrorCode::kValidation, "some fields are invalid");

    template <class T>
    std::optional<T> Take(core::Result<T> r) {
        if (r) return std::move(*r);
        for (auto& d : r.error().details) error.details.push_back(d);
        if (r.error().details.empty()) error.details.push_back({"", r.error().message});
        return std::nullopt;
    }
    void Add(std::string field, std::string message) { error.details.push_back({std::move(field), std::move(message)}); }
    bool ok() const { return error.details.empty(); }
    core::Error Finish() {
        if (error.details.size() == 1) error.message = error.details.front().message;
        return error;
    }
};

}  // namespace haven::api
