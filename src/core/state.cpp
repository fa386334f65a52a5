#include "core/state.hpp"

#include <cctype>

namespace haven::core {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string_view ToString(TxStatus status) {
    switch (status) {
        case TxStatus::kPending:
            return "PENDING";
        case TxStatus::kSuccess:
            return "SUCCESS";
        case TxStatus::kFailed:
            return "FAILED";
    }
    return "UNKNOWN";
}

std::optional<TxStatus> ParseTxStatus(std::string_view text) {
    for (TxStatus s : {TxStatus::kPending, TxStatus::kSuccess, TxStatus::kFailed}) {
        if (EqualsIgnoreCase(text, ToString(s))) return s;
    }
    return std::nullopt;
}

bool CanTransition(TxStatus from, TxStatus to) {
    return from == TxStatus::kPending && (to == TxStatus::kSuccess || to == TxStatus::kFailed);
}

bool IsFinal(TxStatus status) { return status == TxStatus::kSuccess || status == TxStatus::kFailed; }

std::string_view ToString(Role role) {
    switch (role) {
        case Role::kAdmin:
            return "admin";
        case Role::kManager:
            return "manager";
        case Role::kViewer:
            return "viewer";
    }
    return "unknown";
}

std::optional<Role> ParseRole(std::string_view text) {
    for (Role r : {Role::kAdmin, Role::kManager, Role::kViewer}) {
        if (EqualsIgnoreCase(text, ToString(r))) return r;
    }
    return std::nullopt;
}

std::string_view ToString(TxKind kind) {
    switch (kind) {
        case TxKind::kStk:
            return "stk";
        case TxKind::kB2c:
            return "b2c";
        case TxKind::kReversal:
            return "reversal";
        case TxKind::kC2b:
            return "c2b";
    }
    return "unknown";
}

std::optional<TxKind> ParseTxKind(std::string_view text) {
    for (TxKind k : {TxKind::kStk, TxKind::kB2c, TxKind::kReversal, TxKind::kC2b}) {
        if (text == ToString(k)) return k;
    }
    return std::nullopt;
}

}  // namespace haven::core
