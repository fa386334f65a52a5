#pragma once
// Transaction state machine and user roles: names on the wire / in the database, and allowed moves.
#include <optional>
#include <string_view>

#include "core/models.hpp"

namespace haven::core {

/// Wire/database name of a transaction status: "PENDING", "SUCCESS", "FAILED".
std::string_view ToString(TxStatus status);

/// Parses a transaction status name (case-insensitive: "pending" works too); std::nullopt if unknown.
std::optional<TxStatus> ParseTxStatus(std::string_view text);

/// True when a transaction may move from `from` to `to`: only PENDING -> SUCCESS and PENDING -> FAILED.
/// A final state (SUCCESS, FAILED) never moves, and a state never "moves" to itself.
bool CanTransition(TxStatus from, TxStatus to);

/// True for SUCCESS and FAILED.
bool IsFinal(TxStatus status);

/// Wire/database name of a role: "admin", "manager", "viewer".
std::string_view ToString(Role role);

/// Parses a role name (case-insensitive: "Admin" works too); std::nullopt if unknown.
std::optional<Role> ParseRole(std::string_view text);

/// Wire/database name of a transaction kind: "stk", "b2c", "reversal".
std::string_view ToString(TxKind kind);

/// Parses a transaction kind name (exact, lower case as stored); std::nullopt if unknown.
std::optional<TxKind> ParseTxKind(std::string_view text);

}  // namespace haven::core
