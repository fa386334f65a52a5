#pragma once
// Collects every invalid field of a request (core/validator.hpp), and the paging every list takes.
#include "core/validator.hpp"
#include "net/http.hpp"

namespace haven::api {

using core::kMaxPageLimit;
using core::Validator;

/// ?limit=1..200 and ?cursor=<the previous page's nextCursor> (rows with a smaller id).
inline void ReadPaging(const net::Request& req, Validator& v, int& limit, std::optional<int64_t>& before_id) {
    core::ReadPaging(req.Query("limit"), req.Query("cursor"), v, limit, before_id);
}

}  // namespace haven::api
